"""What the compat and the cluster suites share (Tests/cluster/conftest.py imports this file):
starting the project's server binaries as real processes, and waiting for a condition."""

import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

# A binary that has not said where it listens by then is not going to: it is killed and the
# test fails, instead of the run hanging until someone notices.
STARTUP_DEADLINE_SECONDS = 60

LISTENING = re.compile(r"listening on [^:]+:(\d+)")


def log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def start_server(
    args: list[str], log: Path, env: dict[str, str] | None = None, deadline: float = STARTUP_DEADLINE_SECONDS
) -> tuple[subprocess.Popen, int]:
    """Starts a server binary and returns it with the port it printed ("listening on HOST:PORT").

    Everything it prints goes to `log` for as long as it runs. The servers log to stdout: a pipe
    that nobody reads any more fills up, and the server then blocks on its next log line."""
    out = open(log, "w")
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    ports: queue.Queue[int | None] = queue.Queue()

    def drain():
        with out:
            for line in process.stdout:
                out.write(line)
                out.flush()  # the tests read the log while the server runs
                match = LISTENING.match(line)
                if match:
                    ports.put(int(match.group(1)))
        ports.put(None)  # end of output: the process has exited

    drainer = threading.Thread(target=drain, name=f"drain {log.name}", daemon=True)
    drainer.start()

    try:
        port, late = ports.get(timeout=deadline), False
    except queue.Empty:
        process.kill()
        port, late = None, True
    if port is None:
        status = process.wait()
        drainer.join(timeout=5)  # its last lines, which usually say why
        why = f"did not start listening within {deadline:.0f} s and was killed" if late else f"exited ({status}) before listening"
        pytest.fail(f"{args[0]} {why}; {log}:\n{log_tail(log)}", pytrace=False)
    return process, port


# How long a test waits for what should happen soon, such as a change reaching another instance
# or a reload taking effect. Generous, because a loaded machine is slow; a wait that succeeds
# returns as soon as its condition holds, so a quiet machine is not slowed down.
SETTLE_DEADLINE_SECONDS = 30


def eventually(check, seconds: float = SETTLE_DEADLINE_SECONDS, interval: float = 0.05):
    """Polls `check` until it returns a truthy value or `seconds` pass; returns its last value and the time it took."""
    start = time.monotonic()
    while True:
        value = check()
        elapsed = time.monotonic() - start
        if value or elapsed > seconds:
            return value, elapsed
        time.sleep(interval)
