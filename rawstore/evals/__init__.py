"""Legacy eval results (`store.evals`)."""

from .queries import EvalQueries
from .records import EvalRecord
from .store import EvalStore

__all__ = ["EvalQueries", "EvalRecord", "EvalStore"]
