#!/usr/bin/env bash
# The dashboard in a real headless Chromium (Selenium), against a live gateway and proxy-mock.
# Installs what is missing: Debian's chromium and chromium-driver, and .venv (scripts/venv.sh,
# selenium among its pinned requirements).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/apt.sh
source scripts/venv.sh
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt_install chromium chromium-driver
fi
ensure_venv
swift build --product proxy-server
swift build --product proxy-mock
PROXY_BIN_DIR="$(swift build --show-bin-path)" "$VENV_PYTHON" -m pytest -q Tests/compat/test_dashboard.py "$@"
