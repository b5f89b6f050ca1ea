"""Behaviours the README promises that had no test through the real HTTP surface (issue #30,
item 9): each test starts its own proxy-mock and a gateway on a configuration of its own, so no
test depends on another's traffic, on the order they run in, or on the shared session gateway.

Nothing here bounds a duration: waits poll (`harness.eventually`) with a generous deadline, and
a check on a monthly count tolerates the month turning while it runs."""

import http.client
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import anthropic
import openai
import pytest

from conftest import ADMIN_KEY, BIN_DIR, Gateway, base_config, stop
from harness import eventually, start_server

MESSAGES = [{"role": "user", "content": "Say hello"}]
MASTER_KEY_VARIABLE = "PROXY_MASTER_KEY"


# --- configuration ----------------------------------------------------------------------------


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)  # strings and lists of strings: JSON's syntax is TOML's


def provider(name: str, mock_port: int | None, models: list[str], accounts: list[str] | int = 1, **settings) -> str:
    """One `[[providers]]` entry on the mock, with accounts named NAME-1.. whose upstream keys
    are sk-NAME-1.. (so the mock's last request says which account was used). Forwards the
    mock's `x-mock-*` controls."""
    lines = ["[[providers]]", f"name = {toml_value(name)}", f"models = {toml_value(models)}"]
    if mock_port is not None:
        lines.append(f'base_url = "http://127.0.0.1:{mock_port}"')
    settings.setdefault("kind", "openai")
    settings.setdefault("forward_headers", ["x-mock-*"])
    oauth = settings.pop("oauth", None)
    account_kind = settings.pop("account_kind", None)
    lines += [f"{key} = {toml_value(value)}" for key, value in settings.items()]
    if oauth:
        lines += ["", "[providers.oauth]"] + [f"{key} = {toml_value(value)}" for key, value in oauth.items()]
    names = [f"{name}-{i}" for i in range(1, accounts + 1)] if isinstance(accounts, int) else accounts
    for account in names:
        lines += ["", "[[providers.accounts]]", f"name = {toml_value(account)}"]
        if account_kind:
            lines.append(f"kind = {toml_value(account_kind)}")
        else:
            lines.append(f"api_key = {toml_value(upstream_key(account))}")
    return "\n".join(lines) + "\n"


def upstream_key(account: str) -> str:
    return f"sk-{account}-0123456789"


def config_text(directory: Path, providers: str, *, level: str = "warning", log_format: str = "text", extra: str = "") -> str:
    return base_config(directory, level=level, log_format=log_format, extra=extra) + providers


@dataclass
class Started:
    gateway: Gateway
    log: Path


@pytest.fixture
def mock(tmp_path):
    """A proxy-mock of the test's own: its counters and its last request are this test's."""
    process, port = start_server([str(BIN_DIR / "proxy-mock"), "--port", "0"], tmp_path / "mock.log")
    yield port
    stop(process)


@pytest.fixture
def launch(mock, tmp_path):
    """Starts a gateway on the providers given (TOML) and the test's mock; stops it afterwards."""
    started: list[Gateway] = []

    def start(providers: str, env: dict[str, str] | None = None, **options) -> Started:
        directory = tmp_path / f"gateway-{len(started)}"
        directory.mkdir()
        config = directory / "gateway.toml"
        config.write_text(config_text(directory, providers, **options))
        log = directory / "gateway.log"
        process, port = start_server(
            [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"], log, env=env
        )
        gateway = Gateway(url=f"http://127.0.0.1:{port}", process=process, mock_url=f"http://127.0.0.1:{mock}")
        started.append(gateway)
        gateway.key = gateway.create_key()
        return Started(gateway, log)

    yield start
    for gateway in started:
        if gateway.process.poll() is None:
            stop(gateway.process)


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self):
        return json.loads(self.text)


def call(url: str, body=None, headers: dict[str, str] | None = None, method: str | None = None, timeout: float = 120) -> Answer:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read().decode())
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read().decode())


def bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def chat(gateway: Gateway, model: str, key: str | None = None, headers: dict[str, str] | None = None, path: str = "/v1/chat/completions", **fields) -> Answer:
    body = {"model": model, "messages": MESSAGES, **fields}
    return call(f"{gateway.url}{path}", body, {**bearer(key or gateway.key), **(headers or {})})


