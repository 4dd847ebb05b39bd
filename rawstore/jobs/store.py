"""The job queue (`store.jobs`): fenced claims with leases, retries with backoff, stale-lease recovery, wake-ups."""

from __future__ import annotations

import asyncio
import math
import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..context import Context
from ..drivers.base import Listener
from ..enums import Status
from ..errors import DatabaseError, InvalidInput, LeaseLost, NotFound
from ..ids import uuid7
from ..queryset import Exec
from ..validate import check_dt, check_id, check_int, check_text, encode_json, plain_id
from .queries import JobQueries as Q
from .records import Job, SuspendedJob

_MAX_TEXT = 255
_MAX_CLAIM = 10_000
_CHUNK = 5_000
_INT32 = 2**31 - 1
_CHANNEL = "rs_jobs"
_SPEC_KEYS = frozenset(
    ("workflow_run_id", "stage_id", "priority", "payload", "run_at", "max_attempts", "queue", "unique_key")
)
_FINISHED = "COMPLETED, FAILED, CANCELLED or SKIPPED"
MAX_DURATION = 100 * 365.25 * 86400
"""Longest duration (seconds) a timeout, age or backoff setting takes: 100 years."""


class _Shared:
    """Per-Store queue state: retry settings, and one wake-up event per tenant fed by enqueues and NOTIFY."""

    def __init__(self) -> None:
        self.backoff_base = 2.0
        self.backoff_cap = 600.0
        self.poll_interval = 0.2
        self.events: dict[str, asyncio.Event] = {}
        self.listener: Listener | None = None
        self.listen_lock = asyncio.Lock()
        self.listen_supported = True
        self.closed = False

    def event(self, tenant: str) -> asyncio.Event:
        ev = self.events.get(tenant)
        if ev is None:
            ev = self.events[tenant] = asyncio.Event()
        return ev

    def notified(self, tenant: str) -> None:
        self.event(tenant).set()


def _seconds(value: object, what: str) -> float:
    if isinstance(value, timedelta):
        secs = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            secs = float(value)
        except OverflowError:  # an int beyond the float range
            secs = math.inf
    else:
        raise InvalidInput(f"{what} must be a timedelta or a number of seconds, got {type(value).__name__}")
    # Bounded so that now ± the duration is a time every database (and datetime) can compute.
    if not 0 <= secs <= MAX_DURATION:
        raise InvalidInput(f"{what} must be a non-negative duration of at most {MAX_DURATION:,.0f} s (100 years)")
    return secs


def _lease_pairs(jobs: object) -> list[tuple[str, str]]:
    if isinstance(jobs, (str, bytes, Mapping)) or not isinstance(jobs, Iterable):
        raise InvalidInput("jobs must be a list of Job records or (job_id, lease) pairs")
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(jobs):
        if type(item) is Job and plain_id(item.id) and plain_id(item.lease):
            pairs.append((item.id, item.lease))  # a claimed record, as read from the database
            continue
        if isinstance(item, Job):
            if item.lease is None:
                raise InvalidInput(f"jobs[{i}] holds no lease (it was not returned by a claim)")
            job_id, lease = item.id, item.lease
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            job_id, lease = item
        else:
            raise InvalidInput(f"jobs[{i}] must be a Job or a (job_id, lease) pair")
        pairs.append((check_id(job_id, f"jobs[{i}] job_id"), check_text(lease, f"jobs[{i}] lease", _MAX_TEXT)))
    return pairs


# (one job?, a queue?) -> the claim statement
_CLAIMS = {
    (False, False): Q.claim_any,
    (True, False): Q.claim_one_any,
    (False, True): Q.claim_queue,
    (True, True): Q.claim_one_queue,
}


