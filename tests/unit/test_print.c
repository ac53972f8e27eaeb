/* Unit tests for printing (src/engine/entity/print_format.c, def_print.c, print_doc.c): codes, the
 * canonical digest input and the signed text, value formatting, template checking, the values a
 * template signs, and that a print-only change of a definition syncs with no schema change. */
#include "crypto/crypto.h"
#include "db/migrate.h"
#include "engine/docs/pdf.h"
#include "engine/entity/print.h"
#include "engine/entity/schema.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static void codes(void **state)
{
    (void)state;
    const unsigned char v[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    char out[JG_PRINT_CODE_LEN + 1];
    jg_print_code_of(v, out);
    assert_string_equal(out, "AAAQEAYEAUDAOCAJ"); /* RFC 4648 base32 of the same bytes */
    const unsigned char ff[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    jg_print_code_of(ff, out);
    assert_string_equal(out, "7777777777777777");
    char a[JG_PRINT_CODE_LEN + 1], b[JG_PRINT_CODE_LEN + 1], n[JG_PRINT_CODE_LEN + 1];
    assert_int_equal(jg_print_code_new(a), JG_OK);
    assert_int_equal(jg_print_code_new(b), JG_OK);
    assert_int_equal(strlen(a), 16);
    assert_string_not_equal(a, b);
    assert_true(jg_print_code_norm(a, n));
    assert_string_equal(n, a);
}

static void code_norm(void **state)
{
    (void)state;
    char n[JG_PRINT_CODE_LEN + 1];
    assert_true(jg_print_code_norm("abcdefgh234567qz", n));
    assert_string_equal(n, "ABCDEFGH234567QZ");
    const char *bad[] = {"",
                         "ABCDEFGH234567Q",
                         "ABCDEFGH234567QZA",
                         "ABCDEFGH2345670Z",
                         "ABCDEFGH2345671Z",
                         "ABCDEFGH234567Q8",
                         "ABCDEFGH-34567QZ",
                         "ABCDEFGH 34567QZ",
                         "ABCDEFGH23456\xe4\xb8",
                         "../../../etc/pas"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(jg_print_code_norm(bad[i], n));
        assert_string_equal(n, "");
    }
    assert_false(jg_print_code_norm(NULL, n));
}

static void canonical_and_digest(void **state)
{
    (void)state;
    json_t *x =
        json_loads("{\"b\": 1, \"a\": \"中文\", \"units\": [{\"z\": null, \"y\": \"12.50\"}]}", 0, NULL);
    json_t *y =
        json_loads("{\"units\": [{\"y\": \"12.50\", \"z\": null}], \"a\": \"中文\", \"b\": 1}", 0, NULL);
    char *text = jg_print_canonical(x);
    assert_string_equal(text, "{\"a\":\"中文\",\"b\":1,\"units\":[{\"y\":\"12.50\",\"z\":null}]}");
    char dx[65], dy[65], want[65];
    unsigned char d[JG_SM3_LEN];
    assert_int_equal(jg_sm3(text, strlen(text), d), JG_OK);
    jg_crypto_hex_encode(d, sizeof(d), want);
    free(text);
    assert_int_equal(jg_print_digest(x, dx), JG_OK);
    assert_int_equal(jg_print_digest(y, dy), JG_OK);
    assert_string_equal(dx, want);
    assert_string_equal(dx, dy); /* the order of keys does not matter */
    json_object_set_new(y, "b", json_integer(2));
    assert_int_equal(jg_print_digest(y, dy), JG_OK);
    assert_string_not_equal(dx, dy);
    json_decref(x);
    json_decref(y);
    char *s = jg_print_signed_text("AAAQEAYEAUDAOCAJ", "registration", 12, "receipt", 3, "ab",
                                   "2026-11-25T08:00:00.000Z");
    assert_string_equal(s,
                        "jg-print-v1|AAAQEAYEAUDAOCAJ|registration|12|receipt|3|ab|2026-11-25T08:00:00.000Z");
    free(s);
}

static void formatting(void **state)
{
    (void)state;
    char out[128];
    jg_print_money("98765432.10", out, sizeof(out));
    assert_string_equal(out, "98,765,432.10 元");
    jg_print_money("0.05", out, sizeof(out));
    assert_string_equal(out, "0.05 元");
    jg_print_money("-1000.00", out, sizeof(out));
    assert_string_equal(out, "-1,000.00 元");
    jg_print_money("abc", out, sizeof(out));
    assert_string_equal(out, "abc");
    jg_print_grouped("12345.60", out, sizeof(out));
    assert_string_equal(out, "12,345.60");
    jg_print_grouped("999", out, sizeof(out));
    assert_string_equal(out, "999");
    jg_print_grouped("1000000", out, sizeof(out));
    assert_string_equal(out, "1,000,000");
    jg_print_grouped("1.2.3", out, sizeof(out));
    assert_string_equal(out, "1.2.3");
    jg_print_date("2026-11-25", out, sizeof(out));
    assert_string_equal(out, "2026年11月25日");
    jg_print_date("2027-01-05", out, sizeof(out));
    assert_string_equal(out, "2027年1月5日");
    jg_print_date("2026/11/25", out, sizeof(out));
    assert_string_equal(out, "2026/11/25");
    jg_print_datetime("2026-11-25T16:30:00.000Z", out, sizeof(out)); /* UTC 16:30 is 00:30 next day */
    assert_string_equal(out, "2026年11月26日 00:30");
    jg_print_datetime("2026-11-25T08:05:09Z", out, sizeof(out));
    assert_string_equal(out, "2026年11月25日 16:05");
    jg_print_datetime("yesterday", out, sizeof(out));
    assert_string_equal(out, "yesterday");
}

/* ---- templates in definitions ---- */

static const char *demo(const char *print, char *buf, size_t n)
{
    snprintf(
        buf, n,
        "{\"name\": \"demo\", \"label\": \"演示\", \"version\": %s,"
        " \"fields\": [{\"name\": \"a\", \"label\": \"名称\", \"type\": \"string\"},"
        " {\"name\": \"p\", \"label\": \"电话\", \"type\": \"string\", \"class\": \"sensitive\"},"
        " {\"name\": \"s\", \"label\": \"密\", \"type\": \"string\", \"class\": \"secret\"},"
        " {\"name\": \"j\", \"label\": \"扩展\", \"type\": \"json\"}],"
        " \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [{\"name\": \"x\", \"label\": "
        "\"数量\", \"type\": \"integer\"}]}],"
        " \"states\": [{\"name\": \"draft\", \"label\": \"草稿\"}, {\"name\": \"done\", \"label\": "
        "\"办结\"}]%s}",
        print[0] == '2' ? "2" : "1", print[0] == '2' ? print + 1 : print);
    return buf;
}

static jg_rc load(const char *print, jg_entity *e, char *err, size_t errlen)
{
    char buf[4096];
    json_t *doc = json_loads(demo(print, buf, sizeof(buf)), 0, NULL);
    assert_non_null(doc);
    jg_rc rc = jg_entity_load(doc, e, err, errlen);
    json_decref(doc);
    return rc;
}

static void refused(const char *print, const char *want)
{
    jg_entity e;
    char err[512] = "";
    assert_int_equal(load(print, &e, err, sizeof(err)), JG_INVALID);
    if (strstr(err, want) == NULL)
        fail_msg("got \"%s\", want \"%s\"", err, want);
}

#define T(rest) ", \"print\": [{\"name\": \"n\", \"label\": \"通知\", \"title\": \"通知书\"" rest "}]"

static void templates(void **state)
{
    (void)state;
    jg_entity e;
    char err[512] = "";
    assert_int_equal(
        load(T(", \"states\": [\"done\"], \"subject\": \"a\", \"body\": [{\"heading\": \"基本\", "
               "\"columns\": 3, \"fields\": [\"id\", \"state\", \"a\", \"p\"]}, {\"child\": \"rows\", "
               "\"fields\": [\"x\"]}, {\"text\": \"正文\"}, {\"signature\": [\"盖章\", \"日期\"]}]"),
             &e, err, sizeof(err)),
        JG_OK);
    json_t *t = jg_print_template(&e, "n");
    assert_non_null(t);
    assert_null(jg_print_template(&e, "other"));
    assert_true(jg_print_state_ok(t, "done"));
    assert_false(jg_print_state_ok(t, "draft"));
    /* The values signed: the printed fields and the union of a child's printed columns. */
    json_t *rec =
        json_loads("{\"id\": 7, \"state\": \"done\", \"version\": 4, \"a\": \"甲\", \"p\": \"139****5678\","
                   " \"s\": \"x\", \"rows\": [{\"id\": 1, \"x\": 5}, {\"id\": 2, \"x\": null}]}",
                   0, NULL);
    json_t *v = jg_print_values(t, rec);
    char *text = jg_print_canonical(v);
    assert_string_equal(
        text,
        "{\"a\":\"甲\",\"id\":7,\"p\":\"139****5678\",\"rows\":[{\"x\":5},{\"x\":null}],\"state\":\"done\"}");
    free(text);
    json_decref(v);
    json_decref(rec);
    jg_entity_free(&e);

    refused(T(""), "print[0].body: must be an array of 1-50 blocks");
    refused(", \"print\": [{\"name\": \"n\", \"label\": \"通知\", \"body\": [{\"text\": \"正文\"}]}]",
            "print[0].title: required");
    refused(T(", \"body\": [{\"fields\": [\"s\"]}]"), "print[0].body[0].fields: item 0: not a field of demo");
    refused(T(", \"body\": [{\"fields\": [\"j\"]}]"), "print[0].body[0].fields: item 0: not a field of demo");
    refused(T(", \"body\": [{\"fields\": [\"a\", \"a\"]}]"), "item 1: \"a\" is named twice");
    refused(T(", \"body\": [{\"fields\": [\"a\"], \"columns\": 4}]"),
            "print[0].body[0].columns: must be between 1 and 3");
    refused(T(", \"body\": [{\"child\": \"nope\", \"fields\": [\"x\"]}]"),
            "print[0].body[0].child: not a child table");
    refused(T(", \"body\": [{\"child\": \"rows\", \"fields\": [\"a\"]}]"), "print[0].body[0].fields: item 0");
    refused(T(", \"body\": [{\"heading\": \"空\"}]"),
            "a block has \"fields\", \"child\", \"text\" or \"signature\"");
    refused(T(", \"body\": [{\"text\": \"正文\", \"fields\": [\"a\"]}]"),
            "print[0].body[0]: unknown key \"fields\"");
    refused(T(", \"body\": [{\"signature\": []}]"),
            "print[0].body[0].signature: must be an array of 1-4 texts");
    refused(T(", \"body\": [{\"signature\": [\"a\\nb\"]}]"),
            "print[0].body[0].signature[0].text: must be 1-30");
    refused(T(", \"states\": [\"gone\"], \"body\": [{\"text\": \"正文\"}]"),
            "print[0].states: item 0: not a state");
    refused(T(", \"subject\": \"p2\", \"body\": [{\"text\": \"正文\"}]"),
            "print[0].subject: \"p2\" is not a field");
    refused(T(", \"paper\": \"A3\", \"body\": [{\"text\": \"正文\"}]"), "print[0]: unknown key \"paper\"");
}

/* A new version that only adds a print template changes no table: the sync is clean. */
static void print_change_is_not_a_schema_change(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_make(&t);
    jg_db *db = tmpdb_open(&t, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(db, &applied), JG_OK);
    jg_entity_set set = {0};
    set.entities = calloc(1, sizeof(jg_entity));
    set.nentities = 1;
    char err[512] = "";
    assert_int_equal(load("", &set.entities[0], err, sizeof(err)), JG_OK);
    assert_int_equal(jg_schema_sync(db, &set, 0, err, sizeof(err)), JG_OK);
    jg_entity_free(&set.entities[0]);
    assert_int_equal(load("2" T(", \"body\": [{\"fields\": [\"a\"]}]"), &set.entities[0], err, sizeof(err)),
                     JG_OK);
    assert_int_equal(jg_schema_sync(db, &set, 0, err, sizeof(err)), JG_OK);
    assert_string_equal(err, "");
    assert_int_equal(db_scalar(db, "SELECT version FROM entity_def WHERE name = 'demo'"), 2);
    jg_entity_set_free(&set);
    jg_db_close(db);
    tmpdir_remove(t.dir);
}

/* The renderer: a PDF in memory, numbered pages, a table over several pages, the size cap. */
static void render(void **state)
{
    (void)state;
    const char *labels[] = {"名称", "金额"}, *values[] = {"测试", "1.00 元"};
    const char *head[] = {"序号", "内容"};
    static const char *cells[2 * 120];
    for (int i = 0; i < 120; i++) {
        cells[2 * i] = "1";
        cells[2 * i + 1] = "一行内容";
    }
    const char *sign[] = {"盖章", "日期"};
    jg_pdf_block blocks[] = {
        {.kind = JG_PDF_GRID,
         .heading = "概况",
         .columns = 2,
         .labels = labels,
         .values = values,
         .nitems = 2},
        {.kind = JG_PDF_TABLE,
         .heading = "明细",
         .columns = 2,
         .labels = head,
         .values = cells,
         .nitems = 120},
        {.kind = JG_PDF_TEXT, .text = "正文。"},
        {.kind = JG_PDF_SIGNATURE, .labels = sign, .nitems = 2},
    };
    jg_pdf_doc doc = {"页眉",   "标题",    blocks, 4, "https://example.cn/verify/AAAAAAAAAAAAAAAA",
                      "验证码", "打印时间"};
    char *pdf = NULL;
    size_t len = 0;
    int pages = 0;
    assert_int_equal(jg_pdf_render(&doc, 10 * 1024 * 1024, &pdf, &len, &pages), JG_OK);
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    assert_true(pages >= 2);
    free(pdf);
    pdf = NULL;
    assert_int_equal(jg_pdf_render(&doc, 2000, &pdf, &len, &pages), JG_TOOLARGE);
    assert_null(pdf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes),
        cmocka_unit_test(code_norm),
        cmocka_unit_test(canonical_and_digest),
        cmocka_unit_test(formatting),
        cmocka_unit_test(templates),
        cmocka_unit_test(print_change_is_not_a_schema_change),
        cmocka_unit_test(render),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    jg_pdf_shutdown();
    return failed;
}
