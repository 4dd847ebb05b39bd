"""What a deploy pipeline runs besides `migrate`: `reset` (drop the kit's objects, nothing else) and `doctor` (one
health report: reachability, pooler, migrations, missing kit tables and indexes, row-level security, capabilities).

Both open a short-lived Store on the URL and read the catalog with the statements of `sql/<dialect>/ops/deploy.sql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import msgspec

from .errors import ConfigError, DatabaseError, MigrationError, RawstoreError
from .migrator import check_sqlite
from .sqlfiles import Dialect, data_dir, parse_sql_file
from .store import Store, Transaction, connect
from .url import parse_url, redact

_KIT_NAME = re.compile(r"^rs_[a-z0-9_]+$")


class ResetReport(msgspec.Struct, frozen=True):
    """The kit tables `reset` dropped (`dropped=True`) or would drop (`dropped=False`, without `yes`), in drop order."""

    tables: list[str]
    dropped: bool


class Check(msgspec.Struct, frozen=True):
    """One line of the doctor's report: what was checked, what was found, and whether it is healthy."""

    name: str
    value: str
    ok: bool = True


class DoctorReport(msgspec.Struct, frozen=True):
    """The doctor's findings; `healthy` when every check passed."""

    checks: list[Check]

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)

    def table(self) -> str:
        """The findings as a short plain-text table, failed checks marked."""
        width = max(len(c.name) for c in self.checks)
        lines = [f"{'  ' if c.ok else '! '}{c.name.ljust(width)}  {c.value}" for c in self.checks]
        lines.append(f"\n{'healthy' if self.healthy else 'NOT healthy'}")
        return "\n".join(lines)


def _ops(dialect: Dialect, qualifier: str) -> dict[str, str]:
    path = data_dir("sql") / dialect / "ops" / "deploy.sql"
    parsed = parse_sql_file(path.read_text("utf-8"), "ops", dialect, str(path), qualifier)
    return {key.partition(".")[2]: q.source for key, q in parsed.items()}


def _qualifier(store: Store) -> str:
    return f'"{store.schema.name}".' if store.dialect == "postgres" else ""


def _drop_order(tables: Iterable[str], references: Iterable[tuple[str, str]]) -> list[str]:
    """Kit tables ordered so that every table comes before the tables it references (children first)."""
    remaining = set(tables)
    parents_of: dict[str, set[str]] = {t: set() for t in remaining}
    for child, parent in references:
        if child in remaining and parent in remaining and child != parent:
            parents_of[child].add(parent)
    order: list[str] = []
    while remaining:
        # A table nobody left references can go now.
        referenced = {p for t in remaining for p in parents_of[t]}
        ready = sorted(t for t in remaining if t not in referenced) or sorted(remaining)
        order.extend(ready)
        remaining.difference_update(ready)
    return order


async def _kit_tables(tx: Transaction, ops: Mapping[str, str], schema: str) -> list[tuple[str, str]]:
    rows = await tx.fetch(ops["kit_tables"], {"schema": schema})
    out = []
    for r in rows:
        name = str(r["name"])
        if not _KIT_NAME.match(name):  # an rs_ name the kit never makes (upper case, quotes): not the kit's
            continue
        out.append((name, str(r["kind"])))
    return out


async def _open(url: str, schema: str) -> tuple[Store, str]:
    """A store on `url` and how it reaches the server: a PgBouncer is recognised by the URL's flag or by its
    refusing a direct connection's session settings. A missing SQLite file is an error, not a new database."""
    target = parse_url(url, schema=schema)
    if target.dialect == "sqlite":
        check_sqlite(target, must_exist=True)
    if target.pgbouncer:
        return await connect(url, schema=schema, min_size=1, max_size=2), "PgBouncer (?pgbouncer=true)"
    try:
        return await connect(url, schema=schema, min_size=1, max_size=2), "direct"
    except ConfigError as e:
        if "pgbouncer" not in str(e).lower():
            raise
    return await connect(url, schema=schema, min_size=1, max_size=2, pgbouncer=True), "PgBouncer (detected)"


