"""Records of the snapshots domain (msgspec Structs)."""

from __future__ import annotations
