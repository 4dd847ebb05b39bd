"""Errors a newcomer meets first carry the hint that fixes them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import rawstore
from rawstore import Message, Thread


async def test_an_unmigrated_database_says_to_migrate(direct_backend: str, fresh_url: Callable[[str], str]) -> None:
    url = fresh_url("rs_hint_unmigrated")
    async with rawstore.connect(url) as store:
        for call in (
            lambda: store.memory.get_thread("t1"),
            lambda: store.memory.save_thread(Thread("t1", resource_id="r")),
            lambda: store.memory.save_messages([Message("m1", "t1", "user", "hi")]),
            lambda: store.jobs.counts(),
        ):
            with pytest.raises(rawstore.DatabaseError, match="rawstore migrate"):
                await call()


async def test_an_application_table_missing_gets_no_migration_hint(backend: str, store: rawstore.Store) -> None:
    async with store.transaction() as tx:
        with pytest.raises(rawstore.DatabaseError) as err:
            await tx.fetch("SELECT * FROM app_no_such_table")
    assert "rawstore migrate" not in str(err.value)


@pytest.mark.backends("pgbouncer")
async def test_pgbouncer_without_pgbouncer_mode_says_so(backend: str, db_url: str) -> None:
    with pytest.raises(rawstore.ConfigError, match="pgbouncer=True"):
        async with rawstore.connect(db_url, min_size=1) as store:
            await store.memory.get_thread("t1")
