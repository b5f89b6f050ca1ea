#!/usr/bin/env bash
# Every test: Swift unit and live tests, then the SDK compatibility suite, the cluster, the
# browser, the bench smoke runs, the allocation guards and the fuzzers. Each step runs under an
# outer deadline (scripts/deadline.sh) that names what it stopped; the budgets are several
# times what each step takes on this 2-core machine, builds included.
set -euo pipefail
cd "$(dirname "$0")/.."
deadline=scripts/deadline.sh
swift build --build-tests
# Every suite also has its own Swift Testing time limit; this catches a wait that ignores it.
$deadline 900 "swift test" swift test --skip-build
# Every fuzz seed and every crash ever found, replayed through its target (a plain build).
$deadline 300 "fuzz corpus replay" "$(swift build --show-bin-path)/proxy-fuzz" Fuzz/corpus
# Each pytest test is also bounded (Tests/compat/pytest.ini: 300 s).
$deadline 1200 "SDK compatibility suite" scripts/compat.sh
# Several instances on one real PostgreSQL (issue #15): scripts/postgres.sh starts a scratch
# cluster as the postgres user on a free loopback port (installing Debian's postgresql first
# when its binaries are missing) and removes it afterwards.
$deadline 1200 "cluster tests" scripts/cluster.sh
# The admin dashboard in a real headless Chromium (installs chromium, chromium-driver, selenium).
$deadline 900 "browser tests" scripts/browser.sh
# A few seconds of load through the gateway, beside the floor, nginx and Caddy (installed by
# scripts/bench-tools.sh when missing): fails on any error response or broken stream.
# (Figures from a debug build mean nothing; see docs/performance.md "Measuring" for how to measure.)
$deadline 600 "bench tools" scripts/bench-tools.sh
$deadline 300 "bench smoke run" "$(swift build --show-bin-path)/proxy-bench" --duration 1 --warmup 0.2 --users 2 \
  --concurrency-per-user 4 --chunks 8 --floor --reverse-proxies
# Each user exceeds its per-credential concurrency: exactly the allowed number must be admitted.
$deadline 300 "limit check" "$(swift build --show-bin-path)/proxy-bench" --limit-check --users 3 --concurrency-per-user 2
# Allocations per operation of the request path's pieces (release build): a regression against
# Benchmarks/HotPath/Thresholds fails (docs/testing.md "Allocation guards").
$deadline 2400 "micro-benchmarks" scripts/micro-bench.sh check
# libFuzzer, about 30 s per target (scripts/fuzz.sh builds its own instrumented release binary).
$deadline 2400 "fuzzers" scripts/fuzz.sh 30
