#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback and prints its URL.
# Usage: eval "$(.ci/postgres.sh start)"   then   .ci/postgres.sh stop "$PG_DIR"
# (stop also deletes the cluster's directory).
set -euo pipefail
case "${1:-}" in
  start)
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq postgresql >&2
    fi
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    D=$(mktemp -d); PORT=${PG_PORT:-54329}
    chown postgres:postgres "$D"   # initdb refuses to run as root
    runuser -u postgres -- "$PGBIN/initdb" -D "$D/data" -U postgres --auth=trust -E UTF8 --no-sync >&2
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$D/data" -l "$D/log" -w \
      -o "-p $PORT -k $D -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >&2
    runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" partnermatch >&2
    echo "export PG_DIR=$D PGBIN=$PGBIN"
    echo "export PARTNERMATCH_TEST_POSTGRES=postgres://postgres@127.0.0.1:$PORT/partnermatch"
    ;;
  stop)
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$2/data" stop -m fast >&2
    rm -rf "$2"   # a cluster is 1.6 GB after the tests: leave none behind
    ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
