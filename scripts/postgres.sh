#!/usr/bin/env bash
# A scratch PostgreSQL cluster for the tests: a temporary folder, a free loopback port, run as
# the `postgres` user (the server refuses to run as root). Installs Debian's postgresql package
# when its server binaries are missing (scripts/apt.sh: the package's own cluster on port 5432 is
# not started).
#
#   scripts/postgres.sh up              creates and starts a cluster; prints KEY=VALUE lines
#                                       (PGDATA, PGPORT, PROXY_PG_URL) and writes them to $PGDATA.env
#   scripts/postgres.sh pause PGDATA    stops the server (the tests' database outage)
#   scripts/postgres.sh resume PGDATA   starts it again on the same port
#   scripts/postgres.sh down PGDATA     stops it and removes the folder
set -euo pipefail
source "$(dirname "$0")/apt.sh"

PASSWORD="proxy-test-password"

find_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

BIN="$(find_bin || true)"
if [ -z "$BIN" ]; then
  echo "postgres.sh: installing Debian's postgresql package" >&2
  apt_install postgresql
  BIN="$(find_bin)"
fi

# Runs a command as the postgres user (directly when already that user).
as_postgres() {
  if [ "$(id -un)" = "postgres" ]; then
    "$@"
  elif [ "$(id -u)" = "0" ]; then
    runuser -u postgres -- "$@"
  else
    echo "postgres.sh: run as root or as postgres (the server refuses root, and only root can switch user)" >&2
    exit 1
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_server() {
  local data="$1" port="$2"
  as_postgres "$BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
}

case "${1:-}" in
  up)
    data="$(mktemp -d /tmp/proxy-pg.XXXXXX)"
    chown postgres:postgres "$data" 2>/dev/null || true
    chmod 700 "$data"
    pwfile="$data.pw"
    echo "$PASSWORD" >"$pwfile"
    chown postgres "$pwfile" 2>/dev/null || true
    as_postgres "$BIN/initdb" -D "$data" -U postgres --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust \
      -E UTF8 --no-instructions >/dev/null
    rm -f "$pwfile"
    port="$(free_port)"
    start_server "$data" "$port"
    as_postgres "$BIN/createdb" -h "$data" -p "$port" -U postgres proxy
    {
      echo "PGDATA=$data"
      echo "PGPORT=$port"
      echo "PROXY_PG_URL=postgres://postgres:$PASSWORD@127.0.0.1:$port/proxy?sslmode=disable"
    } | tee "$data.env"
    ;;
  pause)
    as_postgres "$BIN/pg_ctl" -D "$2" -m fast -w stop >/dev/null
    ;;
  resume)
    port="$(sed -n 's/^PGPORT=//p' "$2.env")"
    start_server "$2" "$port"
    ;;
  down)
    as_postgres "$BIN/pg_ctl" -D "$2" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$2" "$2.env"
    ;;
  *)
    echo "usage: $0 up | pause PGDATA | resume PGDATA | down PGDATA" >&2
    exit 2
    ;;
esac
