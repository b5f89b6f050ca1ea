import Crypto
import FoundationEssentials
import _CryptoExtras

/// Password hashes for `auth.users[].password_hash`: scrypt (memory-hard), written as
/// `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` with base64url salt and hash.
///
/// Deriving one takes tens of milliseconds on purpose: callers run it off the event loops.
public enum PasswordHash {
    public static let logRounds = 15
    public static let blockSize = 8
    public static let parallelism = 1

    public static func make(password: String) throws -> String {
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
        let hash = try self.derive(
            password: password, salt: salt, logRounds: self.logRounds, blockSize: self.blockSize, parallelism: self.parallelism)
        return "scrypt$\(self.logRounds)$\(self.blockSize)$\(self.parallelism)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }

    /// Whether `password` matches `encoded`; false for a hash in a form this does not know.
    public static func verify(password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt",
            let logRounds = Int(parts[1]), (10...20).contains(logRounds),
            let blockSize = Int(parts[2]), (1...16).contains(blockSize),
            let parallelism = Int(parts[3]), (1...4).contains(parallelism),
            let salt = Base64URL.decode(parts[4]), let expected = Base64URL.decode(parts[5]), expected.count == 32,
            let actual = try? self.derive(
                password: password, salt: salt, logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        else { return false }
        return ConstantTime.equal(actual, expected)
    }

    /// Whether `encoded` is a hash this type can check (for start-up validation).
    public static func isWellFormed(_ encoded: String) -> Bool {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "scrypt" && Int(parts[1]) != nil && Base64URL.decode(parts[4]) != nil
            && Base64URL.decode(parts[5])?.count == 32
    }

    private static func derive(password: String, salt: [UInt8], logRounds: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            outputByteCount: 32,
            rounds: 1 << logRounds,
            blockSize: blockSize,
            parallelism: parallelism
        )
        return key.withUnsafeBytes { Array($0) }
    }
}

/// Comparisons whose time does not depend on where two secrets differ.
public enum ConstantTime {
    public static func equal<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
