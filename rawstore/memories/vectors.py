"""Embeddings: validation, the packed float32 form every database stores, and exact cosine ranking in the client.

A vector is stored as `dims` little-endian float32 values (4 bytes each). Exact ranking uses numpy when it is
installed (`pip install 'rawstore[vector]'`) and a pure-Python loop otherwise; both give the same order.
"""

from __future__ import annotations

import heapq
import math
import operator
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, cast

from ..errors import InvalidInput

try:  # pragma: no cover - depends on the environment
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None  # type: ignore[assignment]

MAX_DIMS = 2000
"""Most components an embedding may have: pgvector's limit for an indexed `vector` column, on every database."""

_BIG_ENDIAN = sys.byteorder == "big"
_F4 = None if _np is None else _np.dtype("<f4")
_PGV_HEAD = struct.Struct(">HH")
# struct.Struct("<{dims}f") per dimension seen: unpacking makes the floats straight into a tuple.
_UNPACKERS: dict[int, struct.Struct] = {}


def has_numpy() -> bool:
    return _np is not None


def pack(value: object, what: str) -> tuple[bytes, int]:
    """The packed little-endian float32 form of an embedding and its dimension.

    InvalidInput unless it is a flat sequence of 1 to MAX_DIMS finite real numbers (each within float32's range)
    that is not all zeros (a zero vector has no direction, so no cosine distance).
    """
    if isinstance(value, (str, bytes, bytearray, memoryview, dict, set, frozenset)) or value is None:
        raise InvalidInput(f"{what} must be a sequence of floats, got {type(value).__name__}")
    if _np is not None and isinstance(value, _np.ndarray):
        return _pack_numpy(value, what)
    try:
        a = array("f", cast(Iterable[float], value))
    except (TypeError, ValueError, OverflowError) as e:
        raise InvalidInput(f"{what} must be a sequence of floats: {e}") from None
    n = len(a)
    if not 1 <= n <= MAX_DIMS:
        raise InvalidInput(f"{what} must have 1 to {MAX_DIMS} components, got {n}")
    # A NaN or an infinity (including a value beyond float32's range, which became one) makes the sum so.
    if not math.isfinite(sum(a)):
        raise InvalidInput(f"{what} has a NaN or infinite component (or one beyond float32's range)")
    if not any(a):
        raise InvalidInput(f"{what} is all zeros: it has no direction, so no cosine distance")
    if _BIG_ENDIAN:  # pragma: no cover - little-endian machines only here
        a.byteswap()
    return a.tobytes(), n


def _pack_numpy(value: Any, what: str) -> tuple[bytes, int]:
    assert _np is not None
    if value.ndim != 1:
        raise InvalidInput(f"{what} must be a 1-dimensional array, got {value.ndim} dimensions")
    if value.dtype.kind not in "fiu":
        raise InvalidInput(f"{what} must hold real numbers, got dtype {value.dtype}")
    n = int(value.shape[0])
    if not 1 <= n <= MAX_DIMS:
        raise InvalidInput(f"{what} must have 1 to {MAX_DIMS} components, got {n}")
    if value.dtype == _F4:
        a = value
    else:
        with _np.errstate(over="ignore", invalid="ignore"):  # beyond float32's range becomes inf: refused below
            a = value.astype(_F4)
    if not _np.isfinite(a).all():
        raise InvalidInput(f"{what} has a NaN or infinite component (or one beyond float32's range)")
    if not a.any():
        raise InvalidInput(f"{what} is all zeros: it has no direction, so no cosine distance")
    return a.tobytes(), n


def pack_rows(values: Sequence[object]) -> tuple[list[bytes], int] | None:
    """The packed forms of many numpy vectors of one dimension, and that dimension, checked at once (one array
    operation per check instead of one per vector), or None when they are not all such arrays or one of them is
    invalid: then pack them one by one (which names the bad one)."""
    if _np is None or not values:
        return None
    first = values[0]
    if not isinstance(first, _np.ndarray) or first.ndim != 1 or first.dtype.kind not in "fiu":
        return None
    n, kind = first.shape[0], first.dtype
    if not 1 <= n <= MAX_DIMS:
        return None
    nd = _np.ndarray
    for v in values:
        if type(v) is not nd or v.ndim != 1 or v.shape[0] != n or v.dtype != kind:
            return None
    with _np.errstate(over="ignore", invalid="ignore"):
        # concatenate, then reshape: a fifth of np.stack's cost for a thousand small arrays.
        m = _np.concatenate(values).reshape(len(values), n).astype(_F4, copy=False)  # type: ignore[arg-type]
    if not (_np.isfinite(m).all() and m.any(axis=1).all()):
        return None
    # A tobytes() per row: one tobytes() of the whole matrix, then slices, costs twenty times as much (a fresh
    # megabyte-sized buffer is page faults).
    return [row.tobytes() for row in m], int(n)


