"""`rawstore bench --json`: the figures of a run as data, with the environment they were measured in.

The document (schema 1) is what `--json` writes, what `--html` draws and what `--compare` reads back:

    {"schema": 1, "kind": "rawstore-bench",
     "started_at": "2026-05-04T09:30:00.123456Z", "finished_at": "...",
     "rawstore": {"version": "0.1.0", "commit": "219799a…" | null, "dirty": false | null},
     "environment": {"python": "3.11.2", "implementation": "CPython", "platform": "Linux-6.1…", "machine": "x86_64",
                     "cpu_count": 2, "load_average": {"start": [0.8, 1.0, 1.1], "end": [...]} | null,
                     "sqlite_library": "3.40.1", "packages": {"asyncpg": "0.30.0", "rich": null, ...}},
     "sizes": {"messages": 100000, "batch": 1000, "reads": 20000, "spans": 100000, "traces": 100000, ...},
     "warnings": ["warning: sizes too small for stable ratios ..."],
     "databases": [{"name": "postgres", "dialect": "postgres", "url": "postgresql://u:***@h/db",
                    "server_version": "15.6", "title": "rawstore bench: postgres, ...",
                    "figures": [FIGURE, ...], "checks": [{"target": "insert >= 1.0x raw (got 1.23x)", "ok": true}],
                    "notes": ["raw driver: one asyncpg connection ..."]}]}

A FIGURE is one line of the printed table, both sides measured in the same run:

    {"key": "memory.list_messages:page_500", "path": "memory.list_messages", "label": "list_messages page 500 ...",
     "kind": "rate" | "time" | "relative", "unit": "rows/s" | "reads/s" | "ms" | "x", "better": "higher" | "lower",
     "rawstore": 0.69, "raw": 0.71, "ratio": 1.03 | null,
     "stats": {"rawstore": {"n": 41, "median": 0.69, "mean": ..., "min": ..., "p10": ..., "p90": ..., "max": ...,
                            "stdev": ...}, "raw": {...}}}

`key` is unique within a database and stable across runs of the same sizes (page numbers follow the sizes), `path`
is the hot path (one chart each in the HTML report). `ratio` is rawstore's speed over the raw driver's (higher is
better; for times: raw ÷ rawstore), null for the `relative` figures (a page's time over page 1's, per side). `stats`
hold per side what the figure was computed from: for times, per-call milliseconds; for rates, `count` and `seconds`
(and per-call `call_median_ms` / `call_p90_ms` where calls were timed one by one). Readers of schema 1 ignore fields
they do not know, so later versions may add fields; a change of meaning raises the schema number.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import msgspec

SCHEMA = 1
KIND = "rawstore-bench"

Side = Literal["rawstore", "raw"]
Kind = Literal["rate", "time", "relative"]
Better = Literal["higher", "lower"]

# The packages whose versions shape the figures: the drivers of both sides, the codec, the migrator, the progress bar.
PACKAGES = ("msgspec", "asyncpg", "psycopg", "aiomysql", "PyMySQL", "aiosqlite", "yoyo-migrations", "rich")


class Figure(msgspec.Struct, frozen=True, kw_only=True):
    """One measured figure, rawstore and the raw driver side by side (see the module docstring)."""

    key: str
    path: str
    label: str
    kind: Kind
    unit: str
    better: Better
    rawstore: float
    raw: float
    ratio: float | None = None
    stats: dict[str, dict[str, float]] = {}

    def text(self, value: float) -> str:
        """A value as the printed table shows it."""
        if self.kind == "rate":
            return f"{value:,.0f} {self.unit}"
        if self.kind == "time":
            return f"{value:.3f} ms"
        return f"{value:.2f}x"

    def ratio_text(self) -> str:
        return "" if self.ratio is None else f"{self.ratio:.2f}x"


class Check(msgspec.Struct, frozen=True):
    target: str
    ok: bool


class Database(msgspec.Struct, kw_only=True):
    """The figures of one database of the run."""

    name: str
    dialect: str
    url: str
    server_version: str | None
    title: str
    figures: list[Figure]
    checks: list[Check] = []
    notes: list[str] = []


class RawstoreInfo(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    commit: str | None = None
    dirty: bool | None = None


class Environment(msgspec.Struct, kw_only=True):
    python: str
    implementation: str
    platform: str
    machine: str
    cpu_count: int | None
    load_average: dict[str, list[float]] | None
    sqlite_library: str
    packages: dict[str, str | None]


class Document(msgspec.Struct, kw_only=True):
    """A whole `--json` file."""

    schema: int
    kind: str
    started_at: str
    finished_at: str
    rawstore: RawstoreInfo
    environment: Environment
    sizes: dict[str, int]
    databases: list[Database]
    warnings: list[str] = []


# -- figures ------------------------------------------------------------------------------------------------------


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation between the closest ranks."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def sample_stats(seconds: Sequence[float]) -> dict[str, float]:
    """Per-call statistics of timed calls, in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {"n": 0}
    return {
        "n": len(ms),
        "median": statistics.median(ms),
        "mean": statistics.fmean(ms),
        "min": ms[0],
        "p10": _percentile(ms, 0.1),
        "p90": _percentile(ms, 0.9),
        "max": ms[-1],
        "stdev": statistics.stdev(ms) if len(ms) > 1 else 0.0,
    }


def _positive(seconds: float) -> float:
    # A sum of perf_counter differences over real database calls is never 0; the floor only keeps a division defined.
    return max(seconds, 1e-9)


