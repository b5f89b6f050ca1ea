#!/usr/bin/env bash
# Runs every check of .ci/run that depends on timing or scheduling N times, from a tree already
# built by scripts/test.sh, and prints each one's pass rate: show a check is stable (N of N)
# before you add it, and that a fix for a flap holds.
#
#   scripts/stability.sh [N] [CHECK...]      default: 10 runs of every check
#   checks: swift-live micro-bench bench-smoke limit-check cluster browser
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
shift || true
checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(swift-live micro-bench bench-smoke limit-check cluster browser)
bin="$(swift build --show-bin-path)"
logs="$(mktemp -d /tmp/proxy-stability.XXXXXX)"

run_check() {
  case "$1" in
    # The live suites: real servers on loopback, slow-client timeouts, races.
    swift-live) swift test --skip-build --filter 'LiveTests' ;;
    micro-bench) scripts/micro-bench.sh check ;;
    bench-smoke)
      "$bin/proxy-bench" --duration 1 --warmup 0.2 --users 2 --concurrency-per-user 4 --chunks 8 --floor --reverse-proxies ;;
    limit-check) "$bin/proxy-bench" --limit-check --users 3 --concurrency-per-user 2 ;;
    cluster) PROXY_BIN_DIR="$bin" .venv/bin/python -m pytest -q -p no:cacheprovider Tests/cluster ;;
    browser) PROXY_BIN_DIR="$bin" .venv/bin/python -m pytest -q -p no:cacheprovider Tests/compat/test_dashboard.py ;;
    *) echo "unknown check: $1" >&2; return 2 ;;
  esac
}

declare -A passed
for check in "${checks[@]}"; do passed[$check]=0; done
for run in $(seq 1 "$runs"); do
  for check in "${checks[@]}"; do
    log="$logs/$check-$run.log"
    if scripts/deadline.sh 1800 "$check" bash -c "$(declare -f run_check); bin='$bin'; run_check $check" >"$log" 2>&1; then
      passed[$check]=$((passed[$check] + 1))
      echo "run $run/$runs $check: pass"
    else
      echo "run $run/$runs $check: FAIL (log: $log)"
    fi
  done
done
echo
echo "pass rate over $runs runs (logs in $logs):"
status=0
for check in "${checks[@]}"; do
  printf '  %-12s %d/%d\n' "$check" "${passed[$check]}" "$runs"
  [ "${passed[$check]}" -eq "$runs" ] || status=1
done
exit $status
