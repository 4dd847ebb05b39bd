"""Schema operations: the kit's tables, columns and indexes, and index management (`store.schema`)."""

from .queries import SchemaQueries
from .records import ColumnInfo, IndexInfo, IndexStats, TableInfo
from .store import SchemaStore

__all__ = ["ColumnInfo", "IndexInfo", "IndexStats", "SchemaQueries", "SchemaStore", "TableInfo"]
