import Crypto
import FoundationEssentials

/// An OAuth 2.0 authorization request with PKCE (RFC 7636, method S256): the verifier stays
/// with the gateway, the authorize URL carries its SHA-256 challenge, and the code the user
/// brings back is only redeemable with the verifier.
public struct PKCE: Sendable, Equatable {
    /// 32 random bytes, base64url: 43 characters, within the RFC's 43...128.
    public let verifier: String
    /// Ties the callback to this request.
    public let state: String

    public init() {
        self.init(verifier: Base64URL.encode(Self.randomBytes(32)), state: Base64URL.encode(Self.randomBytes(16)))
    }

    public init(verifier: String, state: String) {
        self.verifier = verifier
        self.state = state
    }

    /// `BASE64URL(SHA256(verifier))`.
    public var challenge: String { Base64URL.encode(Array(SHA256.hash(data: Array(self.verifier.utf8)))) }

    /// The URL the user opens to authorize the gateway.
    public func authorizeURL(_ settings: OAuthSettings) -> String {
        let query: [(String, String)] = [
            ("code", "true"),
            ("client_id", settings.clientID),
            ("response_type", "code"),
            ("redirect_uri", settings.redirectURI),
            ("scope", settings.scopes.joined(separator: " ")),
            ("code_challenge", self.challenge),
            ("code_challenge_method", "S256"),
            ("state", self.state),
        ]
        let encoded = query.map { "\($0.0)=\(Self.percentEncoded($0.1))" }.joined(separator: "&")
        return settings.authorizeURL + (settings.authorizeURL.contains("?") ? "&" : "?") + encoded
    }

    static func percentEncoded(_ value: String) -> String {
        var result = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}