def messages(gateway: Gateway, model: str, key: str | None = None, headers: dict[str, str] | None = None, **fields) -> Answer:
    body = {"model": model, "max_tokens": 64, "messages": MESSAGES, **fields}
    return call(f"{gateway.url}/v1/messages", body, {"x-api-key": key or gateway.key, **(headers or {})})


def mock_requests(gateway: Gateway) -> int:
    with urllib.request.urlopen(f"{gateway.mock_url}/mock/stats") as response:
        return json.load(response)["requests"]


def admin(gateway: Gateway, path: str, method: str = "GET") -> Answer:
    return call(f"{gateway.url}{path}", b"" if method == "POST" else None, bearer(ADMIN_KEY), method=method)


def metric(gateway: Gateway, name: str, labels: str) -> float:
    """The value of one series of the gateway's /metrics (metrics_port = 0: the main port)."""
    text = call(f"{gateway.url}/metrics").text
    match = re.search(rf"^{re.escape(name)}{{{re.escape(labels)}}} (\S+)$", text, re.MULTILINE)
    assert match, f"no series {name}{{{labels}}} in /metrics"
    return float(match.group(1))


def quota(gateway: Gateway, credential: str) -> dict:
    answer = call(f"{gateway.url}/auth/quota", headers=bearer(credential))
    assert answer.status == 200, answer.text
    return answer.json


def openai_client(gateway: Gateway, key: str | None = None, base: str = "/v1") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}{base}", api_key=key or gateway.key, max_retries=0)


def anthropic_client(gateway: Gateway, key: str | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key or gateway.key, max_retries=0)


# --- 1. expires_at ----------------------------------------------------------------------------


def test_a_key_past_its_expires_at_gets_401_and_one_without_works(launch, mock):
    """A virtual key's `expires_at` (unix seconds) is enforced: past it the key is refused with
    401 "expired"; a key without one, or one that expires tomorrow, works. A key that expires in
    two seconds is refused once they have passed (polled, not slept)."""
    gateway = launch(provider("up", mock, ["gpt-*"])).gateway
    now = int(time.time())
    past = gateway.create_key(expires_at=now - 60)
    tomorrow = gateway.create_key(expires_at=now + 86_400)
    soon = gateway.create_key(expires_at=now + 2)

    assert chat(gateway, "gpt-4o-mini", gateway.key).status == 200
    assert chat(gateway, "gpt-4o-mini", tomorrow).status == 200
    refused = chat(gateway, "gpt-4o-mini", past)
    assert refused.status == 401, refused.text
    assert refused.json["error"]["type"] == "authentication_error"
    assert "expired" in refused.json["error"]["message"]

    expired, took = eventually(lambda: chat(gateway, "gpt-4o-mini", soon).status == 401)
    assert expired, f"a key whose expires_at passed still worked {took:.1f} s later"
    assert "expired" in chat(gateway, "gpt-4o-mini", soon).json["error"]["message"]


# --- 2. GET /v1/models by the key's globs -----------------------------------------------------


def test_models_list_is_filtered_by_the_keys_model_globs(launch, mock):
    """`GET /v1/models` lists the configured exact names (literal patterns and aliases) the caller
    may use: a key created with models ["gpt-4o*"] sees only those that match; an unrestricted
    key sees them all."""
    providers = provider(
        "listing", mock, ["gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo", "text-*"], aliases={"gpt-4o-latest": "gpt-4o"}
    ) + provider("other", mock, ["claude-3-haiku", "claude-*"], kind="anthropic")
    gateway = launch(providers).gateway
    limited = gateway.create_key(models=["gpt-4o*"])

    everything = {m.id for m in openai_client(gateway).models.list()}
    assert everything == {"gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo", "gpt-4o-latest", "claude-3-haiku"}
    allowed = {m.id for m in openai_client(gateway, limited).models.list()}
    assert allowed == {"gpt-4o", "gpt-4o-mini", "gpt-4o-latest"}
    assert allowed == {m for m in everything if fnmatch(m, "gpt-4o*")}


# --- 3. monthly token quota: 402 --------------------------------------------------------------


