import Foundation
import NIOSSL
import PostgresNIO
import ProxyEngine

/// `storage.url = "postgres://USER:PASS@HOST:PORT/DB?sslmode=disable|prefer|require|verify-full"`:
/// user and password percent-decoded, port 5432 by default. `prefer` and `require` encrypt
/// without checking the server's certificate, as libpq does; `verify-full` checks it against
/// the system's trust store and the host name.
enum PostgresURL {
    static func configuration(_ url: String) throws(ConfigError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw ConfigError(key: "storage.url", "is not a postgres://USER:PASS@HOST:PORT/DB URL")
        }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw ConfigError(key: "storage.url", "names no user (postgres://USER:PASS@HOST:PORT/DB)")
        }
        let password = components.percentEncodedPassword?.removingPercentEncoding
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        var lenient = TLSConfiguration.makeClientConfiguration()
        lenient.certificateVerification = .none
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(lenient)
        case "require": tls = .require(lenient)
        case "verify-full": tls = .require(.makeClientConfiguration())
        default:
            throw ConfigError(key: "storage.url", "sslmode must be disable, prefer, require or verify-full (got '\(mode)')")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        configuration.options.maximumConnections = 32
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
        return configuration
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "postgres://…" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "postgres://…"
    }
}
