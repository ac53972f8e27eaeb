/* Row sets larger than their first allocation (regression: cells overflowed after 16 rows). */
#include "db/db.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

static void many_rows_keep_their_values(void **state)
{
    (void)state;
    char dir[] = "/tmp/jg-rows-XXXXXX", url[64];
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof(url), "sqlite:%s/t.db", dir);
    jg_db_options opt = {2, 1000, 3, 0};
    jg_db *db;
    char err[128];
    assert_int_equal(jg_db_open(url, &opt, &db, err, sizeof(err)), JG_OK);
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    assert_int_equal(jg_db_script(c, "CREATE TABLE t (a INTEGER, b TEXT, c REAL, d INTEGER, e TEXT, f TEXT,"
                                     " g TEXT, h TEXT, i TEXT, j TEXT, k TEXT, l TEXT, m TEXT, n TEXT)"),
                     JG_OK);
    for (int i = 0; i < 1000; i++) {
        jg_value p[] = {JG_VINT(i)};
        assert_int_equal(jg_db_exec(c, "INSERT INTO t VALUES ($1, 'x', 1.5, NULL, 'e', 'f', 'g', 'h', 'i', 'j',"
                                       " 'k', 'l', 'm', 'n')",
                                    p, 1, NULL),
                         JG_OK);
    }
    jg_rows *r;
    assert_int_equal(jg_db_query(c, "SELECT * FROM t ORDER BY a", NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 1000);
    assert_int_equal(jg_rows_ncols(r), 14);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(jg_rows_int(r, i, 0), i);
        assert_string_equal(jg_rows_text(r, i, 13), "n");
        assert_int_equal(jg_rows_type(r, i, 3), JG_V_NULL);
    }
    jg_rows_free(r);
    jg_db_release(c);
    jg_db_close(db);
    char path[80];
    snprintf(path, sizeof(path), "%s/t.db", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/t.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/t.db-shm", dir);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_rows_keep_their_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
