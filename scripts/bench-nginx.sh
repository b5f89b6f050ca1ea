#!/usr/bin/env bash
# Throughput of the gateway against a plain nginx reverse proxy on the same mock upstream, same
# machine, same run, measured by wrk (non-streaming requests, keep-alive connections). A third arm,
# proxy-floor, is the bare Hummingbird + AsyncHTTPClient pass-through the gateway is built on: the
# gateway cannot be faster than it, so gateway/floor is the share of the stack's speed the
# gateway's own work (auth, limits, quotas, metrics, logs) leaves.
#
#   scripts/bench-nginx.sh [CONNECTIONS] [SECONDS]
#
# Installs nginx and wrk from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-32}
seconds=${2:-10}

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null
fi
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
monthly_requests = 0
[limits]
per_token_concurrency = 0
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

token=$(curl -s --noproxy '*' "http://127.0.0.1:$gateway_port/auth/login" -d '{"username":"bench","password":"bench-password"}' \
  | sed 's/.*"token":"\([^"]*\)".*/\1/')

nginx_port=$((20000 + RANDOM % 10000))
cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
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
for port in "$nginx_port" "$floor_port"; do
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
  local p50 non2xx
  p50=$(awk '/ 50%/ {print $2}' "$work/$1-$3.txt")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$1-$3.txt")
  [ -z "$non2xx" ] || echo "warning: $1 answered $non2xx non-2xx responses" >&2
  printf "%-8s c=%-4s %10s req/s   p50 %s\n" "$1" "$3" "$rps" "$p50" >&2
  echo "$rps"
}

echo "wrk, ${seconds}s per run, non-streaming POST /v1/chat/completions" >&2
for c in 1 "$connections"; do
  run warmup "$gateway_port" "$c" >/dev/null
  direct=$(run direct "$mock_port" "$c")
  nginx=$(run nginx "$nginx_port" "$c")
  floor=$(run floor "$floor_port" "$c")
  gateway=$(run gateway "$gateway_port" "$c")
  awk -v g="$gateway" -v n="$nginx" -v d="$direct" -v f="$floor" -v c="$c" \
    'BEGIN { printf "c=%s: gateway/nginx %.2f, gateway/floor %.2f, floor/nginx %.2f, gateway/direct %.2f, nginx/direct %.2f\n", c, g/n, g/f, f/n, g/d, n/d }'
done
