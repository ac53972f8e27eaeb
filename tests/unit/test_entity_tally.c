/* Unit tests for the tally of entities (src/engine/entity/tally*.c): checking the declaration, the
 * columns it makes, the by= and month= parameters, which filters the table serves; and the table
 * and its triggers on SQLite (a scratch file) and, when JIANGUAN_TEST_PG is set, on PostgreSQL (a
 * database made for each test): counts exact after inserts, updates moving a record between
 * groups, deletes, bulk statements, and rebuilt when the declaration changes. */
#include "db/migrate.h"
#include "engine/entity/schema.h"
#include "engine/entity/tally.h"

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

#define HEAD(v) "{\"name\": \"thing\", \"label\": \"事项\", \"version\": " #v ", "
#define FIELDS                                                                                               \
    "\"scope\": {\"org\": \"org_code\"}, \"fields\": ["                                                      \
    "{\"name\": \"org_code\", \"label\": \"地区\", \"type\": \"region\"},"                                 \
    "{\"name\": \"kind\", \"label\": \"类别\", \"type\": \"enum\", \"dict\": \"project_kind\"},"           \
    "{\"name\": \"flag\", \"label\": \"标记\", \"type\": \"boolean\"},"                                    \
    "{\"name\": \"due_on\", \"label\": \"日期\", \"type\": \"date\"},"                                     \
    "{\"name\": \"title\", \"label\": \"名称\", \"type\": \"string\"}], "                                  \
    "\"states\": [{\"name\": \"draft\", \"label\": \"草稿\"}, {\"name\": \"done\", \"label\": \"完成\"}]"
#define DOC(v, rest) HEAD(v) FIELDS rest "}"
#define TALLY1 ", \"tally\": {\"by\": [\"state\", \"kind\", \"flag\"], \"month\": \"due_on\"}"
#define TALLY2 ", \"tally\": {\"by\": [\"kind\"], \"month\": \"created_at\"}"

static int use_pg;
static jg_db *db;
static scratch_db scratch;

/* ---- loading ---- */

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (doc == NULL)
        fail_msg("test JSON: %s: %s", jerr.text, text);
    return doc;
}

/* Load text; JG_OK or the loader's message in err. */
static jg_rc load(const char *text, jg_entity *e, char *err, size_t errlen)
{
    json_t *doc = parse(text);
    jg_rc rc = jg_entity_load(doc, e, err, errlen);
    json_decref(doc);
    return rc;
}

static void refused(const char *tally, const char *want)
{
    char text[4096], err[512] = "";
    snprintf(text, sizeof(text), "%s%s%s}", HEAD(1), FIELDS, tally);
    jg_entity e;
    if (load(text, &e, err, sizeof(err)) == JG_OK) {
        jg_entity_free(&e);
        fail_msg("accepted: %s", tally);
    }
    if (strstr(err, want) == NULL)
        fail_msg("got  %s\nwant %s", err, want);
}

static void declarations_are_checked(void **state)
{
    (void)state;
    refused(", \"tally\": []", "tally: must be an object");
    refused(", \"tally\": {\"by\": []}", "tally.by: must be an array of 1..6");
    refused(", \"tally\": {\"by\": [\"kind\"], \"every\": 1}", "tally.every: unknown key");
    refused(", \"tally\": {\"by\": [\"nope\"]}", "tally.by[0]: \"nope\" is not a field of thing");
    refused(", \"tally\": {\"by\": [\"title\"]}", "tally.by[0]: \"title\" is a string field");
    refused(", \"tally\": {\"by\": [\"kind\", \"kind\"]}", "tally.by[1]: \"kind\" is named twice");
    refused(", \"tally\": {\"by\": [1]}", "tally.by[0]: must be a field name");
    refused(", \"tally\": {\"by\": [\"kind\"], \"month\": \"title\"}", "tally.month: must name a date field");
    refused(", \"children\": [{\"name\": \"tally\", \"label\": \"明细\", \"fields\": [{\"name\": \"x\", "
            "\"label\": \"数量\", \"type\": \"integer\"}]}], \"tally\": {\"by\": [\"kind\"]}",
            "a child table called \"tally\"");
}

