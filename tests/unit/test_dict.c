/* Unit tests for src/platform/dict.c: code and text checks, the definition checker (and the
 * definitions compiled in), the sync that never overwrites, and the look-ups of the entity engine. */
#include "base/arena.h"
#include "db/migrate.h"
#include "platform/dict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static void dictionary_codes(void **state)
{
    (void)state;
    assert_true(jg_dict_code_ok("a"));
    assert_true(jg_dict_code_ok("project_kind"));
    assert_true(jg_dict_code_ok("k2_x9"));
    assert_true(jg_dict_code_ok("a234567890123456789012345678901234567890")); /* 40 */
    assert_false(jg_dict_code_ok("a2345678901234567890123456789012345678901"));
    assert_false(jg_dict_code_ok(""));
    assert_false(jg_dict_code_ok(NULL));
    assert_false(jg_dict_code_ok("Project"));
    assert_false(jg_dict_code_ok("1kind"));
    assert_false(jg_dict_code_ok("_kind"));
    assert_false(jg_dict_code_ok("kind-x"));
    assert_false(jg_dict_code_ok("kind.x"));
    assert_false(jg_dict_code_ok("kind x"));
    assert_false(jg_dict_code_ok("类别"));
}

static void item_codes(void **state)
{
    (void)state;
    assert_true(jg_dict_item_code_ok("a"));
    assert_true(jg_dict_item_code_ok("0"));
    assert_true(jg_dict_item_code_ok("GB-02.01_x"));
    assert_true(jg_dict_item_code_ok("-"));
    assert_true(jg_dict_item_code_ok("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")); /* 40 */
    assert_false(jg_dict_item_code_ok("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
    assert_false(jg_dict_item_code_ok(""));
    assert_false(jg_dict_item_code_ok(NULL));
    assert_false(jg_dict_item_code_ok("a b"));
    assert_false(jg_dict_item_code_ok("a/b"));
    assert_false(jg_dict_item_code_ok("a'b"));
    assert_false(jg_dict_item_code_ok("框架"));
}

static void texts(void **state)
{
    (void)state;
    /* Characters are counted, not bytes: 3 Chinese characters are 9 bytes. */
    assert_true(jg_dict_text_ok("工程类", 3));
    assert_false(jg_dict_text_ok("工程类别", 3));
    assert_true(jg_dict_text_ok("abc", 3));
    assert_false(jg_dict_text_ok("abcd", 3));
    assert_true(jg_dict_text_ok(" 框架 ", 10));
    assert_false(jg_dict_text_ok("", 10));
    assert_false(jg_dict_text_ok("   ", 10));
    assert_false(jg_dict_text_ok(NULL, 10));
    assert_false(jg_dict_text_ok("a\nb", 10));
    assert_false(jg_dict_text_ok("a\tb", 10));
    assert_false(jg_dict_text_ok("a\x7f", 10));
}

/* 1 when the definitions in text pass the check; err gets the reason otherwise. */
static int defs_ok(const char *text, char *err, size_t errlen)
{
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    assert_non_null(doc);
    err[0] = '\0';
    int ok = jg_dict_defs_check(doc, err, errlen);
    json_decref(doc);
    return ok;
}

static void definition_check(void **state)
{
    (void)state;
    char err[200];
    assert_true(
        defs_ok("{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"a\",\"label\":\"甲\"},"
                "{\"code\":\"b\",\"label\":\"乙\",\"parent\":\"a\"}]}}}",
                err, sizeof(err)));
    static const struct {
        const char *text, *reason;
    } bad[] = {
        {"{}", "must be an object"},
        {"{\"dictionaries\":{\"K\":{\"name\":\"类别\",\"items\":[{\"code\":\"a\",\"label\":\"甲\"}]}}}",
         "bad dictionary code"},
        {"{\"dictionaries\":{\"k\":{\"items\":[{\"code\":\"a\",\"label\":\"甲\"}]}}}", "bad name"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"description\":3,\"items\":[{\"code\":\"a\",\"label\":"
         "\"甲\"}]}}}",
         "bad description"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[]}}}", "non-empty array"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"a b\",\"label\":\"甲\"}]}}}",
         "bad code"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"a\",\"label\":\"\"}]}}}",
         "bad label"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"a\",\"label\":\"甲\"},"
         "{\"code\":\"a\",\"label\":\"乙\"}]}}}",
         "repeated"},
        /* A parent written after its child, or itself: no cycles can be written down. */
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"b\",\"label\":\"乙\",\"parent\":"
         "\"a\"},"
         "{\"code\":\"a\",\"label\":\"甲\"}]}}}",
         "written before"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"a\",\"label\":\"甲\",\"parent\":"
         "\"a\"}]}}}",
         "written before"},
        {"{\"dictionaries\":{\"k\":{\"name\":\"类别\",\"items\":[{\"code\":\"a\",\"label\":\"甲\","
         "\"enabled\":false}]}}}",
         "unknown key"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(defs_ok(bad[i].text, err, sizeof(err)));
        if (strstr(err, bad[i].reason) == NULL)
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err, bad[i].reason);
    }
}

