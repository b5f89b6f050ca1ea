#!/usr/bin/env bash
# The request path's micro-benchmarks (Benchmarks/HotPath, package-benchmark): allocations (and,
# where perf events are allowed, instructions) per operation, in a release build.
#
#   scripts/micro-bench.sh          run them and print the figures
#   scripts/micro-bench.sh check    fail when a figure is worse than Benchmarks/HotPath/Thresholds
#   scripts/micro-bench.sh update   write the current figures as the new thresholds
set -euo pipefail
cd "$(dirname "$0")/.."
thresholds=Benchmarks/HotPath/Thresholds
case "${1:-run}" in
  run) swift package --disable-sandbox benchmark --target HotPath --no-progress ;;
  update)
    swift package --disable-sandbox --allow-writing-to-package-directory benchmark thresholds update \
      --target HotPath --path "$thresholds" --no-progress ;;
  check)
    # The plugin reports a count better than recorded by throwing, so `swift package` exits 1 for
    # an improvement as for a regression: its last error line tells them apart.
    log="$(mktemp)"
    set +e
    swift package --disable-sandbox benchmark thresholds check --target HotPath --path "$thresholds" --no-progress 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -eq 0 ]; then
      echo "micro-benchmarks: within thresholds"
    elif grep -q "benchmarkThresholdRegression" "$log"; then
      echo "micro-benchmarks: REGRESSION against $thresholds" >&2; rm -f "$log"; exit 1
    elif grep -q "benchmarkThresholdImprovement" "$log"; then
      echo "micro-benchmarks: better than the thresholds; record them with: scripts/micro-bench.sh update"
    else
      echo "micro-benchmarks: the check did not run (exit $status)" >&2; rm -f "$log"; exit 1
    fi
    rm -f "$log" ;;
  *) echo "usage: $0 [run|check|update]" >&2; exit 2 ;;
esac
