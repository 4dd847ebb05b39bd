"""Conformance: users and sessions of the semantic-memory domain (store.memories), on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

import rawstore
from rawstore import Conflict, InvalidInput, NotFound, Store
from rawstore.memories.records import Memory, Session, User

T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
META = {"nested": {"a": [1, 2.5, None, True, "x"]}, "unicode": "héllo — 日本語 🎉 'q' \"dq\" \\", "big": 2**53 + 1}


async def test_save_and_get_round_trip(store: Store) -> None:
    u = User("u1", "Alice@Example.com", name="Alice", metadata=META, created_at=T0, updated_at=T0)
    saved = await store.memories.save_user(u)
    assert saved == u
    assert await store.memories.get_user("u1") == u
    assert await store.memories.get_user("missing") is None


async def test_save_user_updates_and_keeps_created_at(store: Store) -> None:
    await store.memories.save_user(User("u1", "a@x.io", name="A", metadata={"k": 1}, created_at=T0, updated_at=T0))
    later = T0 + timedelta(days=1)
    again = await store.memories.save_user(
        User("u1", "b@x.io", name=None, metadata=None, created_at=later, updated_at=later)
    )
    assert (again.email, again.name, again.metadata, again.created_at, again.updated_at) == (
        "b@x.io",
        None,
        None,
        T0,
        later,
    )
    assert await store.memories.get_user_by_email("a@x.io") is None
    assert await store.memories.get_user_by_email("B@X.IO") == again


async def test_email_is_unique_per_tenant_case_insensitively(store: Store) -> None:
    await store.memories.save_user(User("u1", "Alice@Example.com"))
    got = await store.memories.get_user_by_email("alice@EXAMPLE.COM")
    assert got is not None and got.id == "u1" and got.email == "Alice@Example.com"
    with pytest.raises(Conflict):
        await store.memories.save_user(User("u2", "ALICE@example.com"))
    assert await store.memories.get_user("u2") is None
    # Updating another user to a taken email is a conflict too, and leaves it as it was.
    await store.memories.save_user(User("u3", "carol@example.com"))
    with pytest.raises(Conflict):
        await store.memories.save_user(User("u3", "alice@example.COM"))
    u3 = await store.memories.get_user("u3")
    assert u3 is not None and u3.email == "carol@example.com"
    # Another tenant has its own users and emails.
    with rawstore.tenant("other"):
        assert await store.memories.get_user_by_email("alice@example.com") is None
        await store.memories.save_user(User("u2", "alice@example.com"))
        assert await store.memories.get_user("u1") is None
    assert (await store.memories.get_user_by_email("alice@example.com")).id == "u1"  # type: ignore[union-attr]


async def test_concurrent_saves_of_one_new_user_both_succeed(store: Store) -> None:
    users = [User("same", f"same{i}@example.com", name=str(i)) for i in range(4)]
    saved = await asyncio.gather(*(store.memories.save_user(u) for u in users))
    assert {s.id for s in saved} == {"same"}
    got = await store.memories.get_user("same")
    assert got is not None and got.email in {u.email for u in users}


@pytest.mark.parametrize(
    ("bad", "what"),
    [
        ("not a user", "rawstore.User"),
        (User("", "a@b.c"), "user.id"),
        (User("u", "no-at-sign"), "email"),
        (User("u", ""), "user.email"),
        (User("u", " a@b.c"), "email"),
        (User("u", "a@b.c", name=3), "user.name"),  # type: ignore[arg-type]
        (User("u", "a@b.c", metadata=[1]), "user.metadata"),  # type: ignore[arg-type]
        (User("u", "a@b.c", created_at=datetime(2025, 1, 1)), "user.created_at"),
        (User("u", "a@b.c\x00"), "NUL"),
    ],
)
async def test_bad_users_are_refused_before_writing(store: Store, bad: object, what: str) -> None:
    with pytest.raises(InvalidInput, match=what):
        await store.memories.save_user(bad)  # type: ignore[arg-type]
    assert await store.memories.get_user("u") is None


async def test_delete_user_cascades_to_sessions_and_memories(store: Store) -> None:
    await store.memories.save_user(User("u1", "a@x.io"))
    await store.memories.save_user(User("u2", "b@x.io"))
    s = await store.memories.start_session("u1")
    await store.memories.add_many(
        [
            Memory("m1", "u1", "first", session_id=s.id, embedding=[1.0, 0.0]),
            Memory("m2", "u1", "second"),
            Memory("m3", "u2", "kept", embedding=[0.0, 1.0, 0.0]),
        ]
    )
    assert await store.memories.delete_user("u1") is True
    assert await store.memories.get_user("u1") is None
    assert await store.memories.get_session(s.id) is None
    assert await store.memories.get("m1") is None and await store.memories.get("m2") is None
    assert (await store.memories.get("m3")) is not None
    assert await store.memories.delete_user("u1") is False
    # The id and the email are free again, and the new user starts without an embedding dimension.
    await store.memories.save_user(User("u1", "a@x.io"))
    await store.memories.add(Memory("m1", "u1", "again", embedding=[1.0, 2.0, 3.0, 4.0]))
    assert (await store.memories.list("u1")).items[0].embedding == (1.0, 2.0, 3.0, 4.0)


async def test_sessions_start_end_get(store: Store) -> None:
    await store.memories.save_user(User("u1", "a@x.io"))
    before = datetime.now(UTC)
    s = await store.memories.start_session("u1", metadata={"channel": "web", "n": 1})
    assert isinstance(s, Session) and s.user_id == "u1" and s.ended_at is None and s.started_at >= before
    assert await store.memories.get_session(s.id) == s
    ended = await store.memories.end_session(s.id)
    assert ended.ended_at is not None and ended.ended_at >= s.started_at
    assert (await store.memories.end_session(s.id)).ended_at == ended.ended_at  # already ended: kept
    named = await store.memories.start_session("u1", id="sess-1")
    assert named.id == "sess-1" and named.metadata is None
    with pytest.raises(Conflict):
        await store.memories.start_session("u1", id="sess-1")
    with pytest.raises(NotFound):
        await store.memories.start_session("nobody")
    with pytest.raises(NotFound):
        await store.memories.end_session("missing")
    assert await store.memories.get_session("missing") is None
    with rawstore.tenant("other"):
        assert await store.memories.get_session(s.id) is None
        with pytest.raises(NotFound):
            await store.memories.start_session("u1")


async def test_list_sessions_pages_newest_first(store: Store) -> None:
    await store.memories.save_user(User("u1", "a@x.io"))
    await store.memories.save_user(User("u2", "b@x.io"))
    ids = [(await store.memories.start_session("u1", id=f"s{i}")).id for i in range(5)]
    await store.memories.start_session("u2", id="other")
    seen: list[str] = []
    cursor = None
    while True:
        page = await store.memories.list_sessions("u1", limit=2, cursor=cursor)
        seen += [s.id for s in page.items]
        if not page.has_more:
            assert page.next_cursor is None
            break
        cursor = page.next_cursor
    assert seen == ids[::-1]
    assert (await store.memories.list_sessions("u1", limit=0)).items == []
    with pytest.raises(InvalidInput):
        await store.memories.list_sessions("u1", cursor="garbage")
    with pytest.raises(InvalidInput):
        await store.memories.list_sessions("u1", limit=-1)
