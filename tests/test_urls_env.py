"""URLs from the environment (DATABASE_URL / DIRECT_URL), `?pgbouncer=true`, a direct URL beside a pooled one, and
passwords kept out of messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

import rawstore
from rawstore.url import redact
from tests import dbs

ENV_VARS = ("DATABASE_URL", "RAWSTORE_DATABASE_URL", "DIRECT_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def _with_query(url: str, query: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, p.path, query, ""))


async def test_connect_without_url_reads_database_url(
    backend: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _with_query(db_url, "pgbouncer=true") if backend == "pgbouncer" else db_url
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("RAWSTORE_DATABASE_URL", "sqlite:///never/used.db")
    async with rawstore.connect() as store:
        await store.memory.save_thread(rawstore.Thread("t1", resource_id="r"))
        assert (await store.memory.get_thread("t1")) is not None


async def test_connect_falls_back_to_rawstore_database_url(
    backend: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _with_query(db_url, "pgbouncer=true") if backend == "pgbouncer" else db_url
    monkeypatch.setenv("RAWSTORE_DATABASE_URL", url)
    async with rawstore.connect() as store:
        assert await store.memory.get_thread("nope") is None


def test_no_url_anywhere_is_a_config_error_naming_the_variables() -> None:
    with pytest.raises(rawstore.ConfigError, match="DATABASE_URL, RAWSTORE_DATABASE_URL"):
        rawstore.connect()
    with pytest.raises(rawstore.ConfigError, match="DIRECT_URL, DATABASE_URL"):
        rawstore.migrate()
    with pytest.raises(rawstore.ConfigError, match="DIRECT_URL, DATABASE_URL"):
        rawstore.status()


def test_bad_pgbouncer_flag_and_bad_url_types_are_config_errors() -> None:
    with pytest.raises(rawstore.ConfigError, match="true or false"):
        rawstore.connect("postgresql://u@127.0.0.1:1/db?pgbouncer=maybe")
    with pytest.raises(rawstore.ConfigError, match="direct_url must be a database URL"):
        rawstore.connect("sqlite:///x.db", direct_url=5)  # type: ignore[arg-type]


async def test_migrate_without_url_prefers_direct_url(
    direct_backend: str, fresh_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = fresh_url("rs_env_direct")
    monkeypatch.setenv("DIRECT_URL", target)
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/never")
    assert len(rawstore.migrate()) > 0
    assert all(rawstore.status().values())
    assert all(rawstore.status(target).values())


async def test_migrate_without_url_falls_back_to_database_url(
    direct_backend: str, fresh_url: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = fresh_url("rs_env_app")
    monkeypatch.setenv("DATABASE_URL", target)
    assert len(rawstore.migrate()) > 0
    assert all(rawstore.status(target).values())


@pytest.mark.backends("pgbouncer")
async def test_pgbouncer_flag_in_the_url_turns_on_pgbouncer_mode(db_url: str) -> None:
    async with rawstore.connect(_with_query(db_url, "pgbouncer=true"), min_size=1) as store:
        assert not store.capabilities.listen_notify
        await store.memory.save_thread(rawstore.Thread("t1", resource_id="r"))
        assert (await store.memory.get_thread("t1")) is not None


@pytest.mark.backends("pgbouncer")
async def test_migrating_through_a_pgbouncer_url_names_direct_url(db_url: str) -> None:
    pooled = _with_query(db_url, "pgbouncer=true")
    before = rawstore.status(dbs.direct_url("pgbouncer", db_url))
    for call in (lambda: rawstore.migrate(pooled), lambda: rawstore.status(pooled), lambda: rawstore.rollback(pooled)):
        with pytest.raises(rawstore.ConfigError, match="DIRECT_URL"):
            call()
    with pytest.raises(rawstore.ConfigError, match="DIRECT_URL"):
        rawstore.connect(pooled, migrate=True)
    assert rawstore.status(dbs.direct_url("pgbouncer", db_url)) == before


@pytest.mark.backends("pgbouncer")
async def test_a_direct_url_must_not_be_pooled_nor_another_database_kind(db_url: str) -> None:
    pooled = _with_query(db_url, "pgbouncer=true")
    with pytest.raises(rawstore.ConfigError, match="without a pooler"):
        rawstore.connect(pooled, direct_url=pooled)
    with pytest.raises(rawstore.ConfigError, match="same postgres database"):
        rawstore.connect(pooled, direct_url="sqlite:///x.db")


def _listening_sessions(direct: str) -> int:
    with psycopg.connect(direct) as c:
        row = c.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN \"rs_jobs\"'"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.backends("pgbouncer")
async def test_behind_pgbouncer_a_direct_url_migrates_and_carries_listen_notify(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    direct = dbs.direct_url("pgbouncer", db_url)
    monkeypatch.setenv("DATABASE_URL", _with_query(db_url, "pgbouncer=true"))
    monkeypatch.setenv("DIRECT_URL", direct)
    async with rawstore.connect(migrate=True) as store:
        assert store.capabilities.listen_notify
        run = await store.workflows.create_run(workflow_id="w", workflow_name="w", workflow_type="t", input={})
        waiter = asyncio.create_task(store.jobs.wait(30))
        for _ in range(100):
            if await asyncio.to_thread(_listening_sessions, direct) == 1:
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(_listening_sessions, direct) == 1
        # Another process's enqueue (a second store) wakes the waiter through NOTIFY on the direct session.
        async with rawstore.connect(_with_query(db_url, "pgbouncer=true")) as other:
            await other.jobs.enqueue(workflow_run_id=run.id, stage_id="s1")
        assert await asyncio.wait_for(waiter, 10) is True
    assert await asyncio.to_thread(_listening_sessions, direct) == 0


def test_passwords_never_appear_in_messages_or_repr() -> None:
    assert redact("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("postgresql://app@db/x?sslmode=require&password=s3cret") == (
        "postgresql://app@db/x?sslmode=require&password=***"
    )


async def test_connection_errors_and_repr_hide_the_password(backend: str, db_url: str) -> None:
    p = urlsplit(db_url)
    if backend == "sqlite":
        async with rawstore.connect(db_url) as store:
            assert repr(store) == f"<rawstore.Store {db_url}>"
        return
    host = f"{p.username or 'root'}:s3cret-pw@{p.hostname}:{p.port}"
    with_pw = urlunsplit((p.scheme, host, p.path, "pgbouncer=true" if backend == "pgbouncer" else "", ""))
    try:
        async with rawstore.connect(with_pw, min_size=0) as store:
            assert "s3cret-pw" not in repr(store) and "***" in repr(store)
            await store.memory.get_thread("t")
    except rawstore.RawstoreError as e:  # the server checks passwords: the refusal must not echo it
        assert "s3cret-pw" not in str(e)
    closed = urlunsplit((p.scheme, "u:s3cret-pw@127.0.0.1:1", p.path, "", ""))
    with pytest.raises(rawstore.RawstoreError) as err:
        async with rawstore.connect(closed, min_size=1, connect_timeout=2):
            pass
    assert "s3cret-pw" not in str(err.value)
