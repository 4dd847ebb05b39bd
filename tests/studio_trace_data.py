"""Traces for the studio's traces pages: a 200-span agent run with nesting, errors, a running span, an orphan, a deep
chain and an XSS payload; small traces of each status; another tenant's; and a realistic support-agent run for the
README's screenshot (`python -m tests.studio_trace_data [OUT_DIR]` writes docs/img/studio-waterfall.png).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import rawstore
from rawstore import Score, ScoreSource
from rawstore.spans import Span
from tests.studio_support import XSS

T0 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
BIG = "trace-big"
BIG_SPANS = 200
DEEP = 16  # levels of the deep chain: past the waterfall's 12 indents
XSS_SPAN = "s-xss"
ERROR_SPAN = "s-error"
RUNNING_SPAN = "s-running"
ORPHAN_SPAN = "s-orphan"
SCORED_SPAN = "s-llm-0003"


class _Builder:
    """Appends spans of one trace; times are offsets in ms after `t0`."""

    def __init__(self, trace_id: str, t0: datetime, **common: Any) -> None:
        self.trace_id = trace_id
        self.t0 = t0
        self.common = common
        self.spans: list[Span] = []

    def add(
        self,
        span_id: str,
        name: str,
        span_type: str,
        start_ms: float,
        end_ms: float | None,
        parent: str | None,
        **fields: Any,
    ) -> Span:
        s = Span(
            self.trace_id,
            span_id,
            name,
            span_type,
            self.t0 + timedelta(milliseconds=start_ms),
            parent_span_id=parent,
            ended_at=None if end_ms is None else self.t0 + timedelta(milliseconds=end_ms),
            **{**self.common, **fields},
        )
        self.spans.append(s)
        return s


def usage(i: int, o: int) -> dict[str, Any]:
    return {"usage": {"inputTokens": i, "outputTokens": o}}


def big_trace(trace_id: str = BIG, t0: datetime = T0, n: int = BIG_SPANS) -> list[Span]:
    """An agent run of exactly `n` spans: steps of LLM calls, tool calls and retrievals (some nested three deep),
    a sub-agent every fifth step, failing tools, a chain DEEP levels deep, one span still running, one orphan and
    one span whose name, input and attributes carry the XSS payload."""
    b = _Builder(trace_id, t0, resource_id="user/1", thread_id="t-1")
    root = "s-root"
    b.add(root, "agent run: support-triage", "agent_run", 0, 0, None, entity_type="agent", entity_id="support")
    b.add(XSS_SPAN, f"tool: {XSS}", "tool_call", 5, 25, root, input={"query": XSS}, attributes={"note": XSS})
    # A chain DEEP levels deep under the root.
    parent = root
    for d in range(DEEP):
        sid = f"s-deep-{d:02d}"
        b.add(sid, f"nested call level {d + 1}", "workflow_step", 30 + d, 200 - d, parent)
        parent = sid
    b.add(ERROR_SPAN, "tool: charge_card", "tool_call", 210, 260, root, error={"message": f"declined {XSS}"})
    at = 300.0
    i = 0
    reserved = 2  # the running span and the orphan come last
    while len(b.spans) < n - reserved:
        step = f"s-step-{i:04d}"
        room = n - reserved - len(b.spans)
        b.add(step, f"step {i}: plan and act", "workflow_step", at, at + 120, root)
        if room > 1:
            b.add(
                f"s-llm-{i:04d}",
                "llm: gpt-4o-mini",
                "model_generation",
                at + 2,
                at + 60,
                step,
                input={"messages": [{"role": "user", "content": f"step {i}"}]},
                output={"text": f"call lookup_order for step {i}"},
                attributes={"model": "gpt-4o-mini", **usage(800 + i, 60 + i)},
            )
        if room > 2:
            failing = i % 7 == 6
            b.add(
                f"s-tool-{i:04d}",
                "tool: lookup_order",
                "tool_call",
                at + 62,
                at + 100,
                step,
                input={"order_id": str(4000 + i)},
                output=None if failing else {"status": "delivered"},
                error={"message": "timeout after 30s", "type": "ToolTimeout"} if failing else None,
            )
        if room > 3 and i % 3 == 0:
            b.add(f"s-ret-{i:04d}", "retrieval: orders-kb", "retrieval", at + 64, at + 90, f"s-tool-{i:04d}")
        if room > 4 and i % 3 == 0:
            b.add(
                f"s-emb-{i:04d}",
                "embed: text-embedding-3-small",
                "model_generation",
                at + 65,
                at + 70,
                f"s-ret-{i:04d}",
                attributes=usage(12, 0),
            )
        if room > 5 and i % 5 == 4:
            b.add(f"s-sub-{i:04d}", "agent run: refund-checker", "agent_run", at + 101, at + 118, step)
        at += 125
        i += 1
    end = at + 50
    b.spans[0].ended_at = t0 + timedelta(milliseconds=end)
    b.add(RUNNING_SPAN, "tool: wait_for_human", "tool_call", end - 200, None, root)
    b.add(ORPHAN_SPAN, "llm: late export", "model_generation", 40, 90, "s-not-exported")
    assert len(b.spans) == n
    return b.spans


def small_traces(t0: datetime = T0) -> list[Span]:
    """Three one-level traces, one of each root status, older than the big one, with other names, types and
    entities."""
    out: list[Span] = []
    for trace_id, name, span_type, entity, hours, end, error in (
        ("trace-ok", "agent run: support", "agent_run", ("agent", "support"), 1, 900, None),
        ("trace-err", "workflow run: billing", "workflow_run", ("workflow", "billing"), 2, 400, {"message": "boom"}),
        ("trace-run", "agent run: support", "agent_run", ("agent", "support"), 3, None, None),
    ):
        b = _Builder(trace_id, t0 - timedelta(hours=hours), entity_type=entity[0], entity_id=entity[1])
        b.add("r", name, span_type, 0, end, None, error=error)
        b.add("c1", "llm: gpt-4o", "model_generation", 10, 300, "r", attributes=usage(100, 20))
        out += b.spans
    return out


def scores(trace_id: str = BIG) -> list[Score]:
    def score(scorer: str, span_id: str, value: float, reason: str) -> Score:
        return Score(
            "",
            scorer,
            "run-1",
            "support",
            value,
            {"score": value},
            ScoreSource.LIVE,
            {"name": scorer},
            entity_type="agent",
            trace_id=trace_id,
            span_id=span_id,
            reason=reason,
        )

    return [
        score("helpfulness", "s-root", 0.82, "answered the question"),
        score("toxicity", "s-root", 0.0, "clean"),
        score("faithfulness", SCORED_SPAN, 0.5, f"half grounded {XSS}"),
    ]


async def seed_traces(url: str, *, pgbouncer: bool = False) -> None:
    """The big trace with its scores and the small traces in the default tenant; tenant `acme` has one trace of
    its own and a trace with the big trace's id (the studio must show each tenant only its own)."""
    async with rawstore.connect(url, pgbouncer=pgbouncer) as store:
        await store.spans.create_many(big_trace() + small_traces())
        await store.scores.save_many(scores())
        with rawstore.tenant("acme"):
            b = _Builder("trace-acme", T0 + timedelta(hours=1))
            b.add("r", "acme agent", "agent_run", 0, 50, None)
            b2 = _Builder(BIG, T0, entity_type="agent", entity_id="support")
            b2.add("only", "acme's trace-big", "agent_run", 0, 10, None)
            await store.spans.create_many(b.spans + b2.spans)


