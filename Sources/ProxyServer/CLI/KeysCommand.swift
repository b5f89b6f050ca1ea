import ArgumentParser
import Foundation
import Logging
import ProxyConfig
import ProxyEngine

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage virtual API keys in the state store (storage.url).",
        subcommands: [Create.self, List.self, Revoke.self, Disable.self, Enable.self, Limits.self]
    )

    /// The configuration and its state store, or exit 1 naming the problem.
    static func open(_ options: ConfigOption) async throws -> (GatewayConfig, any StateStore) {
        let (config, _) = try ConfigLoader.loadForCommand(options.config)
        var logger = Logger(label: "proxy-server")
        logger.logLevel = .warning
        do {
            return (config, try await StateStores.open(url: config.storage.url, logger: logger))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key; its plaintext is printed this once.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The user in [[auth.users]] who owns the key.") var user: String
        @Option(help: "A name to recognise the key by.") var name: String
        @Option(help: "Comma-separated model globs the key may use (default: all).") var models: String?
        @Option(name: .customLong("expires-at"), help: "Unix time after which the key stops working.") var expiresAt: Int?
        @OptionGroup var limits: LimitOptions

        func run() async throws {
            let (config, store) = try await KeysCommand.open(self.options)
            guard config.auth.users.contains(where: { $0.username == self.user }) else {
                FileHandle.standardError.write(Data("error: '\(self.user)' is not a user in [[auth.users]]\n".utf8))
                throw ExitCode(1)
            }
            let (plaintext, key) = VirtualKey.generate(
                name: self.name, user: self.user, now: Int(Date().timeIntervalSince1970), expiresAt: self.expiresAt,
                models: self.models?.split(separator: ",").map { String($0) } ?? [],
                monthlyRequests: try self.limits.requests(), monthlyTokens: try self.limits.tokens(),
                monthlyMicrodollars: try self.limits.microdollars()
            )
            try await store.insert(key)
            print("id: \(key.id)\nkey: \(plaintext)\n(the key is shown only now; the store keeps its hash)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live keys (never the keys themselves).")
        @OptionGroup var options: ConfigOption

        func run() async throws {
            let (_, store) = try await KeysCommand.open(self.options)
            for key in try await store.keys() {
                let models = key.models.isEmpty ? "all models" : key.models.joined(separator: ",")
                print(
                    "\(key.id)  \(key.prefix)...  \(key.name)  user=\(key.user)  \(models)\(key.expiresAt.map { "  expires_at=\($0)" } ?? "")"
                )
            }
        }
    }

    /// The key's own monthly limits; 0 removes one (the user's tier counts again when none is left).
    struct LimitOptions: ParsableArguments {
        @Option(name: .customLong("monthly-requests"), help: "Requests a month (0: no limit).") var monthlyRequests: Int?
        @Option(name: .customLong("monthly-tokens"), help: "Tokens a month (0: no limit).") var monthlyTokens: Int?
        @Option(name: .customLong("monthly-usd"), help: "Dollars a month, at the models' prices (0: no budget).") var monthlyUSD: Double?

        var isEmpty: Bool { self.monthlyRequests == nil && self.monthlyTokens == nil && self.monthlyUSD == nil }

        func requests() throws -> Int? {
            try Self.checked { () throws(GatewayError) in try VirtualKey.count(self.monthlyRequests, "monthly_requests") }
        }
        func tokens() throws -> Int? {
            try Self.checked { () throws(GatewayError) in try VirtualKey.count(self.monthlyTokens, "monthly_tokens") }
        }
        func microdollars() throws -> Int? {
            try Self.checked { () throws(GatewayError) in try VirtualKey.budget(dollars: self.monthlyUSD) }
        }

        /// The admin API's rules, as the command line's own errors.
        private static func checked(_ body: () throws(GatewayError) -> Int?) throws -> Int? {
            do {
                return try body()
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a key's own monthly limits (requests, tokens, dollars).")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's id (key_...).") var id: String
        @OptionGroup var limits: LimitOptions

        func run() async throws {
            guard !self.limits.isEmpty else { throw ValidationError("give --monthly-requests, --monthly-tokens or --monthly-usd") }
            let (_, store) = try await KeysCommand.open(self.options)
            guard var key = try await store.keys().first(where: { $0.id == self.id }) else {
                FileHandle.standardError.write(Data("error: no live key has the id '\(self.id)'\n".utf8))
                throw ExitCode(1)
            }
            let nonZero = { (value: Int?) in value == 0 ? nil : value }
            if let requests = try self.limits.requests() { key.monthlyRequests = nonZero(requests) }
            if let tokens = try self.limits.tokens() { key.monthlyTokens = nonZero(tokens) }
            if let budget = try self.limits.microdollars() { key.monthlyMicrodollars = nonZero(budget) }
            guard try await store.setLimits(of: key) != nil else { throw ExitCode(1) }
            let shown = [
                key.monthlyRequests.map { "monthly_requests=\($0)" }, key.monthlyTokens.map { "monthly_tokens=\($0)" },
                key.monthlyMicrodollars.map { "monthly_usd=\(Microdollars.dollars($0))" },
            ].compactMap { $0 }
            print("\(self.id): \(shown.isEmpty ? "the user's tier" : shown.joined(separator: " "))")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a key by id (403 until enabled again).")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's id (key_...).") var id: String
        func run() async throws { try await KeysCommand.setDisabled(self.options, self.id, true) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled key again.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's id (key_...).") var id: String
        func run() async throws { try await KeysCommand.setDisabled(self.options, self.id, false) }
    }

    static func setDisabled(_ options: ConfigOption, _ id: String, _ disabled: Bool) async throws {
        let (_, store) = try await KeysCommand.open(options)
        guard try await store.setDisabled(id: id, disabled) != nil else {
            FileHandle.standardError.write(Data("error: no live key has the id '\(id)'\n".utf8))
            throw ExitCode(1)
        }
        print("\(disabled ? "disabled" : "enabled") \(id)")
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by id.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The key's id (key_...).") var id: String

        func run() async throws {
            let (_, store) = try await KeysCommand.open(self.options)
            guard try await store.revoke(id: self.id, at: Int(Date().timeIntervalSince1970)) != nil else {
                FileHandle.standardError.write(Data("error: no live key has the id '\(self.id)'\n".utf8))
                throw ExitCode(1)
            }
            print("revoked \(self.id)")
        }
    }
}