static void the_table_has_scope_and_state_first(void **state)
{
    (void)state;
    jg_entity e;
    char err[256];
    assert_int_equal(load(DOC(1, TALLY1), &e, err, sizeof(err)), JG_OK);
    jg_tally_spec s;
    assert_int_equal(jg_tally_spec_of(&e, &s), JG_OK);
    assert_int_equal(s.ncols, 4);
    assert_string_equal(s.cols[0], "org_code"); /* the scope's region, though not declared, leads */
    assert_string_equal(s.cols[1], "state");
    assert_null(s.fields[1]);
    assert_string_equal(s.cols[2], "kind");
    assert_string_equal(s.cols[3], "flag");
    assert_string_equal(s.month, "due_on");
    assert_int_equal(jg_tally_col(&s, "flag"), 3);
    assert_int_equal(jg_tally_col(&s, "title"), -1);
    jg_entity_free(&e);
    assert_int_equal(load(DOC(1, TALLY2), &e, err, sizeof(err)), JG_OK);
    assert_int_equal(jg_tally_spec_of(&e, &s), JG_OK);
    assert_string_equal(s.month, JG_TALLY_CREATED_AT);
    jg_entity_free(&e);
    assert_int_equal(load(DOC(1, ""), &e, err, sizeof(err)), JG_OK);
    assert_int_equal(jg_tally_spec_of(&e, &s), JG_NOTFOUND);
    jg_entity_free(&e);
}

/* ---- parameters ---- */

static jg_rc parse_q(const jg_entity *e, const char *by, const char *month, jg_tally_query *q,
                     const char **param, char *msg)
{
    jg_tally_spec s;
    int has = jg_tally_spec_of(e, &s) == JG_OK;
    return jg_tally_parse(e, has ? &s : NULL, by, month, q, param, msg, 256);
}

static void bad(const jg_entity *e, const char *by, const char *month, const char *param, const char *want)
{
    jg_tally_query q;
    const char *p = NULL;
    char msg[256] = "";
    if (parse_q(e, by, month, &q, &p, msg) != JG_INVALID)
        fail_msg("accepted by=%s month=%s", by, month);
    assert_string_equal(p, param);
    if (strstr(msg, want) == NULL)
        fail_msg("by=%s month=%s: got %s, want %s", by, month, msg, want);
}

static void parameters_are_parsed(void **state)
{
    (void)state;
    jg_entity e;
    char err[256];
    assert_int_equal(load(DOC(1, TALLY1), &e, err, sizeof(err)), JG_OK);
    jg_tally_query q;
    const char *p;
    char msg[256];
    assert_int_equal(parse_q(&e, "state,org_code:city,month,flag", "2026-01..2026-12", &q, &p, msg), JG_OK);
    assert_int_equal(q.nby, 4);
    assert_string_equal(q.by[0].name, "state");
    assert_null(q.by[0].field);
    assert_string_equal(q.by[1].name, "org_code");
    assert_int_equal(q.by[1].level, JG_TALLY_CITY);
    assert_string_equal(q.by[2].name, "month");
    assert_string_equal(q.by[3].field->name, "flag");
    assert_string_equal(q.from, "2026-01");
    assert_string_equal(q.to, "2026-12");
    assert_int_equal(parse_q(&e, "org_code:county", "2026-03", &q, &p, msg), JG_OK);
    assert_int_equal(q.by[0].level, JG_TALLY_COUNTY);
    assert_string_equal(q.from, "2026-03");
    assert_string_equal(q.to, "2026-03");
    assert_int_equal(parse_q(&e, "org_code:province", "..2026-06", &q, &p, msg), JG_OK);
    assert_int_equal(q.by[0].level, JG_TALLY_PROVINCE);
    assert_string_equal(q.from, "");
    assert_string_equal(q.to, "2026-06");
    assert_int_equal(parse_q(&e, "kind", "2025-11..", &q, &p, msg), JG_OK);
    assert_string_equal(q.from, "2025-11");
    assert_string_equal(q.to, "");
    /* any enum, region or boolean field may be asked for, declared or not (a count answers) */
    assert_int_equal(parse_q(&e, "kind", NULL, &q, &p, msg), JG_OK);

    bad(&e, NULL, NULL, "by", "请指定统计维度");
    bad(&e, "", NULL, "by", "请指定统计维度");
    bad(&e, "title", NULL, "by", "不能按“title”统计");
    bad(&e, "nope", NULL, "by", "不能按“nope”统计");
    bad(&e, "x\xff", NULL, "by", "不能按“?”统计");
    bad(&e, "state,", NULL, "by", "统计维度不正确");
    bad(&e, ",state", NULL, "by", "统计维度不正确");
    bad(&e, "state,state", NULL, "by", "重复");
    bad(&e, "state,kind,flag,month,org_code", NULL, "by", "最多 4 个");
    bad(&e, "kind:city", NULL, "by", "只有地区字段");
    bad(&e, "org_code:town", NULL, "by", "county、city 或 province");
    bad(&e, "org_code:", NULL, "by", "county、city 或 province");
    bad(&e, "state", "2026-13", "month", "月份范围");
    bad(&e, "state", "2026-1", "month", "月份范围");
    bad(&e, "state", "2026-12..2026-01", "month", "月份范围");
    bad(&e, "state", "..", "month", "月份范围");
    bad(&e, "state", "2026-01...2026-02", "month", "月份范围");
    bad(&e, "state", "0999-01", "month", "月份范围");
    jg_entity_free(&e);
    assert_int_equal(load(DOC(1, ""), &e, err, sizeof(err)), JG_OK); /* no tally: no month */
    bad(&e, "month", NULL, "by", "没有设置统计月份");
    bad(&e, "state", "2026-01", "month", "没有设置统计月份");
    assert_int_equal(parse_q(&e, "state,kind", NULL, &q, &p, msg), JG_OK);
    jg_entity_free(&e);
}

