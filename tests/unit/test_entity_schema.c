/* Unit tests for src/engine/entity/schema.c on SQLite (a scratch file) and, when JIANGUAN_TEST_PG
 * is set, on PostgreSQL (a database made for each test): tables and indexes from a definition,
 * running again, additive changes, destructive ones refused with the database left as it was,
 * and allowed ones keeping the data. */
#include "db/migrate.h"
#include "engine/entity/schema.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "entity_testutil.h"

static int use_pg; /* the group being run */
static jg_db *db;  /* the database of the current test */
static scratch_db scratch;

/* ---- databases ---- */

static int setup(void **state)
{
    (void)state;
    db = scratch_open(&scratch, use_pg, "jg_unit_schema");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_close(&scratch);
    db = NULL;
    return 0;
}

static jg_rc exec_rc(const char *sql)
{
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    jg_rc rc = jg_db_exec(c, sql, NULL, 0, NULL);
    jg_db_release(c);
    return rc;
}

static void exec_ok(const char *sql)
{
    jg_rc rc = exec_rc(sql);
    if (rc != JG_OK)
        fail_msg("%s: %s", jg_rc_name(rc), sql);
}

static jg_rows *query(const char *sql, const char *arg)
{
    jg_value p[] = {JG_VTEXT(arg)};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(db, sql, p, arg != NULL ? 1 : 0, &r);
    if (rc != JG_OK)
        fail_msg("%s: %s", jg_rc_name(rc), sql);
    return r;
}

static int64_t scalar(const char *sql)
{
    jg_rows *r = query(sql, NULL);
    assert_int_equal(jg_rows_count(r), 1);
    int64_t v = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return v;
}

/* The first column of every row, joined with commas (into a static buffer). */
static const char *joined(jg_rows *r)
{
    static char out[2048];
    out[0] = '\0';
    for (int i = 0; i < jg_rows_count(r); i++) {
        if (i > 0)
            strncat(out, ",", sizeof(out) - strlen(out) - 1);
        const char *s = jg_rows_text(r, i, 0);
        strncat(out, s != NULL ? s : "NULL", sizeof(out) - strlen(out) - 1);
    }
    jg_rows_free(r);
    return out;
}

static const char *columns(const char *table)
{
    if (use_pg)
        return joined(query("SELECT column_name FROM information_schema.columns WHERE table_schema ="
                            " current_schema() AND table_name = $1 ORDER BY ordinal_position",
                            table));
    return joined(query("SELECT name FROM pragma_table_info($1) ORDER BY cid", table));
}

static const char *indexes(const char *table)
{
    if (use_pg)
        return joined(query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                            " AND tablename = $1 AND indexname NOT LIKE '%pkey%'"
                            " AND indexname NOT LIKE 'sx\\_%' ORDER BY indexname", /* search: its own test */
                            table));
    return joined(query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1"
                        " AND name NOT LIKE 'sqlite_%' ORDER BY name",
                        table));
}

/* The columns of index name, in order. */
static const char *index_columns(const char *name)
{
    if (use_pg)
        return joined(query("SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                            " WHERE c.relname = $1 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                            name));
    return joined(query("SELECT name FROM pragma_index_info($1) ORDER BY seqno", name));
}

static int has_table(const char *table)
{
    jg_rows *r = use_pg
                     ? query("SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()"
                             " AND table_name = $1",
                             table)
                     : query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", table);
    int n = jg_rows_count(r);
    jg_rows_free(r);
    return n > 0;
}

static int64_t def_version(const char *name)
{
    jg_rows *r = query("SELECT version FROM entity_def WHERE name = $1", name);
    int64_t v = jg_rows_count(r) > 0 ? jg_rows_int(r, 0, 0) : 0;
    jg_rows_free(r);
    return v;
}

/* ---- definitions ---- */

#define HEAD(v)                                                                                              \
    "{\"name\": \"demo\", \"label\": \"演示\", \"version\": " #v                                             \
    ", \"scope\": {\"org\": \"b\", \"enterprise\":"                                                          \
    " \"e\"}, \"states\": [{\"name\": \"draft\", \"label\": \"草稿\"}, {\"name\": \"done\", \"label\": "   \
    "\"办结\"}], "
#define FA                                                                                                   \
    "{\"name\": \"a\", \"label\": \"名称\", \"type\": \"string\", \"required\": true, \"unique\": true}"
