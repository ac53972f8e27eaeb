/* Unit tests for src/engine/entity/search.c and search_schema.c: query parsing (trim, words,
 * limits, Chinese counted as characters), LIKE patterns, snippets with character ranges (UTF-8
 * safe, windows, merging), and the SQLite index: built from existing rows, kept in step by the
 * triggers, rebuilt when the searchable fields change, dropped when none is left. */
#include "base/text.h"
#include "db/db.h"
#include "engine/entity/search.h"

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

static jg_search_query parse_ok(const char *q, char *buf, size_t len)
{
    jg_search_query out;
    const char *msg = NULL;
    assert_int_equal(jg_search_parse(q, buf, len, &out, &msg), JG_OK);
    return out;
}

static const char *parse_bad(const char *q)
{
    char buf[512];
    jg_search_query out;
    const char *msg = NULL;
    assert_int_equal(jg_search_parse(q, buf, sizeof(buf), &out, &msg), JG_INVALID);
    assert_non_null(msg);
    return msg;
}

static void parse_trims_and_splits(void **state)
{
    (void)state;
    char buf[256];
    jg_search_query q = parse_ok("  福州 鼓楼\t工程  ", buf, sizeof(buf));
    assert_int_equal(q.nwords, 3);
    assert_string_equal(q.words[0], "福州");
    assert_string_equal(q.words[1], "鼓楼");
    assert_string_equal(q.words[2], "工程");
    /* The ideographic space (U+3000) of Chinese input methods separates and is trimmed too. */
    q = parse_ok("\xE3\x80\x80"
                 "福州\xE3\x80\x80"
                 "鼓楼区\xE3\x80\x80",
                 buf, sizeof(buf));
    assert_int_equal(q.nwords, 2);
    assert_string_equal(q.words[0], "福州");
    assert_string_equal(q.words[1], "鼓楼区");
    q = parse_ok("BJ350102", buf, sizeof(buf));
    assert_int_equal(q.nwords, 1);
    assert_string_equal(q.words[0], "BJ350102");
}

static void parse_counts_characters(void **state)
{
    (void)state;
    char buf[512];
    /* 50 Chinese characters (150 bytes) pass, 51 do not. */
    char q[256] = "";
    for (int i = 0; i < 50; i++)
        strncat(q, "福", sizeof(q) - strlen(q) - 1);
    jg_search_query out = parse_ok(q, buf, sizeof(buf));
    assert_int_equal(out.nwords, 1);
    strncat(q, "州", sizeof(q) - strlen(q) - 1);
    assert_string_equal(parse_bad(q), "搜索内容不能超过50个字");
    /* Surrounding spaces do not count. */
    char padded[300];
    snprintf(padded, sizeof(padded), "   %.150s   ", q);
    parse_ok(padded, buf, sizeof(buf));
}

static void parse_refuses_bad_input(void **state)
{
    (void)state;
    assert_string_equal(parse_bad(""), "请输入搜索内容");
    assert_string_equal(parse_bad("   "), "请输入搜索内容");
    assert_string_equal(parse_bad("\xE3\x80\x80 "), "请输入搜索内容");
    assert_string_equal(parse_bad("\xFF\xFE"), "搜索内容不是有效的文字");
    assert_string_equal(parse_bad("a\x01"
                                  "b"),
                        "搜索内容不能含有控制字符");
    assert_string_equal(parse_bad("a b c d e f g h i j k"), "搜索词不能超过10个");
    char buf[8];
    jg_search_query out;
    const char *msg;
    assert_int_equal(jg_search_parse(NULL, buf, sizeof(buf), &out, &msg), JG_INVALID);
    assert_string_equal(msg, "请输入搜索内容");
}

static void like_pattern_escapes_wildcards(void **state)
{
    (void)state;
    char out[64];
    jg_search_like_pattern("100%", out);
    assert_string_equal(out, "%100\\%%");
    jg_search_like_pattern("a_b\\c", out);
    assert_string_equal(out, "%a\\_b\\\\c%");
    jg_search_like_pattern("鼓楼", out);
    assert_string_equal(out, "%鼓楼%");
}

/* The characters [start, start+len) of s, for checking a range. */
static const char *chars(const char *s, int start, int len)
{
    static char out[256];
    size_t i = 0, o = 0;
    int c = -1;
    for (; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            c++;
        if (c >= start && c < start + len && o < sizeof(out) - 1)
            out[o++] = s[i];
    }
    out[o] = '\0';
    return out;
}

