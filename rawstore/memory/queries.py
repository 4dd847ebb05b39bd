"""The memory domain's queries (sql/<dialect>/memory.sql) and the records their rows decode to."""

from __future__ import annotations

from ..queryset import Batch, Exec, Many, One, QuerySet, Raw, Scalar
from .records import Message, Resource, Thread

# Placeholder order of a validated message row.
MESSAGE_FIELDS = ("tenant_id", "id", "thread_id", "role", "type", "content", "resource_id", "created_at")


class MemoryQueries(QuerySet, domain="memory"):
    """The queries of sql/<dialect>/memory.sql and what their rows decode to."""

    get_thread = One(Thread)
    lock_thread = One(Thread)
    threads_created_asc = Many(Thread)
    threads_created_desc = Many(Thread)
    threads_updated_asc = Many(Thread)
    threads_updated_desc = Many(Thread)
    count_threads = Scalar(int)
    existing_threads = Many(str)
    upsert_thread = Exec()
    insert_thread = Exec()
    update_thread = Exec()
    delete_thread = Exec()
    delete_thread_messages = Exec()
    touch_threads = Exec()
    insert_new_messages = Batch(fields=MESSAGE_FIELDS)
    upsert_messages = Batch(fields=MESSAGE_FIELDS)
    existing_messages = Raw()  # (id, thread_id, created_at): created_at is decoded only for ids that existed
    get_messages = Many(Message)
    lock_messages = Many(Message)
    message_window = Many(Message)
    messages_asc = Many(Message)
    messages_desc = Many(Message)
    count_messages = Scalar(int)
    message_threads = Many(str)
    update_message = Exec()
    delete_messages = Exec()
    get_resource = One(Resource)
    lock_resource = One(Resource)
    upsert_resource = Exec()
    ensure_resource = Exec()
    update_resource = Exec()
