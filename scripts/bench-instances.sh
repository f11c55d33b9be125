#!/usr/bin/env bash
# One klover instance vs two behind HAProxy, the same examples/load command against each
# (issue 16; the figures are in docs/benchmarks.md, "Several instances"). Needs the release
# builds (cargo build --release -p klover --bin klover -p klover-server --example load),
# PostgreSQL on 127.0.0.1:5432 with trust auth, and HAProxy (scripts/install-multi-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d)
BIN=./target/release/klover
LOAD=./target/release/examples/load
PG=postgres://postgres@127.0.0.1:5432
LEARNERS=${LEARNERS:-50}; MESSAGES=${MESSAGES:-10}
# Auth on, a token per learner (--tokens): each connection is a learner of its own.
export RUST_LOG=warn KLOVER_CURRICULUM_DIR=curriculum KLOVER_AUTH=on \
  KLOVER_RATE_PER_MINUTE=1000000 KLOVER_RATE_BURST=1000000 KLOVER_MAX_CONNECTIONS=1000000 \
  KLOVER_MAX_CONNECTIONS_PER_IP=1000000 KLOVER_HANDSHAKES_PER_MINUTE_PER_IP=1000000
unset DATABASE_URL KLOVER_LLM_BASE_URL KLOVER_LLM_API_KEY OPENAI_API_KEY || true
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
serve() { # port db
  KLOVER_DATABASE_URL=$PG/$2 $BIN serve --bind 127.0.0.1:$1 2>>$OUT/serve-$1.log &
  PIDS+=($!)
  until curl -sf http://127.0.0.1:$1/readyz >/dev/null; do sleep 0.2; done
}
haproxy_on() { # port servers...
  local port=$1; shift
  { printf 'global\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 120s\n  timeout server 120s\n  timeout tunnel 1h\n'
    printf 'frontend klover\n  bind 127.0.0.1:%s\n  default_backend instances\nbackend instances\n  balance roundrobin\n  option httpchk\n  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1\n' "$port"
    local i=0; for s in "$@"; do i=$((i+1)); printf '  server k%s %s check inter 1s\n' $i "$s"; done
  } > $OUT/haproxy-$port.cfg
  /usr/sbin/haproxy -db -f $OUT/haproxy-$port.cfg >/dev/null 2>&1 &
  PIDS+=($!)
  sleep 1.5
}
fresh() { # db: a new database with one token per learner in $OUT/tokens-db
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" postgres
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $1" postgres
  for i in $(seq 1 "$LEARNERS"); do
    KLOVER_DATABASE_URL=$PG/$1 $BIN token create --learner "learner-$i" 2>/dev/null
  done > "$OUT/tokens-$1"
}
run() { # label url db
  echo "=== $1  ($(date -u +%H:%M:%S), $(cut -d' ' -f1-3 /proc/loadavg) load avg)"
  echo "\$ $LOAD --url $2 --tokens tokens-$3 --learners $LEARNERS --messages $MESSAGES"
  $LOAD --url "$2" --tokens "$OUT/tokens-$3" --learners "$LEARNERS" --messages "$MESSAGES"
}
fresh klover_bench_one
serve 38001 klover_bench_one
haproxy_on 38080 127.0.0.1:38001
run "one instance, direct" ws://127.0.0.1:38001/ws klover_bench_one
run "one instance behind HAProxy" ws://127.0.0.1:38080/ws klover_bench_one
cleanup; PIDS=()
fresh klover_bench_two
serve 38011 klover_bench_two
serve 38012 klover_bench_two
haproxy_on 38090 127.0.0.1:38011 127.0.0.1:38012
run "two instances behind HAProxy" ws://127.0.0.1:38090/ws klover_bench_two
cleanup; PIDS=()
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS klover_bench_one WITH (FORCE)" postgres
psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS klover_bench_two WITH (FORCE)" postgres
