#!/usr/bin/env bash
# Installs HAProxy from Debian's packages when it is missing (safe to run again): the
# several-instances tests (tests/multi) put two `klover serve` behind a real load balancer.
set -euo pipefail

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  echo "install-haproxy: installing haproxy with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q haproxy >&2
fi
# The package starts a system service we do not use; the tests run their own haproxy.
/usr/sbin/haproxy -v >/dev/null || { echo "install-haproxy: haproxy does not run" >&2; exit 1; }
