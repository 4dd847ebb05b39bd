-- rawstore row-level security policies (PostgreSQL): defence in depth for tenancy.
-- One policy per kit table that holds tenant rows: a row is visible and writable only while the transaction's
-- `rawstore.tenant_id` setting names its tenant (connect(..., row_level_security=True) sets it in every kit
-- call and store.transaction()). A policy does nothing until `rawstore rls enable` turns enforcement on
-- (ENABLE + FORCE ROW LEVEL SECURITY), so this migration changes no behaviour by itself. rs_index_registry
-- (shared by all tenants) and yoyo's tables have none. current_setting(..., true) is NULL when the setting is
-- missing, and a NULL comparison admits no row: a session that never set it sees nothing.
-- Vector tables that store.memories creates at run time (rs_memories_vec_<dims>) get the same policy from
-- `rawstore rls enable`.
CREATE POLICY rs_tenant_isolation ON rs_threads
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_messages
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_resources
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_workflow_runs
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_workflow_stages
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_workflow_logs
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_workflow_artifacts
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_jobs
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_ai_calls
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_ai_batches
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_workflow_snapshots
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_ai_spans
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_otel_traces
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_scores
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_evals
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_mem_users
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_mem_sessions
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
CREATE POLICY rs_tenant_isolation ON rs_memories
    USING (tenant_id = current_setting('rawstore.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('rawstore.tenant_id', true));
