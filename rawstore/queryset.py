"""Declared query sets: each domain names its queries once, in Python, with what each returns.

    class MemoryQueries(QuerySet, domain="memory"):
        get_thread = One(Thread)          # a Thread or None
        threads_created_asc = Many(Thread)
        count_threads = Scalar(int)
        existing_threads = Many(str)      # the first column of each row
        upsert_thread = Exec()
        upsert_messages = Batch()

The attribute name is the name of the query in `sql/<dialect>/<domain>.sql`, so a misspelt attribute is an
AttributeError at import and a mypy error, and the declaration's type parameter is what the type checker sees
for the result (`await ctx.one(Q.get_thread, ...)` is `Thread | None`). `bind` pairs the declarations with one
dialect's parsed SQL at `connect()` and fails with a ConfigError naming every query declared but missing from a
file, or defined in a file but never declared. Rows become records through one decoder per (query, dialect), built
from the record's field types and the driver's codecs.
"""

from __future__ import annotations

import enum
import itertools
import operator
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

import msgspec

from .errors import ConfigError, DatabaseError
from .sqlfiles import Query
from .validate import shown

R = TypeVar("R")

# Every declaration gets a slot: a bound query set is a list indexed by it, so a lookup is one list index.
_slots = itertools.count()


class Declared(Generic[R]):
    """A query declared by a domain. `R` is what one row decodes to (None for statements without rows)."""

    __slots__ = ("decode_overrides", "domain", "name", "record", "slot")

    def __init__(self, record: type[Any] | None = None, *, decode: Mapping[str, Callable[[Any], Any]] | None = None):
        self.record = record
        self.decode_overrides = dict(decode or {})
        self.slot = next(_slots)
        self.name = ""
        self.domain = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def key(self) -> str:
        return f"{self.domain}.{self.name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key})"


