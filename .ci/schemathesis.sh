#!/usr/bin/env bash
# A bounded schemathesis run against the real `partnermatch serve` on loopback, with
# production rules (no --demo; the demo district loaded with `seed --demo` first), as
# ADMIN and as a PARTNER. Fails on any 5xx, any GraphQL error without a known
# extensions.code (or an INTERNAL one), and a server that stops answering.
# Usage: .ci/schemathesis.sh [BINARY]   (default target/debug/partnermatch)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/debug/partnermatch}
EXAMPLES=${SCHEMATHESIS_EXAMPLES:-25}
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis==4.32.5
fi

DATA=$(mktemp -d)
PORT=${SCHEMATHESIS_PORT:-18080}
export PARTNERMATCH_DATA_DIR=$DATA
PARTNERMATCH_JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
export PARTNERMATCH_JWT_SECRET
"$BIN" seed --demo >/dev/null
"$BIN" serve --bind "127.0.0.1:$PORT" >"$DATA/serve.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done

ADMIN=$("$BIN" token --role ADMIN --ttl 2h)
PARTNER=$("$BIN" token --role PARTNER --scope p-05 --ttl 2h)
status=0
for who in ADMIN PARTNER; do
  token=${!who}
  echo "schemathesis as $who ($EXAMPLES examples per operation)"
  PYTHONPATH=.ci SCHEMATHESIS_HOOKS=schemathesis_hooks "$VENV/bin/st" run schema.graphql \
    --url "http://127.0.0.1:$PORT/graphql" -H "Authorization: Bearer $token" \
    --checks no_server_error,every_error_has_a_code \
    --max-examples "$EXAMPLES" --seed 11 --workers 2 --request-timeout 20 \
    --generation-allow-x00 true --generation-database none --no-color || status=1
  if ! kill -0 "$PID" 2>/dev/null || ! curl -sf --max-time 5 "http://127.0.0.1:$PORT/healthz" >/dev/null; then
    echo "the server stopped answering; its log:" >&2
    tail -50 "$DATA/serve.log" >&2
    exit 1
  fi
done
exit $status