def test_a_monthly_token_quota_used_up_is_402_in_the_callers_format(launch, mock):
    """A key with `monthly_tokens` = 60: each request reserves its prompt and output allowance
    (clamped to what remains), the tokens the upstream reports are charged, and once what remains
    cannot pay for a minimal answer it gets 402, as an OpenAI error (`insufficient_quota`) on
    /v1/chat/completions and an Anthropic one (`billing_error`) on /v1/messages. Another key of the
    same user is not affected. (Polled with "sooner or later a 402": should the month turn between
    two requests, the count restarts and the next requests use it up again.)"""
    providers = provider("up", mock, ["gpt-*"]) + provider("claude", mock, ["claude-*"], kind="anthropic")
    gateway = launch(providers).gateway
    small = gateway.create_key(monthly_tokens=60)

    first = chat(gateway, "gpt-4o-mini", small)
    assert first.status == 200, first.text
    assert 0 < first.json["usage"]["total_tokens"] <= 60
    # A quota too small for a minimal answer refuses before anything is sent.
    tiny = gateway.create_key(monthly_tokens=10)
    assert chat(gateway, "gpt-4o-mini", tiny).status == 402
    openai_refusal, took = eventually(lambda: (a := chat(gateway, "gpt-4o-mini", small)).status == 402 and a, interval=0.2)
    assert openai_refusal, f"no 402 within {took:.1f} s of using up the key's monthly tokens"
    assert openai_refusal.json["error"]["code"] == "insufficient_quota"
    anthropic_refusal, took = eventually(lambda: (a := messages(gateway, "claude-3", small)).status == 402 and a, interval=0.2)
    assert anthropic_refusal, f"no 402 on /v1/messages within {took:.1f} s"
    assert anthropic_refusal.json["type"] == "error"
    assert anthropic_refusal.json["error"]["type"] == "billing_error"

    used = quota(gateway, small)
    assert used["subject"] == "key" and used["limits"]["monthly_tokens"] == 60
    assert chat(gateway, "gpt-4o-mini", gateway.key).status == 200, "the user's other key has no such quota"


# --- 4. max_retries and proxy_upstream_retries_total ------------------------------------------


def test_max_retries_bounds_the_attempts_and_each_retry_is_counted(launch, mock):
    """Every account answers 500 (`x-mock-fault: 500`, forwarded): a provider with 5 accounts and
    `max_retries = 3` makes exactly 4 attempts (not one per account, not the default 3) and
    relays the last 500; `proxy_upstream_retries_total{provider}` grows by 3. With
    `max_retries = 0`, one attempt and no retry."""
    providers = provider("flaky", mock, ["flaky-*"], accounts=5, max_retries=3, strategy="round_robin") + provider(
        "once", mock, ["once-*"], accounts=2, max_retries=0, strategy="round_robin"
    )
    gateway = launch(providers).gateway
    fault = {"x-mock-fault": "500"}

    before, retries_before = mock_requests(gateway), metric(gateway, "proxy_upstream_retries_total", 'provider="flaky"')
    answer = chat(gateway, "flaky-1", headers=fault)
    assert answer.status == 500, answer.text
    assert mock_requests(gateway) - before == 4
    assert metric(gateway, "proxy_upstream_retries_total", 'provider="flaky"') - retries_before == 3

    before, retries_before = mock_requests(gateway), metric(gateway, "proxy_upstream_retries_total", 'provider="once"')
    assert chat(gateway, "once-1", headers=fault).status == 500
    assert mock_requests(gateway) - before == 1
    assert metric(gateway, "proxy_upstream_retries_total", 'provider="once"') == retries_before


# --- 5. session stickiness --------------------------------------------------------------------


