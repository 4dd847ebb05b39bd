-- name: get_user
-- One user by id.
SELECT id, email, name, metadata::text, created_at, updated_at
FROM {schema}rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_user
-- One user by id, row-locked until the transaction ends.
SELECT id, email, name, metadata::text, created_at, updated_at
FROM {schema}rs_mem_users WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE

-- name: get_user_by_email
-- One user by the lower-cased email.
SELECT id, email, name, metadata::text, created_at, updated_at
FROM {schema}rs_mem_users WHERE tenant_id = :tenant_id AND email_key = :email_key

-- name: upsert_user
-- Insert a user, or replace email, name, metadata and updated_at of an existing id (created_at is kept). An email
-- another user has is a unique violation.
INSERT INTO {schema}rs_mem_users (tenant_id, id, email, email_key, name, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :email, :email_key, :name, :metadata::jsonb, :created_at, :updated_at)
ON CONFLICT (tenant_id, id) DO UPDATE SET email = EXCLUDED.email, email_key = EXCLUDED.email_key,
    name = EXCLUDED.name, metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at

-- name: delete_user_memories
DELETE FROM {schema}rs_memories WHERE tenant_id = :tenant_id AND user_id = :id

-- name: delete_user_sessions
DELETE FROM {schema}rs_mem_sessions WHERE tenant_id = :tenant_id AND user_id = :id

-- name: delete_user
DELETE FROM {schema}rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_user_dims
-- (id, embedding_dims) of these users, row-locked in id order until the transaction ends.
SELECT id, embedding_dims FROM {schema}rs_mem_users
WHERE tenant_id = :tenant_id AND id = ANY(:ids) ORDER BY id FOR UPDATE

-- name: user_dims
-- (id, embedding_dims) of one user.
SELECT id, embedding_dims FROM {schema}rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: set_user_dims
UPDATE {schema}rs_mem_users SET embedding_dims = :dims WHERE tenant_id = :tenant_id AND id = :id

-- name: user_embeddings
-- 1 when any memory of the user (soft-deleted ones included) has an embedding, else 0.
SELECT count(*) FROM (
    SELECT 1 FROM {schema}rs_memories WHERE tenant_id = :tenant_id AND user_id = :id AND dims IS NOT NULL LIMIT 1
) AS found

-- name: insert_session
-- A new session; a duplicate id is a unique violation, a missing user a foreign-key violation.
INSERT INTO {schema}rs_mem_sessions (tenant_id, id, user_id, started_at, ended_at, metadata)
VALUES (:tenant_id, :id, :user_id, :started_at, NULL, :metadata::jsonb)

-- name: get_session
SELECT id, user_id, started_at, ended_at, metadata::text
FROM {schema}rs_mem_sessions WHERE tenant_id = :tenant_id AND id = :id

-- name: end_session
-- Set ended_at of an open session (an ended one keeps its time).
UPDATE {schema}rs_mem_sessions SET ended_at = :now WHERE tenant_id = :tenant_id AND id = :id AND ended_at IS NULL

-- name: sessions_page
-- A page of a user's sessions, newest first by (started_at, id), strictly after the cursor.
SELECT id, user_id, started_at, ended_at, metadata::text FROM {schema}rs_mem_sessions
WHERE tenant_id = :tenant_id AND user_id = :user_id
  AND started_at <= :c_ts AND (started_at < :c_ts OR id < :c_id)
ORDER BY started_at DESC, id DESC LIMIT :limit

-- name: insert_memories[]
-- A batch of new memories from column arrays (under row-level security); a duplicate id is a unique violation.
INSERT INTO {schema}rs_memories (tenant_id, id, user_id, session_id, content, importance, dims, embedding, metadata,
    created_at, updated_at, deleted_at)
SELECT t, i, u, s, c, imp, d, e, md::jsonb, ca, ua, da
FROM unnest(:tenant_id::text[], :id::text[], :user_id::text[], :session_id::text[], :content::text[],
            :importance::float8[], :dims::int[], :embedding::bytea[], :metadata::text[], :created_at::timestamptz[],
            :updated_at::timestamptz[], :deleted_at::timestamptz[]) AS r(t, i, u, s, c, imp, d, e, md, ca, ua, da)

-- name: insert_memories[copy]
-- The same batch streamed by binary COPY (the fastest path; not under row-level security, which refuses COPY FROM).
COPY {schema}rs_memories (tenant_id, id, user_id, session_id, content, importance, dims, embedding, metadata,
    created_at, updated_at, deleted_at) FROM STDIN

