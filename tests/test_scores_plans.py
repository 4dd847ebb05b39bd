"""Every list, count and stats query of `store.scores` reads its own index range in order (no sort, no scan).

The plans are read from each database with EXPLAIN, for the kit's own SQL (sql/<dialect>/scores.sql) bound with
realistic values, on a table holding a few hundred scores and analysed. PostgreSQL is asked with sequential scans
disabled, since on a table this small a scan would be cheaper; what is checked is that the index serves the query
in order, so no Sort node appears. MariaDB and SQLite name their index in the SQL (FORCE INDEX / INDEXED BY): the
check there is that the order comes from the index (no filesort / temporary B-tree).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rawstore import Store
from rawstore.drivers import mysql as my_driver
from rawstore.drivers import sqlite as lite_driver
from rawstore.scores import Score
from rawstore.sqlfiles import load_queries
from rawstore.timeutil import MIN_TS

T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)

# query -> the index it must read
PLANS = {
    "by_scorer": "rs_scores_scorer_idx",
    "by_scorer_entity": "rs_scores_scorer_entity_idx",
    "by_run": "rs_scores_run_idx",
    "by_entity": "rs_scores_entity_idx",
    "by_span": "rs_scores_span_idx",
    "count_by_scorer": "rs_scores_scorer_idx",
    "count_by_scorer_entity": "rs_scores_scorer_entity_idx",
    "count_by_run": "rs_scores_run_idx",
    "count_by_entity": "rs_scores_entity_idx",
    "count_by_span": "rs_scores_span_idx",
    "stats_by_scorer": "rs_scores_scorer_idx",
    "stats_by_scorer_entity": "rs_scores_scorer_entity_idx",
}

TS_OUT: dict[str, Any] = {"postgres": lambda v: v, "mysql": my_driver.ts_out, "sqlite": lite_driver.ts_out}


async def _fill(store: Store) -> None:
    scores = [
        Score(
            "",
            f"scorer-{i % 5}",
            f"run-{i % 40}",
            f"entity-{i % 7}",
            i / 400,
            {"text": "x" * 200},
            "LIVE" if i % 3 else "TEST",
            {"name": f"scorer-{i % 5}"},
            "AGENT" if i % 2 else "WORKFLOW",
            trace_id=f"trace-{i % 60}",
            span_id=f"span-{i % 2}",
            created_at=T0 + timedelta(seconds=i),
            updated_at=T0 + timedelta(seconds=i),
        )
        for i in range(600)
    ]
    await store.scores.save_many(scores)
    async with store.transaction() as tx:
        if store.dialect == "postgres":
            await tx.execute("ANALYZE rs_scores")
        elif store.dialect == "mysql":
            await tx.fetch("ANALYZE TABLE rs_scores")
        else:
            await tx.execute("ANALYZE")


def _values(dialect: str) -> dict[str, Any]:
    out = TS_OUT[dialect]
    return {
        "tenant_id": "default",
        "scorer_id": "scorer-1",
        "entity_id": "entity-3",
        "entity_type": "AGENT",
        "run_id": "run-7",
        "trace_id": "trace-9",
        "span_id": "span-1",
        "source": None,
        "lo": out(MIN_TS),
        "hi": out(T0 + timedelta(seconds=300)),
        "c_ts": out(T0 + timedelta(seconds=300)),
        "c_id": "\U0010ffff" * 2,
        "limit": 11,
    }


@pytest.mark.backends("sqlite", "postgres", "mysql")
@pytest.mark.parametrize("source", [None, "LIVE"])
async def test_each_query_reads_its_index_in_order(store: Store, source: str | None) -> None:
    await _fill(store)
    dialect = store.dialect
    queries = load_queries(dialect, '"public".' if dialect == "postgres" else "")
    tenant = (await store.scores.list_by_run("run-7", limit=1)).items
    assert tenant, "the scores were saved"
    values = dict(_values(dialect), source=source)
    # The default tenant's id as the kit stores it.
    async with store.transaction() as tx:
        row = await tx.fetchrow("SELECT tenant_id FROM rs_scores WHERE id = :id", {"id": tenant[0].id})
        assert row is not None
        values["tenant_id"] = row["tenant_id"]
        if dialect == "postgres":
            await tx.execute("SET LOCAL enable_seqscan = off")
        for name, index in PLANS.items():
            sql = queries[f"scores.{name}"].source
            plan = await _plan(tx, dialect, sql, values)
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