static int served(const jg_tally_spec *s, const char *filter)
{
    json_t *f = filter != NULL ? parse(filter) : NULL;
    int r = jg_tally_filter_served(s, f);
    json_decref(f);
    return r;
}

static void filters_on_counted_columns_are_served(void **state)
{
    (void)state;
    jg_entity e;
    char err[256];
    assert_int_equal(load(DOC(1, TALLY1), &e, err, sizeof(err)), JG_OK);
    jg_tally_spec s;
    assert_int_equal(jg_tally_spec_of(&e, &s), JG_OK);
    assert_true(served(&s, NULL));
    assert_true(served(&s, "null"));
    assert_true(served(&s, "{\"field\": \"state\", \"op\": \"eq\", \"value\": \"draft\"}"));
    assert_true(served(&s, "{\"field\": \"kind\", \"op\": \"in\", \"value\": [\"building\"]}"));
    assert_true(served(&s, "{\"and\": [{\"field\": \"flag\", \"op\": \"eq\", \"value\": true}, {\"or\": ["
                           "{\"field\": \"org_code\", \"op\": \"eq\", \"value\": \"350102\"}]}]}"));
    assert_false(served(&s, "{\"field\": \"state\", \"op\": \"ne\", \"value\": \"draft\"}"));
    assert_false(served(&s, "{\"field\": \"org_code\", \"op\": \"like\", \"value\": \"3501%\"}"));
    assert_false(served(&s, "{\"field\": \"kind\", \"op\": \"null\", \"value\": true}"));
    assert_false(served(&s, "{\"field\": \"title\", \"op\": \"eq\", \"value\": \"x\"}"));
    assert_false(served(&s, "{\"field\": \"due_on\", \"op\": \"eq\", \"value\": \"2026-01-01\"}"));
    assert_false(served(&s, "{\"not\": {\"field\": \"state\", \"op\": \"eq\", \"value\": \"draft\"}}"));
    assert_false(served(&s, "{\"and\": [{\"field\": \"state\", \"op\": \"eq\", \"value\": \"draft\"}, "
                            "{\"field\": \"title\", \"op\": \"eq\", \"value\": \"x\"}]}"));
    assert_false(served(&s, "{\"and\": {}}"));
    assert_false(served(&s, "[1]"));
    jg_entity_free(&e);
}

/* ---- the table on a database ---- */

static int setup(void **state)
{
    (void)state;
    db = scratch_open(&scratch, use_pg, "jg_unit_tally");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    scratch_close(&scratch);
    db = NULL;
    return 0;
}

static void exec_ok(const char *sql)
{
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    jg_rc rc = jg_db_script(c, sql);
    jg_db_release(c);
    if (rc != JG_OK)
        fail_msg("%s: %s", jg_rc_name(rc), sql);
}

static int64_t scalar(const char *sql)
{
    jg_rows *r = NULL;
    jg_rc rc = jg_db_read(db, sql, NULL, 0, &r);
    if (rc != JG_OK)
        fail_msg("%s: %s", jg_rc_name(rc), sql);
    assert_int_equal(jg_rows_count(r), 1);
    int64_t v = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return v;
}

static void sync_ok(const char *text)
{
    jg_entity_set set = {calloc(1, sizeof(jg_entity)), 0};
    char err[512] = "";
    if (load(text, &set.entities[0], err, sizeof(err)) != JG_OK)
        fail_msg("test definition: %s", err);
    set.nentities = 1;
    jg_rc rc = jg_schema_sync(db, &set, 0, err, sizeof(err));
    jg_entity_set_free(&set);
    if (rc != JG_OK)
        fail_msg("sync: %s: %s", jg_rc_name(rc), err);
}

