-- name: get_user
-- One user by id.
SELECT id, email, name, metadata, created_at, updated_at
FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_user
-- One user by id, row-locked until the transaction ends.
SELECT id, email, name, metadata, created_at, updated_at
FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE

-- name: get_user_by_email
-- One user by the lower-cased email.
SELECT id, email, name, metadata, created_at, updated_at
FROM rs_mem_users WHERE tenant_id = :tenant_id AND email_key = :email_key

-- name: upsert_user
-- Insert a user, or replace email, name, metadata and updated_at of an existing id (created_at is kept).
-- ON DUPLICATE KEY UPDATE fires on either unique key: when the email is another user's, the row it found is that
-- user's, and every assignment keeps its value (id differs), so nothing changes; the store then sees that its own
-- id holds another email (or nothing) and raises Conflict. An existing id given a taken email is a unique violation.
INSERT INTO rs_mem_users (tenant_id, id, email, email_key, name, metadata, created_at, updated_at)
VALUES (:tenant_id, :id, :email, :email_key, :name, :metadata, :created_at, :updated_at)
ON DUPLICATE KEY UPDATE
    email = IF(id = VALUES(id), VALUES(email), email),
    email_key = IF(id = VALUES(id), VALUES(email_key), email_key),
    name = IF(id = VALUES(id), VALUES(name), name),
    metadata = IF(id = VALUES(id), VALUES(metadata), metadata),
    updated_at = IF(id = VALUES(id), VALUES(updated_at), updated_at)

-- name: delete_user_memories
DELETE FROM rs_memories WHERE tenant_id = :tenant_id AND user_id = :id

-- name: delete_user_sessions
DELETE FROM rs_mem_sessions WHERE tenant_id = :tenant_id AND user_id = :id

-- name: delete_user
DELETE FROM rs_mem_users WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_user_dims
-- (id, embedding_dims) of these users, row-locked in id order until the transaction ends.
SELECT id, embedding_dims FROM rs_mem_users
WHERE tenant_id = :tenant_id AND id IN (:ids) ORDER BY id FOR UPDATE

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

-- name: insert_memories
-- A batch of new memories (aiomysql sends it as multi-row INSERTs); a duplicate id is a unique violation.
INSERT INTO rs_memories (tenant_id, id, user_id, session_id, content, importance, dims, embedding, metadata,
    created_at, updated_at, deleted_at)
VALUES (:tenant_id, :id, :user_id, :session_id, :content, :importance, :dims, :embedding, :metadata, :created_at,
    :updated_at, :deleted_at)

-- name: get_memory
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories WHERE tenant_id = :tenant_id AND id = :id

-- name: lock_memory
-- One memory, row-locked until the transaction ends.
SELECT id, user_id, content, session_id, importance, embedding, metadata, created_at, updated_at, deleted_at
FROM rs_memories WHERE tenant_id = :tenant_id AND id = :id FOR UPDATE

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
-- compare as numbers, as DOUBLE; JSON_TYPE tells text, numbers, true, false and null apart).
SELECT id, embedding FROM rs_memories m
WHERE tenant_id = :tenant_id AND user_id = :user_id AND dims = :dims
  AND (:session_id IS NULL OR session_id = :session_id)
  AND (:min_importance IS NULL OR importance >= :min_importance)
  AND (:include_deleted = 1 OR deleted_at IS NULL)
  AND (:meta IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:meta, '$[*]' COLUMNS (
          k VARCHAR(255) PATH '$[0]', kind VARCHAR(8) PATH '$[1]', s LONGTEXT PATH '$[2]', n DOUBLE PATH '$[3]'))
          AS f
      WHERE NOT coalesce(
          CASE JSON_TYPE(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"')))
              WHEN 'STRING' THEN f.kind = 'text'
                  AND JSON_UNQUOTE(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"'))) = f.s
              WHEN 'INTEGER' THEN f.kind = 'number'
                  AND CAST(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"')) AS DOUBLE) = f.n
              WHEN 'DOUBLE' THEN f.kind = 'number'
                  AND CAST(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"')) AS DOUBLE) = f.n
              WHEN 'BOOLEAN' THEN f.kind = JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"'))
              WHEN 'NULL' THEN f.kind = 'null'
              ELSE 0 END, 0)))

-- name: text_search
-- Ids of the user's memories matching any word of :query (the words of the user's text, joined by spaces: letters,
-- digits and underscores only, so no boolean-mode operator), best first by InnoDB's relevance, filtered as
-- vector_candidates. Boolean mode requires the user's owner token (see migration 0019) and any of the words, so InnoDB
-- reads only this user's postings. InnoDB indexes a row when its transaction commits, ignores words shorter than
-- innodb_ft_min_token_size (3) and its stopwords.
SELECT m.id FROM rs_memories m
WHERE MATCH (m.content, m.owner)
      AGAINST (CONCAT('+o', MD5(CONCAT(:tenant_id, CHAR(0), :user_id)), ' +(', :query, ')') IN BOOLEAN MODE)
  AND m.tenant_id = :tenant_id AND m.user_id = :user_id
  AND (:session_id IS NULL OR m.session_id = :session_id)
  AND (:min_importance IS NULL OR m.importance >= :min_importance)
  AND (:include_deleted = 1 OR m.deleted_at IS NULL)
  AND (:meta IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:meta, '$[*]' COLUMNS (
          k VARCHAR(255) PATH '$[0]', kind VARCHAR(8) PATH '$[1]', s LONGTEXT PATH '$[2]', n DOUBLE PATH '$[3]'))
          AS f
      WHERE NOT coalesce(
          CASE JSON_TYPE(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"')))
              WHEN 'STRING' THEN f.kind = 'text'
                  AND JSON_UNQUOTE(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"'))) = f.s
              WHEN 'INTEGER' THEN f.kind = 'number'
                  AND CAST(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"')) AS DOUBLE) = f.n
              WHEN 'DOUBLE' THEN f.kind = 'number'
                  AND CAST(JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"')) AS DOUBLE) = f.n
              WHEN 'BOOLEAN' THEN f.kind = JSON_EXTRACT(m.metadata, CONCAT('$."', f.k, '"'))
              WHEN 'NULL' THEN f.kind = 'null'
              ELSE 0 END, 0)))
ORDER BY MATCH (m.content, m.owner)
      AGAINST (CONCAT('+o', MD5(CONCAT(:tenant_id, CHAR(0), :user_id)), ' +(', :query, ')') IN BOOLEAN MODE) DESC,
    m.id LIMIT :limit
