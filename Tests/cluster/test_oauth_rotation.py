"""Issue #22, item 6: two instances on one PostgreSQL share an OAuth account whose provider
rotates refresh tokens and revokes each once used (proxy-mock --oauth-single-use-refresh). Its
access tokens expire at once, so every request refreshes: a rotation per request. An instance
whose refresh is refused because the other used the token first takes the tokens the other
saved, and both keep serving."""

import json
import signal
import subprocess
import urllib.error
import urllib.request

from conftest import BIN_DIR, config, launch
from harness import start_server

OAUTH_PROVIDER = """
[[providers]]
name = "claude"
kind = "anthropic"
base_url = "{mock}"
models = ["claude-*"]
timeout_seconds = 30

[providers.oauth]
token_url = "{mock}/v1/oauth/token"

[[providers.accounts]]
name = "subscription"
kind = "oauth"
refresh_token = "seed-refresh-token"
expires_at = 1
"""


def messages(url: str, token: str) -> int:
    body = json.dumps({"model": "claude-x", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(
        f"{url}/v1/messages", data=body, headers={"content-type": "application/json", "x-api-key": token}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_instances_keep_serving_through_three_rotations(postgres, tmp_path):
    mock, port = start_server(
        [str(BIN_DIR / "proxy-mock"), "--port", "0", "--oauth-single-use-refresh", "--oauth-expires-in", "1"],
        tmp_path / "mock.log",
    )
    instances = []
    try:
        text = config(postgres.url) + OAUTH_PROVIDER.format(mock=f"http://127.0.0.1:{port}")
        instances = [launch(tmp_path, name, text) for name in ("a", "b")]
        tokens = [instance.login("alice", "alice-password") for instance in instances]
        # A, B, A, B, ...: each request refreshes with the refresh token its instance last knew,
        # which the other instance's refresh has revoked from the second request on.
        statuses = [messages(instances[turn % 2].url, tokens[turn % 2]) for turn in range(6)]
        assert statuses == [200] * 6, statuses
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/mock/stats") as response:
            refreshes = json.load(response)["oauth_refreshes"]
        # One rotation per request: six, so at least three on each side of the handover.
        assert refreshes == 6, refreshes
        # The rotated tokens are in the store, sealed: no plaintext token is in the row.
        row = subprocess.run(
            ["psql", postgres.url.split("?")[0], "-Atc",
             "SELECT access_token || ' ' || refresh_token FROM upstream_accounts WHERE provider = 'claude'"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        assert row, "the rotated tokens were not saved"
        assert "mock-access" not in row and "mock-refresh" not in row, row
    finally:
        for instance in instances:
            if instance.process.poll() is None:
                instance.stop()
        mock.send_signal(signal.SIGTERM)
        mock.wait(timeout=30)
