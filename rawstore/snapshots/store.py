"""`SnapshotStore` (`store.snapshots`): one JSON snapshot per workflow run, Mastra's workflows storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final

import msgspec

from ..context import Context, TxContext
from ..drivers.base import Connection
from ..errors import Conflict, InvalidInput
from ..pagination import Page, decode_cursor, encode_cursor
from ..queryset import Many, Scalar
from ..timeutil import MAX_TS, MIN_TS, utcnow
from ..validate import (
    MAX_SHORT,
    check_bool,
    check_dt,
    check_id,
    check_limit,
    check_metadata,
    check_text,
    encode_json,
    plain_id,
)
from .queries import SnapshotQueries as Q
from .records import WorkflowSnapshot

# Sorts after every id a caller can write (ids hold no NUL and compare byte-wise, i.e. by code point, everywhere).
_MAX_ID: Final = "\U0010ffff" * 2
_KIND: Final = "snapshots:runs"
# A cursor's id part is "<workflow_name>\0<run_id>": ids never hold NUL, so the split is unambiguous.
_SEP: Final = "\x00"
# update_results on a missing run inserts it; if another call creates or deletes it at that very moment, it tries
# again this many times before giving up with Conflict.
_ATTEMPTS: Final = 5

# list_runs: (workflow_name given, resource_id given, status given) -> its page and count queries.
_Filters = tuple[bool, bool, bool]
_PAGES: Final[dict[_Filters, Many[WorkflowSnapshot]]] = {
    (False, False, False): Q.runs,
    (True, False, False): Q.runs_by_name,
    (False, True, False): Q.runs_by_resource,
    (False, False, True): Q.runs_by_status,
    (True, True, False): Q.runs_by_name_resource,
    (True, False, True): Q.runs_by_name_status,
    (False, True, True): Q.runs_by_resource_status,
    (True, True, True): Q.runs_by_name_resource_status,
}
_FULL_PAGES: Final[dict[_Filters, Many[WorkflowSnapshot]]] = {
    (False, False, False): Q.runs_with_snapshot,
    (True, False, False): Q.runs_with_snapshot_by_name,
    (False, True, False): Q.runs_with_snapshot_by_resource,
    (False, False, True): Q.runs_with_snapshot_by_status,
    (True, True, False): Q.runs_with_snapshot_by_name_resource,
    (True, False, True): Q.runs_with_snapshot_by_name_status,
    (False, True, True): Q.runs_with_snapshot_by_resource_status,
    (True, True, True): Q.runs_with_snapshot_by_name_resource_status,
}
_COUNTS: Final[dict[_Filters, Scalar[int]]] = {
    (False, False, False): Q.count_runs,
    (True, False, False): Q.count_runs_by_name,
    (False, True, False): Q.count_runs_by_resource,
    (False, False, True): Q.count_runs_by_status,
    (True, True, False): Q.count_runs_by_name_resource,
    (True, False, True): Q.count_runs_by_name_status,
    (False, True, True): Q.count_runs_by_resource_status,
    (True, True, True): Q.count_runs_by_name_resource_status,
}

# update_state's optional keyword -> the snapshot key it sets (Mastra's names).
_STATE_KEYS: Final = (
    ("result", "result"),
    ("error", "error"),
    ("suspended_paths", "suspendedPaths"),
    ("waiting_paths", "waitingPaths"),
)


def _status_of(snapshot: Any) -> str | None:
    """The snapshot's top-level "status" string (at most 64 characters), or None when it has none."""
    if isinstance(snapshot, dict):
        status = snapshot.get("status")
        if isinstance(status, str):
            text: str = check_text(status, "snapshot['status']", MAX_SHORT)
            return text
    return None


def _nested(value: Any, path: str, levels: int, what: str) -> None:
    """Check that `value`, stored `levels` objects deep in a snapshot (at `path`), keeps the snapshot within the
    JSON depth every database takes (and is JSON at all)."""
    wrapped = value
    for _ in range(levels):
        wrapped = {"": wrapped}
    encode_json(wrapped, f"{what} (stored at {path}, {levels} level{'s' if levels > 1 else ''} down)")


def _object(snapshot: Any, key: str, what: str) -> dict[str, Any]:
    """`snapshot[key]` as a dict to update in place, created when missing or null."""
    value = snapshot.get(key)
    if value is None:
        fresh: dict[str, Any] = {}
        snapshot[key] = fresh
        return fresh
    if not isinstance(value, dict):
        raise InvalidInput(f"{what}: the stored snapshot's {key!r} is a {type(value).__name__}, not a JSON object")
    return value


