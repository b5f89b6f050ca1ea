/// An OAuth account's tokens.
public struct OAuthTokens: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String
    /// Unix seconds; 0 = unknown, treated as expired.
    public var expiresAt: Double

    public init(accessToken: String, refreshToken: String, expiresAt: Double) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresAt = expiresAt
    }
}

/// The provider's token endpoint, as the manager needs it (the transport lives in the server).
public protocol OAuthTokenEndpoint: Sendable {
    func refresh(refreshToken: String) async throws -> OAuthTokens
}

/// An OAuth account that cannot get a token: it has none to refresh with, or the token
/// endpoint refused or failed. The account is unusable until an operator acts.
public struct OAuthRefreshFailed: Error, Sendable, Equatable {
    public let account: String
    public let reason: String
}

/// Keeps every OAuth account's access token fresh: refreshed `refreshMarginSeconds` before it
/// expires, and once more when the upstream rejects it, with one refresh per account in flight
/// however many requests need it at once.
///
/// The one refresh is an unstructured `Task` shared by its waiters, on purpose: a waiter that is
/// cancelled (its client left) must not cancel the refresh the others are waiting on.
public actor OAuthManager {
    private let endpoint: any OAuthTokenEndpoint
    private let refreshMarginSeconds: Double
    private let now: @Sendable () -> Double
    private let onRefreshed: @Sendable (_ account: String, OAuthTokens) async -> Void
    /// The tokens another instance sharing the store last saved for an account, if any.
    private let storedTokens: @Sendable (_ account: String) async -> OAuthTokens?
    private var tokens: [String: OAuthTokens] = [:]
    private var refreshing: [String: Task<OAuthTokens, any Error>] = [:]
    public private(set) var refreshCount = 0
    /// Callers waiting for a refresh in flight now, the one that started it included.
    public private(set) var refreshWaiters = 0
    /// Every token this manager has held, so that no answer or log line quotes one; a provider's
    /// scrubber scrubs these too, and keeps doing so across reloads (the manager is kept).
    public nonisolated let secrets = SecretScrubber(secrets: [])

    public init(
        endpoint: any OAuthTokenEndpoint,
        seeds: [String: OAuthTokens] = [:],
        refreshMarginSeconds: Double = 300,
        now: @escaping @Sendable () -> Double,
        storedTokens: @escaping @Sendable (_ account: String) async -> OAuthTokens? = { _ in nil },
        onRefreshed: @escaping @Sendable (_ account: String, OAuthTokens) async -> Void = { _, _ in }
    ) {
        self.storedTokens = storedTokens
        self.endpoint = endpoint
        self.refreshMarginSeconds = refreshMarginSeconds
        self.now = now
        self.onRefreshed = onRefreshed
        self.tokens = seeds
        for tokens in seeds.values { self.secrets.add([tokens.accessToken, tokens.refreshToken]) }
    }

    /// Sets an account's tokens (from configuration or the store).
    public func seed(_ account: String, _ tokens: OAuthTokens) {
        self.tokens[account] = tokens
        self.secrets.add([tokens.accessToken, tokens.refreshToken])
    }

    public func tokens(of account: String) -> OAuthTokens? { self.tokens[account] }

    /// A valid access token for `account`, refreshed first if it is missing or about to expire.
    public func accessToken(for account: String) async throws(OAuthRefreshFailed) -> String {
        if let current = self.tokens[account], self.isFresh(current) { return current.accessToken }
        return try await self.refresh(account).accessToken
    }

    /// The upstream refused `rejected`: a new token, refreshed unless another request already
    /// replaced the rejected one.
    public func tokenRejected(_ rejected: String, for account: String) async throws(OAuthRefreshFailed) -> String {
        if let current = self.tokens[account], current.accessToken != rejected, self.isFresh(current) { return current.accessToken }
        return try await self.refresh(account).accessToken
    }

    private func isFresh(_ tokens: OAuthTokens) -> Bool {
        !tokens.accessToken.isEmpty && tokens.expiresAt - self.refreshMarginSeconds > self.now()
    }

    private func refresh(_ account: String) async throws(OAuthRefreshFailed) -> OAuthTokens {
        let task: Task<OAuthTokens, any Error>
        if let running = self.refreshing[account] {
            task = running
        } else {
            guard let refreshToken = self.tokens[account]?.refreshToken, !refreshToken.isEmpty else {
                throw OAuthRefreshFailed(account: account, reason: "no refresh token; run `proxy-server oauth start`")
            }
            let endpoint = self.endpoint
            let storedTokens = self.storedTokens
            let margin = self.refreshMarginSeconds
            let now = self.now
            task = Task {
                do {
                    return try await endpoint.refresh(refreshToken: refreshToken)
                } catch {
                    // Another instance on the same store may have used this refresh token first,
                    // and a provider that rotates them revokes the old one: take theirs.
                    guard let stored = await storedTokens(account), !stored.refreshToken.isEmpty,
                        stored.refreshToken != refreshToken
                    else { throw error }
                    if !stored.accessToken.isEmpty && stored.expiresAt - margin > now() { return stored }
                    return try await endpoint.refresh(refreshToken: stored.refreshToken)
                }
            }
            self.refreshing[account] = task
            self.refreshCount += 1
            self.refreshWaiters += 1
            defer { self.refreshWaiters -= 1 }
            do {
                var fresh = try await task.value
                // A token endpoint may keep the refresh token and not send it again.
                if fresh.refreshToken.isEmpty { fresh.refreshToken = refreshToken }
                self.secrets.add([fresh.accessToken, fresh.refreshToken])
                self.tokens[account] = fresh
                self.refreshing[account] = nil
                await self.onRefreshed(account, fresh)
                return fresh
            } catch {
                self.refreshing[account] = nil
                throw OAuthRefreshFailed(account: account, reason: "the token endpoint refused the refresh")
            }
        }
        self.refreshWaiters += 1
        defer { self.refreshWaiters -= 1 }
        do {
            return try await task.value
        } catch {
            throw OAuthRefreshFailed(account: account, reason: "the token endpoint refused the refresh")
        }
    }
}
