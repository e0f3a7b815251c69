#!/usr/bin/env bash
# Benchmark of the matching API on a generated district, per database backend.
#
#   bash bench/api.sh                                   100k students, SQLite
#   STUDENTS=20000 bash bench/api.sh                    a quick run
#   PARTNERMATCH_BENCH_POSTGRES=start bash bench/api.sh           + a throwaway PostgreSQL
#   PARTNERMATCH_BENCH_POSTGRES=postgres://u@host:5432/db bash bench/api.sh   + that server
#
# It builds the release binary once, generates bench/out/district-<N>.json
# (`partnermatch gen --seed 7`, reused when present), and for each backend runs
# bench/api_bench.py on a fresh database: seed the district (timed), serve it, time
# `suggestions` (WARMUP, then REQUESTS sequential requests), commit a full-district
# `runMatching` and wait for it; one row per backend is appended to bench/out/api.md.
# Exits 1 at the end if any backend failed (every backend still runs).
#
# With PARTNERMATCH_BENCH_POSTGRES=start the cluster comes from .ci/postgres.sh (on
# PG_PORT, default: a free port) and is stopped and deleted at the end. A server URL
# must let its user CREATE DATABASE; `psql` must be on PATH or in the PostgreSQL bin
# directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STUDENTS="${STUDENTS:-100000}"
REQUESTS="${REQUESTS:-300}"
WARMUP="${WARMUP:-20}"
RUN_TIMEOUT="${RUN_TIMEOUT:-3600}"
POSTGRES="${PARTNERMATCH_BENCH_POSTGRES:-}"
SEED=7
BIN="target/release/partnermatch"
OUT="bench/out"
TABLE="$OUT/api.md"

if ! [[ "$STUDENTS" =~ ^[1-9][0-9]*$ ]]; then
  echo "api.sh: STUDENTS must be a positive integer, got '$STUDENTS'" >&2
  exit 2
fi
if [ $((STUDENTS % 1000)) -eq 0 ]; then LABEL="$((STUDENTS / 1000))k"; else LABEL="$STUDENTS"; fi
INSTANCE="$OUT/district-$LABEL.json"

log() { printf '[api %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- Build -------------------------------------------------------------------------------
log "cargo build --release -p partnermatch"
cargo build --release -p partnermatch
if [ ! -x "$BIN" ]; then
  echo "api.sh: $BIN was not built" >&2
  exit 1
fi
mkdir -p "$OUT"

# --- The district ----------------------------------------------------------------------
if [ ! -s "$INSTANCE" ]; then
  log "generating $INSTANCE ($STUDENTS students, seed $SEED)"
  "$BIN" gen --students "$STUDENTS" --seed "$SEED" --output "$INSTANCE"
else
  log "reusing $INSTANCE"
fi

FAILED=0
bench() { # backend database-url; a failure is remembered, the next backend still runs
  python3 bench/api_bench.py --bin "$BIN" --instance "$INSTANCE" --backend "$1" \
    --database-url "$2" --out "$TABLE" --serve-log "$OUT/api-serve-$1-$LABEL.log" \
    --requests "$REQUESTS" --warmup "$WARMUP" --run-timeout "$RUN_TIMEOUT" || {
    echo "api.sh: the $1 benchmark failed (see above and $OUT/api-serve-$1-$LABEL.log)" >&2
    FAILED=1
  }
}

# --- SQLite ------------------------------------------------------------------------------
SQLITE="$OUT/api-$LABEL.sqlite3"
rm -f "$SQLITE" "$SQLITE-wal" "$SQLITE-shm"
log "SQLite: $SQLITE"
bench sqlite "sqlite://$ROOT/$SQLITE"

# --- PostgreSQL --------------------------------------------------------------------------
if [ -n "$POSTGRES" ]; then
  PSQL=""
  if [ "$POSTGRES" = "start" ]; then
    if [ -z "${PG_PORT:-}" ]; then
      PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    fi
    log "starting a throwaway PostgreSQL on port $PG_PORT (.ci/postgres.sh)"
    PG_ENV="$(PG_PORT="$PG_PORT" .ci/postgres.sh start)"
    eval "$PG_ENV"
    # shellcheck disable=SC2064 # expand now: stop this cluster, whatever happens later
    trap ".ci/postgres.sh stop '$PG_DIR' || true; rm -rf '$PG_DIR'" EXIT
    POSTGRES="$PARTNERMATCH_TEST_POSTGRES"
    PSQL="$PGBIN/psql"
  fi
  if [ -z "$PSQL" ]; then
    PSQL="$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1 || true)"
  fi
  if [ -z "$PSQL" ] || [ ! -x "$PSQL" ]; then
    echo "api.sh: psql not found (needed to create a fresh database)" >&2
    exit 1
  fi
  NAME="pm_bench_$(date +%Y%m%d%H%M%S)_$$"
  log "PostgreSQL: creating database $NAME"
  "$PSQL" "$POSTGRES" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $NAME" >/dev/null
  bench postgres "${POSTGRES%/*}/$NAME"
fi

log "table: $TABLE"
cat "$TABLE"
exit "$FAILED"
