"""`rawstore bench` reports (issue 12 §3): --json, --html, --compare / --against, and progress per phase.

The real console script at tiny sizes against real databases; nothing here asserts a timing, only that every figure
is there, consistent with the printed table, and drawn, escaped and compared as documented.
"""

from __future__ import annotations

import io
import json
import math
import os
import pty
import re
import select
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import msgspec
import pytest

import rawstore
from rawstore import bench_progress
from rawstore.bench_compare import compare
from rawstore.bench_html import render_html
from rawstore.bench_report import SCHEMA, load
from rawstore.url import parse_url, redact
from tests import dbs
from tests.test_cli import REPO, run

SMALL = ("--messages", "200", "--batch", "50", "--reads", "25", "--spans", "120", "--traces", "300")
MEMORY_KEYS = {
    "memory.save_messages",
    "memory.list_messages:page_1",
    "memory.list_messages:page_2",
    "memory.list_messages:page_2/page_1",
    "memory.include",
    "memory.get_thread",
}
SPANS_KEYS = {
    "spans.create_many",
    "spans.update_many",
    "spans.get_trace",
    "spans.list_traces:page_1",
    "spans.list_traces:page_7",
    "spans.list_traces:page_7/page_1",
    "spans.list_traces:with_summary",
}
# PostgreSQL and MariaDB also time a one-statement form of the raw side's span ends.
VARIANT = {"sqlite": set(), "postgres": {"spans.update_many:raw_one_statement"}}
VARIANT["mysql"] = VARIANT["postgres"]