async def reset(url: str, *, schema: str = "public", yes: bool = False) -> ResetReport:
    """Drop every kit table (`rs_` prefix, yoyo's history included) with its indexes, triggers and policies; leave
    every other table alone. Without `yes`, only say what would be dropped.

    Refuses (MigrationError, nothing dropped) while an application table has a foreign key to a kit table.
    """
    target = parse_url(url, schema=schema)
    store, _ = await _open(url, schema)
    async with store:
        ops = _ops(target.dialect, _qualifier(store))
        async with store.transaction() as tx:
            tables = await _kit_tables(tx, ops, schema)
            names = {n for n, _ in tables}
            found = await tx.fetch(ops["kit_references"], {"schema": schema})
        refs = [(str(r["child"]), str(r["parent"]), str(r["name"])) for r in found]
        foreign = sorted({f"{c} ({n} -> {p})" for c, p, n in refs if c not in names})
        if foreign:
            raise MigrationError(
                f"reset refused: application tables reference kit tables ({', '.join(foreign)}); drop those foreign"
                " keys first. Nothing was dropped."
            )
        # Virtual tables (SQLite full-text) first: their triggers on kit tables go with those tables anyway.
        virtual = sorted(n for n, kind in tables if kind == "virtual")
        order = virtual + _drop_order((n for n, kind in tables if kind != "virtual"), ((c, p) for c, p, _ in refs))
        if not yes or not order:
            return ResetReport(order, dropped=bool(order) and yes)
        async with store.transaction() as tx:
            for name in order:
                await tx.execute(ops["drop_table"].replace("{name}", name))
    return ResetReport(order, dropped=True)


# -- row-level security -------------------------------------------------------------------------------------


class RlsTable(msgspec.Struct, frozen=True):
    """One kit table's row-level security: `enabled` (and `forced` on its owner), and whether the kit's tenant
    policy is on it."""

    name: str
    enabled: bool
    forced: bool
    policy: bool


async def rls(url: str, action: str, *, schema: str = "public") -> list[RlsTable]:
    """`action` "enable" (add the tenant policy where missing, then ENABLE + FORCE ROW LEVEL SECURITY on every kit
    table holding tenant rows), "disable" (NO FORCE + DISABLE; the policies stay) or "status"; returns every such
    table's state afterwards. Idempotent. PostgreSQL only (ConfigError elsewhere)."""
    if action not in ("enable", "disable", "status"):
        raise ConfigError(f"rls action must be enable, disable or status, got {action!r}")
    target = parse_url(url, schema=schema)
    store, _ = await _open(url, schema)
    async with store:
        ops = _ops(target.dialect, _qualifier(store))
        if "rls_tables" not in ops:
            raise ConfigError(f"row-level security is PostgreSQL only; {target.dialect} has none")
        async with store.transaction() as tx:
            tables = await _rls_tables(tx, ops, schema)
            if action != "status":
                for t in tables:
                    if action == "enable" and not t.policy:
                        await tx.execute(ops["create_policy"].replace("{name}", t.name))
                    await tx.execute(ops[f"{action}_rls"].replace("{name}", t.name))
                tables = await _rls_tables(tx, ops, schema)
    return tables


async def _rls_tables(tx: Transaction, ops: Mapping[str, str], schema: str) -> list[RlsTable]:
    rows = await tx.fetch(ops["rls_tables"], {"schema": schema})
    return [
        RlsTable(str(r["name"]), bool(r["enabled"]), bool(r["forced"]), bool(r["policy"]))
        for r in rows
        if _KIT_NAME.match(str(r["name"]))
    ]


# -- doctor ---------------------------------------------------------------------------------------------------

_CREATE = re.compile(
    r"\bCREATE\s+(?:UNIQUE\s+|VIRTUAL\s+)?(TABLE|INDEX)\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\{schema\}|\"?\w+\"?\.)?[\"`]?(rs_\w+)",
    re.IGNORECASE,
)
_INLINE_INDEX = re.compile(r"^\s*(?:UNIQUE\s+)?(?:KEY|INDEX)\s+`?(rs_\w+)`?\s*\(", re.IGNORECASE | re.MULTILINE)
_ADD_INDEX = re.compile(r"\bADD\s+(?:UNIQUE\s+)?(?:KEY|INDEX)\s+`?(rs_\w+)`?", re.IGNORECASE)
_DROP = re.compile(
    r"\bDROP\s+(TABLE|INDEX|KEY)\s+(?:IF\s+EXISTS\s+)?(?:\{schema\}|\"?\w+\"?\.)?[\"`]?(rs_\w+)", re.IGNORECASE
)
_RENAME_INDEX = re.compile(r"\bRENAME\s+(?:INDEX|KEY)\s+`?(rs_\w+)`?\s+TO\s+`?(rs_\w+)`?", re.IGNORECASE)


