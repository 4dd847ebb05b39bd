#!/usr/bin/env bash
# Installs everything (PostgreSQL, MariaDB and PgBouncer servers, a virtualenv with every extra), starts the servers
# on loopback in a temporary directory, and runs lint, type checks and the whole test suite on all three databases.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/dbs.sh install
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'

# The servers' data (several hundred MB) goes to a new temporary folder, removed at exit, unless RAWSTORE_DB_DIR names
# one to keep (and reuse: scripts/dbs.sh documents it and the port variables).
made_dir=
if [ -z "${RAWSTORE_DB_DIR:-}" ]; then
  RAWSTORE_DB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rawstore-dbs.XXXXXX")
  made_dir=$RAWSTORE_DB_DIR
fi
export RAWSTORE_DB_DIR
cleanup() {
  bash scripts/dbs.sh stop || true
  if [ -n "$made_dir" ]; then rm -rf "$made_dir"; fi
}
trap cleanup EXIT
# Assigned first so that `set -e` stops the run when a server fails to start (eval alone would hide it).
dsns=$(bash scripts/dbs.sh start)
eval "$dsns"
export CI=${CI:-true}

.venv/bin/ruff check rawstore tests benchmarks
.venv/bin/mypy --strict rawstore
RAWSTORE_TEST_DBS=sqlite,postgres,mysql,pgbouncer .venv/bin/pytest -q tests "$@"
# The benchmark suite once, at small sizes, so it cannot rot (figures come from `rawstore bench` and
# `python -m benchmarks.queue_workload`).
RAWSTORE_BENCH_MESSAGES=2000 RAWSTORE_BENCH_READS=500 RAWSTORE_BENCH_JOBS=100 RAWSTORE_BENCH_ENQUEUE=1000 \
  RAWSTORE_BENCH_AI_CALLS=1000 RAWSTORE_BENCH_AI_ROUNDS=1 \
  RAWSTORE_TEST_DBS=sqlite,postgres,mysql \
  .venv/bin/pytest -q benchmarks --benchmark-disable