static void snippet_ranges_point_at_matches(void **state)
{
    (void)state;
    char qb[64], out[256];
    jg_search_query q = parse_ok("鼓楼 abc", qb, sizeof(qb));
    jg_search_range r[8];
    int n = 0;
    const char *text = "福州市鼓楼区ABC路1号鼓楼";
    assert_int_equal(jg_search_snippet(text, &q, 60, out, sizeof(out), r, 8, &n), JG_OK);
    assert_string_equal(out, text); /* short: the whole text */
    assert_int_equal(n, 3);
    assert_int_equal(r[0].start, 3);
    assert_int_equal(r[0].len, 2);
    assert_string_equal(chars(out, r[0].start, r[0].len), "鼓楼");
    assert_string_equal(chars(out, r[1].start, r[1].len), "ABC"); /* ASCII without case */
    assert_int_equal(r[1].start, 6);
    assert_string_equal(chars(out, r[2].start, r[2].len), "鼓楼");
    assert_int_equal(r[2].start, 12);
    /* No word: not found. */
    q = parse_ok("厦门", qb, sizeof(qb));
    assert_int_equal(jg_search_snippet(text, &q, 60, out, sizeof(out), r, 8, &n), JG_NOTFOUND);
    assert_int_equal(n, 0);
}

static void snippet_merges_overlaps(void **state)
{
    (void)state;
    char qb[64], out[256];
    jg_search_range r[8];
    int n = 0;
    jg_search_query q = parse_ok("福州 州市 aa", qb, sizeof(qb));
    assert_int_equal(jg_search_snippet("福州市 aaa", &q, 60, out, sizeof(out), r, 8, &n), JG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].start, 0);
    assert_int_equal(r[0].len, 3); /* 福州 + 州市 */
    assert_int_equal(r[1].start, 4);
    assert_int_equal(r[1].len, 3); /* aa at 4 and at 5 */
    /* Touching matches become one range. */
    assert_int_equal(jg_search_snippet("福州市aa", &q, 60, out, sizeof(out), r, 8, &n), JG_OK);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].len, 5);
}

static void snippet_windows_long_text(void **state)
{
    (void)state;
    char text[2048] = "", qb[64], out[2100];
    for (int i = 0; i < 100; i++)
        strncat(text, "工", sizeof(text) - strlen(text) - 1);
    strncat(text, "鼓楼区", sizeof(text) - strlen(text) - 1);
    for (int i = 0; i < 100; i++)
        strncat(text, "程", sizeof(text) - strlen(text) - 1);
    jg_search_query q = parse_ok("鼓楼区", qb, sizeof(qb));
    jg_search_range r[8];
    int n = 0;
    assert_int_equal(jg_search_snippet(text, &q, 20, out, sizeof(out), r, 8, &n), JG_OK);
    /* "…" + 20 characters + "…", the match 5 characters into the window. */
    assert_int_equal(jg_utf8_chars(out), 22);
    assert_memory_equal(out, "\xE2\x80\xA6", 3);
    assert_memory_equal(out + strlen(out) - 3, "\xE2\x80\xA6", 3);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].start, 6);
    assert_string_equal(chars(out, r[0].start, r[0].len), "鼓楼区");
    /* A match at the very end: the window ends there, no "…" after. */
    q = parse_ok("程程程", qb, sizeof(qb));
    char tail[64];
    snprintf(tail, sizeof(tail), "%s", "甲乙丙丁戊己庚辛壬癸程程程");
    assert_int_equal(jg_search_snippet(tail, &q, 5, out, sizeof(out), r, 8, &n), JG_OK);
    assert_string_equal(out, "\xE2\x80\xA6"
                             "壬癸程程程");
    assert_string_equal(chars(out, r[0].start, r[0].len), "程程程");
    /* A match longer than the window is clipped to it. */
    q = parse_ok("丙丁戊己", qb, sizeof(qb));
    assert_int_equal(jg_search_snippet("甲乙丙丁戊己庚", &q, 3, out, sizeof(out), r, 8, &n), JG_OK);
    assert_string_equal(out, "\xE2\x80\xA6"
                             "丙丁戊"
                             "\xE2\x80\xA6");
    assert_int_equal(n, 1);
    assert_int_equal(r[0].start, 1);
    assert_string_equal(chars(out, r[0].start, r[0].len), "丙丁戊");
}

static void snippet_refuses_small_buffers(void **state)
{
    (void)state;
    char qb[16], out[8];
    jg_search_range r[2];
    int n;
    jg_search_query q = parse_ok("ab", qb, sizeof(qb));
    assert_int_equal(jg_search_snippet("abcdef", &q, 60, out, sizeof(out), r, 2, &n), JG_TOOLARGE);
}

/* ---- the SQLite index ---- */

static jg_field doc_fields[] = {
    {.name = "title", .label = "标题", .type = JG_FIELD_STRING, .searchable = 1},
    {.name = "body", .label = "正文", .type = JG_FIELD_TEXT, .searchable = 1},
    {.name = "code", .label = "编号", .type = JG_FIELD_STRING},
};
static jg_entity doc = {.name = "doc", .label = "文档", .table = "e_doc", .fields = doc_fields, .nfields = 3};

