-- rawstore semantic memory (store.memories): users, sessions and memories with embeddings. Every object is
-- prefixed rs_; tenant_id leads every key and index. utf8mb4_nopad_bin: keys compare by code point and trailing
-- spaces count, as on PostgreSQL ("C") and SQLite. DATETIME(6) holds UTC.
--
-- Users: email_key is the email lower-cased by rawstore, unique per tenant (case-insensitive get_user_by_email).
-- embedding_dims is the one dimension of every embedding of the user's memories (NULL until the first one).
-- Sessions: (tenant_id, user_id, id) is unique so that a memory's session must belong to the memory's own user.
-- Memories: the embedding is packed little-endian float32 (`dims` components); MariaDB 10.11 has no vector type,
-- so vector search ranks it in the client. content has its own case-insensitive collation (utf8mb4_unicode_ci)
-- for its FULLTEXT index: InnoDB full-text matching follows the column's collation, and a binary one would make
-- "Coffee" and "coffee" two words. InnoDB adds a row to the full-text index when its transaction commits.
-- owner is one full-text token naming the memory's (tenant, user) ('o' and the MD5 of both: within InnoDB's 84-character
-- token limit, in content's collation as a FULLTEXT index needs): a text search requires it in boolean mode, so InnoDB
-- reads the user's postings instead of every tenant's matches for common words.
-- MariaDB commits each DDL statement: every statement here is idempotent (IF NOT EXISTS), so a migration stopped
-- halfway can simply be run again.
-- This migration: rs_mem_users, rs_mem_sessions, rs_memories.
CREATE TABLE IF NOT EXISTS rs_mem_users (
    tenant_id      VARCHAR(64)  NOT NULL,
    id             VARCHAR(255) NOT NULL,
    email          VARCHAR(320) NOT NULL,
    email_key      VARCHAR(320) NOT NULL,
    name           TEXT NULL,
    metadata       JSON NULL,
    embedding_dims SMALLINT NULL,
    created_at     DATETIME(6) NOT NULL,
    updated_at     DATETIME(6) NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE KEY rs_mem_users_email_key (tenant_id, email_key),
    CONSTRAINT rs_mem_users_dims CHECK (embedding_dims BETWEEN 1 AND 2000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS rs_mem_sessions (
    tenant_id  VARCHAR(64)  NOT NULL,
    id         VARCHAR(255) NOT NULL,
    user_id    VARCHAR(255) NOT NULL,
    started_at DATETIME(6) NOT NULL,
    ended_at   DATETIME(6) NULL,
    metadata   JSON NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE KEY rs_mem_sessions_user_key (tenant_id, user_id, id),
    KEY rs_mem_sessions_started_idx (tenant_id, user_id, started_at, id),
    CONSTRAINT rs_mem_sessions_user_fk FOREIGN KEY (tenant_id, user_id)
        REFERENCES rs_mem_users (tenant_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS rs_memories (
    tenant_id  VARCHAR(64)  NOT NULL,
    id         VARCHAR(255) NOT NULL,
    user_id    VARCHAR(255) NOT NULL,
    session_id VARCHAR(255) NULL,
    content    MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL,
    importance DOUBLE NOT NULL,
    dims       SMALLINT NULL,
    embedding  BLOB NULL,
    metadata   JSON NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    deleted_at DATETIME(6) NULL,
    owner      CHAR(33) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci
               AS (CONCAT('o', MD5(CONCAT(tenant_id, CHAR(0), user_id)))) STORED,
    PRIMARY KEY (tenant_id, id),
    KEY rs_memories_created_idx (tenant_id, user_id, created_at, id),
    KEY rs_memories_importance_idx (tenant_id, user_id, importance, id),
    KEY rs_memories_session_idx (tenant_id, user_id, session_id),
    KEY rs_memories_deleted_idx (tenant_id, deleted_at),
    FULLTEXT KEY rs_memories_content_ft (content, owner),
    CONSTRAINT rs_memories_user_fk FOREIGN KEY (tenant_id, user_id)
        REFERENCES rs_mem_users (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_memories_session_fk FOREIGN KEY (tenant_id, user_id, session_id)
        REFERENCES rs_mem_sessions (tenant_id, user_id, id) ON DELETE CASCADE,
    CONSTRAINT rs_memories_embedding CHECK ((dims IS NULL) = (embedding IS NULL)
        AND (dims IS NULL OR (dims BETWEEN 1 AND 2000 AND length(embedding) = 4 * dims)))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
