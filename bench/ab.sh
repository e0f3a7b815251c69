#!/usr/bin/env bash
# A/B of one GraphQL read on two partnermatch servers served side by side.
#
#   bash bench/ab.sh BIN_A BIN_B DB_A DB_B QUERY_FILE TOKEN_FILE
#   ROUNDS=5 DURATION=5 ENV_B="PARTNERMATCH_X=1" bash bench/ab.sh ...
#
# Serves DB_A with BIN_A and DB_B with BIN_B (two builds, or one build on two copies of
# a database or on two backends; ENV_B adds environment variables to B only), warms
# both, then runs ROUNDS rounds of autocannon (DURATION s, CONNECTIONS connections) on
# A, then B, in turn, and prints each round and the median over rounds of B ÷ A for
# requests/s and p99. Ratios of rounds taken in turn are what this shared, noisy
# machine can measure; seconds from different hours are not.
#
# QUERY_FILE holds the query text; TOKEN_FILE a bearer token (for instance from
# `partnermatch token`) signed with the secret below. autocannon comes from
# bench/out/node (bench/read.sh installs it).
set -euo pipefail

if [ $# -ne 6 ]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_A=$1; BIN_B=$2; DB_A=$3; DB_B=$4; QUERY=$5; TOKEN=$6
ROUNDS="${ROUNDS:-5}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-16}"
SECRET="${PARTNERMATCH_JWT_SECRET:-read-bench-secret-of-at-least-32-bytes}"
AUTOCANNON="$ROOT/bench/out/node/node_modules/.bin/autocannon"
OUT="$ROOT/bench/out"
[ -x "$AUTOCANNON" ] || { echo "ab.sh: no $AUTOCANNON (run bench/read.sh once)" >&2; exit 2; }
mkdir -p "$OUT"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT_A=$(free_port); PORT_B=$(free_port)
PARTNERMATCH_JWT_SECRET=$SECRET "$BIN_A" serve --bind "127.0.0.1:$PORT_A" --database-url "$DB_A" \
  >"$OUT/ab-a.log" 2>&1 & PID_A=$!
# shellcheck disable=SC2086 # ENV_B is a list of NAME=value words
env ${ENV_B:-} PARTNERMATCH_JWT_SECRET=$SECRET "$BIN_B" serve --bind "127.0.0.1:$PORT_B" \
  --database-url "$DB_B" >"$OUT/ab-b.log" 2>&1 & PID_B=$!
trap 'kill $PID_A $PID_B 2>/dev/null || true; wait 2>/dev/null || true' EXIT

wait_ready() {
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "ab.sh: the server on port $1 did not come up (see $OUT/ab-*.log)" >&2
  exit 1
}
wait_ready "$PORT_A"; wait_ready "$PORT_B"

BODY=$(python3 -c 'import json, sys; print(json.dumps({"query": open(sys.argv[1]).read().strip()}))' "$QUERY")
BEARER=$(tr -d '\n' <"$TOKEN")
# One round on a port: requests/s, p99 (ms), and the non-2xx and error counts.
round() {
  "$AUTOCANNON" -c "$CONNECTIONS" -d "$1" -j -m POST -H "authorization=Bearer $BEARER" \
    -H 'content-type=application/json' -b "$BODY" "http://127.0.0.1:$2/graphql" 2>/dev/null |
    python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["requests"]["average"], d["latency"]["p99"], d["non2xx"], d["errors"])'
}
# A GraphQL error comes back as 200: check each server answers the query first.
for port in "$PORT_A" "$PORT_B"; do
  curl -sf -H "authorization: Bearer $BEARER" -H 'content-type: application/json' -d "$BODY" \
    "http://127.0.0.1:$port/graphql" |
    python3 -c 'import json, sys; d = json.load(sys.stdin); sys.exit("ab.sh: " + json.dumps(d["errors"]) if d.get("errors") else 0)'
done
round 2 "$PORT_A" >/dev/null; round 2 "$PORT_B" >/dev/null
for _ in $(seq 1 "$ROUNDS"); do
  echo "$(round "$DURATION" "$PORT_A") | $(round "$DURATION" "$PORT_B")"
done | python3 -c '
import statistics, sys
throughput, p99 = [], []
for line in sys.stdin:
    a, b = (side.split() for side in line.split("|"))
    print(f"A {a[0]:>9} req/s p99 {a[1]:>4} ms (non-2xx {a[2]}, errors {a[3]})   "
          f"B {b[0]:>9} req/s p99 {b[1]:>4} ms (non-2xx {b[2]}, errors {b[3]})")
    if a[2] != "0" or a[3] != "0" or b[2] != "0" or b[3] != "0":
        sys.exit("ab.sh: a round had failed requests")
    throughput.append(float(b[0]) / float(a[0]))
    p99.append(float(b[1]) / float(a[1]))
print(f"median B / A: requests/s {statistics.median(throughput):.3f}, p99 {statistics.median(p99):.3f}")
'
