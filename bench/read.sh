#!/usr/bin/env bash
# Read benchmark: partnermatch against PostGraphile 4 on the same PostgreSQL database.
#
#   bash bench/read.sh                                  a throwaway PostgreSQL (.ci/postgres.sh)
#   PARTNERMATCH_BENCH_POSTGRES=postgres://u@host:5432/db bash bench/read.sh   that server
#
# It builds the release binary, seeds the demo district (`partnermatch seed --demo`) into
# a fresh PostgreSQL database and into a fresh SQLite file, serves the PostgreSQL one
# with partnermatch and with PostGraphile 4 (npm `postgraphile`, no auth layer, default
# settings), serves the SQLite one with partnermatch, and runs bench/read_bench.mjs:
# three queries of the same shape on each server, ROUNDS alternating rounds of
# autocannon (DURATION s, CONNECTIONS connections). The tables are appended to
# bench/out/read.md. npm packages go to bench/out/node (installed once, by name and
# version, from the npm registry). NO_BUILD=1 uses target/release/partnermatch as it is.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-8}"
CONNECTIONS="${CONNECTIONS:-16}"
POSTGRES="${PARTNERMATCH_BENCH_POSTGRES:-start}"
BIN="target/release/partnermatch"
OUT="bench/out"
NODE_DIR="$OUT/node"
SECRET="read-bench-secret-of-at-least-32-bytes"
PIDS=()

log() { printf '[read %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${PG_DIR:-}" ]; then .ci/postgres.sh stop "$PG_DIR" || true; rm -rf "$PG_DIR"; fi
}
trap cleanup EXIT

if [ -z "${NO_BUILD:-}" ]; then
  log "cargo build --release -p partnermatch"
  cargo build --release -p partnermatch
fi
mkdir -p "$OUT"

if [ ! -x "$NODE_DIR/node_modules/.bin/postgraphile" ] || [ ! -d "$NODE_DIR/node_modules/autocannon" ]; then
  log "npm install postgraphile@4.14.1 autocannon@9.0.0 into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error postgraphile@4.14.1 autocannon@9.0.0 >&2
fi

# --- The databases -----------------------------------------------------------------------
PSQL=""
if [ "$POSTGRES" = "start" ]; then
  PG_PORT="${PG_PORT:-$(free_port)}"
  log "starting a throwaway PostgreSQL on port $PG_PORT (.ci/postgres.sh)"
  eval "$(PG_PORT="$PG_PORT" .ci/postgres.sh start)"
  POSTGRES="$PARTNERMATCH_TEST_POSTGRES"
  PSQL="$PGBIN/psql"
fi
if [ -z "$PSQL" ]; then
  PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1 || true)"
fi
NAME="pm_read_$(date +%Y%m%d%H%M%S)_$$"
"$PSQL" "$POSTGRES" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $NAME" >/dev/null
PG_URL="${POSTGRES%/*}/$NAME"
SQLITE="$OUT/read-demo.sqlite3"
rm -f "$SQLITE" "$SQLITE-wal" "$SQLITE-shm"
log "seeding the demo district into $NAME and $SQLITE"
"$BIN" seed --demo --database-url "$PG_URL" >&2
"$BIN" seed --demo --database-url "sqlite://$ROOT/$SQLITE" >&2
"$PSQL" "$PG_URL" -q -c "ANALYZE" >/dev/null

# The ids the queries read: the student with the most matches (and their school, for
# the counselor), the partner with the most matches.
sql() { "$PSQL" "$PG_URL" -At -v ON_ERROR_STOP=1 -c "$1"; }
STUDENT="$(sql "SELECT student_id FROM matches GROUP BY student_id ORDER BY count(*) DESC, student_id LIMIT 1")"
SCHOOL="$(sql "SELECT school_id FROM students WHERE id = '$STUDENT'")"
PARTNER="$(sql "SELECT o.partner_id FROM matches m JOIN openings o ON o.id = m.opening_id GROUP BY o.partner_id ORDER BY count(*) DESC, o.partner_id LIMIT 1")"
log "student $STUDENT of school $SCHOOL, partner $PARTNER"

token() { PARTNERMATCH_JWT_SECRET="$SECRET" "$BIN" token --role "$1" --scope "$2" --ttl 12h; }
COUNSELOR_TOKEN="$(token counselor "$SCHOOL")"
PARTNER_TOKEN="$(token partner "$PARTNER")"

# --- The servers -------------------------------------------------------------------------
wait_for() { # url
  for _ in $(seq 1 600); do
    if curl -fs -o /dev/null -X POST -H 'content-type: application/json' \
      --data '{"query":"{ __typename }"}' "$1"; then return 0; fi
    sleep 0.1
  done
  echo "read.sh: $1 did not answer in 60 s" >&2
  exit 1
}
OURS_PG="$(free_port)"
PARTNERMATCH_JWT_SECRET="$SECRET" "$BIN" serve --bind "127.0.0.1:$OURS_PG" --database-url "$PG_URL" \
  >"$OUT/read-serve-postgres.log" 2>&1 &
