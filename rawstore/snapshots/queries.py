"""The snapshots domain's queries (sql/<dialect>/snapshots.sql) and the records their rows decode to."""

from __future__ import annotations

from typing import Any

from ..queryset import Exec, Many, One, QuerySet, Scalar
from .records import WorkflowSnapshot


class SnapshotQueries(QuerySet, domain="snapshots"):
    """The queries of sql/<dialect>/snapshots.sql.

    list_runs has one page query per combination of its equality filters, each served by its own index, in two
    forms: `runs_*` select `NULL AS snapshot` (the snapshot column is never read) and `runs_with_snapshot_*` the
    snapshot; `count_runs_*` count the same filters.
    """

    upsert_snapshot = One(WorkflowSnapshot)  # the stored row, snapshot None
    insert_new_snapshot = Exec()
    load_snapshot = One(Any)
    get_snapshot = One(WorkflowSnapshot)
    lock_snapshot = One(WorkflowSnapshot)
    latest_run = One(WorkflowSnapshot)
    update_snapshot = Exec()
    set_state = Exec()
    delete_snapshot = Exec()

    runs = Many(WorkflowSnapshot)
    runs_by_name = Many(WorkflowSnapshot)
    runs_by_resource = Many(WorkflowSnapshot)
    runs_by_status = Many(WorkflowSnapshot)
    runs_by_name_resource = Many(WorkflowSnapshot)
    runs_by_name_status = Many(WorkflowSnapshot)
    runs_by_resource_status = Many(WorkflowSnapshot)
    runs_by_name_resource_status = Many(WorkflowSnapshot)

    runs_with_snapshot = Many(WorkflowSnapshot)
    runs_with_snapshot_by_name = Many(WorkflowSnapshot)
    runs_with_snapshot_by_resource = Many(WorkflowSnapshot)
    runs_with_snapshot_by_status = Many(WorkflowSnapshot)
    runs_with_snapshot_by_name_resource = Many(WorkflowSnapshot)
    runs_with_snapshot_by_name_status = Many(WorkflowSnapshot)
    runs_with_snapshot_by_resource_status = Many(WorkflowSnapshot)
    runs_with_snapshot_by_name_resource_status = Many(WorkflowSnapshot)

    count_runs = Scalar(int)
    count_runs_by_name = Scalar(int)
    count_runs_by_resource = Scalar(int)
    count_runs_by_status = Scalar(int)
    count_runs_by_name_resource = Scalar(int)
    count_runs_by_name_status = Scalar(int)
    count_runs_by_resource_status = Scalar(int)
    count_runs_by_name_resource_status = Scalar(int)
