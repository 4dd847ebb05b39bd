"""Legacy eval results (`store.evals`)."""

from .queries import EvalQueries
from .store import EvalStore

__all__ = ["EvalQueries", "EvalStore"]
