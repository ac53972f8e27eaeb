/* The PostgreSQL backend against the test cluster (JIANGUAN_TEST_PG); skipped without one. */
#include "db/db.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

static jg_db *db;

static int setup(void **state)
{
    (void)state;
    const char *admin = getenv("JIANGUAN_TEST_PG");
    if (admin == NULL)
        return 0;
    char url[512], err[256];
    snprintf(url, sizeof(url), "%s/postgres", admin);
    jg_db_options opt = {1, 2000, 2, 10000}; /* one connection: temporary tables stay visible */
    return jg_db_open(url, &opt, &db, err, sizeof(err)) == JG_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    return 0;
}

static jg_rc insert_then_ignore_conflict(jg_conn *c, void *ud)
{
    (void)ud;
    jg_rc rc = jg_db_exec(c, "INSERT INTO pg_t (k) VALUES ('a')", NULL, 0, NULL);
    if (rc != JG_OK)
        return rc;
    /* The second insert fails; a careless caller carries on as if nothing happened. */
    rc = jg_db_exec(c, "INSERT INTO pg_t (k) VALUES ('a')", NULL, 0, NULL);
    assert_int_equal(rc, JG_CONFLICT);
    return JG_OK;
}

/* Regression: COMMIT of an aborted transaction answers "ROLLBACK" and used to count as success. */
static void commit_of_aborted_transaction_fails(void **state)
{
    (void)state;
    if (db == NULL)
        skip();
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    assert_int_equal(jg_db_script(c, "CREATE TEMP TABLE IF NOT EXISTS pg_t (k TEXT PRIMARY KEY)"), JG_OK);
    assert_int_equal(jg_db_tx_on(c, insert_then_ignore_conflict, NULL), JG_ERR);
    jg_rows *r;
    assert_int_equal(jg_db_query(c, "SELECT count(*) AS n FROM pg_t", NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_int(r, 0, 0), 0);
    jg_rows_free(r);
    jg_db_release(c);
}

static void values_are_typed(void **state)
{
    (void)state;
    if (db == NULL)
        skip();
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    jg_rows *r;
    jg_value p[] = {JG_VINT(41), JG_VTEXT("福建"), JG_VREAL(2.5)};
    assert_int_equal(jg_db_query(c, "SELECT $1::bigint + 1 AS i, $2::text AS t, $3::float8 AS f, NULL AS n, true AS b",
                                 p, 3, &r),
                     JG_OK);
    assert_int_equal(jg_rows_type(r, 0, 0), JG_V_INT);
    assert_int_equal(jg_rows_int(r, 0, 0), 42);
    assert_string_equal(jg_rows_text(r, 0, 1), "福建");
    assert_int_equal(jg_rows_type(r, 0, 2), JG_V_REAL);
    assert_true(jg_rows_real(r, 0, 2) == 2.5);
    assert_int_equal(jg_rows_type(r, 0, 3), JG_V_NULL);
    assert_int_equal(jg_rows_int(r, 0, 4), 1);
    jg_rows_free(r);
    jg_db_release(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_of_aborted_transaction_fails),
        cmocka_unit_test(values_are_typed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
