"""The translation compatibility matrix, judged by the official SDKs' own parsers.

{openai SDK, anthropic SDK} x {openai upstream, anthropic upstream, gemini upstream} x {stream, no
stream} x {plain text, tool call}: every cell checks the SDK's parsed objects (content, tool
arguments, stop reason, usage). `gpt-*` models go to proxy-mock speaking OpenAI, `claude-*` models
to proxy-mock speaking Anthropic, `gemini-*` models to proxy-mock speaking Gemini, so a third of
the cells pass through and the rest are translated (Gemini's always, through the hub).
"""

import itertools
import json

import anthropic
import openai
import pytest

TEXT = "".join(f"tok{i} " for i in range(8))
TOOL_ARGUMENTS = {"location": "Paris", "unit": "celsius"}
UPSTREAM_MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-upstream-mock", "gemini": "gemini-2.5-flash"}
OPENAI_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
            "required": ["location", "unit"],
            "additionalProperties": False,
        },
    },
}
ANTHROPIC_TOOL = {
    "name": "get_weather",
    "description": "The weather in a city.",
    "input_schema": OPENAI_TOOL["function"]["parameters"],
}
CELLS = list(itertools.product(["openai", "anthropic", "gemini"], [False, True], ["text", "tool"]))


def cell_id(cell) -> str:
    upstream, stream, kind = cell
    return f"{upstream}-upstream-{'stream' if stream else 'whole'}-{kind}"


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_openai_sdk(gateway, cell):
    upstream, stream, kind = cell
    client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
    arguments = dict(
        model=UPSTREAM_MODELS[upstream],
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"}],
        max_completion_tokens=256,
    )
    if kind == "tool":
        arguments["tools"] = [OPENAI_TOOL]
    if stream:
        with client.chat.completions.stream(**arguments, stream_options={"include_usage": True}) as events:
            for _ in events:
                pass
            completion = events.get_final_completion()
    else:
        completion = client.chat.completions.create(**arguments)
    choice = completion.choices[0]
    assert choice.message.content == TEXT
    if kind == "tool":
        assert choice.finish_reason == "tool_calls"
        assert len(choice.message.tool_calls) == 1
        call = choice.message.tool_calls[0]
        assert call.function.name == "get_weather"
        assert json.loads(call.function.arguments) == TOOL_ARGUMENTS
        assert call.id
    else:
        assert choice.finish_reason == "stop"
        assert not choice.message.tool_calls
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens == (18 if kind == "tool" else 8)
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_anthropic_sdk(gateway, cell):
    upstream, stream, kind = cell
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    arguments = dict(
        model=UPSTREAM_MODELS[upstream],
        system="Be brief.",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        max_tokens=256,
    )
    if kind == "tool":
        arguments["tools"] = [ANTHROPIC_TOOL]
    if stream:
        with client.messages.stream(**arguments) as events:
            assert "".join(events.text_stream) == TEXT
            message = events.get_final_message()
    else:
        message = client.messages.create(**arguments)
    assert message.role == "assistant"
    texts = [block for block in message.content if block.type == "text"]
    assert [block.text for block in texts] == [TEXT]
    if kind == "tool":
        assert message.stop_reason == "tool_use"
        tools = [block for block in message.content if block.type == "tool_use"]
        assert len(tools) == 1
        assert tools[0].name == "get_weather"
        assert tools[0].input == TOOL_ARGUMENTS
        assert tools[0].id
    else:
        assert message.stop_reason == "end_turn"
        assert [block.type for block in message.content] == ["text"]
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens == (18 if kind == "tool" else 8)


@pytest.mark.parametrize("upstream", ["openai", "anthropic", "gemini"])
def test_a_tool_result_turn_completes_the_conversation(gateway, upstream):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    message = client.messages.create(
        model=UPSTREAM_MODELS[upstream],
        max_tokens=256,
        tools=[ANTHROPIC_TOOL],
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": TOOL_ARGUMENTS}],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18 C, sunny"}]},
        ],
    )
    assert message.stop_reason == "end_turn"
    if upstream == "openai":
        sent = gateway.last_upstream_request()["body"]
        assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "tool"]
        assert sent["messages"][1]["tool_calls"][0]["id"] == "toolu_1"
        assert json.loads(sent["messages"][1]["tool_calls"][0]["function"]["arguments"]) == TOOL_ARGUMENTS
        assert sent["messages"][2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "18 C, sunny"}
    if upstream == "gemini":
        sent = gateway.last_upstream_request()["body"]
        assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"]
        assert sent["contents"][1]["parts"][0]["functionCall"]["args"] == TOOL_ARGUMENTS
        assert sent["contents"][2]["parts"][0]["functionResponse"]["name"] == "get_weather"
        assert sent["contents"][2]["parts"][0]["functionResponse"]["response"] == {"content": "18 C, sunny"}


@pytest.mark.parametrize("stream", [False, True])
def test_thinking_translates_to_reasoning_and_back(gateway, stream):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    arguments = dict(
        model=UPSTREAM_MODELS["openai"],
        max_tokens=4096,
        thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": "Think first."}],
    )
    if stream:
        with client.messages.stream(**arguments) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**arguments)
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "The user wants an answer. "
    assert gateway.last_upstream_request()["body"]["reasoning_effort"] == "low"


