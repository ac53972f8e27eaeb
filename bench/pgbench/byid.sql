-- pgbench script: the SQL behind GET /api/v1/public/projects/{id}.
-- Run with -M prepared -D max_id=<rows>; :id becomes a bound parameter.
\set id random(1, :max_id)
SELECT id, code, name, org_code, address, owner_name, contractor_name, supervisor_firm_name, status, registered_on, area_m2, cost_wan, updated_at, version FROM project WHERE id = :id;
