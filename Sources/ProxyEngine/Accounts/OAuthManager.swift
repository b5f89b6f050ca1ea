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
    private var tokens: [String: OAuthTokens] = [:]
    private var refreshing: [String: Task<OAuthTokens, any Error>] = [:]
    public private(set) var refreshCount = 0

    public init(
        endpoint: any OAuthTokenEndpoint,
        seeds: [String: OAuthTokens] = [:],
        refreshMarginSeconds: Double = 300,
        now: @escaping @Sendable () -> Double,
        onRefreshed: @escaping @Sendable (_ account: String, OAuthTokens) async -> Void = { _, _ in }
    ) {
        self.endpoint = endpoint
        self.refreshMarginSeconds = refreshMarginSeconds
        self.now = now
        self.onRefreshed = onRefreshed
        self.tokens = seeds
    }

    /// Sets an account's tokens (from configuration or the store).
    public func seed(_ account: String, _ tokens: OAuthTokens) {
        self.tokens[account] = tokens
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
            task = Task { try await endpoint.refresh(refreshToken: refreshToken) }
            self.refreshing[account] = task
            self.refreshCount += 1
            do {
                var fresh = try await task.value
                // A token endpoint may keep the refresh token and not send it again.
                if fresh.refreshToken.isEmpty { fresh.refreshToken = refreshToken }
                self.tokens[account] = fresh
                self.refreshing[account] = nil
                await self.onRefreshed(account, fresh)
                return fresh
            } catch {
                self.refreshing[account] = nil
                throw OAuthRefreshFailed(account: account, reason: "the token endpoint refused the refresh")
            }
        }
        do {
            return try await task.value
        } catch {
            throw OAuthRefreshFailed(account: account, reason: "the token endpoint refused the refresh")
        }
    }
}
