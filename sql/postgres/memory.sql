-- name: get_thread
-- One thread by id.
SELECT id, resource_id, title, metadata::text, created_at, updated_at
FROM {schema}rs_threads WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_thread
-- One thread by id, row-locked until the transaction ends.
SELECT id, resource_id, title, metadata::text, created_at, updated_at
FROM {schema}rs_threads WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE

-- name: upsert_thread
-- Insert a thread, or replace resource, title, metadata and updated_at of an existing one (created_at is kept).
INSERT INTO {schema}rs_threads (tenant_id, id, resource_id, title, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :resource_id, :title, :metadata::jsonb, :created_at, :updated_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    resource_id = EXCLUDED.resource_id, title = EXCLUDED.title,
    metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at

-- name: insert_thread
-- Insert a new thread; a duplicate id is a unique violation.
INSERT INTO {schema}rs_threads (tenant_id, id, resource_id, title, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :resource_id, :title, :metadata::jsonb, :created_at, :updated_at)

-- name: update_thread
-- Replace title and metadata, set updated_at.
UPDATE {schema}rs_threads SET title = :title, metadata = :metadata::jsonb, updated_at = :updated_at
WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_thread
DELETE FROM {schema}rs_threads WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_thread_messages
DELETE FROM {schema}rs_messages WHERE tenant_id = :tenant_id AND thread_id = :id

-- name: existing_threads
-- Which of these thread ids exist.
SELECT id FROM {schema}rs_threads WHERE tenant_id = :tenant_id AND id = ANY(:ids)

-- name: touch_threads
-- Bump updated_at of these threads.
UPDATE {schema}rs_threads SET updated_at = :now WHERE tenant_id = :tenant_id AND id = ANY(:ids)

-- name: threads_created_asc
-- A page of a resource's threads by (created_at, id) ascending, after the cursor.
SELECT id, resource_id, title, metadata::text, created_at, updated_at FROM {schema}rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
ORDER BY created_at, id LIMIT :limit

-- name: threads_created_desc
SELECT id, resource_id, title, metadata::text, created_at, updated_at FROM {schema}rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: threads_updated_asc
SELECT id, resource_id, title, metadata::text, created_at, updated_at FROM {schema}rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND updated_at >= :c_ts AND (updated_at > :c_ts OR id > :c_id)
ORDER BY updated_at, id LIMIT :limit

-- name: threads_updated_desc
SELECT id, resource_id, title, metadata::text, created_at, updated_at FROM {schema}rs_threads
WHERE tenant_id = :tenant_id AND resource_id = :resource_id
  AND updated_at <= :c_ts AND (updated_at < :c_ts OR id < :c_id)
ORDER BY updated_at DESC, id DESC LIMIT :limit

-- name: count_threads
SELECT count(*) FROM {schema}rs_threads WHERE tenant_id = :tenant_id AND resource_id = :resource_id

-- name: upsert_messages[]
-- Insert or update a batch of messages from column arrays; a re-saved id keeps its created_at.
INSERT INTO {schema}rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at)
SELECT t, i, th, r, ty, c::jsonb, res, ca
FROM unnest(:tenant_id::text[], :id::text[], :thread_id::text[], :role::text[], :type::text[],
            :content::text[], :resource_id::text[], :created_at::timestamptz[]) AS u(t, i, th, r, ty, c, res, ca)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    thread_id = EXCLUDED.thread_id, role = EXCLUDED.role, type = EXCLUDED.type,
    content = EXCLUDED.content, resource_id = EXCLUDED.resource_id

-- name: insert_new_messages[]
-- Insert a batch from column arrays, skipping ids that already exist; the command count says how many were new.
INSERT INTO {schema}rs_messages (tenant_id, id, thread_id, role, type, content, resource_id, created_at)
SELECT t, i, th, r, ty, c::jsonb, res, ca
FROM unnest(:tenant_id::text[], :id::text[], :thread_id::text[], :role::text[], :type::text[],
            :content::text[], :resource_id::text[], :created_at::timestamptz[]) AS u(t, i, th, r, ty, c, res, ca)
ON CONFLICT (tenant_id, id) DO NOTHING

