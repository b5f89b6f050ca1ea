import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ProxyConfig
import ProxyEngine
import ServiceLifecycle
import UnixSignals

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway (the default subcommand).",
        discussion: "SIGHUP reloads the configuration file (see `proxy-server reload`); SIGTERM or SIGINT drains and stops."
    )

    @OptionGroup var options: ConfigOption
    @Option(name: .long, help: "Listen on this address instead of server.host.") var host: String?
    @Option(name: .long, help: "Listen on this port instead of server.port (0 = any free port).") var port: Int?
    @Option(name: .customLong("pid-file"), help: "Write the process id here (for `proxy-server reload`); removed at exit.")
    var pidFile: String?

    func validate() throws {
        if let port = self.port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        var (config, path) = try ConfigLoader.loadForCommand(self.options.config)
        let overrides: @Sendable (inout GatewayConfig) -> Void = { [host, port] config in
            if let host { config.server.host = host }
            if let port { config.server.port = port }
        }
        overrides(&config)
        let logger = GatewayLogging.bootstrap(config.logging)
        for user in config.auth.users where user.password != nil && user.passwordHash == nil {
            logger.warning(
                "user has a plaintext password in the configuration; use password_hash outside demos",
                metadata: ["user": "\(user.username)"])
        }
        let hasOAuthAccounts = config.providers.contains { $0.accounts.contains { $0.kind == .oauth } }
        if hasOAuthAccounts, ProcessInfo.processInfo.environment[SecretBox.environmentVariable] == nil {
            logger.warning(
                "OAuth accounts are configured but \(SecretBox.environmentVariable) is not set: refresh tokens the provider rotates are kept in memory only and will not survive a restart"
            )
        }
        let gateway: Gateway
        do {
            gateway = try await Gateway(config: config, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let live = LiveGateway(gateway)
        // Trapped before the server starts: SIGHUP's default action would end the process.
        let hangUps = await UnixSignalsSequence(trapping: .sighup)
        var reloader = ConfigReloader(live: live, path: path, logger: logger, signals: hangUps)
        reloader.overrides = overrides
        if let pidFile = self.pidFile {
            do {
                try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
            } catch {
                FileHandle.standardError.write(Data("error: cannot write --pid-file \(pidFile): \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
        defer { if let pidFile = self.pidFile { try? FileManager.default.removeItem(atPath: pidFile) } }
        try await GatewayServer(live: live, reloader: reloader, logger: logger).run()
    }
}

/// Runs the gateway until SIGTERM/SIGINT, then drains: the listener closes, in-flight requests
/// and streams get `server.shutdown_grace_seconds` to finish, then the rest is cancelled.
struct GatewayServer {
    let live: LiveGateway
    var reloader: ConfigReloader?
    let logger: Logger

    var config: GatewayConfig { self.live.current.config }

    func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let application = GatewayApplication.build(
            live: self.live,
            host: self.config.server.host,
            port: self.config.server.port,
            logger: self.logger,
            reloader: self.reloader,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                // Machine-readable for scripts and benchmarks that start the server on port 0.
                announceListening(host: channel.localAddress?.ipAddress ?? "?", port: port)
                await onServerRunning(port)
            }
        )
        var configuration = ServiceGroupConfiguration(
            services: [application],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: self.logger
        )
        configuration.maximumGracefulShutdownDuration = .milliseconds(Int64(self.config.server.shutdownGraceSeconds * 1000))
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        self.logger.info("gateway stopped")
    }
}

enum GatewayLogging {
    static func bootstrap(_ config: LoggingConfig) -> Logger {
        let level = Logger.Level(rawValue: config.level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch config.format {
                case .json: JSONLogHandler(label: label)
                case .text: TextLogHandler(label: label)
                }
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "proxy-server")
        logger.logLevel = level
        return logger
    }
}
