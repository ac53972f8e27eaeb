/* The full recomputation of scores (jg_scoring_recompute_all) against a notice that becomes
 * effective while it runs: the newer scores, written by the incremental path in between, must not
 * be overwritten by the numbers the recomputation computed from the ledger as it read it. On SQLite,
 * and on PostgreSQL too when JIANGUAN_TEST_PG names a cluster (a database made for the test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "db/migrate.h"
#include "engine/rule/rule.h"
#include "modules/scoring/scoring_int.h"
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jg_config cfg;
static atomic_int fired;

static const char POINT[] =
    "INSERT INTO score_point (notice_id, item_seq, project_id, org_code, city_code, domain, inspection_no,"
    " inspected_on, effective_on, edition, clause_code, clause_given, points, enterprise_id, enterprise_role,"
    " person_id, person_role, period, created_at) VALUES ($1, 1, $2, '350102', '3501', '房建', 'I1',"
    " '2026-08-01', '2026-08-15', '2025', $3, $3, $4, $5, 'contractor', $6, 'project_manager', '2026Q3',"
    " '2026-08-15T00:00:00Z')";

static jg_rc point(jg_conn *c, int64_t notice, int64_t project, const char *clause, int64_t tenths,
                   int64_t enterprise, int64_t person)
{
    jg_value p[] = {JG_VINT(notice), JG_VINT(project),    JG_VTEXT(clause),
                    JG_VINT(tenths), JG_VINT(enterprise), JG_VINT(person)};
    return jg_db_exec(c, POINT, p, 6, NULL);
}

static jg_rc seed_tx(jg_conn *c, void *ud)
{
    (void)ud;
    jg_rc rc = JG_OK;
    /* Enterprises 1..3 (persons 11..13), one project each, 2 points on 1.1.1. */
    for (int e = 1; rc == JG_OK && e <= 3; e++)
        rc = point(c, e, 100 + e, "1.1.1", 20, e, 10 + e);
    return rc;
}

/* What scoring.effective does (effective.c): the notice's row into the ledger, then its subjects
 * scored again for its quarter and year, in one write transaction. */
static jg_rc effective_tx(jg_conn *c, void *ud)
{
    (void)ud;
    jg_rc rc = point(c, 50, 102, "1.1.2", 30, 2, 12);
    jg_scorer *s = NULL;
    char why[256] = "";
    if (rc == JG_OK)
        rc = jg_scorer_open(c, &cfg, &s, why, sizeof(why));
    jg_scoring_counts n = {0, 0, 0};
    static const char *const periods[] = {"2026Q3", "2026"};
    for (int i = 0; rc == JG_OK && i < 2; i++) {
        rc = jg_scorer_run(s, c, "enterprise", 2, 2, periods[i], &n, why, sizeof(why));
        if (rc == JG_OK)
            rc = jg_scorer_run(s, c, "person", 12, 12, periods[i], &n, why, sizeof(why));
    }
    jg_scorer_free(s);
    return rc;
}

/* Once, in the job of the enterprises' quarter: it has read the ledger and scored it already. */
static void hook(jg_db *db, const char *kind, const char *period)
{
    if (strcmp(kind, "enterprise") != 0 || strcmp(period, "2026Q3") != 0 || atomic_exchange(&fired, 1))
        return;
    assert_int_equal(jg_db_tx(db, effective_tx, NULL), JG_OK);
}

