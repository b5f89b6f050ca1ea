"""Several real proxy-server processes sharing one real PostgreSQL (started by scripts/postgres.sh)."""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The compat suite's harness, shared (appended: this folder's conftest stays `conftest`).
sys.path.append(str(ROOT / "Tests" / "compat"))
from harness import start_server  # noqa: E402

BIN_DIR = Path(os.environ.get("PROXY_BIN_DIR", ROOT / ".build" / "debug"))
ADMIN_KEY = "cluster-admin-key-0123456789"
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
# Accounts added by the CLI are sealed with it; every instance opens them.
os.environ["PROXY_MASTER_KEY"] = "cluster-master-key-0123456789"


class Postgres:
    def __init__(self):
        out = subprocess.run([str(ROOT / "scripts/postgres.sh"), "up"], check=True, capture_output=True, text=True).stdout
        values = dict(line.split("=", 1) for line in out.strip().splitlines())
        self.data, self.url = values["PGDATA"], values["PROXY_PG_URL"]

    def pause(self):
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "pause", self.data], check=True)

    def resume(self):
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "resume", self.data], check=True)

    def down(self):
        subprocess.run([str(ROOT / "scripts/postgres.sh"), "down", self.data], check=True)


@pytest.fixture(scope="session")
def postgres():
    database = Postgres()
    yield database
    database.down()


def config(storage_url: str, per_token_concurrency: int = 0, tiers: str = "") -> str:
    return f"""
[server]
metrics_port = 0
shutdown_grace_seconds = 10

[logging]
level = "warning"

[auth]
jwt_secret = "cluster-jwt-secret-0123456789"
admin_key = "{ADMIN_KEY}"

[[auth.users]]
username = "alice"
password = "alice-password"
tier = "pro"

[[auth.users]]
username = "five"
password = "five-password"
tier = "five"

[quota]
flush_every_requests = 1
flush_interval_seconds = 0.2

[quota.tiers.pro]
monthly_requests = 1000

[quota.tiers.five]
monthly_requests = 5
{tiers}

[storage]
url = "{storage_url}"

[limits]
per_token_concurrency = {per_token_concurrency}

[[providers]]
name = "mock"
kind = "mock"
models = ["mock-*"]

[providers.mock]
chunks = 6
chunk_delay_ms = 10

# A stream of about 2 s, and one of about 120 s: held while an instance is killed, it outlasts
# the wait for the slot to expire, so only the expiry can free the slot in time.
[[providers]]
name = "medium"
kind = "mock"
models = ["medium-*"]

[providers.mock]
chunks = 40
chunk_delay_ms = 50

[[providers]]
name = "slow"
kind = "mock"
models = ["slow-*"]

[providers.mock]
chunks = 1200
chunk_delay_ms = 100
"""


@dataclass
class Instance:
    url: str
    process: subprocess.Popen
    log: Path

    def call(self, method: str, path: str, body=None, token: str | None = None, admin: bool = False) -> tuple[int, dict]:
        headers = {"content-type": "application/json"}
        if admin:
            headers["authorization"] = f"Bearer {ADMIN_KEY}"
        elif token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def complete(self, token: str, model: str = "mock-small") -> int:
        status, _ = self.call("POST", "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}]}, token)
        return status

    def create_key(self, user: str = "alice", **fields) -> tuple[str, str]:
        status, body = self.call("POST", "/admin/keys", {"name": "cluster", "user": user, **fields}, admin=True)
        assert status == 201, body
        return body["key"], body["id"]

    def login(self, user: str, password: str) -> str:
        status, body = self.call("POST", "/auth/login", {"username": user, "password": password})
        assert status == 200, body
        return body["token"]

    def quota_used(self, token: str) -> int:
        status, body = self.call("GET", "/auth/quota", token=token)
        assert status == 200, body
        return body["used"]["requests"]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def launch(directory: Path, name: str, text: str) -> Instance:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.toml"
    path.write_text(text)
    log = directory / f"{name}.log"
    process, port = start_server([str(BIN_DIR / "proxy-server"), "serve", "--config", str(path), "--port", "0"], log)
    return Instance(f"http://127.0.0.1:{port}", process, log)


@pytest.fixture
def cluster(postgres, tmp_path):
    """Starts instances on the shared database; stops them all at the end of the test."""
    started: list[Instance] = []

    def start(name: str, **options) -> Instance:
        instance = launch(tmp_path, name, config(postgres.url, **options))
        started.append(instance)
        return instance

    yield start
    for instance in started:
        if instance.process.poll() is None:
            instance.stop()
