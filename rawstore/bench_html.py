"""`rawstore bench --html`: one self-contained HTML file from a bench document (`rawstore.bench_report`).

No network, no script: the page template (`bench_report.html`, shipped in the package) carries the CSS and a
Content-Security-Policy that forbids loading anything; the charts are inline SVG drawn here. One chart per hot path
(`Figure.path`): per database, each figure of the path as two bars, rawstore and the raw driver, on one scale per
chart, with the ratio at the right. Every value that comes from the document (labels, URLs, versions, notes) is
HTML-escaped, in the SVG too.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from string import Template

from .bench_report import Database, Document, Figure

# Chart geometry, in SVG user units (the SVG scales to the page's width).
WIDTH = 800
SIDE_X = 12  # where "rawstore" / "raw driver" start
BAR_X = 96  # where bars start
VALUE_ROOM = 130  # right of the longest bar: its value, and the ratio
BAR_H = 13
LABEL_H = 18
ROW_GAP = 12
DB_H = 26


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _paths(doc: Document) -> list[str]:
    """The hot paths that have a chartable figure, in the order the bench measured them."""
    out: dict[str, None] = {}
    for db in doc.databases:
        for f in db.figures:
            if f.kind != "relative":
                out.setdefault(f.path, None)
    return list(out)


def _tip(f: Figure, side: str) -> str:
    """A bar's tooltip: the exact value and the statistics behind it."""
    stats = f.stats.get(side, {})
    parts = [
        f"{'rawstore' if side == 'rawstore' else 'raw driver'}: {f.text(f.rawstore if side == 'rawstore' else f.raw)}"
    ]
    if f.kind == "time" and stats:
        parts.append(
            f"median of {stats.get('n', 0):.0f} calls; p10 {stats.get('p10', 0):.3f} ms, p90 {stats.get('p90', 0):.3f}"
            f" ms, min {stats.get('min', 0):.3f} ms"
        )
    elif f.kind == "rate" and stats:
        parts.append(f"{stats.get('count', 0):,.0f} in {stats.get('seconds', 0):.3f} s")
    return "; ".join(parts)


def chart(path: str, databases: list[Database]) -> str:
    """The SVG of one hot path: per database, per figure, rawstore's bar above the raw driver's."""
    groups = [(db, [f for f in db.figures if f.path == path and f.kind != "relative"]) for db in databases]
    groups = [(db, figs) for db, figs in groups if figs]
    values = [v for _, figs in groups for f in figs for v in (f.rawstore, f.raw)]
    top = max([v for v in values if v > 0] or [1.0])
    span = WIDTH - BAR_X - VALUE_ROOM
    better = groups[0][1][0].better if groups else "higher"
    unit = groups[0][1][0].unit if groups else ""
    parts: list[str] = []
    y = 4
    for db, figs in groups:
        version = f" · {db.server_version}" if db.server_version else ""
        parts.append(f'<text class="db" x="0" y="{y + 16}">{_e(db.name + version)}</text>')
        y += DB_H
        for f in figs:
            parts.append(f'<text x="{SIDE_X}" y="{y + 13}">{_e(f.label)}</text>')
            if f.ratio is not None:
                cls = "ratio-good" if f.ratio >= 1 else "ratio"
                parts.append(
                    f'<text class="{cls}" x="{WIDTH - 4}" y="{y + 13}" text-anchor="end">'
                    f"<title>rawstore speed / raw driver speed</title>{_e(f.ratio_text())}</text>"
                )
            y += LABEL_H
            for side, value, name in (("rawstore", f.rawstore, "rawstore"), ("raw", f.raw, "raw driver")):
                length = max(1.0, value / top * span) if value > 0 else 0.0
                css = "bar-kit" if side == "rawstore" else "bar-raw"
                parts.append(f'<text class="side" x="{SIDE_X}" y="{y + 10}">{name}</text>')
                parts.append(
                    f'<rect class="{css}" x="{BAR_X}" y="{y}" width="{length:.1f}" height="{BAR_H}" rx="2">'
                    f"<title>{_e(_tip(f, side))}</title></rect>"
                )
                parts.append(
                    f'<text class="value" x="{BAR_X + length + 6:.1f}" y="{y + 10}">{_e(f.text(value))}</text>'
                )
                y += BAR_H + 2
            y += ROW_GAP
    height = y + 4
    label = f"{path}: rawstore and the raw driver, {unit}, {better} is better"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{_e(label)}">{"".join(parts)}</svg>'
    )


