"""Studio page: AI calls — cost and tokens per model per day over the last days (SVG charts from one index range),
and the totals per model of `store.ai_calls.get_stats`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ...ai_calls.records import NANOS
from ...ai_calls.store import AICallLog
from ...store import Transaction
from ..ops import bounded, clock, nice_ceiling, rows
from ..ops_queries import DailyModelUsage
from ..ops_queries import StudioOpsQueries as Q
from ..web import Req, View, page

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _days(usage: list[DailyModelUsage], first: datetime, days: int) -> tuple[list[dict[str, Any]], list[str]]:
    """One entry per day of the window (days without calls too), each with its models' totals, and the model keys
    by total cost, costliest first (the charts' stacking and colour order)."""
    cost: dict[str, int] = {}
    for u in usage:
        cost[u.model_key] = cost.get(u.model_key, 0) + u.cost_nanos
    models = sorted(cost, key=lambda m: (-cost[m], m))
    order = {m: i for i, m in enumerate(models)}
    by_day: dict[str, list[DailyModelUsage]] = {}
    for u in usage:
        by_day.setdefault(u.day, []).append(u)
    out = []
    for i in range(days):
        day = (first + timedelta(days=i)).strftime("%Y-%m-%d")
        entries = sorted(by_day.get(day, []), key=lambda u: order[u.model_key])
        out.append(
            {
                "day": day,
                "calls": sum(u.calls for u in entries),
                "input_tokens": sum(u.input_tokens for u in entries),
                "output_tokens": sum(u.output_tokens for u in entries),
                "cost": sum(u.cost_nanos for u in entries) / NANOS,
                "models": [
                    {
                        "model_key": u.model_key,
                        "calls": u.calls,
                        "input_tokens": u.input_tokens,
                        "output_tokens": u.output_tokens,
                        "tokens": u.input_tokens + u.output_tokens,
                        "cost": u.cost_nanos / NANOS,
                    }
                    for u in entries
                ],
            }
        )
    return out, models


@page("/ai-calls", "ai-calls", nav="AI calls", order=50)
async def ai_calls(req: Req) -> View:
    days = req.int_arg("days", DEFAULT_DAYS, least=1, most=MAX_DAYS)
    topic = req.arg("topic") or ""
    now = (await clock(req)).astimezone(UTC)
    # Whole UTC days: today and the days before it.
    first = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=days - 1)
    usage = await bounded(
        req, lambda sp: rows(sp, Q.ai_daily, {"tenant_id": req.tenant, "since": req.ctx.ts_out(first)})
    )

    async def stats(sp: Transaction) -> Any:
        # The domain's own call, on the savepoint's connection: the AI call log is not a transaction domain (it
        # buffers writes), but a log that has logged nothing only reads.
        return await AICallLog(sp._ctx).get_stats(topic)

    totals = await bounded(req, stats)
    daily, models = ([], []) if usage is None else _days(usage, first, days)
    max_cost = max((d["cost"] for d in daily), default=0.0)
    max_tokens = max((d["input_tokens"] + d["output_tokens"] for d in daily), default=0)
    return View(
        "ai_calls.html",
        "AI calls",
        {
            "days": days,
            "since": first.strftime("%Y-%m-%d"),
            "topic": topic,
            "daily": daily if usage is not None else None,
            "models": models,
            "max_cost": max_cost,
            "max_tokens": max_tokens,
            # The charts' scales: round numbers at or above the largest day.
            "cost_scale": nice_ceiling(max_cost),
            "tokens_scale": nice_ceiling(max_tokens),
            "stats": totals,
        },
    )