def expected_objects(dialect: Dialect, applied: Iterable[str]) -> tuple[set[str], set[str]]:
    """(tables, indexes) that the applied migrations of a dialect leave behind, read from their SQL files."""
    folder: Path = data_dir("migrations") / dialect
    tables: set[str] = set()
    indexes: set[str] = set()
    for mid in sorted(applied):
        path = folder / f"{mid}.sql"
        if not path.is_file():
            continue
        text = re.sub(r"--[^\n]*", "", path.read_text("utf-8"))
        events: list[tuple[int, str, str, str]] = []
        for m in _CREATE.finditer(text):
            events.append((m.start(), "create", m.group(1).upper(), m.group(2)))
        for m in _INLINE_INDEX.finditer(text):
            events.append((m.start(), "create", "INDEX", m.group(1)))
        for m in _ADD_INDEX.finditer(text):
            events.append((m.start(), "create", "INDEX", m.group(1)))
        for m in _DROP.finditer(text):
            kind = "INDEX" if m.group(1).upper() in ("INDEX", "KEY") else "TABLE"
            events.append((m.start(), "drop", kind, m.group(2)))
        for m in _RENAME_INDEX.finditer(text):
            events.append((m.start(), "drop", "INDEX", m.group(1)))
            events.append((m.start() + 1, "create", "INDEX", m.group(2)))
        for _, action, kind, name in sorted(events):
            bucket = tables if kind == "TABLE" else indexes
            (bucket.add if action == "create" else bucket.discard)(name)
    return tables, indexes


async def doctor(url: str, *, schema: str = "public") -> DoctorReport:
    """Check the database at `url` and report (never raises for an unhealthy database: the report says so)."""
    target = parse_url(url, schema=schema)
    checks = [Check("dialect", target.dialect), Check("url", redact(url))]
    try:
        store, pooler = await _open(url, schema)
    except RawstoreError as e:
        checks.append(Check("reachable", f"no: {type(e).__name__}: {e}", ok=False))
        return DoctorReport(checks)
    try:
        ops = _ops(target.dialect, _qualifier(store))
        async with store.transaction() as tx:
            version = await tx.fetchrow(ops["server_version"])
            checks.append(Check("reachable", "yes"))
            checks.append(Check("server version", str(version["version"]) if version else "?"))
            checks.append(Check("pooler", pooler))
            try:
                async with tx.transaction() as inner:
                    applied = {str(r["migration_id"]) for r in await inner.fetch(ops["applied_migrations"])}
            except DatabaseError:
                applied = set()  # yoyo's history table is not there: nothing was ever applied
            present = {n for n, _ in await _kit_tables(tx, ops, schema)}
            rls_rows = await tx.fetch(ops["rls_tables"], {"schema": schema}) if "rls_tables" in ops else None
        folder = data_dir("migrations") / target.dialect
        shipped = sorted(p.stem for p in folder.glob("*.sql") if not p.stem.endswith(".rollback"))
        pending = [m for m in shipped if m not in applied]
        checks.append(Check("migrations applied", f"{len(set(shipped) & applied)} of {len(shipped)}"))
        checks.append(Check("migrations pending", ", ".join(pending) or "none", ok=not pending))
        want_tables, want_indexes = expected_objects(target.dialect, applied & set(shipped))
        missing_tables = sorted(want_tables - present)
        checks.append(Check("missing kit tables", ", ".join(missing_tables) or "none", ok=not missing_tables))
        if missing_tables or pending:
            # The index list reads the kit's own tables; with some missing it would only fail.
            checks.append(Check("missing kit indexes", "not checked until every migration is applied", ok=False))
        else:
            have_indexes = {i.name for i in await store.schema.list_indexes()}
            missing_indexes = sorted(want_indexes - have_indexes)
            checks.append(Check("missing kit indexes", ", ".join(missing_indexes) or "none", ok=not missing_indexes))
        if rls_rows is None:
            checks.append(Check("row-level security", "not available on this database"))
        else:
            on = sorted(str(r["name"]) for r in rls_rows if r["enabled"] and r["forced"] and r["policy"])
            full = rls_rows and len(on) == len(rls_rows)
            state = "enabled (forced)" if full else "disabled" if not on else "partial"
            # Partly on is a fault: a table left out (a vector table made since `rls enable`) is not protected.
            checks.append(
                Check("row-level security", f"{state}: {len(on)} of {len(rls_rows)} kit tables", ok=state != "partial")
            )
        caps = store.capabilities
        offered = [f for f in caps.__struct_fields__ if isinstance(getattr(caps, f), bool) and getattr(caps, f)]
        checks.append(Check("capabilities", ", ".join(offered) or "none"))
    except RawstoreError as e:
        checks.append(Check("error", f"{type(e).__name__}: {e}", ok=False))
    finally:
        await store.close()
    return DoctorReport(checks)


__all__ = ["Check", "DoctorReport", "ResetReport", "RlsTable", "doctor", "expected_objects", "reset", "rls"]
