#!/usr/bin/env bash
# Installs what the benchmarks put beside the gateway, from Debian's packages, when missing:
# nginx (reverse proxy arm), Caddy (Go's net/http reverse proxy arm) and wrk (load generator).
set -euo pipefail
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v caddy >/dev/null || missing+=(caddy)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's packages start their services; the benchmarks run their own instances.
systemctl stop caddy nginx 2>/dev/null || true
pkill -x caddy 2>/dev/null || true
