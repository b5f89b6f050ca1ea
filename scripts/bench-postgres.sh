#!/usr/bin/env bash
# proxy-bench --store postgres (release build): the gateway on SQLite beside the same gateway on
# a scratch PostgreSQL (scripts/postgres.sh), one instance and two behind the bench's
# round-robin, quotas on. Extra arguments go to proxy-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product proxy-server
swift build -c release --product proxy-mock
swift build -c release --product proxy-bench
eval "$(scripts/postgres.sh up | sed 's/^/export /')"
trap 'scripts/postgres.sh down "$PGDATA"' EXIT
"$(swift build -c release --show-bin-path)/proxy-bench" --store postgres --postgres-url "$PROXY_PG_URL" "$@"
