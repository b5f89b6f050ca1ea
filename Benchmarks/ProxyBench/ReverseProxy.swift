import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// nginx or Caddy in front of the mock, as Debian ships them: the reverse proxies the gateway
/// is measured against in the same run (Caddy is Go's `net/http` reverse proxy, the floor of
/// the Go gateways). `scripts/bench-tools.sh` installs them.
final class ReverseProxy: @unchecked Sendable {
    enum Kind: String, CaseIterable {
        case nginx, caddy
    }

    let kind: Kind
    let port: Int
    private let process: Process
    private let directory: URL

    var url: String { "http://127.0.0.1:\(self.port)" }
    /// nginx runs as one process (`master_process off`), and so does Caddy.
    var cpuSeconds: Double { ProcessCPU.seconds(pid: self.process.processIdentifier) }

    init(_ kind: Kind, upstreamPort: Int) async throws {
        self.kind = kind
        self.port = try Self.freePort()
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("proxy-bench-\(kind)-\(getpid())")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let process = Process()
        switch kind {
        case .nginx:
            let config = self.directory.appendingPathComponent("nginx.conf")
            try Self.nginxConfig(port: self.port, upstreamPort: upstreamPort, directory: self.directory.path)
                .write(to: config, atomically: true, encoding: .utf8)
            process.executableURL = try Self.find("nginx")
            process.arguments = ["-c", config.path, "-e", self.directory.appendingPathComponent("error.log").path]
        case .caddy:
            let config = self.directory.appendingPathComponent("Caddyfile")
            try Self.caddyfile(port: self.port, upstreamPort: upstreamPort).write(to: config, atomically: true, encoding: .utf8)
            process.executableURL = try Self.find("caddy")
            process.arguments = ["run", "--config", config.path, "--adapter", "caddyfile"]
            process.environment = [
                "HOME": self.directory.path, "XDG_DATA_HOME": self.directory.path, "XDG_CONFIG_HOME": self.directory.path,
            ]
        }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await self.waitUntilListening()
    }

    /// SIGINT (nginx's fast shutdown, Caddy's stop: neither waits for SIGTERM here when started
    /// by Foundation's `Process`), then SIGKILL if it is still there after 3 s.
    func stop() {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        guard self.process.isRunning else { return }
        self.process.interrupt()
        for _ in 0..<60 where self.process.isRunning { usleep(50_000) }
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
        self.process.waitUntilExit()
    }

    private func waitUntilListening() async throws {
        for _ in 0..<400 {
            if Self.accepts(port: self.port) { return }
            guard self.process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(25))
        }
        self.stop()
        throw BenchError("\(self.kind) did not start listening on \(self.port); run scripts/bench-tools.sh")
    }

    private static func find(_ name: String) throws -> URL {
        for directory in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"] {
            let path = directory + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return URL(fileURLWithPath: path) }
        }
        throw BenchError("\(name) is not installed; run scripts/bench-tools.sh")
    }

    static func nginxConfig(port: Int, upstreamPort: Int, directory: String) -> String {
        """
        worker_processes 1;
        daemon off;
        master_process off;
        pid \(directory)/nginx.pid;
        events { worker_connections 16384; }
        http {
          access_log off;
          client_max_body_size 64m;
          client_body_buffer_size 2m;
          client_body_temp_path \(directory)/body;
          proxy_temp_path \(directory)/proxy;
          upstream mock { server 127.0.0.1:\(upstreamPort); keepalive 512; }
          server {
            listen 127.0.0.1:\(port);
            location / {
              proxy_pass http://mock;
              proxy_http_version 1.1;
              proxy_set_header Connection "";
              proxy_buffering off;
            }
          }
        }
        """
    }

    /// `flush_interval -1`: events pass at once, as the gateway passes them.
    static func caddyfile(port: Int, upstreamPort: Int) -> String {
        """
        {
          admin off
          auto_https off
        }
        http://127.0.0.1:\(port) {
          reverse_proxy 127.0.0.1:\(upstreamPort) {
            flush_interval -1
          }
        }
        """
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
