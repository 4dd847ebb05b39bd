"""Records of the spans domain (msgspec Structs)."""

from __future__ import annotations
