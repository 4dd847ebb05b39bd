"""Records of the traces domain (msgspec Structs)."""

from __future__ import annotations
