"""An OpenTelemetry SDK span exporter that writes finished spans into `store.spans` (extra `rawstore[otel]`).

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from rawstore.otel import SpanExporter

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(SpanExporter("postgresql://…")))
    trace.set_tracer_provider(provider)

Not imported by `import rawstore` (it needs `opentelemetry-sdk`). See docs/otel.md for the mapping and the rules.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import math
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter as _SdkSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.trace import SpanKind, StatusCode

from .errors import Conflict
from .spans import Span
from .store import Store, connect
from .tenancy import tenant as _tenant

__all__ = ["SpanExporter", "to_span"]

log = logging.getLogger("rawstore.otel")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAME_MAX = 1024
_TYPE_MAX = 64
_ID_MAX = 255

# gen_ai.operation.name → span_type (Mastra's span types); any other operation name is kept as the type itself.
_OPERATION_TYPES = {
    "chat": "model_generation",
    "text_completion": "model_generation",
    "generate_content": "model_generation",
    "execute_tool": "tool_call",
    "invoke_agent": "agent_run",
    "create_agent": "agent_run",
    "invoke_workflow": "workflow_run",
}

_KINDS = {k: k.name for k in SpanKind}
_STATUSES = {c: c.name for c in StatusCode}


def _time(ns: int) -> datetime:
    """Nanoseconds since the epoch → an aware UTC datetime, truncated to the microsecond."""
    return _EPOCH + timedelta(microseconds=ns // 1000)


def _text(value: str) -> str:
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _json(value: Any) -> Any:
    """An attribute value as JSON: tuples become lists, NUL characters U+FFFD, non-finite floats strings."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {_text(str(k)): _json(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset):
        return [_json(v) for v in value]
    return _text(str(value))


