"""The registry of domains: each `store.<name>` / `tx.<name>` attribute, the class behind it and its query set.

A new domain is one line here (plus its package): `Store` and `Transaction` build their attributes from these
declarations, `connect()` binds every registered query set, and the type checker sees each attribute's class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar, overload, runtime_checkable

from .ai_calls import AICallLog, AICallQueries
from .context import Context
from .evals import EvalQueries, EvalStore
from .jobs import JobQueries, JobQueue
from .memories import MemoryItemQueries, SemanticMemoryStore
from .memory import MemoryQueries, MemoryStore
from .queryset import QuerySet
from .schema import SchemaQueries
from .scores import ScoreQueries, ScoreStore
from .snapshots import SnapshotQueries, SnapshotStore
from .spans import SpanQueries, SpanStore
from .studio.ops_queries import StudioOpsQueries
from .studio.queries import StudioQueries
from .studio.trace_queries import StudioTraceQueries
from .traces import TraceQueries, TraceStore
from .workflows import WorkflowQueries, WorkflowStore

D = TypeVar("D")


class Domain(Generic[D]):
    """Declares one domain attribute: `factory(ctx)` builds it, `queries` is the query set it runs."""

    def __init__(self, factory: Callable[[Context], D], queries: type[QuerySet]) -> None:
        self.factory = factory
        self.queries = queries
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Domain[D]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> D: ...
    def __get__(self, obj: object, owner: type) -> Domain[D] | D:
        # `build` puts the instance into the owner's __dict__, which takes precedence over this (non-data)
        # descriptor: reading `store.memory` costs a plain attribute read. This runs only on the class.
        if obj is None:
            return self
        raise AttributeError(f"{type(obj).__name__}.{self.name} is not built yet")


@runtime_checkable
class _Closing(Protocol):
    async def close(self) -> None: ...


class TransactionDomains:
    """The domains reachable inside `store.transaction()` as `tx.<name>` (and on the store as `store.<name>`)."""

    memory = Domain(MemoryStore, MemoryQueries)
    workflows = Domain(WorkflowStore, WorkflowQueries)
    jobs = Domain(JobQueue, JobQueries)
    snapshots = Domain(SnapshotStore, SnapshotQueries)
    spans = Domain(SpanStore, SpanQueries)
    traces = Domain(TraceStore, TraceQueries)
    scores = Domain(ScoreStore, ScoreQueries)
    evals = Domain(EvalStore, EvalQueries)
    memories = Domain(SemanticMemoryStore, MemoryItemQueries)


class StoreDomains(TransactionDomains):
    """Every domain of a `Store`."""

    # Buffers calls across its own batches, so it has no place inside an application transaction.
    ai_calls = Domain(AICallLog, AICallQueries)


def declared(cls: type) -> Iterator[Domain[Any]]:
    """The domains a class declares, base classes' first, each in declaration order."""
    seen: set[str] = set()
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Domain) and name not in seen:
                seen.add(name)
                yield value


def build(obj: TransactionDomains, ctx: Context) -> None:
    """Give `obj` one instance of each domain its class declares, all running on `ctx`."""
    for d in declared(type(obj)):
        obj.__dict__[d.name] = d.factory(ctx)


async def close_domains(obj: TransactionDomains) -> None:
    """Close the domains that hold resources (buffers, listeners), last declared first, each even if one fails."""
    closing = [v for d in declared(type(obj)) if isinstance(v := obj.__dict__.get(d.name), _Closing)]
    await _close_all(closing[::-1])


async def _close_all(items: list[_Closing]) -> None:
    if not items:
        return
    try:
        await items[0].close()
    finally:
        await _close_all(items[1:])


# Every domain's declared queries, bound to the store's dialect at connect(); store.schema's and the studio's too
# (built apart from the registry, but their queries bind and are checked with all the others).
QUERY_SETS: tuple[type[QuerySet], ...] = (
    *(d.queries for d in declared(StoreDomains)),
    SchemaQueries,
    # The studio's reads (rawstore studio), which no domain call answers.
    StudioQueries,
    StudioTraceQueries,
    StudioOpsQueries,
)
