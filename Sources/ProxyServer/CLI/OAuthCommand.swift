import ArgumentParser
import AsyncHTTPClient
import Foundation
import ProxyEngine

struct OAuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oauth",
        abstract: "Authorize an OAuth (subscription) account: authorization code with PKCE (S256).",
        subcommands: [Start.self, Callback.self]
    )

    /// The provider an account belongs to: named, or the one whose accounts (in the file or the
    /// store) include it, or the only `anthropic` provider.
    static func provider(for account: String, named: String?, config: GatewayConfig, store: any StateStore) async throws -> ProviderConfig {
        if let named { return try AccountsCommand.requireProvider(named, in: config) }
        let stored = try await store.storedAccounts().first { $0.name == account }?.provider
        let candidates = config.providers.filter { provider in
            provider.kind == .anthropic && (stored == provider.name || provider.accounts.contains { $0.name == account })
        }
        let anthropic = config.providers.filter { $0.kind == .anthropic }
        guard let provider = candidates.first ?? (anthropic.count == 1 ? anthropic.first : nil) else {
            throw AccountsCommand.fail("say which provider with --provider")
        }
        return provider
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the URL to open; keep the code it shows for `oauth callback`.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The OAuth account's name.") var account: String
        @Option(help: "Its provider (default: found from the account).") var provider: String?

        func run() async throws {
            let (config, store, maybeBox) = try await AccountsCommand.open(self.options)
            let box = try AccountsCommand.requireBox(maybeBox)
            let provider = try await OAuthCommand.provider(for: self.account, named: self.provider, config: config, store: store)
            let pkce = PKCE()
            var stored =
                try await store.storedAccounts().first { $0.provider == provider.name && $0.name == self.account }
                ?? StoredAccount(provider: provider.name, name: self.account, kind: .oauth, weight: 1)
            stored.kind = .oauth
            stored.sealedPKCEVerifier = box.seal(pkce.verifier)
            stored.pkceState = pkce.state
            try await store.save(stored)
            print(
                "Open this URL, sign in, and run `proxy-server oauth callback --account \(self.account) --code CODE` with the code shown:")
            print(pkce.authorizeURL(provider.oauth ?? OAuthSettings()))
        }
    }

    struct Callback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Exchange the code for tokens, stored encrypted.")
        @OptionGroup var options: ConfigOption
        @Option(help: "The OAuth account's name.") var account: String
        @Option(help: "The code the authorize page showed.") var code: String
        @Option(help: "Its provider (default: found from the account).") var provider: String?

        func run() async throws {
            let (config, store, maybeBox) = try await AccountsCommand.open(self.options)
            let box = try AccountsCommand.requireBox(maybeBox)
            let provider = try await OAuthCommand.provider(for: self.account, named: self.provider, config: config, store: store)
            guard var stored = try await store.storedAccounts().first(where: { $0.provider == provider.name && $0.name == self.account }),
                let sealedVerifier = stored.sealedPKCEVerifier, let state = stored.pkceState
            else {
                throw AccountsCommand.fail("no authorization in progress for \(self.account); run `proxy-server oauth start` first")
            }
            let pkce = PKCE(verifier: try box.open(sealedVerifier), state: state)
            let client = OAuthTokenClient(settings: provider.oauth ?? OAuthSettings(), http: .shared) { Date().timeIntervalSince1970 }
            let tokens: OAuthTokens
            do {
                tokens = try await client.exchange(code: self.code, pkce: pkce)
            } catch {
                throw AccountsCommand.fail("the token endpoint refused the code (\(error)); run `oauth start` again")
            }
            stored.sealedAccessToken = box.seal(tokens.accessToken)
            stored.sealedRefreshToken = box.seal(tokens.refreshToken)
            stored.expiresAt = tokens.expiresAt
            stored.sealedPKCEVerifier = nil
            stored.pkceState = nil
            try await store.save(stored)
            print("authorized \(provider.name)/\(self.account); restart the gateway to use it")
        }
    }
}
