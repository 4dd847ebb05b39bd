-- name: insert_traces
-- Insert a batch of spans (aiomysql sends it as one multi-row INSERT); an id already stored (or repeated in the
-- batch) is a duplicate key, so the whole batch fails and nothing is written.
INSERT INTO rs_otel_traces (tenant_id, id, trace_id, parent_span_id, name, scope, kind, start_time_ns, end_time_ns,
                            attributes, status, events, links, other, created_at)
VALUES (:tenant_id, :id, :trace_id, :parent_span_id, :name, :scope, :kind, :start_time_ns, :end_time_ns,
        :attributes, :status, :events, :links, :other, :created_at)

-- name: traces
-- A page of the tenant's spans: the (tenant_id, start_time_ns, id) index read backwards.
-- Newest start first by (start_time_ns, id), strictly before the cursor (c_ns, c_id), start within [lo, hi].
-- `attrs` (a JSON object or NULL): every key's value equals the stored one under JSON_EQUALS. The keys come from
-- `attr_keys` (the same keys as a JSON array, written by the kit like every stored document): each element read as
-- JSON is the key quoted exactly as in the documents, since MariaDB matches a path's key against a document's key
-- as written (escapes included); JSON_KEYS would do, but drops keys in some combinations (MariaDB 10.11).
SELECT id, trace_id, name, scope, kind, start_time_ns, end_time_ns, parent_span_id,
       attributes, status, events, links, other, created_at
FROM rs_otel_traces FORCE INDEX (rs_otel_traces_start_idx)
WHERE tenant_id = :tenant_id AND start_time_ns <= :hi AND start_time_ns >= :lo
  AND (start_time_ns < :c_ns OR id < :c_id)
  AND (:attrs IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:attr_keys, '$[*]' COLUMNS (k JSON PATH '$')) AS f
      WHERE NOT COALESCE(JSON_EQUALS(JSON_EXTRACT(attributes, CONCAT('$.', f.k)),
                                     JSON_EXTRACT(:attrs, CONCAT('$.', f.k))), 0)))
ORDER BY start_time_ns DESC, id DESC LIMIT :limit

-- name: count_traces
-- How many spans `traces` lists over all its pages.
SELECT count(*) FROM rs_otel_traces FORCE INDEX (rs_otel_traces_start_idx)
WHERE tenant_id = :tenant_id AND start_time_ns <= :hi AND start_time_ns >= :lo
  AND (:attrs IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:attr_keys, '$[*]' COLUMNS (k JSON PATH '$')) AS f
      WHERE NOT COALESCE(JSON_EQUALS(JSON_EXTRACT(attributes, CONCAT('$.', f.k)),
                                     JSON_EXTRACT(:attrs, CONCAT('$.', f.k))), 0)))

-- name: traces_by_scope
-- A page of one scope's spans: the (tenant_id, scope, start_time_ns, id) index read backwards; the name range
-- [name_lo, name_hi) is a prefix's (or, without one, every name's) and filters the rows read.
-- Newest start first by (start_time_ns, id), strictly before the cursor (c_ns, c_id), start within [lo, hi].
-- `attrs` (a JSON object or NULL): every key's value equals the stored one under JSON_EQUALS. The keys come from
-- `attr_keys` (the same keys as a JSON array, written by the kit like every stored document): each element read as
-- JSON is the key quoted exactly as in the documents, since MariaDB matches a path's key against a document's key
-- as written (escapes included); JSON_KEYS would do, but drops keys in some combinations (MariaDB 10.11).
SELECT id, trace_id, name, scope, kind, start_time_ns, end_time_ns, parent_span_id,
       attributes, status, events, links, other, created_at
FROM rs_otel_traces FORCE INDEX (rs_otel_traces_scope_idx)
WHERE tenant_id = :tenant_id AND scope = :scope AND name >= :name_lo AND name < :name_hi
  AND start_time_ns <= :hi AND start_time_ns >= :lo
  AND (start_time_ns < :c_ns OR id < :c_id)
  AND (:attrs IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:attr_keys, '$[*]' COLUMNS (k JSON PATH '$')) AS f
      WHERE NOT COALESCE(JSON_EQUALS(JSON_EXTRACT(attributes, CONCAT('$.', f.k)),
                                     JSON_EXTRACT(:attrs, CONCAT('$.', f.k))), 0)))
ORDER BY start_time_ns DESC, id DESC LIMIT :limit

-- name: count_traces_by_scope
-- How many spans `traces_by_scope` lists over all its pages.
SELECT count(*) FROM rs_otel_traces FORCE INDEX (rs_otel_traces_scope_idx)
WHERE tenant_id = :tenant_id AND scope = :scope AND name >= :name_lo AND name < :name_hi
  AND start_time_ns <= :hi AND start_time_ns >= :lo
  AND (:attrs IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:attr_keys, '$[*]' COLUMNS (k JSON PATH '$')) AS f
      WHERE NOT COALESCE(JSON_EQUALS(JSON_EXTRACT(attributes, CONCAT('$.', f.k)),
                                     JSON_EXTRACT(:attrs, CONCAT('$.', f.k))), 0)))

-- name: traces_by_name
-- A page of the spans whose name starts with a prefix: [name_lo, name_hi) is exactly that prefix's range of
-- the (tenant_id, name, start_time_ns, id) index (names hold at most 255 characters), sorted by start.
-- Newest start first by (start_time_ns, id), strictly before the cursor (c_ns, c_id), start within [lo, hi].
-- `attrs` (a JSON object or NULL): every key's value equals the stored one under JSON_EQUALS. The keys come from
-- `attr_keys` (the same keys as a JSON array, written by the kit like every stored document): each element read as
-- JSON is the key quoted exactly as in the documents, since MariaDB matches a path's key against a document's key
-- as written (escapes included); JSON_KEYS would do, but drops keys in some combinations (MariaDB 10.11).
SELECT id, trace_id, name, scope, kind, start_time_ns, end_time_ns, parent_span_id,
       attributes, status, events, links, other, created_at
FROM rs_otel_traces
WHERE tenant_id = :tenant_id AND name >= :name_lo AND name < :name_hi
  AND start_time_ns <= :hi AND start_time_ns >= :lo
  AND (start_time_ns < :c_ns OR id < :c_id)
  AND (:attrs IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:attr_keys, '$[*]' COLUMNS (k JSON PATH '$')) AS f
      WHERE NOT COALESCE(JSON_EQUALS(JSON_EXTRACT(attributes, CONCAT('$.', f.k)),
                                     JSON_EXTRACT(:attrs, CONCAT('$.', f.k))), 0)))
ORDER BY start_time_ns DESC, id DESC LIMIT :limit

-- name: count_traces_by_name
-- How many spans `traces_by_name` lists over all its pages: a count reads every match, so the exact name range
-- of the name index is read (MariaDB would walk the start index of the whole tenant).
SELECT count(*) FROM rs_otel_traces FORCE INDEX (rs_otel_traces_name_idx)
WHERE tenant_id = :tenant_id AND name >= :name_lo AND name < :name_hi
  AND start_time_ns <= :hi AND start_time_ns >= :lo
  AND (:attrs IS NULL OR NOT EXISTS (
      SELECT 1 FROM JSON_TABLE(:attr_keys, '$[*]' COLUMNS (k JSON PATH '$')) AS f
      WHERE NOT COALESCE(JSON_EQUALS(JSON_EXTRACT(attributes, CONCAT('$.', f.k)),
                                     JSON_EXTRACT(:attrs, CONCAT('$.', f.k))), 0)))
