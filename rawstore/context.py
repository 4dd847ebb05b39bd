"""Where a domain method runs: on the store's pool (each call its own transaction) or inside a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from .drivers.base import Connection, Driver, Row
from .errors import RawstoreError
from .sqlfiles import Query
from .tenancy import TenancyMode, resolve_tenant


class Context:
    """What a domain repository needs: queries of its dialect, codecs, the tenancy mode, and connections."""

    def __init__(self, driver: Driver, queries: Mapping[str, Query], tenancy: TenancyMode) -> None:
        self.driver = driver
        self.queries = queries
        self.tenancy = tenancy
        self.dialect = driver.dialect
        self.ts_out = driver.ts_out
        self.ts_in = driver.ts_in
        # State a domain keeps per Store (settings, wake-up events), seen by its transactions too.
        self.shared: dict[str, Any] = {}

    def tenant(self) -> str:
        return resolve_tenant(self.tenancy)

    def q(self, name: str) -> Query:
        return self.queries[name]

    @asynccontextmanager
    async def plain(self) -> AsyncIterator[Connection]:
        """A connection for reads or single autocommitted statements."""
        async with self.driver.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        """A connection inside a transaction that commits when the block ends without error."""
        async with self.driver.acquire() as conn, conn.transaction():
            yield conn

    async def fetchrow(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        return await self.driver.fetchrow_once(q, values)


class TxContext(Context):
    """Inside `store.transaction()`: every call shares one connection; each kit call is its own savepoint."""

    def __init__(self, parent: Context, conn: Connection, lock: asyncio.Lock) -> None:
        super().__init__(parent.driver, parent.queries, parent.tenancy)
        self.shared = parent.shared
        self.conn = conn
        self.lock = lock
        self.active = True

    def check(self) -> Connection:
        # After its block ends the connection is back in the pool, possibly serving someone else.
        if not self.active:
            raise RawstoreError("this transaction has ended; open a new one with store.transaction()")
        return self.conn

    @asynccontextmanager
    async def plain(self) -> AsyncIterator[Connection]:
        async with self.lock:
            yield self.check()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        async with self.lock, self.check().transaction():
            yield self.conn

    async def fetchrow(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        async with self.lock:
            return await self.check().q_fetchrow(q, values)
