-- name: get_thread
-- One thread by id.
SELECT id, resource_id, title, metadata, created_at, updated_at
FROM rs_threads WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_thread
-- One thread by id, read inside the write transaction (BEGIN IMMEDIATE already serializes writers).
SELECT id, resource_id, title, metadata, created_at, updated_at
FROM rs_threads WHERE tenant_id = :tenant_id AND id = :id

-- name: upsert_thread
-- Insert a thread, or replace resource, title, metadata and updated_at of an existing one (created_at is kept).
INSERT INTO rs_threads (tenant_id, id, resource_id, title, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :resource_id, :title, :metadata, :created_at, :updated_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    resource_id = EXCLUDED.resource_id, title = EXCLUDED.title,
    metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at

-- name: insert_thread
-- Insert a new thread; a duplicate id is a unique violation.
INSERT INTO rs_threads (tenant_id, id, resource_id, title, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :resource_id, :title, :metadata, :created_at, :updated_at)

-- name: update_thread
-- Replace title and metadata, set updated_at.
UPDATE rs_threads SET title = :title, metadata = :metadata, updated_at = :updated_at
WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_thread
DELETE FROM rs_threads WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_thread_messages
DELETE FROM rs_messages WHERE tenant_id = :tenant_id AND thread_id = :id

-- name: existing_threads
-- Which of these thread ids exist.
SELECT id FROM rs_threads WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: touch_threads
-- Bump updated_at of these threads.
UPDATE rs_threads SET updated_at = :now WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: threads_created_asc
-- A page of a resource's threads by (created_at, id) ascending, after the cursor.
SELECT id, resource_id, title, metadata, created_at, updated_at FROM rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
ORDER BY created_at, id LIMIT :limit

-- name: threads_created_desc
SELECT id, resource_id, title, metadata, created_at, updated_at FROM rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: threads_updated_asc
SELECT id, resource_id, title, metadata, created_at, updated_at FROM rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND updated_at >= :c_ts AND (updated_at > :c_ts OR id > :c_id)
ORDER BY updated_at, id LIMIT :limit

-- name: threads_updated_desc
SELECT id, resource_id, title, metadata, created_at, updated_at FROM rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND updated_at <= :c_ts AND (updated_at < :c_ts OR id < :c_id)
ORDER BY updated_at DESC, id DESC LIMIT :limit

-- name: count_threads
SELECT count(*) FROM rs_threads WHERE tenant_id = :tenant_id AND resource_id = :resource_id

-- name: upsert_messages
-- Insert or update a batch of messages (one executemany in the caller's transaction); created_at is kept.
INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at)
VALUES (:tenant_id, :id, :thread_id, :role, :type, :content, :resource_id, :created_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    thread_id = excluded.thread_id, role = excluded.role, type = excluded.type,
    content = excluded.content, resource_id = excluded.resource_id

-- name: insert_new_messages
-- Insert a batch, skipping ids that already exist; the change count says how many were new.
INSERT INTO rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at)
VALUES (:tenant_id, :id, :thread_id, :role, :type, :content, :resource_id, :created_at)
ON CONFLICT (tenant_id, id) DO NOTHING

-- name: existing_messages
-- id, thread and created_at of the messages among these ids that exist.
SELECT id, thread_id, created_at FROM rs_messages WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: get_messages
-- Messages by id, across threads, ordered by (created_at, id).
SELECT id, thread_id, role, content, resource_id, type, created_at FROM rs_messages
WHERE tenant_id = :tenant_id AND id IN (:ids) ORDER BY created_at, id

-- name: lock_messages
-- Messages by id, read inside the write transaction (BEGIN IMMEDIATE already serializes writers).
SELECT id, thread_id, role, content, resource_id, type, created_at FROM rs_messages
WHERE tenant_id = :tenant_id AND id IN (:ids) ORDER BY id

-- name: update_message
UPDATE rs_messages SET thread_id = :thread_id, role = :role, type = :type, content = :content,
    resource_id = :resource_id
WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_messages
DELETE FROM rs_messages WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: message_threads
-- The distinct threads holding these messages.
SELECT DISTINCT thread_id FROM rs_messages WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: messages_asc
-- A page of a thread's messages by (created_at, id) ascending, strictly after the cursor, within [lo, hi].
SELECT id, thread_id, role, content, resource_id, type, created_at FROM rs_messages
WHERE tenant_id = :tenant_id AND thread_id = :thread_id
  AND created_at >= :lo AND created_at <= :hi AND (created_at > :c_ts OR id > :c_id)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
ORDER BY created_at, id LIMIT :limit

-- name: messages_desc
-- A page of a thread's messages by (created_at, id) descending, strictly before the cursor, within [lo, hi].
SELECT id, thread_id, role, content, resource_id, type, created_at FROM rs_messages
WHERE tenant_id = :tenant_id AND thread_id = :thread_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
  AND (:resource_id IS NULL OR resource_id = :resource_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_messages
SELECT count(*) FROM rs_messages
WHERE tenant_id = :tenant_id AND thread_id = :thread_id AND created_at >= :lo AND created_at <= :hi
  AND (:resource_id IS NULL OR resource_id = :resource_id)

-- name: message_window
-- Up to :before messages older and :after newer than (c_ts, c_id) in a thread, each side by index range.
SELECT * FROM (
    SELECT id, thread_id, role, content, resource_id, type, created_at FROM rs_messages
    WHERE tenant_id = :tenant_id AND thread_id = :thread_id
      AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
    ORDER BY created_at DESC, id DESC LIMIT :before) AS older
UNION ALL
SELECT * FROM (
    SELECT id, thread_id, role, content, resource_id, type, created_at FROM rs_messages
    WHERE tenant_id = :tenant_id AND thread_id = :thread_id
      AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
    ORDER BY created_at, id LIMIT :after) AS newer

-- name: get_resource
SELECT id, working_memory, metadata, created_at, updated_at FROM rs_resources
WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_resource
-- Read inside the write transaction (BEGIN IMMEDIATE already serializes writers).
SELECT id, working_memory, metadata, created_at, updated_at FROM rs_resources
WHERE tenant_id = :tenant_id AND id = :id

-- name: upsert_resource
-- Insert a resource, or replace working memory, metadata and updated_at of an existing one.
INSERT INTO rs_resources (tenant_id, id, working_memory, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :working_memory, :metadata, :created_at, :updated_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    working_memory = EXCLUDED.working_memory, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at

-- name: ensure_resource
-- Create an empty resource unless it exists.
INSERT INTO rs_resources (tenant_id, id, working_memory, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, NULL, NULL, :now, :now)
ON CONFLICT (tenant_id, id) DO NOTHING

-- name: update_resource
UPDATE rs_resources SET working_memory = :working_memory, metadata = :metadata, updated_at = :now
WHERE tenant_id = :tenant_id AND id = :id
