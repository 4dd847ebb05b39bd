-- name: insert_calls
-- Insert a batch of calls (one executemany in the caller's transaction); an id already stored is skipped (not
-- INSERT OR IGNORE, which would also swallow NOT NULL and CHECK failures).
INSERT INTO rs_ai_calls (tenant_id, id, topic, call_type, model_key, model_id, prompt, response,
                         input_tokens, output_tokens, cost_nanos, metadata, created_at)
VALUES (:tenant_id, :id, :topic, :call_type, :model_key, :model_id, :prompt, :response,
        :input_tokens, :output_tokens, :cost_nanos, :metadata, :created_at)
ON CONFLICT (tenant_id, id) DO NOTHING

-- name: record_batch
-- Mark a batch as recorded; no change when it already is. Writers are serialized (BEGIN IMMEDIATE), so a
-- concurrent recorder commits first and this one sees the conflict.
INSERT INTO rs_ai_batches (tenant_id, batch_id, calls, recorded_at)
VALUES (:tenant_id, :batch_id, :calls, strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')
ON CONFLICT (tenant_id, batch_id) DO NOTHING

-- name: is_recorded
-- A primary-key lookup of a batch marker.
SELECT 1 FROM rs_ai_batches WHERE tenant_id = :tenant_id AND batch_id = :batch_id

-- name: stats
-- Count, tokens and exact cost per model key over the topics in [prefix, prefix_end): an index range on
-- (tenant_id, topic) that holds exactly the topics starting with the prefix (BINARY: byte order).
SELECT model_key, COUNT(*) AS calls, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
       SUM(cost_nanos) AS cost_nanos
FROM rs_ai_calls
WHERE tenant_id = :tenant_id AND topic >= :prefix AND topic < :prefix_end
GROUP BY model_key ORDER BY model_key

-- name: get_call
-- One call by id.
SELECT topic, call_type, model_key, model_id, prompt, response, input_tokens, output_tokens, cost_nanos AS cost,
       metadata, id, created_at
FROM rs_ai_calls WHERE tenant_id = :tenant_id AND id = :id

-- name: calls_asc
-- A page of one topic's calls by (created_at, id) ascending, after the cursor.
SELECT topic, call_type, model_key, model_id, prompt, response, input_tokens, output_tokens, cost_nanos AS cost,
       metadata, id, created_at
FROM rs_ai_calls
WHERE tenant_id = :tenant_id AND topic = :topic AND created_at >= :c_ts AND (created_at > :c_ts OR id > :c_id)
ORDER BY created_at, id LIMIT :limit

-- name: calls_desc
-- A page of one topic's calls by (created_at, id) descending, after the cursor.
SELECT topic, call_type, model_key, model_id, prompt, response, input_tokens, output_tokens, cost_nanos AS cost,
       metadata, id, created_at
FROM rs_ai_calls
WHERE tenant_id = :tenant_id AND topic = :topic AND created_at <= :c_ts AND (created_at < :c_ts OR id < :c_id)
ORDER BY created_at DESC, id DESC LIMIT :limit
