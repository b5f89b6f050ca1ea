"""Issue #15's must-shows: two or more instances on one PostgreSQL share keys, quotas, limits and
usage, and keep serving while the database is away."""

import concurrent.futures
import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request

from conftest import ADMIN_KEY, BIN_DIR, config, launch
from harness import SETTLE_DEADLINE_SECONDS, eventually


def stream_open(instance, token: str, model: str):
    """Starts a streaming completion and returns the response once its first event has arrived."""
    body = b'{"model":"%s","stream":true,"messages":[{"role":"user","content":"hi"}]}' % model.encode()
    request = urllib.request.Request(
        instance.url + "/v1/chat/completions",
        data=body,
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    response = urllib.request.urlopen(request, timeout=60)
    assert response.status == 200
    assert response.readline().startswith(b"data:")
    return response


def test_a_key_made_on_one_instance_works_on_another_and_its_revocation_too(cluster):
    a, b = cluster("a"), cluster("b")
    key, key_id = a.create_key()
    accepted, took = eventually(lambda: b.complete(key) == 200)
    assert accepted, f"B did not accept A's new key within {took:.1f} s"
    # B has it cached now; the revocation must reach it anyway.
    assert b.complete(key) == 200
    status, _ = a.call("DELETE", f"/admin/keys/{key_id}", admin=True)
    assert status == 200
    refused, took = eventually(lambda: b.complete(key) == 401)
    assert refused, f"B still accepted a key revoked on A after {took:.1f} s"
    # Disabled on B: A refuses it too.
    key, key_id = a.create_key()
    assert a.complete(key) == 200
    status, _ = b.call("PATCH", f"/admin/keys/{key_id}", {"disabled": True}, admin=True)
    assert status == 200
    refused, took = eventually(lambda: a.complete(key) == 403)
    assert refused, f"A still accepted a key disabled on B after {took:.1f} s"


def test_a_tier_of_five_admits_exactly_five_across_two_instances(cluster):
    a, b = cluster("a"), cluster("b")
    token = a.login("five", "five-password")
    with concurrent.futures.ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(lambda i: (a if i % 2 else b).complete(token), range(24)))
    assert sorted(statuses) == [200] * 5 + [402] * 19, statuses
    for instance in (a, b):
        shown, _ = eventually(lambda: instance.quota_used(token) == 5)
        assert shown, f"/auth/quota on {instance.url} says {instance.quota_used(token)}, not 5"


def test_one_credential_has_one_concurrency_limit_across_instances(cluster):
    a, b = cluster("a", per_token_concurrency=1), cluster("b", per_token_concurrency=1)
    key, _ = a.create_key()
    stream = stream_open(a, key, "medium-1")
    assert b.complete(key) == 429
    while stream.readline():
        pass
    stream.close()
    admitted, took = eventually(lambda: b.complete(key) == 200)
    assert admitted, f"B still refused the credential {took:.1f} s after A's stream ended"


def test_the_slots_of_a_killed_instance_free_themselves(cluster):
    """A slot grant lives 15 s unless its instance renews it (every 5 s), so a killed instance's
    slot is free again about 15 s later. How soon B notices depends on the machine's load: the
    deadline is a bound on waiting, not the guarantee under test."""
    a, b = cluster("a", per_token_concurrency=1), cluster("b", per_token_concurrency=1)
    key, _ = a.create_key()
    stream = stream_open(a, key, "slow-1")
    assert b.complete(key) == 429
    a.process.send_signal(signal.SIGKILL)
    a.process.wait()
    stream.close()
    admitted, took = eventually(lambda: b.complete(key) == 200, 15 + SETTLE_DEADLINE_SECONDS, interval=0.25)
    assert admitted, f"B still refused the credential {took:.1f} s after A was killed"


