#!/usr/bin/env bash
# Runs a command with an outer deadline, so a hung test fails the run instead of stalling it:
#   scripts/deadline.sh SECONDS LABEL COMMAND [ARG...]
# Past SECONDS the command's whole process group is stopped (TERM, then KILL 10 s later), the
# tests it had started and not finished are named (Swift Testing's "◇ Test X started." lines
# without their "✔"/"✘" line; otherwise the last lines it printed), and it exits 124.
set -uo pipefail
seconds="$1"; label="$2"; shift 2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# timeout puts the command and its children in a process group of their own and signals it
# whole: a pytest run's servers stop with it.
timeout --kill-after=10 "$seconds" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "DEADLINE: $label did not finish within $seconds s and was stopped." >&2
  python3 - "$log" >&2 <<'PY'
import re, sys
started, ended = [], set()
for line in open(sys.argv[1], errors="replace"):
    if m := re.search(r"◇ Test (.+?) started\.", line):
        started.append(m.group(1))
    elif m := re.search(r"[✔✘] Test (.+?) (passed|failed|recorded|skipped)", line):
        ended.add(m.group(1))
unfinished = [name for name in started if name not in ended]
if unfinished:
    print("still running when stopped:", *unfinished, sep="\n  ")
else:
    print("last lines:", *open(sys.argv[1], errors="replace").readlines()[-20:], sep="\n  ")
PY
  exit 124
fi
exit "$status"
