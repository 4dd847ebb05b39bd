"""Records of the memories domain (msgspec Structs)."""

from __future__ import annotations
