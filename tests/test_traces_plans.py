"""The `store.traces` list and count queries read their own index range, in order where the order is the index's.

Plans come from EXPLAIN of the kit's SQL (sql/<dialect>/traces.sql) bound with realistic values, on a small analysed
table. PostgreSQL is asked with sequential scans disabled (on a table this small a scan would be cheaper): the check
is that the index serves the query in its order, so no Sort node appears. MariaDB names the index in its SQL where
its optimizer would not pick it (FORCE INDEX); SQLite picks it from the equality on the leading columns.
A name prefix is a range of the name index, whose rows come in name order and are sorted by start; the planner may
instead walk the start index backwards and filter by name (cheaper when the prefix is common): that page query is only
checked to read an index, and its count to read the name range.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import rawstore
from rawstore import Store
from rawstore.sqlfiles import load_queries
from rawstore.traces import TraceRecord

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
NS0 = 1_750_000_000_000_000_000

# query -> the index it must read, and whether the index gives the order (no sort)
PLANS = {
    "traces": ("rs_otel_traces_start_idx", True),
    "count_traces": ("rs_otel_traces_start_idx", True),
    "traces_by_scope": ("rs_otel_traces_scope_idx", True),
    "count_traces_by_scope": ("rs_otel_traces_scope_idx", True),
    "traces_by_name": ("rs_otel_traces_", False),
    "count_traces_by_name": ("rs_otel_traces_name_idx", False),
}


async def _fill(store: Store) -> None:
    names = ["agent run: 'a'", "agent run: 'b'", "llm call", "tool: search", "GET /x", "workflow step"]
    spans = [
        TraceRecord(
            f"span-{i:05d}",
            f"trace-{i // 10}",
            names[i % len(names)],
            ["mastra", "http", "db"][i % 3],
            i % 5,
            NS0 + i * 1000,
            NS0 + i * 1000 + 500,
            attributes={"env": "prod" if i % 4 else "dev", "n": i % 9},
            created_at=T0,
        )
        for i in range(600)
    ]
    with rawstore.tenant("plans"):
        await store.traces.insert_many(spans)
    async with store.transaction() as tx:
        if store.dialect == "postgres":
            await tx.execute("ANALYZE rs_otel_traces")
        elif store.dialect == "mysql":
            await tx.fetch("ANALYZE TABLE rs_otel_traces")
        else:
            await tx.execute("ANALYZE")


@pytest.mark.backends("sqlite", "postgres", "mysql")
@pytest.mark.parametrize(("attrs", "attr_keys"), [(None, None), ('{"env": "prod"}', '["env"]')])
async def test_each_query_reads_its_index(store: Store, attrs: str | None, attr_keys: str | None) -> None:
    await _fill(store)
    dialect = store.dialect
    queries = load_queries(dialect, '"public".' if dialect == "postgres" else "")
    values: dict[str, Any] = {
        "tenant_id": "plans",
        "scope": "http",
        "name_lo": "agent",
        "name_hi": "agent" + "\U0010ffff" * 251,
        "attrs": attrs,
        "attr_keys": attr_keys,
        "lo": 0,
        "hi": NS0 + 300_000,
        "c_ns": NS0 + 300_000,
        "c_id": "\U0010ffff" * 2,
        "limit": 11,
    }
    async with store.transaction() as tx:
        if dialect == "postgres":
            await tx.execute("SET LOCAL enable_seqscan = off")
        for name, (index, ordered) in PLANS.items():
            plan = await _plan(tx, dialect, queries[f"traces.{name}"].source, values)
            assert index in plan, (name, plan)
            assert "Seq Scan" not in plan and "SCAN rs_otel_traces\n" not in plan + "\n", (name, plan)
            if ordered:
                assert not any(bad in plan for bad in ("Sort", "filesort", "TEMP B-TREE")), (name, plan)


async def _plan(tx: Any, dialect: str, sql: str, values: dict[str, Any]) -> str:
    if dialect == "postgres":
        rows = await tx.fetch("EXPLAIN " + sql, values)
        return "\n".join(str(r[0]) for r in rows)
    if dialect == "mysql":
        rows = await tx.fetch("EXPLAIN " + sql, values)
        return "\n".join(f"table={r['table']} key={r['key']} extra={r['Extra']}" for r in rows)
    rows = await tx.fetch("EXPLAIN QUERY PLAN " + sql, values)
    return "\n".join(str(r["detail"]) for r in rows)
