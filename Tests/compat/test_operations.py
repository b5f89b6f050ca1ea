"""Running it for real: SIGHUP reloads through `proxy-server reload --pid-file`, against a real
process; the deployment files parse."""

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request

import pytest
import yaml

from conftest import BIN_DIR, ROOT, gateway_config, stop
from harness import eventually, start_server

NEWCOMER = """
[[auth.users]]
username = "newcomer"
password = "newcomer-password"
tier = "pro"
"""


def login(url: str, username: str) -> int:
    body = json.dumps({"username": username, "password": f"{username}-password"}).encode()
    request = urllib.request.Request(f"{url}/auth/login", data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def reload(config, pid_file):
    done = subprocess.run(
        [str(BIN_DIR / "proxy-server"), "reload", "--pid-file", str(pid_file)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr


def reload_counted(url: str, result: str) -> bool:
    """Whether the gateway's metrics count one reload that ended in `result` (success, failure)."""
    with urllib.request.urlopen(f"{url}/metrics") as response:
        metrics = response.read().decode()
    return re.search(rf'^proxy_config_reloads_total{{result="{result}"}} 1(\.0)?$', metrics, re.MULTILINE) is not None


@pytest.fixture
def running(mock_upstream, tmp_path):
    config = tmp_path / "gateway.toml"
    config.write_text(gateway_config(mock_upstream, tmp_path))
    pid_file = tmp_path / "gateway.pid"
    process, port = start_server(
        [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0", "--pid-file", str(pid_file)],
        tmp_path / "gateway.log",
    )
    yield config, pid_file, f"http://127.0.0.1:{port}", process
    assert stop(process) == 0
    assert not pid_file.exists(), "the pid file is removed at exit"


def test_a_user_added_to_the_file_logs_in_after_sighup(running, mock_upstream, tmp_path):
    config, pid_file, url, process = running
    assert pid_file.read_text().strip() == str(process.pid)
    assert login(url, "newcomer") == 401
    config.write_text(gateway_config(mock_upstream, tmp_path, NEWCOMER))
    reload(config, pid_file)
    # Awaited on the metrics, not by logging in: every refused login counts towards the address's
    # login throttle, and a throttled address would be refused the right password too.
    reloaded, took = eventually(lambda: reload_counted(url, "success"))
    assert reloaded, f"no successful reload counted {took:.1f} s after SIGHUP"
    assert login(url, "newcomer") == 200
    assert process.poll() is None, "SIGHUP did not end the process"


def test_a_broken_file_is_refused_and_the_gateway_keeps_serving(running, mock_upstream, tmp_path):
    config, pid_file, url, process = running
    config.write_text(gateway_config(mock_upstream, tmp_path).replace("timeout_seconds = 30", "timeout_seconds = nan", 1))
    reload(config, pid_file)
    refused, took = eventually(lambda: reload_counted(url, "failure"))
    assert refused, f"no refused reload counted {took:.1f} s after SIGHUP"
    assert login(url, "alice") == 200
    assert process.poll() is None


def test_the_compose_file_is_yaml_with_two_gateways_and_postgres():
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert {"gateway-a", "gateway-b", "postgres"} <= set(services)
    for name in ["gateway-a", "gateway-b"]:
        assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"
        assert "postgres://" in services[name]["environment"]["PROXY_STORAGE_URL"]
    assert services["postgres"]["healthcheck"]


def test_the_dockerfile_is_multi_stage_non_root_and_health_checked():
    lines = [line.strip() for line in (ROOT / "deploy" / "Dockerfile").read_text().splitlines() if line.strip() and not line.startswith("#")]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) == 2 and froms[0].startswith("FROM swift:")
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
    assert any(line.startswith("EXPOSE 8080") for line in lines)
    assert any(line.startswith("HEALTHCHECK") for line in lines) and any("/health" in line for line in lines)


def test_the_systemd_unit_verifies(tmp_path):
    unit = (ROOT / "deploy" / "proxy-server.service").read_text()
    for key in ["Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID", "LimitNOFILE=", "NoNewPrivileges=yes", "ProtectSystem=strict"]:
        assert key in unit, key
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is not installed: scripts/compat.sh installs Debian's systemd"
    # Verified as installed: the binary where ExecStart names it is this build's.
    installed = tmp_path / "proxy-server.service"
    installed.write_text(unit.replace("/usr/local/bin/proxy-server", str(BIN_DIR / "proxy-server")))
    verified = subprocess.run([analyze, "verify", str(installed)], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
