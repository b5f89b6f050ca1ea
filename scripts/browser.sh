#!/usr/bin/env bash
# The dashboard in a real headless Chromium (Selenium), against a live gateway and proxy-mock.
# Installs what is missing: Debian's chromium and chromium-driver, PyPI's selenium (into .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/compat/requirements.txt "selenium>=4.15"
swift build --product proxy-server
swift build --product proxy-mock
PROXY_BIN_DIR="$(swift build --show-bin-path)" .venv/bin/python -m pytest -q Tests/compat/test_dashboard.py "$@"
