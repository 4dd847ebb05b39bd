"""Tenancy: `with rawstore.tenant(...)` scopes every memory call; `tenancy="required"` refuses calls without one."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

import rawstore
from rawstore import Include, MemoryStore, Message, MessageUpdate, Resource, Store, Thread, tenant

Call = Callable[[MemoryStore], Awaitable[Any]]

# One call of every public memory method, in an order that also runs cleanly inside one tenant.
CALLS: dict[str, Call] = {
    "save_resource": lambda m: m.save_resource(Resource("r", working_memory="wm")),
    "update_resource": lambda m: m.update_resource("r", metadata={"k": 1}),
    "get_resource": lambda m: m.get_resource("r"),
    "save_thread": lambda m: m.save_thread(Thread("t", "r")),
    "get_thread": lambda m: m.get_thread("t"),
    "update_thread": lambda m: m.update_thread("t", title="x"),
    "list_threads": lambda m: m.list_threads("r"),
    "save_messages": lambda m: m.save_messages([Message("m", "t", "user", "hi"), Message("m2", "t", "user", "yo")]),
    "list_messages": lambda m: m.list_messages("t", include=[Include("m", before=1)]),
    "get_messages": lambda m: m.get_messages(["m"]),
    "update_messages": lambda m: m.update_messages([MessageUpdate("m", role="assistant")]),
    "clone_thread": lambda m: m.clone_thread("t", new_thread_id="t-copy"),
    "delete_messages": lambda m: m.delete_messages(["m2"]),
    "delete_thread": lambda m: m.delete_thread("t-copy"),
}
KIT_TABLES = ("rs_threads", "rs_messages", "rs_resources")


def _public_methods() -> set[str]:
    return {n for n, f in inspect.getmembers(MemoryStore, inspect.iscoroutinefunction) if not n.startswith("_")}


async def _rows(store: Store) -> dict[str, list[tuple[str, str]]]:
    """(tenant_id, id) of every kit row, whatever the tenant, read with the app's own SQL."""
    out: dict[str, list[tuple[str, str]]] = {}
    async with store.transaction() as tx:
        for table in KIT_TABLES:
            rows = await tx.fetch(f"SELECT tenant_id, id FROM {table} ORDER BY tenant_id, id")
            out[table] = [(r[0], r[1]) for r in rows]
    return out


@pytest.fixture
async def required(backend: str, db_url: str) -> AsyncIterator[Store]:
    """A second store on the test database, opened with tenancy="required"."""
    async with rawstore.connect(db_url, tenancy="required", pgbouncer=backend == "pgbouncer") as s:
        assert s.tenancy == "required"
        yield s


def test_the_call_table_covers_every_public_memory_method() -> None:
    assert set(CALLS) == _public_methods()


async def test_tenant_scopes_every_call(store: Store) -> None:
    with tenant("t1"):
        assert rawstore.current_tenant() == "t1"
        for name, call in CALLS.items():
            await call(store.memory)
            assert rawstore.current_tenant() == "t1", name
    assert rawstore.current_tenant() is None
    rows = await _rows(store)
    assert rows["rs_threads"] == [("t1", "t")]
    assert rows["rs_messages"] == [("t1", "m")]
    assert rows["rs_resources"] == [("t1", "r")]
    # Outside the block (the default tenant) none of it exists.
    assert await store.memory.get_thread("t") is None
    assert await store.memory.get_resource("r") is None
    assert await store.memory.get_messages(["m"]) == []
    with tenant("t2"):
        assert await store.memory.get_thread("t") is None


