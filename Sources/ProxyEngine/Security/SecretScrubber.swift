import NIOCore
import Synchronization

/// Removes the secrets the gateway holds for a provider (API keys, OAuth access and refresh
/// tokens) from everything it relays: whole answers, every streamed event, error bodies, and the
/// upstream text it logs. An upstream that quotes the credential it was sent must not hand it
/// to the caller.
///
/// Secrets can be added while it is in use (an OAuth token rotates); a scrub reads the set as
/// it is when the scrub starts. A provider's keys and its OAuth manager's tokens live in two
/// scrubbers, the second `also` scrubbed by the first, because the manager outlives a reload.
public final class SecretScrubber: Sendable {
    public static let replacement = "[redacted]"
    private let search: Mutex<SecretSearch?>
    private let also: SecretScrubber?

    public init(secrets: [String], also: SecretScrubber? = nil) {
        self.search = Mutex(SecretSearch(secrets: Self.keyLike(secrets)))
        self.also = also
    }

    /// Adds secrets to the set; those already in it are ignored.
    public func add(_ secrets: [String]) {
        let added = Self.keyLike(secrets)
        guard !added.isEmpty else { return }
        self.search.withLock { search in
            let known = search?.secrets ?? []
            let new = added.filter { !known.contains($0) }
            guard !new.isEmpty else { return }
            search = SecretSearch(secrets: known + new)
        }
    }

    /// `buffer` with every secret replaced; `buffer` itself (no copy) when it holds none.
    public func scrub(_ buffer: ByteBuffer) -> ByteBuffer {
        var output = buffer
        if let search = self.search.withLock({ $0 }) { output = search.scrub(output) }
        if let also = self.also { output = also.scrub(output) }
        return output
    }

    public func scrub(_ text: String) -> String {
        String(buffer: self.scrub(ByteBuffer(string: text)))
    }

    /// Very short strings are not keys and would mangle ordinary text.
    private static func keyLike(_ secrets: [String]) -> [[UInt8]] {
        var unique: [[UInt8]] = []
        for secret in secrets where secret.utf8.count >= 8 {
            let bytes = Array(secret.utf8)
            if !unique.contains(bytes) { unique.append(bytes) }
        }
        return unique
    }
}

/// A multi-pattern search over a fixed set of secrets (Wu–Manber with two-byte blocks): it looks
/// at one two-byte block per window and skips as far as no secret can start, so a body with no
/// secret costs about one table look-up per `window - 1` bytes rather than a comparison per byte.
///
/// Every secret is at least `window` bytes long; a window's last block that ends some secret's
/// first `window` bytes names the secrets to compare there, longest first, so the leftmost and
/// longest secret is replaced whole. The time is linear in the bytes searched times the secrets
/// sharing a block, whatever the bytes.
struct SecretSearch: Sendable {
    let secrets: [[UInt8]]
    private let window: Int
    /// How far the window may move when its last block is this one (0: compare here).
    private let shifts: [UInt8]
    /// For each block with shift 0: the secrets whose first `window` bytes end with it.
    private let candidates: [UInt16: [Int]]

    init?(secrets: [[UInt8]]) {
        guard !secrets.isEmpty else { return nil }
        let secrets = secrets.sorted { $0.count > $1.count }
        let window = min(secrets.map(\.count).min()!, 128)
        var shifts = [UInt8](repeating: UInt8(window - 1), count: 1 << 16)
        var candidates: [UInt16: [Int]] = [:]
        for (index, secret) in secrets.enumerated() {
            for end in 1..<window {
                let block = UInt16(secret[end - 1]) << 8 | UInt16(secret[end])
                let shift = window - 1 - end
                if shift < shifts[Int(block)] { shifts[Int(block)] = UInt8(shift) }
                if shift == 0 { candidates[block, default: []].append(index) }
            }
        }
        self.secrets = secrets
        self.window = window
        self.shifts = shifts
        self.candidates = candidates
    }

    func scrub(_ buffer: ByteBuffer) -> ByteBuffer {
        guard buffer.readableBytes >= self.window else { return buffer }
        let matches = buffer.withUnsafeReadableBytes { self.matches(in: $0) }
        guard !matches.isEmpty else { return buffer }
        var output = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
        var from = buffer.readerIndex
        for match in matches {
            output.writeImmutableBuffer(buffer.getSlice(at: from, length: buffer.readerIndex + match.lowerBound - from)!)
            output.writeString(SecretScrubber.replacement)
            from = buffer.readerIndex + match.upperBound
        }
        output.writeImmutableBuffer(buffer.getSlice(at: from, length: buffer.writerIndex - from)!)
        return output
    }

    /// Where the secrets are in `bytes`, leftmost first, none overlapping.
    func matches(in bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var found: [Range<Int>] = []
        let count = bytes.count
        var end = self.window - 1
        self.shifts.withUnsafeBufferPointer { shifts in
            while end < count {
                let block = UInt16(bytes[end - 1]) << 8 | UInt16(bytes[end])
                let shift = Int(shifts[Int(block)])
                if shift > 0 {
                    end += shift
                    continue
                }
                let start = end - (self.window - 1)
                var matched = 0
                for index in self.candidates[block] ?? [] {
                    let secret = self.secrets[index]
                    guard start + secret.count <= count else { continue }
                    if UnsafeRawBufferPointer(rebasing: bytes[start..<(start + secret.count)]).elementsEqual(secret) {
                        matched = secret.count
                        break
                    }
                }
                if matched > 0 {
                    found.append(start..<(start + matched))
                    end = start + matched + self.window - 1
                } else {
                    end += 1
                }
            }
        }
        return found
    }
}
