import NIOCore
import Testing

@testable import ProxyEngine

func json(_ text: String) -> JSONValue {
    guard let value = JSONValue(parsing: text) else { fatalError("fixture is not JSON: \(text)") }
    return value
}

/// Fixtures written from the public API references (Anthropic Messages, OpenAI Chat
/// Completions): each case is a request in one format and the request it must become.
@Suite(.timeLimit(.minutes(5))) struct AnthropicToOpenAIRequestTests {
    /// What Claude Code sends for a model name it does not know: its environment as a system
    /// message inside `messages`, adaptive thinking and an effort.
    @Test func systemMessagesInsideMessagesKeepTheirPlaceAndAdaptiveThinkingHasAnEffort() throws {
        let request = JSONValue(
            parsing:
                #"{"model":"c","max_tokens":32000,"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"},{"role":"system","content":[{"type":"text","text":"env"}]},{"role":"user","content":"go"}],"thinking":{"type":"adaptive","display":"omitted"},"output_config":{"effort":"high"},"context_management":{"edits":[]}}"#
        )!
        let chat = try AnthropicToOpenAI.request(request, model: "deepseek-chat")
        let messages = try #require(chat["messages"]?.arrayValue)
        #expect(messages.map { $0["role"]?.stringValue ?? "" } == ["system", "user", "system", "user"])
        #expect(messages[2]["content"] == .string("env"))
        #expect(chat["reasoning_effort"] == .string("high"))
        #expect(chat["context_management"] == nil && chat["output_config"] == nil && chat["thinking"] == nil)
    }

    static let cases: [(name: String, messages: String, chat: String)] = [
        (
            "system string, sampling, stops, metadata",
            #"{"model":"claude","max_tokens":100,"system":"Be brief.","temperature":0.5,"top_p":0.9,"top_k":5,"stop_sequences":["END"],"metadata":{"user_id":"u-1"},"messages":[{"role":"user","content":"Hi"}]}"#,
            #"{"model":"up","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"max_tokens":100,"temperature":0.5,"top_p":0.9,"stop":["END"],"user":"u-1"}"#
        ),
        (
            "system blocks with cache_control, multi-turn",
            #"{"model":"c","max_tokens":10,"system":[{"type":"text","text":"A"},{"type":"text","text":"B","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"1"},{"role":"assistant","content":"2"},{"role":"user","content":[{"type":"text","text":"3","cache_control":{"type":"ephemeral"}}]}]}"#,
            #"{"model":"up","messages":[{"role":"system","content":"A\n\nB"},{"role":"user","content":"1"},{"role":"assistant","content":"2"},{"role":"user","content":"3"}],"max_tokens":10}"#
        ),
        (
            "images base64 and URL",
            #"{"model":"c","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},{"type":"image","source":{"type":"url","url":"https://x.test/a.jpg"}},{"type":"text","text":"What?"}]}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}},{"type":"image_url","image_url":{"url":"https://x.test/a.jpg"}},{"type":"text","text":"What?"}]}],"max_tokens":10}"#
        ),
        (
            "tools, tool_choice any, no parallel calls",
            #"{"model":"c","max_tokens":10,"tools":[{"name":"get","description":"Gets.","input_schema":{"type":"object","properties":{"q":{"type":"string"}}}},{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"any","disable_parallel_tool_use":true},"messages":[{"role":"user","content":"x"}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"get","description":"Gets.","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}}],"tool_choice":"required","parallel_tool_calls":false}"#
        ),
        (
            "tool_choice tool",
            #"{"model":"c","max_tokens":10,"tools":[{"name":"get","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"get"},"messages":[{"role":"user","content":"x"}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":"x"}],"max_tokens":10,"tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"get"}}}"#
        ),
        (
            "tool_use and tool_result turns, thinking of earlier turns dropped",
            #"{"model":"c","max_tokens":10,"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"18 C"}]},{"type":"tool_result","tool_use_id":"toolu_2","content":"boom","is_error":true},{"type":"text","text":"And tomorrow?"}]}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"toolu_1","content":"18 C"},{"role":"tool","tool_call_id":"toolu_2","content":"Error: boom"},{"role":"user","content":"And tomorrow?"}],"max_tokens":10}"#
        ),
        (
            "streaming asks for usage; thinking becomes reasoning_effort",
            #"{"model":"c","max_tokens":20000,"stream":true,"thinking":{"type":"enabled","budget_tokens":10000},"messages":[{"role":"user","content":"x"}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":"x"}],"max_tokens":20000,"stream":true,"stream_options":{"include_usage":true},"reasoning_effort":"medium"}"#
        ),
    ]

    @Test(arguments: Self.cases.indices)
    func translates(index: Int) throws {
        let fixture = Self.cases[index]
        let translated = try AnthropicToOpenAI.request(json(fixture.messages), model: "up")
        #expect(translated == json(fixture.chat), "\(fixture.name): \(translated.encodedString)")
    }

    @Test(arguments: [
        (#"{"model":"c","max_tokens":1}"#, "'messages' is required"),
        (#"{"model":"c","messages":[{"role":"tool","content":"x"}]}"#, "'messages[0].role'"),
        (#"{"model":"c","messages":[{"role":"user"}]}"#, "'messages[0].content' is required"),
        (#"{"model":"c","messages":[{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}]}"#, "image"),
        (#"{"model":"c","system":42,"messages":[]}"#, "'system'"),
    ])
    func refusesMalformedRequests(body: String, expected: String) {
        do {
            _ = try AnthropicToOpenAI.request(json(body), model: "up")
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

@Suite(.timeLimit(.minutes(5))) struct OpenAIToAnthropicRequestTests {
    static let cases: [(name: String, chat: String, messages: String)] = [
        (
            "system and developer, defaults for max_tokens, temperature clamped, stop string, user",
            #"{"model":"gpt","messages":[{"role":"system","content":"A"},{"role":"developer","content":[{"type":"text","text":"B"}]},{"role":"user","content":"Hi"}],"temperature":1.6,"top_p":0.5,"stop":"END","user":"u-1"}"#,
            #"{"model":"up","system":"A\n\nB","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_tokens":4096,"stop_sequences":["END"],"temperature":1.0,"top_p":0.5,"metadata":{"user_id":"u-1"}}"#
        ),
        (
            "max_completion_tokens wins, images by data URL and URL",
            #"{"model":"gpt","max_tokens":5,"max_completion_tokens":50,"messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4A"}},{"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"high"}}]}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4A"}},{"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}]}],"max_tokens":50}"#
        ),
        (
            "tool calls, consecutive tool results merged into one user turn, invalid arguments",
            #"{"model":"gpt","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_2","type":"function","function":{"name":"get","arguments":"{not json"}}]},{"role":"tool","tool_call_id":"call_1","content":"18 C"},{"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"20 C"}]},{"role":"user","content":"Thanks"}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":[{"type":"text","text":"Weather?"}]},{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get","input":{"city":"Paris"}},{"type":"tool_use","id":"call_2","name":"get","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"18 C"},{"type":"tool_result","tool_use_id":"call_2","content":"20 C"},{"type":"text","text":"Thanks"}]}],"max_tokens":4096}"#
        ),
        (
            "tools, tool_choice required, parallel_tool_calls false",
            #"{"model":"gpt","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get","description":"Gets.","parameters":{"type":"object"},"strict":true}},{"type":"function","function":{"name":"bare"}}],"tool_choice":"required","parallel_tool_calls":false}"#,
            #"{"model":"up","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"max_tokens":4096,"tools":[{"name":"get","description":"Gets.","input_schema":{"type":"object"}},{"name":"bare","input_schema":{"type":"object","properties":{}}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}"#
        ),
        (
            "named tool_choice, stream",
            #"{"model":"gpt","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"get","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"get"}}}"#,
            #"{"model":"up","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"max_tokens":4096,"stream":true,"tools":[{"name":"get","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"get"}}"#
        ),
        (
            "reasoning_effort becomes thinking, which takes no temperature and needs room",
            #"{"model":"gpt","reasoning_effort":"high","max_completion_tokens":1000,"temperature":0.2,"messages":[{"role":"user","content":"x"}]}"#,
            #"{"model":"up","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"max_tokens":25600,"thinking":{"type":"enabled","budget_tokens":24576}}"#
        ),
    ]

    @Test(arguments: Self.cases.indices)
    func translates(index: Int) throws {
        let fixture = Self.cases[index]
        let translated = try OpenAIToAnthropic.request(json(fixture.chat), model: "up")
        #expect(translated == json(fixture.messages), "\(fixture.name): \(translated.encodedString)")
    }

    @Test(arguments: [
        (#"{"model":"g","n":2,"messages":[{"role":"user","content":"x"}]}"#, "'n'"),
        (#"{"model":"g","messages":[{"role":"robot","content":"x"}]}"#, "'messages[0].role'"),
        (#"{"model":"g","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}"#, "content part"),
        (#"{"model":"g"}"#, "'messages' is required"),
    ])
    func refusesWhatCannotBeServed(body: String, expected: String) {
        do {
            _ = try OpenAIToAnthropic.request(json(body), model: "up")
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.status == 400)
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }

    @Test func aRequestSurvivesTheRoundTrip() throws {
        let original = json(
            #"{"model":"up","system":"S","max_tokens":64,"messages":[{"role":"user","content":[{"type":"text","text":"Weather?"}]},{"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"t1","name":"get","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"18 C"}]}],"tools":[{"name":"get","description":"Gets.","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto"},"stop_sequences":["X"],"metadata":{"user_id":"u"}}"#
        )
        let there = try AnthropicToOpenAI.request(original, model: "up")
        let back = try OpenAIToAnthropic.request(there, model: "up")
        #expect(back == original, "\(back.encodedString)")
    }
}
