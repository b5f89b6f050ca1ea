import Foundation
import HTTPTypes
import Hummingbird
import ProxyEngine
import Synchronization

/// Turns a request's credential into a `Principal`: `Authorization: Bearer <jwt | sk-key>` or
/// `x-api-key: <sk-key>` (what the Anthropic SDK and Claude Code send). Never logs or echoes the
/// credential itself.
final class Authenticator: Sendable {
    let signer: JWTSigner?
    let users: [String: AuthUser]
    let keys: KeyDirectory
    /// Tokens already verified, by their whole text (signature included, so only a token that
    /// passed `verify` can hit), to skip the HMAC and the JSON decode on every request. Expiry
    /// is still checked on each hit. A `Mutex`: read by every request.
    private let verifiedTokens = Mutex<[String: SessionClaims]>([:])
    private static let maximumCachedTokens = 10_000

    init(config: AuthConfig, keys: KeyDirectory) {
        self.signer = config.jwtSecret.isEmpty ? nil : JWTSigner(secret: config.jwtSecret)
        self.users = Dictionary(config.users.map { ($0.username, $0) }, uniquingKeysWith: { first, _ in first })
        self.keys = keys
    }

    /// The credential of `Authorization: Bearer <credential>` (scheme in any case) or of
    /// `x-api-key`. Read from the header's bytes: every request comes through here.
    static func credential(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let bytes = authorization.utf8
            let scheme = "bearer ".utf8
            guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 }) else { return nil }
            let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
            let rest = bytes.dropFirst(scheme.count)
            guard let first = rest.firstIndex(where: { !isBlank($0) }), let last = rest.lastIndex(where: { !isBlank($0) }) else {
                return nil
            }
            return String(Substring(authorization.utf8[first...last]))
        }
        if let key = headers[.xAPIKey], !key.isEmpty { return key }
        // What the Gemini SDKs send (the Gemini door moves a `?key=` here).
        if let key = headers[.xGoogAPIKey], !key.isEmpty { return key }
        return nil
    }

    func authenticate(_ headers: HTTPFields, now: Double) async throws -> Principal {
        guard let credential = Self.credential(in: headers) else {
            throw GatewayError.unauthorized("A credential is required: 'Authorization: Bearer <token or key>' or 'x-api-key: <key>'.")
        }
        if credential.hasPrefix("sk-") {
            return try await self.authenticate(key: credential, now: now)
        }
        guard let signer = self.signer else {
            throw GatewayError.unauthorized("The credential is not a known API key.")
        }
        let claims: SessionClaims
        if let cached = self.verifiedTokens.withLock({ $0[credential] }) {
            guard cached.exp > Int(now) else { throw GatewayError.unauthorized("The token has expired.") }
            claims = cached
        } else {
            claims = try signer.verify(credential, now: Int(now))
            self.verifiedTokens.withLock { cache in
                if cache.count >= Self.maximumCachedTokens { cache.removeAll(keepingCapacity: true) }
                cache[credential] = claims
            }
        }
        let user = try self.activeUser(claims.sub)
        return Principal(user: user.username, tier: user.tier, credentialID: "jwt:" + claims.jti, key: nil)
    }

    private func authenticate(key plaintext: String, now: Double) async throws -> Principal {
        guard let key = try await self.keys.key(hash: VirtualKey.hash(plaintext), now: now) else {
            throw GatewayError.unauthorized("The API key is not valid.")
        }
        if let expiresAt = key.expiresAt, Double(expiresAt) <= now {
            throw GatewayError.unauthorized("The API key has expired.")
        }
        if key.disabled { throw GatewayError.forbidden("The API key is disabled.") }
        let user = try self.activeUser(key.user)
        return Principal(user: user.username, tier: user.tier, credentialID: "key:" + key.id, key: key)
    }

    private func activeUser(_ username: String) throws(GatewayError) -> AuthUser {
        guard let user = self.users[username] else { throw .unauthorized("The credential's user is not known.") }
        if user.disabled { throw .forbidden("The user is disabled.") }
        return user
    }
}
