"""The evals domain's queries (sql/<dialect>/evals.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import Batch, Many, QuerySet, Scalar
from .records import EvalRecord

# The values of a validated eval row, in this order.
EVAL_FIELDS = (
    "tenant_id",
    "id",
    "agent_name",
    "metric_name",
    "input",
    "output",
    "result",
    "instructions",
    "run_id",
    "global_run_id",
    "test_info",
    "is_test",
    "created_at",
)


class EvalQueries(QuerySet, domain="evals"):
    """The queries of sql/<dialect>/evals.sql and what their rows decode to."""

    insert_evals = Batch(fields=EVAL_FIELDS)
    evals = Many(EvalRecord)
    evals_by_agent = Many(EvalRecord)
    evals_by_type = Many(EvalRecord)
    evals_by_agent_type = Many(EvalRecord)
    count_evals = Scalar(int)
    count_evals_by_agent = Scalar(int)
    count_evals_by_type = Scalar(int)
    count_evals_by_agent_type = Scalar(int)
