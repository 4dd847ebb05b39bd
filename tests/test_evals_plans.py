"""Every list and count query of `store.evals` reads its own index range in order (no sort, no scan): the agent and
test/live filters are index columns (`is_test` is computed when an eval is written), never JSON read per row.

Plans come from EXPLAIN of the kit's SQL (sql/<dialect>/evals.sql) bound with realistic values, on a small analysed
table. PostgreSQL is asked with sequential scans disabled (on a table this small a scan would be cheaper): the check
is that the index serves the query in its order, so no Sort node appears. MariaDB names its index in the SQL (FORCE
INDEX); SQLite picks it from the equalities on the leading columns.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import rawstore
from rawstore import Store
from rawstore.drivers import mysql as my_driver
from rawstore.drivers import sqlite as lite_driver
from rawstore.evals import EvalRecord
from rawstore.sqlfiles import load_queries
from rawstore.timeutil import MIN_TS

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)

# query -> the index it must read
PLANS = {
    "evals": "rs_evals_created_idx",
    "count_evals": "rs_evals_created_idx",
    "evals_by_agent": "rs_evals_agent_idx",
    "count_evals_by_agent": "rs_evals_agent_idx",
    "evals_by_type": "rs_evals_type_idx",
    "count_evals_by_type": "rs_evals_type_idx",
    "evals_by_agent_type": "rs_evals_agent_type_idx",
    "count_evals_by_agent_type": "rs_evals_agent_type_idx",
}

TS_OUT: dict[str, Any] = {"postgres": lambda v: v, "mysql": my_driver.ts_out, "sqlite": lite_driver.ts_out}


async def _fill(store: Store) -> None:
    evals = [
        EvalRecord(
            f"agent-{i % 6}",
            f"metric-{i % 3}",
            "input " * 20,
            "output " * 20,
            {"score": i / 600},
            "instructions",
            f"run-{i // 10}",
            "global",
            {"testPath": f"evals/{i % 4}.test.ts"} if i % 5 == 0 else None,
            T0 + timedelta(seconds=i),
        )
        for i in range(600)
    ]
    with rawstore.tenant("plans"):
        await store.evals.save_many(evals)
    async with store.transaction() as tx:
        if store.dialect == "postgres":
            await tx.execute("ANALYZE rs_evals")
        elif store.dialect == "mysql":
            await tx.fetch("ANALYZE TABLE rs_evals")
        else:
            await tx.execute("ANALYZE")


@pytest.mark.backends("sqlite", "postgres", "mysql")
@pytest.mark.parametrize("is_test", [True, False])
async def test_each_query_reads_its_index_in_order(store: Store, is_test: bool) -> None:
    await _fill(store)
    dialect = store.dialect
    queries = load_queries(dialect, '"public".' if dialect == "postgres" else "")
    out = TS_OUT[dialect]
    values: dict[str, Any] = {
        "tenant_id": "plans",
        "agent_name": "agent-2",
        "is_test": is_test,
        "lo": out(MIN_TS),
        "hi": out(T0 + timedelta(seconds=300)),
        "c_ts": out(T0 + timedelta(seconds=300)),
        "c_id": "\U0010ffff" * 2,
        "limit": 11,
    }
    async with store.transaction() as tx:
        if dialect == "postgres":
            await tx.execute("SET LOCAL enable_seqscan = off")
        for name, index in PLANS.items():
            plan = await _plan(tx, dialect, queries[f"evals.{name}"].source, values)
            assert index in plan, (name, plan)
            assert not any(bad in plan for bad in ("Sort", "filesort", "TEMP B-TREE", "Seq Scan")), (name, plan)


async def _plan(tx: Any, dialect: str, sql: str, values: dict[str, Any]) -> str:
    if dialect == "postgres":
        rows = await tx.fetch("EXPLAIN " + sql, values)
        return "\n".join(str(r[0]) for r in rows)
    if dialect == "mysql":
        rows = await tx.fetch("EXPLAIN " + sql, values)
        return "\n".join(f"key={r['key']} extra={r['Extra']}" for r in rows)
    rows = await tx.fetch("EXPLAIN QUERY PLAN " + sql, values)
    return "\n".join(str(r["detail"]) for r in rows)
