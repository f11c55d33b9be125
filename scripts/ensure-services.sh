#!/usr/bin/env bash
# Makes sure the services the test suite talks to are up: PostgreSQL at 127.0.0.1:5432, and
# HAProxy and docker-compose installed (tests/multi: its own haproxy in front of two
# `klover serve`, and `docker-compose config`).
# Idempotent; safe to run on a warm machine. The tests themselves create fresh databases.
set -euo pipefail

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "PostgreSQL is not answering at 127.0.0.1:5432: starting it" >&2
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL is not installed: installing it from Debian's packages" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
fi
pg_isready -h 127.0.0.1 -p 5432

"$(dirname "$0")/install-multi-deps.sh" >/dev/null
