"""The hand-written SQL files and the `:name` compiler.

(a) every named query exists in every dialect with the same parameters, binds the tenant and touches only rs_ tables;
(b) every query of each dialect is prepared by the real database against a freshly migrated schema, without
    executing any write: asyncpg `prepare` on PostgreSQL, server-side `PREPARE` on MariaDB, `EXPLAIN` on SQLite;
(c) unit tests of `compile_sql`: quotes, casts, comments, repeated names, `%` doubling, `IN (:ids)` expansion.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import rawstore
from rawstore.sqlfiles import (
    DIALECTS,
    Compiled,
    Dialect,
    Query,
    Style,
    compile_sql,
    data_dir,
    load_queries,
    parse_sql_file,
)
from tests import dbs

# The same `{schema}` substitution the Store makes for PostgreSQL's default schema.
SCHEMA_PREFIX: dict[Dialect, str] = {"postgres": '"public".', "mysql": "", "sqlite": ""}
QUERIES: dict[Dialect, dict[str, Query]] = {d: load_queries(d, SCHEMA_PREFIX[d]) for d in DIALECTS}
NAMES = sorted(QUERIES["postgres"])
CASES = [(d, n) for d in DIALECTS for n in sorted(QUERIES[d])]
# Where a dialect's server comes from: PostgreSQL is prepared on a direct connection, never through PgBouncer.
SERVER_BACKEND: dict[Dialect, str] = {"postgres": "postgres", "mysql": "mysql", "sqlite": "sqlite"}


# -- (a) the files agree across dialects -------------------------------------------------------------------


def test_every_dialect_has_queries() -> None:
    for d in DIALECTS:
        assert QUERIES[d], f"no queries loaded for {d}"
        assert all(name.count(".") == 1 for name in QUERIES[d])


def test_every_dialect_defines_the_same_query_names() -> None:
    reference = set(QUERIES["postgres"])
    for d in DIALECTS:
        assert set(QUERIES[d]) == reference, (
            f"{d}: missing {sorted(reference - set(QUERIES[d]))}, extra {sorted(set(QUERIES[d]) - reference)}"
        )


# Parameters one dialect's SQL needs and the others ignore; the domain passes them to every dialect. traces: MariaDB
# reads the attribute filter's keys from a JSON array (JSON_KEYS drops keys, a path built from key text breaks on
# escapes), PostgreSQL and SQLite walk the filter object itself.
DIALECT_ONLY_PARAMS = {"attr_keys"}


@pytest.mark.parametrize("name", NAMES)
def test_query_has_the_same_parameters_in_every_dialect(name: str) -> None:
    params = {d: sorted(QUERIES[d][name].params - DIALECT_ONLY_PARAMS) for d in DIALECTS if name in QUERIES[d]}
    assert len(params) == len(DIALECTS), f"{name} is missing in some dialect: {sorted(params)}"
    assert len({tuple(p) for p in params.values()}) == 1, f"{name}: parameters differ across dialects: {params}"


# store.schema reads the database's catalog and the index registry, which belong to no tenant.
UNTENANTED_DOMAINS = ("schema.",)
# The studio's tenant picker lists every tenant, and its overview shows the server's version.
UNTENANTED_QUERIES = ("studio.tenants", "studio.server_version")
CATALOG = {
    "pg_catalog", "generate_series", "information_schema", "mysql", "sqlite_master", "dbstat",
    "pragma_table_info", "pragma_index_list", "pragma_index_xinfo",
}  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_query_is_scoped_to_the_tenant(name: str) -> None:
    """Tenancy is built in: every kit query binds :tenant_id (no call reads or writes another tenant's rows)."""
    if name.startswith(UNTENANTED_DOMAINS) or name in UNTENANTED_QUERIES:
        return
    for d in DIALECTS:
        assert "tenant_id" in QUERIES[d][name].params, f"{d} {name} does not bind :tenant_id"


# A table named after FROM / INTO / JOIN / UPDATE (not the UPDATE of an upsert's conflict clause).
# Set-returning functions in FROM are not tables (the semantic-memory filters read JSON through them).
_FUNCTIONS = {"unnest", "jsonb_array_elements", "jsonb_each", "json_each", "json_tree", "json_table"}
# Names a query gives its own common table expressions (`WITH c AS (...)`, `WITH RECURSIVE c (x, n) AS (...)`): not
# tables.
_CTE = re.compile(
    r"(?:\bWITH(?:\s+RECURSIVE)?|,)\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:\([^()]*\))?\s+AS\s*\(", re.IGNORECASE
)
_TABLE_REF = re.compile(
    r"\b(?:(?<!DISTINCT\s)FROM|INTO|JOIN|(?<!KEY\s)(?<!DO\s)(?<!FOR\s)UPDATE)\s+(\{schema\})?([A-Za-z_][A-Za-z0-9_]*)\b",
    re.IGNORECASE,
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_queries_touch_only_prefixed_tables(dialect: Dialect) -> None:
    """The kit shares the database with the app: it only names rs_ tables; PostgreSQL ones carry {schema}."""
    for path in sorted((data_dir("sql") / dialect).glob("*.sql")):
        for q in parse_sql_file(path.read_text("utf-8"), path.stem, dialect, str(path), "{schema}").values():
            ctes = {n.lower() for n in _CTE.findall(q.source)}
            allowed = _FUNCTIONS | ctes | (CATALOG if q.name.startswith(UNTENANTED_DOMAINS) else set())
            refs = [r for r in _TABLE_REF.findall(q.source) if r[1].lower() not in allowed]
            assert refs or q.source.lstrip("( ").upper().startswith("SELECT"), f"{q.name}: no table found"
            for schema, table in refs:
                assert table.startswith("rs_"), f"{dialect} {q.name} names table {table!r} without the rs_ prefix"
                if dialect == "postgres":
                    assert schema == "{schema}", f"{q.name} names {table} without the {{schema}} qualifier"
                else:
                    assert schema == "", f"{dialect} {q.name} uses {{schema}}, which only PostgreSQL substitutes"


def test_schema_placeholder_is_substituted() -> None:
    for d in DIALECTS:
        for q in QUERIES[d].values():
            assert "{schema}" not in q.sql, f"{d} {q.name} still holds {{schema}}"
    custom = load_queries("postgres", '"tenant_a".')
    assert '"tenant_a".rs_threads' in custom["memory.get_thread"].sql


# -- (b) each database prepares each query -------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_urls() -> dict[str, str]:
    """Per dialect, the URL of a freshly created and migrated database (made on first use)."""
    return {}


def _migrated(dialect: Dialect, cache: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    backend = SERVER_BACKEND[dialect]
    if backend not in dbs.selected():
        pytest.skip(f"{backend} is not among RAWSTORE_TEST_DBS")
    if dialect not in cache:
        url = dbs.create_database(backend, f"rawstore_sqlfiles_{os.getpid()}", tmp_path_factory.mktemp("sqlfiles"))
        rawstore.migrate(url)
        cache[dialect] = url
    return cache[dialect]


def _dummy(name: str, compiled: Compiled) -> Any:
    if name in compiled.lists:
        return ["x"]
    if name in ("limit", "before", "after"):
        return 1
    return None


def _mysql_text(sql: str) -> str:
    """The format-style SQL the driver sends, in server-side PREPARE form: `%s` → `?`, `%%` → `%`."""
    return re.sub(r"%([s%])", lambda m: "?" if m.group(1) == "s" else "%", sql)


@pytest.mark.parametrize(("dialect", "name"), CASES)
async def test_query_is_prepared_by_the_database(
    dialect: Dialect, name: str, migrated_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = _migrated(dialect, migrated_urls, tmp_path_factory)
    q = QUERIES[dialect][name]
    if dialect == "postgres":
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            stmt = await conn.prepare(q.sql)
            # The compiler numbers each distinct name once: $1..$n must be exactly the server's parameters.
            assert len(stmt.get_parameters()) == len(q.compiled.order), (name, stmt.get_parameters(), q.compiled.order)
            if q.array_batch:
                assert all(p.kind == "array" for p in stmt.get_parameters()), f"{name}[] takes one array per column"
        finally:
            await conn.close()
    elif dialect == "mysql":
        text = _mysql_text(q.sql)
        c = dbs.mysql_connect(url)
        try:
            with c.cursor() as cur:
                cur.execute("SET @rs_q = %s", (text,))
                cur.execute("PREPARE rs_stmt FROM @rs_q")
                cur.execute("SELECT COUNT(*) FROM rs_threads")
                assert cur.fetchone() == (0,)
                cur.execute("DEALLOCATE PREPARE rs_stmt")
        finally:
            c.close()
        assert text.count("?") == len(q.compiled.order), "one placeholder per parameter occurrence"
    else:
        values = {n: _dummy(n, q.compiled) for n in q.compiled.names}
        sql, args = q.compiled.render(values, "qmark")
        db = sqlite3.connect(url[len("sqlite:///") :])
        try:
            db.execute("EXPLAIN " + sql, args).fetchall()
            assert db.total_changes == 0, "EXPLAIN must not have written anything"
        finally:
            db.close()


# -- (c) the :name compiler ------------------------------------------------------------------------------


STYLES: tuple[Style, ...] = ("numeric", "format", "qmark")
MARK = {"format": "%s", "qmark": "?"}


def test_plain_parameters_in_each_style() -> None:
    sql = "SELECT a FROM t WHERE x = :x AND y = :y_2"
    assert compile_sql(sql, "numeric").sql == "SELECT a FROM t WHERE x = $1 AND y = $2"
    assert compile_sql(sql, "format").sql == "SELECT a FROM t WHERE x = %s AND y = %s"
    assert compile_sql(sql, "qmark").sql == "SELECT a FROM t WHERE x = ? AND y = ?"
    for style in STYLES:
        c = compile_sql(sql, style)
        assert c.order == ("x", "y_2")
        assert c.names == frozenset({"x", "y_2"})
        assert c.args({"y_2": 2, "x": 1, "unused": 3}) == (1, 2)


@pytest.mark.parametrize("style", STYLES)
def test_names_inside_quotes_are_not_parameters(style: Style) -> None:
    sql = """SELECT ':a', 'it''s :b', "col:c", `d:e`, 'x' FROM t WHERE v = :v AND s = '12:30:00'"""
    c = compile_sql(sql, style)
    assert c.names == frozenset({"v"})
    assert "':a'" in c.sql and "'it''s :b'" in c.sql and '"col:c"' in c.sql and "`d:e`" in c.sql
    assert "'12:30:00'" in c.sql


@pytest.mark.parametrize("style", STYLES)
def test_casts_are_not_parameters(style: Style) -> None:
    c = compile_sql("SELECT :a::jsonb, x::text, CAST(:b AS int), :a::text[]", style)
    assert c.names == frozenset({"a", "b"})
    if style == "numeric":
        assert c.sql == "SELECT $1::jsonb, x::text, CAST($2 AS int), $1::text[]"
        assert c.order == ("a", "b")
    else:
        m = MARK[style]
        assert c.sql == f"SELECT {m}::jsonb, x::text, CAST({m} AS int), {m}::text[]"
        assert c.order == ("a", "b", "a")


@pytest.mark.parametrize("style", STYLES)
def test_comments_are_not_parameters(style: Style) -> None:
    sql = "SELECT 1 -- skip :line and it's fine\nFROM t /* :block\n spanning :lines */ WHERE a = :a -- :tail"
    c = compile_sql(sql, style)
    assert c.names == frozenset({"a"})
    assert "-- skip :line and it's fine\n" in c.sql and "/* :block\n spanning :lines */" in c.sql
    assert c.sql.endswith("-- :tail")


def test_word_colon_is_not_a_parameter() -> None:
    c = compile_sql("SELECT a:b, 'x' FROM t WHERE k = :k", "qmark")
    assert c.names == frozenset({"k"})
    assert c.sql == "SELECT a:b, 'x' FROM t WHERE k = ?"


def test_repeated_names() -> None:
    sql = "SELECT :a, :b, :a, :a"
    num = compile_sql(sql, "numeric")
    assert num.sql == "SELECT $1, $2, $1, $1"
    assert num.order == ("a", "b")
    assert num.args({"a": "A", "b": "B"}) == ("A", "B")
    for style in ("format", "qmark"):
        c = compile_sql(sql, style)  # type: ignore[arg-type]
        assert c.order == ("a", "b", "a", "a")
        assert c.render({"a": "A", "b": "B"}, style) == (c.sql, ("A", "B", "A", "A"))  # type: ignore[arg-type]


def test_percent_is_doubled_only_for_the_format_style() -> None:
    sql = "SELECT 7 % 3, name FROM t WHERE name LIKE '50%' AND id = :id /* 100% */"
    fmt = compile_sql(sql, "format")
    assert fmt.sql == "SELECT 7 %% 3, name FROM t WHERE name LIKE '50%%' AND id = %s /* 100%% */"
    # pymysql interpolates with `sql % escaped_args`: the doubled signs come back single.
    assert fmt.sql % ("'k'",) == "SELECT 7 % 3, name FROM t WHERE name LIKE '50%' AND id = 'k' /* 100% */"
    assert compile_sql(sql, "qmark").sql == "SELECT 7 % 3, name FROM t WHERE name LIKE '50%' AND id = ? /* 100% */"
    assert compile_sql(sql, "numeric").sql == "SELECT 7 % 3, name FROM t WHERE name LIKE '50%' AND id = $1 /* 100% */"


def test_percent_doubling_survives_list_expansion() -> None:
    c = compile_sql("SELECT 1 FROM t WHERE a LIKE 'x%' AND id IN (:ids) AND b = :b", "format")
    sql, args = c.render({"ids": [1, 2], "b": 3}, "format")
    assert sql == "SELECT 1 FROM t WHERE a LIKE 'x%%' AND id IN (%s, %s) AND b = %s"
    assert args == (1, 2, 3)


@pytest.mark.parametrize("style", ["format", "qmark"])
def test_in_list_expansion(style: Style) -> None:
    m = MARK[style]
    c = compile_sql("SELECT * FROM t WHERE a = :a AND id IN (:ids) AND k in ( :keys ) AND z = :a", style)
    assert c.lists == frozenset({"ids", "keys"})
    sql, args = c.render({"a": 0, "ids": ["x", "y", "z"], "keys": ("k",)}, style)
    assert sql == f"SELECT * FROM t WHERE a = {m} AND id IN ({m}, {m}, {m}) AND k IN ({m}) AND z = {m}"
    assert args == (0, "x", "y", "z", "k", 0)


@pytest.mark.parametrize("style", ["format", "qmark"])
def test_in_list_expansion_of_an_empty_list(style: Style) -> None:
    m = MARK[style]
    c = compile_sql("SELECT * FROM t WHERE id IN (:ids) AND a = :a", style)
    sql, args = c.render({"ids": [], "a": 1}, style)
    assert sql == f"SELECT * FROM t WHERE id IN (SELECT NULL FROM (SELECT 1) AS rs_empty WHERE 1 = 0) AND a = {m}"
    assert args == (1,)


def test_in_list_is_one_array_parameter_in_the_numeric_style() -> None:
    c = compile_sql("SELECT * FROM t WHERE id IN (:ids) AND a = :a", "numeric")
    sql, args = c.render({"ids": ["x", "y"], "a": 1}, "numeric")
    assert (sql, args) == ("SELECT * FROM t WHERE id IN ($1) AND a = $2", (["x", "y"], 1))


@pytest.mark.parametrize("style", STYLES)
def test_missing_parameter_is_invalid_input(style: Style) -> None:
    c = compile_sql("SELECT :a, :b", style)
    with pytest.raises(rawstore.InvalidInput, match=":b"):
        c.render({"a": 1}, style)
    lists = compile_sql("SELECT 1 FROM t WHERE id IN (:ids)", style)
    with pytest.raises(rawstore.InvalidInput, match=":ids"):
        lists.render({}, style)


def test_sql_files_parse_headers_docs_and_batches(tmp_path: Path) -> None:
    text = (
        "-- name: one\n-- First line.\n-- Second line.\nSELECT :x;\n\n-- name: many[]\nINSERT INTO rs_t VALUES (:x)\n"
    )
    qs = parse_sql_file(text, "dom", "sqlite", str(tmp_path / "f.sql"), "")
    assert sorted(qs) == ["dom.many", "dom.one"]
    assert qs["dom.one"].doc == "First line. Second line."
    assert qs["dom.one"].sql == "SELECT ?"
    assert qs["dom.many"].array_batch and not qs["dom.one"].array_batch
    with pytest.raises(rawstore.ConfigError, match="twice"):
        parse_sql_file("-- name: a\nSELECT 1\n-- name: a\nSELECT 2\n", "dom", "sqlite", "f", "")
    with pytest.raises(rawstore.ConfigError, match="no SQL"):
        parse_sql_file("-- name: a\n-- only a comment\n", "dom", "sqlite", "f", "")


# -- the expansion against real databases ---------------------------------------------------------------


async def test_in_list_expansion_runs_on_the_database(store: rawstore.Store) -> None:
    """App SQL with `IN (:ids)` (PostgreSQL: `= ANY(:ids)`) selects exactly the listed rows, none for []."""
    rows = "SELECT 'a' AS v UNION ALL SELECT 'b' UNION ALL SELECT 'c'"
    cond = "v = ANY(:ids)" if store.dialect == "postgres" else "v IN (:ids)"
    sql = f"SELECT v FROM ({rows}) AS s WHERE {cond} ORDER BY v"
    async with store.transaction() as tx:
        assert [r["v"] for r in await tx.fetch(sql, {"ids": ["c", "a", "zz"]})] == ["a", "c"]
        assert await tx.fetch(sql, {"ids": []}) == []
        assert [r[0] for r in await tx.fetch(sql, {"ids": ["b"]})] == ["b"]


@pytest.mark.backends("sqlite", "mysql")
async def test_not_in_an_empty_list_matches_every_row(store: rawstore.Store) -> None:
    """PostgreSQL takes arrays (`<> ALL(:ids)`) and never expands lists; the other two expand them."""
    sql = "SELECT count(*) AS n FROM (SELECT 'a' AS v UNION ALL SELECT 'b') AS s WHERE v NOT IN (:ids)"
    async with store.transaction() as tx:
        row = await tx.fetchrow(sql, {"ids": ["a"]})
        assert row is not None and row["n"] == 1
        row = await tx.fetchrow(sql, {"ids": []})
        assert row is not None and row["n"] == 2


def test_kit_queries_inline_limit_on_postgres_only() -> None:
    """`LIMIT :n` of a kit query reaches PostgreSQL as a literal (generic plans then still see the row goal)."""
    sql = "SELECT a FROM t WHERE x = :x ORDER BY a LIMIT :limit FOR UPDATE SKIP LOCKED"
    c = compile_sql(sql, "numeric", inline_limits=True)
    assert c.order == ("x",) and c.names == frozenset({"x", "limit"})
    assert c.render({"x": 5, "limit": 7}, "numeric") == (
        "SELECT a FROM t WHERE x = $1 ORDER BY a LIMIT 7 FOR UPDATE SKIP LOCKED",
        (5,),
    )
    with pytest.raises(rawstore.InvalidInput):
        c.render({"x": 5, "limit": "7; DROP TABLE t"}, "numeric")
    assert compile_sql(sql, "qmark", inline_limits=True).order == ("x", "limit")
    assert compile_sql(sql, "numeric").order == ("x", "limit")  # the application's own SQL keeps its parameter
    assert QUERIES["postgres"]["jobs.claim_any"].compiled.inline == (("limit", 1),)
