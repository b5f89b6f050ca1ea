import FoundationEssentials
import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct JSONScannerTests {
    static func scans(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { buffer in
            (try? JSONScanner.members(ofObject: UnsafeRawBufferPointer(buffer)) { (_, _) throws(JSONScanner.Invalid) in }) != nil
        }
    }

    static func decodes(_ text: String) -> Bool {
        guard case .object = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return false }
        return true
    }

    /// The scanner accepts exactly what `JSONDecoder` accepts as an object, on both sides of
    /// every rule it checks.
    @Test(arguments: [
        #"{}"#, #" { } "#, #"{"a":1}"#, #"{"a":-0.5e+10,"b":[1,2,{"c":null}],"d":true,"e":false}"#,
        #"{"s":"esc \" \\ \/ \b \f \n \r \t \u00e9 done"}"#, #"{"a":[]}"#, #"{"a":[ ]}"#, #"{"u":"héllo ☃"}"#,
        #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#, #"{"a":1e}"#, #"{"a":-}"#,
        #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":"\u12G4"}"#, "{\"a\":\"tab\there\"}", #"{"a":tru}"#, #"{"a":nul}"#,
        #"{"a":1} x"#, #"{"a":1}{}"#, #"[1]"#, #""text""#, #"{"a" 1}"#, #"{a:1}"#, #"{"a":1"b":2}"#, "", "{", #"{"a":"open}"#,
        #"{"a":[1,2}"#, #"{"a":{"b":1]}"#,
    ])
    func agreesWithJSONDecoder(text: String) {
        #expect(Self.scans(text) == Self.decodes(text), "\(text)")
    }

    /// Trailing commas: RFC 8259 has none; Foundation's decoder lets them through, the
    /// providers' parsers do not, so the gateway answers the 400 itself.
    @Test(arguments: [#"{"a":1,}"#, #"{"a":[1,]}"#, #"{"a":{"b":1,},"c":2}"#])
    func refusesTrailingCommas(text: String) {
        #expect(!Self.scans(text))
    }

    @Test func refusesDocumentsDeeperThanTheDecoderLimit() {
        let shallow = #"{"a":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        let deep = #"{"a":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        #expect(Self.scans(shallow))
        #expect(!Self.scans(deep))
    }

    @Test func reportsTopLevelMembersWithTheirSpans() throws {
        let text = #"{ "model" : "gpt-4o", "messages":[{"model":"inner"}], "stream":true }"#
        var seen: [(String, JSONScanner.Kind, String)] = []
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { buffer in
            let raw = UnsafeRawBufferPointer(buffer)
            try JSONScanner.members(ofObject: raw) { key, value throws(JSONScanner.Invalid) in
                seen.append((String(decoding: key, as: UTF8.self), value.kind, String(decoding: raw[value.range], as: UTF8.self)))
            }
        }
        #expect(seen.map(\.0) == ["model", "messages", "stream"])
        #expect(seen.map(\.1) == [.string, .array, .bool])
        #expect(seen.map(\.2) == [#""gpt-4o""#, #"[{"model":"inner"}]"#, "true"])
    }

    /// Strings are read 16 bytes to a step: a quote, an escape or a control character at every
    /// lane of a block and across a block's edge is found where it is.
    @Test func findsEverySpecialByteAtEveryLane() throws {
        for lane in 0..<40 {
            let before = String(repeating: "a", count: lane)
            for (special, valid) in [(#"\""#, true), (#"\\"#, true), (#"\n"#, true), (#"\u00e9"#, true), ("\t", false), ("\u{01}", false)] {
                let text = #"{"a":""# + before + special + String(repeating: "b", count: 37) + #"","z":1}"#
                #expect(Self.scans(text) == valid, "\(lane) \(special)")
                #expect(Self.decodes(text) == valid, "\(lane) \(special)")
            }
            // The closing quote itself at every lane: the next member is found after it.
            let text = #"{"a":""# + before + #"","b":"# + "[" + String(repeating: "1,", count: 20) + "1]}"
            var keys: [String] = []
            var bytes = Array(text.utf8)
            try bytes.withUnsafeMutableBytes { buffer in
                try JSONScanner.members(ofObject: UnsafeRawBufferPointer(buffer)) { key, _ throws(JSONScanner.Invalid) in
                    keys.append(String(decoding: key, as: UTF8.self))
                }
            }
            #expect(keys == ["a", "b"], "\(lane)")
            // Unterminated at every length: refused, and nothing is read past the end.
            #expect(!Self.scans(#"{"a":""# + before))
        }
    }

    /// Random strings of quotes, escapes, control characters, non-ASCII text and plain bytes
    /// (a fixed seed: the same cases every run): the scanner and `JSONDecoder` agree on each.
    @Test func agreesWithJSONDecoderOnRandomStrings() {
        let alphabet = [
            "a", "bcdefghijklmnop", "\"", #"\""#, #"\\"#, #"\n"#, #"\u00e9"#, #"\u12"#, #"\x"#, "\\", "é", "☃", "\u{1F}", "\t", " ",
        ]
        var random = SplitMix64(seed: 29)
        for _ in 0..<2_000 {
            var inner = ""
            for _ in 0..<Int(random.next() % 24) { inner += alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let text = #"{"a":""# + inner + #"","b":[1,"x"]}"#
            #expect(Self.scans(text) == Self.decodes(text), "\(text)")
        }
    }

    static func decodedValue(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// `JSONValue(parsing:)` (the scanner building values) reads every document as
    /// `JSONDecoder` reads it, and refuses what it refuses.
    @Test(arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#, #"[1,-2,3.5,-0.25e-3,1E+2,0,-0]"#, #""top""#, "42", " null ",
        #"{"s":"esc \" \\ \/ \b \f \n \r \t \u00e9 \u2603 done"}"#, #"{"pair":"\uD83D\uDE00","bmp":"\uFFFD"}"#,
        #"{"lone":"\uD83D"}"#, #"{"lone":"\uDE00x"}"#, #"{"bad":"\uD83D\u0041"}"#, "{\"raw\":\"caf\u{E9} \u{1F600}\"}",
        #"{"big":123456789012345678901234567890}"#, #"{"inf":1e400}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\x"}"#,
        "{\"a\":\"tab\there\"}", #"{"a":1} x"#, #"[1,]"#, #"{"a":[1,2}"#, "", "   ",
    ])
    func parsesValuesAsJSONDecoderDoes(text: String) {
        let parsed = JSONValue(parsing: text)
        let decoded = Self.decodedValue(text)
        #expect((parsed == nil) == (decoded == nil), "\(text): \(String(describing: parsed)) vs \(String(describing: decoded))")
        if let parsed, let decoded { #expect(parsed == decoded, "\(text)") }
        #expect(JSONValue(parsing: ByteBuffer(string: text)) == parsed)
    }

    /// Random documents (a fixed seed): written by `JSONWriter` and read back, by the scanner
    /// and by `JSONDecoder`, they are what was written.
    @Test func readsBackRandomDocuments() {
        var random = SplitMix64(seed: 27)
        let texts = [
            "", "plain", "quote \" and \\ backslash", "line\nbreak\ttab\u{01}", "é ☃ 😀", String(repeating: "long text ", count: 20),
        ]
        func value(depth: Int) -> JSONValue {
            switch random.next() % (depth > 4 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(random.next() % 2 == 0)
            case 2: return .int(Int(truncatingIfNeeded: random.next()) >> Int(random.next() % 60))
            case 3: return .double(Double(Int(random.next() % 10_000)) / 64)
            case 4: return .string(texts[Int(random.next() % UInt64(texts.count))])
            case 5: return .array((0..<Int(random.next() % 5)).map { _ in value(depth: depth + 1) })
            default:
                var object = JSONObject()
                for index in 0..<Int(random.next() % 5) { object["k\(index)" + texts[Int(random.next() % 3)]] = value(depth: depth + 1) }
                return .object(object)
            }
        }
        for _ in 0..<500 {
            let document = value(depth: 0)
            let text = document.encodedString
            #expect(JSONValue(parsing: text) == document, "\(text)")
            #expect(Self.decodedValue(text) == document, "\(text)")
        }
    }

    @Test func refusesValuesDeeperThanTheDecoderLimit() {
        #expect(JSONValue(parsing: String(repeating: "[", count: 512) + String(repeating: "]", count: 512)) != nil)
        #expect(JSONValue(parsing: String(repeating: "[", count: 513) + String(repeating: "]", count: 513)) == nil)
        #expect(Self.decodedValue(String(repeating: "[", count: 513) + String(repeating: "]", count: 513)) == nil)
    }

    /// Each byte a string cannot hold as is, escaped as JSON writes it, at any place in a text
    /// longer than one slice of the writer.
    @Test func writesEveryEscape() {
        var short = JSONWriter()
        short.appendString("a\"b\\c\nd\re\tf\u{01}\u{1F}g/é")
        #expect(String(buffer: short.buffer) == #""a\"b\\c\nd\re\tf\u0001\u001fg/é""#)
        let long = String(repeating: "x\"\u{02}", count: 3_000) + String(repeating: "é", count: 5_000)
        var writer = JSONWriter()
        writer.appendString(long)
        #expect(JSONValue(parsing: writer.buffer) == .string(long))
    }
}
