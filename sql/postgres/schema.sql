-- Schema operations (store.schema): the kit's tables, columns and indexes read from the catalog, and the registry of
-- the indexes create_index made (rs_index_registry, migration 0018).
-- The kit's tables are those of the store's schema whose names start with rs_, yoyo's bookkeeping (rs_yoyo_*)
-- excepted. The schema's name is read back from the store's own qualifier: {schema} is the quoted name with a dot
-- ("public".), and parse_ident('"public".x') is {public,x}.
-- These queries read the catalog and the registry, neither of which belongs to a tenant: none binds :tenant_id.
-- The index DDL itself (CREATE / DROP INDEX, ANALYZE) is built from sql/postgres/ddl/schema.sql.

-- name: kit_tables
-- The names of the kit's tables, in name order.
SELECT c.relname::text AS name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = (parse_ident('{schema}x'))[1]
  AND c.relkind IN ('r', 'p')
  AND left(c.relname, 3) = 'rs_' AND left(c.relname, 8) <> 'rs_yoyo_'
ORDER BY c.relname

-- name: table_stats
-- Each kit table's estimated rows (NULL until first analyzed or vacuumed), total and index sizes in bytes.
SELECT c.relname::text AS name,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::int8 END AS rows_estimate,
       pg_catalog.pg_total_relation_size(c.oid) AS total_bytes,
       pg_catalog.pg_indexes_size(c.oid) AS index_bytes
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = (parse_ident('{schema}x'))[1]
  AND c.relkind IN ('r', 'p')
  AND left(c.relname, 3) = 'rs_' AND left(c.relname, 8) <> 'rs_yoyo_'
ORDER BY c.relname

-- name: columns
-- The columns of one table of the kit's schema, in table order.
SELECT a.attname::text AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable,
       pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS "default"
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE n.nspname = (parse_ident('{schema}x'))[1]
  AND c.relname = :table AND c.relkind IN ('r', 'p')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum

-- name: indexes
-- The indexes of the kit's tables (of one table when :table is given, one index when :name is), with their key
-- columns (` DESC` appended to a descending one), method, whether partial, whether usable (valid) or being built, and
-- whether create_index made them (a row in rs_index_registry).
SELECT ic.relname::text AS name,
       t.relname::text AS "table",
       (SELECT json_agg(pg_catalog.pg_get_indexdef(i.indexrelid, k, true)
                        || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END ORDER BY k)::text
        FROM generate_series(1, i.indnkeyatts) AS k) AS columns,
       i.indisunique AS "unique",
       am.amname::text AS method,
       i.indpred IS NOT NULL AS partial,
       i.indisvalid AND i.indisready AS valid,
       EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p
               WHERE p.relid = i.indrelid AND p.index_relid IN (0, i.indexrelid)) AS building,
       pg_catalog.pg_get_indexdef(i.indexrelid) AS definition,
       CASE WHEN r.name IS NULL THEN 'migration' ELSE 'user' END AS owner
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
LEFT JOIN {schema}rs_index_registry r ON r.name = ic.relname AND r.table_name = t.relname
WHERE n.nspname = (parse_ident('{schema}x'))[1]
  AND left(t.relname, 3) = 'rs_' AND left(t.relname, 8) <> 'rs_yoyo_'
  AND (CAST(:table AS text) IS NULL OR t.relname = :table)
  AND (CAST(:name AS text) IS NULL OR ic.relname = :name)
ORDER BY t.relname, ic.relname

-- name: index_sizes
-- The size in bytes of every index of the kit's tables (of one table when :table is given, one index when :name is).
SELECT ic.relname::text AS name, t.relname::text AS "table", pg_catalog.pg_relation_size(i.indexrelid) AS size_bytes
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = (parse_ident('{schema}x'))[1]
  AND left(t.relname, 3) = 'rs_' AND left(t.relname, 8) <> 'rs_yoyo_'
  AND (CAST(:table AS text) IS NULL OR t.relname = :table)
  AND (CAST(:name AS text) IS NULL OR ic.relname = :name)

-- name: index_use
-- How often one index was scanned, and the entries it returned (read) and the rows those led to (fetched).
SELECT s.idx_scan AS scans, s.idx_tup_read AS tuples_read, s.idx_tup_fetch AS tuples_fetched
FROM pg_catalog.pg_stat_user_indexes s
WHERE s.schemaname = (parse_ident('{schema}x'))[1] AND s.relname = :table AND s.indexrelname = :name

-- name: name_used
-- What else in the kit's schema goes by :name (index and table names share one namespace): a table, a view, or an
-- index of a table that is not the kit's (the kit's own indexes are read with `indexes`).
SELECT CASE c.relkind WHEN 'i' THEN 'an index of ' || t.relname::text
                      WHEN 'I' THEN 'an index of ' || t.relname::text
                      WHEN 'r' THEN 'the table ' || c.relname::text
                      WHEN 'p' THEN 'the table ' || c.relname::text
                      ELSE 'the relation ' || c.relname::text END AS used_by
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
LEFT JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
WHERE n.nspname = (parse_ident('{schema}x'))[1] AND c.relname = :name
  AND NOT (c.relkind IN ('i', 'I') AND left(t.relname, 3) = 'rs_' AND left(t.relname, 8) <> 'rs_yoyo_')
LIMIT 1

-- name: registered
-- The registry row of one index create_index made (or began to make).
SELECT name, table_name, definition::text AS definition
FROM {schema}rs_index_registry
WHERE name = :name

-- name: register
-- Record an index create_index is about to build; a row already there is left as it is (the caller reads it back).
INSERT INTO {schema}rs_index_registry (name, table_name, definition, created_at)
VALUES (:name, :table_name, :definition::jsonb, :created_at)
ON CONFLICT (name) DO NOTHING

-- name: unregister
-- Forget an index (dropped, or never built).
DELETE FROM {schema}rs_index_registry WHERE name = :name

-- name: quote_literal
-- A value as a SQL literal, quoted by the database itself (partial index predicates cannot take parameters).
SELECT pg_catalog.quote_literal(CAST(:value AS text))

-- name: ddl_lock
-- Serialize store.schema calls across processes (the calls of one store already run one at a time).
-- PostgreSQL needs no lock between processes: its catalog reads never skip a table under DDL, and create_index
-- settles two concurrent builds of one table itself (it waits for the first, or tries again after a deadlock).
SELECT CAST(:timeout AS integer) * 0 + 1 AS locked

-- name: ddl_unlock
-- Release ddl_lock.
SELECT 1 AS unlocked
