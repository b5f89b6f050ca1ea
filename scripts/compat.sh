#!/usr/bin/env bash
# The SDK compatibility suite: the official openai (and anthropic) Python SDKs against real
# proxy-server and proxy-mock processes. Installs its own Python packages into .venv
# (scripts/venv.sh), and Debian's systemd when systemd-analyze is missing (the unit file test
# verifies deploy/proxy-server.service with it).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
source scripts/venv.sh
ensure_venv
command -v systemd-analyze >/dev/null || apt_install systemd
swift build --product proxy-server
swift build --product proxy-mock
swift build --product proxy-bench
PROXY_BIN_DIR="$(swift build --show-bin-path)" "$VENV_PYTHON" -m pytest -q Tests/compat --ignore=Tests/compat/test_dashboard.py "$@"