def _row(*cells: str, header: bool = False, num: tuple[int, ...] = ()) -> str:
    tag = "th" if header else "td"
    numeric = ' class="num"'
    return "<tr>" + "".join(f"<{tag}{numeric if i in num else ''}>{c}</{tag}>" for i, c in enumerate(cells)) + "</tr>"


def _figures_table(db: Database) -> str:
    rows = [_row("operation", "rawstore", "raw driver", "ratio", header=True, num=(1, 2, 3))]
    for f in db.figures:
        rows.append(_row(_e(f.label), _e(f.text(f.rawstore)), _e(f.text(f.raw)), _e(f.ratio_text()), num=(1, 2, 3)))
    out = [f"<table>{''.join(rows)}</table>"]
    if db.checks:
        items = "".join(
            f'<li><span class="{"ok" if c.ok else "miss"}">[{"ok" if c.ok else "MISS"}]</span> {_e(c.target)}</li>'
            for c in db.checks
        )
        out.append(f'<ul class="checks">{items}</ul>')
    if db.notes:
        out.append('<div class="notes">' + "".join(f"<p>{_e(n)}</p>" for n in db.notes) + "</div>")
    return "".join(out)


def _environment_table(doc: Document) -> str:
    env, rs = doc.environment, doc.rawstore
    commit = "unknown" if rs.commit is None else rs.commit + (" (uncommitted changes)" if rs.dirty else "")
    load = "unknown"
    if env.load_average is not None:
        load = "; ".join(f"{when} {' '.join(f'{x:.2f}' for x in values)}" for when, values in env.load_average.items())
    rows = [
        ("rawstore", rs.version),
        ("rawstore commit", commit),
        ("python", f"{env.python} ({env.implementation})"),
        ("platform", env.platform),
        ("machine", env.machine),
        ("cpu count", "unknown" if env.cpu_count is None else str(env.cpu_count)),
        ("load average (1, 5, 15 min)", load),
        ("SQLite library", env.sqlite_library),
        *((f"package {name}", version or "not installed") for name, version in env.packages.items()),
        *((f"database {db.name}", f"{db.url} — server {db.server_version or 'unknown'}") for db in doc.databases),
        ("started", doc.started_at),
        ("finished", doc.finished_at),
    ]
    body = "".join(f'<tr><th>{_e(k)}</th><td class="mono">{_e(v)}</td></tr>' for k, v in rows)
    return f"<table>{body}</table>"


def _sizes_table(doc: Document) -> str:
    body = "".join(f'<tr><th>{_e(k)}</th><td class="num">{v:,}</td></tr>' for k, v in doc.sizes.items())
    return f"<table>{body}</table>"


def render_html(doc: Document) -> str:
    """The whole report page."""
    names = ", ".join(db.name for db in doc.databases) or "no database"
    title = f"rawstore bench: {names} ({doc.started_at[:16].replace('T', ' ')} UTC)"
    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">rawstore {_e(doc.rawstore.version)} · python {_e(doc.environment.python)} · '
        f"{_e(doc.environment.platform)} · {_e(doc.environment.cpu_count)} CPUs · report schema {doc.schema}</p>",
        *(f'<p class="warning">{_e(w)}</p>' for w in doc.warnings),
        '<p class="legend"><span><i class="swatch kit"></i>rawstore</span>'
        '<span><i class="swatch raw"></i>raw driver, same work, same run</span>'
        "<span>ratio = rawstore speed / raw driver speed (1.00x = as fast; higher is better)</span></p>",
        "<h2>Hot paths</h2>",
    ]
    for path in _paths(doc):
        first = next(f for db in doc.databases for f in db.figures if f.path == path and f.kind != "relative")
        how = "higher is better" if first.better == "higher" else "lower is better"
        body.append(
            f"<figure><h3>{_e(path)}</h3><figcaption>{_e(first.unit)}, {how}</figcaption>"
            f"{chart(path, doc.databases)}</figure>"
        )
    body.append("<h2>Figures</h2>")
    for db in doc.databases:
        body.append(f"<h3>{_e(db.name)}</h3>{_figures_table(db)}")
    body.append(f"<h2>Environment</h2>{_environment_table(doc)}")
    body.append(f"<h2>Sizes</h2>{_sizes_table(doc)}")
    template = Template(resources.files("rawstore").joinpath("bench_report.html").read_text("utf-8"))
    return template.substitute(title=_e(title), generator=_e(f"rawstore {doc.rawstore.version}"), body="\n".join(body))