-- name: get_memory
SELECT id, user_id, content, session_id, importance, embedding, metadata::text, created_at, updated_at, deleted_at
FROM {schema}rs_memories WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_memory
-- One memory, row-locked until the transaction ends.
SELECT id, user_id, content, session_id, importance, embedding, metadata::text, created_at, updated_at, deleted_at
FROM {schema}rs_memories WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE

-- name: get_memories
-- Memories by id (any order).
SELECT id, user_id, content, session_id, importance, embedding, metadata::text, created_at, updated_at, deleted_at
FROM {schema}rs_memories WHERE tenant_id = :tenant_id AND id = ANY(:ids)

-- name: update_memory
UPDATE {schema}rs_memories SET content = :content, importance = :importance, dims = :dims, embedding = :embedding,
    metadata = :metadata::jsonb, updated_at = :updated_at
WHERE tenant_id = :tenant_id AND id = :id

-- name: soft_delete_memory
UPDATE {schema}rs_memories SET deleted_at = :now, updated_at = :now
WHERE tenant_id = :tenant_id AND id = :id AND deleted_at IS NULL

-- name: restore_memory
UPDATE {schema}rs_memories SET deleted_at = NULL, updated_at = :now
WHERE tenant_id = :tenant_id AND id = :id AND deleted_at IS NOT NULL

-- name: purge_memories
-- Hard-delete the tenant's memories soft-deleted before :before (their vector rows go with them).
DELETE FROM {schema}rs_memories WHERE tenant_id = :tenant_id AND deleted_at < :before

-- name: memories_created_page
-- A page of a user's memories, newest first by (created_at, id), strictly after the cursor.
SELECT id, user_id, content, session_id, importance, embedding, metadata::text, created_at, updated_at, deleted_at
FROM {schema}rs_memories
WHERE tenant_id = :tenant_id AND user_id = :user_id
  AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
  AND (:session_id::text IS NULL OR session_id = :session_id)
  AND (:min_importance::float8 IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
ORDER BY created_at DESC, id DESC LIMIT :limit

-- name: memories_importance_page
-- A page of a user's memories, most important first by (importance, id), strictly after the cursor.
SELECT id, user_id, content, session_id, importance, embedding, metadata::text, created_at, updated_at, deleted_at
FROM {schema}rs_memories
WHERE tenant_id = :tenant_id AND user_id = :user_id
  AND importance <= :c_imp AND (importance < :c_imp OR id < :c_id)
  AND (:session_id::text IS NULL OR session_id = :session_id)
  AND (:min_importance::float8 IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
ORDER BY importance DESC, id DESC LIMIT :limit

-- name: vector_candidates
-- (id, embedding) of every memory of the user with an embedding of :dims components that passes the filters:
-- the candidate set the client ranks exactly when the database has no vector type. :meta is a JSON array of
-- [key, kind, value, number] conditions, each an exact match of a top-level metadata key (jsonb equality: numbers
-- compare as numbers).
SELECT id, embedding FROM {schema}rs_memories m
WHERE tenant_id = :tenant_id AND user_id = :user_id AND dims = :dims
  AND (:session_id::text IS NULL OR session_id = :session_id)
  AND (:min_importance::float8 IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
  AND (:meta::jsonb IS NULL OR NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements(:meta::jsonb) AS f(c)
      WHERE NOT coalesce(m.metadata -> (f.c ->> 0) = f.c -> 2, false)))

-- name: text_search
-- Ids of the user's memories matching any word of :query (the words of the user's text, joined by spaces: each
-- becomes a quoted websearch_to_tsquery term, so nothing in it is syntax), best first by ts_rank_cd, filtered as
-- vector_candidates.
SELECT m.id FROM {schema}rs_memories m,
    websearch_to_tsquery('english', '"' || replace(:query, ' ', '" or "') || '"') AS q
WHERE m.tenant_id = :tenant_id AND m.user_id = :user_id AND m.tsv @@ q
  AND (:session_id::text IS NULL OR m.session_id = :session_id)
  AND (:min_importance::float8 IS NULL OR m.importance >= :min_importance)
  AND (:include_deleted = 1 OR m.deleted_at IS NULL)
  AND (:meta::jsonb IS NULL OR NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements(:meta::jsonb) AS f(c)
      WHERE NOT coalesce(m.metadata -> (f.c ->> 0) = f.c -> 2, false)))
ORDER BY ts_rank_cd(m.tsv, q) DESC, m.id LIMIT :limit