def test_usage_from_every_instance_lands_in_the_same_tables(cluster):
    a, b = cluster("a"), cluster("b")
    key, key_id = a.create_key()
    for i in range(10):
        assert (a if i % 2 else b).complete(key) == 200

    def records():
        status, body = a.call("GET", f"/admin/usage?key={key_id}", admin=True)
        assert status == 200
        return body["totals"]["requests"] == 10

    shown, _ = eventually(records)
    assert shown, "A's /admin/usage does not show the ten requests made through A and B"
    # The CLI reads the same tables.
    out = subprocess.run(
        [str(BIN_DIR / "proxy-server"), "usage", "--config", str(a.log.with_suffix(".toml")), "--key", key_id],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "requests 10" in out, out


def test_instances_keep_serving_while_the_database_is_away_and_lose_no_count(cluster, postgres, tmp_path):
    a, b = cluster("a"), cluster("b")
    key, _ = a.create_key(monthly_requests=1000)
    session = a.login("alice", "alice-password")
    for instance in (a, b):
        assert instance.complete(key) == 200
        assert instance.complete(session) == 200
    settled, _ = eventually(lambda: a.quota_used(key) == 2)
    assert settled
    postgres.pause()
    try:
        statuses = [(a if i % 2 else b).complete(key) for i in range(10)]
        assert statuses == [200] * 10, statuses
        assert [b.complete(session) for _ in range(3)] == [200] * 3
        status, body = a.call("GET", "/ready")
        assert (status, body.get("status")) == (200, "degraded")
        def store_down():
            with urllib.request.urlopen(a.url + "/metrics") as response:
                return re.search(r"^proxy_store_up 0(\.0)?$", response.read().decode(), re.MULTILINE)

        flagged, _ = eventually(store_down)
        assert flagged, "proxy_store_up did not go to 0"
        status, body = a.call("POST", "/admin/keys", {"name": "new", "user": "alice"}, admin=True)
        assert status == 503, body
        assert "store" in body["error"]["message"]
    finally:
        postgres.resume()
    for instance in (a, b):
        counted, _ = eventually(lambda: instance.quota_used(key) == 12, interval=0.2)
        assert counted, f"{instance.url} shows {instance.quota_used(key)} requests, not 12"
    status, body = a.call("GET", "/ready")
    assert (status, body.get("status")) == (200, "ready")
    # Both restart: every count is still there.
    assert a.stop() == 0 and b.stop() == 0
    a, b = launch(tmp_path, "a2", config(postgres.url)), launch(tmp_path, "b2", config(postgres.url))
    try:
        assert a.quota_used(key) == 12 and b.quota_used(key) == 12
    finally:
        assert a.stop() == 0 and b.stop() == 0


def test_units_another_instance_holds_are_given_back_when_one_is_refused(cluster):
    """A quota of 64: A's first request leases a block of 4. B takes the rest and is refused
    while A still holds 3 unused units; A gives them back, so that the requests that keep coming
    to B are admitted up to exactly 64."""
    a, b = cluster("a"), cluster("b")
    key, _ = a.create_key(monthly_requests=64)
    assert a.complete(key) == 200
    admitted = 1
    refusals = 0
    for _ in range(400):
        status = b.complete(key)
        if status == 200:
            admitted += 1
        else:
            assert status == 402
            refusals += 1
            if admitted == 64 and refusals >= 3:
                break
    assert admitted == 64
    assert a.complete(key) == 402


def test_the_command_line_works_against_postgres(cluster, postgres, tmp_path):
    a = cluster("a")
    path = tmp_path / "cli.toml"
    path.write_text(config(postgres.url))
    env = {**os.environ, "PROXY_MASTER_KEY": "cluster-master-key-0123456789"}

    def cli(*args, stdin: str = ""):
        return subprocess.run(
            [str(BIN_DIR / "proxy-server"), *args, "--config", str(path)],
            check=True, capture_output=True, text=True, env=env, input=stdin,
        ).stdout

    out = cli("keys", "create", "--user", "alice", "--name", "from-cli")
    key = next(word for word in out.split() if word.startswith("sk-"))
    accepted, _ = eventually(lambda: a.complete(key) == 200)
    assert accepted
    assert "from-cli" in cli("keys", "list")
    cli("accounts", "add-api-key", "--provider", "mock", "--name", "pooled", stdin="sk-upstream-0123456789\n")
    assert "mock/pooled" in cli("accounts", "list")

    def pooled_on_a():
        status, body = a.call("GET", "/admin/accounts", admin=True)
        assert status == 200
        return "pooled" in json.dumps(body)

    # The running instance reloads when the store announces the change.
    shown, _ = eventually(pooled_on_a)
    assert shown, "A did not pick up the account added to the shared store"
    assert "sk-upstream-0123456789" not in a.log.read_text()
    cli("accounts", "remove", "--provider", "mock", "--name", "pooled")
    assert "mock/pooled" not in cli("accounts", "list")
    gone, _ = eventually(lambda: not pooled_on_a())
    assert gone, "A still lists the account removed from the shared store"


def test_fifty_simultaneous_requests_on_one_credential_over_two_instances_admit_exactly_the_limit(cluster):
    a, b = cluster("a", per_token_concurrency=5), cluster("b", per_token_concurrency=5)
    key, _ = a.create_key()

    def attempt(index: int):
        instance = a if index % 2 else b
        body = b'{"model":"slow-1","stream":true,"messages":[{"role":"user","content":"hi"}]}'
        request = urllib.request.Request(
            instance.url + "/v1/chat/completions",
            data=body,
            headers={"content-type": "application/json", "authorization": f"Bearer {key}"},
        )
        try:
            response = urllib.request.urlopen(request, timeout=60)
        except urllib.error.HTTPError as error:
            return error.code, None
        response.readline()
        return response.status, response

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(attempt, range(50)))
    statuses = sorted(status for status, _ in results)
    for _, response in results:
        if response:
            response.close()
    assert statuses == [200] * 5 + [429] * 45, statuses


def test_a_responses_chain_continues_on_another_instance(cluster):
    """`previous_response_id` resolves whichever instance serves the next turn: the stored
    response lives in PostgreSQL, and so does its deletion."""
    a, b = cluster("a"), cluster("b")
    token = a.login("alice", "alice-password")
    status, first = a.call("POST", "/v1/responses", {"model": "mock-small", "input": "My name is Ada."}, token)
    assert status == 200, first
    status, second = b.call(
        "POST", "/v1/responses", {"model": "mock-small", "input": "What is my name?", "previous_response_id": first["id"]}, token
    )
    assert status == 200, second
    assert second["id"] != first["id"]
    status, fetched = b.call("GET", f"/v1/responses/{first['id']}", token=token)
    assert status == 200 and fetched["id"] == first["id"] and fetched["output"] == first["output"]
    # Another user's id is not found, as an unknown one is.
    other = a.login("five", "five-password")
    assert b.call("GET", f"/v1/responses/{first['id']}", token=other)[0] == 404
    status, refused = a.call(
        "POST", "/v1/responses", {"model": "mock-small", "input": "x", "previous_response_id": first["id"]}, other
    )
    assert status == 400 and refused["error"]["code"] == "previous_response_not_found"
    status, deleted = b.call("DELETE", f"/v1/responses/{first['id']}", token=token)
    assert status == 200 and deleted == {"id": first["id"], "object": "response", "deleted": True}
    status, refused = a.call(
        "POST", "/v1/responses", {"model": "mock-small", "input": "x", "previous_response_id": first["id"]}, token
    )
    assert status == 400 and refused["error"]["code"] == "previous_response_not_found"
