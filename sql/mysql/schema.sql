-- Schema operations (store.schema): the kit's tables, columns and indexes read from information_schema, and the
-- registry of the indexes create_index made (rs_index_registry, migration 0018).
-- The kit's tables are those of the URL's database whose names start with rs_ (compared byte-wise: information_schema
-- compares without case), yoyo's bookkeeping (rs_yoyo_*) excepted.
-- MariaDB names every primary key PRIMARY; it is shown as <table>_pkey, the name it has on PostgreSQL.
-- These queries read the catalog and the registry, neither of which belongs to a tenant: none binds :tenant_id.
-- The index DDL itself (CREATE / DROP INDEX, ANALYZE TABLE) is built from sql/mysql/ddl/schema.sql.

-- name: kit_tables
-- The names of the kit's tables, in name order.
SELECT t.TABLE_NAME AS name
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
  AND BINARY LEFT(t.TABLE_NAME, 3) = 'rs_' AND BINARY LEFT(t.TABLE_NAME, 8) <> 'rs_yoyo_'
ORDER BY BINARY t.TABLE_NAME

-- name: table_stats
-- Each kit table's estimated rows and sizes in bytes, from InnoDB's statistics (refreshed by ANALYZE TABLE).
SELECT t.TABLE_NAME AS name,
       t.TABLE_ROWS AS rows_estimate,
       t.DATA_LENGTH + t.INDEX_LENGTH AS total_bytes,
       t.INDEX_LENGTH AS index_bytes
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE'
  AND BINARY LEFT(t.TABLE_NAME, 3) = 'rs_' AND BINARY LEFT(t.TABLE_NAME, 8) <> 'rs_yoyo_'
ORDER BY BINARY t.TABLE_NAME

-- name: columns
-- The columns of one table of the URL's database, in table order. COLUMN_DEFAULT is the default's SQL text, and the
-- text NULL for a column without one.
SELECT c.COLUMN_NAME AS name,
       c.COLUMN_TYPE AS type,
       c.IS_NULLABLE = 'YES' AS nullable,
       CASE WHEN c.COLUMN_DEFAULT = 'NULL' THEN NULL ELSE c.COLUMN_DEFAULT END AS `default`
FROM information_schema.COLUMNS c
WHERE c.TABLE_SCHEMA = DATABASE() AND BINARY c.TABLE_NAME = :table
ORDER BY c.ORDINAL_POSITION

-- name: indexes
-- The indexes of the kit's tables (of one table when :table is given, one index when :name is), with their key
-- columns (` DESC` appended to a descending one, `(n)` to a prefix), method, and whether create_index made them (a
-- row in rs_index_registry). MariaDB has neither partial indexes nor index builds that leave an unusable index.
SELECT CASE WHEN s.INDEX_NAME = 'PRIMARY' THEN CONCAT(s.TABLE_NAME, '_pkey') ELSE s.INDEX_NAME END AS name,
       s.TABLE_NAME AS `table`,
       JSON_ARRAYAGG(CONCAT(s.COLUMN_NAME, IF(s.SUB_PART IS NULL, '', CONCAT('(', s.SUB_PART, ')')),
                            IF(s.COLLATION = 'D', ' DESC', ''))
                     ORDER BY s.SEQ_IN_INDEX) AS columns,
       MAX(s.NON_UNIQUE) = 0 AS `unique`,
       LOWER(MAX(s.INDEX_TYPE)) AS method,
       FALSE AS partial,
       TRUE AS valid,
       FALSE AS building,
       CONCAT(CASE WHEN s.INDEX_NAME = 'PRIMARY' THEN CONCAT('ALTER TABLE `', s.TABLE_NAME, '` ADD PRIMARY KEY')
                   ELSE CONCAT('CREATE ', IF(MAX(s.NON_UNIQUE) = 0, 'UNIQUE ', ''),
                               IF(MAX(s.INDEX_TYPE) IN ('FULLTEXT', 'SPATIAL'), CONCAT(MAX(s.INDEX_TYPE), ' '), ''),
                               'INDEX `', s.INDEX_NAME, '` ON `', s.TABLE_NAME, '`') END,
              ' (',
              GROUP_CONCAT(CONCAT('`', s.COLUMN_NAME, '`', IF(s.SUB_PART IS NULL, '', CONCAT('(', s.SUB_PART, ')')),
                                  IF(s.COLLATION = 'D', ' DESC', ''))
                           ORDER BY s.SEQ_IN_INDEX SEPARATOR ', '),
              ')',
              IF(MAX(s.INDEX_TYPE) IN ('FULLTEXT', 'SPATIAL'), '', CONCAT(' USING ', MAX(s.INDEX_TYPE)))) AS definition,
       CASE WHEN MAX(r.name) IS NULL THEN 'migration' ELSE 'user' END AS owner
