"""The `rawstore` console script, run as a real subprocess against real databases."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import rawstore
from rawstore.sqlfiles import data_dir
from tests import dbs
from tests.test_migrations import objects

ALL_IDS = sorted(
    p.name[: -len(".sql")]
    for p in (data_dir("migrations") / "postgres").glob("*.sql")
    if not p.name.endswith(".rollback.sql")
)
SCRIPT = Path(sys.executable).parent / "rawstore"
REPO = Path(__file__).resolve().parent.parent


def run(*args: str, module: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`rawstore ARGS` via the console script next to this interpreter (or `python -m rawstore.cli`)."""
    cmd = [sys.executable, "-m", "rawstore.cli", *args] if module else [str(SCRIPT), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd or REPO)


def status_lines(out: str) -> dict[str, str]:
    """`applied  0001_memory_threads` lines -> {"0001_memory_threads": "applied"}."""
    result: dict[str, str] = {}
    for line in out.splitlines():
        state, mid = line.split()
        result[mid] = state
    return result


def test_console_script_is_installed() -> None:
    assert SCRIPT.exists(), f"no console script at {SCRIPT}"


def test_migrate_status_rollback(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_cli_cycle")

    r = run("status", url)
    if direct_backend == "sqlite":
        # status never creates the file it is asked about (see test_status_of_a_missing_sqlite_file_creates_nothing)
        assert (r.returncode, r.stdout) == (1, ""), r
        assert "no such database" in r.stderr
    else:
        assert (r.returncode, r.stderr) == (0, "")
        assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "pending")

    r = run("migrate", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [f"applied {len(ALL_IDS)} migration(s) to {url}: {', '.join(ALL_IDS)}"]
    for mid in ALL_IDS:
        assert mid in r.stdout

    r = run("status", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "applied")

    r = run("migrate", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [f"applied 0 migration(s) to {url}"]

    r = run("rollback", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [f"rolled back {len(ALL_IDS)} migration(s): {', '.join(reversed(ALL_IDS))}"]

    r = run("status", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "pending")
    assert not {"rs_threads", "rs_messages", "rs_resources"} & set(dbs.kit_tables(direct_backend, url))

    r = run("rollback", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == ["rolled back 0 migration(s)"]


def test_python_dash_m_and_rollback_count(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_cli_module")
    r = run("migrate", url, module=True)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    assert all(mid in r.stdout for mid in ALL_IDS)
    assert {"rs_threads", "rs_messages", "rs_resources"} <= set(dbs.kit_tables(direct_backend, url))

    r = run("rollback", url, "--count", "1", module=True)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.splitlines() == [f"rolled back 1 migration(s): {ALL_IDS[-1]}"]
    r = run("status", url, module=True)
    assert status_lines(r.stdout) == {**dict.fromkeys(ALL_IDS, "applied"), ALL_IDS[-1]: "pending"}


def test_relative_sqlite_path(tmp_path: Path) -> None:
    """`sqlite:///name.db` is relative to the working directory."""
    r = run("migrate", "sqlite:///relative.db", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, "")
    assert (tmp_path / "relative.db").is_file()
    assert all(mid in r.stdout for mid in ALL_IDS)
    r = run("status", "sqlite:///relative.db", cwd=tmp_path)
    assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "applied")


@pytest.mark.backends("postgres")
def test_postgres_schema_option(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_cli_schema")
    r = run("migrate", url, "--schema", "kit")
    assert (r.returncode, r.stderr) == (0, "")
    assert all(mid in r.stdout for mid in ALL_IDS)
    import psycopg

    with psycopg.connect(url) as c:
        rows = c.execute("SELECT schemaname, tablename FROM pg_tables WHERE tablename LIKE 'rs\\_%'").fetchall()
    assert {s for s, _ in rows} == {"kit"}
    assert {"rs_threads", "rs_messages", "rs_resources", "rs_yoyo_migration"} <= {t for _, t in rows}
    r = run("status", url, "--schema", "kit")
    assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "applied")


BAD = [
    ("migrate", "oracle://scott:tiger@127.0.0.1/orcl"),
    ("status", "mysql://root@127.0.0.1:33306"),
    ("rollback", "sqlite:///:memory:"),
    ("migrate", "not-a-url"),
]


@pytest.mark.parametrize(("command", "url"), BAD)
def test_bad_url_is_one_line_config_error(command: str, url: str) -> None:
    r = run(command, url)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("rawstore: ConfigError: ")
    assert "tiger" not in r.stderr


def test_bad_schema_is_config_error() -> None:
    r = run("migrate", "postgresql://postgres@127.0.0.1:1/nowhere", "--schema", "no-such;schema")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("rawstore: ConfigError: ")


@pytest.mark.parametrize(
    "url", ["postgresql://postgres:hunter2@127.0.0.1:1/nowhere", "mysql://root:hunter2@127.0.0.1:1/nowhere"]
)
def test_unreachable_server_is_a_clean_error(url: str) -> None:
    r = run("migrate", url)
    assert r.returncode == 1
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("rawstore: MigrationError: ")
    assert "hunter2" not in r.stderr


def test_usage_errors_exit_2() -> None:
    r = run("migrate")
    assert r.returncode == 2
    assert "usage: rawstore" in r.stderr
    r = run("frobnicate", "sqlite:///x.db")
    assert r.returncode == 2


# -- what a newcomer hit (issue 7 §6) ----------------------------------------------------------------------------


@pytest.mark.parametrize("count", ["-1", "0", "two"])
def test_rollback_count_below_one_is_a_usage_error(
    direct_backend: str, fresh_url: Callable[[str], str], count: str
) -> None:
    """`--count -1` once sliced the list (todo[:-1]) and rolled back all but one migration."""
    url = fresh_url("rs_cli_count")
    assert run("migrate", url).returncode == 0
    r = run("rollback", url, "--count", count)
    assert r.returncode == 2, r
    assert r.stdout == ""
    assert "--count" in r.stderr and "at least 1" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert status_lines(run("status", url).stdout) == dict.fromkeys(ALL_IDS, "applied")


def test_status_of_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    r = run("status", "sqlite:///typo.db", cwd=tmp_path)
    assert r.returncode == 1, r
    assert r.stdout == ""
    assert r.stderr.startswith("rawstore: MigrationError: "), r.stderr
    assert "no such database" in r.stderr and "typo.db" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []
    r = run("rollback", "sqlite:///typo.db", cwd=tmp_path)
    assert r.returncode == 1 and "no such database" in r.stderr, r
    assert list(tmp_path.iterdir()) == []


def test_status_of_an_unmigrated_database_writes_nothing(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    """yoyo creates its history and lock tables even to answer a read; `status` must not change the database."""
    url = fresh_url("rs_cli_status_ro")
    path = Path(url[len("sqlite:///") :])
    if direct_backend == "sqlite":
        path.touch()
    before = objects(direct_backend, url)
    r = run("status", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "pending")
    if direct_backend == "postgres":
        r = run("status", url, "--schema", "kit")
        assert (r.returncode, r.stderr) == (0, "")
        assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "pending")
    assert objects(direct_backend, url) == before
    if direct_backend == "sqlite":
        assert path.stat().st_size == 0


def test_status_of_a_migrated_database_writes_nothing(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    """Status runs on a connection the database itself keeps read-only: a read-only database still answers."""
    url = fresh_url("rs_cli_status_ro2")
    assert run("migrate", url).returncode == 0
    assert run("rollback", url, "--count", "1").returncode == 0
    if direct_backend == "postgres":
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(dbs.with_db(url, "postgres"), autocommit=True) as c:
            c.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'.encode())
    elif direct_backend == "sqlite":
        digest = hashlib.sha256(Path(url[len("sqlite:///") :]).read_bytes()).hexdigest()
    r = run("status", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert status_lines(r.stdout) == {**dict.fromkeys(ALL_IDS, "applied"), ALL_IDS[-1]: "pending"}
    if direct_backend == "sqlite":
        assert hashlib.sha256(Path(url[len("sqlite:///") :]).read_bytes()).hexdigest() == digest


@pytest.mark.backends("pgbouncer")
def test_migrate_through_pgbouncer_is_refused(backend: str, tmp_path: Path) -> None:
    """yoyo's lock and DDL through transaction pooling can land on different server connections: refuse it."""
    url = dbs.create_database(backend, f"rs_cli_bouncer_{os.getpid()}", tmp_path)
    direct = dbs.direct_url(backend, url)
    for command in ("migrate", "rollback"):
        r = run(command, url)
        assert (r.returncode, r.stdout) == (1, ""), r
        assert r.stderr.startswith("rawstore: ConfigError: "), r.stderr
        assert "PgBouncer" in r.stderr and "direct" in r.stderr, r.stderr
    # Reading the status through a pooler is harmless (and writes nothing).
    r = run("status", url)
    assert (r.returncode, r.stderr) == (0, "")
    assert objects("postgres", direct) == {"schema:public"}
    with pytest.raises(rawstore.ConfigError, match="PgBouncer"):
        rawstore.migrate(url, schema="kit")
    with pytest.raises(rawstore.ConfigError, match="PgBouncer"):
        asyncio.run(rawstore.connect(url, migrate=True).__aenter__())
    assert objects("postgres", direct) == {"schema:public"}
    # The direct URL of the same database migrates.
    assert run("migrate", direct).returncode == 0


@pytest.mark.parametrize("schema", ["bad schema", "kit", "public;"])
@pytest.mark.parametrize("command", ["migrate", "status", "rollback"])
def test_schema_option_is_checked(
    direct_backend: str, fresh_url: Callable[[str], str], command: str, schema: str
) -> None:
    """An invalid --schema is refused everywhere; a valid one on SQLite or MySQL (which have no schemas) too."""
    url = fresh_url("rs_cli_schema_chk")
    if direct_backend == "postgres" and schema == "kit":
        # Valid on PostgreSQL (test_postgres_schema_option checks what migrate creates there).
        r = run(command, url, "--schema", schema)
        assert (r.returncode, r.stderr) == (0, ""), r
        return
    r = run(command, url, "--schema", schema)
    assert (r.returncode, r.stdout) == (1, ""), r
    assert r.stderr.startswith("rawstore: ConfigError: "), r.stderr
    assert "schema" in r.stderr
    if schema == "kit":
        assert "PostgreSQL only" in r.stderr, r.stderr
    if direct_backend == "sqlite":
        assert not Path(url[len("sqlite:///") :]).exists()
    else:
        assert objects(direct_backend, url) == ({"schema:public"} if direct_backend == "postgres" else set())


@pytest.mark.parametrize("url", ["sqlite:///{tmp}/x.db", "mysql://root@127.0.0.1:1/x"])
async def test_schema_on_a_database_without_schemas_is_refused(url: str, tmp_path: Path) -> None:
    url = url.format(tmp=tmp_path)
    with pytest.raises(rawstore.ConfigError, match="PostgreSQL only"):
        await rawstore.connect(url, schema="kit")
    for call in (rawstore.migrate, rawstore.status, rawstore.rollback):
        with pytest.raises(rawstore.ConfigError, match="PostgreSQL only"):
            call(url, schema="kit")
    assert not (tmp_path / "x.db").exists()


@pytest.mark.backends("postgres")
def test_migrate_through_a_tcp_forwarder_is_allowed(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    """A plain port forward (Docker's -p 5433:5432, an SSH tunnel) is a direct connection, not a pooler."""
    url = fresh_url("rs_cli_forward")
    target = urlsplit(url)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    sockets: list[socket.socket] = [listener]
    threads: list[threading.Thread] = []

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = listener.accept()
                sockets.append(client)
                server = socket.create_connection((target.hostname or "127.0.0.1", target.port or 5432))
                sockets.append(server)
                for a, b in ((client, server), (server, client)):
                    threads.append(threading.Thread(target=pipe, args=(a, b)))
                    threads[-1].start()

    acceptor = threading.Thread(target=serve)
    acceptor.start()
    try:
        forwarded = url.replace(f":{target.port}/", f":{port}/")
        assert forwarded != url
        r = run("migrate", forwarded)
        assert (r.returncode, r.stderr) == (0, ""), r
        assert status_lines(run("status", url).stdout) == dict.fromkeys(ALL_IDS, "applied")
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        acceptor.join(10)
        for t in threads:
            t.join(10)
        for sock in sockets:
            sock.close()


# -- rawstore bench (issue 7 §6) ----------------------------------------------------------------------------------

SMALL = ("--messages", "200", "--batch", "50", "--reads", "25")


def test_bench_says_it_migrates_its_target(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_cli_bench_mig")
    r = run("bench", url, *SMALL)
    assert r.returncode == 0, r
    assert f"rawstore bench: migrating {url} first" in r.stderr, r.stderr
    assert f"rawstore bench: applied {len(ALL_IDS)} migration(s): {', '.join(ALL_IDS)}" in r.stderr, r.stderr
    r = run("bench", url, *SMALL)
    assert r.returncode == 0, r
    assert "rawstore bench: applied 0 migration(s) (already up to date)" in r.stderr, r.stderr


@pytest.mark.backends("pgbouncer")
def test_bench_through_pgbouncer_is_refused(backend: str, tmp_path: Path) -> None:
    url = dbs.create_database(backend, f"rs_cli_bench_bouncer_{os.getpid()}", tmp_path)
    r = run("bench", url, *SMALL)
    assert (r.returncode, r.stdout) == (1, ""), r
    assert "rawstore: ConfigError: " in r.stderr, r.stderr
    assert "PgBouncer" in r.stderr and "direct URL" in r.stderr, r.stderr
    assert objects("postgres", dbs.direct_url(backend, url)) == {"schema:public"}


@pytest.mark.parametrize(
    ("outcomes", "check", "code"), [([True, False], True, 1), ([True, False], False, 0), ([True, True], True, 0)]
)
def test_bench_check_exits_1_when_a_target_is_missed(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    outcomes: list[bool],
    check: bool,
    code: int,
) -> None:
    from rawstore import bench, cli

    async def fake_run(url: str, **_: object) -> bench.Report:
        return bench.Report("fake", checks=[(f"target {i}", ok) for i, ok in enumerate(outcomes)])

    monkeypatch.setattr(bench, "run", fake_run)
    argv = ["bench", f"sqlite:///{tmp_path}/b.db", *SMALL, *(["--check"] if check else [])]
    assert cli.main(argv) == code
    out, err = capsys.readouterr()
    assert "[MISS] target 1" in out or all(outcomes)
    if code == 1:
        assert "--check: 1 target(s) missed: target 1" in err, err


def test_bench_help_says_what_it_does_with_threads_and_reads(tmp_path: Path) -> None:
    """Help once said "saved into one thread"; the bench fills two (one per side) and reads `--reads` per side."""
    help_ = " ".join(run("bench", "--help").stdout.split())
    assert "each of two threads, one per side" in help_, help_
    assert "get_thread calls per side" in help_, help_
    assert "--check" in help_
    r = run("bench", f"sqlite:///{tmp_path}/b.db", *SMALL)
    assert r.returncode == 0, r
    assert "saving 200 messages into each of two threads" in r.stderr
    assert "timing 25 get_thread calls per side" in r.stderr
    # Exactly --reads calls, not rounded down to a multiple of ten.
    assert "get_thread x 25 (sequential)" in r.stdout, r.stdout


def test_bench_warns_at_small_sizes(tmp_path: Path) -> None:
    from rawstore import bench

    r = run("bench", f"sqlite:///{tmp_path}/b.db", *SMALL)
    assert r.returncode == 0, r
    assert "rawstore bench: warning: sizes too small for stable ratios" in r.stderr, r.stderr
    assert "--messages 200 < 20,000, --reads 25 < 5,000" in r.stderr, r.stderr
    assert "warning: sizes too small" in r.stdout  # next to the [ok]/[MISS] lines it qualifies
    assert bench.size_warning(bench.STABLE_MESSAGES, bench.STABLE_READS) is None
    assert bench.size_warning(bench.STABLE_MESSAGES - 1, bench.STABLE_READS) is not None
    assert bench.size_warning(bench.STABLE_MESSAGES, bench.STABLE_READS - 1) is not None
    help_ = " ".join(run("bench", "--help").stdout.split())
    assert f"--messages {bench.STABLE_MESSAGES} or --reads {bench.STABLE_READS}" in help_, help_


def test_bench_times_the_spans_hot_paths(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    """Issue 9: `rawstore bench` also times store.spans (create_many, update_many, get_trace, list_traces)."""
    url = fresh_url("rs_cli_bench_spans")
    r = run("bench", url, *SMALL, "--spans", "120", "--traces", "300")
    assert r.returncode == 0, r
    assert "get_thread x 25 (sequential)" in r.stdout  # the memory suite runs first, as before
    for line in (
        "spans.create_many: 120 spans, batches of 1,000",
        "spans.update_many: 120 span ends, batches of 1,000",
        "get_trace: 120 spans",
        "list_traces page 1 (limit 20) of 300 traces",
        "list_traces page 7 (limit 20) of 300 traces",
        "time of page 7 / page 1",
        "list_traces page 1 with_summary (limit 20)",
        "spans.create_many >= 0.8x raw",
        "spans.update_many >= 0.8x raw",
        "list_traces page 7 <= 1.5x page 1",
    ):
        assert line in r.stdout, (line, r.stdout)
    assert "spans: creating 120 spans per side" in r.stderr, r.stderr
    assert "spans: deleting the bench rows" in r.stderr, r.stderr

    async def spans_left() -> int:
        store = await rawstore.connect(url)
        try:
            async with store.transaction() as tx:
                row = await tx.fetchrow("SELECT count(*) AS n FROM rs_ai_spans")
        finally:
            await store.close()
        assert row is not None
        return int(row["n"])

    assert asyncio.run(spans_left()) == 0
    # --spans 0 skips the suite; the spans count defaults to --messages.
    r = run("bench", url, *SMALL, "--spans", "0")
    assert r.returncode == 0 and "spans." not in r.stdout, r
    help_ = " ".join(run("bench", "--help").stdout.split())
    assert "--spans" in help_ and "default: --messages" in help_ and "--traces" in help_, help_


@pytest.mark.parametrize(("flag", "value"), [("--spans", "-1"), ("--traces", "0")])
def test_bench_refuses_bad_spans_sizes(tmp_path: Path, flag: str, value: str) -> None:
    r = run("bench", f"sqlite:///{tmp_path}/b.db", *SMALL, flag, value)
    assert (r.returncode, r.stdout) == (2, ""), r
    assert f"rawstore bench: {flag[2:]} must be" in r.stderr, r.stderr
    assert not (tmp_path / "b.db").exists()


# -- --version and python -m rawstore (issue 7 §6) ---------------------------------------------------------------


def test_version() -> None:
    from importlib.metadata import version

    assert rawstore.__version__ == version("rawstore")
    for r in (run("--version"), run_module("rawstore", "--version")):
        assert (r.returncode, r.stdout, r.stderr) == (0, f"rawstore {rawstore.__version__}\n", ""), r


def test_python_dash_m_rawstore(tmp_path: Path) -> None:
    r = run_module("rawstore", "migrate", "sqlite:///m.db", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, ""), r
    r = run_module("rawstore", "status", "sqlite:///m.db", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (0, ""), r
    assert status_lines(r.stdout) == dict.fromkeys(ALL_IDS, "applied")
    r = run_module("rawstore", cwd=tmp_path)
    assert r.returncode == 2 and "usage: rawstore" in r.stderr, r


def run_module(module: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` with this interpreter."""
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=120, cwd=cwd or REPO
    )


# -- scripts/test-all.sh and scripts/dbs.sh (issue 7 §6) -----------------------------------------------------------


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port: int = s.getsockname()[1]
        return port


def fake_checkout(root: Path, *, pytest_rc: int = 0) -> Path:
    """A copy of scripts/test-all.sh whose dbs.sh and .venv tools are stubs that log what they are asked to do."""
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "test-all.sh", root / "scripts" / "test-all.sh")
    (root / "scripts" / "dbs.sh").write_text(
        "#!/usr/bin/env bash\n"
        'echo "dbs.sh $1 ${RAWSTORE_DB_DIR:-}" >> "$STUB_LOG"\n'
        'if [ "$1" = start ]; then\n'
        '  mkdir -p "$RAWSTORE_DB_DIR/pg" && head -c 100000 /dev/zero > "$RAWSTORE_DB_DIR/pg/data"\n'
        '  echo "export RAWSTORE_PG_DSN=postgresql://nowhere"\n'
        "fi\n"
    )
    (root / ".venv" / "bin").mkdir(parents=True)
    for tool in ("python", "pip", "ruff", "mypy", "pytest"):
        stub = root / ".venv" / "bin" / tool
        rc = pytest_rc if tool == "pytest" else 0
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "$STUB_LOG"\nexit {rc}\n')
        stub.chmod(0o755)
    return root


def started_dir(log: Path) -> Path:
    """The RAWSTORE_DB_DIR the stub dbs.sh was started with."""
    starts = [line.split(" ", 2)[2] for line in log.read_text().splitlines() if line.startswith("dbs.sh start ")]
    assert len(starts) == 1, log.read_text()
    return Path(starts[0])


@pytest.mark.parametrize("pytest_rc", [0, 1])
def test_test_all_removes_the_folder_it_made(tmp_path: Path, pytest_rc: int) -> None:
    """Each run once left ~600 MB of server data behind in /tmp; whether the tests pass or fail, it goes."""
    root = fake_checkout(tmp_path / "checkout", pytest_rc=pytest_rc)
    (tmp := tmp_path / "tmp").mkdir()
    log = tmp_path / "log"
    env = {k: v for k, v in os.environ.items() if k != "RAWSTORE_DB_DIR"} | {"TMPDIR": str(tmp), "STUB_LOG": str(log)}
    try:
        r = subprocess.run(["bash", "scripts/test-all.sh"], cwd=root, env=env, capture_output=True, text=True)
        assert r.returncode == pytest_rc, r
        made = started_dir(log)
        assert made.parent == tmp, made
        assert not made.exists(), f"{made} left behind"
        assert f"dbs.sh stop {made}" in log.read_text()
    finally:
        for line in log.read_text().splitlines() if log.exists() else []:
            if line.startswith("dbs.sh start /tmp/rawstore-dbs."):  # the old script's mktemp folder
                shutil.rmtree(line.split(" ", 2)[2], ignore_errors=True)


def test_test_all_keeps_a_folder_it_was_given(tmp_path: Path) -> None:
    root = fake_checkout(tmp_path / "checkout")
    log = tmp_path / "log"
    env = os.environ | {"RAWSTORE_DB_DIR": str(tmp_path / "dbs"), "STUB_LOG": str(log)}
    r = subprocess.run(["bash", "scripts/test-all.sh"], cwd=root, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r
    assert started_dir(log) == tmp_path / "dbs"
    assert (tmp_path / "dbs" / "pg" / "data").is_file()


SERVICE = {
    "postgres": ("PG_PORT", "PostgreSQL"),
    "mysql": ("MY_PORT", "MariaDB"),
    "pgbouncer": ("BOUNCER_PORT", "PgBouncer"),
}


@pytest.mark.backends("postgres", "mysql", "pgbouncer")
def test_dbs_sh_refuses_a_server_it_did_not_start(backend: str, tmp_path: Path) -> None:
    """dbs.sh once reused whatever answered on MY_PORT: tests then ran against some other MariaDB."""
    url = os.environ.get(dbs.ENV[backend]) or dbs.unavailable(backend, f"{dbs.ENV[backend]} is not set")
    taken = urlsplit(str(url)).port
    assert taken is not None
    variable, name = SERVICE[backend]
    other = tmp_path / "dbs"
    ports = {var: str(free_port()) for var, _ in SERVICE.values()} | {variable: str(taken)}
    env = os.environ | ports | {"RAWSTORE_DB_DIR": str(other)}
    try:
        r = subprocess.run(
            ["bash", "scripts/dbs.sh", "start"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
        assert (r.returncode, r.stdout) == (1, ""), r
        assert f"port {taken} ({variable}) answers, but not as the {name} under {other}" in r.stderr, r.stderr
        assert not other.exists()  # refused before starting anything
        r = subprocess.run(["bash", "scripts/dbs.sh", "status"], cwd=REPO, env=env, capture_output=True, text=True)
        assert r.returncode == 1 and f"({variable}) answers, but not as the {name}" in r.stderr, r
    finally:
        if other.exists():  # the old script started servers there before reusing the foreign one
            subprocess.run(["bash", "scripts/dbs.sh", "stop"], cwd=REPO, env=env, capture_output=True, timeout=120)


@pytest.mark.backends("pgbouncer")
def test_dbs_sh_accepts_its_own_servers(backend: str) -> None:
    """The servers the suite runs on are the ones under RAWSTORE_DB_DIR: status (and start) recognise them."""
    if not os.environ.get("RAWSTORE_DB_DIR"):
        dbs.unavailable(backend, 'RAWSTORE_DB_DIR is not set (run: eval "$(bash scripts/dbs.sh start)")')
    r = subprocess.run(["bash", "scripts/dbs.sh", "status"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stderr) == (0, ""), r
