/* Unit tests for src/db (db.c, db_sqlite.c) through db.h on a SQLite file in a scratch directory:
 * URLs, $N parameters, value types, error mapping, transactions, readers, the statement cache,
 * backup/restore and the pool counters. */
#include "base/timeutil.h"
#include "db/db.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "testutil.h"

static tmpdb t;
static jg_db *db;

static int setup(void **state)
{
    (void)state;
    tmpdb_make(&t);
    db = tmpdb_open(&t, 2);
    db_exec_on_writer(db,
                      "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL,"
                      " note TEXT, qty INTEGER CHECK (qty >= 0))",
                      JG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    db = NULL;
    tmpdir_remove(t.dir);
    return 0;
}

static void bad_urls_are_invalid(void **state)
{
    (void)state;
    jg_db_options opt = {1, 100, 0, 0};
    jg_db *d = (jg_db *)&opt; /* must stay untouched on failure */
    char err[256];
    const char *bad[] = {"", "mysql://localhost/x", "sqlite", "SQLITE:x.db", "sqlite:", "sqlite://", "file:x.db",
                         "postgresql:/x", "pg://x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (jg_db_open(bad[i], &opt, &d, err, sizeof(err)) != JG_INVALID)
            fail_msg("URL \"%s\" was not JG_INVALID", bad[i]);
        assert_true(strlen(err) > 0);
        assert_ptr_equal(d, (jg_db *)&opt);
    }
    err[0] = '\0';
    assert_int_equal(jg_db_open("mysql://x", &opt, &d, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "database URL must start with sqlite: or postgresql://");
    assert_int_equal(jg_db_open("sqlite:", &opt, &d, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "database URL has no path");
}

static void unopenable_sqlite_file_is_unavailable(void **state)
{
    (void)state;
    jg_db_options opt = {1, 100, 0, 0};
    jg_db *d = NULL;
    char err[256] = "", url[200];
    snprintf(url, sizeof(url), "sqlite:%s/no-such-dir/x.db", t.dir);
    assert_int_equal(jg_db_open(url, &opt, &d, err, sizeof(err)), JG_UNAVAILABLE);
    assert_null(d);
    assert_non_null(strstr(err, "no-such-dir/x.db"));
}

static void kind_and_conn_db(void **state)
{
    (void)state;
    assert_int_equal(jg_db_kind_of(db), JG_DB_SQLITE);
    assert_string_equal(jg_db_kind_name(db), "sqlite");
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    assert_ptr_equal(jg_conn_db(c), db);
    jg_db_release(c);
    jg_db_release(NULL);
    jg_rows_free(NULL);
    jg_db_close(NULL);
}

static void parameters_are_bound(void **state)
{
    (void)state;
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    jg_value ins[] = {JG_VTEXT("鼓楼区安置房"), JG_VREAL(12.5), JG_VNULL, JG_VINT(3)};
    int64_t changes = -1;
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (name, score, note, qty) VALUES ($1, $2, $3, $4)", ins, 4,
                                &changes),
                     JG_OK);
    assert_int_equal(changes, 1);

    /* The same parameter used twice. */
    jg_value one[] = {JG_VINT(21)};
    assert_int_equal(jg_db_query(c, "SELECT $1 + $1 AS v", one, 1, &r), JG_OK);
    assert_int_equal(jg_rows_int(r, 0, 0), 42);
    jg_rows_free(r);

    /* $2 appears before $1 in the text: numbering, not position, decides. */
    jg_value two[] = {JG_VTEXT("a"), JG_VTEXT("b")};
    assert_int_equal(jg_db_query(c, "SELECT $2 || '-' || $1 AS v", two, 2, &r), JG_OK);
    assert_string_equal(jg_rows_text(r, 0, 0), "b-a");
    jg_rows_free(r);

    /* '$1' inside a string literal (and "$1" as a quoted name) is text, not a parameter. */
    jg_value x[] = {JG_VTEXT("x")};
    assert_int_equal(jg_db_query(c, "SELECT '$1' AS lit, $1 AS p, 'it''s $1' AS esc, 5 AS \"$1\"", x, 1, &r),
                     JG_OK);
    assert_string_equal(jg_rows_text(r, 0, 0), "$1");
    assert_string_equal(jg_rows_text(r, 0, 1), "x");
    assert_string_equal(jg_rows_text(r, 0, 2), "it's $1");
    assert_string_equal(jg_rows_name(r, 3), "$1");
    assert_int_equal(jg_rows_int(r, 0, 3), 5);
    jg_rows_free(r);

    /* Two-digit parameter numbers. */
    jg_value many[12];
    for (int i = 0; i < 12; i++)
        many[i] = JG_VINT(i + 1);
    assert_int_equal(jg_db_query(c, "SELECT $12 * 100 + $10 + $1 AS v, $11 AS w, $2+$3+$4+$5+$6+$7+$8+$9 AS s",
                                 many, 12, &r),
                     JG_OK);
    assert_int_equal(jg_rows_int(r, 0, 0), 1211);
    assert_int_equal(jg_rows_int(r, 0, 1), 11);
    assert_int_equal(jg_rows_int(r, 0, 2), 44);
    jg_rows_free(r);

    /* Values are bound, never spliced: quotes and SQL in a value are just text. */
    jg_value evil[] = {JG_VTEXT("x'); DROP TABLE item; --")};
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (name) VALUES ($1)", evil, 1, NULL), JG_OK);
    assert_int_equal(jg_db_query(c, "SELECT name FROM item WHERE name = $1", evil, 1, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 1);
    assert_string_equal(jg_rows_text(r, 0, 0), "x'); DROP TABLE item; --");
    jg_rows_free(r);

    /* The wrong number of values is refused, not silently padded with NULLs. */
    assert_int_not_equal(jg_db_query(c, "SELECT $1, $2", one, 1, &r), JG_OK);
    jg_db_release(c);
}

/* Run sql with ("a", "b") and copy column col of the first row; frees everything before returning so a
 * failed comparison afterwards leaks nothing. */
static void query_ab(const char *sql, int col, char *out, size_t outlen)
{
    jg_conn *c;
    jg_rows *r;
    jg_value two[] = {JG_VTEXT("a"), JG_VTEXT("b")};
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    jg_rc rc = jg_db_query(c, sql, two, 2, &r);
    jg_db_release(c);
    assert_int_equal(rc, JG_OK);
    snprintf(out, outlen, "%s", jg_rows_text(r, 0, col));
    jg_rows_free(r);
}

static void placeholders_after_comments(void **state)
{
    (void)state;
    char v[16];
    /* A quote inside a comment does not open a string: the placeholders after it still count.
     * ('$2 || $1' must give "ba"; read as SQLite's own $NNN names they would bind in order of
     * appearance and give "ab".) */
    query_ab("SELECT /* the owner's name */ $2 || $1 AS v -- it's\n", 0, v, sizeof(v));
    assert_string_equal(v, "ba");
    query_ab("SELECT $1 AS a -- don't\n, $2 || $1 AS v", 1, v, sizeof(v));
    assert_string_equal(v, "ba");
}

static void value_types(void **state)
{
    (void)state;
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    assert_int_equal(jg_db_query(c,
                                 "SELECT 7 AS i, 2.5 AS r, 'txt' AS t, NULL AS n, 0.1 AS p,"
                                 " 9007199254740993 AS big, -42 AS neg, '福建' AS zh",
                                 NULL, 0, &r),
                     JG_OK);
    assert_int_equal(jg_rows_count(r), 1);
    assert_int_equal(jg_rows_ncols(r), 8);
    const char *names[] = {"i", "r", "t", "n", "p", "big", "neg", "zh"};
    for (int i = 0; i < 8; i++)
        assert_string_equal(jg_rows_name(r, i), names[i]);
    assert_int_equal(jg_rows_type(r, 0, 0), JG_V_INT);
    assert_int_equal(jg_rows_int(r, 0, 0), 7);
    assert_string_equal(jg_rows_text(r, 0, 0), "7");
    assert_int_equal(jg_rows_type(r, 0, 1), JG_V_REAL);
    assert_true(jg_rows_real(r, 0, 1) == 2.5);
    assert_int_equal(jg_rows_type(r, 0, 2), JG_V_TEXT);
    assert_string_equal(jg_rows_text(r, 0, 2), "txt");
    assert_int_equal(jg_rows_int(r, 0, 2), 0); /* not a number */
    assert_int_equal(jg_rows_type(r, 0, 3), JG_V_NULL);
    assert_null(jg_rows_text(r, 0, 3));
    assert_int_equal(jg_rows_int(r, 0, 3), 0);
    assert_true(jg_rows_real(r, 0, 3) == 0.0);
    /* Reals keep full precision through their text. */
    assert_true(jg_rows_real(r, 0, 4) == 0.1);
    assert_int_equal(jg_rows_type(r, 0, 5), JG_V_INT);
    assert_true(jg_rows_int(r, 0, 5) == INT64_C(9007199254740993));
    assert_true(jg_rows_int(r, 0, 6) == -42);
    assert_string_equal(jg_rows_text(r, 0, 7), "福建");
    jg_rows_free(r);

    /* Bound values come back with their types. */
    jg_value p[] = {JG_VINT(INT64_MIN), JG_VREAL(-1.25), JG_VTEXT(""), JG_VNULL};
    assert_int_equal(jg_db_query(c, "SELECT $1, $2, $3, $4", p, 4, &r), JG_OK);
    assert_int_equal(jg_rows_type(r, 0, 0), JG_V_INT);
    assert_true(jg_rows_int(r, 0, 0) == INT64_MIN);
    assert_int_equal(jg_rows_type(r, 0, 1), JG_V_REAL);
    assert_true(jg_rows_real(r, 0, 1) == -1.25);
    assert_int_equal(jg_rows_type(r, 0, 2), JG_V_TEXT);
    assert_string_equal(jg_rows_text(r, 0, 2), "");
    assert_int_equal(jg_rows_type(r, 0, 3), JG_V_NULL);
    jg_rows_free(r);

    /* No rows: a row set with columns and count 0. */
    assert_int_equal(jg_db_query(c, "SELECT id, name FROM item WHERE id < 0", NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 0);
    assert_int_equal(jg_rows_ncols(r), 2);
    assert_string_equal(jg_rows_name(r, 1), "name");
    jg_rows_free(r);
    jg_db_release(c);
}

static void many_rows_odd_column_count(void **state)
{
    (void)state;
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "n%03d", i);
        jg_value p[] = {JG_VINT(i + 1), JG_VTEXT(name), JG_VREAL(i / 4.0)};
        assert_int_equal(jg_db_exec(c, "INSERT INTO item (id, name, score) VALUES ($1, $2, $3)", p, 3, NULL),
                         JG_OK);
    }
    assert_int_equal(jg_db_query(c, "SELECT id, name, score FROM item ORDER BY id", NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 300);
    for (int i = 0; i < 300; i++) {
        char name[32];
        snprintf(name, sizeof(name), "n%03d", i);
        assert_int_equal(jg_rows_int(r, i, 0), i + 1);
        assert_string_equal(jg_rows_text(r, i, 1), name);
        assert_true(jg_rows_real(r, i, 2) == i / 4.0);
    }
    jg_rows_free(r);
    jg_db_release(c);
}

static void constraint_errors_map(void **state)
{
    (void)state;
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    jg_value a[] = {JG_VINT(1), JG_VTEXT("a")};
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (id, name) VALUES ($1, $2)", a, 2, NULL), JG_OK);
    /* Unique column. */
    jg_value dup_name[] = {JG_VINT(2), JG_VTEXT("a")};
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (id, name) VALUES ($1, $2)", dup_name, 2, NULL), JG_CONFLICT);
    /* Primary key. */
    jg_value dup_id[] = {JG_VINT(1), JG_VTEXT("b")};
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (id, name) VALUES ($1, $2)", dup_id, 2, NULL), JG_CONFLICT);
    /* NOT NULL. */
    jg_value no_name[] = {JG_VINT(3), JG_VNULL};
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (id, name) VALUES ($1, $2)", no_name, 2, NULL), JG_INVALID);
    /* CHECK. */
    jg_value neg[] = {JG_VTEXT("c"), JG_VINT(-1)};
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (name, qty) VALUES ($1, $2)", neg, 2, NULL), JG_INVALID);
    /* Bad SQL is an internal error, and the connection keeps working afterwards. */
    assert_int_equal(jg_db_exec(c, "INSERT INTO no_such_table VALUES (1)", NULL, 0, NULL), JG_ERR);
    assert_int_equal(jg_db_exec(c, "SELEKT 1", NULL, 0, NULL), JG_ERR);
    int64_t changes = -1;
    jg_value upd[] = {JG_VTEXT("z")};
    assert_int_equal(jg_db_exec(c, "UPDATE item SET note = $1", upd, 1, &changes), JG_OK);
    assert_int_equal(changes, 1);
    jg_db_release(c);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM item"), 1);
}

struct tx_case {
    const char *name;
    jg_rc result;
    int calls;
    int busy_first; /* return JG_BUSY this many times before result */
};

static jg_rc insert_then(jg_conn *c, void *ud)
{
    struct tx_case *tc = ud;
    tc->calls++;
    jg_value p[] = {JG_VTEXT(tc->name)};
    jg_rc rc = jg_db_exec(c, "INSERT INTO item (name) VALUES ($1)", p, 1, NULL);
    if (rc != JG_OK)
        return rc;
    if (tc->busy_first > 0) {
        tc->busy_first--;
        return JG_BUSY;
    }
    return tc->result;
}

static int64_t count_named(const char *name)
{
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    jg_value p[] = {JG_VTEXT(name)};
    assert_int_equal(jg_db_query(c, "SELECT COUNT(*) FROM item WHERE name = $1", p, 1, &r), JG_OK);
    jg_db_release(c);
    int64_t n = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return n;
}

static void tx_commits_or_rolls_back(void **state)
{
    (void)state;
    struct tx_case ok = {"committed", JG_OK, 0, 0};
    assert_int_equal(jg_db_tx(db, insert_then, &ok), JG_OK);
    assert_int_equal(ok.calls, 1);
    assert_int_equal(count_named("committed"), 1);

    struct tx_case bad = {"rolled back", JG_INVALID, 0, 0};
    assert_int_equal(jg_db_tx(db, insert_then, &bad), JG_INVALID);
    assert_int_equal(bad.calls, 1); /* only JG_BUSY is retried */
    assert_int_equal(count_named("rolled back"), 0);

    /* A failing statement inside the transaction: its error comes back and nothing stays. */
    struct tx_case dup = {"committed", JG_OK, 0, 0};
    assert_int_equal(jg_db_tx(db, insert_then, &dup), JG_CONFLICT);
    assert_int_equal(count_named("committed"), 1);

    /* The writer is usable again after a rollback. */
    struct tx_case again = {"after", JG_OK, 0, 0};
    assert_int_equal(jg_db_tx(db, insert_then, &again), JG_OK);
    assert_int_equal(count_named("after"), 1);
}

static void tx_retries_busy(void **state)
{
    (void)state;
    /* busy_retries is 3 (tmpdb_open): JG_BUSY twice, then success on the third run. */
    struct tx_case flaky = {"flaky", JG_OK, 0, 2};
    assert_int_equal(jg_db_tx(db, insert_then, &flaky), JG_OK);
    assert_int_equal(flaky.calls, 3);
    assert_int_equal(count_named("flaky"), 1); /* the busy attempts were rolled back */

    struct tx_case hopeless = {"hopeless", JG_OK, 0, 100};
    assert_int_equal(jg_db_tx(db, insert_then, &hopeless), JG_BUSY);
    assert_int_equal(hopeless.calls, 4); /* first run + 3 retries */
    assert_int_equal(count_named("hopeless"), 0);
}

static void tx_on_held_connection(void **state)
{
    (void)state;
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    struct tx_case ok = {"held", JG_OK, 0, 0};
    assert_int_equal(jg_db_tx_on(c, insert_then, &ok), JG_OK);
    struct tx_case bad = {"held-bad", JG_DENIED, 0, 0};
    assert_int_equal(jg_db_tx_on(c, insert_then, &bad), JG_DENIED);
    jg_db_release(c);
    assert_int_equal(count_named("held"), 1);
    assert_int_equal(count_named("held-bad"), 0);
}

static void reader_cannot_write(void **state)
{
    (void)state;
    jg_conn *r;
    jg_rows *rows;
    assert_int_equal(jg_db_acquire(db, 0, &r), JG_OK);
    jg_value p[] = {JG_VTEXT("from reader")};
    assert_int_equal(jg_db_exec(r, "INSERT INTO item (name) VALUES ($1)", p, 1, NULL), JG_ERR);
    assert_int_equal(jg_db_script(r, "DELETE FROM item"), JG_ERR);
    /* The reader still reads, and sees what the writer committed. */
    db_exec_on_writer(db, "INSERT INTO item (name) VALUES ('from writer')", JG_OK);
    assert_int_equal(jg_db_query(r, "SELECT name FROM item", NULL, 0, &rows), JG_OK);
    assert_int_equal(jg_rows_count(rows), 1);
    assert_string_equal(jg_rows_text(rows, 0, 0), "from writer");
    jg_rows_free(rows);
    jg_db_release(r);
}

static void statement_cache_eviction(void **state)
{
    (void)state;
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    /* 200 distinct statements through a cache of 64, three rounds, with one hot statement in between
     * that must survive (least recently used goes first) and every result must be right. */
    for (int round = 0; round < 3; round++) {
        for (int k = 0; k < 200; k++) {
            char sql[64];
            snprintf(sql, sizeof(sql), "SELECT $1 * 1000 + %d AS v", k);
            jg_value p[] = {JG_VINT(round)};
            assert_int_equal(jg_db_query(c, sql, p, 1, &r), JG_OK);
            assert_int_equal(jg_rows_int(r, 0, 0), round * 1000 + k);
            jg_rows_free(r);
            jg_value q[] = {JG_VTEXT("hot")};
            assert_int_equal(jg_db_query(c, "SELECT $1 || '!' AS h", q, 1, &r), JG_OK);
            assert_string_equal(jg_rows_text(r, 0, 0), "hot!");
            jg_rows_free(r);
        }
    }
    /* Statements that write, evicted and prepared again. */
    for (int k = 0; k < 100; k++) {
        char sql[96], name[16];
        snprintf(sql, sizeof(sql), "INSERT INTO item (name, qty) VALUES ($1, %d)", k);
        snprintf(name, sizeof(name), "e%d", k);
        jg_value p[] = {JG_VTEXT(name)};
        assert_int_equal(jg_db_exec(c, sql, p, 1, NULL), JG_OK);
    }
    jg_db_release(c);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM item"), 100);
    assert_int_equal(db_scalar(db, "SELECT SUM(qty) FROM item"), 4950);
}

static void backup_and_restore_round_trip(void **state)
{
    (void)state;
    char copy[200];
    snprintf(copy, sizeof(copy), "%s/backup.db", t.dir);
    db_exec_on_writer(db, "INSERT INTO item (name, qty) VALUES ('a', 1), ('b', 2)", JG_OK);
    assert_int_equal(jg_db_backup(db, copy), JG_OK);
    /* Change everything after the backup, including the schema. */
    db_exec_on_writer(db, "DELETE FROM item WHERE name = 'a'", JG_OK);
    db_exec_on_writer(db, "INSERT INTO item (name, qty) VALUES ('c', 3)", JG_OK);
    db_exec_on_writer(db, "CREATE TABLE later (x INTEGER)", JG_OK);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM item"), 2);

    assert_int_equal(jg_db_restore(db, copy), JG_OK);
    /* Readers and the writer both see the restored contents. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM item"), 2);
    assert_int_equal(db_scalar(db, "SELECT SUM(qty) FROM item"), 3);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'later'"), 0);
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    assert_int_equal(jg_db_query(c, "SELECT name FROM item ORDER BY name", NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 2);
    assert_string_equal(jg_rows_text(r, 0, 0), "a");
    assert_string_equal(jg_rows_text(r, 1, 0), "b");
    jg_rows_free(r);
    /* And the database is writable after a restore. */
    assert_int_equal(jg_db_exec(c, "INSERT INTO item (name) VALUES ('d')", NULL, 0, NULL), JG_OK);
    jg_db_release(c);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM item"), 3);

    /* A copy that cannot be written or read is an error, not a crash. */
    char nowhere[200];
    snprintf(nowhere, sizeof(nowhere), "%s/no-such-dir/x.db", t.dir);
    assert_int_not_equal(jg_db_backup(db, nowhere), JG_OK);
    assert_int_not_equal(jg_db_restore(db, nowhere), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM item"), 3);
}

static void pool_stats_move(void **state)
{
    (void)state;
    jg_db_stats s0, s1;
    jg_db_get_stats(db, &s0);
    assert_int_equal(s0.size, 3); /* 2 readers + 1 writer */
    assert_int_equal(s0.in_use, 0);
    jg_conn *r1, *r2, *w;
    assert_int_equal(jg_db_acquire(db, 0, &r1), JG_OK);
    assert_int_equal(jg_db_acquire(db, 0, &r2), JG_OK);
    assert_ptr_not_equal(r1, r2);
    assert_int_equal(jg_db_acquire(db, 1, &w), JG_OK);
    jg_db_get_stats(db, &s1);
    assert_int_equal(s1.in_use, 3);
    assert_int_equal(s1.acquires, s0.acquires + 3);
    assert_int_equal(s1.waits, s0.waits);
    jg_db_release(r1);
    jg_db_release(r2);
    jg_db_release(w);
    jg_db_get_stats(db, &s1);
    assert_int_equal(s1.in_use, 0);
    assert_int_equal(s1.timeouts, s0.timeouts);
}

static void pool_times_out(void **state)
{
    (void)state;
    jg_db_options opt = {1, 50, 0, 0};
    char err[256];
    jg_db *d;
    assert_int_equal(jg_db_open(t.url, &opt, &d, err, sizeof(err)), JG_OK);
    jg_conn *w, *w2 = NULL, *r, *r2 = NULL;
    assert_int_equal(jg_db_acquire(d, 1, &w), JG_OK);
    assert_int_equal(jg_db_acquire(d, 0, &r), JG_OK);
    /* The single writer and the single reader are taken: both kinds give up after 50 ms. */
    assert_int_equal(jg_db_acquire(d, 1, &w2), JG_UNAVAILABLE);
    assert_int_equal(jg_db_acquire(d, 0, &r2), JG_UNAVAILABLE);
    assert_null(w2);
    assert_null(r2);
    jg_db_stats s;
    jg_db_get_stats(d, &s);
    assert_int_equal(s.size, 2);
    assert_int_equal(s.in_use, 2);
    assert_int_equal(s.acquires, 4);
    assert_int_equal(s.waits, 2);
    assert_int_equal(s.timeouts, 2);
    jg_db_release(w);
    /* Once returned, the writer is there again at once. */
    assert_int_equal(jg_db_acquire(d, 1, &w2), JG_OK);
    assert_ptr_equal(w2, w);
    jg_db_release(w2);
    jg_db_release(r);
    jg_db_get_stats(d, &s);
    assert_int_equal(s.in_use, 0);
    jg_db_close(d);
}

struct waiter {
    jg_db *db;
    int write;
    jg_rc rc;
    int64_t waited_ms;
};

static void *wait_for_conn(void *ud)
{
    struct waiter *w = ud;
    jg_conn *c = NULL;
    int64_t t0 = jg_time_mono_us();
    w->rc = jg_db_acquire(w->db, w->write, &c);
    w->waited_ms = (jg_time_mono_us() - t0) / 1000;
    if (w->rc == JG_OK)
        jg_db_release(c);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Readers and the writer wait on the pool together. Returning a reader must wake a thread waiting
 * for a reader, even when a thread waiting for the writer has been waiting longer. */
static void released_reader_wakes_reader_waiter(void **state)
{
    (void)state;
    jg_db_options opt = {1, 3000, 0, 0}; /* one reader, one writer, 3 s acquire timeout */
    char err[256];
    jg_db *d;
    assert_int_equal(jg_db_open(t.url, &opt, &d, err, sizeof(err)), JG_OK);
    for (int round = 0; round < 3; round++) {
        jg_conn *r, *w;
        assert_int_equal(jg_db_acquire(d, 0, &r), JG_OK);
        assert_int_equal(jg_db_acquire(d, 1, &w), JG_OK);
        struct waiter wants_writer = {d, 1, JG_ERR, 0}, wants_reader = {d, 0, JG_ERR, 0};
        pthread_t tw, tr;
        assert_int_equal(pthread_create(&tw, NULL, wait_for_conn, &wants_writer), 0);
        sleep_ms(100);
        assert_int_equal(pthread_create(&tr, NULL, wait_for_conn, &wants_reader), 0);
        sleep_ms(100);
        jg_db_release(r); /* the reader is free from now on */
        assert_int_equal(pthread_join(tr, NULL), 0);
        jg_db_release(w);
        assert_int_equal(pthread_join(tw, NULL), 0);
        if (wants_reader.waited_ms > 1000) {
            jg_db_close(d);
            fail_msg("round %d: a free reader sat unused for %lld ms while its waiter slept (released at ~100 ms)",
                     round, (long long)wants_reader.waited_ms);
        }
        assert_int_equal(wants_reader.rc, JG_OK);
        assert_int_equal(wants_writer.rc, JG_OK);
    }
    jg_db_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bad_urls_are_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(unopenable_sqlite_file_is_unavailable, setup, teardown),
        cmocka_unit_test_setup_teardown(kind_and_conn_db, setup, teardown),
        cmocka_unit_test_setup_teardown(parameters_are_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(placeholders_after_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(value_types, setup, teardown),
        cmocka_unit_test_setup_teardown(many_rows_odd_column_count, setup, teardown),
        cmocka_unit_test_setup_teardown(constraint_errors_map, setup, teardown),
        cmocka_unit_test_setup_teardown(tx_commits_or_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(tx_retries_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(tx_on_held_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(reader_cannot_write, setup, teardown),
        cmocka_unit_test_setup_teardown(statement_cache_eviction, setup, teardown),
        cmocka_unit_test_setup_teardown(backup_and_restore_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(pool_stats_move, setup, teardown),
        cmocka_unit_test_setup_teardown(pool_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(released_reader_wakes_reader_waiter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
