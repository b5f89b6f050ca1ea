#!/usr/bin/env bash
# Several proxy-server instances on one real PostgreSQL (issue #15): starts a scratch cluster
# (scripts/postgres.sh, which installs Debian's postgresql when missing), runs Tests/cluster,
# stops it. Uses the Python environment of scripts/compat.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r Tests/compat/requirements.txt
swift build --product proxy-server
PROXY_BIN_DIR="$(swift build --show-bin-path)" .venv/bin/python -m pytest -q Tests/cluster "$@"
