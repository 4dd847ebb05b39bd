"""rawstore.otel.SpanExporter with the real OpenTelemetry SDK, on every backend."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode

import rawstore
from rawstore.otel import SpanExporter

SPANS = 10_000
THREADS = 8
SPANS_PER_TRACE = 10


def key(ctx: SpanContext) -> tuple[str, str]:
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


async def stored_keys(store: rawstore.Store) -> list[tuple[str, str]]:
    async with store.transaction() as tx:
        rows = await tx.fetch("SELECT trace_id, span_id FROM rs_ai_spans")
    return [(r["trace_id"], r["span_id"]) for r in rows]


def finished_spans(make: object) -> list[ReadableSpan]:
    """The ReadableSpans that `make(tracer)` finishes, from the real SDK."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-test"}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    make(provider.get_tracer("tests.otel", "1.2.3"))  # type: ignore[operator]
    provider.shutdown()
    return list(memory.get_finished_spans())


class TimedExporter(SpanExporter):
    """Adds up the time spent in export() (the SDK's worker exports one batch at a time)."""

    busy = 0.0
    batches = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        started = time.perf_counter()
        try:
            return super().export(spans)
        finally:
            self.busy += time.perf_counter() - started
            self.batches += 1


async def test_batch_processor_stores_every_span_exactly_once(backend: str, db_url: str) -> None:
    exporter = TimedExporter(db_url, connect_options={"pgbouncer": backend == "pgbouncer", "max_size": 4})
    provider = TracerProvider(resource=Resource.create({"service.name": "otel-load"}), shutdown_on_exit=False)
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=SPANS, schedule_delay_millis=50))
    tracer = provider.get_tracer("tests.otel")
    made: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        mine = []
        for t in range(SPANS // THREADS // SPANS_PER_TRACE):
            with tracer.start_as_current_span(
                f"agent {n}.{t}", attributes={"gen_ai.operation.name": "invoke_agent"}
            ) as root:
                for c in range(SPANS_PER_TRACE - 1):
                    with tracer.start_as_current_span(f"chat {c}") as child:
                        child.set_attribute("gen_ai.usage.input_tokens", 3)
                        mine.append(key(child.get_span_context()))
                mine.append(key(root.get_span_context()))
        with lock:
            made.extend(mine)

    def run() -> float:
        started = time.perf_counter()
        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert provider.force_flush()
        elapsed = time.perf_counter() - started
        provider.shutdown()
        return elapsed

    elapsed = await asyncio.to_thread(run)
    print(
        f"\notel exporter {backend}: {SPANS} spans from {THREADS} threads committed in {elapsed:.2f} s "
        f"({SPANS / elapsed:,.0f} spans/s end to end); {exporter.batches} export() calls took {exporter.busy:.2f} s "
        f"({SPANS / exporter.busy:,.0f} spans/s written)"
    )
    assert len(made) == SPANS
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as store:
        keys = await stored_keys(store)
        assert len(keys) == SPANS
        assert sorted(keys) == sorted(made)
        page = await store.spans.list_traces(limit=5, with_summary=True)
        assert page.items[0].summary is not None
        assert page.items[0].summary.span_count == SPANS_PER_TRACE
        assert page.items[0].summary.input_tokens == 3 * (SPANS_PER_TRACE - 1)
        assert page.items[0].span_type == "agent_run"
        assert page.items[0].scope["service.name"] == "otel-load"


async def test_mapping_of_a_genai_span(store: rawstore.Store) -> None:
    start = 1_760_000_000_123_456_789

    def make(tracer: object) -> None:
        other = tracer.start_span("other")  # type: ignore[attr-defined]
        other.end()
        with tracer.start_as_current_span(  # type: ignore[attr-defined]
            "invoke_agent support",
            kind=SpanKind.INTERNAL,
            attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.id": "a-1", "gen_ai.agent.name": "Sup"},
        ):
            span = tracer.start_span(  # type: ignore[attr-defined]
                "chat gpt-4o-mini",
                kind=SpanKind.CLIENT,
                start_time=start,
                links=[Link(other.get_span_context(), {"why": "retry of"})],
                attributes={
                    "gen_ai.operation.name": "chat",
                    "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.system": "openai",
                    "gen_ai.conversation.id": "thread-9",
                    "gen_ai.usage.input_tokens": 812,
                    "gen_ai.usage.output_tokens": 95,
                    "gen_ai.request.stop_sequences": ("a", "b"),
                    "odd": "nul\x00char",
                },
            )
            span.add_event("gen_ai.choice", {"index": 0}, timestamp=start + 5_000)
            span.record_exception(ValueError("bad answer"))
            span.set_status(Status(StatusCode.ERROR, "model failed"))
            span.end(end_time=start + 2_000_000_999)

    spans = finished_spans(make)
    exporter = SpanExporter(store)
    assert await asyncio.to_thread(exporter.export, spans) is SpanExportResult.SUCCESS
    chat = next(s for s in spans if s.name.startswith("chat"))
    trace_id = format(chat.context.trace_id, "032x")  # type: ignore[union-attr]
    trace = await store.spans.get_trace(trace_id)
    assert trace is not None and len(trace.spans) == 2
    root = trace.root
    assert (root.span_type, root.entity_type, root.entity_id, root.entity_name) == ("agent_run", "agent", "a-1", "Sup")
    rec = root.children[0]
    assert rec.span_id == format(chat.context.span_id, "016x")  # type: ignore[union-attr]
    assert rec.parent_span_id == root.span_id
    assert rec.name == "chat gpt-4o-mini" and rec.span_type == "model_generation"
    assert rec.started_at == datetime(2025, 10, 9, 8, 53, 20, 123456, tzinfo=UTC)
    assert rec.ended_at == rec.started_at + timedelta(seconds=2, microseconds=1)  # truncated, not rounded
    assert rec.thread_id == "thread-9"
    assert rec.attributes["model"] == "gpt-4o-mini" and rec.attributes["provider"] == "openai"
    assert rec.attributes["gen_ai.request.stop_sequences"] == ["a", "b"]
    assert rec.attributes["odd"] == "nul\ufffdchar"
    assert rec.scope["service.name"] == "otel-test"
    assert rec.metadata["kind"] == "CLIENT" and rec.metadata["status"] == "ERROR"
    assert rec.metadata["status_message"] == "model failed"
    assert rec.metadata["instrumentation_scope"] == {"name": "tests.otel", "version": "1.2.3"}
    assert [e["name"] for e in rec.metadata["events"]] == ["gen_ai.choice", "exception"]
    assert rec.metadata["events"][0] == {
        "name": "gen_ai.choice",
        "timestamp": "2025-10-09T08:53:20.123461+00:00",
        "attributes": {"index": 0},
    }
    assert rec.error["message"] == "model failed" and rec.error["type"] == "ValueError"
    other = next(s for s in spans if s.name == "other")
    assert rec.links == [
        {
            "trace_id": format(other.context.trace_id, "032x"),  # type: ignore[union-attr]
            "span_id": format(other.context.span_id, "016x"),  # type: ignore[union-attr]
            "attributes": {"why": "retry of"},
        }
    ]
    page = await store.spans.list_traces(entity_id="a-1", with_summary=True)
    assert page.items[0].summary is not None
    assert (page.items[0].summary.input_tokens, page.items[0].summary.output_tokens) == (812, 95)
    assert page.items[0].summary.error_count == 1
    exporter.shutdown()


async def test_provider_name_wins_over_system(store: rawstore.Store) -> None:
    def make(tracer: object) -> None:
        attrs = {"gen_ai.provider.name": "anthropic", "gen_ai.system": "old", "gen_ai.response.model": "m"}
        tracer.start_span("chat", attributes=attrs).end()  # type: ignore[attr-defined]

    spans = finished_spans(make)
    exporter = SpanExporter(store)
    assert await asyncio.to_thread(exporter.export, spans) is SpanExportResult.SUCCESS
    (page,) = (await store.spans.list_traces()).items
    assert page.attributes["provider"] == "anthropic" and page.attributes["model"] == "m"
    assert page.span_type == "generic" and page.metadata["status"] == "UNSET"


async def test_duplicates_are_skipped(store: rawstore.Store) -> None:
    def make(tracer: object) -> None:
        for i in range(5):
            tracer.start_span(f"s{i}").end()  # type: ignore[attr-defined]

    spans = finished_spans(make)
    exporter = SpanExporter(store)

    def export(batch: Sequence[ReadableSpan]) -> SpanExportResult:
        return exporter.export(batch)

    assert await asyncio.to_thread(export, spans[:2]) is SpanExportResult.SUCCESS
    assert await asyncio.to_thread(export, spans) is SpanExportResult.SUCCESS  # two of five stored already
    assert await asyncio.to_thread(export, [spans[4], spans[4]]) is SpanExportResult.SUCCESS  # twice in one batch
    keys = await stored_keys(store)
    assert len(keys) == 5 and len(set(keys)) == 5
    assert await asyncio.to_thread(exporter.force_flush)
    exporter.shutdown()


async def test_tenant_and_concurrent_exports(store: rawstore.Store) -> None:
    def make(tracer: object) -> None:
        for i in range(40):
            tracer.start_span(f"s{i}").end()  # type: ignore[attr-defined]

    spans = finished_spans(make)
    exporter = SpanExporter(store, tenant="acme")
    results = await asyncio.gather(*(asyncio.to_thread(exporter.export, spans[i::4]) for i in range(4)))
    assert results == [SpanExportResult.SUCCESS] * 4
    with rawstore.tenant("acme"):
        assert (await store.spans.list_traces(limit=100, with_total=True)).total == 40
    assert (await store.spans.list_traces(with_total=True)).total == 0
    exporter.shutdown()


async def test_failures_are_returned_not_raised(
    backend: str, db_url: str, store: rawstore.Store, caplog: pytest.LogCaptureFixture
) -> None:
    def make(tracer: object) -> None:
        tracer.start_span("s").end()  # type: ignore[attr-defined]

    spans = finished_spans(make)
    # Called on the store's own loop thread (a SimpleSpanProcessor in async code): FAILURE, not a deadlock.
    exporter = SpanExporter(store)
    with caplog.at_level(logging.ERROR, logger="rawstore.otel"):
        assert exporter.export(spans) is SpanExportResult.FAILURE
    assert "own event loop" in caplog.text
    exporter.shutdown()
    assert await asyncio.to_thread(exporter.export, spans) is SpanExportResult.FAILURE  # after shutdown
    assert await stored_keys(store) == []  # the store given is still open
    # A store that has been closed under the exporter: FAILURE, logged.
    other = await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer")
    exporter = SpanExporter(other)
    await other.close()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="rawstore.otel"):
        assert await asyncio.to_thread(exporter.export, spans) is SpanExportResult.FAILURE
    assert "exporting 1 spans failed" in caplog.text
    exporter.shutdown()


