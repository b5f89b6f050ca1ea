import NIOCore
import Testing

@testable import ProxyEngine

@Suite(.timeLimit(.minutes(5))) struct GeminiEmbedRequestTests {
    static let batch =
        #"{"requests":[{"model":"models/alias","content":{"parts":[{"text":"ab"},{"text":"cd"}]},"embedContentConfig":{"outputDimensionality":8}},{"content":{"parts":[{"text":"e"}]},"outputDimensionality":8}]}"#

    @Test func aBatchReadsOneInputPerContentAndItsDimensions() throws {
        let request = try GeminiEmbedRequest(body: ByteBuffer(string: Self.batch), model: "alias", method: .batch)
        #expect(request.embeddings.model == "alias")
        #expect(request.embeddings.inputs == ["abcd", "e"])
        #expect(request.embeddings.dimensions == 8 && !request.embeddings.base64)
    }

    /// What OpenAI's request cannot say (a part that is not text, several sizes) is read, and
    /// marked: a Gemini upstream takes it as sent, an OpenAI one is refused it.
    @Test(arguments: [
        #"{"requests":[{"content":{"parts":[{"text":"a"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}}]}"#,
        #"{"requests":[{"content":{"parts":[{"text":"a"}]},"outputDimensionality":2},{"content":{"parts":[{"text":"b"}]},"outputDimensionality":3}]}"#,
    ])
    func whatOpenAICannotSayIsMarkedUntranslatable(body: String) throws {
        let request = try GeminiEmbedRequest(body: ByteBuffer(string: body), model: "m", method: .batch)
        #expect(request.untranslatable != nil)
        #expect(JSONValue(parsing: request.geminiBody(model: "m"))?["requests"]?.arrayValue?.count == request.embeddings.inputs.count)
        let plain = try GeminiEmbedRequest(body: ByteBuffer(string: Self.batch), model: "m", method: .batch)
        #expect(plain.untranslatable == nil)
    }

    @Test func aGeminiUpstreamGetsTheBodyWithEachItemNamingItsModel() throws {
        let request = try GeminiEmbedRequest(body: ByteBuffer(string: Self.batch), model: "alias", method: .batch)
        let sent = try #require(JSONValue(parsing: request.geminiBody(model: "real")))
        #expect(sent["requests"]?.arrayValue?.map { $0["model"] } == [.string("models/real"), .string("models/real")])
        #expect(sent["requests"]?.arrayValue?.first?["embedContentConfig"] == JSONValue(parsing: #"{"outputDimensionality":8}"#))
    }

    @Test func anOpenAIUpstreamGetsFloatsAndItsAnswerComesBackInRequestOrder() throws {
        let request = try GeminiEmbedRequest(body: ByteBuffer(string: Self.batch), model: "alias", method: .batch)
        #expect(
            JSONValue(parsing: request.openAIBody(model: "real"))
                == JSONValue(parsing: #"{"model":"real","input":["abcd","e"],"encoding_format":"float","dimensions":8}"#))
        let answer = try #require(
            JSONValue(parsing: #"{"data":[{"index":1,"embedding":[0.5]},{"index":0,"embedding":[0.25,1]}],"usage":{"prompt_tokens":2}}"#))
        #expect(try request.answer(fromOpenAI: answer) == JSONValue(parsing: #"{"embeddings":[{"values":[0.25,1]},{"values":[0.5]}]}"#))
        let single = try GeminiEmbedRequest(body: ByteBuffer(string: #"{"content":{"parts":[{"text":"x"}]}}"#), model: "m", method: .single)
        #expect(
            try single.answer(fromOpenAI: #require(JSONValue(parsing: #"{"data":[{"index":0,"embedding":[1]}]}"#)))
                == JSONValue(parsing: #"{"embedding":{"values":[1]}}"#))
    }

    @Test(arguments: [
        #"{"data":[{"index":0,"embedding":[1]}]}"#, #"{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}"#,
        #"{"data":[{"index":0,"embedding":[1]},{"index":2,"embedding":[2]}]}"#,
        #"{"data":[{"index":0,"embedding":"AAAA"},{"index":1,"embedding":[2]}]}"#, #"{}"#,
    ])
    func anAnswerWithoutOneVectorPerInputIsAnUpstreamFailure(answer: String) throws {
        let request = try GeminiEmbedRequest(body: ByteBuffer(string: Self.batch), model: "alias", method: .batch)
        let parsed = try #require(JSONValue(parsing: answer))
        #expect(throws: GatewayError.self) { try request.answer(fromOpenAI: parsed) }
    }
}