/* The groups of the records and those of the tally table (n > 0) are the same, in both directions. */
static const char GROUPS1[] =
    "SELECT state, coalesce(org_code, ''), coalesce(kind, ''), coalesce(flag, -1),"
    " coalesce(substr(due_on, 1, 7), ''), count(*) FROM e_thing GROUP BY 1, 2, 3, 4, 5";
static const char TALLY1_ROWS[] =
    "SELECT state, org_code, kind, flag, month__, n__ FROM e_thing__tally WHERE n__ <> 0";

static void same_groups(const char *groups, const char *tally)
{
    char sql[1024];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s) x", groups, tally);
    int64_t missing = scalar(sql);
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s) x", tally, groups);
    int64_t extra = scalar(sql);
    if (missing != 0 || extra != 0)
        fail_msg("tally differs from the records: %lld groups missing, %lld extra", (long long)missing,
                 (long long)extra);
}

#define INSERT                                                                                               \
    "INSERT INTO e_thing (state, created_at, updated_at, org_code, kind, flag, due_on, title) VALUES "

static void counts_follow_every_write(void **state)
{
    (void)state;
    exec_ok("CREATE TABLE tally_probe (x INTEGER)"); /* something else in the schema */
    sync_ok(DOC(1, TALLY1));
    assert_int_equal(scalar("SELECT count(*) FROM e_thing__tally"), 0);
    exec_ok(INSERT
            "('draft', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '350102', 'building', 1, "
            "'2026-03-05', 'a'),"
            "('draft', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '350102', 'building', 1, "
            "'2026-03-20', 'b'),"
            "('draft', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '350203', NULL, NULL, NULL, 'c'),"
            "('done', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL, 'road', 0, '2026-04-01', 'd')");
    same_groups(GROUPS1, TALLY1_ROWS);
    assert_int_equal(
        scalar("SELECT n__ FROM e_thing__tally WHERE state = 'draft' AND org_code = '350102' AND "
               "kind = 'building' AND flag = 1 AND month__ = '2026-03'"),
        2);
    assert_int_equal(
        scalar("SELECT n__ FROM e_thing__tally WHERE org_code = '350203' AND kind = '' AND flag = -1"
               " AND month__ = ''"),
        1);
    /* an update that moves one record to another group, one that changes nothing counted, a day in
     * the same month, a state change, a bulk update, deletes */
    exec_ok("UPDATE e_thing SET kind = 'road' WHERE title = 'a'");
    same_groups(GROUPS1, TALLY1_ROWS);
    assert_int_equal(scalar("SELECT n__ FROM e_thing__tally WHERE state = 'draft' AND kind = 'building'"), 1);
    exec_ok("UPDATE e_thing SET title = 'bb', due_on = '2026-03-21' WHERE title = 'b'");
    exec_ok("UPDATE e_thing SET state = 'done' WHERE title = 'c'");
    same_groups(GROUPS1, TALLY1_ROWS);
    exec_ok("UPDATE e_thing SET flag = 0, due_on = '2026-05-01'");
    same_groups(GROUPS1, TALLY1_ROWS);
    exec_ok("UPDATE e_thing SET state = 'deleted' WHERE title = 'd'");
    exec_ok("DELETE FROM e_thing WHERE title = 'bb'");
    same_groups(GROUPS1, TALLY1_ROWS);
    assert_int_equal(scalar("SELECT sum(n__) FROM e_thing__tally"), 3);
    /* a bulk load in SQL */
    exec_ok("INSERT INTO e_thing (state, created_at, updated_at, org_code, kind, flag, due_on, title)"
            " SELECT state, created_at, updated_at, org_code, kind, flag, due_on, title || 'x' FROM e_thing");
    exec_ok("INSERT INTO e_thing (state, created_at, updated_at, org_code, kind, flag, due_on, title)"
            " SELECT state, created_at, updated_at, org_code, kind, flag, due_on, title || 'y' FROM e_thing");
    same_groups(GROUPS1, TALLY1_ROWS);
    assert_int_equal(scalar("SELECT sum(n__) FROM e_thing__tally"), 12);
    assert_int_equal(scalar("SELECT sum(n__) FROM e_thing__tally"), scalar("SELECT count(*) FROM e_thing"));
    /* syncing the same definition again changes nothing */
    sync_ok(DOC(1, TALLY1));
    same_groups(GROUPS1, TALLY1_ROWS);
}

