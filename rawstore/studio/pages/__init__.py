"""The studio's pages, one module per part of the kit; importing them registers their routes (`web.page`)."""

from . import ai_calls, jobs, memories, overview, scores, threads, traces, workflows

__all__ = ["ai_calls", "jobs", "memories", "overview", "scores", "threads", "traces", "workflows"]
