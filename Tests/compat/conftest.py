"""Starts proxy-mock and proxy-server (real processes, ephemeral loopback ports) for the SDK suites."""

import json
import os
import signal
import subprocess
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import start_server

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(os.environ.get("PROXY_BIN_DIR", ROOT / ".build" / "debug"))
UPSTREAM_KEY = "sk-upstream-compat-0123456789"
ADMIN_KEY = "compat-admin-key-0123456789"

# Loopback traffic must never go through a proxy set in the environment.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


@dataclass
class Gateway:
    url: str
    process: subprocess.Popen
    mock_url: str
    key: str = ""

    def last_upstream_request(self) -> dict:
        """What proxy-mock last received: {"body": ..., "headers": {...}}."""
        with urllib.request.urlopen(f"{self.mock_url}/mock/last-request") as response:
            return json.load(response)

    def login(self, username: str = "alice", password: str = "alice-password") -> str:
        body = json.dumps({"username": username, "password": password}).encode()
        request = urllib.request.Request(f"{self.url}/auth/login", data=body, headers={"content-type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)["token"]

    def create_key(self, **fields) -> str:
        body = json.dumps({"name": "compat", "user": "alice", **fields}).encode()
        request = urllib.request.Request(
            f"{self.url}/admin/keys",
            data=body,
            headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN_KEY}"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
            return json.load(response)["key"]


def base_config(directory: Path, *, level: str = "warning", log_format: str = "text", extra: str = "") -> str:
    """What every compat gateway shares: one user, the admin key, a SQLite store in `directory`,
    no per-credential limit. Providers are appended by the caller."""
    return f"""
[server]
metrics_port = 0
shutdown_grace_seconds = 20

[logging]
level = "{level}"
format = "{log_format}"

[auth]
jwt_secret = "compat-jwt-secret-0123456789"
admin_key = "{ADMIN_KEY}"

[[auth.users]]
username = "alice"
password = "alice-password"
tier = "pro"

[storage]
url = "sqlite:{directory}/state.sqlite"

[limits]
per_token_concurrency = 0
{extra}
"""


def gateway_config(mock_port: int, directory: Path, extra: str = "") -> str:
    return base_config(directory) + f"""
[[providers]]
name = "mock-upstream"
kind = "openai"
base_url = "http://127.0.0.1:{mock_port}"
models = ["gpt-*"]
aliases = {{ "gpt-4o" = "gpt-4o-mini" }}
timeout_seconds = 30
forward_headers = ["x-mock-*"]

[[providers.accounts]]
name = "acct-1"
api_key = "{UPSTREAM_KEY}"

[[providers]]
name = "slow-upstream"
kind = "openai"
base_url = "http://127.0.0.1:{mock_port}"
models = ["slow-*"]
timeout_seconds = 1
forward_headers = ["x-mock-*"]

[[providers.accounts]]
name = "acct-slow"
api_key = "{UPSTREAM_KEY}"

[[providers]]
name = "anthropic-upstream"
kind = "anthropic"
base_url = "http://127.0.0.1:{mock_port}"
models = ["claude-*"]
timeout_seconds = 30
forward_headers = ["x-mock-*"]

[[providers.accounts]]
name = "acct-anthropic"
api_key = "{UPSTREAM_KEY}"

[[providers]]
name = "native-responses"
kind = "openai"
base_url = "http://127.0.0.1:{mock_port}"
models = ["native-*"]
responses_api = "native"
timeout_seconds = 30
forward_headers = ["x-mock-*"]

[[providers.accounts]]
name = "acct-native"
api_key = "{UPSTREAM_KEY}"

[[providers]]
name = "gemini-upstream"
kind = "gemini"
base_url = "http://127.0.0.1:{mock_port}/v1beta"
models = ["gemini-*"]
timeout_seconds = 30
forward_headers = ["x-mock-*"]

[[providers.accounts]]
name = "acct-gemini"
api_key = "{UPSTREAM_KEY}"

[[providers]]
name = "in-process"
kind = "mock"
models = ["mock-*"]
{extra}"""


@pytest.fixture(scope="session")
def mock_upstream(tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    process, port = start_server([str(BIN_DIR / "proxy-mock"), "--port", "0"], logs / "mock.log")
    yield port
    stop(process)


def launch_gateway(mock_port: int, directory: Path, extra: str = "") -> Gateway:
    config = directory / "gateway.toml"
    config.write_text(gateway_config(mock_port, directory, extra))
    process, port = start_server(
        [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"], directory / "gateway.log"
    )
    gateway = Gateway(url=f"http://127.0.0.1:{port}", process=process, mock_url=f"http://127.0.0.1:{mock_port}")
    gateway.key = gateway.create_key()
    return gateway


@pytest.fixture(scope="session")
def gateway(mock_upstream, tmp_path_factory):
    gw = launch_gateway(mock_upstream, tmp_path_factory.mktemp("gateway"))
    yield gw
    assert stop(gw.process) == 0


@pytest.fixture
def fresh_gateway(mock_upstream, tmp_path):
    """A gateway of the test's own, for tests that stop it."""
    gw = launch_gateway(mock_upstream, tmp_path)
    yield gw
    if gw.process.poll() is None:
        stop(gw.process)
