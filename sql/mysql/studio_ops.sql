-- Read-only queries of the studio's pages for the workflow, job, AI call, score and memory pages.

-- name: job_queue_counts
-- The tenant's jobs counted per queue and status.
SELECT queue, status, COUNT(*) AS jobs FROM rs_jobs WHERE tenant_id = :tenant_id
GROUP BY queue, status ORDER BY queue, status
