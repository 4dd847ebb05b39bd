-- rawstore semantic memory (store.memories): users, sessions and memories with embeddings. Every object is
-- prefixed rs_; tenant_id leads every key and every B-tree index.
--
-- Users: email_key is the email lower-cased by rawstore (Python's str.lower, the same on every database), unique per
-- tenant, so get_user_by_email is case-insensitive without depending on a collation. embedding_dims is the one
-- dimension of every embedding of the user's memories (NULL until the first one).
-- Sessions: (tenant_id, user_id, id) is unique so that a memory's session must belong to the memory's own user
-- (a composite foreign key). Deleting a user deletes its sessions and memories (ON DELETE CASCADE; delete_user
-- also deletes them explicitly, in one transaction).
-- Memories: the embedding is stored as packed little-endian float32 (4 bytes per component, `dims` of them), the
-- portable form every database reads back alike and that vector search ranks in the client when the database has
-- no vector type. tsv is the English full-text vector of content (a generated column with a GIN index; GIN
-- cannot lead with tenant_id, so the tenant and user filters apply to its matches).
--
-- This migration needs no extension. When the vector extension is installed in the database (CREATE EXTENSION
-- vector, by whoever may), rawstore sees it at connect() and creates, at run time, the first time a dimension is
-- used, one table per dimension: rs_memories_vec_<dims> (tenant_id, id, user_id, session_id, embedding
-- vector(<dims>)), a B-tree on (tenant_id, user_id, session_id) and an HNSW index (vector_cosine_ops), with a foreign
-- key to rs_memories ON DELETE CASCADE. Rolling this migration back drops those tables too.
-- This migration: rs_mem_users, rs_mem_sessions, rs_memories.
CREATE TABLE rs_mem_users (
    tenant_id      text COLLATE "C" NOT NULL,
    id             text COLLATE "C" NOT NULL,
    email          text NOT NULL,
    email_key      text COLLATE "C" NOT NULL,
    name           text,
    metadata       jsonb,
    embedding_dims integer,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT rs_mem_users_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_mem_users_email_key UNIQUE (tenant_id, email_key),
    CONSTRAINT rs_mem_users_dims CHECK (embedding_dims BETWEEN 1 AND 2000)
);

CREATE TABLE rs_mem_sessions (
    tenant_id  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    metadata   jsonb,
    CONSTRAINT rs_mem_sessions_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_mem_sessions_user_key UNIQUE (tenant_id, user_id, id),
    CONSTRAINT rs_mem_sessions_user_fk FOREIGN KEY (tenant_id, user_id)
        REFERENCES rs_mem_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_mem_sessions_started_idx ON rs_mem_sessions (tenant_id, user_id, started_at, id);

CREATE TABLE rs_memories (
    tenant_id  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    session_id text COLLATE "C",
    content    text NOT NULL,
    importance double precision NOT NULL,
    dims       integer,
    embedding  bytea,
    metadata   jsonb,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deleted_at timestamptz,
    tsv        tsvector GENERATED ALWAYS AS (to_tsvector('english'::regconfig, content)) STORED,
    CONSTRAINT rs_memories_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT rs_memories_user_fk FOREIGN KEY (tenant_id, user_id)
        REFERENCES rs_mem_users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_memories_session_fk FOREIGN KEY (tenant_id, user_id, session_id)
        REFERENCES rs_mem_sessions (tenant_id, user_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_memories_embedding CHECK ((dims IS NULL) = (embedding IS NULL)
        AND (dims IS NULL OR (dims BETWEEN 1 AND 2000 AND octet_length(embedding) = 4 * dims)))
);
CREATE INDEX rs_memories_created_idx ON rs_memories (tenant_id, user_id, created_at, id);
CREATE INDEX rs_memories_importance_idx ON rs_memories (tenant_id, user_id, importance, id);
CREATE INDEX rs_memories_session_idx ON rs_memories (tenant_id, user_id, session_id, created_at, id)
    WHERE session_id IS NOT NULL;
CREATE INDEX rs_memories_deleted_idx ON rs_memories (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX rs_memories_tsv_idx ON rs_memories USING gin (tsv);
