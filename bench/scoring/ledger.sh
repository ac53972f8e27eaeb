# Sourced by bench/scoring/credit.sh: the SQL that bulk-inserts ROWS ledger rows into score_point.
# One INSERT ... SELECT over the row numbers 1..ROWS; $1 = the row-number source (a recursive CTE on
# SQLite, generate_series on PostgreSQL), $2 = the SQL of a zero-padded 2-digit city number from x.
# Shape (all in quarter 2026Q3): COMPANIES enterprises (the first 4/5 contractors, the rest
# supervising firms), each with 4 projects in one of 9 cities; PERSONS persons, each tied to one
# company (person p works for company p mod COMPANIES: project managers of contractors, chief
# supervisors of supervising firms); row n names company n mod COMPANIES, project (company, n/COMPANIES
# mod 4), one of 20 clauses and one of 5 inspections, 1..8 points.
ledger_sql() { # rowsource pad2
  cat <<SQL
$1
INSERT INTO score_point (notice_id, item_seq, project_id, org_code, city_code, domain, inspection_no,
  inspected_on, effective_on, edition, clause_code, clause_given, points, enterprise_id, enterprise_role,
  person_id, person_role, period, corrects_id, reverses_id, created_at)
SELECT 1 + n / 3, n % 3, pr, '35' || c2 || '02', '35' || c2,
  CASE WHEN pr % 3 = 0 THEN '市政' ELSE '房建' END,
  'I' || ((n / 7) % 5), '2026-08-01', '2026-08-15', '2025', '1.1.' || (1 + (n / 13) % 20),
  '1.1.' || (1 + (n / 13) % 20), 10 * (1 + n % 8), 1 + n % $COMPANIES,
  CASE WHEN n % $COMPANIES < $COMPANIES * 4 / 5 THEN 'contractor' ELSE 'supervisor_firm' END,
  1 + n % $PERSONS,
  CASE WHEN n % $COMPANIES < $COMPANIES * 4 / 5 THEN 'project_manager' ELSE 'chief_supervisor' END,
  '2026Q3', NULL, NULL, '2026-08-15T00:00:00Z'
FROM (SELECT n, pr, $(printf "$2" "(pr % 9 + 1)") AS c2
      FROM (SELECT n, (n % $COMPANIES) * 4 + (n / $COMPANIES) % 4 + 1 AS pr FROM gen) AS g1) AS g2;
SQL
}
