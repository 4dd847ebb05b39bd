"""PostgreSQL row-level security: the policies of migration 0020, `rawstore rls enable|disable|status`, and
`connect(..., row_level_security=True)`, checked as a role that neither owns the tables nor bypasses RLS, directly
and through PgBouncer's transaction pooling."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import rawstore
from rawstore import AICall, Message, Thread, cli, deploy
from tests import dbs

pytestmark = pytest.mark.requires("row_level_security")


async def _open(url: str, backend: str, **kw: object) -> rawstore.Store:
    return await rawstore.connect(url, pgbouncer=backend == "pgbouncer", max_size=4, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def rls_store(app_url: str, backend: str) -> AsyncIterator[rawstore.Store]:
    s = await _open(app_url, backend, row_level_security=True)
    try:
        yield s
    finally:
        await s.close()


async def _seed(store: rawstore.Store) -> None:
    for t in ("a", "b"):
        with rawstore.tenant(t):
            await store.memory.save_thread(Thread(f"{t}-thread", resource_id="r"))
            await store.memory.save_messages([Message(f"{t}-m1", f"{t}-thread", "user", "hi")])
            store.ai_calls.log_call(AICall("topic", "chat", "m", "m-1", "p", "r", 1, 2, 0.5))
    await store.ai_calls.flush()  # one buffered batch holding both tenants' calls


def test_enable_disable_status_are_idempotent(backend: str, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    direct = dbs.direct_url(backend, db_url)
    try:
        for _ in range(2):
            tables = asyncio.run(deploy.rls(direct, "enable"))
            assert tables and all(t.enabled and t.forced and t.policy for t in tables)
        names = {t.name for t in tables}
        assert {"rs_threads", "rs_messages", "rs_jobs", "rs_ai_calls", "rs_ai_spans", "rs_scores"} <= names
        assert not any(n.startswith("rs_yoyo") or n == "rs_index_registry" for n in names)
        assert cli.main(["rls", "status", direct]) == 0
        assert "row-level security enforced on" in capsys.readouterr().out
        assert cli.main(["doctor", direct]) == 0
        assert "row-level security   enabled (forced)" in capsys.readouterr().out
    finally:
        for _ in range(2):
            tables = asyncio.run(deploy.rls(direct, "disable"))
            assert all(not t.enabled and not t.forced and t.policy for t in tables)


async def test_kit_calls_and_own_sql_see_only_the_current_tenant(rls_store: rawstore.Store) -> None:
    await _seed(rls_store)
    for t, other in (("a", "b"), ("b", "a")):
        with rawstore.tenant(t):
            assert await rls_store.memory.get_thread(f"{t}-thread") is not None
            assert [m.id for m in (await rls_store.memory.list_messages(f"{t}-thread")).items] == [f"{t}-m1"]
            assert (await rls_store.ai_calls.get_stats()).total_calls == 1
            async with rls_store.transaction() as tx:
                for table in ("rs_threads", "rs_messages", "rs_ai_calls"):
                    rows = await tx.fetch(f"SELECT DISTINCT tenant_id FROM {table}")
                    assert [r["tenant_id"] for r in rows] == [t], table
                # Writing another tenant's row by hand is refused by the policy's WITH CHECK.
                with pytest.raises(rawstore.RawstoreError):
                    async with tx.transaction() as inner:
                        await inner.execute(
                            "INSERT INTO rs_threads (tenant_id, id, resource_id, title, metadata, created_at,"
                            " updated_at) VALUES (:t, 'x', 'r', NULL, NULL, now(), now())",
                            {"t": other},
                        )
                assert await tx.fetch("SELECT id FROM rs_threads WHERE tenant_id = :o", {"o": other}) == []
                # Neither can an UPDATE or DELETE reach the other tenant's rows.
                assert await tx.execute("DELETE FROM rs_messages WHERE tenant_id = :o", {"o": other}) == 0
    with rawstore.tenant("a"):
        assert await rls_store.memory.get_thread("a-thread") is not None
    with rawstore.tenant("b"):
        assert [m.id for m in (await rls_store.memory.list_messages("b-thread")).items] == ["b-m1"]


async def test_a_session_without_the_setting_sees_nothing(
    rls_store: rawstore.Store, app_url: str, backend: str
) -> None:
    await _seed(rls_store)
    plain = await _open(app_url, backend)  # the same role, without row_level_security=True
    try:
        with rawstore.tenant("a"):
            assert await plain.memory.get_thread("a-thread") is None
            async with plain.transaction() as tx:
                assert await tx.fetch("SELECT id FROM rs_threads") == []
            with pytest.raises(rawstore.RawstoreError):
                await plain.memory.save_thread(Thread("a-new", resource_id="r"))
    finally:
        await plain.close()


async def test_transactions_and_concurrent_tenants(rls_store: rawstore.Store) -> None:
    async def work(t: str) -> list[str]:
        with rawstore.tenant(t):
            async with rls_store.transaction() as tx:
                await tx.memory.save_thread(Thread(f"{t}-tx", resource_id="r"))
                rows = await tx.fetch("SELECT id FROM rs_threads ORDER BY id")
                return [r["id"] for r in rows]

    results = await asyncio.gather(*(work(t) for t in ("a", "b", "c", "d") * 3))
    assert all(r == [f"{t}-tx"] for r, t in zip(results, ("a", "b", "c", "d") * 3, strict=True))


def test_row_level_security_is_postgresql_only(tmp_path: object) -> None:
    with pytest.raises(rawstore.ConfigError, match="PostgreSQL"):
        rawstore.connect(f"sqlite:///{tmp_path}/x.db", row_level_security=True)
    with pytest.raises(rawstore.ConfigError, match="PostgreSQL"):
        rawstore.connect("mysql://u@127.0.0.1:1/db", row_level_security=True)
    with pytest.raises(rawstore.ConfigError, match="True or False"):
        rawstore.connect("postgresql://u@127.0.0.1:1/db", row_level_security="yes")  # type: ignore[arg-type]
