import ArgumentParser
import Foundation
import ProxyConfig
import ProxyEngine

struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print a summary; exit 1 naming the key on error."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let (config, path) = try ConfigLoader.loadForCommand(self.options.config)
        print(ConfigSummary(config: config, path: path).text)
    }
}

/// The human summary `check-config` prints: never a secret, only their presence.
struct ConfigSummary {
    let config: GatewayConfig
    let path: String

    var text: String {
        var lines = ["configuration OK: \(self.path)"]
        lines.append(
            "server: \(self.config.server.host):\(self.config.server.port), metrics on \(self.config.server.metricsPort == 0 ? "main port" : String(self.config.server.metricsPort))"
        )
        lines.append("providers: \(self.config.providers.count)")
        for provider in self.config.providers {
            let base = provider.kind == .mock ? "in-process" : provider.baseURL
            lines.append("  - \(provider.name) (\(provider.kind.rawValue), \(base)), strategy \(provider.strategy.rawValue)")
            lines.append("    models: \(provider.models.joined(separator: ", "))")
            if !provider.aliases.isEmpty {
                lines.append(
                    "    aliases: \(provider.aliases.sorted { $0.key < $1.key }.map { "\($0.key) -> \($0.value)" }.joined(separator: ", "))"
                )
            }
            lines.append("    accounts: \(provider.accounts.map { "\($0.name) (\($0.kind.rawValue))" }.joined(separator: ", "))")
        }
        lines.append("users: \(self.config.auth.users.map { "\($0.username) (\($0.tier))" }.joined(separator: ", "))")
        lines.append(
            "tiers: \(self.config.quota.tiers.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value.monthlyRequests) requests/month)" }.joined(separator: ", "))"
        )
        return lines.joined(separator: "\n")
    }
}
