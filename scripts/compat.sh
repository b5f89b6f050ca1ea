#!/usr/bin/env bash
# The SDK compatibility suite: the official openai (and anthropic) Python SDKs against real
# proxy-server and proxy-mock processes. Installs its own Python packages into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/compat/requirements.txt
swift build --product proxy-server
swift build --product proxy-mock
swift build --product proxy-bench
PROXY_BIN_DIR="$(swift build --show-bin-path)" .venv/bin/python -m pytest -q Tests/compat --ignore=Tests/compat/test_dashboard.py "$@"
