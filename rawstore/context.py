"""Where a domain method runs: on the store's pool (each call its own transaction) or inside a transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from .drivers.base import Connection, Driver, Row
from .errors import ConfigError, RawstoreError
from .queryset import Bound, Declared, One
from .sqlfiles import Query
from .tenancy import TenancyMode, resolve_tenant

R = TypeVar("R")


class Context:
    """What a domain repository needs: its bound queries, codecs, capabilities, the tenancy mode, connections."""

    def __init__(
        self, driver: Driver, tenancy: TenancyMode, bound: Sequence[Bound[Any] | None] = (), *, rls: bool = False
    ) -> None:
        self.driver = driver
        # Row-level security: every connection lent for a kit call runs in a transaction that first names the tenant.
        self.rls = rls
        # Declared queries bound to this dialect, indexed by declaration slot.
        self.bound = bound
        self.tenancy = tenancy
        self.dialect = driver.dialect
        self.capabilities = driver.capabilities
        self.ts_out = driver.ts_out
        self.ts_in = driver.ts_in
        # State a domain keeps per Store (settings, wake-up events), seen by its transactions too.
        self.shared: dict[str, Any] = {}

    def tenant(self) -> str:
        return resolve_tenant(self.tenancy)

    def __getitem__(self, decl: Declared[R]) -> Bound[R]:
        b: Bound[R] | None = self.bound[decl.slot] if decl.slot < len(self.bound) else None
        if b is None:
            raise ConfigError(f"query {decl.key} is not bound: its query set is not registered with the store")
        return b

    async def one(self, decl: One[R], values: Mapping[str, Any]) -> R | None:
        """A declared one-row query on a pooled connection held only for this call (or the transaction's)."""
        b = self[decl]
        row = await self.fetchrow(b.query, values)
        return None if row is None else b.decode(row)

    @asynccontextmanager
    async def plain(self) -> AsyncIterator[Connection]:
        """A connection for reads or single autocommitted statements (in row-level security mode, a transaction
        scoped to the current tenant)."""
        if self.rls:
            async with self.write() as conn:
                yield conn
            return
        async with self.driver.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def write(self, tenant: str | None = None, *, first: str = "") -> AsyncIterator[Connection]:
        """A connection inside a transaction that commits when the block ends without error. In row-level security
        mode the transaction is scoped to `tenant`, by default the current one. `first`: kit statements without
        parameters that start the transaction (see Connection.transaction)."""
        async with self.driver.acquire() as conn, conn.transaction(first=first):
            if self.rls:
                await self.scope(conn, tenant)
            yield conn

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Connection]:
        """A connection outside any tenant's scope, for work on no tenant's rows (catalog reads, index DDL)."""
        async with self.driver.acquire() as conn:
            yield conn

    async def scope(self, conn: Connection, tenant: str | None = None) -> None:
        """Name the tenant whose rows the rest of `conn`'s transaction may see (row-level security mode)."""
        await conn.execute(self.driver.tenant_setting_sql, (self.tenant() if tenant is None else tenant,))

    async def fetchrow(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        if self.rls:
            async with self.plain() as conn:
                return await conn.q_fetchrow(q, values)
        return await self.driver.fetchrow_once(q, values)


class TxContext(Context):
    """Inside `store.transaction()`: every call shares one connection; each kit call is its own savepoint."""

    def __init__(self, parent: Context, conn: Connection, lock: asyncio.Lock) -> None:
        super().__init__(parent.driver, parent.tenancy, parent.bound, rls=parent.rls)
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
            conn = self.check()
            if self.rls:  # a call may run under another tenant than the one the transaction began with
                await self.scope(conn)
            yield conn

    @asynccontextmanager
    async def write(self, tenant: str | None = None, *, first: str = "") -> AsyncIterator[Connection]:
        async with self.lock, self.check().transaction(first=first):
            if self.rls:
                await self.scope(self.conn, tenant)
            yield self.conn

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Connection]:
        async with self.lock:
            yield self.check()

    async def fetchrow(self, q: Query, values: Mapping[str, Any]) -> Row | None:
        if self.rls:
            async with self.plain() as conn:
                return await conn.q_fetchrow(q, values)
        async with self.lock:
            return await self.check().q_fetchrow(q, values)
