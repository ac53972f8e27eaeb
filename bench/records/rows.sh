# Sourced by bench/records.sh and bench/web.sh: the SQL that bulk-inserts ROWS rows of 项目报监.
# Needs NENT (the number of enterprises) set by the caller.
# One INSERT ... SELECT over the row numbers 1..ROWS; $1 = the row-number source, which is the
# only part that differs (generate_series on PostgreSQL, a recursive CTE on SQLite).
# Plain SQL that both engines accept: substr, ||, %, CASE; dates are ISO text on both.
insert_sql() { # gen_cte date_expr(n)
  cat <<SQL
$1
INSERT INTO e_registration (state, version, created_by, created_at, updated_by, updated_at,
  project_name, project_kind, org_code, address, applicant_id, owner_id, contractor_id,
  total_area, cost, planned_start_on, planned_finish_on, contact_name, remark)
SELECT 'draft', 1, 1, '2026-01-01T00:00:00.000Z', 1, '2026-01-01T00:00:00.000Z',
  '测试工程项目' || n,
  CASE n % 10 WHEN 0 THEN 'building' WHEN 1 THEN 'municipal' WHEN 2 THEN 'road' WHEN 3 THEN 'bridge'
    WHEN 4 THEN 'tunnel' WHEN 5 THEN 'water_supply' WHEN 6 THEN 'drainage' WHEN 7 THEN 'gas'
    WHEN 8 THEN 'utility_tunnel' ELSE 'landscape' END,
  CASE n % 18 WHEN 0 THEN '350102' WHEN 1 THEN '350103' WHEN 2 THEN '350104' WHEN 3 THEN '350105'
    WHEN 4 THEN '350111' WHEN 5 THEN '350112' WHEN 6 THEN '350121' WHEN 7 THEN '350122'
    WHEN 8 THEN '350123' WHEN 9 THEN '350124' WHEN 10 THEN '350125' WHEN 11 THEN '350181'
    WHEN 12 THEN '350203' WHEN 13 THEN '350205' WHEN 14 THEN '350206' WHEN 15 THEN '350211'
    WHEN 16 THEN '350212' ELSE '350213' END,
  '福建省测试路 ' || n || ' 号',
  1 + n % $NENT, 1 + (n * 7) % $NENT, 1 + (n * 13) % $NENT,
  (n * 37) % 5000000,
  ((n * 7919) % 200000) * 100,
  $2,
  NULL, '张三', NULL
FROM gen;
SQL
}
