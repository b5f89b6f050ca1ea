import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ProxyConfig
import ProxyEngine

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "The upstream account pool: accounts of the config file and of the state store.",
        subcommands: [List.self, AddAPIKey.self, AddOAuth.self, Remove.self, Status.self, HealthCheck.self]
    )

    /// The config, its store and the secret box of `PROXY_MASTER_KEY` (nil when unset).
    static func open(_ options: ConfigOption) async throws -> (GatewayConfig, any StateStore, SecretBox?) {
        let (config, store) = try await KeysCommand.open(options)
        return (config, store, ProcessInfo.processInfo.environment[SecretBox.environmentVariable].flatMap(SecretBox.init(masterKey:)))
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }

    static func requireBox(_ box: SecretBox?) throws -> SecretBox {
        guard let box else {
            throw Self.fail("set \(SecretBox.environmentVariable) (at least 16 characters): upstream secrets are stored encrypted with it")
        }
        return box
    }

    static func requireProvider(_ name: String, in config: GatewayConfig) throws -> ProviderConfig {
        guard let provider = config.providers.first(where: { $0.name == name }) else {
            throw Self.fail("no provider named '\(name)' in the config")
        }
        return provider
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every account (never a key or a token).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let (config, store, _) = try await AccountsCommand.open(self.options)
            for provider in config.providers {
                for account in provider.accounts {
                    print("\(provider.name)/\(account.name)  \(account.kind.rawValue)  weight=\(account.weight)  source=config")
                }
            }
            for account in try await store.storedAccounts() {
                let state = account.pkceState != nil ? "  awaiting oauth callback" : ""
                print("\(account.provider)/\(account.name)  \(account.kind.rawValue)  weight=\(account.weight)  source=store\(state)")
            }
        }
    }

    struct AddAPIKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-api-key", abstract: "Add an API-key account; the key is read from stdin (kept out of shell history).")
        @OptionGroup var options: ConfigOption
        @Option(help: "The provider the account belongs to.") var provider: String
        @Option(help: "The account's name.") var name: String
        @Option(help: "Its weight under health_weighted selection.") var weight: Double = 1

        func validate() throws {
            guard AccountConfig.isValidWeight(self.weight) else { throw ValidationError("--weight \(AccountConfig.weightRule)") }
        }

        func run() async throws {
            let (config, store, maybeBox) = try await AccountsCommand.open(self.options)
            let box = try AccountsCommand.requireBox(maybeBox)
            _ = try AccountsCommand.requireProvider(self.provider, in: config)
            let key = (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw AccountsCommand.fail("no key on stdin") }
            try await store.save(
                StoredAccount(provider: self.provider, name: self.name, kind: .apiKey, weight: self.weight, sealedAPIKey: box.seal(key)))
            print(
                "added \(self.provider)/\(self.name) (the key is stored encrypted; gateways on a PostgreSQL store reload at once, on SQLite restart or send SIGHUP)"
            )
        }
    }

    struct AddOAuth: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-oauth", abstract: "Add an OAuth (subscription) account, then authorize it with `oauth start`.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The provider (kind anthropic).") var provider: String
        @Option(help: "The account's name.") var name: String
        @Option(help: "Its weight under health_weighted selection.") var weight: Double = 1

        func validate() throws {
            guard AccountConfig.isValidWeight(self.weight) else { throw ValidationError("--weight \(AccountConfig.weightRule)") }
        }

        func run() async throws {
            let (config, store, _) = try await AccountsCommand.open(self.options)
            guard try AccountsCommand.requireProvider(self.provider, in: config).kind == .anthropic else {
                throw AccountsCommand.fail("OAuth accounts are for 'anthropic' providers")
            }
            try await store.save(StoredAccount(provider: self.provider, name: self.name, kind: .oauth, weight: self.weight))
            print("added \(self.provider)/\(self.name); now run: proxy-server oauth start --account \(self.name)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an account from the state store.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The provider the account belongs to.") var provider: String
        @Option(help: "The account's name.") var name: String

        func run() async throws {
            let (_, store, _) = try await AccountsCommand.open(self.options)
            guard try await store.removeAccount(provider: self.provider, name: self.name) else {
                throw AccountsCommand.fail("no stored account \(self.provider)/\(self.name) (accounts of the config file are edited there)")
            }
            print("removed \(self.provider)/\(self.name)")
        }
    }

    /// Calls an admin route of a running gateway, with the config's admin key.
    static func callAdmin(_ options: ConfigOption, url: String?, method: HTTPMethod, path: String) async throws {
        let (config, _) = try ConfigLoader.loadForCommand(options.config)
        guard !config.auth.adminKey.isEmpty else { throw Self.fail("auth.admin_key is not set; the admin routes are off") }
        let base = url ?? "http://\(config.server.host == "0.0.0.0" ? "127.0.0.1" : config.server.host):\(config.server.port)"
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "authorization", value: "Bearer \(config.auth.adminKey)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        print(String(buffer: body))
        guard response.status == .ok else { throw ExitCode(1) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The pool's view of every account, from a running gateway.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The gateway's URL (default: server.host and server.port of the config).") var url: String?

        func run() async throws {
            try await AccountsCommand.callAdmin(self.options, url: self.url, method: .GET, path: "/admin/accounts")
        }
    }

    struct HealthCheck: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health-check", abstract: "Probe every account of a running gateway; those that answer go back in rotation.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The gateway's URL (default: server.host and server.port of the config).") var url: String?

        func run() async throws {
            try await AccountsCommand.callAdmin(self.options, url: self.url, method: .POST, path: "/admin/accounts/health-check")
        }
    }
}
