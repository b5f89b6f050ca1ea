#!/usr/bin/env bash
# Every test: Swift unit and live tests, then the SDK compatibility suite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test
scripts/compat.sh
