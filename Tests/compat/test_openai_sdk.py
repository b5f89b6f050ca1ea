"""The official openai SDK against the gateway: parsed objects and typed exceptions."""

import json
import signal
import uuid

import openai
import pytest
from conftest import UPSTREAM_KEY


def expected_text(chunks: int = 8) -> str:
    return "".join(f"tok{i} " for i in range(chunks))


def client(gateway, api_key=None, **kwargs) -> openai.OpenAI:
    """An SDK client authenticated with a virtual key (or the credential given)."""
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=api_key or gateway.key, max_retries=0, **kwargs)


MESSAGES = [{"role": "user", "content": "Say hello"}]


def test_create_without_stream(gateway):
    completion = client(gateway).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == expected_text()
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage.completion_tokens == 8
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + 8


def test_create_with_stream(gateway):
    stream = client(gateway).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-mock-chunks": "25"}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == expected_text(25)
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_stream_with_usage_requested_by_the_client(gateway):
    stream = client(gateway).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 8


def test_alias_reaches_its_target(gateway):
    completion = client(gateway).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert completion.model == "gpt-4o-mini"


def test_in_process_mock_provider(gateway):
    completion = client(gateway).chat.completions.create(model="mock-small", messages=MESSAGES)
    assert completion.choices[0].message.content.startswith("tok0 ")
    streamed = "".join(
        c.choices[0].delta.content or ""
        for c in client(gateway).chat.completions.create(model="mock-small", messages=MESSAGES, stream=True)
        if c.choices
    )
    assert streamed == completion.choices[0].message.content


def test_models_list(gateway):
    ids = [m.id for m in client(gateway).models.list()]
    assert "gpt-4o" in ids


def test_unknown_model_is_not_found(gateway):
    with pytest.raises(openai.NotFoundError) as caught:
        client(gateway).chat.completions.create(model="llama-3", messages=MESSAGES)
    assert caught.value.code == "model_not_found"


def test_empty_messages_is_bad_request(gateway):
    with pytest.raises(openai.BadRequestError) as caught:
        client(gateway).chat.completions.create(model="gpt-4o-mini", messages=[])
    assert "messages" in caught.value.message


@pytest.mark.parametrize(
    "fault, exception, status",
    [
        ("500", openai.InternalServerError, 500),
        ("429", openai.RateLimitError, 429),
        ("401-echo", openai.AuthenticationError, 401),
        ("malformed", openai.APIStatusError, 502),
    ],
)
def test_upstream_errors_surface_as_typed_exceptions(fresh_gateway, fault, exception, status):
    # A gateway of its own: a 401 or 429 takes the only upstream account out of rotation.
    gateway = fresh_gateway
    with pytest.raises(exception) as caught:
        client(gateway).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-mock-fault": fault}
        )
    assert caught.value.status_code == status
    assert UPSTREAM_KEY not in str(caught.value.body)
    assert UPSTREAM_KEY not in caught.value.response.text


def test_upstream_timeout_is_504(gateway):
    with pytest.raises(openai.APIStatusError) as caught:
        client(gateway).chat.completions.create(
            model="slow-model", messages=MESSAGES, extra_headers={"x-mock-fault": "stall"}
        )
    assert caught.value.status_code == 504


def test_a_stream_that_breaks_raises_api_error(gateway):
    stream = client(gateway).chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers={"x-mock-fault": "reset"}
    )
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            received.append(chunk)
    assert received, "events before the failure reach the client"
    assert "upstream" in caught.value.message


def test_request_id_header(gateway):
    raw = client(gateway).chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raw.headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_lets_an_in_flight_stream_finish_then_exits_zero(fresh_gateway, stop_signal):
    """SIGTERM and SIGINT drain alike: a stream in flight is delivered to its end, then exit 0."""
    stream = client(fresh_gateway).chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=True,
        extra_headers={"x-mock-chunks": "30", "x-mock-chunk-delay-ms": "40"},
    )
    iterator = iter(stream)
    first = next(iterator)
    fresh_gateway.process.send_signal(stop_signal)
    rest = list(iterator)
    text = "".join(c.choices[0].delta.content or "" for c in [first, *rest] if c.choices)
    assert text == expected_text(30)
    assert rest[-1].choices[0].finish_reason == "stop"
    assert fresh_gateway.process.wait(timeout=30) == 0


def test_a_session_token_from_login_works(gateway):
    token = gateway.login()
    completion = client(gateway, api_key=token).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert completion.choices[0].message.content == expected_text()