def rate_figure(
    key: str,
    path: str,
    label: str,
    count: int,
    seconds: Mapping[Side, float],
    unit: str = "rows",
    samples: Mapping[Side, list[float]] | None = None,
) -> Figure:
    """`count` items done by each side in `seconds[side]`: items per second, ratio = rawstore's rate / raw's."""
    kit, raw = count / _positive(seconds["rawstore"]), count / _positive(seconds["raw"])
    stats: dict[str, dict[str, float]] = {}
    sides: tuple[Side, Side] = ("rawstore", "raw")
    for side in sides:
        s: dict[str, float] = {"count": count, "seconds": seconds[side]}
        if samples is not None and samples.get(side):
            per_call = sample_stats(samples[side])
            s["call_median_ms"], s["call_p90_ms"] = per_call["median"], per_call["p90"]
        stats[side] = s
    return Figure(
        key=key,
        path=path,
        label=label,
        kind="rate",
        unit=f"{unit}/s",
        better="higher",
        rawstore=kit,
        raw=raw,
        ratio=kit / raw,
        stats=stats,
    )


def time_figure(key: str, path: str, label: str, times: Mapping[Side, list[float]]) -> Figure:
    """Per-call times of each side (seconds): the medians in ms, ratio = raw's median / rawstore's."""
    stats: dict[str, dict[str, float]] = {
        "rawstore": sample_stats(times["rawstore"]),
        "raw": sample_stats(times["raw"]),
    }
    kit, raw = stats["rawstore"]["median"], stats["raw"]["median"]
    return Figure(
        key=key,
        path=path,
        label=label,
        kind="time",
        unit="ms",
        better="lower",
        rawstore=kit,
        raw=raw,
        ratio=raw / kit if kit > 0 else None,
        stats=stats,
    )


def relative_figure(key: str, path: str, label: str, rawstore: float, raw: float) -> Figure:
    """A figure that is itself a ratio within each side (a deep page's time over page 1's): no rawstore/raw ratio."""
    return Figure(
        key=key, path=path, label=label, kind="relative", unit="x", better="lower", rawstore=rawstore, raw=raw
    )


# -- the environment ----------------------------------------------------------------------------------------------


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):  # not on Windows
        return None


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str | None:
    try:
        r = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5, check=False, stdin=None
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout if r.returncode == 0 else None


def rawstore_info() -> RawstoreInfo:
    """rawstore's version, and its commit when known: a git checkout (an editable install), or pip's record of a
    VCS install. A wheel from an index has no commit."""
    from . import __version__

    root = Path(__file__).resolve().parent.parent
    if (root / ".git").exists():
        head = _git(root, "rev-parse", "HEAD")
        if head:
            status = _git(root, "status", "--porcelain", "--untracked-files=no")
            dirty = None if status is None else bool(status)
            return RawstoreInfo(version=__version__, commit=head.strip(), dirty=dirty)
    with contextlib.suppress(Exception):  # metadata of an odd install: the version is still worth reporting
        direct = metadata.distribution("rawstore").read_text("direct_url.json")
        if direct:
            commit = msgspec.json.decode(direct).get("vcs_info", {}).get("commit_id")
            if isinstance(commit, str):
                return RawstoreInfo(version=__version__, commit=commit)
    return RawstoreInfo(version=__version__)


def environment(load_start: list[float] | None) -> Environment:
    """Where the run happened: the interpreter, the machine, its load at the start and now, the packages' versions."""
    end = load_average()
    return Environment(
        python=platform.python_version(),
        implementation=sys.implementation.name,
        platform=platform.platform(),
        machine=platform.machine(),
        cpu_count=os.cpu_count(),
        load_average=None if load_start is None or end is None else {"start": load_start, "end": end},
        sqlite_library=sqlite3.sqlite_version,
        packages={name: _package_version(name) for name in PACKAGES},
    )


# The server's version, in the words of each database (what `rawstore doctor` reports too).
SERVER_VERSION_SQL = {
    "postgres": "SELECT current_setting('server_version') AS version",
    "mysql": "SELECT VERSION() AS version",
    "sqlite": "SELECT sqlite_version() AS version",
}


def utc_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


# -- files --------------------------------------------------------------------------------------------------------


class ReportFileError(Exception):
    """A report file that cannot be written, read or understood; the message is one line naming the file."""


def check_writable(path: str, option: str) -> None:
    """Fail now, before any bench work, when `path` cannot be written at the end. Nothing is left behind."""
    p = Path(path)
    if p.is_dir():
        raise ReportFileError(f"{option} {path}: is a directory")
    try:
        if p.exists():
            with p.open("ab"):
                pass
        else:
            with p.open("xb"):
                pass
            p.unlink()
    except OSError as e:
        raise ReportFileError(f"{option} {path}: cannot write: {e.strerror or e}") from e


def write_atomically(path: str, data: bytes) -> None:
    """Write `data` to a new file next to `path`, then rename it over `path`: a reader never sees half a report."""
    p = Path(path)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, p)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def encode(doc: Document) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc), indent=2) + b"\n"


def load(path: str, option: str = "--compare") -> Document:
    """Read a `--json` file back; ReportFileError (one line) when it is missing, not JSON, or not schema 1."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ReportFileError(f"{option} {path}: cannot read: {e.strerror or e}") from e
    try:
        raw: Any = msgspec.json.decode(data)
    except msgspec.DecodeError as e:
        raise ReportFileError(f"{option} {path}: not JSON: {e}") from e
    if not isinstance(raw, dict) or raw.get("kind") != KIND:
        raise ReportFileError(f"{option} {path}: not a rawstore bench report (written by rawstore bench --json)")
    if raw.get("schema") != SCHEMA:
        raise ReportFileError(
            f"{option} {path}: report schema {raw.get('schema')!r}, this rawstore reads schema {SCHEMA}"
        )
    try:
        return msgspec.convert(raw, Document)
    except msgspec.ValidationError as e:
        raise ReportFileError(f"{option} {path}: invalid report: {e}") from e
