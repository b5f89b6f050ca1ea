#!/usr/bin/env bash
# libFuzzer over what parses hostile bytes (see Benchmarks/ProxyFuzz/FuzzTarget.swift).
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 30 s, every target
# Builds proxy-fuzz with -sanitize=fuzzer into .build-fuzz, then runs each target on a copy of
# its seed corpus (Fuzz/corpus/<target>); a crash input is saved as Fuzz/crashes/<target>-*
# and the script exits non-zero. Add a fixed crash to the corpus: it becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sse summary rewriter openai-to-anthropic anthropic-to-openai config chat-to-responses anthropic-to-responses responses-request json-value
  gemini-to-chat-stream chat-to-gemini-stream gemini-request chat-to-gemini-request gemini-answers embeddings-request)
# SwiftPM links every executable with `--defsym main=<Module>_main`, which fights libFuzzer's own
# main; so it compiles (its own link step fails, as expected), and we link the objects here.
flags=(-c release --product proxy-fuzz --scratch-path .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING)
swift build "${flags[@]}" >/tmp/proxy-fuzz-build.log 2>&1 || grep -q "undefined symbol 'ProxyFuzz_main'" /tmp/proxy-fuzz-build.log \
  || { cat /tmp/proxy-fuzz-build.log; exit 1; }
bin="$(swift build "${flags[@]}" --show-bin-path)"
binary="$bin/proxy-fuzz"
swiftc -emit-executable -o "$binary" -L "$bin" -lstdc++ -Xlinker '-rpath=$ORIGIN' "@$bin/proxy-fuzz.product/Objects.LinkFileList" \
  -sanitize=fuzzer
mkdir -p Fuzz/crashes
status=0
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  cp Fuzz/corpus/"$target"/* "$work"/
  log="$(mktemp)"
  # Swift's own crash handler would take the signal before libFuzzer saves the crashing input.
  if SWIFT_BACKTRACE=enable=no PROXY_FUZZ_TARGET="$target" "$binary" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="Fuzz/crashes/$target-" "$work" >"$log" 2>&1; then
    echo "fuzz $target: $(grep -Eo '#[0-9]+' "$log" | tail -1 | tr -d '#') execs in ${seconds} s, no crash"
  else
    echo "fuzz $target: FAILED"; tail -40 "$log"; status=1
  fi
  rm -rf "$work" "$log"
done
exit $status
