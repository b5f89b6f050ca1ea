"""The google-genai SDK (PyPI's `google-genai`) through the Gemini door.

`generate_content` and `generate_content_stream`, with text and with a function call, against a
`gemini` provider (passed through to proxy-mock speaking Gemini), an `openai` provider and an
`anthropic` provider (both translated through the hub); `count_tokens`; both API versions the
SDK calls (`v1beta`, `v1`); a virtual key in `x-goog-api-key` or in `?key=`, which no log line
holds.
"""

import json
import urllib.error
import urllib.request

import pytest
from google import genai
from google.genai import errors, types

from conftest import BIN_DIR, Gateway, gateway_config, stop
from harness import start_server
from test_translation_matrix import TEXT, TOOL_ARGUMENTS, UPSTREAM_MODELS, cell_id

FUNCTION = types.FunctionDeclaration(
    name="get_weather",
    description="The weather in a city.",
    parameters_json_schema={
        "type": "object",
        "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
        "required": ["location", "unit"],
    },
)
TOOL_CONFIG = types.GenerateContentConfig(
    tools=[types.Tool(function_declarations=[FUNCTION])],
    automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
    max_output_tokens=256,
)
TEXT_CONFIG = types.GenerateContentConfig(system_instruction="Be brief.", max_output_tokens=256)
CELLS = [(upstream, stream, kind) for upstream in ["gemini", "openai", "anthropic"] for stream in [False, True] for kind in ["text", "tool"]]


def client(gateway, api_version: str = "v1beta") -> genai.Client:
    return genai.Client(api_key=gateway.key, http_options=types.HttpOptions(base_url=gateway.url, api_version=api_version))


@pytest.mark.parametrize("cell", CELLS, ids=cell_id)
def test_google_genai_sdk(gateway, cell):
    upstream, stream, kind = cell
    config = TOOL_CONFIG if kind == "tool" else TEXT_CONFIG
    arguments = dict(model=UPSTREAM_MODELS[upstream], contents="Weather in Paris?", config=config)
    # The client closes its connections when it is collected: it must outlive its calls.
    sdk = client(gateway)
    models = sdk.models
    if stream:
        chunks = list(models.generate_content_stream(**arguments))
        text = "".join(chunk.text or "" for chunk in chunks)
        calls = [call for chunk in chunks for call in (chunk.function_calls or [])]
        last = chunks[-1]
    else:
        response = models.generate_content(**arguments)
        text = "".join(part.text for part in response.candidates[0].content.parts if part.text)
        calls = response.function_calls or []
        last = response
    assert text == TEXT
    assert last.candidates[0].finish_reason == types.FinishReason.STOP
    if kind == "tool":
        assert len(calls) == 1
        assert calls[0].name == "get_weather"
        assert calls[0].args == TOOL_ARGUMENTS
    else:
        assert not calls
    assert last.usage_metadata.prompt_token_count > 0
    assert last.usage_metadata.candidates_token_count == (18 if kind == "tool" else 8)
    if upstream == "gemini":
        sent = gateway.last_upstream_request()
        assert sent["headers"].get("x-goog-api-key") == "sk-upstream-compat-0123456789"
        assert sent["body"]["contents"][0]["parts"] == [{"text": "Weather in Paris?"}]


@pytest.mark.parametrize("upstream", ["gemini", "openai", "anthropic"])
def test_count_tokens(gateway, upstream):
    sdk = client(gateway)
    counted = sdk.models.count_tokens(model=UPSTREAM_MODELS[upstream], contents="Weather in Paris? " * 20)
    assert counted.total_tokens > 20


def test_the_v1_api_version_is_served_too(gateway):
    sdk = client(gateway, api_version="v1")
    response = sdk.models.generate_content(model=UPSTREAM_MODELS["openai"], contents="Hi")
    assert response.text == TEXT


def test_a_function_response_turn_completes_the_conversation(gateway):
    history = [
        types.Content(role="user", parts=[types.Part.from_text(text="Weather in Paris?")]),
        types.Content(role="model", parts=[types.Part.from_function_call(name="get_weather", args=TOOL_ARGUMENTS)]),
        types.Content(role="user", parts=[types.Part.from_function_response(name="get_weather", response={"result": "18 C"})]),
    ]
    sdk = client(gateway)
    response = sdk.models.generate_content(model=UPSTREAM_MODELS["openai"], contents=history, config=TOOL_CONFIG)
    assert response.text == TEXT
    assert not response.function_calls
    sent = gateway.last_upstream_request()["body"]
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "tool"]
    assert sent["messages"][2]["tool_call_id"] == sent["messages"][1]["tool_calls"][0]["id"]
    assert json.loads(sent["messages"][2]["content"]) == {"result": "18 C"}


def test_a_key_in_the_query_string_works_and_is_never_logged(mock_upstream, tmp_path):
    # Debug level: the access log and every request's lines are written.
    config = tmp_path / "gateway.toml"
    config.write_text(gateway_config(mock_upstream, tmp_path).replace('level = "warning"', 'level = "debug"'))
    log = tmp_path / "gateway.log"
    process, port = start_server([str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"], log)
    try:
        gateway = Gateway(url=f"http://127.0.0.1:{port}", process=process, mock_url=f"http://127.0.0.1:{mock_upstream}")
        key = gateway.create_key()
        request = urllib.request.Request(
            f"{gateway.url}/v1beta/models/{UPSTREAM_MODELS['openai']}:generateContent?key={key}",
            data=json.dumps({"contents": [{"parts": [{"text": "Hi"}]}]}).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert json.load(response)["candidates"][0]["content"]["parts"][0]["text"] == TEXT
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request.full_url.replace(key, key[:-2] + "xx"), data=request.data, timeout=30)
        assert refused.value.code == 401
    finally:
        assert stop(process) == 0
    text = log.read_text()
    assert "/v1beta/models/" in text, "the access log names the path"
    assert key not in text and key[:-2] not in text and "key=" not in text


def test_errors_are_in_googles_shape(gateway):
    sdk = client(gateway)
    with pytest.raises(errors.ClientError) as refused:
        sdk.models.generate_content(model="unknown-model", contents="Hi")
    assert refused.value.code == 404
    assert refused.value.status == "NOT_FOUND"
    bad = genai.Client(api_key="sk-forged", http_options=types.HttpOptions(base_url=gateway.url, api_version="v1beta"))
    with pytest.raises(errors.ClientError) as unauthenticated:
        bad.models.generate_content(model=UPSTREAM_MODELS["openai"], contents="Hi")
    assert unauthenticated.value.code == 401
    assert unauthenticated.value.status == "UNAUTHENTICATED"


@pytest.mark.parametrize("api_version", ["v1beta", "v1"])
def test_models_are_listed_and_found_in_googles_shape(gateway, api_version):
    """`models.list()` and `models.get()`: the gateway's exact names as Gemini models, and a model
    a pattern matches found by name; an unknown one is Google's 404."""
    google = client(gateway, api_version)  # held: a collected client closes its connections
    names = {model.name for model in google.models.list()}
    assert "models/gpt-4o" in names
    found = google.models.get(model="gemini-2.5-flash")
    assert found.name == "models/gemini-2.5-flash"
    assert "generateContent" in found.supported_actions
    with pytest.raises(errors.ClientError) as missing:
        google.models.get(model="llama-3")
    assert missing.value.code == 404 and missing.value.status == "NOT_FOUND"
