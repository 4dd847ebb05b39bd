"""Named queries read from `sql/<dialect>/<domain>.sql`, compiled to the driver's placeholder style.

A file holds blocks that start with `-- name: <query>`; the `--` lines right after it are the docstring.
Placeholders are `:name` in every dialect. A placeholder written `IN (:name)` takes a list, expanded to one
placeholder per item on drivers without array parameters (PostgreSQL writes `= ANY(:name)` instead).
A query whose name ends in `[]` is a one-statement batch: PostgreSQL binds one array per column (`unnest`), SQLite
repeats the row of its `VALUES (...)` once per item; other batch queries are sent with the driver's executemany.
A block named `<query>[copy]` (PostgreSQL only) is the COPY form of the batch `<query>`: `COPY {schema}rs_x (a, b)
FROM STDIN`, its columns the batch's parameters in their order. Drivers with `capabilities.copy_from` stream the
batch that way (asyncpg's binary COPY), except under row-level security, which PostgreSQL refuses COPY FROM for.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from .errors import ConfigError, InvalidInput

Dialect = Literal["postgres", "mysql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgres", "mysql", "sqlite")
Style = Literal["numeric", "format", "qmark"]
STYLE: dict[Dialect, Style] = {"postgres": "numeric", "mysql": "format", "sqlite": "qmark"}

_TOKENS = re.compile(
    r"""
    (?P<skip>'(?:[^']|'')*'            # string literal
      | "(?:[^"]|"")*"                  # quoted identifier
      | `[^`]*`                         # MySQL identifier
      | --[^\n]*                        # line comment
      | /\*.*?\*/                       # block comment
      | ::                              # PostgreSQL cast
    )
    | (?P<list>\bIN\s*\(\s*:(?P<lname>[A-Za-z_]\w*)\s*\))
    | (?P<param>(?<![\w:]):(?P<name>[A-Za-z_]\w*))
    | (?P<pct>%)
    """,
    re.VERBOSE | re.DOTALL | re.IGNORECASE,
)


_EMPTY_SET = "SELECT NULL FROM (SELECT 1) AS rs_empty WHERE 1 = 0"


@dataclass(frozen=True, slots=True)
class Compiled:
    """SQL in the driver's style plus the parameter names in positional order (repeats included)."""

    sql: str
    order: tuple[str, ...]
    names: frozenset[str]
    lists: frozenset[str]
    pieces: tuple[str, ...] = ()
    # Kit queries on PostgreSQL: `LIMIT :n` is sent as an integer literal, in these (name, position) slots.
    inline: tuple[tuple[str, int], ...] = ()

    def args(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        try:
            return tuple(values[n] for n in self.order)
        except KeyError as e:
            raise InvalidInput(f"missing SQL parameter :{e.args[0]}") from None

    def render(self, values: Mapping[str, Any], style: Style) -> tuple[str, tuple[Any, ...]]:
        """SQL and positional args for one execution, expanding list parameters where the style needs it."""
        if self.inline:
            return self._inlined(values), self.args(values)
        if not self.lists or style == "numeric":
            return self.sql, self.args(values)
        out: list[str] = [self.pieces[0]]
        args: list[Any] = []
        mark = "%s" if style == "format" else "?"
        for i, name in enumerate(self.order):
            try:
                v = values[name]
            except KeyError:
                raise InvalidInput(f"missing SQL parameter :{name}") from None
            if name in self.lists:
                items = list(v)
                # An empty list must match nothing under IN and everything under NOT IN; `IN (NULL)` fails the latter.
                out.append(", ".join([mark] * len(items)) if items else _EMPTY_SET)
                args.extend(items)
            else:
                out.append(mark)
                args.append(v)
            out.append(self.pieces[i + 1])
        return "".join(out), tuple(args)

    def _inlined(self, values: Mapping[str, Any]) -> str:
        out = [self.pieces[0]]
        for i, (name, _) in enumerate(self.inline):
            v = values.get(name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise InvalidInput(f"SQL parameter :{name} after LIMIT must be an int, got {type(v).__name__}")
            out.append(str(v))
            out.append(self.pieces[i + 1])
        return "".join(out)


_LIMIT_TAIL = re.compile(r"\bLIMIT\s+$", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def compile_sql(sql: str, style: Style, *, inline_limits: bool = False) -> Compiled:
    """Turn `:name` placeholders into `$n`, `%s` or `?`; literal `%` is doubled for the format style.

    With `inline_limits` (kit queries on PostgreSQL), `LIMIT :n` becomes the literal value at render time: with
    `plan_cache_mode=force_generic_plan` a parameter there hides the row goal from the planner, which then sorts the
    whole table instead of reading the first rows of an index.
    """
    if inline_limits and style == "numeric":
        return _compile_inline(sql)
    pieces: list[str] = []
    cur: list[str] = []
    order: list[str] = []
    numbers: dict[str, int] = {}
    lists: set[str] = set()
    pos = 0
    for m in _TOKENS.finditer(sql):
        cur.append(sql[pos : m.start()])
        pos = m.end()
        if m.group("skip") is not None:
            skip = m.group("skip")
            cur.append(skip.replace("%", "%%") if style == "format" else skip)
            continue
        if m.group("pct") is not None:
            cur.append("%%" if style == "format" else "%")
            continue
        if m.group("list") is not None:
            name = m.group("lname")
            lists.add(name)
            prefix, suffix = "IN (", ")"
        else:
            name = m.group("name")
            prefix, suffix = "", ""
        if style == "numeric":
            n = numbers.setdefault(name, len(numbers) + 1)
            cur.append(f"{prefix}${n}{suffix}")
            if n > len(order):
                order.append(name)
        else:
            cur.append(prefix)
            pieces.append("".join(cur))
            cur = [suffix]
            order.append(name)
    cur.append(sql[pos:])
    pieces.append("".join(cur))
    mark = {"numeric": None, "format": "%s", "qmark": "?"}[style]
    text = "".join(pieces) if mark is None else mark.join(pieces)
    return Compiled(text, tuple(order), frozenset(order), frozenset(lists), tuple(pieces))


def _compile_inline(sql: str) -> Compiled:
    # Split at each `LIMIT :name`, compile the pieces with shared numbering, keep the slots for render().
    slots: list[tuple[str, int]] = []
    parts: list[str] = []
    pos = 0
    for m in _TOKENS.finditer(sql):
        if m.group("param") is not None and _LIMIT_TAIL.search(sql, 0, m.start()):
            parts.append(sql[pos : m.start()])
            slots.append((m.group("name"), len(parts)))
            pos = m.end()
    if not slots:
        return compile_sql(sql, "numeric")
    parts.append(sql[pos:])
    marker = "\x00"
    whole = compile_sql(marker.join(parts), "numeric")
    pieces = tuple(whole.sql.split(marker))
    names = whole.names | {n for n, _ in slots}
    return Compiled("1".join(pieces), whole.order, names, whole.lists, pieces, tuple(slots))


@dataclass(frozen=True, slots=True)
class CopyTarget:
    """Where the COPY form of a batch writes: a table (in `schema`, or the search path's when None) and its columns,
    in the order of the batch's values."""

    schema: str | None
    table: str
    columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Query:
    """One named query of one dialect: its name, source SQL, compiled SQL and parameters."""

    name: str
    dialect: Dialect
    source: str
    compiled: Compiled
    doc: str = ""
    array_batch: bool = False
    origin: str = field(default="", compare=False)
    # The batch's `[copy]` form, when the file has one and the store may use it (see load_queries).
    copy: CopyTarget | None = None

    @property
    def sql(self) -> str:
        return self.compiled.sql

    @property
    def params(self) -> frozenset[str]:
        return self.compiled.names


_HEADER = re.compile(r"^--\s*name:\s*(?P<name>[a-z_][a-z0-9_]*)(?P<form>\[\]|\[copy\])?\s*$", re.MULTILINE)
_IDENT = r'(?:[a-z_][a-z0-9_]*|"(?:[^"]|"")+")'
# The table is written `{schema}rs_x` (PostgreSQL's kit queries), or bare.
_COPY = re.compile(
    rf"^COPY\s+(?P<schema>\{{schema\}})?(?P<table>{_IDENT})\s*\((?P<cols>[^()]*)\)\s+FROM\s+STDIN$", re.IGNORECASE
)


_ROW_TOKENS = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|--[^\n]*|/\*.*?\*/|(?P<values>\bVALUES\b)|(?P<mark>[()?])""",
    re.IGNORECASE | re.DOTALL,
)


@functools.lru_cache(maxsize=256)
def multi_row(sql: str) -> tuple[str, str, str] | None:
    """(head, row, tail) of a qmark INSERT whose every `?` lies in the one row of its `VALUES (...)`: the statement
    for n rows is head + n rows joined by ", " + tail. None when the SQL is not of that shape."""
    depth = 0
    start = end = -1
    marks: list[int] = []
    after_values = False
    for m in _ROW_TOKENS.finditer(sql):
        if m.group("values") is not None:
            after_values = depth == 0
            continue
        mark = m.group("mark")
        if mark is None:
            continue
        if mark == "?":
            marks.append(m.start())
        elif mark == "(":
            if depth == 0 and after_values and start < 0:
                start = m.start()
            depth += 1
        else:
            depth -= 1
            if depth == 0 and start >= 0 and end < 0:
                end = m.end()
        if mark != "(" or depth > 1:
            after_values = False
    if start < 0 or end < 0 or not marks or not all(start < p < end for p in marks):
        return None
    return sql[:start], sql[start:end], sql[end:]


def _unquote(ident: str) -> str:
    return ident[1:-1].replace('""', '"') if ident.startswith('"') else ident


def _copy_target(source: str, schema: str, key: str, origin: str) -> CopyTarget:
    """The target of a `[copy]` block, from its text before `{schema}` is replaced by `schema` (quoted, with a dot)."""
    m = _COPY.match(source)
    if m is None:
        raise ConfigError(f"{origin}: {key}[copy] must be `COPY <table> (<columns>) FROM STDIN`, got {source[:80]!r}")
    columns = tuple(_unquote(c.strip()) for c in m.group("cols").split(","))
    named = schema.removesuffix(".")
    return CopyTarget(_unquote(named) if m.group("schema") and named else None, _unquote(m.group("table")), columns)


def parse_sql_file(text: str, domain: str, dialect: Dialect, origin: str, schema: str) -> dict[str, Query]:
    """Split a file into named queries, keyed `<domain>.<name>` (a `[copy]` block becomes its batch's `copy`)."""
    queries: dict[str, Query] = {}
    copies: dict[str, CopyTarget] = {}
    heads = list(_HEADER.finditer(text))
    if text[: heads[0].start() if heads else len(text)].strip(" \n-").strip() and not heads:
        raise ConfigError(f"{origin}: no '-- name:' header")
    for i, h in enumerate(heads):
        body = text[h.end() : heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        doc_lines: list[str] = []
        sql_lines: list[str] = []
        for line in body.strip("\n").splitlines():
            if not sql_lines and line.startswith("--"):
                doc_lines.append(line[2:].strip())
            else:
                sql_lines.append(line)
        sql = "\n".join(sql_lines).strip().rstrip(";").strip()
        if not sql:
            raise ConfigError(f"{origin}: query {h.group('name')} has no SQL")
        source, sql = sql, sql.replace("{schema}", schema)
        key = f"{domain}.{h.group('name')}"
        if h.group("form") == "[]" and dialect == "mysql":
            raise ConfigError(f"{origin}: {key}[]: a MariaDB batch is already multi-row (aiomysql's executemany)")
        if h.group("form") == "[]" and dialect == "sqlite" and multi_row(compile_sql(sql, "qmark").sql) is None:
            raise ConfigError(f"{origin}: {key}[] must be an INSERT with every parameter in its one VALUES (...) row")
        if h.group("form") == "[copy]":
            if dialect != "postgres":
                raise ConfigError(f"{origin}: {key}[copy]: COPY FROM STDIN is PostgreSQL's")
            if key in copies:
                raise ConfigError(f"{origin}: query {key}[copy] defined twice")
            copies[key] = _copy_target(source, schema, key, origin)
            continue
        if key in queries:
            raise ConfigError(f"{origin}: query {key} defined twice")
        queries[key] = Query(
            name=key,
            dialect=dialect,
            source=sql,
            compiled=compile_sql(sql, STYLE[dialect], inline_limits=True),
            doc=" ".join(doc_lines),
            array_batch=h.group("form") == "[]",
            origin=origin,
        )
    for key, target in copies.items():
        q = queries.get(key)
        if q is None:
            raise ConfigError(f"{origin}: {key}[copy] is the COPY form of a batch {key} the file does not define")
        # The driver sends the batch's rows as they are: the COPY columns must be its parameters, in their order.
        if target.columns != q.compiled.order:
            raise ConfigError(
                f"{origin}: {key}[copy] lists columns {', '.join(target.columns)}; {key} takes"
                f" :{', :'.join(q.compiled.order)} (the same names, in the same order)"
            )
        queries[key] = replace(q, copy=target)
    return queries


def data_dir(kind: str) -> Path:
    """Where `sql/` or `migrations/` lives: inside the installed package, else beside it in a source checkout."""
    packaged = resources.files("rawstore") / kind
    if packaged.is_dir():
        return Path(str(packaged))
    here = Path(__file__).resolve().parent.parent / kind
    if here.is_dir():
        return here
    raise ConfigError(f"rawstore's {kind}/ folder is missing from the installation")


def load_queries(dialect: Dialect, schema: str = "", *, copy: bool = False) -> dict[str, Query]:
    """Every named query of a dialect. `schema` (already quoted, with a trailing dot) replaces `{schema}`. Without
    `copy` (a driver without COPY, or row-level security, under which PostgreSQL refuses COPY FROM) batches keep no
    COPY form and are sent by their statement."""
    folder = data_dir("sql") / dialect
    out: dict[str, Query] = {}
    for path in sorted(folder.glob("*.sql")):
        out.update(parse_sql_file(path.read_text("utf-8"), path.stem, dialect, str(path), schema))
    if not copy:
        out = {k: replace(q, copy=None) if q.copy is not None else q for k, q in out.items()}
    return out
