"""Studio pages: scorers → one scorer's statistics, a histogram of its values (SVG) and its newest results."""

from __future__ import annotations

from typing import Any

import msgspec

from ...scores.records import SOURCE_BY_NAME, ScoreSource, ScoreStats
from ...store import Transaction
from ...timeutil import MAX_TS, MIN_TS
from ..app import not_found
from ..ops import bounded, choice, cut, nice_ceiling, read_key_cursor, rows
from ..ops_queries import StudioOpsQueries as Q
from ..web import Req, View, opaque, page

BINS = 20


class Bucket(msgspec.Struct, gc=False):
    """One bar of a histogram: how many scores lie in [lo, hi) (the last bucket includes hi)."""

    lo: float
    hi: float
    count: int


@page("/scores", "scores", nav="Scores", order=60)
async def scorers(req: Req) -> View:
    after = read_key_cursor(req, "scorers")
    found, more = cut(
        await rows(req.tx, Q.scorers, {"tenant_id": req.tenant, "after": after, "limit": req.limit + 1}), req.limit
    )
    cursor = opaque("scorers", found[-1].scorer_id) if more else None
    return View("scores.html", "Scorers", {"scorers": found}, next_url=req.next_url(cursor))


async def _histogram(
    sp: Transaction, tenant: str, scorer_id: str, source: ScoreSource | None, stats: ScoreStats
) -> list[Bucket]:
    """BINS equal buckets from the scorer's minimum to its maximum, counted in SQL (one bucket when every score is
    the same)."""
    lo, hi = stats.min, stats.max
    if lo is None or hi is None or not stats.count:
        return []
    if hi <= lo:
        return [Bucket(lo, hi, stats.count)]
    width = (hi - lo) / BINS
    counts = [0] * BINS
    values = {
        "tenant_id": tenant,
        "scorer_id": scorer_id,
        "source": None if source is None else source.value,
        "lo": lo,
        "width": width,
        # The rows `stats` summed: every score of the scorer (its default window).
        "since": sp._ctx.ts_out(MIN_TS),
        "until": sp._ctx.ts_out(MAX_TS),
    }
    for b in await rows(sp, Q.score_histogram, values):
        # The maximum lands on bucket BINS (and rounding may put a score a bucket off at either edge): fold them in.
        counts[min(max(b.bucket, 0), BINS - 1)] += b.scores
    return [Bucket(lo + i * width, hi if i == BINS - 1 else lo + (i + 1) * width, n) for i, n in enumerate(counts)]


@page("/scores/{scorer_id:path}", "scorer", order=61)
async def scorer(req: Req) -> View:
    scorer_id = req.path_param("scorer_id")
    source = choice(req, "source", SOURCE_BY_NAME)

    async def summary(sp: Transaction) -> tuple[ScoreStats, list[Bucket]]:
        stats = await sp.scores.stats(scorer_id, source=source)
        return stats, await _histogram(sp, req.tenant, scorer_id, source, stats)

    found = await bounded(req, summary)
    results = await req.tx.scores.list_by_scorer(scorer_id, source=source, limit=req.limit, cursor=req.cursor)
    if not results.items and req.cursor is None and source is None:
        raise not_found(f"scorer {scorer_id!r}")
    stats, buckets = found if found is not None else (None, None)
    data: dict[str, Any] = {
        "scorer_id": scorer_id,
        "source": source,
        "sources": list(ScoreSource),
        "stats": stats,
        "histogram": buckets,
        "max_bucket": max((b.count for b in buckets or []), default=0),
        "scale": nice_ceiling(max((b.count for b in buckets or []), default=0)),
        "scores": results.items,
    }
    return View(
        "scorer.html",
        f"Scorer {scorer_id}",
        data,
        next_url=req.next_url(results.next_cursor),
        crumbs=[("Scorers", req.url("/scores"))],
    )
