#!/usr/bin/env bash
# Installs what the benchmarks put beside the gateway, from Debian's packages, when missing:
# nginx (reverse proxy arm), Caddy (Go's net/http reverse proxy arm) and wrk (load generator).
# The benchmark starts its own nginx and Caddy on free ports (Benchmarks/ProxyBench/ReverseProxy.swift);
# the install starts none of Debian's services (scripts/apt.sh), and nothing already running is touched.
set -euo pipefail
source "$(dirname "$0")/apt.sh"
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
command -v caddy >/dev/null || missing+=(caddy)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt_install --no-install-recommends "${missing[@]}"
fi
