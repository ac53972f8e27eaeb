-- The full recomputation of scores and credit (src/modules/scoring/compute.c) reads the ledger of a
-- range of subjects grouped by subject, role, project, clause and inspection. These indexes hold
-- every column that read needs, in its grouping order, so it is one ordered index-only range scan
-- (no table lookups, no sort) on SQLite and PostgreSQL: bench/scoring/credit.sh, 5,000,000 rows.
CREATE INDEX ix_score_point_enterprise_group ON score_point
    (enterprise_id, enterprise_role, project_id, clause_code, inspection_no, period, city_code, domain, points);
CREATE INDEX ix_score_point_person_group ON score_point
    (person_id, person_role, project_id, clause_code, inspection_no, period, city_code, domain, points);
