-- rawstore semantic memory (store.memories): users, sessions and memories with embeddings. Every object is
-- prefixed rs_; tenant_id leads every key and index. Timestamps are fixed-width UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'.
--
-- Users: email_key is the email lower-cased by rawstore, unique per tenant (case-insensitive get_user_by_email).
-- embedding_dims is the one dimension of every embedding of the user's memories (NULL until the first one).
-- Sessions: (tenant_id, user_id, id) is unique so that a memory's session must belong to the memory's own user.
-- Memories: the embedding is packed little-endian float32 (`dims` components); vector search ranks it in the
-- client. rid is the rowid (an INTEGER PRIMARY KEY keeps it stable across VACUUM), the key of the FTS5 index
-- rs_memories_fts (external content: it stores only the index, read through rid), which triggers keep in sync
-- with every insert, delete (cascades included) and change of content. (tenant_id, id) is the memory's key.
-- owner is one FTS token naming the memory's (tenant, user) ('o', hex of the tenant, 'g', hex of the user, '0': only
-- letters and digits, ending in a digit so the Porter stemmer leaves it alone): a text search matches it AND the
-- words, so FTS5 intersects the user's posting list with the words' instead of ranking every tenant's matches.
-- This migration: rs_mem_users, rs_mem_sessions, rs_memories, rs_memories_fts and its triggers.
CREATE TABLE rs_mem_users (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    email          TEXT NOT NULL,
    email_key      TEXT NOT NULL,
    name           TEXT,
    metadata       TEXT,
    embedding_dims INTEGER CHECK (embedding_dims BETWEEN 1 AND 2000),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email_key)
);

CREATE TABLE rs_mem_sessions (
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at   TEXT,
    metadata   TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES rs_mem_users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX rs_mem_sessions_started_idx ON rs_mem_sessions (tenant_id, user_id, started_at, id);

CREATE TABLE rs_memories (
    rid        INTEGER PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    id         TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    session_id TEXT,
    content    TEXT NOT NULL,
    importance REAL NOT NULL,
    dims       INTEGER,
    embedding  BLOB,
    metadata   TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    owner      TEXT GENERATED ALWAYS AS ('o' || hex(tenant_id) || 'g' || hex(user_id) || '0') VIRTUAL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES rs_mem_users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id, session_id) REFERENCES rs_mem_sessions (tenant_id, user_id, id)
        ON DELETE CASCADE,
    CHECK ((dims IS NULL) = (embedding IS NULL)
        AND (dims IS NULL OR (dims BETWEEN 1 AND 2000 AND length(embedding) = 4 * dims)))
);
CREATE INDEX rs_memories_created_idx ON rs_memories (tenant_id, user_id, created_at, id);
CREATE INDEX rs_memories_importance_idx ON rs_memories (tenant_id, user_id, importance, id);
CREATE INDEX rs_memories_session_idx ON rs_memories (tenant_id, user_id, session_id, created_at, id)
    WHERE session_id IS NOT NULL;
CREATE INDEX rs_memories_deleted_idx ON rs_memories (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;

CREATE VIRTUAL TABLE rs_memories_fts USING fts5(
    content, owner, content='rs_memories', content_rowid='rid', tokenize='porter unicode61'
);
CREATE TRIGGER rs_memories_fts_insert AFTER INSERT ON rs_memories BEGIN
    INSERT INTO rs_memories_fts (rowid, content, owner) VALUES (new.rid, new.content, new.owner);
END;
CREATE TRIGGER rs_memories_fts_delete AFTER DELETE ON rs_memories BEGIN
    INSERT INTO rs_memories_fts (rs_memories_fts, rowid, content, owner)
    VALUES ('delete', old.rid, old.content, old.owner);
END;
CREATE TRIGGER rs_memories_fts_update AFTER UPDATE OF content ON rs_memories BEGIN
    INSERT INTO rs_memories_fts (rs_memories_fts, rowid, content, owner)
    VALUES ('delete', old.rid, old.content, old.owner);
    INSERT INTO rs_memories_fts (rowid, content, owner) VALUES (new.rid, new.content, new.owner);
END;
