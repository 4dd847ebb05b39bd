"""Declared query sets: binding every dialect's SQL files, naming every mismatch, and SELECT columns that match
the fields of the record they decode to, on every database."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore.domains import QUERY_SETS
from rawstore.memory import Message, Thread
from rawstore.queryset import Batch, Bound, Declared, Exec, Many, One, QuerySet, Raw, bind
from rawstore.sqlfiles import DIALECTS, Dialect, Query, load_queries
from tests import dbs


def _codecs() -> Any:
    from rawstore.queryset import Codecs

    return Codecs(ts_in=lambda v: v, json_in=msgspec.json.decode)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_binds_every_declared_query(dialect: Dialect) -> None:
    queries = load_queries(dialect)
    bound = bind(QUERY_SETS, queries, _codecs())
    for s in QUERY_SETS:
        for decl in s.declared.values():
            b = bound[decl.slot]
            assert b is not None and b.query.name == decl.key and b.query.dialect == dialect


def test_a_query_missing_from_the_files_is_named() -> None:
    class Extra(QuerySet, domain="memory"):
        get_thread = One(Thread)
        no_such_query = Exec()

    with pytest.raises(rawstore.ConfigError) as err:
        bind((Extra,), load_queries("sqlite"), _codecs())
    assert "memory.no_such_query" in str(err.value) and "missing" in str(err.value)
    # Every query of the file that Extra does not declare is named too.
    assert "memory.upsert_thread" in str(err.value) and "never declared" in str(err.value)


def test_an_array_batch_must_be_declared_as_a_batch() -> None:
    decls = {n: Exec() for n in load_queries("postgres") if n.startswith("memory.")}
    decls = {k.split(".", 1)[1]: v for k, v in decls.items()}
    Bad = type("Bad", (QuerySet,), dict(decls), domain="memory")
    with pytest.raises(rawstore.ConfigError, match=r"memory\.\w+_messages is a `name\[\]` array batch"):
        bind((Bad,), load_queries("postgres"), _codecs())


def test_a_row_that_cannot_be_decoded_names_the_query_and_the_row() -> None:
    class Q(QuerySet, domain="memory"):
        get_messages = Many(Message)

    query = load_queries("sqlite")["memory.get_messages"]
    from rawstore.queryset import decoder

    decode = decoder(Q.get_messages, query, _codecs())
    with pytest.raises(rawstore.DatabaseError, match=r"memory\.get_messages: row 'm1' cannot be decoded"):
        decode(("m1", "t1", "user", "{not json", None, "v2", "2026-01-01"))


def test_misspelt_attributes_fail_at_import() -> None:
    from rawstore.memory import MemoryQueries

    with pytest.raises(AttributeError):
        MemoryQueries.get_threads  # type: ignore[attr-defined]  # noqa: B018


def _probe_values(q: Query) -> dict[str, Any]:
    """Values that let any SELECT run and match nothing: NULLs, empty lists, and small ints for LIMIT-like slots."""
    c = q.compiled
    ints = {name for name, _ in c.inline} | {n for n in c.names if n in ("limit", "before", "after", "n")}
    return {n: [] if n in c.lists else (1 if n in ints else None) for n in c.names}


def _record_queries() -> list[tuple[Declared[Any], type[msgspec.Struct]]]:
    out = []
    for s in QUERY_SETS:
        for decl in s.declared.values():
            if isinstance(decl, (One, Many)) and not isinstance(decl, (Raw, Batch)):
                rec = decl.record
                if isinstance(rec, type) and issubclass(rec, msgspec.Struct):
                    out.append((decl, rec))
    return out


def _returning_names(sql: str) -> list[str]:
    """The column names of an INSERT's RETURNING list, read from its text: an INSERT cannot run with the NULL probe
    values (NOT NULL columns), and SQLite and MariaDB cannot describe a statement without running it."""
    tail = re.split(r"\bRETURNING\b", sql, flags=re.IGNORECASE)[-1]
    items, depth, cur = [], 0, ""
    for ch in tail:
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    items.append(cur)
    out = []
    for item in items:
        alias = re.search(r"\bAS\s+(\w+)\s*$", item.strip(), re.IGNORECASE)
        out.append((alias.group(1) if alias else item.strip().rsplit(".", 1)[-1]).strip('"`'))
    return out


async def _column_names(backend: str, url: str, q: Query) -> list[str]:
    values = _probe_values(q)
    if backend != "postgres" and q.source.lstrip().upper().startswith("INSERT"):
        assert re.search(r"\bRETURNING\b", q.source, re.IGNORECASE), f"{q.name} returns no rows"
        return _returning_names(q.source)
    if backend == "sqlite":
        sql, args = q.compiled.render(values, "qmark")
        c = sqlite3.connect(url[len("sqlite:///") :])
        try:
            return [d[0] for d in c.execute(sql, args).description]
        finally:
            c.close()
    if backend == "postgres":
        import asyncpg

        sql, _ = q.compiled.render(values, "numeric")
        conn = await asyncpg.connect(url)
        try:
            return [a.name for a in (await conn.prepare(sql)).get_attributes()]
        finally:
            await conn.close()
    sql, args = q.compiled.render(values, "format")
    c2 = dbs.mysql_connect(url)
    try:
        with c2.cursor() as cur:
            cur.execute("START TRANSACTION")
            cur.execute(sql, args)
            names = [d[0] for d in cur.description]
            cur.execute("ROLLBACK")
            return names
    finally:
        c2.close()


@pytest.mark.backends("sqlite", "postgres", "mysql")
async def test_select_columns_match_their_record_fields(backend: str, db_url: str) -> None:
    dialect: Dialect = "postgres" if backend == "postgres" else "mysql" if backend == "mysql" else "sqlite"
    queries = load_queries(dialect, '"public".' if dialect == "postgres" else "")
    checked = 0
    for decl, record in _record_queries():
        q = queries[decl.key]
        names = await _column_names(backend, db_url, q)
        assert names == list(record.__struct_fields__), f"{decl.key} on {backend}: {names}"
        checked += 1
    assert checked >= 10


def test_bound_is_typed() -> None:
    # A compile-time check as much as a runtime one: mypy sees Bound[Thread] here.
    b: Bound[Thread] | None = None
    assert b is None


def test_batch_rows_are_arranged_into_each_dialects_placeholder_order() -> None:
    from rawstore.queryset import Bound

    class Q(QuerySet, domain="memory"):
        insert_new_messages = Batch(
            fields=("created_at", "content", "type", "role", "thread_id", "id", "tenant_id", "resource_id")
        )

    for dialect in DIALECTS:
        query = load_queries(dialect)["memory.insert_new_messages"]
        from rawstore.queryset import _positions

        b: Bound[None] = Bound(query, lambda r: r, _positions(Q.insert_new_messages, query))
        row = ("c", "{}", "v2", "user", "t", "m", "tn", None)
        (arranged,) = b.arrange([row])
        assert dict(zip(query.compiled.order, arranged, strict=True)) == dict(
            zip(Q.insert_new_messages.fields or (), row, strict=True)
        )


def test_a_batch_placeholder_outside_its_fields_is_named() -> None:
    class Q(QuerySet, domain="memory"):
        insert_new_messages = Batch(fields=("tenant_id", "id"))

    from rawstore.queryset import _positions

    with pytest.raises(rawstore.ConfigError, match=r"memory\.insert_new_messages uses :"):
        _positions(Q.insert_new_messages, load_queries("sqlite")["memory.insert_new_messages"])