class One(Declared[R]):
    """At most one row, decoded to `record` (a msgspec Struct, or a plain type for a one-column row)."""

    def __init__(self, record: type[R], *, decode: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
        super().__init__(record, decode=decode)


class Many(Declared[R]):
    """Any number of rows, each decoded to `record`."""

    def __init__(self, record: type[R], *, decode: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
        super().__init__(record, decode=decode)


class Scalar(Declared[R]):
    """One row of one column (a count, an aggregate), converted to `record`."""

    def __init__(self, record: type[R]) -> None:
        super().__init__(record)


class Exec(Declared[None]):
    """A statement whose rows, if any, are not read (the count of rows changed is)."""

    def __init__(self) -> None:
        super().__init__(None)


class Batch(Declared[None]):
    """A statement run for many rows in one round trip (a `name[]` query sends one array per column).

    `fields` names the values of each row the domain builds, in its order; binding maps them to the SQL's
    placeholder order once, so every dialect's SQL may list its columns as it likes.
    """

    __slots__ = ("fields",)

    def __init__(self, *, fields: Sequence[str] | None = None) -> None:
        super().__init__(None)
        self.fields = tuple(fields) if fields is not None else None


class Raw(Declared[tuple[Any, ...]]):
    """Rows as the driver returns them, for the few queries whose shape is not a record (kept rare)."""

    def __init__(self) -> None:
        super().__init__(None)


class QuerySet:
    """Base of a domain's declarations; subclass with `domain="<file stem>"`."""

    domain: ClassVar[str] = ""
    declared: ClassVar[dict[str, Declared[Any]]] = {}

    def __init_subclass__(cls, *, domain: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.domain = domain
        cls.declared = {}
        for name, value in vars(cls).items():
            if isinstance(value, Declared):
                value.domain = domain
                cls.declared[name] = value


class Bound(Generic[R]):
    """One declaration bound to one dialect: the parsed query, its row decoder, and for a batch declared with
    `fields` the positions that put a row's values in placeholder order (None: already in order)."""

    __slots__ = ("decode", "pick", "positions", "query")

    def __init__(self, query: Query, decode: Callable[[Any], R], positions: tuple[int, ...] | None = None) -> None:
        self.query = query
        self.decode = decode
        self.positions = positions
        order = query.compiled.order
        # For rows kept as mappings (by name): one itemgetter gives a row's values in placeholder order.
        self.pick: Callable[[Mapping[str, Any]], Any] = (
            operator.itemgetter(*order) if len(order) > 1 else (lambda m: tuple(m[n] for n in order))
        )

    def arrange(self, rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
        """Rows in the declared field order, reordered into this dialect's placeholder order."""
        pos = self.positions
        if pos is None:
            return rows
        return [tuple(r[p] for p in pos) for r in rows]


def bind(sets: Sequence[type[QuerySet]], queries: Mapping[str, Query], codecs: Codecs) -> list[Bound[Any] | None]:
    """Pair every declaration of `sets` with its SQL; a list indexed by declaration slot.

    Raises ConfigError naming every query declared but absent from its file and every query in a declared
    domain's file that no declaration names.
    """
    missing: list[str] = []
    undeclared: list[str] = []
    by_domain: dict[str, set[str]] = {}
    for key in queries:
        domain, _, name = key.partition(".")
        by_domain.setdefault(domain, set()).add(name)
    size = max((d.slot for s in sets for d in s.declared.values()), default=-1) + 1
    out: list[Bound[Any] | None] = [None] * size
    for s in sets:
        in_file = by_domain.get(s.domain, set())
        for decl in s.declared.values():
            q = queries.get(decl.key)
            if q is None:
                missing.append(decl.key)
                continue
            if q.array_batch and not isinstance(decl, Batch):
                raise ConfigError(f"{q.origin}: {decl.key} is a `name[]` array batch but is declared {decl!r}")
            if q.copy is not None and not isinstance(decl, Batch):
                raise ConfigError(f"{q.origin}: {decl.key} has a [copy] form but is declared {decl!r}")
            out[decl.slot] = Bound(q, decoder(decl, q, codecs), _positions(decl, q))
        undeclared.extend(f"{s.domain}.{n}" for n in sorted(in_file - set(s.declared)))
    if missing or undeclared:
        dialect = next(iter(queries.values())).dialect if queries else "?"
        parts = []
        if missing:
            parts.append(f"declared but missing from sql/{dialect}/: {', '.join(sorted(missing))}")
        if undeclared:
            parts.append(f"in sql/{dialect}/ but never declared: {', '.join(undeclared)}")
        raise ConfigError("query sets and SQL files disagree: " + "; ".join(parts))
    return out


def _positions(decl: Declared[Any], q: Query) -> tuple[int, ...] | None:
    if not isinstance(decl, Batch) or decl.fields is None:
        return None
    order = q.compiled.order
    unknown = [n for n in order if n not in decl.fields]
    if unknown:
        raise ConfigError(f"{q.origin}: {decl.key} uses :{', :'.join(unknown)}, not among its declared fields")
    if order == decl.fields:
        return None
    return tuple(decl.fields.index(n) for n in order)


# -- row decoding -----------------------------------------------------------------------------------------------


class Codecs(msgspec.Struct, frozen=True):
    """How values of a dialect arrive from its driver."""

    ts_in: Callable[[Any], datetime]
    json_in: Callable[[Any], Any]
    bool_in: Callable[[Any], bool] = bool


def _is_json(tp: Any) -> bool:
    """A field holding any JSON value: Any, dict[...] or list[...] (optionally | None)."""
    if tp is Any:
        return True
    origin = get_origin(tp)
    return origin in (dict, list)


def _strip_none(tp: Any) -> tuple[Any, bool]:
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _field_converter(tp: Any, codecs: Codecs) -> Callable[[Any], Any] | None:
    """The converter for a field type (applied to non-NULL values only), None when values arrive as they are."""
    inner, _ = _strip_none(tp)
    if _is_json(inner):
        return codecs.json_in
    if inner is datetime:
        return codecs.ts_in
    if inner is bool:
        return codecs.bool_in
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        # A dict lookup costs a tenth of calling the enum class; a bad value is a KeyError, decoded as corrupt.
        return {m.value: m for m in inner}.__getitem__
    # str, int and float arrive as such from every driver; a column that does not (a MySQL SUM is a Decimal)
    # says so with a decode override.
    return None


def decoder(decl: Declared[Any], q: Query, codecs: Codecs) -> Callable[[Any], Any]:
    """The function turning one row of `q` into `decl.record`, generated once as straight-line code (as fast as
    a hand-written `Thread(r[0], r[1], ...)`), with NULLs passed through for optional fields."""
    record = decl.record
    if record is None or isinstance(decl, Raw):
        return _identity
    if not (isinstance(record, type) and issubclass(record, msgspec.Struct)):
        found = _field_converter(record, codecs)
        if found is None:
            return _first
        conv: Callable[[Any], Any] = found
        name = q.name

        def decode_one(r: Any) -> Any:
            v = r[0]
            if v is None:
                return None
            try:
                return conv(v)
            except Exception as e:
                raise _corrupt_value(name, v, e) from e

        return decode_one
    hints = typing.get_type_hints(record)
    names = list(record.__struct_fields__)
    env: dict[str, Any] = {"_Record": record, "_corrupt": _corrupt_row, "_q": q.name}
    env["_id"] = names.index("id") if "id" in names else 0
    args: list[str] = []
    for i, f in enumerate(msgspec.structs.fields(record)):
        override = decl.decode_overrides.get(f.name)
        if override is not None:
            env[f"_c{i}"] = override
            args.append(f"_c{i}(r[{i}])")
            continue
        tp = hints[f.name]
        field_conv = _field_converter(tp, codecs)
        if field_conv is None:
            args.append(f"r[{i}]")
            continue
        env[f"_c{i}"] = field_conv
        # A field that cannot hold None comes from a NOT NULL column: no test needed (a NULL there fails to decode).
        nullable = tp is Any or _strip_none(tp)[1]
        args.append(f"(None if r[{i}] is None else _c{i}(r[{i}]))" if nullable else f"_c{i}(r[{i}])")
    src = (
        "def decode(r):\n"
        "    try:\n"
        f"        return _Record({', '.join(args)})\n"
        "    except Exception as e:\n"
        "        raise _corrupt(_q, r[_id] if len(r) > _id else None, e) from e\n"
    )
    exec(compile(src, f"<rawstore decoder {q.name} {q.dialect}>", "exec"), env)
    fn: Callable[[Any], Any] = env["decode"]
    return fn


def _identity(r: Any) -> Any:
    return r


def _first(r: Any) -> Any:
    return r[0]


def _corrupt_value(query: str, value: Any, exc: Exception) -> DatabaseError:
    why = f"{type(exc).__name__}: {exc}"
    return DatabaseError(f"query {query}: value {shown(value)} cannot be decoded (written outside rawstore?): {why}")


def _corrupt_row(query: str, row_id: Any, exc: Exception) -> DatabaseError:
    # A row written by rawstore always decodes; one edited by another tool may not, and must still leave typed.
    return DatabaseError(
        f"query {query}: row {row_id!r} cannot be decoded (written outside rawstore?): {type(exc).__name__}: {exc}"
    )
