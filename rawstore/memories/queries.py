"""The semantic-memory domain's queries (sql/<dialect>/memories.sql) and what their rows decode to."""

from __future__ import annotations

from ..queryset import Batch, Exec, Many, One, QuerySet, Raw, Scalar
from .records import Memory, Session, User
from .vectors import unpack

# A validated memory row, in this order.
MEMORY_FIELDS = (
    "tenant_id",
    "id",
    "user_id",
    "session_id",
    "content",
    "importance",
    "dims",
    "embedding",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
)

_EMBEDDING = {"embedding": unpack}


class MemoryItemQueries(QuerySet, domain="memories"):
    """The queries of sql/<dialect>/memories.sql (PostgreSQL's statements for the vector extension are templates
    of sql/postgres/pgvector/memories.sql: see pgvector.py)."""

    get_user = One(User)
    lock_user = One(User)
    get_user_by_email = One(User)
    upsert_user = Exec()
    delete_user_memories = Exec()
    delete_user_sessions = Exec()
    delete_user = Exec()
    lock_user_dims = Raw()  # (id, embedding_dims)
    user_dims = Raw()  # (id, embedding_dims)
    set_user_dims = Exec()
    user_embeddings = Scalar(int)
    insert_session = Exec()
    get_session = One(Session)
    end_session = Exec()
    sessions_page = Many(Session)
    insert_memories = Batch(fields=MEMORY_FIELDS)
    get_memory = One(Memory, decode=_EMBEDDING)
    lock_memory = One(Memory, decode=_EMBEDDING)
    get_memories = Many(Memory, decode=_EMBEDDING)
    update_memory = Exec()
    soft_delete_memory = Exec()
    restore_memory = Exec()
    purge_memories = Exec()
    memories_created_page = Many(Memory, decode=_EMBEDDING)
    memories_importance_page = Many(Memory, decode=_EMBEDDING)
    vector_candidates = Raw()  # (id, packed embedding)
    text_search = Many(str)