#define FB "{\"name\": \"b\", \"label\": \"地区\", \"type\": \"region\", \"indexed\": true}"
#define FC "{\"name\": \"c\", \"label\": \"金额\", \"type\": \"money\"}"
#define FD                                                                                                   \
    "{\"name\": \"d\", \"label\": \"电话\", \"type\": \"string\", \"class\": \"sensitive\", \"unique\": "  \
    "true}"
#define FE "{\"name\": \"e\", \"label\": \"单位\", \"type\": \"enterprise\"}"
#define FX "{\"name\": \"x\", \"label\": \"数量\", \"type\": \"integer\"}"
#define FY "{\"name\": \"y\", \"label\": \"编号\", \"type\": \"string\", \"unique\": true}"
#define ROWS_OF(fields) "\"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" fields "]}]"
#define ROWS ROWS_OF(FX ", " FY)
#define DOC(v, fields, rest) HEAD(v) "\"fields\": [" fields "], " rest "}"
#define BASE FA ", " FB ", " FC ", " FD ", " FE
#define V1 DOC(1, BASE, ROWS)

/* Load the definitions and sync them; the message goes to err. */
static jg_rc sync_docs(const char *const *docs, int n, int allow, char *err, size_t errlen)
{
    jg_entity_set set = {calloc((size_t)n, sizeof(jg_entity)), 0};
    for (int i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *doc = json_loads(docs[i], 0, &jerr);
        if (doc == NULL)
            fail_msg("test JSON: %s: %s", jerr.text, docs[i]);
        char lerr[256];
        jg_rc rc = jg_entity_load(doc, &set.entities[i], lerr, sizeof(lerr));
        json_decref(doc);
        if (rc != JG_OK)
            fail_msg("test definition: %s: %s", lerr, docs[i]);
        set.nentities++;
    }
    assert_int_equal(jg_entity_set_check(&set, err, errlen), JG_OK);
    jg_rc rc = jg_schema_sync(db, &set, allow, err, errlen);
    jg_entity_set_free(&set);
    return rc;
}

static jg_rc sync1(const char *doc, int allow, char *err, size_t errlen)
{
    const char *docs[] = {doc};
    return sync_docs(docs, 1, allow, err, errlen);
}

static void sync_ok(const char *doc, int allow)
{
    char err[512] = "";
    jg_rc rc = sync1(doc, allow, err, sizeof(err));
    if (rc != JG_OK)
        fail_msg("sync: %s: %s", jg_rc_name(rc), err);
}

/* Sync must be refused with JG_CONFLICT and message want, leaving tables and entity_def as they were. */
static void sync_refused(const char *doc, const char *want)
{
    char before[2048], err[512] = "";
    snprintf(before, sizeof(before), "%s|%s|%s|%s", columns("e_demo"), indexes("e_demo"),
             columns("e_demo__rows"), indexes("e_demo__rows"));
    int64_t version = def_version("demo");
    jg_rc rc = sync1(doc, 0, err, sizeof(err));
    if (rc != JG_CONFLICT)
        fail_msg("not refused (%s): %s", jg_rc_name(rc), doc);
    if (strcmp(err, want) != 0)
        fail_msg("got  %s\nwant %s", err, want);
    char after[2048];
    snprintf(after, sizeof(after), "%s|%s|%s|%s", columns("e_demo"), indexes("e_demo"),
             columns("e_demo__rows"), indexes("e_demo__rows"));
    assert_string_equal(after, before);
    assert_int_equal(def_version("demo"), version);
}

static void insert_record(const char *a, const char *state)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "INSERT INTO e_demo (state, created_at, updated_at, a, b, c) VALUES ('%s', 't', 't', '%s', "
             "'3501', 1234)",
             state, a);
    exec_ok(sql);
}

/* ---- tests ---- */