async def seed_many(url: str, count: int, *, pgbouncer: bool = False) -> list[str]:
    """`count` one-span traces, some sharing a start (keyset ties); returns their ids newest first."""
    spans = [
        Span(f"trace-{i:03d}", "r", f"run {i}", "agent_run", T0 + timedelta(seconds=i // 3), ended_at=T0 + timedelta(1))
        for i in range(count)
    ]
    async with rawstore.connect(url, pgbouncer=pgbouncer) as store:
        await store.spans.create_many(spans)
    return [s.trace_id for s in sorted(spans, key=lambda s: (s.started_at, s.trace_id), reverse=True)]


# ---- the README's waterfall: a support agent answering one ticket ----------------------------------------------

DEMO = "4bf92f3577b34da6a3ce929d0e0e4736"
DEMO_T0 = datetime(2026, 12, 3, 14, 2, 7, tzinfo=UTC)
DEMO_SELECTED = "b7ad6b7169203331"


def demo_trace() -> tuple[list[Span], list[Score]]:
    """A support agent's run: plan with an LLM, look the order up, search the knowledge base (embedding + vector
    search + rerank), a refund sub-agent with its own LLM and tool calls (one tool times out and is retried), the
    final answer; a guardrail scorer on the answer."""
    b = _Builder(DEMO, DEMO_T0, resource_id="customer-8812", thread_id="thr-4471")
    ids = iter(f"{0x9A3F20C1D2E40000 + 0x1111 * k:016x}" for k in range(1, 100))
    root = "00f067aa0ba902b7"
    question = "My order #4471 arrived with a cracked screen. Can I get a replacement before Friday?"
    b.add(
        root,
        "agent run: support-agent",
        "agent_run",
        0,
        6840,
        None,
        entity_type="agent",
        entity_id="support-agent",
        entity_name="Support agent v3",
        input={"messages": [{"role": "user", "content": question}]},
        output={"text": "Replacement RMA-20931 ships today by express; it arrives Thursday."},
        attributes={"agent": "support-agent", "version": "3.4.1"},
    )

    def llm(parent: str, start: float, end: float, prompt: str, answer: str, i: int, o: int, model: str) -> str:
        sid = next(ids)
        b.add(
            sid,
            f"llm: {model}",
            "model_generation",
            start,
            end,
            parent,
            input={
                "messages": [
                    {"role": "system", "content": "You are Acme's support agent."},
                    {"role": "user", "content": prompt},
                ]
            },
            output={"text": answer},
            attributes={"model": model, "provider": "openai", "temperature": 0.2, **usage(i, o)},
        )
        return sid

    def tool(parent: str, start: float, end: float, name: str, args: Any, result: Any, error: Any = None) -> str:
        sid = next(ids)
        b.add(
            sid,
            f"tool: {name}",
            "tool_call",
            start,
            end,
            parent,
            input=args,
            output=result,
            error=error,
            attributes={"tool": name},
        )
        return sid

    plan = next(ids)
    b.add(plan, "step: plan", "workflow_step", 12, 1320, root)
    llm(plan, 20, 1300, question, "Look up order 4471, check warranty, offer a replacement.", 1184, 96, "gpt-4o")
    act = next(ids)
    b.add(act, "step: gather facts", "workflow_step", 1330, 2900, root)
    tool(
        act,
        1340,
        1610,
        "lookup_order",
        {"order_id": "4471"},
        {"status": "delivered", "sku": "TAB-11-128", "delivered": "2026-12-02"},
    )
    ret = next(ids)
    b.add(
        ret,
        "retrieval: warranty-kb",
        "retrieval",
        1345,
        2880,
        act,
        input={"query": "cracked screen warranty"},
        output={"documents": ["warranty-terms#3", "replacements#1", "shipping#7"]},
        attributes={"top_k": 3},
    )
    emb = next(ids)
    b.add(emb, "embed: text-embedding-3-small", "model_generation", 1350, 1480, ret, attributes=usage(9, 0))
    b.add(next(ids), "vector search: kb_chunks", "retrieval", 1490, 1620, ret, attributes={"index": "hnsw", "k": 20})
    llm(ret, 1630, 2870, "Rerank 20 passages for: cracked screen warranty", "[3, 1, 7]", 3420, 12, "gpt-4o-mini")
    refund = next(ids)
    b.add(
        refund,
        "agent run: replacement-agent",
        "agent_run",
        2910,
        6200,
        root,
        entity_type="agent",
        entity_id="replacement-agent",
    )
    llm(
        refund,
        2920,
        3900,
        "Order 4471 under warranty; arrange a replacement by Friday.",
        "call check_stock, then create_replacement",
        1630,
        74,
        "gpt-4o-mini",
    )
    tool(refund, 3910, 4150, "check_stock", {"sku": "TAB-11-128", "warehouse": "east"}, {"available": 14})
    tool(
        refund,
        4160,
        4960,
        "create_replacement",
        {"order_id": "4471", "shipping": "express"},
        None,
        {"message": "carrier API timeout after 800 ms", "type": "ToolTimeout"},
    )
    b.add(
        DEMO_SELECTED,
        "tool: create_replacement (retry)",
        "tool_call",
        4970,
        5480,
        refund,
        input={"order_id": "4471", "shipping": "express", "attempt": 2},
        output={"rma": "RMA-20931", "eta": "2026-12-05", "label": "sent"},
        attributes={"tool": "create_replacement", "attempt": 2},
    )
    llm(
        refund,
        5490,
        6190,
        "Replacement created: RMA-20931, ETA Thursday.",
        "Summarise for the customer.",
        980,
        58,
        "gpt-4o-mini",
    )
    answer = next(ids)
    b.add(answer, "step: answer", "workflow_step", 6210, 6830, root)
    final = llm(
        answer,
        6215,
        6820,
        "Write the reply.",
        "I'm sorry about the screen. Replacement RMA-20931 ships today by express and arrives Thursday.",
        2210,
        64,
        "gpt-4o",
    )
    b.add(next(ids), "event: reply sent", "event", 6830, 6830, root, is_event=True)
    score = Score(
        "",
        "tone",
        "run-7",
        "support-agent",
        0.92,
        {"score": 0.92},
        ScoreSource.LIVE,
        {"name": "tone"},
        trace_id=DEMO,
        span_id=final,
        reason="polite, apologetic, concrete next step",
    )
    grounded = Score(
        "",
        "faithfulness",
        "run-7",
        "support-agent",
        1.0,
        {"score": 1.0},
        ScoreSource.LIVE,
        {"name": "faithfulness"},
        trace_id=DEMO,
        span_id=DEMO_SELECTED,
        reason="the RMA and ETA match the tool output",
    )
    return b.spans, [score, grounded]


async def seed_demo(url: str) -> None:
    spans, demo_scores = demo_trace()
    async with rawstore.connect(url, migrate=True) as store:
        with rawstore.tenant("acme"):
            await store.spans.create_many(spans)
            await store.scores.save_many(demo_scores)


def main() -> None:
    from tests.studio_support import browser, running_studio

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        asyncio.run(seed_demo(url))
        with running_studio(url) as base, browser() as b:
            page = b.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{base}/traces/{DEMO}?tenant=acme&span={DEMO_SELECTED}")
            page.screenshot(path=str(out / "studio-waterfall.png"))
            page.close()
    print(f"wrote {out / 'studio-waterfall.png'}")


if __name__ == "__main__":
    main()
