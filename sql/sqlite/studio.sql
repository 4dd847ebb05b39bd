-- Read-only queries of the studio (rawstore studio): what no domain call answers, each on an index.

-- name: tenants
-- The tenants that own rows in the kit's main tables (the studio's tenant picker), at most :limit of them.
SELECT tenant_id FROM (
    SELECT DISTINCT tenant_id FROM rs_threads
    UNION SELECT DISTINCT tenant_id FROM rs_workflow_runs
    UNION SELECT DISTINCT tenant_id FROM rs_workflow_snapshots
    UNION SELECT DISTINCT tenant_id FROM rs_jobs
    UNION SELECT DISTINCT tenant_id FROM rs_ai_spans
    UNION SELECT DISTINCT tenant_id FROM rs_ai_calls
    UNION SELECT DISTINCT tenant_id FROM rs_scores
    UNION SELECT DISTINCT tenant_id FROM rs_mem_users
) t ORDER BY tenant_id LIMIT :limit

-- name: resources
-- A page of the resources that have threads, in resource id order after :after, with their thread counts and the
-- newest thread update (rs_threads_resource_updated_idx: one ordered pass, no sort).
SELECT resource_id, COUNT(*) AS threads, MAX(updated_at) AS last_updated
FROM rs_threads WHERE tenant_id = :tenant_id AND resource_id > :after
GROUP BY resource_id ORDER BY resource_id LIMIT :limit

-- name: server_version
-- The database server's version string, as the overview shows it.
SELECT 'SQLite ' || sqlite_version()