static void a_changed_declaration_is_rebuilt_from_the_records(void **state)
{
    (void)state;
    sync_ok(DOC(1, ""));
    exec_ok(INSERT
            "('draft', '2026-01-31T17:00:00Z', '2026-01-01T00:00:00Z', '350102', 'building', 1, NULL, 'a'),"
            "('done', '2026-01-31T15:59:59Z', '2026-01-01T00:00:00Z', '350102', 'building', 1, NULL, 'b')");
    sync_ok(DOC(2, TALLY1)); /* made and filled from the records there */
    same_groups(GROUPS1, TALLY1_ROWS);
    assert_int_equal(scalar("SELECT sum(n__) FROM e_thing__tally"), 2);
    sync_ok(DOC(3, TALLY2)); /* other columns: made again */
    /* created_at in Beijing time: 17:00 UTC on 31 January is 1 February there */
    assert_int_equal(scalar("SELECT n__ FROM e_thing__tally WHERE month__ = '2026-02'"), 1);
    assert_int_equal(scalar("SELECT n__ FROM e_thing__tally WHERE month__ = '2026-01'"), 1);
    exec_ok(INSERT
            "('draft', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z', '350102', 'building', 1, NULL, 'c')");
    assert_int_equal(scalar("SELECT n__ FROM e_thing__tally WHERE month__ = '2026-02' AND state = 'draft'"),
                     2);
    sync_ok(DOC(4, "")); /* no longer declared: dropped, triggers too */
    assert_int_equal(scalar(use_pg ? "SELECT count(*) FROM pg_tables WHERE tablename = 'e_thing__tally'"
                                   : "SELECT count(*) FROM sqlite_master WHERE name LIKE 'e_thing__tally%'"),
                     0);
    exec_ok(INSERT
            "('draft', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z', '350102', 'building', 1, NULL, 'd')");
}

static jg_rc grow(jg_conn *c, void *ud)
{
    (void)ud;
    return jg_db_script(c,
                        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 20000)"
                        " INSERT INTO e_thing (state, created_at, updated_at, org_code, kind, title)"
                        " SELECT 'draft', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '3501' || (n % 10),"
                        " 'building', 'x' || n FROM g");
}

static jg_rc grow_a_little(jg_conn *c, void *ud)
{
    (void)ud;
    return jg_db_script(c, "INSERT INTO e_thing (state, created_at, updated_at, org_code, title)"
                           " SELECT state, created_at, updated_at, org_code, title FROM e_thing LIMIT 100");
}

/* SQLite: the writer refreshes the planner's statistics after a write transaction that finds the
 * database grown by a quarter (db.c), so the lists of a grown table are planned with them. */
static void statistics_follow_growth(void **state)
{
    (void)state;
    if (use_pg)
        skip();
    sync_ok(DOC(1, TALLY1));
    assert_int_equal(jg_db_tx(db, grow, NULL), JG_OK);
    jg_rows *r = NULL;
    assert_int_equal(
        jg_db_read(db, "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_e_thing__org_code'", NULL, 0, &r),
        JG_OK);
    assert_int_equal(jg_rows_count(r), 1);
    assert_true(strtoll(jg_rows_text(r, 0, 0), NULL, 10) >= 10000); /* sampled: an estimate of 20000 rows */
    char first[128];
    snprintf(first, sizeof(first), "%s", jg_rows_text(r, 0, 0));
    jg_rows_free(r);
    /* and again only after the next quarter of growth: the same statistics after a small write */
    assert_int_equal(jg_db_tx(db, grow_a_little, NULL), JG_OK);
    assert_int_equal(
        jg_db_read(db, "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_e_thing__org_code'", NULL, 0, &r),
        JG_OK);
    assert_string_equal(jg_rows_text(r, 0, 0), first);
    jg_rows_free(r);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest pure[] = {
    cmocka_unit_test(declarations_are_checked),
    cmocka_unit_test(the_table_has_scope_and_state_first),
    cmocka_unit_test(parameters_are_parsed),
    cmocka_unit_test(filters_on_counted_columns_are_served),
};
static const struct CMUnitTest tables[] = {
    T(counts_follow_every_write),
    T(a_changed_declaration_is_rebuilt_from_the_records),
    T(statistics_follow_growth),
};

int main(void)
{
    int failed = _cmocka_run_group_tests("entity_tally", pure, sizeof(pure) / sizeof(pure[0]), NULL, NULL);
    use_pg = 0;
    failed += _cmocka_run_group_tests("entity_tally_sqlite", tables, sizeof(tables) / sizeof(tables[0]), NULL,
                                      NULL);
    if (getenv("JIANGUAN_TEST_PG") == NULL) {
        printf("JIANGUAN_TEST_PG is not set: the PostgreSQL group is skipped\n");
        return failed;
    }
    use_pg = 1;
    failed +=
        _cmocka_run_group_tests("entity_tally_pgsql", tables, sizeof(tables) / sizeof(tables[0]), NULL, NULL);
    return failed;
}
