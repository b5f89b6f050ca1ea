"""`proxy-server accounts` and `oauth`: secrets sealed in the store under PROXY_MASTER_KEY, PKCE
authorization against proxy-mock's token endpoint, and the gateway serving with both."""

import os
import re
import sqlite3
import subprocess
import urllib.parse

import anthropic
import openai

from conftest import BIN_DIR, Gateway, gateway_config, stop
from harness import start_server

MASTER_KEY = "compat-master-key-0123456789"
STORED_KEY = "sk-stored-account-key-0123456789"


def cli(config, *args, master_key=MASTER_KEY, stdin=""):
    env = {k: v for k, v in os.environ.items() if k != "PROXY_MASTER_KEY"}
    if master_key:
        env["PROXY_MASTER_KEY"] = master_key
    return subprocess.run(
        [str(BIN_DIR / "proxy-server"), *args, "--config", str(config)], input=stdin, capture_output=True, text=True, env=env, timeout=120
    )


def write_config(mock_upstream, tmp_path):
    config = tmp_path / "gateway.toml"
    config.write_text(
        gateway_config(
            mock_upstream,
            tmp_path,
            f"""
[[providers]]
name = "claude-sub"
kind = "anthropic"
base_url = "http://127.0.0.1:{mock_upstream}"
models = ["sub-claude-*"]

[providers.oauth]
token_url = "http://127.0.0.1:{mock_upstream}/v1/oauth/token"
""",
        )
    )
    return config


def test_stored_accounts_are_sealed_and_need_the_master_key(mock_upstream, tmp_path):
    config = write_config(mock_upstream, tmp_path)
    refused = cli(config, "accounts", "add-api-key", "--provider", "mock-upstream", "--name", "stored-1", master_key=None, stdin=STORED_KEY)
    assert refused.returncode == 1 and "PROXY_MASTER_KEY" in refused.stderr

    added = cli(config, "accounts", "add-api-key", "--provider", "mock-upstream", "--name", "stored-1", stdin=STORED_KEY + "\n")
    assert added.returncode == 0, added.stderr
    listed = cli(config, "accounts", "list")
    assert "mock-upstream/stored-1  api_key  weight=1.0  source=store" in listed.stdout
    assert STORED_KEY not in listed.stdout
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        sealed = db.execute("SELECT api_key FROM upstream_accounts WHERE name = 'stored-1'").fetchone()[0]
    assert sealed.startswith("enc:v1:") and STORED_KEY not in sealed

    # Without the key the gateway refuses to start, saying why.
    env = {k: v for k, v in os.environ.items() if k != "PROXY_MASTER_KEY"}
    result = subprocess.run(
        [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "PROXY_MASTER_KEY" in result.stderr and "encrypted upstream secrets" in result.stderr
    # With a wrong key it says the secrets do not open.
    wrong = subprocess.run(
        [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"],
        capture_output=True, text=True, env={**env, "PROXY_MASTER_KEY": "not-the-right-key-000"}, timeout=60,
    )
    assert wrong.returncode == 1 and "does not open" in wrong.stderr

    removed = cli(config, "accounts", "remove", "--provider", "mock-upstream", "--name", "stored-1")
    assert removed.returncode == 0
    assert "stored-1" not in cli(config, "accounts", "list").stdout


def test_oauth_start_and_callback_then_serve(mock_upstream, tmp_path):
    config = write_config(mock_upstream, tmp_path)
    assert cli(config, "accounts", "add-oauth", "--provider", "claude-sub", "--name", "cc-1").returncode == 0
    started = cli(config, "oauth", "start", "--account", "cc-1")
    assert started.returncode == 0, started.stderr
    url = next(line for line in started.stdout.splitlines() if line.startswith("https://"))
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == ["9d1c250a-e61b-44d9-88ed-5944d1962f5e"]
    assert "awaiting oauth callback" in cli(config, "accounts", "list").stdout

    bad = cli(config, "oauth", "callback", "--account", "cc-1", "--code", "wrong-code")
    assert bad.returncode == 1
    done = cli(config, "oauth", "callback", "--account", "cc-1", "--code", f"mock-code#{query['state'][0]}")
    assert done.returncode == 0, done.stderr

    env = {**os.environ, "PROXY_MASTER_KEY": MASTER_KEY}
    process, port = start_server(
        [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"], tmp_path / "gateway.log", env=env
    )
    try:
        gateway = Gateway(url=f"http://127.0.0.1:{port}", process=process, mock_url=f"http://127.0.0.1:{mock_upstream}")
        gateway.key = gateway.create_key()
        client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
        message = client.messages.create(model="sub-claude-1", max_tokens=16, messages=[{"role": "user", "content": "hi"}])
        assert message.stop_reason == "end_turn"
        headers = gateway.last_upstream_request()["headers"]
        assert re.fullmatch(r"Bearer mock-access-\d+", headers["authorization"])
        assert "oauth-2025-04-20" in headers["anthropic-beta"]
        # The OpenAI SDK reaches the subscription account too, translated.
        chat = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.key, max_retries=0)
        assert chat.chat.completions.create(model="sub-claude-1", messages=[{"role": "user", "content": "hi"}]).choices[0].message.content
    finally:
        assert stop(process) == 0


def test_weights_and_timeouts_that_are_not_numbers_are_refused_by_the_cli(mock_upstream, tmp_path):
    config = write_config(mock_upstream, tmp_path)
    for weight in ["inf", "nan", "0", "-1", "1e300"]:
        refused = cli(config, "accounts", "add-api-key", "--provider", "mock-upstream", "--name", "w", "--weight", weight, stdin=STORED_KEY)
        assert refused.returncode != 0, weight
        assert "weight" in refused.stderr, refused.stderr
    listed = cli(config, "accounts", "list")
    assert "mock-upstream/w " not in listed.stdout
    for value in ["inf", "nan", "1e300"]:
        broken = tmp_path / f"broken-{value}.toml"
        broken.write_text(config.read_text().replace('timeout_seconds = 30', f'timeout_seconds = {value}', 1))
        checked = subprocess.run(
            [str(BIN_DIR / "proxy-server"), "check-config", "--config", str(broken)], capture_output=True, text=True, timeout=60
        )
        assert checked.returncode == 1, value
        assert "providers[0].timeout_seconds" in checked.stderr, checked.stderr
