/* Helpers shared by the unit tests of src/engine/entity: running a test body on SQLite and on
 * PostgreSQL, and the JSON example of docs/entities.md. Include after <cmocka.h>. */
#ifndef JG_ENTITY_TESTUTIL_H
#define JG_ENTITY_TESTUTIL_H
#include "db/migrate.h"
#include "testutil.h"

/* Run body on a scratch SQLite database with a pool of pool_size connections. */
static inline void run_on_sqlite(void (*body)(jg_db *db), int pool_size)
{
    tmpdb t;
    tmpdb_make(&t);
    jg_db *db = tmpdb_open(&t, pool_size);
    body(db);
    jg_db_close(db);
    tmpdir_remove(t.dir);
}

/* Run body on the "postgres" database of JIANGUAN_TEST_PG through one connection (temporary
 * tables stay visible); the test is skipped when JIANGUAN_TEST_PG is not set. */
static inline void run_on_pgsql(void (*body)(jg_db *db))
{
    const char *admin = getenv("JIANGUAN_TEST_PG");
    if (admin == NULL)
        skip();
    char url[512], err[256];
    snprintf(url, sizeof(url), "%s/postgres", admin);
    jg_db_options opt = {1, 2000, 2, 10000};
    jg_db *db = NULL;
    if (jg_db_open(url, &opt, &db, err, sizeof(err)) != JG_OK)
        fail_msg("%s: %s", url, err);
    body(db);
    jg_db_close(db);
}

/* A migrated scratch database for each test of a group run twice, on SQLite and on PostgreSQL
 * (JIANGUAN_TEST_PG): scratch_open in the setup, scratch_close in the teardown. */
typedef struct {
    int use_pg;
    jg_db *db;
    tmpdb t;         /* SQLite */
    char pgname[64]; /* PostgreSQL */
} scratch_db;

static inline jg_db *scratch_open_url(const char *url)
{
    jg_db_options opt = {2, 5000, 3, 20000};
    jg_db *d = NULL;
    char err[256] = "";
    if (jg_db_open(url, &opt, &d, err, sizeof(err)) != JG_OK)
        fail_msg("jg_db_open(%s): %s", url, err);
    return d;
}

/* Run sql on the "postgres" database of JIANGUAN_TEST_PG (CREATE / DROP DATABASE). */
static inline void scratch_pg_admin(const char *sql)
{
    char url[512];
    snprintf(url, sizeof(url), "%s/postgres", getenv("JIANGUAN_TEST_PG"));
    jg_db *admin = scratch_open_url(url);
    jg_conn *c;
    assert_int_equal(jg_db_acquire(admin, 1, &c), JG_OK);
    assert_int_equal(jg_db_script(c, sql), JG_OK);
    jg_db_release(c);
    jg_db_close(admin);
}

/* A new database (PostgreSQL ones named <prefix>_<pid>_<n>) with every migration applied. */
static inline jg_db *scratch_open(scratch_db *s, int use_pg, const char *prefix)
{
    s->use_pg = use_pg;
    if (use_pg) {
        static int n;
        snprintf(s->pgname, sizeof(s->pgname), "%s_%d_%d", prefix, (int)getpid(), ++n);
        char sql[128], url[512];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->pgname);
        scratch_pg_admin(sql);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", s->pgname);
        scratch_pg_admin(sql);
        snprintf(url, sizeof(url), "%s/%s", getenv("JIANGUAN_TEST_PG"), s->pgname);
        s->db = scratch_open_url(url);
    } else {
        tmpdb_make(&s->t);
        s->db = tmpdb_open(&s->t, 2);
    }
    int applied = 0;
    assert_int_equal(jg_migrate_up(s->db, &applied), JG_OK);
    return s->db;
}

static inline void scratch_close(scratch_db *s)
{
    jg_db_close(s->db);
    s->db = NULL;
    if (s->use_pg) {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", s->pgname);
        scratch_pg_admin(sql);
    } else {
        tmpdir_remove(s->t.dir);
    }
}

/* The JSON example of docs/entities.md (tests run in the source tree): the text of its first
 * ```json block, NUL-terminated in a static buffer. */
static inline char *docs_entities_example(void)
{
    FILE *f = fopen("docs/entities.md", "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    char *start = strstr(text, "```json\n");
    assert_non_null(start);
    start += 8;
    char *end = strstr(start, "```");
    assert_non_null(end);
    *end = '\0';
    return start;
}

#endif