class SnapshotStore:
    """Workflow snapshots: the persisted state of each workflow run (`store.snapshots`).

    One JSON snapshot per (workflow_name, run_id) of the current tenant. Reach it as `store.snapshots` or
    `tx.snapshots`.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @asynccontextmanager
    async def _atomic(self) -> AsyncIterator[Connection]:
        """A connection for one write statement, atomic by itself; inside `store.transaction()` it gets its own
        savepoint, so a failed call leaves the caller's transaction usable."""
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                yield conn
        else:
            async with self._ctx.plain() as conn:
                yield conn

    def _key(self, t: str, workflow_name: object, run_id: object) -> dict[str, Any]:
        # plain_id decides the usual id in one pass; check_id says what is wrong with any other.
        return {
            "tenant_id": t,
            "workflow_name": workflow_name if plain_id(workflow_name) else check_id(workflow_name, "workflow_name"),
            "run_id": run_id if plain_id(run_id) else check_id(run_id, "run_id"),
        }

    # -- whole snapshots ------------------------------------------------------------------------------------

    async def persist(
        self, workflow_name: str, run_id: str, snapshot: Any, *, resource_id: str | None = None
    ) -> WorkflowSnapshot:
        """Store the run's snapshot: insert it, or replace the stored snapshot (upsert on (workflow_name, run_id)).

        An existing run keeps its created_at, and its resource_id when `resource_id` is None. `status` becomes the
        snapshot's top-level "status" string, if any. Returns the stored run; its `snapshot` is the value passed.
        """
        t = self._ctx.tenant()
        values = self._key(t, workflow_name, run_id)
        values["resource_id"] = None if resource_id is None else check_id(resource_id, "resource_id")
        if snapshot is None:
            raise InvalidInput("snapshot must be a JSON value, not None (load returns None for a missing run)")
        values["snapshot"] = encode_json(snapshot, "snapshot")
        values["status"] = _status_of(snapshot)
        values["now"] = self._ctx.ts_out(utcnow())
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                stored = await conn.one(self._ctx[Q.upsert_snapshot], values)
        else:
            # One autocommitted statement on a connection held only for it (the pool's fastest path).
            stored = await self._ctx.one(Q.upsert_snapshot, values)
        assert stored is not None
        return msgspec.structs.replace(stored, snapshot=snapshot)

    async def load(self, workflow_name: str, run_id: str) -> Any | None:
        """The run's snapshot (a parsed JSON value), or None when there is no such run."""
        t = self._ctx.tenant()
        return await self._ctx.one(Q.load_snapshot, self._key(t, workflow_name, run_id))

    async def get_run(self, run_id: str, *, workflow_name: str | None = None) -> WorkflowSnapshot | None:
        """The run with its snapshot, or None. Without `workflow_name`, the newest run (by created_at) of any
        workflow with this run id."""
        t = self._ctx.tenant()
        if workflow_name is None:
            return await self._ctx.one(Q.latest_run, {"tenant_id": t, "run_id": check_id(run_id, "run_id")})
        return await self._ctx.one(Q.get_snapshot, self._key(t, workflow_name, run_id))

    async def delete(self, workflow_name: str, run_id: str) -> bool:
        """Delete the run; whether it existed."""
        t = self._ctx.tenant()
        key = self._key(t, workflow_name, run_id)
        async with self._atomic() as conn:
            n = await conn.run(self._ctx[Q.delete_snapshot], key)
        return n > 0

    # -- listing --------------------------------------------------------------------------------------------

    async def list_runs(
        self,
        *,
        workflow_name: str | None = None,
        resource_id: str | None = None,
        status: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        cursor: str | None = None,
        with_total: bool = False,
        with_snapshot: bool = False,
    ) -> Page[WorkflowSnapshot]:
        """A page of runs, newest first by (created_at, workflow_name, run_id); pass `next_cursor` back as `cursor`.

        Filters (each optional, combined with AND): `workflow_name`, `resource_id`, `status`, and created_at within
        [`since`, `until`] (both inclusive). Every combination is served by its own index. Without `with_snapshot`
        the runs carry `snapshot=None` and the snapshot column is never read. `with_total` adds the count of every
        run matching the filters (all pages).
        """
        t = self._ctx.tenant()
        values: dict[str, Any] = {"tenant_id": t}
        if workflow_name is not None:
            values["workflow_name"] = check_id(workflow_name, "workflow_name")
        if resource_id is not None:
            values["resource_id"] = check_id(resource_id, "resource_id")
        if status is not None:
            values["status"] = check_text(status, "status", MAX_SHORT)
        lo = MIN_TS if since is None else check_dt(since, "since")
        hi = MAX_TS if until is None else check_dt(until, "until")
        check_limit(limit)
        check_bool(with_total, "with_total")
        check_bool(with_snapshot, "with_snapshot")
        c_ts, c_wf, c_run = hi, _MAX_ID, _MAX_ID
        if cursor is not None:
            ts, key = decode_cursor(cursor, _KIND)
            parts = key.split(_SEP)
            if len(parts) != 2:
                raise InvalidInput("cursor is malformed")
            # Strictly before the cursor and at or before `until`: the lesser of the two positions.
            if ts <= hi:
                c_ts, c_wf, c_run = ts, parts[0], parts[1]
        out = self._ctx.ts_out
        values.update(since=out(lo), until=out(hi), c_ts=out(c_ts), c_wf=c_wf, c_run=c_run, limit=limit + 1)
        filters = (workflow_name is not None, resource_id is not None, status is not None)
        page = self._ctx[(_FULL_PAGES if with_snapshot else _PAGES)[filters]]
        async with self._ctx.plain() as conn:
            rows = await conn.many(page, values) if limit else []
            total = None
            if with_total:
                total = await conn.scalar(self._ctx[_COUNTS[filters]], values)
        items = rows[:limit]
        has_more = len(rows) > limit
        nxt = None
        if has_more:
            last = items[-1]
            nxt = encode_cursor(_KIND, last.created_at, last.workflow_name + _SEP + last.run_id)
        return Page(items, nxt, has_more, total)

    # -- atomic read-modify-write ---------------------------------------------------------------------------

    async def update_results(
        self,
        workflow_name: str,
        run_id: str,
        *,
        step_id: str,
        result: Any,
        request_context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Set `snapshot["context"][step_id] = result` and merge `request_context` (shallowly) into
        `snapshot["requestContext"]`, atomically; returns the new context.

        A missing run is created from `{"status": "pending", "context": {}, "requestContext": {}}`. The run is
        row-locked while it is read, changed and written (a write transaction on SQLite), so concurrent updates of
        different steps all survive. InvalidInput (nothing written) when the stored snapshot is not a JSON object,
        or its "context" / "requestContext" is not one.
        """
        t = self._ctx.tenant()
        key = self._key(t, workflow_name, run_id)
        check_id(step_id, "step_id")
        _nested(result, "snapshot['context'][step_id]", 2, "result")
        check_metadata(request_context, "request_context")
        if request_context is not None:
            _nested(request_context, "snapshot['requestContext']", 1, "request_context")
        for _ in range(_ATTEMPTS):
            now = self._ctx.ts_out(utcnow())
            async with self._ctx.write() as conn:
                cur = await conn.one(self._ctx[Q.lock_snapshot], key)
                if cur is not None:
                    snapshot = cur.snapshot
                    if not isinstance(snapshot, dict):
                        raise InvalidInput(
                            f"update_results: the stored snapshot of run {run_id!r} is a {type(snapshot).__name__},"
                            " not a JSON object"
                        )
                    context = _object(snapshot, "context", "update_results")
                    if request_context:
                        _object(snapshot, "requestContext", "update_results").update(request_context)
                    context[step_id] = result
                    text = encode_json(snapshot, "snapshot")
                    await conn.run(self._ctx[Q.update_snapshot], dict(key, snapshot=text, now=now))
                    return context
            # No run yet: create it with this update applied. If another call created it first, nothing is
            # inserted and the next attempt locks and updates that run.
            context = {step_id: result}
            fresh = {"status": "pending", "context": context, "requestContext": dict(request_context or {})}
            values = dict(key, snapshot=encode_json(fresh, "snapshot"), status="pending", now=now)
            async with self._atomic() as conn:
                if await conn.run(self._ctx[Q.insert_new_snapshot], values):
                    return context
        raise Conflict(f"run {run_id!r} of workflow {workflow_name!r} was deleted and created again concurrently")

    async def update_state(
        self,
        workflow_name: str,
        run_id: str,
        *,
        status: str,
        result: Any = None,
        error: Any = None,
        suspended_paths: Any = None,
        waiting_paths: Any = None,
    ) -> Any | None:
        """Set the snapshot's "status" (and the status column) and, for each of the others given (not None),
        "result", "error", "suspendedPaths", "waitingPaths", atomically; returns the new snapshot, or None when
        there is no such run (nothing is created).

        The run is row-locked while it is read, changed and written (a write transaction on SQLite).
        InvalidInput (nothing written) when the stored snapshot is not a JSON object.
        """
        t = self._ctx.tenant()
        key = self._key(t, workflow_name, run_id)
        check_text(status, "status", MAX_SHORT, blank=False)
        given = {"result": result, "error": error, "suspended_paths": suspended_paths, "waiting_paths": waiting_paths}
        changes: dict[str, Any] = {"status": status}
        for arg, name in _STATE_KEYS:
            value = given[arg]
            if value is not None:
                _nested(value, f"snapshot[{name!r}]", 1, arg)
                changes[name] = value
        now = self._ctx.ts_out(utcnow())
        async with self._ctx.write() as conn:
            cur = await conn.one(self._ctx[Q.lock_snapshot], key)
            if cur is None:
                return None
            snapshot = cur.snapshot
            if not isinstance(snapshot, dict):
                raise InvalidInput(
                    f"update_state: the stored snapshot of run {run_id!r} is a {type(snapshot).__name__},"
                    " not a JSON object"
                )
            snapshot.update(changes)
            text = encode_json(snapshot, "snapshot")
            await conn.run(self._ctx[Q.set_state], dict(key, snapshot=text, status=status, now=now))
        return snapshot