static void compiled_in_definitions(void **state)
{
    (void)state;
    json_t *doc = jg_dict_defs();
    assert_non_null(doc);
    json_t *dicts = json_object_get(doc, "dictionaries");
    static const char *const needed[] = {"project_kind",    "structure_type",    "unit_use",
                                         "party_role",      "person_role",       "hazard_kind",
                                         "enterprise_kind", "registration_state"};
    for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
        assert_non_null(json_object_get(dicts, needed[i]));
    /* The six named categories of 住建部令第37号 come first in hazard_kind. */
    json_t *hazards = json_object_get(json_object_get(dicts, "hazard_kind"), "items");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hazards, 0), "label")), "基坑工程");
    assert_string_equal(json_string_value(json_object_get(json_array_get(hazards, 5), "label")), "暗挖工程");
    json_decref(doc);
}

/* ---- on a migrated database: a SQLite file, then PostgreSQL when JIANGUAN_TEST_PG is set ---- */

static tmpdb t;
static jg_db *db; /* NULL: the PostgreSQL group is skipped */

static int migrate_and_sync(void)
{
    int applied = 0;
    if (jg_migrate_up(db, &applied) != JG_OK)
        return -1;
    return jg_dict_sync(db) == JG_OK ? 0 : -1;
}

static int sqlite_setup(void **state)
{
    (void)state;
    tmpdb_make(&t);
    db = tmpdb_open(&t, 2);
    return migrate_and_sync();
}

static int sqlite_teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    db = NULL;
    tmpdir_remove(t.dir);
    return 0;
}

static char pg_name[64];

/* Run one statement on the cluster's postgres database (CREATE / DROP DATABASE). */
static jg_rc pg_admin(const char *admin, const char *sql)
{
    char url[512], err[256];
    snprintf(url, sizeof(url), "%s/postgres", admin);
    jg_db_options opt = {1, 2000, 2, 10000};
    jg_db *adm;
    jg_rc rc = jg_db_open(url, &opt, &adm, err, sizeof(err));
    jg_conn *c = NULL;
    if (rc == JG_OK)
        rc = jg_db_acquire(adm, 1, &c);
    if (rc == JG_OK)
        rc = jg_db_script(c, sql);
    jg_db_release(c);
    jg_db_close(adm);
    return rc;
}

static int pg_setup(void **state)
{
    (void)state;
    const char *admin = getenv("JIANGUAN_TEST_PG");
    if (admin == NULL)
        return 0;
    char sql[128], url[512], err[256];
    snprintf(pg_name, sizeof(pg_name), "jg_unit_dict_%d", (int)getpid());
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", pg_name);
    if (pg_admin(admin, sql) != JG_OK)
        return -1;
    snprintf(url, sizeof(url), "%s/%s", admin, pg_name);
    jg_db_options opt = {2, 2000, 3, 10000};
    if (jg_db_open(url, &opt, &db, err, sizeof(err)) != JG_OK)
        return -1;
    return migrate_and_sync();
}

static int pg_teardown(void **state)
{
    (void)state;
    const char *admin = getenv("JIANGUAN_TEST_PG");
    if (admin == NULL)
        return 0;
    jg_db_close(db);
    db = NULL;
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", pg_name);
    return pg_admin(admin, sql) == JG_OK ? 0 : -1;
}

