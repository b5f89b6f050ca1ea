import FoundationEssentials
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
}