class Balance(HTMLParser):
    """Every element closed in order (void elements excepted); counts the tags and keeps the attributes."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "embed", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: Counter[str] = Counter()
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> Balance:
    p = Balance()
    p.feed(text)
    p.close()
    assert not p.errors, p.errors[:5]
    assert p.stack == [], p.stack
    assert text.startswith("<!DOCTYPE html>")
    return p


def assert_self_contained(text: str, page: Balance) -> None:
    """No script, nothing loaded from anywhere: the only URL is the SVG namespace."""
    assert page.tags["script"] == 0 and page.tags["link"] == 0 and page.tags["img"] == 0, page.tags
    for tag, attrs in page.attrs:
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
    assert re.findall(r"(?:https?|ftp|file|data):", text.replace("http://www.w3.org/2000/svg", "")) == []


def chart_paths(doc: Any) -> list[str]:
    return list(dict.fromkeys(f.path for d in doc.databases for f in d.figures if f.kind != "relative"))


def assert_document(doc: Any, stdout: str, dialects: list[str]) -> None:
    """Every figure of every database there, finite, consistent with its ratio and with the printed table."""
    assert doc.schema == SCHEMA == 1 and doc.kind == "rawstore-bench"
    assert doc.rawstore.version == rawstore.__version__
    assert doc.sizes == {
        "messages": 200,
        "batch": 50,
        "reads": 25,
        "page_size": 100,
        "spans": 120,
        "traces": 300,
        "trace_size": 120,
    }
    env = doc.environment
    assert env.python == ".".join(map(str, sys.version_info[:3]))
    assert env.cpu_count == os.cpu_count() and env.platform and env.machine and env.sqlite_library
    assert env.load_average is not None and len(env.load_average["start"]) == 3
    for pkg in ("msgspec", "asyncpg", "aiomysql", "aiosqlite", "PyMySQL"):
        assert env.packages[pkg], (pkg, env.packages)
    assert doc.started_at <= doc.finished_at and doc.started_at.endswith("Z")
    assert [d.dialect for d in doc.databases] == dialects
    for db in doc.databases:
        assert db.server_version, db
        keys = [f.key for f in db.figures]
        assert len(keys) == len(set(keys))
        assert set(keys) == MEMORY_KEYS | SPANS_KEYS | VARIANT[db.dialect], sorted(keys)
        for f in db.figures:
            assert math.isfinite(f.rawstore) and f.rawstore > 0 and math.isfinite(f.raw) and f.raw > 0, f
            assert f.path == f.key.split(":")[0], f
            assert f.text(f.rawstore) in stdout and f.text(f.raw) in stdout, f
            if f.kind == "rate":
                assert (f.unit, f.better) in (("rows/s", "higher"), ("reads/s", "higher")), f
                assert f.ratio == pytest.approx(f.rawstore / f.raw)
                assert f.stats["rawstore"]["count"] > 0 and f.stats["raw"]["seconds"] > 0
            elif f.kind == "time":
                assert (f.unit, f.better) == ("ms", "lower"), f
                assert f.ratio == pytest.approx(f.raw / f.rawstore)
                for side in ("rawstore", "raw"):
                    s = f.stats[side]
                    assert s["n"] >= 21 and s["min"] <= s["p10"] <= s["median"] <= s["p90"] <= s["max"], s
                    assert s["median"] == f.rawstore if side == "rawstore" else s["median"] == f.raw
            else:
                assert (f.kind, f.unit, f.ratio) == ("relative", "x", None), f
        get_thread = next(f for f in db.figures if f.key == "memory.get_thread")
        assert get_thread.stats["rawstore"]["count"] == 25 and get_thread.stats["rawstore"]["call_median_ms"] > 0
        for c in db.checks:
            assert f"[{'ok' if c.ok else 'MISS'}] {c.target}" in stdout, c
        assert len(db.checks) == 6 and db.notes


def assert_report_page(doc: Any, text: str) -> Balance:
    page = parse_html(text)
    assert_self_contained(text, page)
    paths = chart_paths(doc)
    assert page.tags["svg"] == len(paths) == 8, (page.tags["svg"], paths)
    labels = [a["aria-label"] or "" for t, a in page.attrs if t == "svg"]
    for path, label in zip(paths, labels, strict=True):
        assert label.startswith(f"{path}: rawstore and the raw driver"), label
    # Two bars (rawstore, raw driver) per charted figure of every database.
    charted = sum(f.kind != "relative" for d in doc.databases for f in d.figures)
    assert [a["class"] for t, a in page.attrs if t == "rect"].count("bar-kit") == charted
    assert [a["class"] for t, a in page.attrs if t == "rect"].count("bar-raw") == charted
    words = " ".join(page.text)
    for db in doc.databases:
        assert db.url in words and (db.server_version or "?") in words
    assert doc.environment.python in words and doc.environment.platform in words
    return page


def test_json_and_html_on_each_database(direct_backend: str, fresh_url: Callable[[str], str], tmp_path: Path) -> None:
    url = fresh_url("rs_bench_report")
    dialect = parse_url(url).dialect
    out_json, out_html = tmp_path / "run.json", tmp_path / "run.html"
    r = run("bench", url, *SMALL, "--json", str(out_json), "--html", str(out_html))
    assert r.returncode == 0, r
    assert f"rawstore bench: wrote {out_json}" in r.stderr and f"rawstore bench: wrote {out_html}" in r.stderr
    raw = json.loads(out_json.read_text("utf-8"))  # plain JSON for any reader
    assert (raw["schema"], raw["kind"], raw["databases"][0]["name"]) == (1, "rawstore-bench", dialect)
    assert raw["databases"][0]["url"] == redact(url)
    doc = load(str(out_json))
    assert_document(doc, r.stdout, [dialect])
    assert_report_page(doc, out_html.read_text("utf-8"))
    # The bench still cleans up after itself with reports on.
    assert not any(p.name.startswith(".run.") for p in tmp_path.iterdir())


def test_several_urls_make_one_report(tmp_path: Path) -> None:
    """`rawstore bench URL URL ...` runs each database in turn: one table each, one report with every database,
    each chart comparing the databases. A second database of the same dialect is named `<dialect>#2`."""
    urls = [f"sqlite:///{tmp_path}/a.db", f"sqlite:///{tmp_path}/b.db"]
    for backend in ("postgres", "mysql"):
        if backend in dbs.selected():
            urls.append(dbs.create_database(backend, f"rs_bench_report_many_{os.getpid()}", tmp_path))
    dialects = [parse_url(u).dialect for u in urls]
    out_json, out_html = tmp_path / "all.json", tmp_path / "all.html"
    r = run("bench", *urls, *SMALL, "--json", str(out_json), "--html", str(out_html))
    assert r.returncode == 0, r
    assert r.stdout.count("\nratio = rawstore speed / raw driver speed") == len(urls), r.stdout
    doc = load(str(out_json))
    assert [d.name for d in doc.databases] == ["sqlite", "sqlite#2", *dialects[2:]]
    assert_document(doc, r.stdout, dialects)
    text = out_html.read_text("utf-8")
    assert_report_page(doc, text)
    # Each chart has a group per database.
    for chunk in text.split("<svg")[1:]:
        svg = chunk.split("</svg>")[0]
        assert svg.count('class="db"') == len(urls), svg[:300]


def test_every_url_is_migrated_before_any_is_benchmarked(tmp_path: Path) -> None:
    """An unreachable last URL fails in seconds, before the first database is benchmarked, and writes no report."""
    out_json = tmp_path / "r.json"
    r = run(
        "bench", f"sqlite:///{tmp_path}/a.db", "postgresql://nobody:pw@127.0.0.1:1/x", *SMALL, "--json", str(out_json)
    )
    assert (r.returncode, r.stdout) == (1, ""), r
    assert "rawstore: MigrationError: cannot connect to postgresql://nobody:***@127.0.0.1:1/x" in r.stderr, r.stderr
    assert "pw" not in r.stderr
    assert "saving 200 messages" not in r.stderr and not out_json.exists()


def test_html_escapes_every_value(tmp_path: Path) -> None:
    """A path with markup in it (a directory name may hold anything) is text in the page, never markup."""
    folder = tmp_path / 'x<script>alert(1)</script>&"q'
    folder.mkdir(parents=True)  # "</script>" holds a slash: two nested folders
    out_html = tmp_path / "x.html"
    r = run("bench", f"sqlite:///{folder}/b.db", *SMALL, "--html", str(out_html), "--json", str(tmp_path / "x.json"))
    assert r.returncode == 0, r
    text = out_html.read_text("utf-8")
    page = parse_html(text)
    assert page.tags["script"] == 0 and "<script>" not in text
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;q" in text
    assert f"sqlite:///{folder}/b.db" in " ".join(page.text)  # the reader sees the value as it is
    # Labels and notes go through the same escaping, in the SVG too.
    doc = load(str(tmp_path / "x.json"))
    doc.databases[0].figures[0] = msgspec.structs.replace(doc.databases[0].figures[0], label="<b onload=x>'&'</b>")
    doc.databases[0].notes.append("<img src=x>")
    text = render_html(doc)
    page = parse_html(text)
    assert page.tags["b"] == 0 and page.tags["img"] == 0
    assert "&lt;b onload=x&gt;&#x27;&amp;&#x27;&lt;/b&gt;" in text and "&lt;img src=x&gt;" in text
    assert_self_contained(text, page)


def _write(path: Path, doc: Any) -> None:
    path.write_bytes(msgspec.json.encode(doc))


def test_compare_marks_regressions_and_figures_in_one_file(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    url = f"sqlite:///{tmp_path}/b.db"
    r = run("bench", url, *SMALL, "--json", str(old))
    assert r.returncode == 0, r
    # A run that compares itself against the first: the tables, then the change of every figure.
    r = run("bench", url, *SMALL, "--json", str(new), "--compare", str(old))
    assert r.returncode == 0, r
    head = f"rawstore bench --compare: {old} ("
    assert head in r.stdout and ") -> this run (" in r.stdout, r.stdout
    assert r.stdout.index("ratio = rawstore speed") < r.stdout.index(head)
    base = load(str(new))
    for key in ("memory.save_messages", "spans.get_trace", "memory.list_messages:page_2/page_1"):
        assert any(
            line.startswith(next(f.label for f in base.databases[0].figures if f.key == key))
            for line in r.stdout.splitlines()
        ), key

    # Inject a regression of each kind into a copy of the second run, drop one figure, add another.
    doc = load(str(new))
    figs = {f.key: f for f in doc.databases[0].figures}
    gt, tr = figs["memory.get_thread"], figs["spans.get_trace"]
    figs["memory.get_thread"] = msgspec.structs.replace(gt, rawstore=gt.rawstore / 2, ratio=(gt.ratio or 0) / 2)
    figs["spans.get_trace"] = msgspec.structs.replace(tr, rawstore=tr.rawstore * 1.5, raw=tr.raw * 1.5)
    sm = figs["memory.save_messages"]
    figs["memory.save_messages"] = msgspec.structs.replace(sm, rawstore=sm.rawstore * 3, ratio=(sm.ratio or 0) * 3)
    del figs["memory.include"]
    figs["memory.extra"] = msgspec.structs.replace(sm, key="memory.extra", label="a figure only the new run has")
    doc.databases[0].figures = list(figs.values())
    worse = tmp_path / "worse.json"
    _write(worse, doc)

    r = run("bench", "--compare", str(new), "--against", str(worse))
    assert (r.returncode, r.stderr) == (0, ""), r
    rows = {line.split(" | ")[0].strip(): line for line in r.stdout.splitlines() if " | " in line}
    assert rows[gt.label].endswith("REGRESSION: rawstore -50.0%, ratio -50.0%"), rows[gt.label]
    cells = [c.strip() for c in rows[gt.label].split("|")]
    assert cells[3:6] == ["-50.0%", "+0.0%", f"{gt.ratio:.2f}x -> {(gt.ratio or 0) / 2:.2f}x"], cells  # raw unchanged
    # A time that grew on both sides: rawstore is worse, its ratio is not.
    assert rows[tr.label].endswith("REGRESSION: rawstore +50.0%"), rows[tr.label]
    assert rows[sm.label].endswith("improved"), rows[sm.label]
    assert rows[figs["memory.list_messages:page_1"].label].endswith("|"), "an unchanged figure has no verdict"
    assert rows["include +-5 around a middle message"].endswith("only in old")
    assert rows["a figure only the new run has"].endswith("only in new")
    assert "2 REGRESSION(S) beyond 10%:" in r.stdout
    assert "  sqlite memory.get_thread: rawstore -50.0%, ratio -50.0%" in r.stdout
    assert "  sqlite spans.get_trace: rawstore +50.0%" in r.stdout
    # --check turns a regression into exit status 1; a higher threshold lets them pass.
    r = run("bench", "--compare", str(new), "--against", str(worse), "--check")
    assert r.returncode == 1 and "REGRESSION" in r.stdout, r
    r = run("bench", "--compare", str(new), "--against", str(worse), "--check", "--threshold", "60")
    assert r.returncode == 0 and "no regression beyond 60%" in r.stdout, r
    r = run("bench", "--compare", str(new), "--against", str(new), "--check")
    assert r.returncode == 0 and "no regression beyond 10%" in r.stdout, r


def test_compare_notes_sizes_environment_and_databases(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert run("bench", f"sqlite:///{tmp_path}/b.db", *SMALL, "--json", str(old)).returncode == 0
    doc = load(str(old))
    doc.sizes["messages"] = 400
    doc.environment.python = "3.99.0"
    doc.environment.packages["msgspec"] = None
    doc.databases.append(msgspec.structs.replace(doc.databases[0], name="postgres", dialect="postgres"))
    doc.databases[0].server_version = "3.0.0"
    _write(new, doc)
    result = compare(load(str(old)), load(str(new)), old_name="old.json", new_name="new.json")
    text = result.render()
    assert "note: sizes differ (messages 200 -> 400)" in text
    assert f"note: python {sys.version_info[0]}.{sys.version_info[1]}" in text and "-> 3.99.0" in text
    assert "-> not installed" in text
    assert "note: postgres: only in new.json, nothing to compare" in text
    assert "note: sqlite server " in text and "-> 3.0.0" in text
    assert [r.database for r in result.rows] == ["sqlite"] * len(doc.databases[0].figures)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "--compare {p}: cannot read: No such file or directory"),
        (b"{not json", "--compare {p}: not JSON: "),
        (b'{"schema": 1}', "--compare {p}: not a rawstore bench report (written by rawstore bench --json)"),
        (b'{"schema": 2, "kind": "rawstore-bench"}', "--compare {p}: report schema 2, this rawstore reads schema 1"),
        (b'{"schema": 1, "kind": "rawstore-bench"}', "--compare {p}: invalid report: Object missing required field"),
    ],
)
def test_unusable_compare_file_is_one_line_before_any_work(tmp_path: Path, content: bytes | None, message: str) -> None:
    p = tmp_path / "old.json"
    if content is not None:
        p.write_bytes(content)
    db = tmp_path / "b.db"
    r = run("bench", f"sqlite:///{db}", *SMALL, "--compare", str(p))
    assert (r.returncode, r.stdout) == (2, ""), r
    assert r.stderr.startswith("rawstore bench: " + message.format(p=p)), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert not db.exists()  # nothing was benchmarked, nothing migrated
    r = run("bench", "--compare", str(p), "--against", str(p))
    assert (r.returncode, r.stdout) == (2, "") and r.stderr.count("\n") == 1, r


def test_mismatched_figures_in_a_compare_file_are_named(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    assert run("bench", f"sqlite:///{tmp_path}/b.db", *SMALL, "--json", str(good)).returncode == 0
    raw = json.loads(good.read_text("utf-8"))
    raw["databases"][0]["figures"][3]["rawstore"] = "fast"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(raw), "utf-8")
    r = run("bench", "--compare", str(good), "--against", str(bad))
    assert (r.returncode, r.stdout) == (2, ""), r
    assert r.stderr == (
        f"rawstore bench: --against {bad}: invalid report: Expected `float`, got `str`"
        " - at `$.databases[0].figures[3].rawstore`\n"
    ), r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--json", "{tmp}/missing/x.json"), "rawstore bench: --json {tmp}/missing/x.json: cannot write: No such file"),
        (("--html", "{tmp}"), "rawstore bench: --html {tmp}: is a directory"),
        (("--json", "{tmp}/r", "--html", "{tmp}/r"), "rawstore bench: --json and --html name the same file: {tmp}/r"),
        (("--against", "{tmp}/n.json"), "rawstore: error: bench: --against NEW.json needs --compare OLD.json;"),
        (("--threshold", "-5"), "rawstore bench: error: argument --threshold: must be a positive number of percent"),
    ],
)
def test_bad_report_options_are_one_line_before_any_work(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    db = tmp_path / "b.db"
    r = run("bench", f"sqlite:///{db}", *SMALL, *(a.format(tmp=tmp_path) for a in args))
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr.startswith(message.format(tmp=tmp_path)) and r.stderr.count("\n") == 1, r.stderr
    assert not db.exists() and not (tmp_path / "r").exists()


def test_against_runs_nothing_so_takes_no_url_or_outputs(tmp_path: Path) -> None:
    for extra in (("sqlite:///x.db",), ("--json", str(tmp_path / "x.json")), ("--html", str(tmp_path / "x.html"))):
        r = run("bench", *extra, "--compare", "a.json", "--against", "b.json")
        assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1, r
        assert "rawstore: error: bench: --" in r.stderr, r.stderr
    assert list(tmp_path.iterdir()) == []
    help_ = " ".join(run("bench", "--help").stdout.split())
    for words in ("--json PATH", "--html PATH", "--compare OLD.json", "--against NEW.json", "--threshold PCT"):
        assert words in help_, (words, help_)
    assert "compares two report files and runs nothing" in help_


# -- progress -----------------------------------------------------------------------------------------------------


def test_progress_is_plain_lines_when_not_a_terminal(tmp_path: Path) -> None:
    r = run("bench", f"sqlite:///{tmp_path}/b.db", *SMALL)
    assert r.returncode == 0, r
    assert "\x1b[" not in r.stderr and "\r" not in r.stderr  # no terminal control at all
    lines = r.stderr.splitlines()
    assert all(line.startswith("rawstore bench: ") for line in lines), lines
    for title, done in (
        ("saving 200 messages into each of two threads, batches of 50", "save_messages: done, 400 rows in "),
        ("timing pages", "list_messages: done, 184 calls in "),
        ("timing include", "include: done, 212 calls in "),
        ("timing 25 get_thread calls per side", "get_thread: done, 100 calls in "),
        ("spans: creating 120 spans per side", "spans.create_many: done, 240 rows in "),
        ("spans: ending 120 spans per side", "spans.update_many: done, 240 rows in "),
        ("spans: timing get_trace and list_traces", "get_trace, list_traces: done, 324 calls in "),
    ):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"rawstore bench: {title}"))
        after = next(line for line in lines[at + 1 :] if ": done, " in line)
        assert after.startswith(f"rawstore bench:   {done}") and after.endswith("/s)"), (title, after)


def test_plain_progress_lines_have_rate_and_eta() -> None:
    out = io.StringIO()
    now = [0.0]
    p = bench_progress.PlainProgress(out, clock=lambda: now[0])
    with p.phase("saving", total=1000, unit="rows", label="save") as tick:
        for _ in range(10):
            now[0] += 2.0
            tick(100)
    assert out.getvalue().splitlines() == [
        "rawstore bench: saving",
        *(
            f"rawstore bench:   save: {n:,} / 1,000 rows (50 rows/s, ETA 0:{(1000 - n) // 50:02d})"
            for n in range(100, 1000, 100)
        ),
        "rawstore bench:   save: done, 1,000 rows in 20.00 s (50 rows/s)",
    ]
    # At most one line a second, whatever the steps.
    out.truncate(0)
    out.seek(0)
    with p.phase("fast", total=1000, unit="calls", label="f") as tick:
        for _ in range(1000):
            now[0] += 0.001
            tick(1)
    assert len(out.getvalue().splitlines()) == 2
    assert isinstance(bench_progress.make_progress(io.StringIO()), bench_progress.PlainProgress)


def _under_a_terminal(args: list[str], *, block_rich: bool = False) -> tuple[int, str, str]:
    """Run `rawstore ARGS` with stderr on a pseudo-terminal; (exit status, stdout, what the terminal got)."""
    main, child = pty.openpty()
    code = "import sys\n"
    if block_rich:
        code += "sys.modules['rich'] = None  # as if the bench extra were not installed\n"
    code += "from rawstore.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=child, cwd=REPO, env=env, text=True
    )
    os.close(child)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError("no output from the bench under a terminal for 120 s")
        try:
            data = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.stdout is not None
    with proc.stdout:
        stdout = proc.stdout.read()
    return proc.wait(60), stdout, b"".join(chunks).decode("utf-8", "replace")


def test_progress_bars_on_a_terminal(tmp_path: Path) -> None:
    code, stdout, term = _under_a_terminal(["bench", f"sqlite:///{tmp_path}/b.db", *SMALL])
    assert code == 0, term
    assert "list_traces page 1 with_summary" in stdout  # the table still goes to stdout, undisturbed
    assert "\x1b[" not in stdout
    assert "rawstore bench: saving 200 messages" in term
    if bench_progress.rich_installed():  # the bench extra (dev installs it)
        assert "━" in term and "ETA" in term and "rows/s" in term and "calls/s" in term, term[-2000:]
        assert "save_messages" in term and "get_trace, list_traces" in term
        assert "install rawstore[bench]" not in term
    else:
        assert "install rawstore[bench] (rich) for progress bars" in term
    # Without rich, a terminal gets the plain lines and a hint.
    code, stdout, term = _under_a_terminal(["bench", f"sqlite:///{tmp_path}/c.db", *SMALL], block_rich=True)
    assert code == 0, term
    assert "rawstore bench: progress as plain lines: install rawstore[bench] (rich) for progress bars" in term
    assert "save_messages: done, 400 rows in " in term and "━" not in term
