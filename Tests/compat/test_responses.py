"""The official openai SDK's Responses API through the gateway, on the three kinds of upstream:
an `openai` provider with `responses_api = "native"` (passed through), one without it
(translated to Chat Completions), and an `anthropic` provider (translated to Messages)."""

import json

import openai
import pytest

from conftest import UPSTREAM_KEY, launch_gateway, stop

TEXT = "tok0 tok1 tok2 tok3 tok4 tok5 tok6 tok7 "
MODELS = ["native-model", "gpt-4o-mini", "claude-sonnet-4-5"]
TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    "strict": False,
}


def client(gateway, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0, **kwargs)


@pytest.mark.parametrize("model", MODELS)
def test_create_answers_text(gateway, model):
    response = client(gateway).responses.create(model=model, input="Say something.", instructions="Be brief.")
    assert response.status == "completed"
    assert response.output_text == TEXT
    assert response.model == model
    assert response.usage.input_tokens > 0 and response.usage.output_tokens == 8


@pytest.mark.parametrize("model", MODELS)
def test_stream_delivers_every_event_in_order(gateway, model):
    with client(gateway).responses.stream(model=model, input="Say something.") as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = [event.type for event in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "".join(event.delta for event in events if event.type == "response.output_text.delta") == TEXT
    numbers = [event.sequence_number for event in events]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert final.output_text == TEXT
    assert final.usage.output_tokens == 8


@pytest.mark.parametrize("model", MODELS)
def test_a_tool_call_round_trip(gateway, model):
    api = client(gateway)
    first = api.responses.create(model=model, input="Weather in Paris?", tools=[TOOL])
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments) == {"location": "Paris", "unit": "celsius"}
    second = api.responses.create(
        model=model,
        tools=[TOOL],
        input=[
            {"role": "user", "content": "Weather in Paris?"},
            {"type": "function_call", "call_id": calls[0].call_id, "name": "get_weather", "arguments": calls[0].arguments},
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny"},
        ],
    )
    assert not [item for item in second.output if item.type == "function_call"]
    assert second.output_text == TEXT


@pytest.mark.parametrize("model", MODELS)
def test_a_streamed_tool_call_arrives_whole(gateway, model):
    with client(gateway).responses.stream(model=model, input="Weather in Paris?", tools=[TOOL]) as stream:
        events = list(stream)
        final = stream.get_final_response()
    done = [event for event in events if event.type == "response.function_call_arguments.done"]
    assert len(done) == 1 and json.loads(done[0].arguments) == {"location": "Paris", "unit": "celsius"}
    calls = [item for item in final.output if item.type == "function_call"]
    assert [call.name for call in calls] == ["get_weather"]


def test_what_a_translated_upstream_receives(gateway):
    """Instructions and developer messages at their places, a namespace tool flattened and its
    call mapped back, a hosted tool left out and named, the knobs carried over."""
    namespace = {"type": "namespace", "name": "agents", "description": "Sub-agents.", "tools": [dict(TOOL, name="spawn")]}
    raw = client(gateway).responses.with_raw_response.create(
        model="gpt-4o-mini",
        instructions="You are terse.",
        input=[
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Rules."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Go."}]},
        ],
        tools=[namespace, {"type": "web_search"}],
        tool_choice="auto",
        parallel_tool_calls=False,
        reasoning={"effort": "low"},
        max_output_tokens=77,
        temperature=0.5,
        text={"format": {"type": "json_schema", "name": "answer", "schema": {"type": "object"}, "strict": True}},
    )
    assert raw.headers["x-gateway-dropped-tools"] == "web_search"
    response = raw.parse()
    sent = gateway.last_upstream_request()["body"]
    assert [m["role"] for m in sent["messages"]] == ["system", "system", "user"]
    assert sent["messages"][0]["content"] == "You are terse."
    assert [t["function"]["name"] for t in sent["tools"]] == ["agents__spawn"]
    assert sent["parallel_tool_calls"] is False and sent["reasoning_effort"] == "low"
    assert sent["max_tokens"] == 77 and sent["temperature"] == 0.5
    assert sent["response_format"]["json_schema"]["name"] == "answer"
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(call.name, getattr(call, "namespace", None) or call.model_extra.get("namespace")) for call in calls] == [
        ("spawn", "agents")
    ]


def test_native_upstream_gets_the_body_as_sent(gateway):
    body = {"model": "native-model", "input": "hi", "store": False, "include": ["reasoning.encrypted_content"], "custom": 1}
    client(gateway).post("/responses", cast_to=object, body=body)
    last = gateway.last_upstream_request()
    assert last["body"] == body
    assert last["headers"]["authorization"] == f"Bearer {UPSTREAM_KEY}"


