"""Records of the workflow domain. PLACEHOLDER: filled in by the workflows work."""

from __future__ import annotations

import msgspec


class WorkflowRun(msgspec.Struct):
    """A workflow run."""


class WorkflowStage(msgspec.Struct):
    """A stage of a workflow run."""


class WorkflowLog(msgspec.Struct):
    """A log line of a workflow run or stage."""


class WorkflowArtifact(msgspec.Struct):
    """An artifact of a workflow run."""