static void creates_tables_and_indexes(void **state)
{
    (void)state;
    sync_ok(V1, 0);
    assert_string_equal(columns("e_demo"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,a,b,c,d,"
                        "d__bidx,d__mask,e");
    assert_string_equal(columns("e_demo__rows"), "id,parent_id,seq,x,y");
    /* indexed b, scope column e, unique a and d (on its blind index); on the child its parent and y. */
    assert_string_equal(indexes("e_demo"), "ix_e_demo__b,ix_e_demo__e,ux_e_demo__a,ux_e_demo__d");
    assert_string_equal(indexes("e_demo__rows"), "ix_e_demo__rows__parent_id,ux_e_demo__rows__y");
    assert_int_equal(def_version("demo"), 1);
    jg_rows *r = query("SELECT doc, applied_at FROM entity_def WHERE name = $1", "demo");
    json_t *stored = json_loads(jg_rows_text(r, 0, 0), 0, NULL);
    assert_non_null(stored);
    assert_string_equal(json_string_value(json_object_get(stored, "label")), "演示");
    assert_int_equal(strlen(jg_rows_text(r, 0, 1)), 24);
    json_decref(stored);
    jg_rows_free(r);

    /* The unique index counts only records that are not deleted. */
    insert_record("n1", "draft");
    assert_int_equal(
        exec_rc("INSERT INTO e_demo (state, created_at, updated_at, a) VALUES ('draft', 't', 't', 'n1')"),
        JG_CONFLICT);
    exec_ok("UPDATE e_demo SET state = 'deleted' WHERE a = 'n1'");
    insert_record("n1", "draft");
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_demo WHERE a = 'n1'"), 2);
    /* Child rows belong to a record; unique y is per parent; they go with their record. */
    int64_t gone = scalar("SELECT id FROM e_demo WHERE state = 'deleted'");
    int64_t live = scalar("SELECT id FROM e_demo WHERE state = 'draft'");
    char sql[256];
    snprintf(sql, sizeof(sql), "INSERT INTO e_demo__rows (parent_id, seq, x, y) VALUES (%lld, 1, 5, 'r1')",
             (long long)gone);
    exec_ok(sql);
    snprintf(sql, sizeof(sql), "INSERT INTO e_demo__rows (parent_id, seq, x, y) VALUES (%lld, 1, 5, 'r1')",
             (long long)live);
    exec_ok(sql);
    snprintf(sql, sizeof(sql), "INSERT INTO e_demo__rows (parent_id, seq, x, y) VALUES (%lld, 2, 6, 'r1')",
             (long long)live);
    assert_int_equal(exec_rc(sql), JG_CONFLICT);
    assert_int_equal(exec_rc("INSERT INTO e_demo__rows (parent_id, seq, x) VALUES (9999, 1, 1)"),
                     JG_CONFLICT);
    snprintf(sql, sizeof(sql), "DELETE FROM e_demo WHERE id = %lld", (long long)gone);
    exec_ok(sql);
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_demo__rows"), 1);
    /* Money is kept in fen as an integer. */
    assert_int_equal(scalar("SELECT c + 1 FROM e_demo WHERE state = 'draft'"), 1235);
}

static void running_again_changes_nothing(void **state)
{
    (void)state;
    sync_ok(V1, 0);
    jg_rows *r = query("SELECT applied_at FROM entity_def WHERE name = $1", "demo");
    char at[32];
    snprintf(at, sizeof(at), "%s", jg_rows_text(r, 0, 0));
    jg_rows_free(r);
    usleep(2000);
    sync_ok(V1, 0);
    sync_ok(V1, 1);
    r = query("SELECT applied_at FROM entity_def WHERE name = $1", "demo");
    assert_string_equal(jg_rows_text(r, 0, 0), at);
    jg_rows_free(r);
    assert_int_equal(scalar("SELECT COUNT(*) FROM entity_def"), 1);
}

static void versions_must_rise(void **state)
{
    (void)state;
    sync_ok(DOC(2, BASE, ROWS), 0);
    sync_refused(DOC(2, BASE ", " FX, ROWS),
                 "demo: the definition changed but its version is still 2: raise it");
    sync_refused(V1, "demo: the database has version 2 of the definition, newer than this one (1)");
}

/* The fields and children that adds_fields_and_indexes adds. */
#define FF "{\"name\": \"f\", \"label\": \"层数\", \"type\": \"integer\", \"indexed\": true}"
#define FG                                                                                                   \
    "{\"name\": \"g\", \"label\": \"类别\", \"type\": \"string\", \"required\": true, \"default\": "       \
    "\"普通\"}"
#define KIDS2                                                                                                \
    "\"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" FX ", " FY                      \
    ", {\"name\": \"z\", \"label\": \"备注\", \"type\": \"text\"}]}, {\"name\": \"more\", \"label\": "     \
    "\"更多\", \"fields\": [" FX "]}]"

static void adds_fields_and_indexes(void **state)
{
    (void)state;
    sync_ok(V1, 0);
    insert_record("n1", "draft");
    insert_record("n2", "draft");
    /* New: an indexed integer, a required string with a default (fills the two records), a child
     * field, c made indexed, a new child table. */
    sync_ok(DOC(2, BASE ", " FF ", " FG, KIDS2), 0);
    assert_string_equal(columns("e_demo"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,a,b,c,d,"
                        "d__bidx,d__mask,e,f,g");
    assert_string_equal(indexes("e_demo"),
                        "ix_e_demo__b,ix_e_demo__e,ix_e_demo__f,ux_e_demo__a,ux_e_demo__d");
    assert_string_equal(columns("e_demo__rows"), "id,parent_id,seq,x,y,z");
    assert_string_equal(columns("e_demo__more"), "id,parent_id,seq,x");
    assert_string_equal(indexes("e_demo__more"), "ix_e_demo__more__parent_id");
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_demo WHERE g = '普通'"), 2);
    assert_int_equal(def_version("demo"), 2);

    /* An index on an existing field, and one no longer wanted goes. */
    sync_ok(DOC(3,
                FA ", {\"name\": \"b\", \"label\": \"地区\", \"type\": \"region\"}, "
                   "{\"name\": \"c\", \"label\": \"金额\", \"type\": \"money\", \"indexed\": true}, " FD
                   ", " FE ", " FF ", " FG,
                KIDS2),
            0);
    /* b stays indexed as the org scope column. */
    assert_string_equal(indexes("e_demo"),
                        "ix_e_demo__b,ix_e_demo__c,ix_e_demo__e,ix_e_demo__f,ux_e_demo__a,ux_e_demo__d");
    assert_int_equal(def_version("demo"), 3);
}

/* A definition's "indexes" become (fields…, id) indexes; single indexed fields end with id too. */
static void composite_indexes(void **state)
{
    (void)state;
    sync_ok(V1, 0);
    insert_record("n1", "draft");
    sync_ok(DOC(2, BASE, ROWS ", \"indexes\": [[\"c\", \"b\"], [\"e\", \"d\", \"c\"], [\"state\", \"b\"]]"),
            0);
    assert_string_equal(indexes("e_demo"), "ix_e_demo__b,ix_e_demo__c__b,ix_e_demo__e,ix_e_demo__e__d__c,"
                                           "ix_e_demo__state__b,ux_e_demo__a,ux_e_demo__d");
    assert_string_equal(index_columns("ix_e_demo__c__b"), "c,b,id");
    /* The state column may lead one (lists by state inside a scope). */
    assert_string_equal(index_columns("ix_e_demo__state__b"), "state,b,id");
    /* A sealed field takes part through its blind index. */
    assert_string_equal(index_columns("ix_e_demo__e__d__c"), "e,d__bidx,c,id");
    assert_string_equal(index_columns("ix_e_demo__b"), "b,id");
    assert_string_equal(index_columns("ux_e_demo__a"), "a");
    assert_string_equal(index_columns("ix_e_demo__rows__parent_id"), "parent_id,seq");
    /* Dropping one is not destructive; the data stays. */
    sync_ok(DOC(3, BASE, ROWS ", \"indexes\": [[\"c\", \"b\"]]"), 0);
    assert_string_equal(indexes("e_demo"),
                        "ix_e_demo__b,ix_e_demo__c__b,ix_e_demo__e,ux_e_demo__a,ux_e_demo__d");
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_demo"), 1);
}

static void required_without_default_needs_empty_table(void **state)
{
    (void)state;
    const char *tail = " (a destructive change: it needs an explicit migration)";
    char want[512];
    sync_ok(V1, 0);
    insert_record("n1", "draft");
    snprintf(want, sizeof(want),
             "demo.g: a required field without a default is added, and 1 records have no value%s", tail);
    sync_refused(
        DOC(2, BASE ", {\"name\": \"g\", \"label\": \"类别\", \"type\": \"string\", \"required\": true}",
            ROWS),
        want);
    /* Made required while a record has no value: refused without a default, filled with one. */
    exec_ok("INSERT INTO e_demo (state, created_at, updated_at, a) VALUES ('draft', 't', 't', 'n2')");
    snprintf(want, sizeof(want), "demo.c: made required without a default, and 1 records have no value%s",
             tail);
    sync_refused(DOC(2,
                     FA
                     ", " FB
                     ", {\"name\": \"c\", \"label\": \"金额\", \"type\": \"money\", \"required\": true}, " FD
                     ", " FE,
                     ROWS),
                 want);
    sync_ok(DOC(2,
                FA ", " FB ", {\"name\": \"c\", \"label\": \"金额\", \"type\": \"money\", \"required\": true,"
                   " \"default\": \"9.99\"}, " FD ", " FE,
                ROWS),
            0);
    assert_int_equal(scalar("SELECT c FROM e_demo WHERE a = 'n2'"), 999);
    assert_int_equal(scalar("SELECT c FROM e_demo WHERE a = 'n1'"), 1234);
    /* An empty table takes a required field without a default. */
    sync_ok(
        DOC(3,
            FA ", " FB ", {\"name\": \"c\", \"label\": \"金额\", \"type\": \"money\", \"required\": true,"
               " \"default\": \"9.99\"}, " FD ", " FE,
            ROWS_OF(FX ", " FY
                       ", {\"name\": \"w\", \"label\": \"必填\", \"type\": \"string\", \"required\": true}")),
        0);
    assert_string_equal(columns("e_demo__rows"), "id,parent_id,seq,x,y,w");
}

static void refuses_destructive_changes(void **state)
{
    (void)state;
    sync_ok(V1, 0);
    insert_record("n1", "draft");
    const char *tail = " (a destructive change: it needs an explicit migration)";
    char want[512];
    snprintf(want, sizeof(want), "demo.c: field removed%s", tail);
    sync_refused(DOC(2, FA ", " FB ", " FD ", " FE, ROWS), want);
    snprintf(want, sizeof(want), "demo.c: type changed from money to integer%s", tail);
    sync_refused(
        DOC(2, FA ", " FB ", {\"name\": \"c\", \"label\": \"金额\", \"type\": \"integer\"}, " FD ", " FE,
            ROWS),
        want);
    snprintf(want, sizeof(want), "demo.a: max_length shrunk from 200 to 50%s", tail);
    sync_refused(
        DOC(2,
            "{\"name\": \"a\", \"label\": \"名称\", \"type\": \"string\", \"required\": true, \"unique\":"
            " true, \"max_length\": 50}, " FB ", " FC ", " FD ", " FE,
            ROWS),
        want);
    snprintf(want, sizeof(want), "demo.rows.x: min raised%s", tail);
    sync_refused(
        DOC(2, BASE,
            ROWS_OF("{\"name\": \"x\", \"label\": \"数量\", \"type\": \"integer\", \"min\": 0}, " FY)),
        want);
    snprintf(want, sizeof(want), "demo.d: moved out of sealed storage (class changed)%s", tail);
    sync_refused(DOC(2,
                     FA ", " FB ", " FC ", {\"name\": \"d\", \"label\": \"电话\", \"type\": \"string\"}, " FE,
                     ROWS),
                 want);
    snprintf(want, sizeof(want), "demo.rows: child table removed%s", tail);
    sync_refused(DOC(2, BASE, "\"comment\": \"no children\""), want);
    snprintf(want, sizeof(want), "demo: state done removed (records may be in it)%s", tail);
    sync_refused("{\"name\": \"demo\", \"label\": \"演示\", \"version\": 2, \"scope\": {\"org\": \"b\","
                 " \"enterprise\": \"e\"}, \"states\": [{\"name\": \"draft\", \"label\": \"草稿\"}], "
                 "\"fields\": [" BASE "], " ROWS "}",
                 want);
    /* A unique constraint that records already break. */
    insert_record("n2", "draft");
    exec_ok("UPDATE e_demo SET b = '3502'");
    sync_refused(DOC(2,
                     FA
                     ", {\"name\": \"b\", \"label\": \"地区\", \"type\": \"region\", \"unique\": true}, " FC
                     ", " FD ", " FE,
                     ROWS),
                 "demo.b: records already hold the same value twice, so it cannot be unique");
}

static void scale_change_is_destructive(void **state)
{
    (void)state;
    const char *v1 =
        "{\"name\": \"amount\", \"label\": \"数额\", \"version\": 1, \"fields\": [{\"name\": \"q\","
        " \"label\": \"数量\", \"type\": \"decimal\", \"scale\": 2}]}";
    const char *v2 =
        "{\"name\": \"amount\", \"label\": \"数额\", \"version\": 2, \"fields\": [{\"name\": \"q\","
        " \"label\": \"数量\", \"type\": \"decimal\", \"scale\": 3}]}";
    sync_ok(v1, 0);
    exec_ok("INSERT INTO e_amount (state, created_at, updated_at, q) VALUES ('active', 't', 't', 1250)");
    char err[512];
    assert_int_equal(sync1(v2, 0, err, sizeof(err)), JG_CONFLICT);
    assert_string_equal(err,
                        "amount.q: scale changed from 2 to 3 (a destructive change: it needs an explicit "
                        "migration)");
    assert_string_equal(columns("e_amount"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,q");
    /* Allowed: the old values stay under q__v1, q starts empty. */
    assert_int_equal(sync1(v2, 1, err, sizeof(err)), JG_OK);
    assert_string_equal(columns("e_amount"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,q__v1,q");
    assert_int_equal(scalar("SELECT q__v1 FROM e_amount"), 1250);
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_amount WHERE q IS NULL"), 1);
}

static void allowed_changes_keep_the_data(void **state)
{
    (void)state;
    sync_ok(V1, 0);
    insert_record("n1", "draft");
    exec_ok("INSERT INTO e_demo__rows (parent_id, seq, x, y) VALUES (1, 1, 5, 'r1')");
    /* v2: c removed, d no longer sealed, the child table removed. */
    const char *v2 = DOC(2, FA ", " FB ", {\"name\": \"d\", \"label\": \"电话\", \"type\": \"string\"}, " FE,
                         "\"comment\": \"no children\"");
    sync_ok(v2, 1);
    assert_string_equal(columns("e_demo"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,a,b,c__v1,"
                        "d__v1,d__bidx__v1,d__mask__v1,e,d");
    assert_int_equal(scalar("SELECT c__v1 FROM e_demo"), 1234);
    assert_string_equal(indexes("e_demo"), "ix_e_demo__b,ix_e_demo__e,ux_e_demo__a");
    assert_false(has_table("e_demo__rows"));
    assert_true(has_table("e_demo__rows__v1"));
    assert_int_equal(scalar("SELECT x FROM e_demo__rows__v1"), 5);
    assert_int_equal(def_version("demo"), 2);
    /* v3 brings c back (as text now) and the child table: both start afresh beside the old data. */
    sync_ok(DOC(3,
                FA ", " FB ", {\"name\": \"c\", \"label\": \"金额\", \"type\": \"text\"}, "
                   "{\"name\": \"d\", \"label\": \"电话\", \"type\": \"string\"}, " FE,
                ROWS),
            0);
    assert_string_equal(columns("e_demo"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,a,b,c__v1,"
                        "d__v1,d__bidx__v1,d__mask__v1,e,d,c");
    assert_string_equal(columns("e_demo__rows"), "id,parent_id,seq,x,y");
    assert_string_equal(indexes("e_demo__rows"), "ix_e_demo__rows__parent_id,ux_e_demo__rows__y");
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_demo__rows"), 0);
    assert_int_equal(scalar("SELECT COUNT(*) FROM e_demo__rows__v1"), 1);
    /* v4 removes c again: the name c__v1 is taken, so it becomes c__v3. */
    sync_ok(DOC(4, FA ", " FB ", {\"name\": \"d\", \"label\": \"电话\", \"type\": \"string\"}, " FE, ROWS),
            1);
    assert_string_equal(columns("e_demo"),
                        "id,state,created_by,created_at,updated_by,updated_at,version,a,b,c__v1,"
                        "d__v1,d__bidx__v1,d__mask__v1,e,d,c__v3");
}

static void unknown_tables_are_not_taken_over(void **state)
{
    (void)state;
    exec_ok("CREATE TABLE e_demo (id INTEGER PRIMARY KEY, a TEXT)");
    char err[512];
    assert_int_equal(sync1(V1, 0, err, sizeof(err)), JG_CONFLICT);
    assert_string_equal(err, "demo: table e_demo exists already, but entity_def does not describe it");
    assert_int_equal(def_version("demo"), 0);
    assert_false(has_table("e_demo__rows"));
}

static void one_failure_changes_no_entity(void **state)
{
    (void)state;
    /* Two entities: the first would be created, the second fails: neither is. */
    const char *ok =
        "{\"name\": \"alpha\", \"label\": \"甲\", \"fields\": [{\"name\": \"n\", \"label\": \"名\","
        " \"type\": \"string\"}]}";
    exec_ok("CREATE TABLE e_demo (id INTEGER PRIMARY KEY)");
    const char *docs[] = {ok, V1};
    char err[512];
    assert_int_equal(sync_docs(docs, 2, 0, err, sizeof(err)), JG_CONFLICT);
    assert_false(has_table("e_alpha"));
    assert_int_equal(scalar("SELECT COUNT(*) FROM entity_def"), 0);
}

static void long_names_fit(void **state)
{
    (void)state;
    /* A 40-byte entity and field: the index name is cut to 63 bytes with a hash. */
    const char *doc =
        "{\"name\": \"a123456789012345678901234567890123456789\", \"label\": \"长名\", \"fields\": ["
        "{\"name\": \"b123456789012345678901234567890123456789\", \"label\": \"长字段\", \"type\":"
        " \"string\", \"indexed\": true, \"class\": \"secret\"}]}";
    sync_ok(doc, 0);
    const char *ix = indexes("e_a123456789012345678901234567890123456789");
    assert_int_equal(strlen(ix), 63);
    assert_int_equal(strncmp(ix, "ix_e_a123456789012345678901234567890123456789__", 46), 0);
    assert_true(strstr(columns("e_a123456789012345678901234567890123456789"),
                       "b123456789012345678901234567890123456789__bidx") != NULL);
    sync_ok(doc, 0);
}

static void the_compiled_definitions_sync(void **state)
{
    (void)state;
    jg_entity_set set;
    char err[512] = "";
    assert_int_equal(jg_entity_set_load_embedded(&set, err, sizeof(err)), JG_OK);
    jg_rc rc = jg_schema_sync(db, &set, 0, err, sizeof(err));
    if (rc != JG_OK)
        fail_msg("%s: %s", jg_rc_name(rc), err);
    for (int i = 0; i < set.nentities; i++) {
        assert_true(has_table(set.entities[i].table));
        for (int k = 0; k < set.entities[i].nchildren; k++)
            assert_true(has_table(set.entities[i].children[k].table));
        assert_int_equal(def_version(set.entities[i].name), set.entities[i].version);
    }
    assert_int_equal(jg_schema_sync(db, &set, 0, err, sizeof(err)), JG_OK);
    jg_entity_set_free(&set);
}

/* The JSON example of docs/entities.md makes the tables and indexes the page says. */
static void the_documented_example_syncs(void **state)
{
    (void)state;
    sync_ok(docs_entities_example(), 0);
    assert_string_equal(
        indexes("e_inspection"),
        "ix_e_inspection__contractor_id,ix_e_inspection__inspected_on,ix_e_inspection__kind,"
        "ix_e_inspection__org_code,ix_e_inspection__project_id,ux_e_inspection__inspection_no");
    assert_string_equal(indexes("e_inspection__issues"), "ix_e_inspection__issues__parent_id");
    assert_non_null(strstr(columns("e_inspection"),
                           ",site_manager_phone,site_manager_phone__bidx,site_manager_phone__mask,"));
    assert_int_equal(def_version("inspection"), 2);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
    T(creates_tables_and_indexes),
    T(running_again_changes_nothing),
    T(versions_must_rise),
    T(adds_fields_and_indexes),
    T(composite_indexes),
    T(required_without_default_needs_empty_table),
    T(refuses_destructive_changes),
    T(scale_change_is_destructive),
    T(allowed_changes_keep_the_data),
    T(unknown_tables_are_not_taken_over),
    T(one_failure_changes_no_entity),
    T(long_names_fit),
    T(the_compiled_definitions_sync),
    T(the_documented_example_syncs),
};

int main(void)
{
    use_pg = 0;
    int failed =
        _cmocka_run_group_tests("entity_schema_sqlite", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
    if (getenv("JIANGUAN_TEST_PG") == NULL) {
        printf("JIANGUAN_TEST_PG is not set: the PostgreSQL group is skipped\n");
        return failed;
    }
    use_pg = 1;
    failed +=
        _cmocka_run_group_tests("entity_schema_pgsql", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
    return failed;
}
