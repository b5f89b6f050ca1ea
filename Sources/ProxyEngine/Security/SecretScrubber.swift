import NIOCore

/// Removes known secrets (upstream keys) from bytes the gateway relays, e.g. an upstream error
/// that quotes the key it was sent.
public struct SecretScrubber: Sendable {
    public static let replacement = "[redacted]"
    private let secrets: [[UInt8]]

    public init(secrets: [String]) {
        // Longest first, so a key that contains another is replaced whole. Very short strings are
        // not keys and would mangle ordinary text.
        self.secrets = secrets.filter { $0.utf8.count >= 8 }.map { Array($0.utf8) }.sorted { $0.count > $1.count }
    }

    public func scrub(_ buffer: ByteBuffer) -> ByteBuffer {
        guard !self.secrets.isEmpty else { return buffer }
        let bytes = Array(buffer.readableBytesView)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        outer: while index < bytes.count {
            for secret in self.secrets where bytes.count - index >= secret.count && bytes[index] == secret[0] {
                if bytes[index..<(index + secret.count)].elementsEqual(secret) {
                    output.append(contentsOf: Self.replacement.utf8)
                    index += secret.count
                    changed = true
                    continue outer
                }
            }
            output.append(bytes[index])
            index += 1
        }
        return changed ? ByteBuffer(bytes: output) : buffer
    }

    public func scrub(_ text: String) -> String {
        String(buffer: self.scrub(ByteBuffer(string: text)))
    }
}
