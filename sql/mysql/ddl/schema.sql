-- Index DDL of store.schema on MariaDB: templates, not queries. DDL takes no parameters, so the kit fills each
-- {field} itself, only ever with what it validated: {name}, {table} and every column are identifiers matching
-- [a-z_][a-z0-9_]* that exist in the catalog, quoted with `quote_ident`; {method} comes from the driver's closed list
-- (Capabilities.index_methods: only BTREE, as InnoDB silently builds a B-tree for HASH); {unique} is "UNIQUE " or
-- nothing; {columns} the quoted key columns, each followed by " DESC" for a descending one.
-- MariaDB has no partial indexes (Capabilities.partial_indexes is False: a `where` is refused before any of this).
-- No IF [NOT] EXISTS: MariaDB reports a skipped statement as a warning, and MySQL has no such clause; the kit looks
-- the index up first and settles a race with a concurrent call by looking again.
-- Not loaded with the query files (it is a folder below them): rawstore/schema/store.py reads it.

-- name: quote_ident
`{ident}`

-- name: create_index
CREATE {unique}INDEX {name} ON {table} ({columns}) USING {method}

-- name: create_index_online
-- LOCK=NONE: reads and writes go on while InnoDB builds the index in place (an error, not a silent lock, if it
-- cannot).
CREATE {unique}INDEX {name} ON {table} ({columns}) USING {method} LOCK=NONE

-- name: drop_index
DROP INDEX {name} ON {table}

-- name: drop_index_online
-- DROP INDEX takes no LOCK clause on MariaDB; the same statement as an ALTER TABLE does.
ALTER TABLE {table} DROP INDEX {name}, LOCK=NONE

-- name: analyze_table
ANALYZE TABLE {table}
