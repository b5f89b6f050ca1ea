import FoundationEssentials

/// The keys of a request body's top-level object, checked as they are scanned so that the body
/// the gateway judged is the body every upstream reads.
///
/// JSON parsers disagree on what they do with a repeated key (Python's keeps the last, the
/// gateway's scanner the first) and Go's matches keys case-insensitively: a body with
/// `"model":"allowed"` and a second `"model"`, `"mod\u0065l"` or `"Model"` would be checked
/// against one model and served another. Such a body is refused.
struct TopLevelKeys {
    private let body: UnsafeRawBufferPointer
    /// Keys seen so far: where a plain key is in the body, or an escaped key's decoded bytes.
    private var seen: [Key] = []
    /// Past a few keys, each key's hash leads to the last earlier key with the same hash, and
    /// `earlierWithSameHash` to the one before: a body of a million keys is checked in linear
    /// time (`Hasher` is seeded per process, so a client cannot choose colliding keys).
    private var lastWithHash: [Int: Int] = [:]
    private var earlierWithSameHash: [Int] = []

    private static let linearSearchLimit = 16

    private enum Key {
        case plain(Range<Int>)
        case decoded([UInt8])
    }

    /// The fields whose value decides routing or streaming: no variant of their name may appear.
    private static let guarded = ["model", "stream"]

    init(_ body: UnsafeRawBufferPointer) {
        self.body = body
        self.seen.reserveCapacity(16)
    }

    /// Adds the raw bytes of one key (between its quotes, a slice of `body`); returns why the
    /// body must be refused, if it must.
    mutating func add(_ raw: UnsafeRawBufferPointer) -> GatewayError? {
        let key: Key
        let escaped = raw.contains(UInt8(ascii: "\\"))
        if escaped {
            guard let decoded = Self.decode(raw) else { return .badRequest("The request body has a key that is not a valid string.") }
            key = .decoded(decoded)
        } else {
            let start = raw.baseAddress! - self.body.baseAddress!
            key = .plain(start..<(start + raw.count))
        }
        let problem = self.withBytes(of: key) { name -> GatewayError? in
            if let guarded = Self.guardedName(folding: name), escaped || !name.elementsEqual(guarded.utf8) {
                return .badRequest("'\(guarded)' must be spelled exactly so, once, with no escapes; the body has a variant of it.")
            }
            if self.isSeen(name) {
                return .badRequest("The request body has the key '\(Self.printable(name))' more than once.")
            }
            return nil
        }
        if problem == nil { self.remember(key) }
        return problem
    }

    private func isSeen(_ name: UnsafeRawBufferPointer) -> Bool {
        guard self.seen.count > Self.linearSearchLimit else {
            return self.seen.contains { self.withBytes(of: $0, { $0.elementsEqual(name) }) }
        }
        var candidate = self.lastWithHash[Self.hash(name)]
        while let index = candidate {
            if self.withBytes(of: self.seen[index], { $0.elementsEqual(name) }) { return true }
            candidate = self.earlierWithSameHash[index] < 0 ? nil : self.earlierWithSameHash[index]
        }
        return false
    }

    private mutating func remember(_ key: Key) {
        self.seen.append(key)
        if self.seen.count == Self.linearSearchLimit + 1 {
            for index in self.seen.indices { self.indexKey(at: index) }
        } else if self.seen.count > Self.linearSearchLimit + 1 {
            self.indexKey(at: self.seen.count - 1)
        }
    }

    private mutating func indexKey(at index: Int) {
        let hash = self.withBytes(of: self.seen[index], Self.hash)
        self.earlierWithSameHash.append(self.lastWithHash[hash] ?? -1)
        self.lastWithHash[hash] = index
    }

    private static func hash(_ name: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: name)
        return hasher.finalize()
    }

    private func withBytes<Result>(of key: Key, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        switch key {
        case .plain(let range): body(UnsafeRawBufferPointer(rebasing: self.body[range]))
        case .decoded(let bytes): bytes.withUnsafeBytes(body)
        }
    }

    /// The guarded field `name` spells under the folding a case-insensitive parser applies
    /// (ASCII case, and the long s `ſ` that Unicode folds to `s`), if any.
    private static func guardedName(folding name: UnsafeRawBufferPointer) -> String? {
        guard name.count >= 5 && name.count <= 12 else { return nil }
        var folded: [UInt8] = []
        var index = 0
        while index < name.count {
            let byte = name[index]
            if byte == 0xC5, index + 1 < name.count, name[index + 1] == 0xBF {
                folded.append(UInt8(ascii: "s"))
                index += 2
                continue
            }
            folded.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
            index += 1
        }
        return Self.guarded.first { folded.elementsEqual($0.utf8) }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer) -> [UInt8]? {
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.append(contentsOf: raw)
        quoted.append(UInt8(ascii: "\""))
        return (try? JSONDecoder().decode(String.self, from: Data(quoted))).map { Array($0.utf8) }
    }

    /// A key as it may appear in an error message: short, printable.
    private static func printable(_ name: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: name.prefix(64), as: UTF8.self)
        return String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
    }
}
