"""The workflows domain's queries (sql/<dialect>/workflows.sql) and the records their rows decode to."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from ..enums import ARTIFACT_TYPE_BY_NAME, LEVEL_BY_NAME, STATUS_BY_NAME, Status
from ..queryset import Batch, Exec, Many, One, QuerySet, Raw, Scalar
from .records import WorkflowArtifact, WorkflowLog, WorkflowRun, WorkflowStage

# Placeholder order of a validated log row.
LOG_FIELDS = ("tenant_id", "id", "workflow_run_id", "workflow_stage_id", "level", "message", "metadata", "created_at")

# Enum columns decode by a dict lookup (see rawstore.enums).
_STATUS_DECODE: Final = {"status": STATUS_BY_NAME.__getitem__}
_LOG_DECODE: Final = {"level": LEVEL_BY_NAME.__getitem__}
_ARTIFACT_DECODE: Final = {"type": ARTIFACT_TYPE_BY_NAME.__getitem__}


class WorkflowQueries(QuerySet, domain="workflows"):
    """The queries of sql/<dialect>/workflows.sql and what their rows decode to."""

    insert_run = One(WorkflowRun, decode=_STATUS_DECODE)
    get_run = One(WorkflowRun, decode=_STATUS_DECODE)
    get_run_status = One(Status)
    runs_by_status = Many(WorkflowRun, decode=_STATUS_DECODE)
    update_run = Exec()
    claim_run = Exec()
    # Two shapes, so Raw: with UPDATE ... RETURNING the claimed run, with get_run's columns (decoded by get_run's
    # decoder); without (MariaDB), the id of the run picked and locked for claim_run to mark. Picking the whole run
    # there instead made MariaDB claims about 12% slower (measured), for a row that is read again once marked.
    claim_next_run = Raw()
    insert_stage = One(WorkflowStage, decode=_STATUS_DECODE)
    upsert_stage = One(WorkflowStage, decode=_STATUS_DECODE)
    get_stage = One(WorkflowStage, decode=_STATUS_DECODE)
    get_stage_by_id = One(WorkflowStage, decode=_STATUS_DECODE)
    update_stage = Exec()
    update_stage_by_key = Exec()
    stages_by_run_asc = Many(WorkflowStage, decode=_STATUS_DECODE)
    stages_by_run_desc = Many(WorkflowStage, decode=_STATUS_DECODE)
    suspended_stages = Many(WorkflowStage, decode=_STATUS_DECODE)
    first_resumable_stage = One(WorkflowStage, decode=_STATUS_DECODE)
    first_failed_stage = One(WorkflowStage, decode=_STATUS_DECODE)
    last_completed_stage = One(WorkflowStage, decode=_STATUS_DECODE)
    last_completed_stage_before = One(WorkflowStage, decode=_STATUS_DECODE)
    delete_stage = Exec()
    unlink_stage_artifacts = Exec()
    stage_row_id = One(str)
    clock = Scalar(datetime)
    insert_log = One(WorkflowLog, decode=_LOG_DECODE)
    insert_logs = Batch(fields=LOG_FIELDS)
    run_logs = Many(WorkflowLog, decode=_LOG_DECODE)
    stage_logs = Many(WorkflowLog, decode=_LOG_DECODE)
    save_artifact = One(WorkflowArtifact, decode=_ARTIFACT_DECODE)
    save_stage_output = Exec()
    load_artifact = One(Any)  # the JSON value (a stored JSON null and a missing artifact both read as None)
    has_artifact = One(int)
    delete_artifact = Exec()
    list_artifacts = Many(WorkflowArtifact, decode=_ARTIFACT_DECODE)
