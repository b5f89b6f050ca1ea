import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct EmbeddingsTests {
    @Test func aRequestReadsItsInputsEncodingAndDimensions() throws {
        let request = try EmbeddingsRequest(
            body: ByteBuffer(string: #"{"model":"m","input":["abcd",[1,2]],"encoding_format":"base64","dimensions":8}"#))
        #expect(request.inputs == ["abcd", "1 2"])
        #expect(request.base64 && request.dimensions == 8)
        #expect(request.estimatedTokens == 2)
    }

    @Test(arguments: [
        #"{"input":"x"}"#, #"{"model":"m"}"#, #"{"model":"m","input":[]}"#, #"{"model":"m","input":7}"#,
        #"{"model":"m","input":"x","encoding_format":"hex"}"#, #"{"model":"m","input":"x","dimensions":0}"#, "[]",
    ])
    func aMalformedRequestIsRefused(body: String) {
        #expect(throws: GatewayError.self) { try EmbeddingsRequest(body: ByteBuffer(string: body)) }
    }

    /// Token arrays are marked (a text-only provider refuses them), and the 2,048 cap counts
    /// inputs, not the tokens of one input.
    @Test func tokenInputIsMarkedAndOneLongTokenInputIsAccepted() throws {
        #expect(try !EmbeddingsRequest(body: ByteBuffer(string: #"{"model":"m","input":["a","b"]}"#)).isTokens)
        #expect(try EmbeddingsRequest(body: ByteBuffer(string: #"{"model":"m","input":[[1,2],[3]]}"#)).isTokens)
        let longTokens = "[" + (0..<3_000).map(String.init).joined(separator: ",") + "]"
        let long = try EmbeddingsRequest(body: ByteBuffer(string: #"{"model":"m","input":\#(longTokens)}"#))
        #expect(long.isTokens && long.inputs.count == 1)
        let tooMany = "[" + Array(repeating: #""x""#, count: EmbeddingsRequest.maximumInputs + 1).joined(separator: ",") + "]"
        #expect(throws: GatewayError.self) { try EmbeddingsRequest(body: ByteBuffer(string: #"{"model":"m","input":\#(tooMany)}"#)) }
    }

    @Test func geminiBatchesOneRequestPerInputAndAnswersInOrder() throws {
        let request = try EmbeddingsRequest(body: ByteBuffer(string: #"{"model":"e","input":["a","b"]}"#))
        let batches = GeminiEmbeddings.requests(request, model: "gemini-embedding-001")
        #expect(batches.count == 1 && batches[0].body["requests"]?.arrayValue?.count == 2)
        #expect(batches[0].body["requests"]?.arrayValue?[1]["content"] == json(#"{"parts":[{"text":"b"}]}"#))
        #expect(batches[0].estimatedTokens == request.estimatedTokens)
        let answer = json(#"{"embeddings":[{"values":[0.5,-1]},{"values":[1,0]}]}"#)
        let list = try GeminiEmbeddings.response([answer], request: request, model: "e", promptTokens: 2)
        #expect(list["data"]?.arrayValue?[1]["embedding"] == json("[1.0,0.0]"))
        #expect(list["usage"]?["prompt_tokens"] == .int(2))
        #expect(throws: GatewayError.self) {
            try GeminiEmbeddings.response([json(#"{"embeddings":[{"values":[1]}]}"#)], request: request, model: "e", promptTokens: 2)
        }
        #expect(throws: GatewayError.self) {
            try GeminiEmbeddings.response(
                [json(#"{"embeddings":[{"values":[1]},{"values":["x"]}]}"#)], request: request, model: "e", promptTokens: 2)
        }
    }

    /// Past Gemini's 100 requests a call, a call per hundred; the answers joined in order.
    @Test func moreInputsThanOneGeminiBatchTakesAreSplitAndJoinedInOrder() throws {
        let inputs = (0..<250).map { "\"t\($0)\"" }.joined(separator: ",")
        let request = try EmbeddingsRequest(body: ByteBuffer(string: #"{"model":"e","input":[\#(inputs)]}"#))
        let batches = GeminiEmbeddings.requests(request, model: "m")
        #expect(batches.map { $0.body["requests"]?.arrayValue?.count } == [100, 100, 50])
        #expect(batches[2].body["requests"]?.arrayValue?.first?["content"] == json(#"{"parts":[{"text":"t200"}]}"#))
        #expect(batches.map(\.estimatedTokens).reduce(0, +) >= request.estimatedTokens)
        let answers = batches.map(\.body).map { batch in
            JSONValue.object([
                "embeddings": .array(
                    (batch["requests"]?.arrayValue ?? []).map { item in
                        let text = item["content"]?["parts"]?.arrayValue?.first?["text"]?.stringValue ?? ""
                        return .object(["values": .array([.int(Int(text.dropFirst()) ?? -1)])])
                    })
            ])
        }
        let list = try GeminiEmbeddings.response(answers, request: request, model: "e", promptTokens: 9)
        let data = try #require(list["data"]?.arrayValue)
        #expect(data.map { $0["embedding"] } == (0..<250).map { .array([.double(Double($0))]) })
        #expect(data.map { $0["index"] } == (0..<250).map { .int($0) })
    }

    @Test func base64IsLittleEndianFloat32() {
        // 1.0 is 0x3F800000: bytes 00 00 80 3F.
        #expect(EmbeddingEncoding.base64([1]) == "AACAPw==")
        #expect(EmbeddingEncoding.base64([1, -2]) == "AACAPwAAAMA=")
    }
}
