-- Index DDL of store.schema on SQLite: templates, not queries. DDL takes no parameters, so the kit fills each
-- {field} itself, only ever with what it validated: {name}, {table} and every column are identifiers matching
-- [a-z_][a-z0-9_]* that exist in the catalog, quoted with `quote_ident`; {unique} is "UNIQUE " or nothing; {columns}
-- the quoted key columns, each followed by " DESC" for a descending one; {where} nothing or " WHERE " and
-- `"col" = <literal>` / `"col" IS NULL` terms joined by " AND ", each string literal quoted by SQLite's own quote()
-- (sql/sqlite/schema.sql). SQLite's one index method is the B-tree, so {method} is never used.
-- Not loaded with the query files (it is a folder below them): rawstore/schema/store.py reads it.

-- name: quote_ident
"{ident}"

-- name: create_index
CREATE {unique}INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}

-- name: create_index_online
-- SQLite builds every index under its one write lock: there is no online form.
CREATE {unique}INDEX IF NOT EXISTS {name} ON {table} ({columns}){where}

-- name: drop_index
DROP INDEX IF EXISTS {name}

-- name: drop_index_online
DROP INDEX IF EXISTS {name}

-- name: analyze_table
ANALYZE {table}