def test_a_bad_credential_is_an_authentication_error(gateway):
    with pytest.raises(openai.AuthenticationError):
        client(gateway, api_key="sk-not-a-key").chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_a_key_limited_to_other_models_is_a_permission_error(gateway):
    limited = gateway.create_key(models=["mock-*"])
    with pytest.raises(openai.PermissionDeniedError):
        client(gateway, api_key=limited).chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


@pytest.mark.parametrize("credential", ["virtual key", "session token"])
def test_the_upstream_never_sees_the_client_credential(gateway, credential):
    secret = gateway.key if credential == "virtual key" else gateway.login()
    # A message of this test's own: the mock's last request is surely the one this test caused.
    marker = f"credential check {uuid.uuid4()}"
    client(gateway, api_key=secret).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": marker}]
    )
    seen = gateway.last_upstream_request()
    body = json.dumps(seen["body"])
    assert marker in body, "the mock's last request is not this test's"
    headers = seen["headers"]
    assert headers.get("authorization") == f"Bearer {UPSTREAM_KEY}", headers
    carrying = sorted(name for name, value in headers.items() if secret in value)
    assert not carrying, f"the client's {credential} reached the upstream in {carrying}"
    assert secret not in body


def test_sigkill_loses_at_most_one_flush_window(mock_upstream, tmp_path):
    """Counts are written every 5 admissions: a gateway killed with -9 loses fewer than 5."""
    import sqlite3

    from conftest import launch_gateway, stop
    from harness import eventually

    extra = "\n[quota]\nflush_every_requests = 5\nflush_interval_seconds = 3600\n"
    gateway = launch_gateway(mock_upstream, tmp_path, extra=extra)
    sdk = client(gateway, api_key=gateway.login())
    for _ in range(12):
        sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    database = tmp_path / "state.sqlite"

    def stored_requests() -> int:
        with sqlite3.connect(database) as connection:
            row = connection.execute("SELECT requests FROM quota_counts WHERE subject = 'user:alice'").fetchone()
            return row[0] if row else 0

    # The write triggered by the 10th admission is the signal awaited: the store itself.
    written, took = eventually(lambda: stored_requests() >= 10)
    assert written, f"the 10th admission's count was not written within {took:.1f} s"
    gateway.process.send_signal(signal.SIGKILL)
    gateway.process.wait(timeout=30)

    restarted = launch_gateway(mock_upstream, tmp_path, extra=extra)
    try:
        import json
        import urllib.request

        token = restarted.login()
        request = urllib.request.Request(f"{restarted.url}/auth/quota", headers={"authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request) as response:
            used = json.load(response)["used"]["requests"]
        # The one-time key creation and logins do not count; 12 chat requests did.
        assert 12 - 5 < used <= 12
    finally:
        assert stop(restarted.process) == 0


def test_sigterm_under_load_keeps_every_count(mock_upstream, tmp_path):
    """SIGTERM while streams are in flight: they finish, and the restarted gateway's count is
    exactly the number of requests that were admitted (answered 200)."""
    import json
    import signal
    import threading
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from conftest import launch_gateway, stop

    extra = "\n[quota]\nflush_every_requests = 1000\nflush_interval_seconds = 3600\n"
    gateway = launch_gateway(mock_upstream, tmp_path, extra=extra)
    token = gateway.login()
    started = threading.Barrier(21)

    def one_stream() -> bool:
        sdk = client(gateway, api_key=token)
        try:
            stream = sdk.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                stream=True,
                extra_headers={"x-mock-chunks": "20", "x-mock-chunk-delay-ms": "50"},
            )
            chunks = iter(stream)
            next(chunks)
            started.wait(timeout=30)
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            return text.endswith("tok19 ")
        except Exception:
            started.abort()
            return False

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [pool.submit(one_stream) for _ in range(20)]
        started.wait(timeout=30)  # every stream has its first chunk: all 20 are in flight
        gateway.process.send_signal(signal.SIGTERM)
        completed = sum(1 for result in results if result.result())
    assert gateway.process.wait(timeout=30) == 0
    assert completed == 20

    restarted = launch_gateway(mock_upstream, tmp_path, extra=extra)
    try:
        request = urllib.request.Request(
            f"{restarted.url}/auth/quota", headers={"authorization": f"Bearer {restarted.login()}"}
        )
        with urllib.request.urlopen(request) as response:
            assert json.load(response)["used"]["requests"] == completed
    finally:
        assert stop(restarted.process) == 0


def test_models_retrieve(gateway):
    """A listed name, and a name a pattern matches (`gpt-*`), are found; another is a 404."""
    assert client(gateway).models.retrieve("gpt-4o").id == "gpt-4o"
    assert client(gateway).models.retrieve("gpt-5-nano").owned_by == "mock-upstream"
    with pytest.raises(openai.NotFoundError):
        client(gateway).models.retrieve("llama-3")