def test_errors_take_openais_shape(gateway):
    with pytest.raises(openai.NotFoundError):
        client(gateway).responses.create(model="no-such-model", input="hi")
    with pytest.raises(openai.BadRequestError) as refused:
        client(gateway).responses.create(model="gpt-4o-mini", input=[{"type": "bogus"}])
    assert "input[0]" in refused.value.message


@pytest.fixture(scope="module")
def two_user_gateway(mock_upstream, tmp_path_factory):
    gw = launch_gateway(
        mock_upstream,
        tmp_path_factory.mktemp("responses-store"),
        extra='\n[[auth.users]]\nusername = "bob"\npassword = "bob-password"\ntier = "pro"\n',
    )
    yield gw
    assert stop(gw.process) == 0


@pytest.mark.parametrize("model", ["gpt-4o-mini", "claude-sonnet-4-5"])
@pytest.mark.parametrize("streamed", [False, True])
def test_a_two_turn_chain_rebuilds_the_conversation_on_a_translated_route(two_user_gateway, model, streamed):
    api = client(two_user_gateway)
    if streamed:
        with api.responses.stream(model=model, input="My name is Ada.", instructions="Be brief.") as stream:
            first = stream.get_final_response()
    else:
        first = api.responses.create(model=model, input="My name is Ada.", instructions="Be brief.")
    second = api.responses.create(model=model, input="What is my name?", previous_response_id=first.id)
    assert second.output_text == TEXT and second.id != first.id
    sent = two_user_gateway.last_upstream_request()["body"]
    texts = json.dumps(sent["messages"])
    # The first turn's question and answer come before the second question, in order.
    assert texts.index("My name is Ada.") < texts.index(TEXT.strip()) < texts.index("What is my name?")
    # The previous turn's instructions are not carried over (the API's rule).
    assert "Be brief." not in texts
    assert api.responses.retrieve(first.id).output_text == TEXT


def test_stored_responses_are_their_users_own_and_can_be_deleted(two_user_gateway):
    alice = client(two_user_gateway)
    bob_key = two_user_gateway.create_key(user="bob")
    bob = openai.OpenAI(base_url=f"{two_user_gateway.url}/v1", api_key=bob_key, max_retries=0)
    kept = alice.responses.create(model="gpt-4o-mini", input="hi")
    with pytest.raises(openai.NotFoundError):
        bob.responses.retrieve(kept.id)
    with pytest.raises(openai.BadRequestError) as refused:
        bob.responses.create(model="gpt-4o-mini", input="hi", previous_response_id=kept.id)
    assert refused.value.code == "previous_response_not_found"
    with pytest.raises(openai.NotFoundError):
        bob.responses.delete(kept.id)
    alice.responses.delete(kept.id)
    with pytest.raises(openai.NotFoundError):
        alice.responses.retrieve(kept.id)
    with pytest.raises(openai.BadRequestError):
        alice.responses.create(model="gpt-4o-mini", input="hi", previous_response_id=kept.id)
    unkept = alice.responses.create(model="gpt-4o-mini", input="hi", store=False)
    with pytest.raises(openai.NotFoundError):
        alice.responses.retrieve(unkept.id)


def test_claudes_signed_thinking_survives_a_tool_turn(gateway):
    """A thinking block reaches the client as a reasoning item whose `encrypted_content` carries
    its signature; sent back with the tool's result, it reaches Claude as the signed block."""
    api = client(gateway)
    first = api.responses.create(
        model="claude-sonnet-4-5", input="Weather in Paris?", tools=[TOOL], reasoning={"effort": "high"}, store=False
    )
    reasoning = [item for item in first.output if item.type == "reasoning"]
    assert len(reasoning) == 1 and reasoning[0].encrypted_content.endswith("mock-signature")
    call = next(item for item in first.output if item.type == "function_call")
    api.responses.create(
        model="claude-sonnet-4-5",
        tools=[TOOL],
        reasoning={"effort": "high"},
        store=False,
        input=[{"role": "user", "content": "Weather in Paris?"}]
        + [item.model_dump(exclude_none=True) for item in first.output]
        + [{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
    )
    sent = gateway.last_upstream_request()["body"]
    assistant = sent["messages"][1]
    assert assistant["role"] == "assistant"
    assert assistant["content"][0] == {"type": "thinking", "thinking": "The user wants an answer. ", "signature": "mock-signature"}


def test_the_in_process_mock_keeps_streamed_responses_too(two_user_gateway):
    """The root config's provider: the gateway keeps what it passes through from it."""
    api = client(two_user_gateway)
    with api.responses.stream(model="mock-1", input="hi") as stream:
        first = stream.get_final_response()
    assert api.responses.retrieve(first.id).id == first.id
    second = api.responses.create(model="mock-1", input="again", previous_response_id=first.id)
    assert second.status == "completed"
