/* Helpers shared by the unit tests of src/engine/entity: running a test body on SQLite and on
 * PostgreSQL, and the JSON example of docs/entities.md. Include after <cmocka.h>. */
#ifndef JG_ENTITY_TESTUTIL_H
#define JG_ENTITY_TESTUTIL_H
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
