#!/usr/bin/env bash
# Every test: Swift unit and live tests, then the SDK compatibility suite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test
# Every fuzz seed and every crash ever found, replayed through its target (a plain build).
"$(swift build --show-bin-path)/proxy-fuzz" Fuzz/corpus
scripts/compat.sh
# Several instances on one real PostgreSQL (issue #15): scripts/postgres.sh starts a scratch
# cluster as the postgres user on a free loopback port (installing Debian's postgresql first
# when its binaries are missing) and removes it afterwards.
scripts/cluster.sh
# The admin dashboard in a real headless Chromium (installs chromium, chromium-driver, selenium).
scripts/browser.sh
# A few seconds of load through the gateway, beside the floor, nginx and Caddy (installed by
# scripts/bench-tools.sh when missing): fails on any error response or broken stream.
# (Figures from a debug build mean nothing; see README "Performance" for how to measure.)
scripts/bench-tools.sh
"$(swift build --show-bin-path)/proxy-bench" --duration 1 --warmup 0.2 --users 2 --concurrency-per-user 4 --chunks 8 --floor \
  --reverse-proxies
# Each user exceeds its per-credential concurrency: exactly the allowed number must be admitted.
"$(swift build --show-bin-path)/proxy-bench" --limit-check --users 3 --concurrency-per-user 2
# Allocations per operation of the request path's pieces (release build): a regression against
# Benchmarks/HotPath/Thresholds fails.
scripts/micro-bench.sh check
# libFuzzer, about 30 s per target (scripts/fuzz.sh builds its own instrumented release binary).
scripts/fuzz.sh 30