async def test_same_thread_id_in_two_tenants_is_two_threads(store: Store) -> None:
    for t in ("t1", "t2"):
        with tenant(t):
            await store.memory.save_thread(Thread("shared", "user", title=f"title of {t}", metadata={"owner": t}))
            await store.memory.save_thread(Thread(f"only-{t}", "user"))
            await store.memory.save_messages([Message(f"m{i}", "shared", "user", f"{t}:{i}") for i in range(3)])
            await store.memory.save_resource(Resource("user", working_memory=f"memory of {t}"))

    for t in ("t1", "t2"):
        with tenant(t):
            th = await store.memory.get_thread("shared")
            assert th is not None and th.title == f"title of {t}" and th.metadata == {"owner": t}
            assert sorted(x.id for x in (await store.memory.list_threads("user")).items) == ["only-" + t, "shared"]
            page = await store.memory.list_messages("shared", with_total=True)
            assert [m.content for m in page.items] == [f"{t}:{i}" for i in range(3)] and page.total == 3
            assert [m.content for m in await store.memory.get_messages(["m0", "m1"])] == [f"{t}:0", f"{t}:1"]
            res = await store.memory.get_resource("user")
            assert res is not None and res.working_memory == f"memory of {t}"
            assert await store.memory.get_thread("only-" + ("t2" if t == "t1" else "t1")) is None

    with tenant("t1"):
        await store.memory.update_thread("shared", title="renamed")
        await store.memory.update_messages([MessageUpdate("m0", content="edited")])
        assert await store.memory.delete_messages(["m1"]) == 1
        await store.memory.update_resource("user", working_memory="changed")
    with tenant("t2"):
        th = await store.memory.get_thread("shared")
        assert th is not None and th.title == "title of t2"
        assert [m.content for m in (await store.memory.list_messages("shared")).items] == ["t2:0", "t2:1", "t2:2"]
        res = await store.memory.get_resource("user")
        assert res is not None and res.working_memory == "memory of t2"
        # Moving a message to a thread that only exists in the other tenant is NotFound here.
        with pytest.raises(rawstore.NotFound):
            await store.memory.update_messages([MessageUpdate("m2", thread_id="only-t1")])
        with pytest.raises(rawstore.NotFound):
            await store.memory.save_messages([Message("x", "only-t1", "user", "x")])

    with tenant("t1"):
        await store.memory.delete_thread("shared")
        assert await store.memory.get_thread("shared") is None
        assert (await store.memory.list_messages("shared")).items == []
    with tenant("t2"):
        assert await store.memory.get_thread("shared") is not None
        assert len((await store.memory.list_messages("shared")).items) == 3
        clone, copies = await store.memory.clone_thread("shared", new_thread_id="only-t1")
        assert clone.id == "only-t1" and len(copies) == 3  # the same id exists in t1, which is another thread
    with tenant("t1"):
        th = await store.memory.get_thread("only-t1")
        assert th is not None and th.metadata is None
        assert (await store.memory.list_messages("only-t1")).items == []


async def test_default_tenant_outside_any_block(store: Store) -> None:
    await store.memory.save_thread(Thread("t", "r"))
    assert (await _rows(store))["rs_threads"] == [(rawstore.DEFAULT_TENANT, "t")]
    with tenant(rawstore.DEFAULT_TENANT):
        assert await store.memory.get_thread("t") is not None
    with tenant("other"):
        assert await store.memory.get_thread("t") is None


async def test_blocks_nest_and_the_innermost_wins(store: Store) -> None:
    with tenant("outer"):
        await store.memory.save_thread(Thread("a", "r"))
        with tenant("inner"):
            assert rawstore.current_tenant() == "inner"
            await store.memory.save_thread(Thread("b", "r"))
        assert rawstore.current_tenant() == "outer"
        await store.memory.save_thread(Thread("c", "r"))
    assert (await _rows(store))["rs_threads"] == [("inner", "b"), ("outer", "a"), ("outer", "c")]


async def test_tenant_applies_inside_transactions(store: Store) -> None:
    with tenant("t1"):
        async with store.transaction() as tx:
            await tx.memory.save_thread(Thread("a", "r"))
            with tenant("t2"):
                await tx.memory.save_thread(Thread("b", "r"))
                assert await tx.memory.get_thread("a") is None
    async with store.transaction() as tx:
        with tenant("t2"):
            await tx.memory.save_thread(Thread("c", "r"))
    assert (await _rows(store))["rs_threads"] == [("t1", "a"), ("t2", "b"), ("t2", "c")]


