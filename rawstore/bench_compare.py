"""`rawstore bench --compare OLD.json`: every figure of a run next to the same figure of an earlier run.

Figures are matched by database name (its dialect; `postgres#2` for a second PostgreSQL of the same run) and by
figure key. Each row shows rawstore's value before and after with the change in percent, the raw driver's change
(the yardstick: when both sides moved alike, the machine moved, not rawstore) and the ratio before and after.

A row is a REGRESSION when rawstore's own figure got worse by more than the threshold (a rate dropped, a time
grew), or when its ratio to the raw driver dropped by more than the threshold; `improved` when rawstore's figure got
better by more than the threshold and its ratio did not drop. Figures and databases found in only one of the two
runs are listed as such; different sizes or environments are noted above the table, since they change the figures
more than any code change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .bench_report import Database, Document, Figure


def change(old: float, new: float) -> float | None:
    """The change from `old` to `new` in percent (None when `old` is 0)."""
    return None if old == 0 else (new - old) / abs(old) * 100


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}%"


@dataclass
class Row:
    """One figure of one database in both runs (or in one of them)."""

    database: str
    key: str
    label: str
    old: Figure | None
    new: Figure | None
    rawstore_change: float | None = None
    raw_change: float | None = None
    ratio_change: float | None = None
    worse: list[str] = field(default_factory=list)  # what regressed: "rawstore", "ratio"
    improved: bool = False

    @property
    def verdict(self) -> str:
        if self.new is None:
            return "only in old"
        if self.old is None:
            return "only in new"
        if self.worse:
            return "REGRESSION: " + ", ".join(
                f"{what} {_pct(self.rawstore_change if what == 'rawstore' else self.ratio_change)}"
                for what in self.worse
            )
        return "improved" if self.improved else ""


def _compare_figure(database: str, old: Figure, new: Figure, threshold: float) -> Row:
    row = Row(database, new.key, new.label, old, new)
    row.rawstore_change = change(old.rawstore, new.rawstore)
    row.raw_change = change(old.raw, new.raw)
    if old.ratio is not None and new.ratio is not None:
        row.ratio_change = change(old.ratio, new.ratio)
    # A rate should not drop, a time (or a deep page's share of page 1's) should not grow; a ratio should not drop.
    sign = 1 if new.better == "higher" else -1
    if row.rawstore_change is not None:
        if sign * row.rawstore_change < -threshold:
            row.worse.append("rawstore")
        elif sign * row.rawstore_change > threshold:
            row.improved = True
    if row.ratio_change is not None and row.ratio_change < -threshold:
        row.worse.append("ratio")
        row.improved = False
    return row


def _when(doc: Document) -> str:
    return doc.started_at[:16].replace("T", " ") + " UTC"


def _rawstore(doc: Document) -> str:
    r = doc.rawstore
    commit = "" if r.commit is None else f" {r.commit[:10]}" + ("+dirty" if r.dirty else "")
    return f"rawstore {r.version}{commit}"


@dataclass
class Comparison:
    old_name: str
    new_name: str
    old: Document
    new: Document
    threshold: float
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.worse]

    def render(self) -> str:
        """The comparison as text: notes, one table per database, then the regressions named once more."""
        o, n = self.old, self.new
        out = [
            f"rawstore bench --compare: {self.old_name} ({_when(o)}, {_rawstore(o)}) -> "
            f"{self.new_name} ({_when(n)}, {_rawstore(n)})",
            f"change = (new - old) / old; a figure worse by more than {self.threshold:g}% is a REGRESSION (a rate that"
            " drops, a time that grows, or rawstore's ratio to the raw driver that drops)",
        ]
        out.extend(f"note: {note}" for note in self.notes)
        names = list(dict.fromkeys(r.database for r in self.rows))
        for name in names:
            rows = [r for r in self.rows if r.database == name]
            out.extend(["", name, *_table(rows)])
        regressions = self.regressions
        out.append("")
        if regressions:
            out.append(f"{len(regressions)} REGRESSION(S) beyond {self.threshold:g}%:")
            out.extend(f"  {r.database} {r.key}: {r.verdict.removeprefix('REGRESSION: ')}" for r in regressions)
        else:
            out.append(f"no regression beyond {self.threshold:g}%")
        return "\n".join(out)


def _value(f: Figure | None, value: float | None) -> str:
    return "-" if f is None or value is None else f.text(value)


def _table(rows: Sequence[Row]) -> list[str]:
    head = ("figure", "rawstore old", "rawstore new", "change", "raw driver", "ratio old -> new", "")
    cells = [head]
    for r in rows:
        ratio = ""
        if r.old is not None and r.new is not None and r.old.ratio is not None and r.new.ratio is not None:
            ratio = f"{r.old.ratio:.2f}x -> {r.new.ratio:.2f}x"
        cells.append(
            (
                r.label,
                _value(r.old, None if r.old is None else r.old.rawstore),
                _value(r.new, None if r.new is None else r.new.rawstore),
                _pct(r.rawstore_change) if r.old and r.new else "",
                _pct(r.raw_change) if r.old and r.new else "",
                ratio,
                r.verdict,
            )
        )
    widths = [max(len(c[i]) for c in cells) for i in range(len(head) - 1)]

    def fmt(c: tuple[str, ...]) -> str:
        first = f"{c[0]:<{widths[0]}}"
        rest = " | ".join(f"{v:>{w}}" for v, w in zip(c[1:-1], widths[1:], strict=True))
        return f"{first} | {rest} | {c[-1]}".rstrip()

    return [fmt(head), "-+-".join("-" * w for w in widths) + "-+", *map(fmt, cells[1:])]


def _environment_notes(old: Document, new: Document) -> list[str]:
    notes = []
    if old.sizes != new.sizes:
        diff = ", ".join(
            f"{k} {old.sizes.get(k, '-')} -> {new.sizes.get(k, '-')}"
            for k in sorted(set(old.sizes) | set(new.sizes))
            if old.sizes.get(k) != new.sizes.get(k)
        )
        notes.append(f"sizes differ ({diff}): the figures are not comparable, and page keys follow the sizes")
    a, b = old.environment, new.environment
    for what, x, y in (
        ("python", a.python, b.python),
        ("platform", a.platform, b.platform),
        ("cpu count", a.cpu_count, b.cpu_count),
    ):
        if x != y:
            notes.append(f"{what} {x} -> {y}")
    for pkg in sorted(set(a.packages) | set(b.packages)):
        x, y = a.packages.get(pkg), b.packages.get(pkg)
        if x != y:
            notes.append(f"{pkg} {x or 'not installed'} -> {y or 'not installed'}")
    for which, doc in (("old", old), ("new", new)):
        env = doc.environment
        start = (env.load_average or {}).get("start") or [0.0]
        if env.cpu_count and start[0] > env.cpu_count:
            notes.append(
                f"the machine was busy when the {which} run started (load {start[0]:.2f}, {env.cpu_count} CPUs)"
            )
    return notes


def _by_name(databases: Sequence[Database]) -> dict[str, Database]:
    return {d.name: d for d in databases}


def compare(old: Document, new: Document, *, threshold: float = 10.0, old_name: str, new_name: str) -> Comparison:
    """Every figure of `new` against the same figure of `old` (see the module docstring)."""
    result = Comparison(old_name, new_name, old, new, threshold, notes=_environment_notes(old, new))
    before, after = _by_name(old.databases), _by_name(new.databases)
    for name in [*after, *(n for n in before if n not in after)]:
        a, b = before.get(name), after.get(name)
        if a is None or b is None:
            # A database measured in one run only: one note, not a table of "only in" rows.
            result.notes.append(f"{name}: only in {new_name if a is None else old_name}, nothing to compare")
            continue
        if a.server_version != b.server_version:
            result.notes.append(f"{name} server {a.server_version} -> {b.server_version}")
        old_figs = {f.key: f for f in a.figures}
        new_figs = {f.key: f for f in b.figures}
        for key, f in new_figs.items():
            if key in old_figs:
                result.rows.append(_compare_figure(name, old_figs[key], f, threshold))
            else:
                result.rows.append(Row(name, key, f.label, None, f))
        for key, f in old_figs.items():
            if key not in new_figs:
                result.rows.append(Row(name, key, f.label, f, None))
    return result
