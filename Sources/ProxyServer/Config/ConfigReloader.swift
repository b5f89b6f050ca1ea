import Foundation
import Logging
import ProxyConfig
import ProxyEngine
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration file on SIGHUP: users, passwords and tiers, tier limits,
/// `per_token_concurrency`, providers, models, aliases, accounts, strategies, timeouts and pacing
/// take effect for new requests; requests and streams in flight finish on the gateway they
/// started with (see `LiveGateway`). A file that fails validation is refused, with a log line
/// naming the file and key, and the running configuration stays.
struct ConfigReloader: Service {
    let live: LiveGateway
    let path: String
    let logger: Logger
    /// The signals to reload on: trapped before the server starts, so an early SIGHUP does not
    /// end the process. Nil: reloads only when `reload()` is called.
    let signals: UnixSignalsSequence?
    /// What the command line overrides (`serve --host/--port`), applied to every file read.
    var overrides: @Sendable (inout GatewayConfig) -> Void = { _ in }
    var environment: @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }

    func run() async throws {
        guard let signals else { return }
        for await _ in signals.cancelOnGracefulShutdown() {
            await self.reload()
        }
    }

    /// Reads the file again and, when it is valid, makes it the configuration of new requests.
    @discardableResult
    func reload() async -> Bool {
        let current = self.live.current
        do {
            var config = try ConfigLoader.load(path: self.path, environment: self.environment())
            self.overrides(&config)
            for key in Self.keysNeedingRestart(from: current.config, to: config) {
                self.logger.warning("a changed key takes effect only after a restart", metadata: ["file": "\(self.path)", "key": "\(key)"])
            }
            let next = try await Gateway(config: config, carryingOver: current)
            await next.adoptAccountState(from: current)
            self.live.replace(with: next)
        } catch {
            current.metrics.configReloaded(succeeded: false)
            // The error names the file and the key (`ConfigError`).
            self.logger.error("configuration reload refused; the running configuration stays", metadata: ["error": "\(error)"])
            return false
        }
        current.metrics.configReloaded(succeeded: true)
        self.logger.info("configuration reloaded", metadata: ["file": "\(self.path)"])
        return true
    }

    /// Keys read once at start-up: the listeners, the store, and what the services were built with.
    static func keysNeedingRestart(from old: GatewayConfig, to new: GatewayConfig) -> [String] {
        var keys: [String] = []
        if old.server.host != new.server.host { keys.append("server.host") }
        if old.server.port != new.server.port { keys.append("server.port") }
        if old.server.metricsPort != new.server.metricsPort { keys.append("server.metrics_port") }
        if old.server.corsOrigins != new.server.corsOrigins { keys.append("server.cors_origins") }
        if old.server.clientTimeoutSeconds != new.server.clientTimeoutSeconds { keys.append("server.client_timeout_seconds") }
        if old.server.shutdownGraceSeconds != new.server.shutdownGraceSeconds { keys.append("server.shutdown_grace_seconds") }
        if old.storage != new.storage { keys.append("storage.url") }
        if old.quota.timezone != new.quota.timezone { keys.append("quota.timezone") }
        if old.quota.flushEveryRequests != new.quota.flushEveryRequests { keys.append("quota.flush_every_requests") }
        if old.quota.flushIntervalSeconds != new.quota.flushIntervalSeconds { keys.append("quota.flush_interval_seconds") }
        if old.logging != new.logging { keys.append("logging") }
        return keys
    }
}
