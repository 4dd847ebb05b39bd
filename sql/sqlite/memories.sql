-- name: get_user
-- One user by id.
SELECT id, email, name, metadata, created_at, updated_at
FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_user
-- One user by id, read inside the write transaction (BEGIN IMMEDIATE already serializes writers).
SELECT id, email, name, metadata, created_at, updated_at
FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: get_user_by_email
-- One user by the lower-cased email.
SELECT id, email, name, metadata, created_at, updated_at
FROM rs_mem_users WHERE tenant_id = :tenant_id AND email_key = :email_key

-- name: upsert_user
-- Insert a user, or replace email, name, metadata and updated_at of an existing id (created_at is kept). An email
-- another user has is a unique violation.
INSERT INTO rs_mem_users (tenant_id, id, email, email_key, name, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :email, :email_key, :name, :metadata, :created_at, :updated_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET email = excluded.email, email_key = excluded.email_key,
    name = excluded.name, metadata = excluded.metadata, updated_at = excluded.updated_at

-- name: delete_user_memories
DELETE FROM rs_memories WHERE tenant_id = :tenant_id AND user_id = :id

-- name: delete_user_sessions
DELETE FROM rs_mem_sessions WHERE tenant_id = :tenant_id AND user_id = :id

-- name: delete_user
DELETE FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_user_dims
-- (id, embedding_dims) of these users, read inside the write transaction.
SELECT id, embedding_dims FROM rs_mem_users
WHERE tenant_id = :tenant_id AND id IN (:ids) ORDER BY id

-- name: user_dims
-- (id, embedding_dims) of one user.
SELECT id, embedding_dims FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: set_user_dims
UPDATE rs_mem_users SET embedding_dims = :dims WHERE tenant_id = :tenant_id AND id = :id

-- name: user_embeddings
-- 1 when any memory of the user (soft-deleted ones included) has an embedding, else 0.
SELECT count(*) FROM (
    SELECT 1 FROM rs_memories WHERE tenant_id = :tenant_id AND user_id = :id AND dims IS NOT NULL LIMIT 1
) AS found

-- name: insert_session
-- A new session; a duplicate id is a unique violation, a missing user a foreign-key violation.
INSERT INTO rs_mem_sessions (tenant_id, id, user_id, started_at, ended_at, metadata)
VALUES (:tenant_id, :id, :user_id, :started_at, NULL, :metadata)

-- name: get_session
SELECT id, user_id, started_at, ended_at, metadata
FROM rs_mem_sessions WHERE tenant_id = :tenant_id AND id = :id

-- name: end_session
-- Set ended_at of an open session (an ended one keeps its time).
UPDATE rs_mem_sessions SET ended_at = :now WHERE tenant_id = :tenant_id AND id = :id AND ended_at IS NULL

-- name: sessions_page
-- A page of a user's sessions, newest first by (started_at, id), strictly after the cursor.
SELECT id, user_id, started_at, ended_at, metadata FROM rs_mem_sessions
WHERE tenant_id = :tenant_id AND user_id = :user_id
  AND started_at <= :c_ts AND (started_at < :c_ts OR id < :c_id)
ORDER BY started_at DESC, id DESC LIMIT :limit

-- name: insert_memories[]
-- A batch of new memories as one INSERT of many VALUES rows (FTS5 flushes its pending terms once per statement, so
-- executemany's statement per row costs three times as much); a duplicate id is a unique violation.
INSERT INTO rs_memories (tenant_id, id, user_id, session_id, content, importance, dims, embedding, metadata,
    created_at, updated_at, deleted_at)
VALUES (:tenant_id, :id, :user_id, :session_id, :content, :importance, :dims, :embedding, :metadata, :created_at,
    :updated_at, :deleted_at)

-- name: get_memory
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_memory
-- One memory, read inside the write transaction (BEGIN IMMEDIATE already serializes writers).
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories WHERE tenant_id = :tenant_id AND id = :id

-- name: get_memories
-- Memories by id (any order).
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories WHERE tenant_id = :tenant_id AND id IN (:ids)

-- name: update_memory
UPDATE rs_memories SET content = :content, importance = :importance, dims = :dims, embedding = :embedding,
    metadata = :metadata, updated_at = :updated_at
WHERE tenant_id = :tenant_id AND id = :id

-- name: soft_delete_memory
UPDATE rs_memories SET deleted_at = :now, updated_at = :now
WHERE tenant_id = :tenant_id AND id = :id AND deleted_at IS NULL

-- name: restore_memory
UPDATE rs_memories SET deleted_at = NULL, updated_at = :now
WHERE tenant_id = :tenant_id AND id = :id AND deleted_at IS NOT NULL

-- name: purge_memories
-- Hard-delete the tenant's memories soft-deleted before :before (their vector rows go with them).
DELETE FROM rs_memories WHERE tenant_id = :tenant_id AND deleted_at < :before

-- name: memories_created_page
-- A page of a user's memories, newest first by (created_at, id), strictly after the cursor.
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories
WHERE tenant_id = :tenant_id AND user_id = :user_id
  AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
  AND (:session_id IS NULL OR session_id = :session_id)
  AND (:min_importance IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: memories_importance_page
-- A page of a user's memories, most important first by (importance, id), strictly after the cursor.
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories
WHERE tenant_id = :tenant_id AND user_id = :user_id
  AND importance <= :c_imp AND (importance < :c_imp OR id < :c_id)
  AND (:session_id IS NULL OR session_id = :session_id)
  AND (:min_importance IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
ORDER BY importance DESC, id DESC LIMIT :limit

-- name: vector_candidates
-- (id, embedding) of every memory of the user with an embedding of :dims components that passes the filters:
-- the candidate set the client ranks exactly when the database has no vector type. :meta is a JSON array of
-- [key, kind, value, number] conditions, each an exact match of a top-level metadata key (numbers
-- compare as numbers; json_type tells text, numbers, true, false and null apart).
SELECT id, embedding FROM rs_memories m
WHERE tenant_id = :tenant_id AND user_id = :user_id AND dims = :dims
  AND (:session_id IS NULL OR session_id = :session_id)
  AND (:min_importance IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
  AND (:meta IS NULL OR NOT EXISTS (
      SELECT 1 FROM json_each(:meta) AS f
      WHERE NOT coalesce(
          (CASE json_type(m.metadata, '$."' || json_extract(f.value, '$[0]') || '"')
               WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number'
               ELSE json_type(m.metadata, '$."' || json_extract(f.value, '$[0]') || '"') END)
              = json_extract(f.value, '$[1]')
          AND (json_extract(f.value, '$[1]') IN ('null', 'true', 'false')
               OR json_extract(m.metadata, '$."' || json_extract(f.value, '$[0]') || '"')
                  = json_extract(f.value, '$[2]')), 0)))

-- name: text_search
-- Ids of the user's memories matching any word of :query (the words of the user's text, joined by spaces: each
-- becomes a quoted FTS5 string, so nothing in it is syntax), best first by bm25, filtered as vector_candidates.
-- The user's owner token (see migration 0019) is matched too, so FTS5 reads only this user's postings.
SELECT m.id FROM rs_memories_fts JOIN rs_memories m ON m.rid = rs_memories_fts.rowid
WHERE rs_memories_fts MATCH '"o' || hex(:tenant_id) || 'g' || hex(:user_id) || '0" AND ("'
    || replace(:query, ' ', '" OR "') || '")' AND m.tenant_id = :tenant_id AND m.user_id = :user_id
  AND (:session_id IS NULL OR m.session_id = :session_id)
  AND (:min_importance IS NULL OR m.importance >= :min_importance)
  AND (:include_deleted = 1 OR m.deleted_at IS NULL)
  AND (:meta IS NULL OR NOT EXISTS (
      SELECT 1 FROM json_each(:meta) AS f
      WHERE NOT coalesce(
          (CASE json_type(m.metadata, '$."' || json_extract(f.value, '$[0]') || '"')
               WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number'
               ELSE json_type(m.metadata, '$."' || json_extract(f.value, '$[0]') || '"') END)
              = json_extract(f.value, '$[1]')
          AND (json_extract(f.value, '$[1]') IN ('null', 'true', 'false')
               OR json_extract(m.metadata, '$."' || json_extract(f.value, '$[0]') || '"')
                  = json_extract(f.value, '$[2]')), 0)))
ORDER BY rs_memories_fts.rank, m.id LIMIT :limit
