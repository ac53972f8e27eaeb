/* Unit tests for src/platform/scope.c: the data scope of each kind of principal, run as SQL on a
 * SQLite table of records in several regions, with and without the planner hints, which must
 * never change what a scope sees. */
#include "platform/scope.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static tmpdb t;
static jg_db *db;

static int setup(void **state)
{
    (void)state;
    tmpdb_make(&t);
    db = tmpdb_open(&t, 1);
    db_exec_on_writer(db, "CREATE TABLE rec (id INTEGER PRIMARY KEY, org_code TEXT, owner INTEGER)", JG_OK);
    db_exec_on_writer(db,
                      "INSERT INTO rec (org_code, owner) VALUES ('35', 1), ('3501', 2), ('350102', 3),"
                      " ('350103', 1), ('350128', 2), ('3502', 3), ('350203', 1), ('350502', 2)",
                      JG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    tmpdir_remove(t.dir);
    return 0;
}

/* The ids p sees, "1,2,3", or "denied". */
static const char *seen(const jg_principal *p, int hints)
{
    static char out[256];
    jg_scope_cols cols = {.org = "r.org_code", .enterprise = "r.owner", .sqlite_hints = hints};
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_buf_puts(&sql, "SELECT r.id FROM rec r WHERE 1 = 1");
    jg_value params[8];
    int n = 0;
    jg_arena *a = jg_arena_new();
    jg_rc rc = jg_scope_sql(p, &cols, &sql, params, &n, a);
    if (rc == JG_DENIED) {
        snprintf(out, sizeof(out), "denied");
    } else {
        assert_int_equal(rc, JG_OK);
        assert_true(n <= 4);
        jg_buf_puts(&sql, " ORDER BY r.id");
        jg_rows *r;
        assert_int_equal(jg_db_read(db, sql.data, params, n, &r), JG_OK);
        out[0] = '\0';
        for (int i = 0; i < jg_rows_count(r); i++)
            snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%lld", i > 0 ? "," : "",
                     (long long)jg_rows_int(r, i, 0));
        jg_rows_free(r);
    }
    jg_arena_free(a);
    jg_buf_free(&sql);
    return out;
}

static void check(const char *scope, const char *org, int64_t enterprise, const char *want)
{
    jg_principal p = {.scope = scope, .org_code = org, .enterprise_id = enterprise};
    for (int hints = 0; hints <= 1; hints++) {
        const char *got = seen(&p, hints);
        if (strcmp(got, want) != 0)
            fail_msg("%s %s (hints %d): saw %s, want %s", scope, org != NULL ? org : "-", hints, got, want);
    }
}

static void regions_see_themselves_and_below(void **state)
{
    (void)state;
    check("province", "35", 0, "1,2,3,4,5,6,7,8");
    check("region", "35", 0, "1,2,3,4,5,6,7,8");
    /* 福州 without 平潭 (350128), which Fujian runs as a city-level unit. */
    check("region", "3501", 0, "2,3,4");
    check("region", "3502", 0, "6,7");
    /* A county has nothing below it: equality. */
    check("region", "350102", 0, "3");
    check("region", "350128", 0, "5");
    check("department", "3501", 0, "2");
}

static void the_sql_of_a_city_carries_hints_only_when_asked(void **state)
{
    (void)state;
    jg_principal p = {.scope = "region", .org_code = "3501"};
    for (int hints = 0; hints <= 1; hints++) {
        jg_scope_cols cols = {.org = "r.org_code", .sqlite_hints = hints};
        jg_buf sql;
        jg_buf_init(&sql, 4096);
        jg_value params[8];
        int n = 0;
        jg_arena *a = jg_arena_new();
        assert_int_equal(jg_scope_sql(&p, &cols, &sql, params, &n, a), JG_OK);
        assert_int_equal(strstr(sql.data, "likelihood(r.org_code >= $1, 0.3)") != NULL, hints);
        jg_arena_free(a);
        jg_buf_free(&sql);
    }
}

static void enterprises_see_their_own_and_others_nothing(void **state)
{
    (void)state;
    check("enterprise", NULL, 2, "2,5,8");
    check("enterprise", NULL, 0, "denied");
    check("none", "35", 0, "denied");
    check("region", "3501234", 0, "denied");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(regions_see_themselves_and_below),
        T(the_sql_of_a_city_carries_hints_only_when_asked),
        T(enterprises_see_their_own_and_others_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
