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
    set +e
    swift package --disable-sandbox benchmark thresholds check --target HotPath --path "$thresholds" --no-progress
    status=$?
    set -e
    # 0: as recorded; 4: better than recorded (worth an update). 2 (or anything else): a regression.
    case $status in
      0) echo "micro-benchmarks: within thresholds" ;;
      4) echo "micro-benchmarks: better than the thresholds; record them with: scripts/micro-bench.sh update" ;;
      *) echo "micro-benchmarks: REGRESSION against $thresholds (exit $status)" >&2; exit 1 ;;
    esac ;;
  *) echo "usage: $0 [run|check|update]" >&2; exit 2 ;;
esac