def test_a_store_needs_its_loop(tmp_path: object) -> None:
    async def open_store() -> rawstore.Store:
        return await rawstore.connect(f"sqlite:///{tmp_path}/x.db", migrate=True)

    loop = asyncio.new_event_loop()
    try:
        store = loop.run_until_complete(open_store())
        with pytest.raises(ValueError, match="loop="):
            SpanExporter(store)
        with pytest.raises(TypeError):
            SpanExporter(42)  # type: ignore[arg-type]
        loop.run_until_complete(store.close())
    finally:
        loop.close()


def test_import_rawstore_does_not_import_otel() -> None:
    code = "import sys, rawstore; assert 'rawstore.otel' not in sys.modules and 'opentelemetry' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_a_required_tenant_is_given_or_every_export_fails(
    backend: str, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    def make(tracer: object) -> None:
        tracer.start_span("s").end()  # type: ignore[attr-defined]

    spans = finished_spans(make)
    async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", tenancy="required") as store:
        without = SpanExporter(store)
        with caplog.at_level(logging.ERROR, logger="rawstore.otel"):
            assert await asyncio.to_thread(without.export, spans) is SpanExportResult.FAILURE
        assert "TenantRequired" in caplog.text
        with_tenant = SpanExporter(store, tenant="acme")
        assert await asyncio.to_thread(with_tenant.export, spans) is SpanExportResult.SUCCESS
        with rawstore.tenant("acme"):
            assert len((await store.spans.list_traces()).items) == 1
        without.shutdown()
        with_tenant.shutdown()
