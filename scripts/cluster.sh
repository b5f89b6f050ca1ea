#!/usr/bin/env bash
# Several proxy-server instances on one real PostgreSQL (issue #15): starts a scratch cluster
# (scripts/postgres.sh, which installs Debian's postgresql when missing), runs Tests/cluster,
# stops it. Uses the Python environment of scripts/venv.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv
swift build --product proxy-server
PROXY_BIN_DIR="$(swift build --show-bin-path)" "$VENV_PYTHON" -m pytest -q Tests/cluster "$@"
