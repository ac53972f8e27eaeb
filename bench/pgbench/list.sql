-- pgbench script: the SQL behind
--   GET /api/v1/public/projects?status=under_construction&sort=-registered_on&page=P&size=20
-- LIMIT is size+1 (the extra row only sets has_more), OFFSET (page-1)*size; the page's ids come
-- from the index alone (deferred join), as in jianguan and the peer.
-- Run with -M prepared -D status=under_construction -D max_page=50; :status, :lim
-- and :off become bound parameters, exactly like the servers' prepared statements.
\set page random(1, :max_page)
\set lim 21
\set off (:page - 1) * 20
SELECT id, code, name, org_code, address, owner_name, contractor_name, supervisor_firm_name, status, registered_on, area_m2, cost_wan, updated_at, version FROM project WHERE id IN (SELECT id FROM project WHERE status IN (:status) ORDER BY registered_on DESC, id DESC LIMIT :lim OFFSET :off) ORDER BY registered_on DESC, id DESC;