def test_a_session_stays_on_one_account_of_a_round_robin_pool(launch, mock):
    """`x-session-id` (Chat) and Anthropic's `metadata.user_id` pin a conversation to one account
    of a pool of 3. The pools are `round_robin`, so requests without a session visibly rotate
    (checked first: without stickiness the session's requests would rotate the same way); the
    session's requests, interleaved with sessionless ones, all reach the same account."""
    providers = provider("pool", mock, ["gpt-*"], accounts=3, strategy="round_robin") + provider(
        "apool", mock, ["claude-*"], accounts=3, strategy="round_robin", kind="anthropic"
    )
    gateway = launch(providers).gateway
    chat_sdk, anthropic_sdk = openai_client(gateway), anthropic_client(gateway)

    def openai_account(session: str | None) -> str:
        chat_sdk.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-session-id": session} if session else None
        )
        return gateway.last_upstream_request()["headers"]["authorization"]

    def anthropic_account(user: str | None) -> str:
        anthropic_sdk.messages.create(
            model="claude-3", max_tokens=64, messages=MESSAGES, **({"metadata": {"user_id": user}} if user else {})
        )
        return gateway.last_upstream_request()["headers"]["x-api-key"]

    for account, name in [(openai_account, "x-session-id"), (anthropic_account, "metadata.user_id")]:
        assert len({account(None) for _ in range(3)}) == 3, "round_robin rotates requests without a session"
        session = f"session-{uuid.uuid4()}"
        seen = set()
        for _ in range(6):
            seen.add(account(session))
            account(None)  # moves the rotation on
        assert len(seen) == 1, f"one {name} reached several accounts: {seen}"


# --- 6. pacing: 408 and the refund of a client that left the queue ----------------------------


def test_a_queue_wait_longer_than_queue_timeout_is_408_and_not_charged(launch, mock):
    """`requests_per_second = 0.001` (one start per 1,000 s) and `queue_timeout_seconds = 1`: the
    first request starts at once; the next one's turn is ~1,000 s away, more than its limit, so it
    gets 408 at once (docs/reference.md: refused on arrival, not after waiting), never reaches the upstream,
    and gets its monthly request back."""
    gateway = launch(provider("paced", mock, ["gpt-*"], requests_per_second=0.001, queue_capacity=5, queue_timeout_seconds=1)).gateway
    token = gateway.login()
    assert chat(gateway, "gpt-4o-mini", token).status == 200
    upstream_before, charged_before = mock_requests(gateway), quota(gateway, token)

    refused = chat(gateway, "gpt-4o-mini", token)
    assert refused.status == 408, refused.text
    assert refused.json["error"]["type"] == "timeout_error"
    assert mock_requests(gateway) == upstream_before
    charged = quota(gateway, token)
    if charged["period"] != charged_before["period"]:
        pytest.skip("the month turned during the test")
    assert charged["used"]["requests"] == charged_before["used"]["requests"]


def test_a_client_that_leaves_while_queued_is_not_charged(launch, mock):
    """A paced request waiting its turn (`requests_per_second = 0.001`, `queue_timeout_seconds`
    an hour, so it waits ~1,000 s) was counted on admission; its client hangs up while it waits,
    and the request is given back (`/auth/quota` returns to the count before it) without ever
    reaching the upstream."""
    gateway = launch(
        provider("queued", mock, ["gpt-*"], requests_per_second=0.001, queue_capacity=5, queue_timeout_seconds=3600)
    ).gateway
    token = gateway.login()
    assert chat(gateway, "gpt-4o-mini", token).status == 200  # takes the only start for 1,000 s
    upstream_before, start = mock_requests(gateway), quota(gateway, token)
    base = start["used"]["requests"]

    def used_becomes(expected: int):
        current = quota(gateway, token)
        return current["period"] != start["period"] or current["used"]["requests"] == expected

    body = json.dumps({"model": "gpt-4o-mini", "messages": MESSAGES}).encode()
    port = int(gateway.url.rsplit(":", 1)[1])
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        connection.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            + f"authorization: Bearer {token}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        admitted, took = eventually(lambda: used_becomes(base + 1))
        assert admitted, f"the queued request was not admitted within {took:.1f} s"
    finally:
        connection.close()
    refunded, took = eventually(lambda: used_becomes(base))
    if quota(gateway, token)["period"] != start["period"]:
        pytest.skip("the month turned during the test")
    assert refunded, f"the request whose client left the queue was still charged {took:.1f} s later"
    assert mock_requests(gateway) == upstream_before, "the request that left the queue reached the upstream"


# --- 7. POST /admin/accounts/health-check -----------------------------------------------------


