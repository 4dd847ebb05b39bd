#!/usr/bin/env bash
# Throwaway PostgreSQL 15, MariaDB and PgBouncer (transaction pooling) on loopback, under $RAWSTORE_DB_DIR.
# usage: scripts/dbs.sh {install|start|stop|status|env|clean}
#   eval "$(bash scripts/dbs.sh start)"   # starts what is not running and prints the RAWSTORE_*_DSN exports
# Servers refuse to run as root, so they run as the postgres and mysql system users (runuser).
set -euo pipefail

DIR=${RAWSTORE_DB_DIR:-/tmp/rawstore-dbs}
PG_PORT=${PG_PORT:-55432}
MY_PORT=${MY_PORT:-33306}
BOUNCER_PORT=${BOUNCER_PORT:-56432}
DB_DB=${DB_DB:-rawstore}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

log() { echo "dbs.sh: $*" >&2; }

install() {
  local need=()
  [ -x "$PG_BIN/postgres" ] || need+=(postgresql)
  command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
  command -v pgbouncer >/dev/null 2>&1 || need+=(pgbouncer)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  fi
}

pg_start() {
  local d=$DIR/pg
  mkdir -p "$d"; chown postgres "$d"; chmod 700 "$d"
  if [ ! -f "$d/data/PG_VERSION" ]; then
    runuser -u postgres -- "$PG_BIN/initdb" -D "$d/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  fi
  if ! runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -o \
      "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$d -c fsync=${PG_FSYNC:-off} -c synchronous_commit=${PG_FSYNC:-off} -c full_page_writes=${PG_FSYNC:-off} -c shared_buffers=256MB -c max_connections=200" \
      start >/dev/null
  fi
  psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_DB'" | grep -q 1 \
    || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE $DB_DB" >/dev/null
}

pg_stop() {
  [ -f "$DIR/pg/data/PG_VERSION" ] || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1 || return 0
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null
}

my_ping() { mariadb-admin --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u root ping >/dev/null 2>&1; }

my_start() {
  local d=$DIR/mysql
  mkdir -p "$d"; chown mysql "$d"
  if [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$d/data" --user=mysql --auth-root-authentication-method=normal \
      --skip-test-db >/dev/null 2>&1
  fi
  if ! my_ping; then
    local flush=0; [ "${MY_FSYNC:-off}" = on ] && flush=1
    runuser -u mysql -- /usr/sbin/mariadbd --no-defaults --datadir="$d/data" --socket="$d/mysqld.sock" \
      --port="$MY_PORT" --bind-address=127.0.0.1 --pid-file="$d/mysqld.pid" --log-error="$d/error.log" \
      --skip-name-resolve --skip-log-bin --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --innodb-flush-log-at-trx-commit=$flush --innodb-doublewrite=0 --innodb-buffer-pool-size=256M \
      --max-connections=300 --max-allowed-packet=64M </dev/null >/dev/null 2>&1 &
    for _ in $(seq 1 100); do my_ping && break; sleep 0.1; done
    my_ping || { log "MariaDB did not start; see $d/error.log"; tail -20 "$d/error.log" >&2; exit 1; }
  fi
  mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u root \
    -e "CREATE DATABASE IF NOT EXISTS $DB_DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
}

my_stop() {
  local pidf=$DIR/mysql/mysqld.pid
  [ -f "$pidf" ] || return 0
  local pid; pid=$(cat "$pidf")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

bouncer_start() {
  local d=$DIR/pgbouncer
  mkdir -p "$d"; chown postgres "$d"
  echo '"postgres" ""' > "$d/userlist.txt"
  cat > "$d/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PORT
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $d/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
pidfile = $d/pgbouncer.pid
logfile = $d/pgbouncer.log
INI
  chown postgres "$d"/*
  if [ -f "$d/pgbouncer.pid" ] && kill -0 "$(cat "$d/pgbouncer.pid")" 2>/dev/null; then return 0; fi
  runuser -u postgres -- pgbouncer -d -q "$d/pgbouncer.ini"
  for _ in $(seq 1 50); do
    psql -h 127.0.0.1 -p "$BOUNCER_PORT" -U postgres -d "$DB_DB" -tAc 'SELECT 1' >/dev/null 2>&1 && return 0; sleep 0.1
  done
  log "pgbouncer did not answer"; exit 1
}

bouncer_stop() {
  local pidf=$DIR/pgbouncer/pgbouncer.pid
  [ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true
}

print_env() {
  echo "export RAWSTORE_DB_DIR=$DIR"
  echo "export RAWSTORE_PG_DSN=postgresql://postgres@127.0.0.1:$PG_PORT/$DB_DB"
  echo "export RAWSTORE_PGBOUNCER_DSN=postgresql://postgres@127.0.0.1:$BOUNCER_PORT/$DB_DB"
  echo "export RAWSTORE_MYSQL_DSN=mysql://root@127.0.0.1:$MY_PORT/$DB_DB"
  echo "export RAWSTORE_SQLITE_DSN=sqlite:///$DIR/sqlite/rawstore.db"
}

case "${1:-}" in
  install) install ;;
  start) mkdir -p "$DIR/sqlite"; chmod 755 "$DIR"; pg_start; my_start; bouncer_start; print_env ;;
  stop) bouncer_stop; my_stop; pg_stop ;;
  status) my_ping && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1 ;;
  env) print_env ;;
  clean) bouncer_stop; my_stop; pg_stop; rm -rf "$DIR" ;;
  *) echo "usage: $0 {install|start|stop|status|env|clean}" >&2; exit 2 ;;
esac