def _attrs(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if attributes:
        for k, v in attributes.items():
            t = type(v)
            if t is str:
                out[_text(k)] = v if "\x00" not in v else _text(v)
            elif t is int or t is bool or (t is float and math.isfinite(v)):
                out[_text(k)] = v
            else:
                out[_text(str(k))] = _json(v)
    return out


# The resource and instrumentation scope are shared by every span of a provider / tracer: their JSON is made once.
_last_resource: tuple[object, Any] = (None, None)
_last_scope: tuple[object, Any] = (None, None)


def _resource_json(resource: Any) -> Any:
    global _last_resource
    last = _last_resource
    if last[0] is resource:
        return last[1]
    value = _attrs(resource.attributes) if resource is not None else None
    _last_resource = (resource, value)
    return value


def _scope_json(scope: Any) -> Any:
    global _last_scope
    last = _last_scope
    if last[0] is scope:
        return last[1]
    value = None if scope is None else {"name": _text(scope.name), "version": _json(scope.version)}
    _last_scope = (scope, value)
    return value


def _id(value: Any) -> str | None:
    """An attribute usable as an id column (non-blank text of at most 255 characters), else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value)
    if not text.strip() or len(text) > _ID_MAX or "\x00" in text:
        return None
    return text


def _first(attributes: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        value = attributes.get(key)
        if value is not None and value != "":
            return value
    return None


def to_span(span: ReadableSpan) -> Span:
    """The `store.spans` record of one finished OpenTelemetry span (the mapping of docs/otel.md)."""
    ctx = span.context
    if ctx is None:
        raise ValueError("span has no context")
    attributes = _attrs(span.attributes)
    name = _text(span.name or "")[:_NAME_MAX]
    if not name.strip():
        name = "(unnamed)"
    operation = attributes.get("gen_ai.operation.name")
    span_type = "generic"
    if isinstance(operation, str) and operation.strip():
        span_type = _OPERATION_TYPES.get(operation, operation[:_TYPE_MAX])
    model = _first(attributes, "gen_ai.request.model", "gen_ai.response.model")
    if model is not None:
        attributes.setdefault("model", model)
    provider = _first(attributes, "gen_ai.provider.name", "gen_ai.system")
    if provider is not None:
        attributes.setdefault("provider", provider)
    agent_id = _id(attributes.get("gen_ai.agent.id"))
    agent_name = _id(attributes.get("gen_ai.agent.name"))

    events: list[dict[str, Any]] = [
        {"name": _text(e.name), "timestamp": _time(e.timestamp).isoformat(), "attributes": _attrs(e.attributes)}
        for e in span.events
    ]
    status = span.status
    error: dict[str, Any] | None = None
    if status.status_code is StatusCode.ERROR:
        exc: dict[str, Any] = next((e["attributes"] for e in events if e["name"] == "exception"), {})
        error = {"message": _text(status.description or "") or exc.get("exception.message") or "error"}
        for key in ("type", "message", "stacktrace"):
            if f"exception.{key}" in exc:
                error.setdefault(key, exc[f"exception.{key}"])
    metadata: dict[str, Any] = {"kind": _KINDS[span.kind], "status": _STATUSES[status.status_code]}
    if status.description:
        metadata["status_message"] = _text(status.description)
    if events:
        metadata["events"] = events
    scope = _scope_json(span.instrumentation_scope)
    if scope is not None:
        metadata["instrumentation_scope"] = scope
    links = [
        {
            "trace_id": format(link.context.trace_id, "032x"),
            "span_id": format(link.context.span_id, "016x"),
            "attributes": _attrs(link.attributes),
        }
        for link in span.links
    ]
    start = span.start_time if span.start_time is not None else span.end_time
    return Span(
        trace_id=format(ctx.trace_id, "032x"),
        span_id=format(ctx.span_id, "016x"),
        name=name,
        span_type=span_type,
        started_at=_time(start) if start is not None else datetime.now(UTC),
        parent_span_id=format(span.parent.span_id, "016x") if span.parent is not None else None,
        ended_at=_time(span.end_time) if span.end_time is not None else None,
        scope=_resource_json(span.resource),
        attributes=attributes or None,
        metadata=metadata,
        links=links or None,
        error=error,
        entity_type="agent" if agent_id or agent_name else None,
        entity_id=agent_id,
        entity_name=agent_name,
        thread_id=_id(attributes.get("gen_ai.conversation.id")),
        session_id=_id(attributes.get("session.id")),
    )


class SpanExporter(_SdkSpanExporter):
    """Writes each `export()` batch into `store.spans` with one `create_many` (one transaction).

    `store_or_url`: a database URL (the exporter opens its own Store, on an event loop it runs in a background
    thread, with `connect_options` passed to `rawstore.connect`, and closes it on `shutdown()`), or an open Store
    together with the event loop it lives on (`loop`; default: the loop running when the exporter is made). A Store
    it was given is never closed by the exporter. `tenant`: the tenant every span is written in. `timeout`: seconds
    an `export()` waits for its write before it gives up and returns FAILURE.
    """

    def __init__(
        self,
        store_or_url: Store | str,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        tenant: str | None = None,
        timeout: float = 30.0,
        connect_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._tenant = tenant
        self._timeout = timeout
        self._pending: set[concurrent.futures.Future[int]] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._thread: threading.Thread | None = None
        if isinstance(store_or_url, str):
            if loop is not None:
                raise ValueError("loop= goes with a Store; with a URL the exporter runs its own event loop")
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, name="rawstore-otel", daemon=True)
            self._thread.start()
            opts = dict(connect_options or {})
            url = store_or_url

            async def open_store() -> Store:
                return await connect(url, **opts)

            try:
                self._store = asyncio.run_coroutine_threadsafe(open_store(), self._loop).result()
            except BaseException:
                self._stop_loop()
                raise
            self._owned = True
        elif isinstance(store_or_url, Store):
            if connect_options is not None:
                raise ValueError("connect_options= goes with a URL; a Store is already open")
            if loop is None:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    raise ValueError(
                        "a Store lives on the event loop it was opened on: pass loop=, or make the exporter "
                        "inside that loop, or pass a URL"
                    ) from None
            self._loop = loop
            self._store = store_or_url
            self._owned = False
        else:
            raise TypeError(f"store_or_url must be a rawstore.Store or a URL, not {type(store_or_url).__name__}")

    @property
    def store(self) -> Store:
        """The Store the spans are written to."""
        return self._store

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Write the batch and wait until it is committed; SUCCESS, or FAILURE (logged, never raised)."""
        try:
            return self._export(spans)
        except Exception:
            log.exception("rawstore.otel: exporting %d spans failed", len(spans))
            return SpanExportResult.FAILURE

    def _export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            log.warning("rawstore.otel: export() after shutdown(); %d spans dropped", len(spans))
            return SpanExportResult.FAILURE
        records = [to_span(s) for s in spans]
        if not records:
            return SpanExportResult.SUCCESS
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is self._loop:
                log.error(
                    "rawstore.otel: export() called on the store's own event loop thread (it would deadlock); "
                    "use a BatchSpanProcessor; %d spans dropped",
                    len(records),
                )
                return SpanExportResult.FAILURE
        with self._lock:
            if self._closed:
                return SpanExportResult.FAILURE
            write = self._write(records)
            try:
                future = asyncio.run_coroutine_threadsafe(write, self._loop)
            except BaseException:  # the loop is closed: the coroutine never runs
                write.close()
                raise
            self._pending.add(future)
        try:
            future.result(self._timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            log.error("rawstore.otel: writing %d spans took over %s s; gave up", len(records), self._timeout)
            return SpanExportResult.FAILURE
        finally:
            with self._lock:
                self._pending.discard(future)
        return SpanExportResult.SUCCESS

    @contextlib.contextmanager
    def _in_tenant(self) -> Iterator[None]:
        if self._tenant is None:
            yield
        else:
            with _tenant(self._tenant):
                yield

    async def _write(self, records: list[Span]) -> int:
        with self._in_tenant():
            try:
                return await self._store.spans.create_many(records)
            except Conflict:
                pass
            # Some span of the batch is stored already (an exporter retried, or a span exported twice): write the
            # batch span by span, skipping the stored ones, so that a retry stores each span exactly once.
            written = 0
            for record in records:
                try:
                    await self._store.spans.create(record)
                    written += 1
                except Conflict:
                    pass
            log.info("rawstore.otel: skipped %d spans already stored", len(records) - written)
            return written

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """True once every export() under way has committed (or failed); False if that takes over the timeout."""
        with self._lock:
            pending = list(self._pending)
        if not pending:
            return True
        _, not_done = concurrent.futures.wait(pending, timeout=timeout_millis / 1000)
        return not not_done

    def shutdown(self) -> None:
        """Refuse further exports, wait for the ones under way, and close the Store and loop the exporter opened."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.force_flush(int(self._timeout * 1000))
        if not self._owned:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._store.close(), self._loop).result(self._timeout)
        except Exception:
            log.exception("rawstore.otel: closing the store failed")
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join()
        self._loop.close()
