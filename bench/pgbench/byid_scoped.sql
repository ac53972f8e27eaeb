-- The by-id read of bench/pgbench/byid.sql with a supervisor's data scope added, exactly as
-- src/platform/scope.c writes it for a 福州 (3501) inspector (平潭 350128 carved out).
-- Run with -M prepared -D max_id=<rows> -D lo=3501 -D hi=3502 -D pt_lo=350128 -D pt_hi=350129.
\set id random(1, :max_id)
SELECT id, code, name, org_code, address, owner_name, contractor_name, supervisor_firm_name, status, registered_on, area_m2, cost_wan, updated_at, version FROM project WHERE id = :id AND org_code >= :lo AND org_code < :hi AND NOT (org_code >= :pt_lo AND org_code < :pt_hi);
