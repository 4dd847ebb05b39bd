"""The statements of sql/postgres/pgvector/memories.sql: templates for PostgreSQL with the vector extension.

They are not kit queries bound at connect(): their text names a table per dimension (rs_memories_vec_<dims>) and the
extension's schema, so each is compiled the first time one dimension needs it, and kept.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..queryset import Bound
from ..sqlfiles import STYLE, compile_sql, data_dir, parse_sql_file
from .vectors import MAX_DIMS

TEMPLATES = (
    "vector_extension",
    "vector_table_exists",
    "vector_table_lock",
    "create_vector_table",
    "vector_backfill",
    "create_vector_user_index",
    "create_vector_hnsw_index",
    "insert_vectors",
    "upsert_vector",
    "delete_vector",
    "vector_scan_settings",
    "vector_scan_reset",
    "vector_scan_current",
    "vector_nearest",
    "vector_nearest_unfiltered",
    "vector_nearest_exact",
)


def _rows(row: Any) -> Any:
    return row


class VectorStatements:
    """The templates with `{schema}` filled; `bound(name, dims, vector_schema)` fills the rest and compiles."""

    def __init__(self, qualifier: str) -> None:
        path = data_dir("sql") / "postgres" / "pgvector" / "memories.sql"
        parsed = parse_sql_file(path.read_text("utf-8"), "memories_vector", "postgres", str(path), qualifier)
        self._sources = {key.partition(".")[2]: q for key, q in parsed.items()}
        missing = [n for n in TEMPLATES if n not in self._sources]
        if missing:
            raise ConfigError(f"{path}: statements missing: {', '.join(missing)}")
        self._cache: dict[tuple[str, int, str, int], Bound[Any]] = {}

    def bound(self, name: str, dims: int, vector_schema: str, *, ef: int = 0) -> Bound[Any]:
        """The statement for one dimension (`dims` from 1 to MAX_DIMS, validated by the caller; 0 for those without
        a {dims} slot), the extension's schema (quoted, with a dot) and, for vector_scan_settings, `ef` (an HNSW
        ef_search from 1 to 1000); rows come back as the driver returns them."""
        key = (name, dims, vector_schema, ef)
        b = self._cache.get(key)
        if b is None:
            for what, v, hi in (("dimension", dims, MAX_DIMS), ("ef_search", ef, 1000)):
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
                    raise ConfigError(f"{what} {v!r} is out of range")
            template = self._sources[name]
            text = (
                template.source.replace("{dims}", str(dims)).replace("{vector}", vector_schema).replace("{ef}", str(ef))
            )
            compiled = compile_sql(text, STYLE["postgres"], inline_limits=True)
            query = type(template)(
                name=template.name,
                dialect="postgres",
                source=text,
                compiled=compiled,
                doc=template.doc,
                array_batch=template.array_batch,
                origin=template.origin,
            )
            b = Bound(query, _rows)
            self._cache[key] = b
        return b
