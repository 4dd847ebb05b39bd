"""Records of the evals domain (msgspec Structs)."""

from __future__ import annotations
