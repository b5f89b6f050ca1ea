import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A server the benchmark starts (proxy-mock, proxy-server), with its port and its resource use
/// read from /proc.
final class ManagedProcess: @unchecked Sendable {
    let name: String
    let process: Process
    let port: Int

    /// Starts `executable` and waits until it prints `listening on HOST:PORT`.
    init(name: String, executable: URL, arguments: [String]) async throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let (lines, sink) = AsyncStream<String>.makeStream()
        let buffer = LineBuffer()
        // Keeps draining the child's stdout for its whole life, so it never blocks on a full pipe.
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                sink.finish()
                handle.readabilityHandler = nil
                return
            }
            for line in buffer.append(data) { sink.yield(line) }
        }
        try process.run()
        var port: Int?
        for await line in lines {
            if let range = line.range(of: #"listening on [^:]+:(\d+)"#, options: .regularExpression),
                let value = Int(line[range].split(separator: ":").last ?? "")
            {
                port = value
                break
            }
        }
        guard let port else { throw BenchError("\(name) exited before it was listening") }
        self.name = name
        self.process = process
        self.port = port
    }

    var pid: Int32 { self.process.processIdentifier }

    /// Resident memory now, in bytes.
    var residentBytes: Int { self.statusField("VmRSS") }
    /// The most resident memory the process has had, in bytes.
    var peakResidentBytes: Int { self.statusField("VmHWM") }

    /// User plus system CPU time used so far, in seconds.
    var cpuSeconds: Double { ProcessCPU.seconds(pid: self.pid) }

    func stop() {
        guard self.process.isRunning else { return }
        self.process.interrupt()
        self.process.waitUntilExit()
    }

    private func statusField(_ name: String) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(self.pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return 0
    }
}

/// Splits a byte stream into lines across reads.
final class LineBuffer: Sendable {
    private let pending = Mutex(Data())

    func append(_ data: Data) -> [String] {
        self.pending.withLock { pending in
            pending.append(data)
            var lines: [String] = []
            while let newline = pending.firstIndex(of: 0x0A) {
                lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                pending.removeSubrange(pending.startIndex...newline)
            }
            return lines
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Lets this process and its children hold `count` open files (sockets): 10,000 proxied streams
/// need about 20,000 in the gateway alone.
func raiseOpenFileLimit(to count: Int) {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    let wanted = rlim_t(count)
    if limit.rlim_cur >= wanted { return }
    var raised = rlimit(rlim_cur: wanted, rlim_max: max(wanted, limit.rlim_max))
    if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) != 0 {
        raised = rlimit(rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised)
    }
}
