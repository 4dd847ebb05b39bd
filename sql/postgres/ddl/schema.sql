-- Index DDL of store.schema on PostgreSQL: templates, not queries. DDL takes no parameters, so the kit fills each
-- {field} itself, only ever with what it validated: {name}, {table} and every column are identifiers matching
-- [a-z_][a-z0-9_]* that exist in the catalog, quoted with `quote_ident`; {method} comes from the driver's closed list
-- (Capabilities.index_methods); {unique} is "UNIQUE " or nothing; {columns} the quoted key columns, each followed by
-- " DESC" for a descending one; {where} nothing or " WHERE " and `"col" = <literal>` / `"col" IS NULL` terms joined by
-- " AND ", each string literal quoted by the database's own quote_literal (sql/postgres/schema.sql).
-- {schema} is the store's schema, as in every query file.
-- Not loaded with the query files (it is a folder below them): rawstore/schema/store.py reads it.

-- name: quote_ident
"{ident}"

-- name: create_index
-- Builds under a lock that blocks writes to the table until it is done; one transaction.
CREATE {unique}INDEX IF NOT EXISTS {name} ON {schema}{table} USING {method} ({columns}){where}

-- name: create_index_online
-- CONCURRENTLY: writes go on while the index is built (two table scans; the statement waits for transactions that
-- could use the table). It cannot run inside a transaction block, and a failed build leaves an invalid index
-- behind, which the kit drops.
CREATE {unique}INDEX CONCURRENTLY IF NOT EXISTS {name} ON {schema}{table} USING {method} ({columns}){where}

-- name: drop_index
DROP INDEX IF EXISTS {schema}{name}

-- name: drop_index_online
-- CONCURRENTLY: waits for the transactions using the table instead of blocking them.
DROP INDEX CONCURRENTLY IF EXISTS {schema}{name}

-- name: analyze_table
ANALYZE {schema}{table}
