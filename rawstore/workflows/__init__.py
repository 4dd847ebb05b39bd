"""The workflows domain: runs, stages, logs and artifacts (`store.workflows`)."""

from .queries import WorkflowQueries
from .records import WorkflowArtifact, WorkflowLog, WorkflowRun, WorkflowStage
from .store import WorkflowStore

__all__ = ["WorkflowArtifact", "WorkflowLog", "WorkflowQueries", "WorkflowRun", "WorkflowStage", "WorkflowStore"]
