#!/usr/bin/env bash
# Installs what the several-instances tests (tests/multi) need, from Debian's packages,
# only when it is missing (safe to run again):
#  - haproxy: the real load balancer put in front of two `klover serve`;
#  - docker-compose: to validate docker-compose.yml (`config` only; no image is built),
#    unless `docker compose` (the plugin) is there already.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
if [ ! -x /usr/sbin/haproxy ]; then missing+=(haproxy); fi
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  missing+=(docker-compose)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-multi-deps: installing ${missing[*]} with apt-get" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >&2
fi
# The haproxy package may start a system service; the tests run their own haproxy.
/usr/sbin/haproxy -v >/dev/null || { echo "install-multi-deps: haproxy does not run" >&2; exit 1; }