async def test_tenant_propagates_into_tasks_started_inside_the_block(store: Store) -> None:
    async def save(i: int) -> str | None:
        await asyncio.sleep(0)
        await store.memory.save_thread(Thread(f"g{i}", "r"))
        return rawstore.current_tenant()

    with tenant("acme"):
        assert await asyncio.gather(*(save(i) for i in range(4))) == ["acme"] * 4
        late = asyncio.create_task(save(99))
    # The task was created inside the block: it keeps the tenant even though it runs after the block ended.
    assert await late == "acme"
    assert rawstore.current_tenant() is None
    assert (await _rows(store))["rs_threads"] == [("acme", f"g{i}") for i in (0, 1, 2, 3, 99)]


async def test_tasks_started_outside_the_block_do_not_see_it(store: Store) -> None:
    go = asyncio.Event()

    async def background() -> str | None:
        await go.wait()
        await store.memory.save_thread(Thread("bg", "r"))
        return rawstore.current_tenant()

    task = asyncio.create_task(background())
    with tenant("acme"):
        go.set()
        assert await task is None
    assert (await _rows(store))["rs_threads"] == [(rawstore.DEFAULT_TENANT, "bg")]


async def test_required_tenancy_refuses_every_method_outside_a_tenant(store: Store, required: Store) -> None:
    await store.memory.save_thread(Thread("t", "r"))  # something a wrongly scoped call could read or change
    before = await _rows(store)
    for name, call in CALLS.items():
        with pytest.raises(rawstore.TenantRequired):
            await call(required.memory)
        assert await _rows(store) == before, f"{name} wrote although it raised TenantRequired"
    async with required.transaction() as tx:
        for call in CALLS.values():
            with pytest.raises(rawstore.TenantRequired):
                await call(tx.memory)
        # The transaction is intact: the app's own SQL needs no tenant.
        assert (await tx.fetchrow("SELECT count(*) AS n FROM rs_threads"))["n"] == 1  # type: ignore[index]
    assert await _rows(store) == before


async def test_required_tenancy_raises_before_touching_the_database(required: Store) -> None:
    await required.close()
    for call in CALLS.values():
        with pytest.raises(rawstore.TenantRequired):
            await call(required.memory)
    with tenant("acme"), pytest.raises(rawstore.ConnectionLost):
        await required.memory.get_thread("t")


async def test_required_tenancy_works_inside_a_tenant(store: Store, required: Store) -> None:
    with tenant("acme"):
        for name, call in CALLS.items():
            await call(required.memory)
            assert rawstore.current_tenant() == "acme", name
        both = await asyncio.gather(required.memory.get_thread("t"), required.memory.get_resource("r"))
        assert all(x is not None for x in both)
        async with required.transaction() as tx:
            await tx.memory.save_thread(Thread("in-tx", "r"))
    rows = await _rows(store)
    assert {t for table in rows.values() for t, _ in table} == {"acme"}
    assert ("acme", "in-tx") in rows["rs_threads"]


@pytest.mark.parametrize(
    "bad", ["", "   ", None, 42, b"acme", ["acme"], "x" * 65, "a\x00b"], ids=lambda v: repr(v)[:12]
)
def test_invalid_tenant_ids(bad: Any) -> None:
    with pytest.raises(rawstore.InvalidInput), tenant(bad):
        pytest.fail("the block must not run")
    assert rawstore.current_tenant() is None


async def test_longest_and_non_ascii_tenant_ids_round_trip(store: Store) -> None:
    longest = "🎉" * 64
    for t in (longest, "x" * 64, "ünïcødé"):
        with tenant(t):
            await store.memory.save_thread(Thread("same", "r", title=t))
    for t in (longest, "x" * 64, "ünïcødé"):
        with tenant(t):
            th = await store.memory.get_thread("same")
            assert th is not None and th.title == t
    assert sorted(t for t, _ in (await _rows(store))["rs_threads"]) == sorted([longest, "x" * 64, "ünïcødé"])