static void lookups(void **state)
{
    (void)state;
    if (db == NULL)
        skip();
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    int exists = -1, enabled = -1;
    assert_int_equal(jg_dict_exists(c, "party_role", &exists), JG_OK);
    assert_int_equal(exists, 1);
    assert_int_equal(jg_dict_exists(c, "no_such", &exists), JG_OK);
    assert_int_equal(exists, 0);

    assert_int_equal(jg_dict_item_exists(c, "party_role", "owner", &exists, &enabled), JG_OK);
    assert_int_equal(exists, 1);
    assert_int_equal(enabled, 1);
    assert_int_equal(jg_dict_item_exists(c, "party_role", "building", &exists, &enabled), JG_OK);
    assert_int_equal(exists, 0); /* an item of another dictionary */
    assert_int_equal(enabled, 0);
    assert_int_equal(jg_dict_item_exists(c, "no_such", "owner", &exists, NULL), JG_OK);
    assert_int_equal(exists, 0);

    /* A disabled item stays valid for old values but is no longer enabled for new ones. */
    assert_int_equal(
        jg_db_exec(c,
                   "UPDATE dictionary_item SET enabled = 0 WHERE code = 'lab' AND dictionary_id ="
                   " (SELECT id FROM dictionary WHERE code = 'party_role')",
                   NULL, 0, NULL),
        JG_OK);
    assert_int_equal(jg_dict_item_exists(c, "party_role", "lab", &exists, &enabled), JG_OK);
    assert_int_equal(exists, 1);
    assert_int_equal(enabled, 0);
    assert_int_equal(jg_dict_item_exists(c, "enterprise_kind", "lab", &exists, &enabled), JG_OK);
    assert_int_equal(enabled, 1); /* the same code elsewhere is untouched */

    jg_arena *a = jg_arena_new();
    const char *label = "x";
    assert_int_equal(jg_dict_label(c, "hazard_kind", "foundation_pit", a, &label), JG_OK);
    assert_string_equal(label, "基坑工程");
    assert_int_equal(jg_dict_label(c, "party_role", "lab", a, &label), JG_OK);
    assert_string_equal(label, "检测机构");
    assert_int_equal(jg_dict_label(c, "hazard_kind", "nope", a, &label), JG_NOTFOUND);
    assert_null(label);
    jg_arena_free(a);
    jg_db_release(c);
}

static void sync_keeps_edits(void **state)
{
    (void)state;
    if (db == NULL)
        skip();
    int64_t items = db_scalar(db, "SELECT COUNT(*) FROM dictionary_item");
    assert_true(items > 50);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM dictionary_item WHERE builtin = 0"), 0);
    db_exec_on_writer(db, "UPDATE dictionary SET name = '改过的名称', version = 2 WHERE code = 'unit_use'",
                      JG_OK);
    db_exec_on_writer(
        db, "UPDATE dictionary_item SET label = '居住建筑', sort_order = 99 WHERE code = 'residential'",
        JG_OK);
    db_exec_on_writer(db, "DELETE FROM dictionary_item WHERE code = 'industrial'", JG_OK);
    assert_int_equal(jg_dict_sync(db), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM dictionary_item"), items);
    assert_int_equal(
        db_scalar(db, "SELECT COUNT(*) FROM dictionary WHERE name = '改过的名称' AND version = 2"), 1);
    assert_int_equal(
        db_scalar(db, "SELECT COUNT(*) FROM dictionary_item WHERE label = '居住建筑' AND sort_order = 99"),
        1);
    /* The restored item gets its place from the definitions: third of unit_use. */
    assert_int_equal(db_scalar(db, "SELECT sort_order FROM dictionary_item WHERE code = 'industrial'"), 30);
    assert_int_equal(jg_dict_sync(db), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM dictionary_item"), items);
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(dictionary_codes),
        cmocka_unit_test(item_codes),
        cmocka_unit_test(texts),
        cmocka_unit_test(definition_check),
        cmocka_unit_test(compiled_in_definitions),
    };
    const struct CMUnitTest on_db[] = {
        cmocka_unit_test(lookups),
        cmocka_unit_test(sync_keeps_edits),
    };
    int failed = cmocka_run_group_tests_name("dict", pure, NULL, NULL);
    failed += cmocka_run_group_tests_name("dict_sqlite", on_db, sqlite_setup, sqlite_teardown);
    failed += cmocka_run_group_tests_name("dict_pgsql", on_db, pg_setup, pg_teardown);
    return failed;
}