def test_a_request_shaped_like_claude_codes_succeeds_on_an_openai_upstream(gateway):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    with client.messages.stream(
        model=UPSTREAM_MODELS["openai"],
        max_tokens=32000,
        system=[
            {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude."},
            {"type": "text", "text": "Use the tools to help the user.", "cache_control": {"type": "ephemeral"}},
        ],
        tools=[
            ANTHROPIC_TOOL,
            {"name": "Bash", "description": "Runs a command.", "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}},
        ],
        metadata={"user_id": "user_abc_account_123_session_456"},
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "<system-reminder>context</system-reminder>"},
                    {"type": "text", "text": "What's the weather?", "cache_control": {"type": "ephemeral"}},
                ],
            }
        ],
        extra_headers={"anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14"},
    ) as events:
        message = events.get_final_message()
    assert message.stop_reason == "tool_use"
    # The mock plays an agent's turn: it calls the shell tool (Bash) the request offers.
    assert message.content[-1].name == "Bash"
    assert message.content[-1].input["command"] == "printf 'written through the gateway' > gateway-agent-proof.txt"
    sent = gateway.last_upstream_request()
    body, headers = sent["body"], sent["headers"]
    assert body["messages"][0] == {
        "role": "system",
        "content": "You are Claude Code, Anthropic's official CLI for Claude.\n\nUse the tools to help the user.",
    }
    assert body["user"] == "user_abc_account_123_session_456"
    assert [tool["function"]["name"] for tool in body["tools"]] == ["get_weather", "Bash"]
    assert body["stream_options"] == {"include_usage": True}
    assert "anthropic-beta" not in headers and "x-api-key" not in headers
    assert headers["authorization"] == "Bearer sk-upstream-compat-0123456789"


def test_anthropic_headers_reach_an_anthropic_upstream(gateway):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    client.messages.create(
        model=UPSTREAM_MODELS["anthropic"],
        max_tokens=16,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"anthropic-beta": "prompt-caching-2024-07-31"},
    )
    headers = gateway.last_upstream_request()["headers"]
    assert headers["x-api-key"] == "sk-upstream-compat-0123456789"
    assert headers["anthropic-beta"] == "prompt-caching-2024-07-31"
    assert headers["anthropic-version"]
    assert "authorization" not in headers


def test_upstream_errors_reach_each_sdk_in_its_own_format(fresh_gateway):
    # A 401 takes the upstream account out of rotation: this test has a gateway of its own.
    gateway = fresh_gateway
    anthropic_client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    with pytest.raises(anthropic.RateLimitError) as raised:
        anthropic_client.messages.create(
            model=UPSTREAM_MODELS["openai"], max_tokens=16, messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-mock-fault": "429"},
        )
    assert raised.value.body["type"] == "error"
    assert raised.value.body["error"] == {"type": "rate_limit_error", "message": "mock rate limit"}

    openai_client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        openai_client.chat.completions.create(
            model=UPSTREAM_MODELS["anthropic"], messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-mock-fault": "401-echo"},
        )
    assert "sk-upstream" not in str(raised.value.body)
    assert raised.value.body["type"] == "authentication_error"


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_a_translated_stream_that_breaks_ends_with_an_error_event(gateway, sdk):
    upstream = "anthropic" if sdk == "openai" else "openai"
    headers = {"x-mock-fault": "reset", "x-mock-chunks": "40"}
    if sdk == "openai":
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
        with pytest.raises(openai.APIError):
            for _ in client.chat.completions.create(
                model=UPSTREAM_MODELS[upstream], messages=[{"role": "user", "content": "hi"}], stream=True, extra_headers=headers
            ):
                pass
    else:
        client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
        with pytest.raises(anthropic.APIStatusError):
            with client.messages.stream(
                model=UPSTREAM_MODELS[upstream], max_tokens=16, messages=[{"role": "user", "content": "hi"}], extra_headers=headers
            ) as events:
                for _ in events:
                    pass


@pytest.mark.parametrize("upstream", ["openai", "anthropic", "in-process"])
def test_count_tokens(gateway, upstream):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    model = {"in-process": "mock-small", **UPSTREAM_MODELS}[upstream]
    response = client.messages.with_raw_response.count_tokens(
        model=model, system="Be brief.", messages=[{"role": "user", "content": "How many tokens is this?"}]
    )
    count = response.parse()
    assert count.input_tokens > 0
    if upstream == "anthropic":
        assert response.headers.get("x-token-count") is None
    else:
        assert response.headers["x-token-count"] == "estimate"


@pytest.mark.parametrize("stream", [False, True])
def test_messages_on_the_in_process_mock(gateway, stream):
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    arguments = dict(model="mock-small", max_tokens=64, messages=[{"role": "user", "content": "hi"}], tools=[ANTHROPIC_TOOL])
    if stream:
        with client.messages.stream(**arguments) as events:
            message = events.get_final_message()
    else:
        message = client.messages.create(**arguments)
    assert message.stop_reason == "tool_use"
    assert message.content[-1].input == TOOL_ARGUMENTS


def test_messages_errors_are_in_anthropics_format(gateway):
    client = anthropic.Anthropic(base_url=gateway.url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(anthropic.AuthenticationError) as raised:
        client.messages.create(model="claude-upstream-mock", max_tokens=16, messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["type"] == "error"
    assert raised.value.body["error"]["type"] == "authentication_error"
    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="no-such-model", max_tokens=16, messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["error"]["type"] == "not_found_error"