static double scalar(jg_db *db, const char *sql)
{
    jg_rows *r = NULL;
    assert_int_equal(jg_db_read(db, sql, NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 1);
    double v = jg_rows_real(r, 0, 0);
    jg_rows_free(r);
    return v;
}

static void recompute_keeps_newer_scores(jg_db *db)
{
    int applied = 0;
    assert_int_equal(jg_migrate_up(db, &applied), JG_OK);
    jg_db_serialize_writes(db, "audit_head"); /* as the server does (identity.c); no-op on SQLite */
    assert_int_equal(jg_rule_sync_shipped(db), JG_OK);
    assert_int_equal(jg_db_tx(db, seed_tx, NULL), JG_OK);
    memset(&cfg, 0, sizeof(cfg));
    cfg.rule_budget = 1000000;
    cfg.rule_memory_bytes = 8 << 20;
    cfg.rule_time_ms = 1000;
    atomic_store(&fired, 0);
    jg_scoring_set_test_hook(hook);
    jg_scoring_counts counts;
    char why[384] = "";
    jg_rc rc = jg_scoring_recompute_all(db, &cfg, NULL, &counts, why, sizeof(why));
    jg_scoring_set_test_hook(NULL);
    if (rc != JG_OK)
        print_error("recompute: %d %s\n", rc, why);
    assert_int_equal(rc, JG_OK);
    assert_int_equal(atomic_load(&fired), 1);
    /* 3 enterprises and 3 persons, a quarter and a year each. */
    assert_int_equal(counts.subjects, 12);
    /* Enterprise 2 (project 102): 2 points on 1.1.1 before, 3 on 1.1.2 made effective meanwhile: 5. */
    static const char *const periods[] = {"2026Q3", "2026"};
    for (int i = 0; i < 2; i++) {
        char sql[320];
        snprintf(sql, sizeof(sql),
                 "SELECT score FROM score_subject WHERE subject_kind = 'enterprise' AND subject_id = 2"
                 " AND role = 'contractor' AND period = '%s' AND area = '35'",
                 periods[i]);
        assert_true(scalar(db, sql) == 5.0);
        snprintf(sql, sizeof(sql),
                 "SELECT score FROM score_subject WHERE subject_kind = 'person' AND subject_id = 12"
                 " AND role = 'project_manager' AND period = '%s' AND area = '35'",
                 periods[i]);
        assert_true(scalar(db, sql) == 5.0);
    }
    /* Its credit: 100 × 0.40 + 100 × 0.15 + (100 − 5) × 0.45. */
    assert_true(scalar(db,
                       "SELECT score FROM credit_score WHERE subject_kind = 'enterprise' AND subject_id = 2"
                       " AND period = '2026Q3' AND domain = '房建'") == 97.75);
    assert_true(scalar(db, "SELECT score FROM credit_score WHERE subject_kind = 'person' AND subject_id = 12"
                           " AND period = '2026Q3' AND domain = '房建'") == 95.0);
    /* The others untouched: 2 points. */
    assert_true(scalar(db,
                       "SELECT score FROM score_subject WHERE subject_kind = 'enterprise' AND subject_id = 3"
                       " AND period = '2026Q3' AND area = '35'") == 2.0);
    /* One row per subject, role, period and area: nothing written twice. */
    assert_true(scalar(db, "SELECT count(*) FROM score_subject WHERE subject_id = 2 AND area = '35'") == 2.0);
}

static void on_sqlite(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_make(&t);
    jg_db *db = tmpdb_open(&t, 4);
    recompute_keeps_newer_scores(db);
    jg_db_close(db);
    tmpdir_remove(t.dir);
}

static void on_postgresql(void **state)
{
    (void)state;
    const char *admin = getenv("JIANGUAN_TEST_PG");
    if (admin == NULL || admin[0] == '\0')
        skip();
    char name[64], url[512], sql[128], err[256] = "";
    snprintf(name, sizeof(name), "jg_unit_race_%ld", (long)getpid());
    snprintf(url, sizeof(url), "%s/postgres", admin);
    jg_db_options opt = {4, 5000, 3, 0};
    jg_db *adm = NULL;
    assert_int_equal(jg_db_open(url, &opt, &adm, err, sizeof(err)), JG_OK);
    jg_conn *c = NULL;
    assert_int_equal(jg_db_acquire(adm, 1, &c), JG_OK);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    assert_int_equal(jg_db_script(c, sql), JG_OK);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    assert_int_equal(jg_db_script(c, sql), JG_OK);
    snprintf(url, sizeof(url), "%s/%s", admin, name);
    jg_db *db = NULL;
    assert_int_equal(jg_db_open(url, &opt, &db, err, sizeof(err)), JG_OK);
    recompute_keeps_newer_scores(db);
    jg_db_close(db);
    snprintf(sql, sizeof(sql), "DROP DATABASE %s", name);
    assert_int_equal(jg_db_script(c, sql), JG_OK);
    jg_db_release(c);
    jg_db_close(adm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(on_sqlite),
        cmocka_unit_test(on_postgresql),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
