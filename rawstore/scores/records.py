"""Records of the scores domain (msgspec Structs)."""

from __future__ import annotations
