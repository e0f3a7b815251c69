#!/usr/bin/env bash
# The real-client checks of issue 14: graphql-js, graphql-codegen, the graphql-ws
# client, Apollo Client's cache, headless Chromium on GraphiQL (network to anything
# but 127.0.0.1 blocked) and CORS preflights, against the real server; and the
# console's journeys per role in the same browser, with axe-core (issue 15).
#
#   .ci/clients.sh target/debug/partnermatch
#
# Installs the npm packages pinned in .ci/clients/package-lock.json (`npm ci`; set
# CLIENTS_SKIP_INSTALL=1 to reuse .ci/clients/node_modules), starts
# `partnermatch serve --demo` (and a server of a generated district, whose match
# runs take long enough to be followed) on free loopback ports with throwaway data
# directories, runs every check (each says what it proves, see .ci/clients/README.md),
# stops the server, and exits non-zero if any check failed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 PATH/TO/partnermatch" >&2
  exit 2
fi
bin=$(realpath "$1")
[[ -x "$bin" ]] || { echo "clients.sh: $1 is not an executable" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
clients="$repo/.ci/clients"
# Debian's Chromium, by name (as .ci/postgres.sh installs PostgreSQL); Playwright
# never downloads a browser of its own.
if [[ -z "${CHROMIUM:-}" && ! -x /usr/bin/chromium ]]; then
  echo "== apt-get install chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[[ -x "$CHROMIUM" ]] || { echo "clients.sh: no Chromium at $CHROMIUM" >&2; exit 2; }
command -v node >/dev/null || { echo "clients.sh: node is not installed" >&2; exit 2; }

started=$SECONDS
if [[ "${CLIENTS_SKIP_INSTALL:-}" != 1 ]]; then
  echo "== npm ci (.ci/clients)"
  (cd "$clients" && npm ci --no-audit --no-fund --loglevel=error)
  echo "   installed in $((SECONDS - started)) s"
fi

tmp=$(mktemp -d)
pids=()
stop() {
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
}
trap stop EXIT

server_log() { echo "---- $1 server log (last 40 lines)" >&2; tail -n 40 "$tmp/$1.log" >&2; }

# serve NAME DATA_DIR [serve options…]: starts a server on a free loopback port,
# waits for GET /healthz 200 (at most 60 s), and sets $port to its port.
serve() {
  local name=$1 data=$2
  shift 2
  # A free port: the kernel picks one, the probe lets it go, the server takes it.
  port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  echo "== partnermatch serve ($name) on 127.0.0.1:$port"
  "$bin" serve --bind "127.0.0.1:$port" --data-dir "$data" "$@" >"$tmp/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local status
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "clients.sh: the $name server exited before it answered /healthz" >&2
      server_log "$name"
      exit 1
    fi
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
    [[ "$status" == 200 ]] && return 0
    sleep 0.1
  done
  echo "clients.sh: the $name server's GET /healthz never answered 200 within 60 s" >&2
  server_log "$name"
  exit 1
}

export PM_REPO="$repo"

# The demo district, with CORS for one origin: every check but the run's progress.
serve demo "$tmp/demo" --demo --cors-origins http://portal.example
export PM_URL="http://127.0.0.1:$port/graphql"
export PM_WS_URL="ws://127.0.0.1:$port/graphql"
token() { "$bin" token --data-dir "$tmp/demo" --ttl 1h "$@"; }
PM_TOKEN_ADMIN=$(token --role ADMIN)
PM_TOKEN_PARTNER=$(token --role PARTNER --scope p-05)
PM_TOKEN_COUNSELOR=$(token --role COUNSELOR --scope sch-1)
PM_TOKEN_OTHER_COUNSELOR=$(token --role COUNSELOR --scope sch-2)
export PM_TOKEN_ADMIN PM_TOKEN_PARTNER PM_TOKEN_COUNSELOR PM_TOKEN_OTHER_COUNSELOR

# A generated district large enough that a run takes a few seconds (the demo's ends
# before runMatching answers), so that graphql-ws follows one while it works: 4,000
# students in 2 schools, a real secret, no --demo.
"$bin" gen --students 4000 --seed 14 --output "$tmp/district.json" >/dev/null
"$bin" seed --instance "$tmp/district.json" --schools 2 --data-dir "$tmp/run" >/dev/null
secret=$(head -c 32 /dev/urandom | base64)
serve run "$tmp/run" --jwt-secret "$secret"
export PM_RUN_URL="http://127.0.0.1:$port/graphql"
export PM_RUN_WS_URL="ws://127.0.0.1:$port/graphql"
run_token() { "$bin" token --jwt-secret "$secret" --ttl 1h "$@"; }
PM_RUN_TOKEN_ADMIN=$(run_token --role ADMIN)
PM_RUN_TOKEN_PARTNER=$(run_token --role PARTNER --scope p-0)
PM_RUN_TOKEN_COUNSELOR=$(run_token --role COUNSELOR --scope sch-1)
PM_RUN_TOKEN_OTHER_COUNSELOR=$(run_token --role COUNSELOR --scope sch-2)
export PM_RUN_TOKEN_ADMIN PM_RUN_TOKEN_PARTNER PM_RUN_TOKEN_COUNSELOR PM_RUN_TOKEN_OTHER_COUNSELOR

# name, script, extra node flags
checks=(
  "graphql-js graphql-js.mjs"
  "codegen codegen.mjs"
  "graphql-ws graphql-ws.mjs"
  "apollo apollo.mjs --conditions=development"
  "graphiql graphiql.mjs"
  "cors cors.mjs"
  # Last: its journeys change the demo district (a proposal, answers, an edit).
  "console console.mjs"
)
failed=()
cd "$clients"
for check in "${checks[@]}"; do
  read -r name script flags <<<"$check"
  echo "== $name"
  t=$SECONDS
  # shellcheck disable=SC2086 # flags are words
  if PM_CHECK=$name timeout 180 node $flags "$script"; then
    echo "   $name passed ($((SECONDS - t)) s)"
  else
    echo "   $name FAILED ($((SECONDS - t)) s)" >&2
    failed+=("$name")
  fi
done

for name in demo run; do
  i=$([[ $name == demo ]] && echo 0 || echo 1)
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then
    echo "clients.sh: the $name server died during the checks" >&2
    failed+=("$name server alive")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  server_log demo
  server_log run
  echo "clients.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "clients.sh: all ${#checks[@]} client checks passed in $((SECONDS - started)) s"
