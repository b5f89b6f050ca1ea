import Crypto
import FoundationEssentials

/// Seals upstream secrets (API keys, OAuth tokens) for the state store with AES-256-GCM under a
/// key derived from `PROXY_MASTER_KEY` (HKDF-SHA256), so a copy of the database alone gives
/// nothing away. Sealed text is `enc:v1:` and base64 of nonce, ciphertext and tag.
public struct SecretBox: Sendable {
    public static let environmentVariable = "PROXY_MASTER_KEY"
    static let prefix = "enc:v1:"

    public struct CannotOpen: Error, Sendable, CustomStringConvertible {
        public var description: String { "a stored secret does not open with this PROXY_MASTER_KEY (wrong key, or the data was changed)" }
    }

    /// The derived key's bytes (`SymmetricKey` is not `Sendable`).
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: self.keyBytes) }

    /// `masterKey` is any secret string of at least 16 characters.
    public init?(masterKey: String) {
        guard masterKey.utf8.count >= 16 else { return nil }
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(masterKey.utf8)), info: Array("swift-llm-gateway secrets v1".utf8),
            outputByteCount: 32)
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    public func seal(_ secret: String) -> String {
        // AES-GCM with a random nonce cannot fail for in-memory inputs.
        let box = try! AES.GCM.seal(Array(secret.utf8), using: self.key)
        return Self.prefix + box.combined!.base64EncodedString()
    }

    public func open(_ sealed: String) throws(CannotOpen) -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))),
            let box = try? AES.GCM.SealedBox(combined: data), let plain = try? AES.GCM.open(box, using: self.key),
            let text = String(bytes: plain, encoding: .utf8)
        else { throw CannotOpen() }
        return text
    }
}
