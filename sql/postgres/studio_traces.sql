-- Read-only queries of the studio's pages for the traces list and waterfall pages.

-- name: trace_score_counts
-- How many scores each span of one trace has (rs_scores_span_idx), so the waterfall can mark the scored spans.
SELECT span_id, COUNT(*) AS scores FROM {schema}rs_scores
WHERE tenant_id = :tenant_id AND trace_id = :trace_id AND span_id IS NOT NULL
GROUP BY span_id
