"""`rawstore reset`, `rawstore doctor`, `rawstore migrate --dry-run` and one-line CLI errors, on real databases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

import rawstore
from rawstore import cli, deploy
from rawstore.url import parse_url
from tests.test_migrations import execute, objects, query

APP_TABLES = ("app_orders", "app_rs_notes")


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = cli.main(list(args))
    except SystemExit as e:  # argparse's own exits (--help, usage errors)
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


async def _app_tables(url: str, backend: str) -> None:
    async with rawstore.connect(url) as store, store.transaction() as tx:
        for t in APP_TABLES:
            await tx.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, note VARCHAR(20) NOT NULL)")
            await tx.execute(f"INSERT INTO {t} (id, note) VALUES (1, 'keep me')")


def test_reset_drops_only_the_kit(
    direct_backend: str, fresh_url: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_url("rs_reset_only_kit")
    rawstore.migrate(url)  # creates the SQLite file; the application's tables come next, then the kit's again
    rawstore.rollback(url)
    asyncio.run(_app_tables(url, direct_backend))
    app_only = objects(direct_backend, url) - {o for o in objects(direct_backend, url) if "rs_" in o}
    rawstore.migrate(url)
    migrated = objects(direct_backend, url)
    assert any("rs_messages" in o for o in migrated)

    code, out, _ = _cli(capsys, "reset", url)
    assert code == 0 and "would drop  rs_messages" in out and "nothing changed" in out
    assert objects(direct_backend, url) == migrated

    code, out, _ = _cli(capsys, "reset", url, "--yes")
    assert code == 0 and "dropped  rs_messages" in out and "rs_yoyo_migration" in out
    left = objects(direct_backend, url)
    assert not any("rs_" in o.split(":", 1)[1].split(".")[-1][:3] for o in left if "app_rs_notes" not in o)
    assert app_only <= left
    for t in APP_TABLES:
        assert query(direct_backend, url, f"SELECT note FROM {t}") == [("keep me",)]
    # The kit comes back as new; a second reset has nothing to drop.
    assert all(not applied for applied in rawstore.status(url).values())
    rawstore.migrate(url)
    assert all(rawstore.status(url).values())
    report = asyncio.run(deploy.reset(url, yes=True))
    assert report.dropped and "rs_threads" in report.tables
    assert asyncio.run(deploy.reset(url, yes=True)) == deploy.ResetReport([], dropped=False)


def test_reset_refuses_while_an_application_table_references_the_kit(
    direct_backend: str, fresh_url: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_url("rs_reset_fk")
    rawstore.migrate(url)

    key = " CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin" if direct_backend == "mysql" else ""
    execute(
        direct_backend,
        url,
        f"CREATE TABLE app_links (id INTEGER NOT NULL PRIMARY KEY, tenant_id VARCHAR(255){key} NOT NULL,"
        f" run_id VARCHAR(255){key} NOT NULL, CONSTRAINT app_links_run FOREIGN KEY (tenant_id, run_id)"
        " REFERENCES rs_workflow_runs (tenant_id, id))",
    )
    before = objects(direct_backend, url)
    code, _, err = _cli(capsys, "reset", url, "--yes")
    assert code == 1 and "app_links" in err and "Nothing was dropped" in err and len(err.strip().splitlines()) == 1
    assert objects(direct_backend, url) == before


def test_doctor_reports_health_and_what_is_missing(
    direct_backend: str, fresh_url: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_url("rs_doctor")
    if direct_backend != "sqlite":
        code, out, _ = _cli(capsys, "doctor", url)
        assert code == 1 and "migrations pending" in out and "NOT healthy" in out
    rawstore.migrate(url)
    code, out, _ = _cli(capsys, "doctor", url)
    assert code == 0, out
    for line in ("reachable            yes", "pooler               direct", "missing kit tables   none"):
        assert line in out
    assert "server version" in out and out.rstrip().endswith("healthy")
    assert ("row-level security   disabled" in out) == (direct_backend == "postgres")

    drop = "DROP INDEX rs_ai_calls_topic_idx" + (" ON rs_ai_calls" if direct_backend == "mysql" else "")
    wanted = deploy.expected_objects(parse_url(url).dialect, rawstore.status(url).keys())[1]
    assert "rs_ai_calls_topic_idx" in wanted, sorted(wanted)
    execute(direct_backend, url, drop)
    code, out, _ = _cli(capsys, "doctor", url)
    assert code == 1 and "! missing kit indexes  rs_ai_calls_topic_idx" in out


@pytest.mark.backends("pgbouncer")
def test_doctor_through_pgbouncer_recognises_the_pooler(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, "doctor", db_url)
    assert "pooler               PgBouncer (detected)" in out and code == 0, out
    code, out, _ = _cli(capsys, "doctor", db_url + "?pgbouncer=true")
    assert "pooler               PgBouncer (?pgbouncer=true)" in out and code == 0, out


def test_doctor_of_an_unreachable_database(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    code, out, _ = _cli(capsys, "doctor", "postgresql://u:s3cret@127.0.0.1:1/none")
    assert code == 1 and "! reachable" in out and "s3cret" not in out
    code, out, _ = _cli(capsys, "doctor", f"sqlite:///{tmp_path}/missing.db")
    assert code == 1 and "no such database" in out


def test_migrate_dry_run_prints_pending_sql_and_applies_nothing(
    direct_backend: str, fresh_url: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = fresh_url("rs_dry_run")
    if direct_backend != "sqlite":
        rawstore.migrate(url)
        rawstore.rollback(url, count=2)
    before = None if direct_backend == "sqlite" else rawstore.status(url)
    code, out, _ = _cli(capsys, "migrate", url, "--dry-run")
    assert code == 0
    ids = [line[3:] for line in out.splitlines() if line.startswith("-- 0")]
    if before is None:  # a SQLite file that does not exist yet: everything is pending, and no file is made
        assert ids[0] == "0001_memory_threads" and "CREATE TABLE" in out and len(ids) > 10
        code, _, err = _cli(capsys, "status", url)
        assert code == 1 and "no such database" in err
    else:
        assert ids == [m for m, done in before.items() if not done] and len(ids) == 2
        assert rawstore.status(url) == before


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "RAWSTORE_DATABASE_URL", "DIRECT_URL"):
        monkeypatch.delenv(name, raising=False)
    for args in (
        ["bogus"],
        ["reset"],
        ["migrate"],
        ["doctor"],
        ["status", "nosuch://x"],
        ["rollback", "sqlite:///x.db", "--count", "0"],
        ["migrate", "postgresql://u:s3cret@127.0.0.1:1/none"],
    ):
        code, _, err = _cli(capsys, *args)
        assert code != 0, args
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "s3cret" not in err, (args, err)


@pytest.mark.parametrize("command", ["migrate", "status", "rollback", "reset", "doctor", "bench"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(capsys, command, "--help")
    assert code == 0 and out.startswith(f"usage: rawstore {command}")