def test_a_health_check_puts_a_refused_account_back_in_rotation(launch, mock):
    """An account whose upstream answered 401 is out of rotation (503 for its models) until an
    operator acts. `POST /admin/accounts/health-check` (admin key) probes every account (the
    mock answers its /v1/models), answers 200 with each account's health, and the account serves
    again."""
    gateway = launch(provider("hc", mock, ["gpt-*"], accounts=1)).gateway
    assert chat(gateway, "gpt-4o-mini", headers={"x-mock-fault": "401-echo"}).status == 401
    assert chat(gateway, "gpt-4o-mini").status == 503
    [state] = admin(gateway, "/admin/accounts").json["data"]
    assert (state["account"], state["healthy"]) == ("hc-1", False)

    assert call(f"{gateway.url}/admin/accounts/health-check", b"", method="POST").status == 401
    checked = admin(gateway, "/admin/accounts/health-check", method="POST")
    assert checked.status == 200, checked.text
    assert checked.json["data"] == [{"provider": "hc", "account": "hc-1", "healthy": True}]
    [state] = admin(gateway, "/admin/accounts").json["data"]
    assert state["healthy"] is True
    assert chat(gateway, "gpt-4o-mini").status == 200


# --- 8. POST /chat/completions ----------------------------------------------------------------


def test_the_bare_chat_completions_route_is_the_v1_route(launch, mock):
    """`POST /chat/completions` (no /v1, as clients configured with a bare base URL send it) is
    the same route as `/v1/chat/completions`: the same answer, streaming too, and the same
    credential check."""
    gateway = launch(provider("up", mock, ["gpt-*"])).gateway
    v1 = openai_client(gateway, base="/v1").chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    bare = openai_client(gateway, base="").chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert bare.object == "chat.completion"
    assert bare.choices[0].message.content == v1.choices[0].message.content
    assert bare.usage.completion_tokens == v1.usage.completion_tokens
    streamed = openai_client(gateway, base="").chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in streamed if c.choices) == v1.choices[0].message.content
    unauthenticated = call(f"{gateway.url}/chat/completions", {"model": "gpt-4o-mini", "messages": MESSAGES})
    assert unauthenticated.status == 401
    assert unauthenticated.json["error"]["type"] == "authentication_error"


# --- 9. default anthropic-version -------------------------------------------------------------


def test_an_anthropic_provider_gets_a_default_anthropic_version(launch, mock):
    """Anthropic's API needs `anthropic-version`: when the client sends none (a raw /v1/messages
    call, or a Chat client translated to an Anthropic provider) the gateway sends 2023-06-01; a
    client's own version goes up as it sent it."""
    gateway = launch(provider("claude", mock, ["claude-*"], kind="anthropic")).gateway

    def upstream_version(answer: Answer, marker: str) -> str | None:
        assert answer.status == 200, answer.text
        seen = gateway.last_upstream_request()
        assert marker in json.dumps(seen["body"]), "the mock's last request is not this one"
        return seen["headers"].get("anthropic-version")

    for route in [messages, chat]:
        marker = f"version check {uuid.uuid4()}"
        answer = route(gateway, "claude-3", messages=[{"role": "user", "content": marker}])
        assert upstream_version(answer, marker) == "2023-06-01", route.__name__
    marker = f"version check {uuid.uuid4()}"
    answer = messages(gateway, "claude-3", headers={"anthropic-version": "2023-01-01"}, messages=[{"role": "user", "content": marker}])
    assert upstream_version(answer, marker) == "2023-01-01"


# --- 11. request_id in the access log line ----------------------------------------------------
# (10, SIGINT, is test_a_stop_signal_lets_an_in_flight_stream_finish_then_exits_zero in
# test_openai_sdk.py, beside SIGTERM.)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_access_log_line_carries_the_responses_request_id(launch, mock, log_format):
    """With `logging.level = "info"`, each request leaves an access line ("request", method, path,
    status) on stdout; it carries the request's `x-request-id` (the one on the response) as
    `request_id`, in both `logging.format`s."""
    started = launch(provider("up", mock, ["gpt-*"]), level="info", log_format=log_format)
    answer = chat(started.gateway, "gpt-4o-mini")
    assert answer.status == 200
    request_id = answer.headers["x-request-id"]

    def access_line():
        for line in started.log.read_text(errors="replace").splitlines():
            if log_format == "json":
                if not line.startswith("{"):
                    continue
                entry = json.loads(line)
                if entry.get("request_id") == request_id and entry.get("msg") == "request":
                    return entry
            elif f"request_id={request_id}" in line and line.endswith("] request"):
                return line
        return None

    line, took = eventually(access_line)
    assert line, f"no access line with request_id {request_id} in {started.log} after {took:.1f} s"
    if log_format == "json":
        assert (line["path"], line["status"], line["method"]) == ("/v1/chat/completions", "200", "POST")
    else:
        assert "path=/v1/chat/completions" in line and "status=200" in line


