import Crypto
import FoundationEssentials

/// The claims of a gateway session token.
public struct SessionClaims: Sendable, Equatable, Codable {
    public var sub: String
    public var tier: String
    public var iat: Int
    public var exp: Int
    public var jti: String

    public init(sub: String, tier: String, iat: Int, exp: Int, jti: String) {
        self.sub = sub
        self.tier = tier
        self.iat = iat
        self.exp = exp
        self.jti = jti
    }
}

/// HS256 JSON Web Tokens (RFC 7519), signed and checked strictly: the header must say HS256,
/// the signature is compared in constant time, and the token must not have expired.
public struct JWTSigner: Sendable {
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: self.secret) }
    private static let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    public init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    public func sign(_ claims: SessionClaims) -> String {
        let payload = Base64URL.encode((try? JSONEncoder().encode(claims)).map { Array($0) } ?? [])
        let signingInput = "\(Self.header).\(payload)"
        let signature = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: self.key)
        return "\(signingInput).\(Base64URL.encode(signature))"
    }

    /// The claims of a token this signer made that has not expired at `now` (unix seconds).
    public func verify(_ token: String, now: Int) throws(GatewayError) -> SessionClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let payloadBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2])
        else { throw .unauthorized("The token is malformed.") }
        guard let header = try? JSONDecoder().decode(Header.self, from: Data(headerBytes)), header.alg == "HS256" else {
            // `none`, RS256 and friends: this gateway signs with HS256 only.
            throw .unauthorized("The token's algorithm is not accepted.")
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: self.key) else {
            throw .unauthorized("The token's signature is not valid.")
        }
        guard let claims = try? JSONDecoder().decode(SessionClaims.self, from: Data(payloadBytes)) else {
            throw .unauthorized("The token's claims are malformed.")
        }
        guard claims.exp > now else { throw .unauthorized("The token has expired.") }
        return claims
    }

    private struct Header: Decodable {
        var alg: String
    }
}
