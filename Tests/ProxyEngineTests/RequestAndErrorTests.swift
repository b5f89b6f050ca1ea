import FoundationEssentials
import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct CompletionRequestSummaryTests {
    func summary(_ json: String) throws(GatewayError) -> CompletionRequestSummary {
        try CompletionRequestSummary(body: ByteBuffer(string: json))
    }

    @Test func readsModelAndStream() throws {
        let plain = try self.summary(#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#)
        #expect(plain.model == "gpt-4o")
        #expect(!plain.stream)
        #expect(!plain.hasStreamOptions)
        let streamed = try self.summary(#"{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"stream":true,"model":"m"}"#)
        #expect(streamed.stream)
    }

    @Test func readsStreamOptionsSessionAndEscapedModel() throws {
        let body = #"""
            {"model":"claude-\u0073onnet","messages":[{"role":"user","content":"hi"}],"stream":true,
             "stream_options":{"include_usage":true},"metadata":{"user_id":"user_42"},"temperature":null}
            """#
        let summary = try self.summary(body)
        #expect(summary.model == "claude-sonnet")
        #expect(summary.stream && summary.hasStreamOptions && summary.includeUsage)
        #expect(summary.sessionKey == "user_42")
        let nulls = try self.summary(#"{"model":"m","messages":[1],"stream":null,"stream_options":{"include_usage":null}}"#)
        #expect(!nulls.stream && nulls.hasStreamOptions && !nulls.includeUsage && nulls.sessionKey == nil)
    }

    @Test(arguments: [
        (#"{"model":"gpt-4o","messages":["#, "not valid JSON"),
        ("", "not valid JSON"),
        (#"{"messages":[{"role":"user","content":"hi"}]}"#, "'model' is required"),
        (#"{"model":"","messages":[{"role":"user","content":"hi"}]}"#, "'model' is required"),
        (#"{"model":"m"}"#, "'messages' is required"),
        (#"{"model":"m","messages":[]}"#, "at least one message"),
        (#"{"model":42,"messages":[{"role":"user"}]}"#, "'model' has the wrong type"),
        (#"{"model":"m","messages":{"role":"user"}}"#, "'messages' has the wrong type"),
        (#"{"model":"m","stream":"yes","messages":[{"role":"user"}]}"#, "'stream' has the wrong type"),
        (#"{"model":"m","messages":[ ]}"#, "at least one message"),
        (#"{"model":"m","messages":[1],"stream_options":{"include_usage":1}}"#, "'stream_options.include_usage' has the wrong type"),
        (#"{"model":"m","messages":[1],"metadata":{"user_id":7}}"#, "'metadata.user_id' has the wrong type"),
        (#"{"model":"m","messages":[1],"temperature":0.7,}"#, "not valid JSON"),
        (#"["model"]"#, "not valid JSON"),
    ])
    func malformedRequestsAre400NamingTheField(json: String, expected: String) {
        do {
            _ = try self.summary(json)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct JSONModelRewriterTests {
    @Test func replacesOnlyTheTopLevelModel() throws {
        let body =
            #"{ "messages":[{"role":"user","content":"the \"model\": x","model":"inner"}], "temperature":0.7 , "model" : "gpt-4o" ,"n":1}"#
        let rewritten = try #require(JSONModelRewriter.rewritingModel(in: ByteBuffer(string: body), to: "deepseek-chat"))
        #expect(
            String(buffer: rewritten)
                == #"{ "messages":[{"role":"user","content":"the \"model\": x","model":"inner"}], "temperature":0.7 , "model" : "deepseek-chat" ,"n":1}"#
        )
    }

    @Test func escapesTheNewName() throws {
        let rewritten = try #require(JSONModelRewriter.rewritingModel(in: ByteBuffer(string: #"{"model":"a"}"#), to: #"we"ird"#))
        #expect(String(buffer: rewritten) == #"{"model":"we\"ird"}"#)
    }

    /// The summary's `modelRange` splices the alias where a search would have: the body is read
    /// once, by the summary, whatever its size.
    @Test(arguments: [
        #"{ "messages":[{"role":"user","content":"the \"model\": x","model":"inner"}], "model" : "gpt-4o" ,"n":1}"#,
        #"{"model":"gpt\u002d4o","messages":[{"role":"user","content":"hi"}]}"#,
        #"{"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o"}"#,
    ])
    func splicesAtTheSummarisedRange(body: String) throws {
        let buffer = ByteBuffer(string: body)
        let summary = try CompletionRequestSummary(body: buffer)
        let range = try #require(summary.modelRange)
        let searched = JSONModelRewriter.rewritingModel(in: buffer, to: "deepseek-chat")
        #expect(JSONModelRewriter.rewritingModel(in: buffer, to: "deepseek-chat", at: range) == searched)
        #expect(searched.map { String(buffer: $0).contains(#""deepseek-chat""#) } == true)
        var bridge = FormatBridge(caller: .openAI, upstream: .openAI)
        let upstream = try bridge.upstreamBody(buffer, upstreamModel: "deepseek-chat", isAliased: true, modelRange: range)
        #expect(try CompletionRequestSummary(body: upstream).model == "deepseek-chat")
    }

    @Test func noTopLevelModelGivesNil() {
        #expect(JSONModelRewriter.rewritingModel(in: ByteBuffer(string: #"{"x":{"model":"a"}}"#), to: "b") == nil)
    }
}

@Suite(.timeLimit(.minutes(5))) struct GatewayErrorTests {
    @Test(arguments: [
        (GatewayError.badRequest("x"), 400), (.unauthorized("x"), 401), (.quotaExhausted("x"), 402), (.forbidden("x"), 403),
        (.unknownModel("m"), 404), (.queueTimeout("x"), 408), (.payloadTooLarge(limit: 1), 413),
        (.rateLimited("x", retryAfterSeconds: 1), 429), (.upstreamFailed("x"), 502), (.noHealthyAccount("x"), 503),
        (.upstreamTimeout(seconds: 1), 504),
    ])
    func statusTableMatchesTheContract(error: GatewayError, status: Int) {
        #expect(error.status == status)
    }

    @Test func openAIErrorBodyIsValidJSONInTheOpenAIShape() throws {
        let body = APIFormat.openAI.errorBody(.badRequest("bad \"quote\"\nand newline"))
        let json = try #require(try JSONSerializationLite.object(body))
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["message"] as? String == "bad \"quote\"\nand newline")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["code"] as? String == "invalid_request")
    }

    @Test func anthropicErrorBodyIsInTheAnthropicShape() throws {
        let json = try #require(
            try JSONSerializationLite.object(APIFormat.anthropic.errorBody(.rateLimited("slow down", retryAfterSeconds: 2))))
        #expect(json["type"] as? String == "error")
        let error = try #require(json["error"] as? [String: Any])
        #expect(error["type"] as? String == "rate_limit_error")
        #expect(error["message"] as? String == "slow down")
    }

    @Test func streamErrorEventsAreWholeEvents() {
        let openAI = String(buffer: APIFormat.openAI.streamErrorEvent(.upstreamFailed("gone")))
        #expect(openAI.hasPrefix("data: {\"error\":"))
        #expect(openAI.hasSuffix("}\n\n"))
        let anthropic = String(buffer: APIFormat.anthropic.streamErrorEvent(.upstreamFailed("gone")))
        #expect(anthropic.hasPrefix("event: error\ndata: {\"type\":\"error\""))
    }
}

@Suite(.timeLimit(.minutes(5))) struct SecretScrubberTests {
    @Test func removesEveryOccurrenceOfEveryKey() {
        let scrubber = SecretScrubber(secrets: ["sk-live-123456789", "sk-live-123456789-long", "short"])
        let scrubbed = scrubber.scrub("Incorrect API key provided: sk-live-123456789-long. Also sk-live-123456789 and short.")
        #expect(scrubbed == "Incorrect API key provided: [redacted]. Also [redacted] and short.")
    }

    @Test func aBufferWithNoKeyIsReturnedUncopied() {
        let scrubber = SecretScrubber(secrets: ["sk-live-123456789"])
        let buffer = ByteBuffer(string: String(repeating: "sk-live-12345678 is close but not it. ", count: 100))
        let scrubbed = scrubber.scrub(buffer)
        #expect(scrubbed == buffer)
        #expect(scrubbed.withUnsafeReadableBytes { $0.baseAddress } == buffer.withUnsafeReadableBytes { $0.baseAddress })
    }

    @Test func manyKeysAtEveryPlaceAreFound() {
        let keys = (0..<60).map { "sk-proj-\($0)-" + String(repeating: "x", count: $0 % 7) + "abcdefgh" }
        let scrubber = SecretScrubber(secrets: keys)
        for (index, key) in keys.enumerated() {
            let text = String(repeating: "a", count: index) + key + "|" + key + key
            #expect(scrubber.scrub(text) == String(repeating: "a", count: index) + "[redacted]|[redacted][redacted]")
        }
        #expect(scrubber.scrub(keys[5]) == "[redacted]")
    }

    @Test func keysAddedLaterAreScrubbedAndAChainedScrubberToo() {
        let tokens = SecretScrubber(secrets: [])
        let provider = SecretScrubber(secrets: ["sk-static-0123456789"], also: tokens)
        #expect(provider.scrub("t oauth-rotated-0123456789") == "t oauth-rotated-0123456789")
        tokens.add(["oauth-rotated-0123456789", "tiny"])
        #expect(provider.scrub("t oauth-rotated-0123456789 sk-static-0123456789 tiny") == "t [redacted] [redacted] tiny")
    }

    /// Events are whole when scrubbed: a key the upstream's reads split in two is caught.
    @Test func aKeySplitBetweenTwoReadsIsCaughtInTheWholeEvent() async throws {
        let key = "sk-split-secret-0123456789"
        let event = "data: {\"content\":\"\(key)\"}\n\n"
        let cut = event.utf8.count / 2
        let reads = [ByteBuffer(bytes: Array(event.utf8)[..<cut]), ByteBuffer(bytes: Array(event.utf8)[cut...])]
        let scrubber = SecretScrubber(secrets: [key])
        var output = ""
        let upstream = AsyncStream<ByteBuffer> { continuation in
            for read in reads { continuation.yield(read) }
            continuation.finish()
        }
        for try await batch in SSEEventBatches(upstream) { output += String(buffer: scrubber.scrub(batch.bytes)) }
        #expect(output == "data: {\"content\":\"[redacted]\"}\n\n")
    }
}

/// Issue #22, findings 1 and 2: what a body's size can cost is linear. The times are measured
/// in `proxy-bench --hostile-bodies`; these check that the linear paths still answer right.
@Suite(.timeLimit(.minutes(5))) struct LinearTimeInputTests {
    @Test func aRepeatedKeyFarApartInAManyKeyBodyIsFound() {
        var body = #"{"model":"m","messages":[{"role":"user","content":"x"}],"k0":1"#
        for index in 1..<5_000 { body += #","k\#(index)":1"# }
        #expect((try? CompletionRequestSummary(body: ByteBuffer(string: body + "}"))) != nil)
        let repeated = body + #","k2500":2}"#
        #expect(throws: GatewayError.self) { try CompletionRequestSummary(body: ByteBuffer(string: repeated)) }
        let escaped = body + #","k\u0032500":2}"#
        #expect(throws: GatewayError.self) { try CompletionRequestSummary(body: ByteBuffer(string: escaped)) }
    }

    @Test func aLargeObjectKeepsItsMembersInOrderAndFindsEach() throws {
        var text = "{"
        for index in 0..<2_000 { text += (index > 0 ? "," : "") + #""m\#(index)":\#(index)"# }
        let value = try #require(JSONValue(parsing: text + "}"))
        var object = try #require(value.objectValue)
        #expect(object.members.count == 2_000)
        #expect(object["m1999"] == .int(1999))
        #expect(object["m0"] == .int(0))
        object["m5"] = nil
        #expect(object["m5"] == nil)
        #expect(object["m6"] == .int(6))
        #expect(object.members.count == 1_999)
        object["new"] = .bool(true)
        #expect(object.members.last?.key == "new")
        #expect(object["new"] == .bool(true))
    }
}

/// Decodes JSON into Foundation-free dictionaries for assertions.
enum JSONSerializationLite {
    static func object(_ buffer: ByteBuffer) throws -> [String: Any]? {
        let value = try JSONDecoder().decode(AnyJSON.self, from: Data(buffer.readableBytesView))
        return value.value as? [String: Any]
    }
}

struct AnyJSON: Decodable {
    let value: Any

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var values: [Any] = []
            while !array.isAtEnd { values.append(try array.decode(AnyJSON.self).value) }
            self.value = values
        } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var values: [String: Any] = [:]
            for key in object.allKeys { values[key.stringValue] = try object.decode(AnyJSON.self, forKey: key).value }
            self.value = values
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self.value = NSNullLite()
            } else if let bool = try? single.decode(Bool.self) {
                self.value = bool
            } else if let int = try? single.decode(Int.self) {
                self.value = int
            } else if let double = try? single.decode(Double.self) {
                self.value = double
            } else {
                self.value = try single.decode(String.self)
            }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}

struct NSNullLite {}
