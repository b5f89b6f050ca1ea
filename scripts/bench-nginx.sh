#!/usr/bin/env bash
# Throughput and added latency of the gateway beside plain reverse proxies on the same mock
# upstream, same machine, same run, measured by wrk (non-streaming requests, keep-alive
# connections). Arms: direct to the mock; nginx; Caddy (Go's net/http reverse proxy, the floor of
# the Go gateways); proxy-floor, a bare Hummingbird + AsyncHTTPClient pass-through; and the
# gateway with session-token auth, the per-credential limit and a monthly quota on.
#
#   scripts/bench-nginx.sh [CONNECTIONS] [SECONDS]
#
# With BEFORE_BIN set to another build's proxy-server, that build runs as one more arm on the
# same configuration ("before"), for before/after figures from one run.
# Installs nginx, Caddy and wrk from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-32}
seconds=${2:-10}

scripts/bench-tools.sh
swift build -c release --product proxy-server >/dev/null 2>&1
swift build -c release --product proxy-mock >/dev/null 2>&1
swift build -c release --product proxy-floor >/dev/null 2>&1
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d)
export NO_PROXY='*' no_proxy='*'
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_port() { # FILE: prints the port of the first "listening on HOST:PORT" line
  for _ in $(seq 200); do
    port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$1" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && { echo "$port"; return; }
    sleep 0.05
  done
  echo "server did not start: $1" >&2; exit 1
}

"$bin/proxy-mock" --port 0 --chunks 16 >"$work/mock.log" 2>&1 & pids+=($!)
mock_port=$(wait_port "$work/mock.log")

cat >"$work/gateway.toml" <<TOML
[server]
metrics_port = 0
[logging]
level = "error"
[auth]
jwt_secret = "bench-jwt-secret-0123456789"
[[auth.users]]
username = "bench"
password = "bench-password"
tier = "bench"
[quota.tiers.bench]
monthly_requests = 1000000000
[limits]
per_token_concurrency = 1024
[storage]
url = "sqlite::memory:"
[[providers]]
name = "mock"
kind = "openai"
base_url = "http://127.0.0.1:$mock_port"
models = ["gpt-*"]
[[providers.accounts]]
name = "bench"
api_key = "sk-bench-upstream-key"
TOML
"$bin/proxy-server" serve --config "$work/gateway.toml" --port 0 >"$work/gateway.log" 2>&1 & pids+=($!)
gateway_port=$(wait_port "$work/gateway.log")

if [ -n "${BEFORE_BIN:-}" ]; then
  "$BEFORE_BIN" serve --config "$work/gateway.toml" --port 0 >"$work/before.log" 2>&1 & pids+=($!)
  before_port=$(wait_port "$work/before.log")
fi

token=$(curl -s --noproxy '*' "http://127.0.0.1:$gateway_port/auth/login" -d '{"username":"bench","password":"bench-password"}' \
  | sed 's/.*"token":"\([^"]*\)".*/\1/')

nginx_port=$((20000 + RANDOM % 10000))
cat >"$work/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 256; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" & pids+=($!)
floor_port=$((nginx_port + 1))
"$bin/proxy-floor" "http://127.0.0.1:$mock_port" "$floor_port" >"$work/floor.log" 2>&1 & pids+=($!)
caddy_port=$((nginx_port + 2))
cat >"$work/Caddyfile" <<CADDY
{
  admin off
  auto_https off
}
http://127.0.0.1:$caddy_port {
  reverse_proxy 127.0.0.1:$mock_port {
    flush_interval -1
  }
}
CADDY
HOME="$work" XDG_DATA_HOME="$work" XDG_CONFIG_HOME="$work" caddy run --config "$work/Caddyfile" --adapter caddyfile \
  >"$work/caddy.log" 2>&1 & pids+=($!)
for port in "$nginx_port" "$floor_port" "$caddy_port"; do
  for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
done

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"model":"gpt-bench","messages":[{"role":"user","content":"Benchmark prompt: say something."}]}'
LUA

run() { # NAME PORT CONNECTIONS
  local rps
  rps=$(wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$2/v1/chat/completions" \
    | tee "$work/$1-$3.txt" | awk '/Requests\/sec/ {print $2}')
  local p50 p99 non2xx
  p50=$(awk '/ 50%/ {print $2}' "$work/$1-$3.txt")
  p99=$(awk '/ 99%/ {print $2}' "$work/$1-$3.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$1-$3.txt")
  [ -z "$non2xx" ] || echo "warning: $1 answered $non2xx non-2xx responses" >&2
  printf "%-8s c=%-4s %10s req/s   p50 %-8s p99 %s\n" "$1" "$3" "$rps" "$p50" "$p99" >&2
  echo "$rps"
}

echo "wrk, ${seconds}s per run, non-streaming POST /v1/chat/completions" >&2
for c in 1 "$connections"; do
  run warmup "$gateway_port" "$c" >/dev/null
  run warmup "$caddy_port" "$c" >/dev/null
  direct=$(run direct "$mock_port" "$c")
  nginx=$(run nginx "$nginx_port" "$c")
  caddy=$(run caddy "$caddy_port" "$c")
  floor=$(run floor "$floor_port" "$c")
  gateway=$(run gateway "$gateway_port" "$c")
  if [ -n "${BEFORE_BIN:-}" ]; then
    # Same jwt_secret: the session token works on both.
    before=$(run before "$before_port" "$c")
    awk -v g="$gateway" -v b="$before" -v c="$c" 'BEGIN { printf "c=%s: gateway/before %.2f\n", c, g/b }'
  fi
  awk -v g="$gateway" -v n="$nginx" -v k="$caddy" -v d="$direct" -v f="$floor" -v c="$c" \
    'BEGIN { printf "c=%s: gateway/caddy %.2f, gateway/nginx %.2f, gateway/floor %.2f, caddy/nginx %.2f, gateway/direct %.2f\n", c, g/k, g/n, g/f, k/n, g/d }'
done