PIDS+=($!)
OURS_SQLITE="$(free_port)"
PARTNERMATCH_JWT_SECRET="$SECRET" "$BIN" serve --bind "127.0.0.1:$OURS_SQLITE" \
  --database-url "sqlite://$ROOT/$SQLITE" >"$OUT/read-serve-sqlite.log" 2>&1 &
PIDS+=($!)
THEIRS="$(free_port)"
"$NODE_DIR/node_modules/.bin/postgraphile" --connection "$PG_URL" --schema public \
  --host 127.0.0.1 --port "$THEIRS" --disable-query-log >"$OUT/read-postgraphile.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$OURS_PG/graphql"
wait_for "http://127.0.0.1:$OURS_SQLITE/graphql"
wait_for "http://127.0.0.1:$THEIRS/graphql"

# --- The run -----------------------------------------------------------------------------
CONFIG="$OUT/read-config.json"
STUDENT="$STUDENT" PARTNER="$PARTNER" COUNSELOR_TOKEN="$COUNSELOR_TOKEN" PARTNER_TOKEN="$PARTNER_TOKEN" \
  OURS_PG="$OURS_PG" OURS_SQLITE="$OURS_SQLITE" THEIRS="$THEIRS" ROUNDS="$ROUNDS" DURATION="$DURATION" \
  CONNECTIONS="$CONNECTIONS" NODE_DIR="$ROOT/$NODE_DIR" OUT_FILE="$ROOT/$OUT/read.md" \
  COMMIT="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- api matcher migrations || echo '+')" \
  python3 - "$CONFIG" <<'PY'
import datetime, json, os, sys
e = os.environ
student, partner = e["STUDENT"], e["PARTNER"]
queries = [
    {
        "name": "partner portal: 50 openings with their partner's name",
        "token": "COUNSELOR_TOKEN",
        "text": {
            "ours": "{ openings(first: 50) { edges { node { id title capacity partner { name } } } } }",
            "postgraphile": "{ allOpenings(first: 50) { nodes { id title capacity partnerByPartnerId { name } } } }",
        },
        "rows": {"ours": ["openings", "edges"], "postgraphile": ["allOpenings", "nodes"]},
    },
    {
        "name": "counselor: a student's page with their matches",
        "token": "COUNSELOR_TOKEN",
        "text": {
            "ours": '{ student(id: "%s") { id firstName lastName grade matches(first: 20) { edges { node '
            "{ id status score opening { title partner { name } } } } } } }" % student,
            "postgraphile": '{ studentById(id: "%s") { id firstName lastName grade matchesByStudentId(first: 20) '
            "{ nodes { id status score openingByOpeningId { title partnerByPartnerId { name } } } } } }" % student,
        },
        "rows": {
            "ours": ["student", "matches", "edges"],
            "postgraphile": ["studentById", "matchesByStudentId", "nodes"],
        },
    },
    {
        "name": "partner: its matches with the students' minimal fields",
        "token": "PARTNER_TOKEN",
        "text": {
            "ours": "{ matches(first: 50) { edges { node { id status student { id firstName grade } } } } }",
            "postgraphile": '{ partnerById(id: "%s") { openingsByPartnerId { nodes { matchesByOpeningId(first: 50) '
            "{ nodes { id status studentByStudentId { id firstName grade } } } } } } }" % partner,
        },
        "rows": {
            "ours": ["matches", "edges"],
            "postgraphile": ["partnerById", "openingsByPartnerId", "nodes", "matchesByOpeningId", "nodes"],
        },
    },
]
# Each query is run with its own token; a target is (server, dialect) and the token is
# filled in per query by read_bench.mjs from "tokens".
targets = [
    {"name": "partnermatch, PostgreSQL", "url": f"http://127.0.0.1:{e['OURS_PG']}/graphql", "dialect": "ours"},
    {"name": "PostGraphile 4", "url": f"http://127.0.0.1:{e['THEIRS']}/graphql", "dialect": "postgraphile", "peer": True},
    {"name": "partnermatch, SQLite", "url": f"http://127.0.0.1:{e['OURS_SQLITE']}/graphql", "dialect": "ours"},
]
config = {
    "date": datetime.date.today().isoformat(),
    "commit": e["COMMIT"],
    "rounds": int(e["ROUNDS"]),
    "duration": int(e["DURATION"]),
    "connections": int(e["CONNECTIONS"]),
    "nodeModules": e["NODE_DIR"] + "/node_modules",
    "out": e["OUT_FILE"],
    "tokens": {"COUNSELOR_TOKEN": e["COUNSELOR_TOKEN"], "PARTNER_TOKEN": e["PARTNER_TOKEN"]},
    "queries": queries,
    "targets": targets,
}
json.dump(config, open(sys.argv[1], "w"), indent=1)
PY
log "running (${ROUNDS} rounds × 3 targets × 3 queries × ${DURATION} s)"
node bench/read_bench.mjs "$CONFIG"
log "table: $OUT/read.md"