static int64_t matches(jg_conn *c, const char *q)
{
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(q)};
    assert_int_equal(jg_db_query(c, "SELECT count(*) FROM e_doc__fts WHERE e_doc__fts MATCH $1", p, 1, &r),
                     JG_OK);
    int64_t n = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return n;
}

static void exec(jg_conn *c, const char *sql)
{
    assert_int_equal(jg_db_script(c, sql), JG_OK);
}

static void sqlite_index_body(jg_db *db)
{
    jg_conn *c;
    char err[256];
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    exec(c,
         "CREATE TABLE e_doc (id INTEGER PRIMARY KEY AUTOINCREMENT, state TEXT, title TEXT, body TEXT, code "
         "TEXT);"
         "INSERT INTO e_doc (state, title, body, code) VALUES ('a', '福州市鼓楼区工程', 'ABC', '鼓楼区X')");
    /* Built from the rows there already. */
    assert_int_equal(jg_search_schema_sync(c, &doc, err, sizeof(err)), JG_OK);
    assert_int_equal(matches(c, "\"鼓楼区\""), 1);
    assert_int_equal(matches(c, "\"abc\""), 1);
    /* A second sync changes nothing (the index is still there and right). */
    assert_int_equal(jg_search_schema_sync(c, &doc, err, sizeof(err)), JG_OK);
    assert_int_equal(matches(c, "\"鼓楼区\""), 1);
    /* Triggers: insert, update of a searchable field, delete. */
    exec(c, "INSERT INTO e_doc (state, title, body) VALUES ('a', '厦门市思明区', NULL)");
    assert_int_equal(matches(c, "\"思明区\""), 1);
    exec(c, "UPDATE e_doc SET title = '厦门市湖里区' WHERE title = '厦门市思明区'");
    assert_int_equal(matches(c, "\"思明区\""), 0);
    assert_int_equal(matches(c, "\"湖里区\""), 1);
    exec(c, "UPDATE e_doc SET state = 'deleted'"); /* not a searchable field: no index change */
    exec(c, "DELETE FROM e_doc WHERE title = '厦门市湖里区'");
    assert_int_equal(matches(c, "\"湖里区\""), 0);
    assert_int_equal(matches(c, "\"鼓楼区\""), 1);
    /* The searchable fields change: rebuilt, now code is found and body is not. */
    doc_fields[1].searchable = 0;
    doc_fields[2].searchable = 1;
    assert_int_equal(jg_search_schema_sync(c, &doc, err, sizeof(err)), JG_OK);
    assert_int_equal(matches(c, "\"鼓楼区x\""), 1);
    assert_int_equal(matches(c, "\"abc\""), 0); /* body is no longer indexed */
    jg_rows *r = NULL;
    /* None left: the index and its triggers go. */
    doc_fields[0].searchable = doc_fields[2].searchable = 0;
    assert_int_equal(jg_search_schema_sync(c, &doc, err, sizeof(err)), JG_OK);
    assert_int_equal(
        jg_db_query(c, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'e_doc\\_\\_fts%' ESCAPE '\\'",
                    NULL, 0, &r),
        JG_OK);
    assert_int_equal(jg_rows_int(r, 0, 0), 0);
    jg_rows_free(r);
    exec(c, "INSERT INTO e_doc (state, title) VALUES ('a', 'x')"); /* no trigger left behind */
    doc_fields[0].searchable = doc_fields[1].searchable = 1;
    jg_db_release(c);
}

static void sqlite_index_follows_the_table(void **state)
{
    (void)state;
    run_on_sqlite(sqlite_index_body, 1);
}

/* ---- the PostgreSQL index (skipped without JIANGUAN_TEST_PG) ---- */

static char pg_table[32];

static int64_t pg_count(jg_conn *c, const char *word)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM %s WHERE search__bigrams @> jg_search_bigrams(lower($1))", pg_table);
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(word)};
    assert_int_equal(jg_db_query(c, sql, p, 1, &r), JG_OK);
    int64_t n = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return n;
}

/* The names of the sx_ indexes of the table, comma-separated. */
static const char *pg_indexes(jg_conn *c)
{
    static char out[512];
    jg_rows *r = NULL;
    jg_value p[] = {JG_VTEXT(pg_table)};
    assert_int_equal(jg_db_query(c,
                                 "SELECT string_agg(indexname, ',') FROM pg_indexes WHERE tablename = $1"
                                 " AND indexname LIKE 'sx%'",
                                 p, 1, &r),
                     JG_OK);
    snprintf(out, sizeof(out), "%s", jg_rows_text(r, 0, 0) != NULL ? jg_rows_text(r, 0, 0) : "");
    jg_rows_free(r);
    return out;
}

