"""Studio page: the overview (database, migrations, the kit's tables with rows and sizes, tenants)."""

from __future__ import annotations

from ...errors import DatabaseError
from ...schema.queries import SchemaQueries
from ...schema.records import TableInfo
from ..app import known_tenants, migration_status
from ..queries import StudioQueries
from ..web import Req, View, page


@page("/", "overview", nav="Overview", order=0)
async def overview(req: Req) -> View:
    state = req.request.app.state.studio
    version = await req.one(StudioQueries.server_version, {})
    tables: list[TableInfo]
    try:
        # In a savepoint: a SQLite without dbstat fails the statement, and PostgreSQL would then refuse the rest.
        async with req.ctx.write() as conn:
            tables = await conn.many(req.ctx[SchemaQueries.table_stats], {})
    except DatabaseError:
        async with req.ctx.plain() as conn:
            names = await conn.many(req.ctx[SchemaQueries.kit_tables], {})
        tables = [TableInfo(n, None, None, None) for n in names]
    tenants = await known_tenants(state, req)  # the picker's cached list: one DISTINCT per 30 s, not two a page
    return View(
        "overview.html",
        "Overview",
        {
            "dialect": req.tx.dialect,
            "server_version": version,
            "migrations": await migration_status(state),
            "tables": tables,
            "tenants": tenants,
        },
    )
