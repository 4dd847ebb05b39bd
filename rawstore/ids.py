"""Time-ordered ids (UUIDv7, RFC 9562) for rows the kit creates; they keep B-tree inserts append-mostly."""

from __future__ import annotations

import os
import threading
import time

_lock = threading.Lock()
_last = 0


def uuid7() -> str:
    """A new UUIDv7 string; ids made by one process increase strictly, even within one millisecond."""
    global _last
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    # 48-bit ms | version 7 | 12 random bits | variant 10 | 62 random bits
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64 | 0b10 << 62
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF
    with _lock:
        if value <= _last:
            # Same millisecond (or a clock step back): count up from the previous id, keeping version and variant.
            value = _last + 1
            if (value >> 62) & 0b11 != 0b10:
                value = ((value >> 64) + 1) << 64 | 0b10 << 62
        _last = value
    # The canonical 8-4-4-4-12 form, formatted directly: str(uuid.UUID(int=...)) costs about 4x more.
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
