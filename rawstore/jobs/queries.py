"""The job queue's queries (sql/<dialect>/jobs.sql) and the records their rows decode to."""

from __future__ import annotations

from datetime import datetime

from ..queryset import Batch, Exec, Many, One, QuerySet
from .records import Job, KeyHolder, StatusCount, SuspendedJob


class JobQueries(QuerySet, domain="jobs"):
    """The queries of sql/<dialect>/jobs.sql and what their rows decode to."""

    db_now = One(datetime)
    enqueue = Batch()
    enqueue_unkeyed = Batch()
    active_ids_by_key = Many(KeyHolder)
    # Where the database has UPDATE ... RETURNING, a claim is one statement returning the claimed jobs; elsewhere
    # it locks and reads the jobs as they will be once claim_mark, in the same transaction, has marked them.
    claim_any = Many(Job)
    claim_one_any = Many(Job)
    claim_queue = Many(Job)
    claim_one_queue = Many(Job)
    claim_mark = Exec()
    complete = Exec()
    complete_many = Exec()
    complete_pairs = Exec()
    heartbeat = Exec()
    fail = Exec()
    suspend = Exec()
    stale_jobs = Many(str)
    release_stale = Exec()
    suspended_ready = Many(SuspendedJob)
    resume = Exec()
    cancel = Exec()
    run_jobs = Many(str)
    cancel_by_run = Exec()
    get_job = One(Job)
    counts = Many(StatusCount, decode={"jobs": int})
    counts_queue = Many(StatusCount, decode={"jobs": int})
    prune = Exec()
    has_due = One(int)
