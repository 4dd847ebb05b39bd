"""`WorkflowStore` (`store.workflows`): runs, stages, logs and artifacts.

Every kit-set timestamp and every time comparison uses the database's clock, claims are single atomic statements (or a
SKIP LOCKED pick and its mark in one transaction on MariaDB), updates can be fenced by `expected_version`, stage
outputs are written in one statement, and log batches in one round trip. See docs/workflows.md.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Final

import msgspec

from ..context import Context, TxContext
from ..drivers.base import Connection, Row
from ..enums import ARTIFACT_TYPE_BY_NAME, LEVEL_BY_NAME, STATUS_BY_NAME, ArtifactType, LogLevel, Status
from ..errors import Conflict, InvalidInput, NotFound
from ..ids import uuid7
from ..queryset import Exec, One
from ..validate import (
    check_dt,
    check_id,
    check_int,
    check_limit,
    check_metadata,
    check_text,
    encode_json,
    json_text,
    shown,
)
from .patch import (
    K_COST,
    K_I32,
    K_ID,
    K_JSON_ANY,
    K_META,
    K_NAME,
    K_STAT,
    K_TEXT,
    K_TS,
    K_U32,
    K_U64,
    RUN_CHECKS,
    STAGE_CHECKS,
    STAGE_DEFAULTS,
    UNSET,
    Patch,
    RunPatch,
    StagePatch,
    Unset,
)
from .queries import LOG_FIELDS
from .queries import WorkflowQueries as Q
from .records import WorkflowArtifact, WorkflowLog, WorkflowRun, WorkflowStage

_decode = msgspec.json.decode
_JSON = msgspec.json.Encoder()

MAX_NAME = 255
"""Longest workflow_name, workflow_type and stage_name (characters)."""
MAX_KEY = 400
"""Longest artifact key (characters): keeps MariaDB's unique (tenant, run, key) index within InnoDB's limit."""
MAX_MESSAGE = 1_000_000
"""Longest log message and stage error_message (characters)."""
SUSPENDED_LIMIT = 100
"""Default page size of `get_suspended_stages`."""
LOG_LIMIT = 1000
"""Default number of lines `list_logs` returns."""

_INT32 = 2**31 - 1
_INT64 = 2**63 - 1
_LOG_KEYS: Final = frozenset({"level", "message", "workflow_run_id", "workflow_stage_id", "metadata"})


# -- input checks (all run before any I/O) ------------------------------------------------------------------------


def _status(value: object, what: str = "status") -> str:
    """A Status member or its name ('PENDING', ...), as the name the databases store."""
    if isinstance(value, str) and value in STATUS_BY_NAME:
        return str(value)
    raise InvalidInput(f"{what} must be a rawstore.Status or one of {', '.join(STATUS_BY_NAME)}, got {shown(value)}")


def _level(value: object, what: str = "level") -> str:
    if isinstance(value, str) and value in LEVEL_BY_NAME:
        return str(value)
    raise InvalidInput(f"{what} must be a rawstore.LogLevel or one of {', '.join(LEVEL_BY_NAME)}, got {shown(value)}")


def _artifact_type(value: object, what: str = "type") -> str:
    if isinstance(value, str) and value in ARTIFACT_TYPE_BY_NAME:
        return str(value)
    raise InvalidInput(
        f"{what} must be a rawstore.ArtifactType or one of {', '.join(ARTIFACT_TYPE_BY_NAME)}, got {shown(value)}"
    )


def _cost(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{what} must be a number, got {type(value).__name__}")
    try:
        f = float(value)
    except OverflowError:  # an int beyond the float range
        f = math.inf
    if not math.isfinite(f) or f < 0:
        raise InvalidInput(f"{what} must be a finite number >= 0, got {shown(value)}")
    return f


def _name(value: object, what: str) -> str:
    text: str = check_text(value, what, MAX_NAME, blank=False)
    return text


def _sized_json(value: object, what: str) -> tuple[str, int]:
    """JSON text of a value and its size in UTF-8 bytes."""
    text = encode_json(value, what)
    return text, len(text.encode("utf-8"))


def _label(i: int | None, name: str) -> str:
    return name if i is None else f"entries[{i}].{name}"


_STAGES_BY_RUN: Final = {False: Q.stages_by_run_asc, True: Q.stages_by_run_desc}


class WorkflowStore:
    """Workflow runs, stages, logs and artifacts of the current tenant. Reach it as `store.workflows` or
    `tx.workflows` (inside `store.transaction()`, where every call is its own savepoint)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # -- plumbing ---------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _atomic(self) -> AsyncIterator[Connection]:
        """A connection for one write statement, which is atomic by itself; inside `store.transaction()` it still
        gets its own savepoint, so a failed call leaves the caller's transaction usable."""
        if isinstance(self._ctx, TxContext):
            async with self._ctx.write() as conn:
                yield conn
        else:
            async with self._ctx.plain() as conn:
                yield conn

    def _param(self, name: str, kind: int, value: Any, nullable: bool) -> Any:
        """Check one run or stage field and return it as a query parameter."""
        if value is None and kind != K_JSON_ANY:
            if not nullable:
                raise InvalidInput(f"{name} cannot be None")
            return None
        if kind == K_ID:
            return check_id(value, name)
        if kind == K_NAME:
            return _name(value, name)
        if kind == K_STAT:
            return _status(value, name)
        if kind == K_TS:
            return self._ctx.ts_out(check_dt(value, name))
        if kind == K_I32:
            return check_int(value, name, -_INT32 - 1, _INT32)
        if kind == K_U32:
            return check_int(value, name, 0, _INT32)
        if kind == K_U64:
            return check_int(value, name, 0, _INT64)
        if kind == K_COST:
            return _cost(value, name)
        if kind == K_META:
            return encode_json(check_metadata(value, name), name)
        if kind == K_TEXT:
            return check_text(value, name, MAX_MESSAGE)
        return encode_json(value, name)  # K_JSON_ANY, K_JSON_OPT

    def _patch_values(
        self,
        patch: Patch,
        checks: tuple[tuple[str, int, bool], ...],
        defaults: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Parameters of a patch: `set_<f>` says whether field f was given, `<f>` carries its checked value.

        With `defaults` (an insert that may become an update) a field not given takes its default, checked too;
        without, it is NULL, which the statement never reads.
        """
        values: dict[str, Any] = {}
        for (name, kind, nullable), value in zip(checks, msgspec.structs.astuple(patch), strict=True):
            given = value is not UNSET
            values["set_" + name] = given
            if given:
                values[name] = self._param(name, kind, value, nullable)
            elif defaults is not None:
                values[name] = self._param(name, kind, defaults.get(name), nullable)
            else:
                values[name] = None
        return values

    @staticmethod
    def _expected(expected_version: object) -> int | None:
        if expected_version is None:
            return None
        return check_int(expected_version, "expected_version", 0, _INT64)

    # -- runs -------------------------------------------------------------------------------------------

    async def create_run(
        self,
        *,
        workflow_id: str,
        workflow_name: str,
        workflow_type: str,
        input: Any,
        config: Any = None,
        priority: int = 5,
        id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WorkflowRun:
        """Create a PENDING run (version 1) and return it.

        `id` defaults to a new UUIDv7; `config` defaults to {}; `input` and `config` may be any JSON value.
        Raises Conflict when a run with this id exists, InvalidInput on bad arguments (nothing written).
        """
        t = self._ctx.tenant()
        values = {
            "tenant_id": t,
            "id": uuid7() if id is None else check_id(id, "id"),
            "workflow_id": check_id(workflow_id, "workflow_id"),
            "workflow_name": _name(workflow_name, "workflow_name"),
            "workflow_type": _name(workflow_type, "workflow_type"),
            "priority": check_int(priority, "priority", -_INT32 - 1, _INT32),
            "input": encode_json(input, "input"),
            "config": encode_json({} if config is None else config, "config"),
            "metadata": None if metadata is None else encode_json(check_metadata(metadata), "metadata"),
        }
        async with self._atomic() as conn:
            run = await conn.one(self._ctx[Q.insert_run], values)
        assert run is not None
        return run

    async def get_run(self, run_id: str) -> WorkflowRun | None:
        """The run, or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        return await self._ctx.one(Q.get_run, {"tenant_id": t, "id": run_id})

    async def get_run_status(self, run_id: str) -> Status | None:
        """The run's status, or None when the run does not exist."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        return await self._ctx.one(Q.get_run_status, {"tenant_id": t, "id": run_id})

    async def get_runs_by_status(self, status: Status | str, *, limit: int | None = None) -> list[WorkflowRun]:
        """Runs in this status, oldest first (created_at, then id); at most `limit` of them when given."""
        t = self._ctx.tenant()
        values = {
            "tenant_id": t,
            "status": _status(status),
            "limit": _INT64 if limit is None else check_limit(limit),
        }
        async with self._ctx.plain() as conn:
            return await conn.many(self._ctx[Q.runs_by_status], values)

    async def update_run(
        self,
        run_id: str,
        *,
        workflow_id: str | Unset = UNSET,
        workflow_name: str | Unset = UNSET,
        workflow_type: str | Unset = UNSET,
        status: Status | str | Unset = UNSET,
        started_at: datetime | Unset | None = UNSET,
        completed_at: datetime | Unset | None = UNSET,
        duration: int | Unset | None = UNSET,
        input: Any = UNSET,
        output: Any = UNSET,
        config: Any = UNSET,
        total_cost: float | Unset = UNSET,
        total_tokens: int | Unset = UNSET,
        priority: int | Unset = UNSET,
        metadata: dict[str, Any] | Unset | None = UNSET,
        expected_version: int | None = None,
    ) -> WorkflowRun:
        """Set the given fields (None clears a nullable one), bump version and updated_at; return the run.

        Fields left out keep their value; a call with none only bumps version and updated_at. With
        `expected_version`, the update happens only while the stored version equals it. Raises NotFound when
        the run does not exist, Conflict when `expected_version` is stale (nothing changes), InvalidInput on bad
        values (nothing changes).
        """
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        patch = RunPatch(
            workflow_id=workflow_id,
            workflow_name=workflow_name,
            workflow_type=workflow_type,
            status=status,
            started_at=started_at,
            completed_at=completed_at,
            duration=duration,
            input=input,
            output=output,
            config=config,
            total_cost=total_cost,
            total_tokens=total_tokens,
            priority=priority,
            metadata=metadata,
        )
        values = self._patch_values(patch, RUN_CHECKS)
        expected = self._expected(expected_version)
        values.update(tenant_id=t, id=run_id, expected_version=expected)
        key = {"tenant_id": t, "id": run_id}
        async with self._ctx.write() as conn:
            n = await conn.run(self._ctx[Q.update_run], values)
            run = await conn.one(self._ctx[Q.get_run], key)
        if run is None:
            raise NotFound(f"workflow run {run_id!r} does not exist")
        if n == 0:
            raise Conflict(f"workflow run {run_id!r} is at version {run.version}, not {expected}")
        return run

    async def claim_pending_run(self, run_id: str) -> bool:
        """Claim this run if it is PENDING: RUNNING, started_at = now (database clock), version + 1.

        True when this call claimed it; False when the run is missing or not PENDING (someone else claimed it).
        """
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        async with self._atomic() as conn:
            n = await conn.run(self._ctx[Q.claim_run], {"tenant_id": t, "id": run_id})
        return n > 0

    async def claim_next_pending_run(self) -> WorkflowRun | None:
        """Claim the PENDING run of highest priority (oldest first among equals) and return it, or None.

        The claim is RUNNING, started_at = now (database clock), version + 1. Concurrent claimers never get the
        same run: PostgreSQL and MariaDB skip rows another claimer holds (SKIP LOCKED), SQLite serializes writers.
        """
        t = self._ctx.tenant()
        key = {"tenant_id": t}
        claim = self._ctx[Q.claim_next_run]
        # Without UPDATE ... RETURNING (MariaDB) the claim query only picks and locks a run (SELECT ... FOR UPDATE
        # SKIP LOCKED), which is then marked in the same transaction; elsewhere it claims by itself in one
        # autocommitted statement.
        if self._ctx.capabilities.update_returning:
            row: Row | None
            if isinstance(self._ctx, TxContext):
                async with self._ctx.write() as conn:
                    row = await conn.one(claim, key)
            else:
                # One autocommitted statement on the pool's fastest single-row path.
                row = await self._ctx.fetchrow(claim.query, key)
            return None if row is None else self._ctx[Q.get_run].decode(row)
        async with self._ctx.write() as conn:
            picked = await conn.one(claim, key)
            if picked is None:
                return None
            (run_id,) = picked
            ident = {"tenant_id": t, "id": run_id}
            await conn.run(self._ctx[Q.claim_run], ident)
            run = await conn.one(self._ctx[Q.get_run], ident)
        assert run is not None
        return run

    # -- stages -----------------------------------------------------------------------------------------

    def _stage_values(self, t: str, workflow_run_id: str, stage_id: str, patch: StagePatch) -> dict[str, Any]:
        """Insert parameters of a stage (defaults for fields not given) plus the `set_<f>` flags of an upsert."""
        values: dict[str, Any] = {
            "tenant_id": t,
            "id": uuid7(),
            "workflow_run_id": check_id(workflow_run_id, "workflow_run_id"),
            "stage_id": check_id(stage_id, "stage_id"),
        }
        values.update(self._patch_values(patch, STAGE_CHECKS, STAGE_DEFAULTS))
        return values

    async def create_stage(
        self,
        *,
        workflow_run_id: str,
        stage_id: str,
        stage_name: str,
        stage_number: int,
        execution_group: int,
        status: Status | str = Status.PENDING,
        attempt: int = 0,
        started_at: datetime | None = None,
        completed_at: datetime | None = None,
        duration: int | None = None,
        input_data: Any = None,
        output_data: Any = None,
        config: Any = None,
        suspended_state: Any = None,
        resume_data: Any = None,
        next_poll_at: datetime | None = None,
        poll_interval: int | None = None,
        max_wait_until: datetime | None = None,
        metrics: Any = None,
        embedding_info: Any = None,
        error_message: str | None = None,
    ) -> WorkflowStage:
        """Create a stage of a run (version 1, a new UUIDv7 row id) and return it.

        Raises NotFound when the run does not exist, Conflict when the run already has this stage_id.
        """
        t = self._ctx.tenant()
        patch = StagePatch(
            stage_name=stage_name,
            stage_number=stage_number,
            execution_group=execution_group,
            status=status,
            attempt=attempt,
            started_at=started_at,
            completed_at=completed_at,
            duration=duration,
            input_data=input_data,
            output_data=output_data,
            config=config,
            suspended_state=suspended_state,
            resume_data=resume_data,
            next_poll_at=next_poll_at,
            poll_interval=poll_interval,
            max_wait_until=max_wait_until,
            metrics=metrics,
            embedding_info=embedding_info,
            error_message=error_message,
        )
        values = self._stage_values(t, workflow_run_id, stage_id, patch)
        async with self._atomic() as conn:
            stage = await conn.one(self._ctx[Q.insert_stage], values)
        assert stage is not None
        return stage

    async def upsert_stage(
        self,
        *,
        workflow_run_id: str,
        stage_id: str,
        stage_name: str,
        stage_number: int,
        execution_group: int,
        status: Status | str | Unset = UNSET,
        attempt: int | Unset = UNSET,
        started_at: datetime | Unset | None = UNSET,
        completed_at: datetime | Unset | None = UNSET,
        duration: int | Unset | None = UNSET,
        input_data: Any = UNSET,
        output_data: Any = UNSET,
        config: Any = UNSET,
        suspended_state: Any = UNSET,
        resume_data: Any = UNSET,
        next_poll_at: datetime | Unset | None = UNSET,
        poll_interval: int | Unset | None = UNSET,
        max_wait_until: datetime | Unset | None = UNSET,
        metrics: Any = UNSET,
        embedding_info: Any = UNSET,
        error_message: str | Unset | None = UNSET,
    ) -> WorkflowStage:
        """Create the stage (run, stage_id) as `create_stage` would, or update the existing one; return it.

        A new stage gets `create_stage`'s defaults (PENDING, attempt 0) for fields not given. An existing one
        gets stage_name, stage_number, execution_group and every other field given (None clears a nullable one),
        keeps the rest, and its version and updated_at are bumped. One statement. Raises NotFound when the run
        does not exist.
        """
        t = self._ctx.tenant()
        patch = StagePatch(
            stage_name=stage_name,
            stage_number=stage_number,
            execution_group=execution_group,
            status=status,
            attempt=attempt,
            started_at=started_at,
            completed_at=completed_at,
            duration=duration,
            input_data=input_data,
            output_data=output_data,
            config=config,
            suspended_state=suspended_state,
            resume_data=resume_data,
            next_poll_at=next_poll_at,
            poll_interval=poll_interval,
            max_wait_until=max_wait_until,
            metrics=metrics,
            embedding_info=embedding_info,
            error_message=error_message,
        )
        values = self._stage_values(t, workflow_run_id, stage_id, patch)
        async with self._atomic() as conn:
            stage = await conn.one(self._ctx[Q.upsert_stage], values)
        assert stage is not None
        return stage

    async def update_stage(
        self,
        id: str,
        *,
        stage_name: str | Unset = UNSET,
        stage_number: int | Unset = UNSET,
        execution_group: int | Unset = UNSET,
        status: Status | str | Unset = UNSET,
        attempt: int | Unset = UNSET,
        started_at: datetime | Unset | None = UNSET,
        completed_at: datetime | Unset | None = UNSET,
        duration: int | Unset | None = UNSET,
        input_data: Any = UNSET,
        output_data: Any = UNSET,
        config: Any = UNSET,
        suspended_state: Any = UNSET,
        resume_data: Any = UNSET,
        next_poll_at: datetime | Unset | None = UNSET,
        poll_interval: int | Unset | None = UNSET,
        max_wait_until: datetime | Unset | None = UNSET,
        metrics: Any = UNSET,
        embedding_info: Any = UNSET,
        error_message: str | Unset | None = UNSET,
        expected_version: int | None = None,
    ) -> WorkflowStage:
        """Update the stage with this row id: set the given fields (None clears a nullable one), bump version and
        updated_at; return the stage.

        Raises NotFound when it does not exist, Conflict when `expected_version` is stale (nothing changes).
        """
        t = self._ctx.tenant()
        patch = StagePatch(
            stage_name=stage_name,
            stage_number=stage_number,
            execution_group=execution_group,
            status=status,
            attempt=attempt,
            started_at=started_at,
            completed_at=completed_at,
            duration=duration,
            input_data=input_data,
            output_data=output_data,
            config=config,
            suspended_state=suspended_state,
            resume_data=resume_data,
            next_poll_at=next_poll_at,
            poll_interval=poll_interval,
            max_wait_until=max_wait_until,
            metrics=metrics,
            embedding_info=embedding_info,
            error_message=error_message,
        )
        check_id(id, "id")
        key = {"tenant_id": t, "id": id}
        return await self._update_stage(
            Q.update_stage, Q.get_stage_by_id, key, patch, expected_version, f"workflow stage {id!r}"
        )

    async def update_stage_by_run_and_stage_id(
        self,
        run_id: str,
        stage_id: str,
        *,
        stage_name: str | Unset = UNSET,
        stage_number: int | Unset = UNSET,
        execution_group: int | Unset = UNSET,
        status: Status | str | Unset = UNSET,
        attempt: int | Unset = UNSET,
        started_at: datetime | Unset | None = UNSET,
        completed_at: datetime | Unset | None = UNSET,
        duration: int | Unset | None = UNSET,
        input_data: Any = UNSET,
        output_data: Any = UNSET,
        config: Any = UNSET,
        suspended_state: Any = UNSET,
        resume_data: Any = UNSET,
        next_poll_at: datetime | Unset | None = UNSET,
        poll_interval: int | Unset | None = UNSET,
        max_wait_until: datetime | Unset | None = UNSET,
        metrics: Any = UNSET,
        embedding_info: Any = UNSET,
        error_message: str | Unset | None = UNSET,
        expected_version: int | None = None,
    ) -> WorkflowStage:
        """`update_stage` for the stage found by (run_id, stage_id)."""
        t = self._ctx.tenant()
        patch = StagePatch(
            stage_name=stage_name,
            stage_number=stage_number,
            execution_group=execution_group,
            status=status,
            attempt=attempt,
            started_at=started_at,
            completed_at=completed_at,
            duration=duration,
            input_data=input_data,
            output_data=output_data,
            config=config,
            suspended_state=suspended_state,
            resume_data=resume_data,
            next_poll_at=next_poll_at,
            poll_interval=poll_interval,
            max_wait_until=max_wait_until,
            metrics=metrics,
            embedding_info=embedding_info,
            error_message=error_message,
        )
        check_id(run_id, "run_id")
        check_id(stage_id, "stage_id")
        key = {"tenant_id": t, "run_id": run_id, "stage_id": stage_id}
        return await self._update_stage(
            Q.update_stage_by_key,
            Q.get_stage,
            key,
            patch,
            expected_version,
            f"stage {stage_id!r} of workflow run {run_id!r}",
        )

    async def _update_stage(
        self,
        update: Exec,
        get: One[WorkflowStage],
        key: dict[str, Any],
        patch: StagePatch,
        expected_version: object,
        what: str,
    ) -> WorkflowStage:
        """Apply a stage patch to the stage `key` names (with `update`), then read it back (with `get`)."""
        values = self._patch_values(patch, STAGE_CHECKS)
        expected = self._expected(expected_version)
        values.update(key, expected_version=expected)
        async with self._ctx.write() as conn:
            n = await conn.run(self._ctx[update], values)
            stage = await conn.one(self._ctx[get], key)
        if stage is None:
            raise NotFound(f"{what} does not exist")
        if n == 0:
            raise Conflict(f"{what} is at version {stage.version}, not {expected}")
        return stage

    async def get_stage(self, run_id: str, stage_id: str) -> WorkflowStage | None:
        """The stage (run_id, stage_id), or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        check_id(stage_id, "stage_id")
        return await self._ctx.one(Q.get_stage, {"tenant_id": t, "run_id": run_id, "stage_id": stage_id})

    async def get_stage_by_id(self, id: str) -> WorkflowStage | None:
        """The stage with this row id, or None."""
        t = self._ctx.tenant()
        check_id(id, "id")
        return await self._ctx.one(Q.get_stage_by_id, {"tenant_id": t, "id": id})

    async def get_stages_by_run(
        self, run_id: str, *, status: Status | str | None = None, descending: bool = False
    ) -> list[WorkflowStage]:
        """The run's stages (only those in `status` when given) by (execution_group, stage_number, id),
        ascending, or all three descending."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        if not isinstance(descending, bool):
            raise InvalidInput(f"descending must be a bool, got {type(descending).__name__}")
        values = {"tenant_id": t, "run_id": run_id, "status": None if status is None else _status(status)}
        async with self._ctx.plain() as conn:
            return await conn.many(self._ctx[_STAGES_BY_RUN[descending]], values)

    async def get_suspended_stages(
        self, before: datetime | None = None, *, limit: int = SUSPENDED_LIMIT
    ) -> list[WorkflowStage]:
        """SUSPENDED stages of every run of the tenant whose next_poll_at is at or before `before`, soonest first
        (next_poll_at, then id), at most `limit` (default 100).

        `before` must be timezone-aware; None means now by the database's clock. Stages without next_poll_at are
        never returned (see `get_first_suspended_stage_ready_to_resume`).
        """
        t = self._ctx.tenant()
        values = {
            "tenant_id": t,
            "before": None if before is None else self._ctx.ts_out(check_dt(before, "before")),
            "limit": check_limit(limit),
        }
        async with self._ctx.plain() as conn:
            return await conn.many(self._ctx[Q.suspended_stages], values)

    async def get_first_suspended_stage_ready_to_resume(self, run_id: str) -> WorkflowStage | None:
        """The run's SUSPENDED stage with no next_poll_at (its poll said "done") in the lowest execution_group
        (then lowest stage_number), or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        return await self._ctx.one(Q.first_resumable_stage, {"tenant_id": t, "run_id": run_id})

    async def get_first_failed_stage(self, run_id: str) -> WorkflowStage | None:
        """The run's FAILED stage in the lowest (execution_group, stage_number), or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        return await self._ctx.one(Q.first_failed_stage, {"tenant_id": t, "run_id": run_id})

    async def get_last_completed_stage(self, run_id: str) -> WorkflowStage | None:
        """The run's COMPLETED stage in the highest (execution_group, stage_number), or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        return await self._ctx.one(Q.last_completed_stage, {"tenant_id": t, "run_id": run_id})

    async def get_last_completed_stage_before(self, run_id: str, execution_group: int) -> WorkflowStage | None:
        """The run's COMPLETED stage in the highest (execution_group, stage_number) with execution_group strictly
        below the given one, or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        group = check_int(execution_group, "execution_group", -_INT32 - 1, _INT32)
        return await self._ctx.one(
            Q.last_completed_stage_before, {"tenant_id": t, "run_id": run_id, "execution_group": group}
        )

    async def delete_stage(self, id: str) -> bool:
        """Delete the stage with this row id, with its log lines; its artifacts stay, unlinked from it.

        True when a stage was deleted; a missing stage is not an error (False).
        """
        t = self._ctx.tenant()
        check_id(id, "id")
        key = {"tenant_id": t, "id": id}
        async with self._ctx.write() as conn:
            # Delete first: the row lock it takes makes a concurrent save_artifact linking this stage wait, then
            # see it gone (MariaDB and SQLite, where the link is not a foreign key).
            n = await conn.run(self._ctx[Q.delete_stage], key)
            if n:
                await conn.run(self._ctx[Q.unlink_stage_artifacts], key)
        return n > 0

    # -- logs -------------------------------------------------------------------------------------------

    def _log_row(self, t: str, entry: Mapping[str, Any], i: int | None, ok_ids: set[str]) -> tuple[Any, ...]:
        """A validated log row in `LOG_FIELDS` order, created_at left for the caller.

        `i` is the entry's position in a batch (None for `create_log`). Plain values take a fast path and error
        labels are built only on error: this is most of the CPU a batch costs next to the raw driver.
        """
        level = entry.get("level")
        if type(level) is not LogLevel and (type(level) is not str or level not in LEVEL_BY_NAME):
            level = _level(level, _label(i, "level"))
        message = entry.get("message")
        if type(message) is not str or len(message) > 4096 or not message.isascii() or "\x00" in message:
            check_text(message, _label(i, "message"), MAX_MESSAGE)
        # The type test comes first: a set lookup of an unhashable value would raise TypeError.
        run = entry.get("workflow_run_id")
        if run is not None and (type(run) is not str or run not in ok_ids):
            ok_ids.add(check_id(run, _label(i, "workflow_run_id")))
        stage = entry.get("workflow_stage_id")
        if stage is not None and (type(stage) is not str or stage not in ok_ids):
            ok_ids.add(check_id(stage, _label(i, "workflow_stage_id")))
        meta = entry.get("metadata")
        if meta is not None:
            text = None
            if type(meta) is dict and all(type(k) is str for k in meta):
                try:
                    text = json_text(_JSON.encode(meta))
                except Exception:  # the checked path below says what is wrong (RecursionError included)
                    text = None
            if text is not None:
                meta = text
            else:
                what = _label(i, "metadata")
                meta = encode_json(check_metadata(meta, what), what)
        return (t, uuid7(), run, stage, str(level), message, meta)

    async def create_log(
        self,
        *,
        level: LogLevel | str,
        message: str,
        workflow_run_id: str | None = None,
        workflow_stage_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WorkflowLog:
        """Write one log line (created_at = now by the database's clock) and return it.

        `workflow_stage_id` is the stage's row id (`WorkflowStage.id`). Raises NotFound when the given run or
        stage does not exist.
        """
        t = self._ctx.tenant()
        entry = {
            "level": level,
            "message": message,
            "workflow_run_id": workflow_run_id,
            "workflow_stage_id": workflow_stage_id,
            "metadata": metadata,
        }
        row = self._log_row(t, entry, None, set())
        values = dict(zip(LOG_FIELDS, row, strict=False))
        async with self._atomic() as conn:
            log = await conn.one(self._ctx[Q.insert_log], values)
        assert log is not None
        return log

    async def create_logs(self, entries: Sequence[Mapping[str, Any]]) -> int:
        """Write a batch of log lines atomically in one round trip; returns how many were written.

        Each entry is a dict of `create_log`'s keywords. Every entry is checked before anything is written (a bad
        one raises InvalidInput, a missing run or stage NotFound, and nothing is written). The lines share one
        created_at (the database's clock) and keep their order in the list. An empty list is a no-op (0).
        """
        t = self._ctx.tenant()
        if isinstance(entries, (str, bytes, Mapping)) or not isinstance(entries, Sequence):
            raise InvalidInput("entries must be a list of dicts of create_log's keywords")
        rows: list[tuple[Any, ...]] = []
        ok_ids: set[str] = set()
        row = self._log_row
        for i, e in enumerate(entries):
            if type(e) is not dict and not isinstance(e, Mapping):
                raise InvalidInput(f"entries[{i}] must be a dict, got {type(e).__name__}")
            if not e.keys() <= _LOG_KEYS:
                extra = sorted(map(str, e.keys() - _LOG_KEYS))
                raise InvalidInput(f"entries[{i}] has unknown keys {extra}; allowed: {sorted(_LOG_KEYS)}")
            if "message" not in e:
                raise InvalidInput(f"entries[{i}] has no message")
            rows.append(row(t, e, i, ok_ids))
        if not rows:
            return 0
        async with self._ctx.write() as conn:
            # The batch takes one created_at from the database's clock: MariaDB's multi-row form (what the driver
            # turns executemany into) takes only plain parameters, so the time cannot be computed in the INSERT.
            now = self._ctx.ts_out(await conn.scalar(self._ctx[Q.clock], {"tenant_id": t}))
            batch = [(*r, now) for r in rows]
            await conn.batch(self._ctx[Q.insert_logs], batch)
        return len(batch)

    async def list_logs(
        self,
        run_id: str,
        *,
        stage_id: str | None = None,
        level: LogLevel | str | None = None,
        limit: int = LOG_LIMIT,
    ) -> list[WorkflowLog]:
        """The run's log lines oldest first (created_at, then id), at most `limit` (default 1000).

        `stage_id` narrows to one stage, named as in `get_stage` (the run's stage_id, not the row id); `level`
        keeps only lines of exactly that level.
        """
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        if stage_id is not None:
            check_id(stage_id, "stage_id")
        values = {
            "tenant_id": t,
            "run_id": run_id,
            "level": None if level is None else _level(level),
            "limit": check_limit(limit),
        }
        if stage_id is None:
            logs = self._ctx[Q.run_logs]
        else:
            logs = self._ctx[Q.stage_logs]
            values["stage_id"] = stage_id
        async with self._ctx.plain() as conn:
            return await conn.many(logs, values)

    # -- artifacts --------------------------------------------------------------------------------------

    def _key(self, key: object, what: str = "key") -> str:
        text: str = check_text(key, what, MAX_KEY, blank=False)
        return text

    async def save_artifact(
        self,
        *,
        workflow_run_id: str,
        key: str,
        type: ArtifactType | str,
        data: Any,
        workflow_stage_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> WorkflowArtifact:
        """Create or replace the artifact (run, key) and return it.

        A replaced artifact keeps its id and created_at; type, data, size, stage link and metadata become the
        given ones. `size` is the length in UTF-8 bytes of `data`'s JSON text as rawstore encodes it (msgspec).
        `workflow_stage_id` is a stage row id that must belong to the run. Raises NotFound when the run does not
        exist or the stage is not one of its stages (nothing written).
        """
        t = self._ctx.tenant()
        text, size = _sized_json(data, "data")
        values = {
            "tenant_id": t,
            "id": uuid7(),
            "workflow_run_id": check_id(workflow_run_id, "workflow_run_id"),
            "workflow_stage_id": None
            if workflow_stage_id is None
            else check_id(workflow_stage_id, "workflow_stage_id"),
            "key": self._key(key),
            "type": _artifact_type(type),
            "data": text,
            "size": size,
            "metadata": None if metadata is None else encode_json(check_metadata(metadata), "metadata"),
        }
        async with self._atomic() as conn:
            artifact = await conn.one(self._ctx[Q.save_artifact], values)
        if artifact is None:
            raise NotFound(
                f"stage {workflow_stage_id!r} is not a stage of workflow run {workflow_run_id!r} (nothing saved)"
            )
        return artifact

    async def load_artifact(self, run_id: str, key: str) -> Any:
        """The artifact's data, or None when there is none (use `has_artifact` to tell a stored null apart)."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        self._key(key)
        return await self._ctx.one(Q.load_artifact, {"tenant_id": t, "run_id": run_id, "key": key})

    async def has_artifact(self, run_id: str, key: str) -> bool:
        """Whether the run has an artifact under this key."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        self._key(key)
        found = await self._ctx.one(Q.has_artifact, {"tenant_id": t, "run_id": run_id, "key": key})
        return found is not None

    async def delete_artifact(self, run_id: str, key: str) -> bool:
        """Delete the artifact; True when one was deleted (a missing artifact is not an error)."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        self._key(key)
        async with self._atomic() as conn:
            n = await conn.run(self._ctx[Q.delete_artifact], {"tenant_id": t, "run_id": run_id, "key": key})
        return n > 0

    async def list_artifacts(self, run_id: str) -> list[WorkflowArtifact]:
        """The run's artifacts, ordered by key."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        async with self._ctx.plain() as conn:
            return await conn.many(self._ctx[Q.list_artifacts], {"tenant_id": t, "run_id": run_id})

    async def get_stage_id_for_artifact(self, run_id: str, stage_id: str) -> str | None:
        """The row id of the stage (run_id, stage_id), as artifacts and logs link it, or None."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        check_id(stage_id, "stage_id")
        return await self._ctx.one(Q.stage_row_id, {"tenant_id": t, "run_id": run_id, "stage_id": stage_id})

    async def save_stage_output(self, run_id: str, workflow_type: str, stage_id: str, output: Any) -> str:
        """Save a stage's output as a STAGE_OUTPUT artifact and return its key,
        `workflow-v2/{workflow_type}/{run_id}/{stage_id}/output.json`.

        One statement: it links the artifact to the stage (run_id, stage_id) when that stage exists (else leaves
        the link empty) and replaces type, data, size and link of an existing artifact (metadata is kept).
        Raises NotFound when the run does not exist.
        """
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        _name(workflow_type, "workflow_type")
        check_id(stage_id, "stage_id")
        key = f"workflow-v2/{workflow_type}/{run_id}/{stage_id}/output.json"
        if len(key) > MAX_KEY:
            raise InvalidInput(f"the output key would be {len(key)} characters long; artifact keys hold {MAX_KEY}")
        text, size = _sized_json(output, "output")
        values = {
            "tenant_id": t,
            "id": uuid7(),
            "workflow_run_id": run_id,
            "stage_id": stage_id,
            "key": key,
            "data": text,
            "size": size,
        }
        async with self._atomic() as conn:
            await conn.run(self._ctx[Q.save_stage_output], values)
        return key