static void pg_index_body(jg_db *db)
{
    jg_conn *c;
    char err[256], sql[1024], first[512];
    snprintf(pg_table, sizeof(pg_table), "e_doc%d", (int)getpid());
    jg_entity e = doc;
    e.table = pg_table;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    snprintf(
        sql, sizeof(sql),
        "DROP TABLE IF EXISTS %s; CREATE TABLE %s (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " state TEXT, title TEXT, body TEXT, code TEXT);"
        "INSERT INTO %s (state, title, body, code) VALUES ('a', '福州市鼓楼区工程', 'ABC', '厦门X')",
        pg_table, pg_table, pg_table);
    exec(c, sql);
    assert_int_equal(jg_search_schema_sync(c, &e, err, sizeof(err)), JG_OK);
    snprintf(first, sizeof(first), "%s", pg_indexes(c));
    assert_non_null(strstr(first, "sx_"));
    assert_int_equal(pg_count(c, "鼓楼"), 1); /* 2 characters: one bigram */
    assert_int_equal(pg_count(c, "abc"), 1);  /* lower-cased on both sides */
    assert_int_equal(pg_count(c, "厦门"), 0); /* code is not searchable */
    /* Unchanged: nothing happens (same index). */
    assert_int_equal(jg_search_schema_sync(c, &e, err, sizeof(err)), JG_OK);
    assert_string_equal(pg_indexes(c), first);
    /* Writes: the generated column follows. */
    snprintf(sql, sizeof(sql), "UPDATE %s SET title = '思明区'", pg_table);
    exec(c, sql);
    assert_int_equal(pg_count(c, "鼓楼"), 0);
    assert_int_equal(pg_count(c, "思明"), 1);
    /* Another set of fields: a new index, code found. */
    doc_fields[2].searchable = 1;
    assert_int_equal(jg_search_schema_sync(c, &e, err, sizeof(err)), JG_OK);
    assert_string_not_equal(pg_indexes(c), first);
    assert_int_equal(pg_count(c, "厦门"), 1);
    /* A searchable column renamed aside (a destructive change) and made anew: rebuilt on it. */
    snprintf(first, sizeof(first), "%s", pg_indexes(c));
    snprintf(sql, sizeof(sql),
             "ALTER TABLE %s RENAME COLUMN code TO code__v1; ALTER TABLE %s ADD COLUMN code TEXT", pg_table,
             pg_table);
    exec(c, sql);
    assert_int_equal(pg_count(c, "厦门"), 1); /* still computed from the old column */
    assert_int_equal(jg_search_schema_sync(c, &e, err, sizeof(err)), JG_OK);
    assert_int_equal(pg_count(c, "厦门"), 0);
    /* None left: column and index gone. */
    doc_fields[0].searchable = doc_fields[1].searchable = doc_fields[2].searchable = 0;
    assert_int_equal(jg_search_schema_sync(c, &e, err, sizeof(err)), JG_OK);
    assert_string_equal(pg_indexes(c), "");
    doc_fields[0].searchable = doc_fields[1].searchable = 1;
    snprintf(sql, sizeof(sql), "DROP TABLE %s", pg_table);
    exec(c, sql);
    (void)jg_db_script(c, "DROP FUNCTION IF EXISTS jg_search_bigrams(text)"); /* the shared database: tidy */
    jg_db_release(c);
}

static void pgsql_index_follows_the_table(void **state)
{
    (void)state;
    run_on_pgsql(pg_index_body);
}

static void child_named_fts_is_refused(void **state)
{
    (void)state;
    jg_entity child = {.name = "fts_notes", .label = "备注", .table = "e_doc__fts_notes"};
    jg_entity parent = doc;
    parent.children = &child;
    parent.nchildren = 1;
    char err[256] = "";
    /* Refused before any SQL: no connection needed. */
    assert_int_equal(jg_search_schema_sync(NULL, &parent, err, sizeof(err)), JG_CONFLICT);
    assert_non_null(strstr(err, "doc.fts_notes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_trims_and_splits),          cmocka_unit_test(parse_counts_characters),
        cmocka_unit_test(parse_refuses_bad_input),         cmocka_unit_test(like_pattern_escapes_wildcards),
        cmocka_unit_test(snippet_ranges_point_at_matches), cmocka_unit_test(snippet_merges_overlaps),
        cmocka_unit_test(snippet_windows_long_text),       cmocka_unit_test(snippet_refuses_small_buffers),
        cmocka_unit_test(sqlite_index_follows_the_table),  cmocka_unit_test(pgsql_index_follows_the_table),
        cmocka_unit_test(child_named_fts_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
