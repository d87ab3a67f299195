#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the test suite.
#   scripts/pg-test-server.sh start   -> prints the DATABASE_URL to use
#   scripts/pg-test-server.sh stop
set -euo pipefail

PGPORT=${OPORA_PG_PORT:-54329}
PGDIR=${OPORA_PG_DIR:-/tmp/opora-pg-$PGPORT}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner() {
  # initdb and postgres refuse to run as root: use the postgres system user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ ! -s "$PGDIR/PG_VERSION" ]; then
      mkdir -p "$PGDIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDIR"
      as_owner "$BIN/initdb" -D "$PGDIR" --auth=trust --username=opora --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$PGDIR" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" -w \
        -o "-h 127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    fi
    # The database named in the URL (the test suite creates its own test_opora).
    "$BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U opora -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'opora'" | grep -q 1 ||
      "$BIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U opora opora
    echo "postgres://opora@127.0.0.1:$PGPORT/opora"
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$PGDIR" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
