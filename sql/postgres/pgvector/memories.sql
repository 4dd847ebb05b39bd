-- The semantic-memory domain's statements for PostgreSQL with the vector extension (pgvector), used only when
-- store.capabilities.vector is true. They are templates, not kit queries: besides {schema}, their text has two slots
-- that rawstore fills before compiling them, {dims} (the dimension of a table: an int from 1 to 2000 that rawstore
-- validated) and {vector} (the extension's schema, quoted, with a dot). Each dimension in use has its own table
-- rs_memories_vec_{dims} (created the first time the dimension is stored, with a B-tree on (tenant_id, user_id,
-- session_id), an HNSW index for cosine distance, and a foreign key to rs_memories ON DELETE CASCADE). Two of them
-- are not scoped to a tenant: vector_extension reads the catalog, and vector_backfill copies the memories every
-- tenant stored with a dimension into its new table (an index over all tenants' rows, as the HNSW index is).

-- name: vector_extension
-- The schema of the vector extension, when it is installed in this database.
SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'

-- name: vector_table_exists
SELECT to_regclass('{schema}rs_memories_vec_{dims}') IS NOT NULL

-- name: vector_table_lock
-- Serializes the creation of one dimension's table across connections (released when the transaction ends).
SELECT pg_advisory_xact_lock(:key)

-- name: create_vector_table
CREATE TABLE IF NOT EXISTS {schema}rs_memories_vec_{dims} (
    tenant_id  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    session_id text COLLATE "C",
    embedding  {vector}vector({dims}) NOT NULL,
    CONSTRAINT rs_memories_vec_{dims}_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_memories_vec_{dims}_memory_fk FOREIGN KEY (tenant_id, id)
        REFERENCES {schema}rs_memories (tenant_id, id) ON DELETE CASCADE
)

-- name: vector_backfill
-- The memories stored with :dims components, of every tenant, after (:c_tenant, :c_id) in key order: when a
-- dimension's table is created, the memories stored with it before the extension was installed are copied in.
SELECT tenant_id, id, user_id, session_id, embedding FROM {schema}rs_memories
WHERE dims = :dims AND (tenant_id, id) > (:c_tenant, :c_id) ORDER BY tenant_id, id LIMIT :limit

-- name: create_vector_user_index
CREATE INDEX IF NOT EXISTS rs_memories_vec_{dims}_user_idx
    ON {schema}rs_memories_vec_{dims} (tenant_id, user_id, session_id)

-- name: create_vector_hnsw_index
CREATE INDEX IF NOT EXISTS rs_memories_vec_{dims}_hnsw_idx
    ON {schema}rs_memories_vec_{dims} USING hnsw (embedding {vector}vector_cosine_ops)

-- name: insert_vectors[]
-- The vector rows of a batch of new memories (:embedding in pgvector's binary form).
INSERT INTO {schema}rs_memories_vec_{dims} (tenant_id, id, user_id, session_id, embedding)
SELECT * FROM unnest(:tenant_id::text[], :id::text[], :user_id::text[], :session_id::text[],
                     :embedding::{vector}vector[])

-- name: upsert_vector
INSERT INTO {schema}rs_memories_vec_{dims} (tenant_id, id, user_id, session_id, embedding)
VALUES (:tenant_id, :id, :user_id, :session_id, :embedding::{vector}vector)
ON CONFLICT (tenant_id, id) DO UPDATE SET embedding = EXCLUDED.embedding

-- name: delete_vector
DELETE FROM {schema}rs_memories_vec_{dims} WHERE tenant_id = :tenant_id AND id = :id

-- name: vector_scan_settings
-- For the rest of this transaction (sent with its BEGIN, one round trip): plan the search for its values (a generic
-- plan cannot tell a user of ten memories from one of a million), and let an HNSW scan go on past ef_search until
-- enough rows pass the filters. {ef} is an int from 40 to 1000.
SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL hnsw.iterative_scan = relaxed_order;
SET LOCAL hnsw.ef_search = {ef}

-- name: vector_scan_reset
-- Inside an application's transaction: give back the settings vector_scan_settings changed.
SELECT set_config('plan_cache_mode', :plan_cache_mode, true), set_config('hnsw.iterative_scan', :iterative_scan, true),
    set_config('hnsw.ef_search', :ef_search, true)

-- name: vector_scan_current
SELECT current_setting('plan_cache_mode'), coalesce(current_setting('hnsw.iterative_scan', true), 'off'),
    coalesce(current_setting('hnsw.ef_search', true), '40')

-- name: vector_nearest
-- The user's :limit memories nearest to :query that pass the filters, each row a memory's fields (as get_memories
-- reads them) and its cosine distance: the planner picks the HNSW index (an approximate, iterative scan) or the
-- (tenant_id, user_id, session_id) index and an exact sort.
SELECT m.id, m.user_id, m.content, m.session_id, m.importance, m.embedding, m.metadata::text, m.created_at,
    m.updated_at, m.deleted_at, v.embedding OPERATOR({vector}<=>) :query::{vector}vector AS distance
FROM {schema}rs_memories_vec_{dims} v JOIN {schema}rs_memories m ON m.tenant_id = v.tenant_id AND m.id = v.id
WHERE v.tenant_id = :tenant_id AND v.user_id = :user_id
  AND (:session_id::text IS NULL OR v.session_id = :session_id)
  AND (:min_importance::float8 IS NULL OR m.importance >= :min_importance)
  AND (:include_deleted = 1 OR m.deleted_at IS NULL)
  AND (:meta::jsonb IS NULL OR NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements(:meta::jsonb) AS f(c)
      WHERE NOT coalesce(m.metadata -> (f.c ->> 0) = f.c -> 2, false)))
ORDER BY v.embedding OPERATOR({vector}<=>) :query::{vector}vector LIMIT :limit

-- name: vector_nearest_unfiltered
-- vector_nearest without filters (no session, importance or metadata condition; soft-deleted memories left out):
-- the common search, a statement with less for the planner to fold away at each call. Takes the same values.
SELECT m.id, m.user_id, m.content, m.session_id, m.importance, m.embedding, m.metadata::text, m.created_at,
    m.updated_at, m.deleted_at, v.embedding OPERATOR({vector}<=>) :query::{vector}vector AS distance
FROM {schema}rs_memories_vec_{dims} v JOIN {schema}rs_memories m ON m.tenant_id = v.tenant_id AND m.id = v.id
WHERE v.tenant_id = :tenant_id AND v.user_id = :user_id AND m.deleted_at IS NULL
ORDER BY v.embedding OPERATOR({vector}<=>) :query::{vector}vector LIMIT :limit

-- name: vector_nearest_exact
-- The same, exactly: the distance is sorted as an expression no index serves. Used when the index scan returned
-- fewer rows than asked (the filters left too few of the rows it visited).
SELECT m.id, m.user_id, m.content, m.session_id, m.importance, m.embedding, m.metadata::text, m.created_at,
    m.updated_at, m.deleted_at, v.embedding OPERATOR({vector}<=>) :query::{vector}vector AS distance
FROM {schema}rs_memories_vec_{dims} v JOIN {schema}rs_memories m ON m.tenant_id = v.tenant_id AND m.id = v.id
WHERE v.tenant_id = :tenant_id AND v.user_id = :user_id
  AND (:session_id::text IS NULL OR v.session_id = :session_id)
  AND (:min_importance::float8 IS NULL OR m.importance >= :min_importance)
  AND (:include_deleted = 1 OR m.deleted_at IS NULL)
  AND (:meta::jsonb IS NULL OR NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements(:meta::jsonb) AS f(c)
      WHERE NOT coalesce(m.metadata -> (f.c ->> 0) = f.c -> 2, false)))
ORDER BY (v.embedding OPERATOR({vector}<=>) :query::{vector}vector) + 0, v.id LIMIT :limit