class JobQueue:
    """A fenced job queue of the current tenant. Reach it as `store.jobs` (or `tx.jobs` inside a transaction).

    A claim (`dequeue`, `dequeue_many`) hands each due job to exactly one worker together with a fresh `lease`
    token; `complete`, `fail`, `suspend` and `heartbeat` act only while that lease holds and raise `LeaseLost`
    otherwise. Every time comparison runs on the database's clock.

    Retry backoff after `fail(retry=True)` or a stale-lease release is `min(backoff_cap, backoff_base *
    2**(attempt-1) * jitter)` seconds with jitter uniform in [0.75, 1.25]; `backoff_base` (2 s) and `backoff_cap`
    (600 s) are settable attributes, shared by the store and its transactions.
    """

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        shared = ctx.shared.get("jobs")
        if shared is None:
            shared = ctx.shared["jobs"] = _Shared()
        self._s: _Shared = shared
        # Without UPDATE ... RETURNING (MariaDB) a claim picks and locks rows, then claim_mark marks them.
        self._two_step = not ctx.capabilities.update_returning
        # Where a batch must bind every value to be sent as one multi-row INSERT (aiomysql), the database time is
        # read first, in the same transaction, and bound as :now; elsewhere :now is NULL and the statement reads
        # the clock itself.
        self._stamp = ctx.capabilities.batch_binds_clock

    # -- settings -------------------------------------------------------------------------------------------

    @property
    def backoff_base(self) -> float:
        """Seconds before the first retry (doubling on each further attempt, with jitter). Default 2."""
        return self._s.backoff_base

    @backoff_base.setter
    def backoff_base(self, value: float) -> None:
        self._s.backoff_base = _seconds(value, "backoff_base")

    @property
    def backoff_cap(self) -> float:
        """The longest retry delay in seconds. Default 600."""
        return self._s.backoff_cap

    @backoff_cap.setter
    def backoff_cap(self, value: float) -> None:
        self._s.backoff_cap = _seconds(value, "backoff_cap")

    @property
    def poll_interval(self) -> float:
        """How often `wait` looks for due jobs where it has no notifications (MariaDB, SQLite, PgBouncer). 0.2 s."""
        return self._s.poll_interval

    @poll_interval.setter
    def poll_interval(self, value: float) -> None:
        secs = _seconds(value, "poll_interval")
        if secs <= 0:
            raise InvalidInput("poll_interval must be positive")
        self._s.poll_interval = secs

    # -- enqueue ----------------------------------------------------------------------------------------------

    def _spec(self, spec: Mapping[str, Any], what: str) -> dict[str, Any]:
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise InvalidInput(f"{what} has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        for key in ("workflow_run_id", "stage_id"):
            if key not in spec:
                raise InvalidInput(f"{what} needs {key}")
        run_at = spec.get("run_at")
        unique_key = spec.get("unique_key")
        payload = spec.get("payload")
        run_id = spec["workflow_run_id"]
        stage_id = spec["stage_id"]
        priority = spec.get("priority", 5)
        attempts = spec.get("max_attempts", 3)
        queue = spec.get("queue", "default")
        # The common case is decided without building error labels; anything unusual takes the full check.
        if type(priority) is not int or not -_INT32 <= priority <= _INT32:
            check_int(priority, f"{what} priority", -_INT32, _INT32)
        if type(attempts) is not int or not 1 <= attempts <= _INT32:
            check_int(attempts, f"{what} max_attempts", 1, _INT32)
        return {
            "workflow_run_id": run_id if plain_id(run_id) else check_id(run_id, f"{what} workflow_run_id"),
            "stage_id": stage_id if plain_id(stage_id) else check_id(stage_id, f"{what} stage_id"),
            "priority": priority,
            "payload": "{}" if payload is None else encode_json(payload, f"{what} payload"),
            "run_at": None if run_at is None else self._ctx.ts_out(check_dt(run_at, f"{what} run_at")),
            "max_attempts": attempts,
            "queue": queue if plain_id(queue) else check_text(queue, f"{what} queue", _MAX_TEXT, blank=False),
            "unique_key": None if unique_key is None else check_id(unique_key, f"{what} unique_key"),
        }

    async def enqueue(
        self,
        *,
        workflow_run_id: str,
        stage_id: str,
        priority: int = 5,
        payload: Any = None,
        run_at: datetime | None = None,
        max_attempts: int = 3,
        queue: str = "default",
        unique_key: str | None = None,
    ) -> str:
        """Add a PENDING job and return its id.

        Higher `priority` is claimed first; `run_at` (timezone-aware) delays it; `payload` is any JSON value
        (default `{}`); a job is claimed at most `max_attempts` times. When `unique_key` is given and a job with
        that key is still PENDING or RUNNING, nothing is added and that job's id is returned. The workflow run
        must exist (NotFound otherwise).
        """
        spec = self._spec(
            {
                "workflow_run_id": workflow_run_id,
                "stage_id": stage_id,
                "priority": priority,
                "payload": payload,
                "run_at": run_at,
                "max_attempts": max_attempts,
                "queue": queue,
                "unique_key": unique_key,
            },
            "job",
        )
        return (await self._insert([spec]))[0]

    async def enqueue_many(self, specs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Add many jobs in one round trip; each spec is a dict of `enqueue`'s keywords. Ids in input order.

        The whole batch is validated before anything is written. A spec whose `unique_key` is held by a pending or
        running job (or by an earlier spec of the same batch) gets that job's id.
        """
        if isinstance(specs, (str, bytes, Mapping)) or not isinstance(specs, Sequence):
            raise InvalidInput("specs must be a list of dicts of enqueue's keywords")
        rows = []
        for i, spec in enumerate(specs):
            if not isinstance(spec, Mapping):
                raise InvalidInput(f"specs[{i}] must be a dict, got {type(spec).__name__}")
            rows.append(self._spec(spec, f"specs[{i}]"))
        if not rows:
            return []
        return await self._insert(rows)

    async def _insert(self, specs: list[dict[str, Any]]) -> list[str]:
        t = self._ctx.tenant()
        ids: list[str | None] = [None] * len(specs)
        todo = list(range(len(specs)))
        # A batch is written all or nothing (executemany may split it into several statements): with a clock read
        # first, the read and the writes share one transaction; a single row is one autocommitted INSERT.
        many = self._stamp and len(specs) > 1
        async with self._ctx.write() if many else self._ctx.plain() as conn:
            now = None
            if self._stamp:
                clock = await conn.one(self._ctx[Q.db_now], {"tenant_id": t})
                assert clock is not None
                now = self._ctx.ts_out(clock)
            for _ in range(5):
                keys = sorted({k for i in todo if (k := specs[i]["unique_key"]) is not None})
                # Without unique keys there is nothing to skip: PostgreSQL then inserts without ON CONFLICT, whose
                # speculative insertion costs every row (the id is a fresh UUIDv7, so a clash raises, as it should).
                b = self._ctx[Q.enqueue if keys else Q.enqueue_unkeyed]
                row_of = b.pick
                batch = []
                for i in todo:
                    spec = specs[i]
                    spec["tenant_id"] = t
                    spec["id"] = ids[i] = uuid7()
                    spec["now"] = now
                    if now is not None and spec["run_at"] is None:
                        spec["run_at"] = now
                    batch.append(row_of(spec))
                inserted = await conn.batch(b, batch)
                if inserted == len(todo) or not keys:
                    break
                # Some unique keys were taken: those specs get the id of the job that holds the key now.
                held = await conn.many(self._ctx[Q.active_ids_by_key], {"tenant_id": t, "keys": keys})
                holder = {h.unique_key: h.id for h in held}
                retry = []
                for i in todo:
                    key = specs[i]["unique_key"]
                    if key is None:
                        continue
                    if key in holder:
                        ids[i] = holder[key]
                    else:  # the holder finished in between: enqueue this one again
                        retry.append(i)
                todo = retry
                if not todo:
                    break
            else:
                raise DatabaseError("enqueue kept racing with jobs finishing under the same unique_key")
        self._s.notified(t)
        return [i for i in ids if i is not None]

    # -- claims -----------------------------------------------------------------------------------------------

    async def dequeue(self, *, worker_id: str, queue: str | None = None) -> Job | None:
        """Claim the next due PENDING job for `worker_id`, or None when there is none.

        Order: priority (highest first), then run_at (the enqueue time when not delayed), then id. The job becomes
        RUNNING with a fresh `lease`, `attempt` + 1, and locked_at/started_at set to the database time. No job is
        ever handed to two workers, and a job with no attempts left is never claimed.
        """
        jobs = await self.dequeue_many(worker_id=worker_id, limit=1, queue=queue)
        return jobs[0] if jobs else None

    async def dequeue_many(self, *, worker_id: str, limit: int, queue: str | None = None) -> list[Job]:
        """Claim up to `limit` due jobs at once (see `dequeue`), in claim order; they share one lease token."""
        t = self._ctx.tenant()
        check_text(worker_id, "worker_id", _MAX_TEXT, blank=False)
        check_int(limit, "limit", 0, _MAX_CLAIM)
        if queue is not None:
            check_text(queue, "queue", _MAX_TEXT, blank=False)
        if limit == 0:
            return []
        lease = uuid.uuid4().hex
        values: dict[str, Any] = {"tenant_id": t, "worker_id": worker_id, "lease": lease, "limit": limit}
        if queue is not None:
            values["queue"] = queue
        claim = self._ctx[_CLAIMS[limit == 1, queue is not None]]
        if self._two_step:
            async with self._ctx.write() as conn:
                jobs = await conn.many(claim, values)
                if not jobs:
                    return []
                # The picked rows already read as claimed, stamped with the pick statement's time.
                now = jobs[0].locked_at
                assert now is not None
                await conn.run(
                    self._ctx[Q.claim_mark],
                    {
                        "tenant_id": t,
                        "worker_id": worker_id,
                        "lease": lease,
                        "now": self._ctx.ts_out(now),
                        "ids": [j.id for j in jobs],
                    },
                )
        else:
            async with self._ctx.plain() as conn:
                jobs = await conn.many(claim, values)
        jobs.sort(key=lambda j: (-j.priority, j.run_at, j.id))
        return jobs

    # -- fenced transitions -------------------------------------------------------------------------------

    def _fence(self, job_id: str, lease: str) -> dict[str, Any]:
        check_id(job_id, "job_id")
        check_text(lease, "lease", _MAX_TEXT)
        return {"tenant_id": self._ctx.tenant(), "id": job_id, "lease": lease}

    async def _fenced(self, stmt: Exec, values: dict[str, Any], verb: str) -> None:
        async with self._ctx.plain() as conn:
            n = await conn.run(self._ctx[stmt], values)
            if n:
                return
            job = await conn.one(self._ctx[Q.get_job], {"tenant_id": values["tenant_id"], "id": values["id"]})
        job_id = values["id"]
        if job is None:
            raise LeaseLost(f"cannot {verb} job {job_id!r}: it does not exist")
        if job.status is Status.RUNNING and job.lease == values["lease"]:
            return  # MariaDB counts only changed rows: the same microsecond written twice changes nothing
        if job.status is Status.RUNNING:
            raise LeaseLost(f"cannot {verb} job {job_id!r}: its lease expired and another claim holds it now")
        raise LeaseLost(f"cannot {verb} job {job_id!r}: it is {job.status.value}, no longer held by this lease")

    async def complete(self, job_id: str, *, lease: str) -> None:
        """Mark a job COMPLETED. Raises LeaseLost (and changes nothing) unless it is RUNNING under this lease."""
        await self._fenced(Q.complete, self._fence(job_id, lease), "complete")

    async def heartbeat(self, job_id: str, *, lease: str) -> None:
        """Renew the lease of a running job (its locked_at becomes now), so `release_stale_jobs` leaves it alone.

        Raises LeaseLost when the job is no longer RUNNING under this lease: the worker should stop working on it.
        """
        await self._fenced(Q.heartbeat, self._fence(job_id, lease), "heartbeat")

    async def fail(self, job_id: str, *, lease: str, error: str, retry: bool = False) -> None:
        """Record `error` as last_error; with `retry=True` and attempts left, the job goes back to PENDING after the
        retry backoff, otherwise it becomes FAILED with completed_at. Raises LeaseLost like `complete`.
        """
        values = self._fence(job_id, lease)
        check_text(error, "error", 1_000_000)
        if not isinstance(retry, bool):
            raise InvalidInput(f"retry must be a bool, got {type(retry).__name__}")
        values.update(error=error, retry=retry, **self._backoff())
        await self._fenced(Q.fail, values, "fail")

    async def suspend(self, job_id: str, *, lease: str, next_poll_at: datetime) -> None:
        """Park a running job as SUSPENDED until `next_poll_at` (see `get_suspended_jobs_ready_to_poll`, `resume`).

        The lease ends. Suspending is not a failed attempt: the attempt it used is given back, so a job suspended on
        its last attempt can still be resumed and claimed. Raises LeaseLost like `complete`.
        """
        values = self._fence(job_id, lease)
        values["next_poll_at"] = self._ctx.ts_out(check_dt(next_poll_at, "next_poll_at"))
        await self._fenced(Q.suspend, values, "suspend")

    async def complete_many(self, jobs: Iterable[Job | tuple[str, str]]) -> int:
        """Complete a batch of claimed jobs (Job records, or (job_id, lease) pairs) in one round trip.

        Fenced like `complete`, but jobs whose lease was lost are skipped instead of raising: the count of jobs
        actually completed is returned.
        """
        t = self._ctx.tenant()
        pairs = _lease_pairs(jobs)
        done = 0
        async with self._ctx.plain() as conn:
            for i in range(0, len(pairs), _CHUNK):
                chunk = pairs[i : i + _CHUNK]
                ids = [p[0] for p in chunk]
                leases = sorted({p[1] for p in chunk})
                if len(leases) == 1:
                    # One claim's batch (the usual case) shares one lease: `lease = :lease` fences every row exactly
                    # as the (id, lease) pairs would, without building and matching a string per row.
                    values: dict[str, Any] = {"tenant_id": t, "ids": ids, "lease": leases[0]}
                    done += await conn.run(self._ctx[Q.complete_many], values)
                else:
                    values = {"tenant_id": t, "ids": ids, "leases": leases, "pairs": [f"{a}|{b}" for a, b in chunk]}
                    done += await conn.run(self._ctx[Q.complete_pairs], values)
        return done

    def _backoff(self) -> dict[str, float]:
        return {"base": self._s.backoff_base, "cap": self._s.backoff_cap, "jitter": random.uniform(0.75, 1.25)}

    # -- maintenance --------------------------------------------------------------------------------------

    async def release_stale_jobs(self, older_than: timedelta = timedelta(minutes=5)) -> int:
        """Recover jobs of dead workers: RUNNING jobs whose lease was not renewed (claim or heartbeat) for
        `older_than` go back to PENDING after the retry backoff when attempts remain, else become FAILED with a
        last_error saying why. Their old lease stops working. Returns how many jobs were released.
        """
        t = self._ctx.tenant()
        secs = _seconds(older_than, "older_than")
        values: dict[str, Any] = {"tenant_id": t, "older_than": secs, "limit": _CHUNK}
        total = 0
        while True:
            async with self._ctx.plain() as conn:
                rows = await conn.many(self._ctx[Q.stale_jobs], values)
                if not rows:
                    return total
                reason = f"lease expired: no heartbeat for {secs:g} s"
                update = values | {"ids": rows, "reason": reason} | self._backoff()
                total += await conn.run(self._ctx[Q.release_stale], update)
            if len(rows) < _CHUNK:
                return total

    async def get_suspended_jobs_ready_to_poll(self, *, limit: int = 1000) -> list[SuspendedJob]:
        """SUSPENDED jobs whose next_poll_at has come, soonest first (at most `limit`)."""
        t = self._ctx.tenant()
        check_int(limit, "limit", 0, 1_000_000)
        async with self._ctx.plain() as conn:
            return await conn.many(self._ctx[Q.suspended_ready], {"tenant_id": t, "limit": limit})

    async def _transition(self, stmt: Exec, job_id: str) -> bool:
        t = self._ctx.tenant()
        check_id(job_id, "job_id")
        async with self._ctx.plain() as conn:
            if await conn.run(self._ctx[stmt], {"tenant_id": t, "id": job_id}):
                return True
            job = await conn.one(self._ctx[Q.get_job], {"tenant_id": t, "id": job_id})
        if job is None:
            raise NotFound(f"job {job_id!r} does not exist")
        return False

    async def resume(self, job_id: str) -> bool:
        """Put a SUSPENDED job back to PENDING, claimable at once. True if it was suspended; False if it is in
        another state (for example already resumed by another poller); NotFound if it does not exist.
        """
        resumed = await self._transition(Q.resume, job_id)
        if resumed:
            self._s.notified(self._ctx.tenant())
        return resumed

    async def cancel(self, job_id: str) -> bool:
        """Cancel a PENDING, SUSPENDED or RUNNING job (a running job's lease stops working: its worker gets
        LeaseLost). True if it was cancelled; False if it had already finished; NotFound if it does not exist.
        """
        return await self._transition(Q.cancel, job_id)

    async def cancel_by_run(self, run_id: str) -> int:
        """Cancel every unfinished job of a workflow run; returns how many were cancelled."""
        t = self._ctx.tenant()
        check_id(run_id, "run_id")
        values: dict[str, Any] = {"tenant_id": t, "workflow_run_id": run_id}
        total = 0
        async with self._ctx.plain() as conn:
            ids = await conn.many(self._ctx[Q.run_jobs], values)
            for i in range(0, len(ids), _CHUNK):
                total += await conn.run(self._ctx[Q.cancel_by_run], values | {"ids": ids[i : i + _CHUNK]})
        return total

    async def get_job(self, job_id: str) -> Job | None:
        """The job, or None."""
        t = self._ctx.tenant()
        check_id(job_id, "job_id")
        return await self._ctx.one(Q.get_job, {"tenant_id": t, "id": job_id})

    async def counts(self, queue: str | None = None) -> dict[Status, int]:
        """How many jobs are in each status (every Status is a key, zeros included), in one queue or all."""
        t = self._ctx.tenant()
        values: dict[str, Any] = {"tenant_id": t}
        if queue is None:
            q = Q.counts
        else:
            values["queue"] = check_text(queue, "queue", _MAX_TEXT, blank=False)
            q = Q.counts_queue
        async with self._ctx.plain() as conn:
            rows = await conn.many(self._ctx[q], values)
        out = dict.fromkeys(Status, 0)
        for row in rows:
            out[row.status] = row.jobs
        return out

    async def prune(self, *, finished_before: datetime | timedelta) -> int:
        """Delete jobs that finished (COMPLETED, FAILED, CANCELLED or SKIPPED) before `finished_before`: a
        timezone-aware datetime, or a timedelta meaning that long before the database's now. Deletes in chunks of
        5,000 rows (one short transaction each); returns how many were deleted.
        """
        t = self._ctx.tenant()
        if isinstance(finished_before, timedelta):
            ago = _seconds(finished_before, "finished_before")
            async with self._ctx.plain() as conn:
                clock = await conn.one(self._ctx[Q.db_now], {"tenant_id": t})
            assert clock is not None
            before: Any = self._ctx.ts_out(clock - timedelta(seconds=ago))
        else:
            before = self._ctx.ts_out(check_dt(finished_before, "finished_before"))
        total = 0
        prune = self._ctx[Q.prune]
        while True:
            async with self._ctx.plain() as conn:
                n = await conn.run(prune, {"tenant_id": t, "before": before, "limit": _CHUNK})
            total += n
            if n < _CHUNK:
                return total

    # -- wake-ups -----------------------------------------------------------------------------------------------

    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109 - the public contract takes a timeout
        """Sleep until a job may be ready, at most `timeout` seconds. True if woken early, False on timeout.

        Wakes when this store enqueues or resumes a job of the current tenant, or, on PostgreSQL reached directly
        (or through PgBouncer with a `direct_url`), when any process does (LISTEN/NOTIFY on a direct connection of
        its own). Elsewhere it polls every `poll_interval`
        for a due job. A notification that arrived since the previous `wait` returns at once, so a worker loop of
        `dequeue` then `wait` cannot miss a job enqueued in between.
        """
        secs = _seconds(timeout, "timeout")
        t = self._ctx.tenant()
        ev = self._s.event(t)
        if ev.is_set():
            ev.clear()
            return True
        if await self._listening():
            try:
                await asyncio.wait_for(ev.wait(), secs)
            except TimeoutError:
                return False
            ev.clear()
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + secs
        while True:
            if await self._has_due(t):
                return True
            left = deadline - loop.time()
            if left <= 0:
                return False
            try:
                await asyncio.wait_for(ev.wait(), min(left, self._s.poll_interval))
            except TimeoutError:
                continue
            ev.clear()
            return True

    async def _has_due(self, t: str) -> bool:
        return await self._ctx.one(Q.has_due, {"tenant_id": t}) is not None

    async def _listening(self) -> bool:
        s = self._s
        if s.listener is not None and s.listener.alive():
            return True
        if not s.listen_supported or s.closed:
            return False
        async with s.listen_lock:
            if s.listener is not None and s.listener.alive():
                return True
            listener = await self._ctx.driver.listen(_CHANNEL, s.notified)
            if listener is None:
                s.listen_supported = False
                return False
            s.listener = listener
        # Jobs enqueued before the subscription sent no notification we could see: look once.
        if await self._has_due(self._ctx.tenant()):
            s.notified(self._ctx.tenant())
        return True

    async def close(self) -> None:
        """Stop listening for wake-ups; called by `Store.close()`."""
        self._s.closed = True
        listener, self._s.listener = self._s.listener, None
        if listener is not None:
            await listener.close()
