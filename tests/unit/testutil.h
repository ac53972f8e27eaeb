/* Helpers shared by the unit tests: a scratch directory and a SQLite database inside it.
 * Include after <cmocka.h>. Everything here is static inline so each test uses only what it needs. */
#ifndef JG_TESTUTIL_H
#define JG_TESTUTIL_H
#include "db/db.h"
#include "engine/entity/def.h"
#include "engine/entity/schema.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char dir[64];   /* made by mkdtemp */
    char path[128]; /* dir/test.db */
    char url[160];  /* sqlite:dir/test.db */
} tmpdb;

/* Make a fresh scratch directory (never a fixed path). */
static inline void tmpdir_make(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/jg-unit-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

/* Remove the files directly inside dir (tests make no subdirectories unless they remove them), then dir. */
static inline void tmpdir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static inline void tmpdb_make(tmpdb *t)
{
    tmpdir_make(t->dir, sizeof(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/test.db", t->dir);
    snprintf(t->url, sizeof(t->url), "sqlite:%s", t->path);
}

/* Open a SQLite pool on t with pool_size readers; fails the test if it cannot. */
static inline jg_db *tmpdb_open(const tmpdb *t, int pool_size)
{
    jg_db_options opt = {pool_size, 2000, 3, 0};
    jg_db *db = NULL;
    char err[256] = "";
    jg_rc rc = jg_db_open(t->url, &opt, &db, err, sizeof(err));
    if (rc != JG_OK)
        fail_msg("jg_db_open(%s): %s (%s)", t->url, jg_rc_name(rc), err);
    return db;
}

/* Run one statement on a write connection; fails the test unless it returns want. */
static inline void db_exec_on_writer(jg_db *db, const char *sql, jg_rc want)
{
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    assert_int_equal(jg_db_exec(c, sql, NULL, 0, NULL), want);
    jg_db_release(c);
}

/* First column of the first row of a parameterless query, as an integer (on a reader). */
static inline int64_t db_scalar(jg_db *db, const char *sql)
{
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    assert_int_equal(jg_db_query(c, sql, NULL, 0, &r), JG_OK);
    jg_db_release(c);
    assert_int_equal(jg_rows_count(r), 1);
    int64_t v = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return v;
}

/* Write text to path; fails the test if it cannot. */
/* The shipped entities' tables on db, as `jianguan migrate` makes them (demo data writes to some). */
static inline void db_sync_entities(jg_db *db)
{
    jg_entity_set set;
    char err[256];
    assert_int_equal(jg_entity_set_load_embedded(&set, err, sizeof(err)), JG_OK);
    assert_int_equal(jg_schema_sync(db, &set, 0, err, sizeof(err)), JG_OK);
    jg_entity_set_free(&set);
}

static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

#endif