# --- 12. OAuth accounts without PROXY_MASTER_KEY ----------------------------------------------

OAUTH_WARNING = f"OAuth accounts are configured but {MASTER_KEY_VARIABLE} is not set"


@pytest.mark.parametrize(
    "oauth_accounts, master_key, warned",
    [(True, False, True), (True, True, False), (False, False, False)],
    ids=["oauth-without-master-key", "oauth-with-master-key", "no-oauth"],
)
def test_oauth_accounts_without_a_master_key_warn_at_start_up(launch, mock, oauth_accounts, master_key, warned):
    """docs/reference.md (Logs): "with OAuth accounts but no PROXY_MASTER_KEY the start-up warns that rotated
    tokens will not survive a restart". The warning comes before "listening on", so the log is
    complete when the gateway is up. Not with the master key set, not without OAuth accounts.
    (This is `PROXY_MASTER_KEY`, the environment's sealing key, not `auth.admin_key`.)"""
    env = {k: v for k, v in os.environ.items() if k != MASTER_KEY_VARIABLE}
    if master_key:
        env[MASTER_KEY_VARIABLE] = "compat-master-key-0123456789"
    oauth = {"token_url": f"http://127.0.0.1:{mock}/v1/oauth/token"}
    providers = provider("up", mock, ["gpt-*"]) + (
        provider("subscription", mock, ["claude-*"], kind="anthropic", account_kind="oauth", oauth=oauth) if oauth_accounts else ""
    )
    started = launch(providers, env=env)
    lines = [line for line in started.log.read_text(errors="replace").splitlines() if OAUTH_WARNING in line]
    assert len(lines) == (1 if warned else 0), lines
    if warned:
        assert " warning " in lines[0] and "will not survive a restart" in lines[0]
    assert chat(started.gateway, "gpt-4o-mini").status == 200


# --- 13. unknown user vs wrong password -------------------------------------------------------


def test_an_unknown_user_is_refused_exactly_like_a_wrong_password(launch, mock):
    """A login with an unknown username gets the same 401 (status, content type, body) as a known
    user's wrong password, so the answer does not tell which usernames exist. (Timing is not
    asserted. Three attempts, under the throttle's five a minute, on a gateway of its own.)"""
    gateway = launch(provider("up", mock, ["gpt-*"])).gateway

    def login(username: str, password: str) -> Answer:
        return call(f"{gateway.url}/auth/login", {"username": username, "password": password})

    wrong_password = login("alice", "not-alices-password")
    unknown_user = login(f"nobody-{uuid.uuid4().hex[:8]}", "not-alices-password")
    assert wrong_password.status == unknown_user.status == 401
    assert wrong_password.headers["content-type"] == unknown_user.headers["content-type"]
    assert wrong_password.text == unknown_user.text
    assert wrong_password.json["error"]["type"] == "authentication_error"
    assert login("alice", "alice-password").status == 200


# --- connect timeout ----------------------------------------------------------------------------


def test_connect_timeout_seconds_bounds_connecting(launch, tmp_path):
    """An upstream whose accept queue is full drops the gateway's SYN, so connecting never
    completes. With `connect_timeout_seconds = 1` under a 4.5 s request deadline (room for a
    loaded machine), the attempt fails as a connection failure (502); were the connect timeout
    ignored (its default is 5 s), the request would outlive its deadline instead (504). Only
    statuses are compared."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = []
    try:
        # Fill the accept queue (nobody accepts) until a connection no longer completes.
        while True:
            client = socket.socket()
            client.settimeout(0.5)
            try:
                client.connect(("127.0.0.1", port))
            except (TimeoutError, socket.timeout):
                client.close()
                break
            held.append(client)
            assert len(held) < 64, "the listener's queue never filled"
        providers = provider(
            "unreachable", port, ["far-*"], connect_timeout_seconds=1, timeout_seconds=4.5, max_retries=0
        )
        gateway = launch(providers).gateway
        answer = chat(gateway, "far-1")
        assert answer.status == 502, answer.text
    finally:
        for client in held:
            client.close()
        listener.close()