FROM information_schema.STATISTICS s
LEFT JOIN rs_index_registry r ON r.name = s.INDEX_NAME AND r.table_name = s.TABLE_NAME
WHERE s.TABLE_SCHEMA = DATABASE()
  AND BINARY LEFT(s.TABLE_NAME, 3) = 'rs_' AND BINARY LEFT(s.TABLE_NAME, 8) <> 'rs_yoyo_'
  AND (CAST(:table AS CHAR) IS NULL OR BINARY s.TABLE_NAME = :table)
  AND (CAST(:name AS CHAR) IS NULL OR BINARY s.INDEX_NAME = :name
       OR (s.INDEX_NAME = 'PRIMARY' AND BINARY CONCAT(s.TABLE_NAME, '_pkey') = :name))
GROUP BY s.TABLE_NAME, s.INDEX_NAME
ORDER BY BINARY s.TABLE_NAME,
         BINARY CASE WHEN s.INDEX_NAME = 'PRIMARY' THEN CONCAT(s.TABLE_NAME, '_pkey') ELSE s.INDEX_NAME END

-- name: index_sizes
-- The size in bytes of every index of the kit's tables (of one table when :table is given, one index when :name is),
-- from InnoDB's persistent statistics (pages x page size). Reading mysql.innodb_index_stats needs a grant many
-- application users lack: the store then reports no sizes.
SELECT CASE WHEN s.index_name = 'PRIMARY' THEN CONCAT(s.table_name, '_pkey') ELSE s.index_name END AS name,
       s.table_name AS `table`,
       s.stat_value * @@innodb_page_size AS size_bytes
FROM mysql.innodb_index_stats s
WHERE s.database_name = DATABASE() AND s.stat_name = 'size'
  AND BINARY LEFT(s.table_name, 3) = 'rs_' AND BINARY LEFT(s.table_name, 8) <> 'rs_yoyo_'
  AND (CAST(:table AS CHAR) IS NULL OR BINARY s.table_name = :table)
  AND (CAST(:name AS CHAR) IS NULL OR BINARY s.index_name = :name
       OR (s.index_name = 'PRIMARY' AND BINARY CONCAT(s.table_name, '_pkey') = :name))

-- name: index_use
-- The rows read through one index, kept only while the server runs with userstat=1 (no row otherwise); MariaDB
-- counts neither scans nor fetched rows per index.
SELECT CAST(NULL AS SIGNED) AS scans, s.ROWS_READ AS tuples_read, CAST(NULL AS SIGNED) AS tuples_fetched
FROM information_schema.INDEX_STATISTICS s
WHERE s.TABLE_SCHEMA = DATABASE() AND BINARY s.TABLE_NAME = :table
  AND BINARY s.INDEX_NAME = CASE WHEN BINARY CONCAT(:table, '_pkey') = :name THEN 'PRIMARY' ELSE :name END

-- name: name_used
-- What else goes by :name: a table of the URL's database, or an index of a table that is not the kit's. MariaDB
-- names indexes within their table, but rawstore keeps one namespace for tables and indexes, as PostgreSQL and
-- SQLite have, so that an index name means the same on every database.
SELECT CONCAT('the table ', t.TABLE_NAME) AS used_by
FROM information_schema.TABLES t
WHERE t.TABLE_SCHEMA = DATABASE() AND BINARY t.TABLE_NAME = :name
UNION ALL
SELECT CONCAT('an index of ', s.TABLE_NAME) AS used_by
FROM information_schema.STATISTICS s
WHERE s.TABLE_SCHEMA = DATABASE() AND BINARY s.INDEX_NAME = :name
  AND NOT (BINARY LEFT(s.TABLE_NAME, 3) = 'rs_' AND BINARY LEFT(s.TABLE_NAME, 8) <> 'rs_yoyo_')
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
ON DUPLICATE KEY UPDATE name = name

-- name: unregister
-- Forget an index (dropped, or never built).
DELETE FROM rs_index_registry WHERE name = :name

-- name: quote_literal
-- A value as a SQL literal, quoted by the database itself.
SELECT QUOTE(:value)

-- name: ddl_lock
-- Serialize store.schema calls across processes (the calls of one store already run one at a time).
-- MariaDB's information_schema skips a table (with a warning) while DDL changes it, so the store.schema calls of
-- every process take one named lock of the database (a session lock, released at the latest when the session ends):
-- 1 when taken, 0 when :timeout seconds passed first.
SELECT GET_LOCK(CONCAT('rawstore.schema.', DATABASE()), :timeout) AS locked

-- name: ddl_unlock
-- Release ddl_lock.
SELECT RELEASE_LOCK(CONCAT('rawstore.schema.', DATABASE())) AS unlocked
