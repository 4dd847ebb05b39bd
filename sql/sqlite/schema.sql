-- Schema operations (store.schema): the kit's tables, columns and indexes read from sqlite_master and the pragma
-- table functions, and the registry of the indexes create_index made (rs_index_registry, migration 0018).
-- The kit's tables are those whose names start with rs_ (compared byte-wise: LIKE ignores case), yoyo's bookkeeping
-- (rs_yoyo_*) excepted.
-- Sizes and row counts come from the dbstat table, which reads every page of the B-trees it is asked about (SQLite
-- keeps no sizes); a build of SQLite without it gets none (the store catches that).
-- SQLite names a primary key's index sqlite_autoindex_<table>_N; it is shown as <table>_pkey, its name on PostgreSQL.
-- These queries read the catalog and the registry, neither of which belongs to a tenant: none binds :tenant_id.
-- The index DDL itself (CREATE / DROP INDEX, ANALYZE) is built from sql/sqlite/ddl/schema.sql.

-- name: kit_tables
-- The names of the kit's tables, in name order.
SELECT m.name AS name
FROM sqlite_master m
WHERE m.type = 'table' AND substr(m.name, 1, 3) = 'rs_' AND substr(m.name, 1, 8) <> 'rs_yoyo_'
ORDER BY m.name

-- name: table_stats
-- Each kit table's rows (the cells of its leaf pages) and sizes in bytes, from dbstat restricted to the table's own
-- B-trees (dbstat reads only the B-tree a name= term names): a pass over the kit's tables, not over the application's.
SELECT t.name AS name,
       coalesce(sum(CASE WHEN o.type = 'table' AND d.pagetype = 'leaf' THEN d.ncell END), 0) AS rows_estimate,
       coalesce(sum(d.pgsize), 0) AS total_bytes,
       coalesce(sum(CASE WHEN o.type = 'index' THEN d.pgsize END), 0) AS index_bytes
FROM sqlite_master t
JOIN sqlite_master o ON o.tbl_name = t.name AND o.type IN ('table', 'index')
LEFT JOIN dbstat d ON d.name = o.name
WHERE t.type = 'table' AND substr(t.name, 1, 3) = 'rs_' AND substr(t.name, 1, 8) <> 'rs_yoyo_'
GROUP BY t.name
ORDER BY t.name

-- name: columns
-- The columns of one table, in table order.
SELECT c.name AS name, c.type AS type, NOT c."notnull" AS nullable, c.dflt_value AS "default"
FROM pragma_table_info(:table) c
ORDER BY c.cid

-- name: indexes
-- The indexes of the kit's tables (of one table when :table is given, one index when :name is), with their key
-- columns (` DESC` appended to a descending one), whether partial, and whether create_index made them (a row in
-- rs_index_registry). SQLite's only index method is the B-tree, and a failed build leaves nothing behind.
SELECT CASE WHEN il.origin = 'pk' THEN m.name || '_pkey' ELSE il.name END AS name,
       m.name AS "table",
       (SELECT json_group_array(c.col)
        FROM (SELECT coalesce(x.name, '(expression)') || CASE WHEN x."desc" THEN ' DESC' ELSE '' END AS col
              FROM pragma_index_xinfo(il.name) x
              WHERE x."key" = 1
              ORDER BY x.seqno) c) AS columns,
       il."unique" AS "unique",
       'btree' AS method,
       il.partial AS partial,
       1 AS valid,
       0 AS building,
       coalesce(ix.sql,
                CASE WHEN il.origin = 'pk' THEN 'PRIMARY KEY (' ELSE 'UNIQUE (' END
                || (SELECT group_concat(c.col, ', ')
                    FROM (SELECT coalesce(x.name, '(expression)')
                                 || CASE WHEN x."desc" THEN ' DESC' ELSE '' END AS col
                          FROM pragma_index_xinfo(il.name) x
                          WHERE x."key" = 1
                          ORDER BY x.seqno) c)
                || ')') AS definition,
       CASE WHEN r.name IS NULL THEN 'migration' ELSE 'user' END AS owner
FROM sqlite_master m
JOIN pragma_index_list(m.name) il
LEFT JOIN sqlite_master ix ON ix.type = 'index' AND ix.name = il.name
LEFT JOIN rs_index_registry r ON r.name = il.name AND r.table_name = m.name
WHERE m.type = 'table' AND substr(m.name, 1, 3) = 'rs_' AND substr(m.name, 1, 8) <> 'rs_yoyo_'
  AND (:table IS NULL OR m.name = :table)
  AND (:name IS NULL OR (CASE WHEN il.origin = 'pk' THEN m.name || '_pkey' ELSE il.name END) = :name)
ORDER BY m.name, 1

-- name: index_sizes
-- The size in bytes of every index of the kit's tables (of one table when :table is given, one index when :name is),
-- from dbstat (a pass over the pages of each).
SELECT CASE WHEN il.origin = 'pk' THEN m.name || '_pkey' ELSE il.name END AS name,
       m.name AS "table",
       (SELECT coalesce(sum(d.pgsize), 0) FROM dbstat d WHERE d.name = il.name) AS size_bytes
FROM sqlite_master m
JOIN pragma_index_list(m.name) il
WHERE m.type = 'table' AND substr(m.name, 1, 3) = 'rs_' AND substr(m.name, 1, 8) <> 'rs_yoyo_'
  AND (:table IS NULL OR m.name = :table)
  AND (:name IS NULL OR (CASE WHEN il.origin = 'pk' THEN m.name || '_pkey' ELSE il.name END) = :name)

-- name: index_use
-- SQLite keeps no usage statistics: one row of NULLs.
SELECT CAST(NULL AS INTEGER) AS scans, CAST(NULL AS INTEGER) AS tuples_read, CAST(NULL AS INTEGER) AS tuples_fetched
WHERE :table IS NOT NULL AND :name IS NOT NULL

-- name: name_used
-- What else goes by :name (tables, views, triggers and indexes share one namespace): a table, or an index of a table
-- that is not the kit's.
SELECT CASE m.type WHEN 'index' THEN 'an index of ' || m.tbl_name ELSE 'the ' || m.type || ' ' || m.name END AS used_by
FROM sqlite_master m
WHERE m.name = :name
  AND NOT (m.type = 'index' AND substr(m.tbl_name, 1, 3) = 'rs_' AND substr(m.tbl_name, 1, 8) <> 'rs_yoyo_')
LIMIT 1

-- name: registered
-- The registry row of one index create_index made (or began to make).
SELECT name, table_name, definition
FROM rs_index_registry
WHERE name = :name

-- name: register
-- Record an index create_index is about to build; a row already there is left as it is (the caller reads it back).
INSERT INTO rs_index_registry (name, table_name, definition, created_at)
VALUES (:name, :table_name, :definition, :created_at)
ON CONFLICT (name) DO NOTHING

-- name: unregister
-- Forget an index (dropped, or never built).
DELETE FROM rs_index_registry WHERE name = :name

-- name: quote_literal
-- A value as a SQL literal, quoted by the database itself (partial index predicates cannot take parameters).
SELECT quote(CAST(:value AS TEXT))

-- name: ddl_lock
-- Serialize store.schema calls across processes (the calls of one store already run one at a time).
-- SQLite needs no lock between processes: it has one writer at a time, and its catalog is read in a transaction.
SELECT CAST(:timeout AS INTEGER) * 0 + 1 AS locked

-- name: ddl_unlock
-- Release ddl_lock.
SELECT 1 AS unlocked
