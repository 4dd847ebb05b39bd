"""How list_runs reads: every filter combination is served by its own index (no table scan, no sort), read with
EXPLAIN on each database, and listings without `with_snapshot` never read the snapshot column."""

from __future__ import annotations

import itertools
import json
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest

from rawstore import DatabaseError, Store
from rawstore.sqlfiles import DIALECTS, Dialect, Query, load_queries
from tests import dbs

FILTERS = ("workflow_name", "resource_id", "status")
SHORT = {"workflow_name": "name", "resource_id": "resource", "status": "status"}
COMBOS = [c for n in range(4) for c in itertools.combinations(FILTERS, n)]
T0 = datetime(2025, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
T1 = datetime(2025, 6, 8, tzinfo=UTC)


def _suffix(combo: tuple[str, ...]) -> str:
    return "_by_" + "_".join(SHORT[f] for f in combo) if combo else ""


def _index(combo: tuple[str, ...]) -> str:
    return "rs_workflow_snapshots_" + ("_".join(SHORT[f] for f in combo) if combo else "created") + "_idx"


# (query name, the index that must serve it)
CASES = [
    *(
        (f"snapshots.{kind}{_suffix(c)}", _index(c))
        for c in COMBOS
        for kind in ("runs", "runs_with_snapshot", "count_runs")
    ),
    ("snapshots.latest_run", "rs_workflow_snapshots_run_idx"),
]


def _values(q: Query, backend: str) -> dict[str, Any]:
    def ts(dt: datetime) -> Any:
        if backend == "sqlite":
            return dt.isoformat(" ", "microseconds")[:26]
        return dt.replace(tzinfo=None) if backend == "mysql" else dt

    given = {
        "tenant_id": "default",
        "workflow_name": "wf-1",
        "resource_id": "user-1",
        "status": "running",
        "run_id": "r-1",
        "since": ts(T0),
        "until": ts(T1),
        "c_ts": ts(T1),
        "c_wf": "\U0010ffff",
        "c_run": "\U0010ffff",
        "limit": 101,
    }
    return {n: given[n] for n in q.compiled.names}


async def _seed(store: Store) -> None:
    """A few runs in every status, with and without a resource (plans are read from a non-empty table)."""
    async with store.transaction() as tx:
        for i in range(40):
            await tx.snapshots.persist(
                f"wf-{i % 3}",
                f"r-{i}",
                {"status": ["running", "success", "failed", "suspended"][i % 4], "i": i},
                resource_id=None if i % 5 == 0 else f"user-{i % 7}",
            )


@pytest.mark.backends("sqlite")
async def test_sqlite_plans_use_each_combinations_index(store: Store, db_url: str) -> None:
    await _seed(store)
    queries = load_queries("sqlite")
    db = sqlite3.connect(db_url[len("sqlite:///") :])
    try:
        db.execute("ANALYZE")
        for name, index in CASES:
            q = queries[name]
            sql, args = q.compiled.render(_values(q, "sqlite"), "qmark")
            plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, args)]
            assert len(plan) == 1, (name, plan)
            assert re.fullmatch(rf"SEARCH rs_workflow_snapshots USING (COVERING )?INDEX {index} \(.*\)", plan[0]), (
                name,
                plan,
            )
            # Every equality filter is part of the index search, not a check on rows read.
            for f in FILTERS:
                if f" AND {f} = :{f}" in q.source:
                    assert f"{f}=?" in plan[0], (name, plan)
    finally:
        db.close()


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out.extend(_nodes(child))
    return out