def _unpacker(dims: int) -> struct.Struct:
    s = _UNPACKERS.get(dims)
    if s is None:
        s = struct.Struct(f"<{dims}f")
        if dims <= MAX_DIMS:  # what a kit write stores; anything longer was written by something else
            _UNPACKERS[dims] = s
    return s


def floats(blob: bytes, dims: int) -> tuple[float, ...]:
    """The packed vector's values as a tuple of floats (what reading it back gives): one C call, the floats made
    straight into the tuple."""
    out: tuple[float, ...] = _unpacker(dims).unpack(blob)
    return out


def unpack(blob: Any) -> tuple[float, ...] | None:
    """The stored form back as a tuple of floats (None stays None)."""
    if blob is None:
        return None
    if len(blob) % 4:
        raise ValueError(f"a packed vector of {len(blob)} bytes is not float32 values")
    out: tuple[float, ...] = _unpacker(len(blob) >> 2).unpack(blob)
    return out


def pgvector_wire(blob: bytes, dims: int) -> bytes:
    """pgvector's binary form of a packed vector: dimension, a zero, then big-endian float32 values."""
    if _np is not None:
        body = _np.frombuffer(blob, "<f4").astype(">f4").tobytes()
    else:
        a = array("f")
        a.frombytes(blob)
        if not _BIG_ENDIAN:
            a.byteswap()
        body = a.tobytes()
    return _PGV_HEAD.pack(dims, 0) + body


def nearest(query: bytes, rows: Sequence[Sequence[Any]], k: int) -> list[tuple[float, str]]:
    """The `k` rows (id, packed vector) nearest to `query` by cosine distance, as (distance, id), nearest first;
    equal distances in id order. Every row has the query's dimension (the SQL selected them by it)."""
    if k <= 0 or not rows:
        return []
    if _np is not None:
        return _nearest_numpy(query, rows, k)
    return _nearest_python(query, rows, k)


def _nearest_numpy(query: bytes, rows: Sequence[Sequence[Any]], k: int) -> list[tuple[float, str]]:
    assert _np is not None
    q = _np.frombuffer(query, "<f4")
    m = _np.frombuffer(b"".join([r[1] for r in rows]), "<f4").reshape(len(rows), q.shape[0])
    # float32 throughout (BLAS sgemv): the ranking needs no more, and a float64 copy of the matrix would cost more
    # than the product itself.
    norms = _np.sqrt(_np.einsum("ij,ij->i", m, m))
    dist = 1.0 - (m @ q) / (norms * _np.float32(math.sqrt(float(q @ q))))
    n = len(rows)
    if k < n:
        # Everything within the k-th distance (ties at the boundary included), then an exact order.
        kth = _np.partition(dist, k - 1)[k - 1]
        idx = _np.nonzero(dist <= kth)[0]
    else:
        idx = _np.arange(n)
    picked = sorted((float(dist[i]), str(rows[i][0])) for i in idx.tolist())
    return picked[:k]


def _nearest_python(query: bytes, rows: Sequence[Sequence[Any]], k: int) -> list[tuple[float, str]]:
    q = array("f")
    q.frombytes(query)
    if _BIG_ENDIAN:  # pragma: no cover
        q.byteswap()
    qn = math.sqrt(sum(map(operator.mul, q, q)))
    mul = operator.mul
    scored = []
    for row in rows:
        v = array("f")
        v.frombytes(row[1])
        if _BIG_ENDIAN:  # pragma: no cover
            v.byteswap()
        dot = sum(map(mul, v, q))
        norm = math.sqrt(sum(map(mul, v, v)))
        scored.append((1.0 - dot / (norm * qn), str(row[0])))
    return heapq.nsmallest(k, scored)