-- name: existing_messages
-- id, thread and created_at of the messages among these ids that exist.
SELECT id, thread_id, created_at FROM {schema}rs_messages WHERE tenant_id = :tenant_id AND id = ANY(:ids)

-- name: get_messages
-- Messages by id, across threads, ordered by (created_at, id).
SELECT id, thread_id, role, content::text, resource_id, type, created_at FROM {schema}rs_messages
WHERE tenant_id = :tenant_id AND id = ANY(:ids) ORDER BY created_at, id

-- name: lock_messages
-- Messages by id, row-locked until the transaction ends.
SELECT id, thread_id, role, content::text, resource_id, type, created_at FROM {schema}rs_messages
WHERE tenant_id = :tenant_id AND id = ANY(:ids) ORDER BY id FOR UPDATE

-- name: update_message
UPDATE {schema}rs_messages SET thread_id = :thread_id, role = :role, type = :type, content = :content::jsonb,
    resource_id = :resource_id
WHERE tenant_id = :tenant_id AND id = :id

-- name: delete_messages
DELETE FROM {schema}rs_messages WHERE tenant_id = :tenant_id AND id = ANY(:ids)

-- name: message_threads
-- The distinct threads holding these messages.
SELECT DISTINCT thread_id FROM {schema}rs_messages WHERE tenant_id = :tenant_id AND id = ANY(:ids)

-- name: messages_asc
-- A page of a thread's messages by (created_at, id) ascending, strictly after the cursor, within [lo, hi].
SELECT id, thread_id, role, content::text, resource_id, type, created_at FROM {schema}rs_messages
WHERE tenant_id = :tenant_id AND thread_id = :thread_id
  AND created_at >= :lo AND created_at <= :hi AND (created_at > :c_ts OR id > :c_id)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
ORDER BY created_at, id LIMIT :limit

-- name: messages_desc
-- A page of a thread's messages by (created_at, id) descending, strictly before the cursor, within [lo, hi].
SELECT id, thread_id, role, content::text, resource_id, type, created_at FROM {schema}rs_messages
WHERE tenant_id = :tenant_id AND thread_id = :thread_id
  AND created_at <= :hi AND created_at >= :lo AND (created_at < :c_ts OR id < :c_id)
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: count_messages
SELECT count(*) FROM {schema}rs_messages
WHERE tenant_id = :tenant_id AND thread_id = :thread_id AND created_at >= :lo AND created_at <= :hi
  AND (:resource_id::text IS NULL OR resource_id = :resource_id)

-- name: message_window
-- Up to :before messages older and :after newer than (c_ts, c_id) in a thread, each side by index range.
SELECT * FROM (
    SELECT id, thread_id, role, content::text, resource_id, type, created_at FROM {schema}rs_messages
    WHERE tenant_id = :tenant_id AND thread_id = :thread_id
      AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
    ORDER BY created_at DESC, id DESC LIMIT :before) AS older
UNION ALL
SELECT * FROM (
    SELECT id, thread_id, role, content::text, resource_id, type, created_at FROM {schema}rs_messages
    WHERE tenant_id = :tenant_id AND thread_id = :thread_id
      AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
    ORDER BY created_at, id LIMIT :after) AS newer

-- name: get_resource
SELECT id, working_memory, metadata::text, created_at, updated_at FROM {schema}rs_resources
WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_resource
SELECT id, working_memory, metadata::text, created_at, updated_at FROM {schema}rs_resources
WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE

-- name: upsert_resource
-- Insert a resource, or replace working memory, metadata and updated_at of an existing one.
INSERT INTO {schema}rs_resources (tenant_id, id, working_memory, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :working_memory, :metadata::jsonb, :created_at, :updated_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET
    working_memory = EXCLUDED.working_memory, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at

-- name: ensure_resource
-- Create an empty resource unless it exists.
INSERT INTO {schema}rs_resources (tenant_id, id, working_memory, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, NULL, NULL, :now, :now)
ON CONFLICT (tenant_id, id) DO NOTHING

-- name: update_resource
UPDATE {schema}rs_resources SET working_memory = :working_memory, metadata = :metadata::jsonb, updated_at = :now
WHERE tenant_id = :tenant_id AND id = :id