def _literal(v: Any) -> str:
    if isinstance(v, int):
        return str(v)
    text = v.isoformat() if isinstance(v, datetime) else str(v)
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.backends("postgres")
@pytest.mark.parametrize("generic", [False, True], ids=["custom-plan", "generic-plan"])
async def test_postgres_plans_use_each_combinations_index(store: Store, db_url: str, generic: bool) -> None:
    """Custom plans (values known) and generic ones (what a cached prepared statement may switch to). Scans and sorts
    are priced out, so the planner takes an index path that needs no sort whenever one exists."""
    import asyncpg

    await _seed(store)
    queries = load_queries("postgres", '"public".')
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("ANALYZE rs_workflow_snapshots")
        await conn.execute("SET enable_seqscan = off; SET enable_bitmapscan = off; SET enable_sort = off")
        if generic:
            await conn.execute("SET plan_cache_mode = force_generic_plan")
        for name, index in CASES:
            q = queries[name]
            values = _values(q, "postgres")
            sql, args = q.compiled.render(values, "numeric")
            if generic:
                await conn.execute(f"PREPARE p AS {sql}")
                text = await conn.fetchval(
                    f"EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE p({', '.join(_literal(a) for a in args)})"
                )
                await conn.execute("DEALLOCATE p")
            else:
                text = await conn.fetchval("EXPLAIN (VERBOSE, FORMAT JSON) " + sql, *args)
            nodes = _nodes(json.loads(text)[0]["Plan"])
            kinds = [n["Node Type"] for n in nodes]
            assert "Sort" not in kinds and "Incremental Sort" not in kinds and "Seq Scan" not in kinds, (name, kinds)
            scans = [n for n in nodes if n["Node Type"] in ("Index Scan", "Index Only Scan")]
            assert [s["Index Name"] for s in scans] == [index], (name, kinds)
            cond = scans[0].get("Index Cond", "")
            for f in FILTERS:
                if f" AND {f} = :{f}" in q.source:
                    assert f"{f} = " in cond, (name, cond)
            if ".runs" in name or ".count_runs" in name:
                assert "created_at >= " in cond, (name, cond)
            # Listings without snapshots never read the column (only NULL travels).
            outputs = " ".join(str(n.get("Output", "")) for n in nodes)
            reads_snapshot = re.search(r"\bsnapshot\b", outputs.replace("NULL::text", "")) is not None
            assert reads_snapshot == (".runs_with_snapshot" in name or name.endswith("latest_run")), (name, outputs)
    finally:
        await conn.close()


@pytest.mark.backends("mysql")
async def test_mariadb_plans_use_each_combinations_index(store: Store, db_url: str) -> None:
    """The queries name their index (FORCE INDEX); the plan shows it needs no filesort: InnoDB's extended keys (the
    primary key's columns appended to every secondary index) give the (workflow_name, run_id) tie order."""
    await _seed(store)
    queries = load_queries("mysql")
    c = dbs.mysql_connect(db_url)
    try:
        with c.cursor() as cur:
            cur.execute("ANALYZE TABLE rs_workflow_snapshots")
            cur.fetchall()
            for name, index in CASES:
                q = queries[name]
                sql, args = q.compiled.render(_values(q, "mysql"), "format")
                cur.execute("EXPLAIN " + sql, args)
                cols = [d[0] for d in cur.description]
                rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
                assert len(rows) == 1, (name, rows)
                row = rows[0]
                assert row["key"] == index, (name, row)
                assert row["type"] in ("ref", "range"), (name, row)
                assert "filesort" not in (row["Extra"] or ""), (name, row)
    finally:
        c.close()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_listings_without_snapshots_never_name_the_column(dialect: Dialect) -> None:
    queries = {k: q for k, q in load_queries(dialect).items() if k.startswith("snapshots.")}
    plain = [k for k in queries if re.fullmatch(r"snapshots\.(runs|count_runs)(_by_\w+)?", k)]
    assert len(plain) == 16
    for k in plain:
        text = queries[k].source.replace("NULL AS snapshot", "").replace("rs_workflow_snapshots", "")
        assert not re.search(r"snapshot", text, re.IGNORECASE), (dialect, k)


@pytest.mark.backends("sqlite")
async def test_a_listing_without_snapshots_does_not_read_one(store: Store, db_url: str) -> None:
    """A snapshot that cannot be decoded (written behind the kit's back) breaks only the calls that read it."""
    await store.snapshots.persist("wf", "r1", {"status": "running"}, resource_id="u")
    db = sqlite3.connect(db_url[len("sqlite:///") :])
    try:
        db.execute("PRAGMA ignore_check_constraints = ON")
        db.execute("UPDATE rs_workflow_snapshots SET snapshot = '{not json' WHERE run_id = 'r1'")
        db.commit()
    finally:
        db.close()
    for kw in ({}, {"workflow_name": "wf"}, {"resource_id": "u", "status": "running"}):
        page = await store.snapshots.list_runs(with_total=True, **kw)  # type: ignore[arg-type]
        assert [(r.run_id, r.snapshot) for r in page.items] == [("r1", None)] and page.total == 1
    with pytest.raises(DatabaseError):
        await store.snapshots.list_runs(with_snapshot=True)
    with pytest.raises(DatabaseError):
        await store.snapshots.load("wf", "r1")
