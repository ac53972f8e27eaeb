/* Unit tests for src/engine/entity/value.c: every field type's conversion from API JSON to a bound
 * value (good, bad and boundary inputs, the Chinese messages), and round trips JSON -> storage ->
 * JSON through a real SQLite database (and PostgreSQL when JIANGUAN_TEST_PG is set). Fields are
 * built by hand here, not loaded from definitions. */
#include "base/arena.h"
#include "base/buf.h"
#include "db/migrate.h"
#include "engine/entity/value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entity_testutil.h"

static jg_arena *A;

static int setup(void **state)
{
    (void)state;
    A = jg_arena_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jg_arena_free(A);
    A = NULL;
    return 0;
}

static jg_field field(jg_field_type type, const char *name, const char *label)
{
    jg_field f;
    memset(&f, 0, sizeof(f));
    f.type = type;
    f.name = name;
    f.label = label;
    return f;
}

/* Convert the JSON text json (NULL: the value is missing) for f. */
static jg_rc conv(const jg_field *f, const char *json, jg_value *out, const char **msg)
{
    json_t *v = NULL;
    if (json != NULL) {
        json_error_t e;
        v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
        if (v == NULL)
            fail_msg("test JSON %s: %s", json, e.text);
    }
    *msg = NULL;
    jg_rc rc = jg_value_from_json(f, v, A, out, msg);
    json_decref(v);
    return rc;
}

static void ok_int(const jg_field *f, const char *json, int64_t want)
{
    jg_value v;
    const char *m;
    if (conv(f, json, &v, &m) != JG_OK)
        fail_msg("%s refused: %s", json, m);
    if (v.type != JG_V_INT || v.i != want)
        fail_msg("%s gave type %d value %lld, want %lld", json, v.type, (long long)v.i, (long long)want);
}

static void ok_text(const jg_field *f, const char *json, const char *want)
{
    jg_value v;
    const char *m;
    if (conv(f, json, &v, &m) != JG_OK)
        fail_msg("%s refused: %s", json, m);
    if (v.type != JG_V_TEXT || strcmp(v.s, want) != 0)
        fail_msg("%s gave type %d \"%s\", want \"%s\"", json, v.type, v.type == JG_V_TEXT ? v.s : "", want);
}

static void ok_null(const jg_field *f, const char *json)
{
    jg_value v;
    const char *m;
    if (conv(f, json, &v, &m) != JG_OK)
        fail_msg("%s refused: %s", json ? json : "(missing)", m);
    if (v.type != JG_V_NULL)
        fail_msg("%s gave type %d, want NULL", json ? json : "(missing)", v.type);
}

/* json is refused with exactly message want (or any message when want is NULL). */
static void bad(const jg_field *f, const char *json, const char *want)
{
    jg_value v;
    const char *m;
    jg_rc rc = conv(f, json, &v, &m);
    if (rc != JG_INVALID)
        fail_msg("%s was not refused (rc %d)", json ? json : "(missing)", rc);
    if (m == NULL || *m == '\0')
        fail_msg("%s refused without a message", json);
    if (want != NULL && strcmp(m, want) != 0)
        fail_msg("%s: message \"%s\", want \"%s\"", json ? json : "(missing)", m, want);
}

static void strings(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_STRING, "project_name", "项目名称");
    ok_text(&f, "\"福州市第一中学\"", "福州市第一中学");
    ok_text(&f, "\"  spaces kept  \"", "  spaces kept  ");
    ok_null(&f, "\"\"");
    ok_null(&f, "null");
    ok_null(&f, NULL);
    bad(&f, "12", "项目名称应为文本");
    bad(&f, "[\"a\"]", "项目名称应为文本");
    bad(&f, "\"two\\nlines\"", "项目名称应为单行文本，不能包含换行或控制字符");
    bad(&f, "\"tab\\there\"", NULL);
    bad(&f, "\"nul\\u0000inside\"", "项目名称含有无效字符");
    /* Default maximum: 200 characters, counted as characters, not bytes. */
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_buf_puts(&b, "\"");
    for (int i = 0; i < 200; i++)
        jg_buf_puts(&b, "中");
    jg_buf_puts(&b, "\"");
    ok_text(&f, b.data, jg_arena_strndup(A, b.data + 1, b.len - 2));
    b.len--;
    jg_buf_puts(&b, "中\"");
    bad(&f, b.data, "项目名称不能超过 200 个字");
    jg_buf_free(&b);
}

static void string_lengths_are_characters(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_STRING, "project_name", "项目名称");
    f.max_length = 5;
    f.min_length = 2;
    ok_text(&f, "\"福建省建设\"", "福建省建设"); /* 5 characters, 15 bytes */
    ok_text(&f, "\"ab\"", "ab");
    ok_text(&f, "\"😀😀😀😀😀\"", "😀😀😀😀😀"); /* 4-byte characters count once */
    bad(&f, "\"福建省建设工\"", "项目名称不能超过 5 个字");
    bad(&f, "\"abcdef\"", "项目名称不能超过 5 个字");
    bad(&f, "\"福\"", "项目名称不能少于 2 个字");
    f.max_length = 100;
    bad(&f, "\"a\"", "项目名称不能少于 2 个字");
}

static void text_allows_lines(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_TEXT, "note", "备注");
    ok_text(&f, "\"第一行\\r\\n第二行\\t完\"", "第一行\r\n第二行\t完");
    bad(&f, "\"bell\\u0007\"", "备注不能包含控制字符");
    bad(&f, "\"del\\u007f\"", "备注不能包含控制字符");
    f.max_length = 3;
    bad(&f, "\"一\\n二\\n\"", "备注不能超过 3 个字");
    ok_text(&f, "\"一\\n二\"", "一\n二");
}

static void required_fields(void **state)
{
    (void)state;
    static const jg_field_type types[] = {
        JG_FIELD_STRING, JG_FIELD_TEXT,  JG_FIELD_INTEGER,  JG_FIELD_DECIMAL,
        JG_FIELD_MONEY,  JG_FIELD_DATE,  JG_FIELD_DATETIME, JG_FIELD_BOOLEAN,
        JG_FIELD_ENUM,   JG_FIELD_REF,   JG_FIELD_REGION,   JG_FIELD_ENTERPRISE,
        JG_FIELD_PERSON, JG_FIELD_FILES, JG_FIELD_GEO,      JG_FIELD_JSON,
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        jg_field f = field(types[i], "x", "项目名称");
        f.required = 1;
        bad(&f, NULL, "项目名称不能为空");
        bad(&f, "null", "项目名称不能为空");
        if (types[i] != JG_FIELD_JSON)
            bad(&f, "\"\"", "项目名称不能为空");
        f.required = 0;
        ok_null(&f, NULL);
        ok_null(&f, "null");
    }
    jg_field s = field(JG_FIELD_STRING, "x", "项目名称");
    s.required = 1;
    bad(&s, "\"   \"", "项目名称不能为空");
    jg_field files = field(JG_FIELD_FILES, "files", "附件");
    files.required = 1;
    bad(&files, "[]", "附件不能为空");
    files.required = 0;
    ok_null(&files, "[]");
    /* json keeps "" as the JSON string it is. */
    jg_field j = field(JG_FIELD_JSON, "extra", "扩展信息");
    j.required = 1;
    ok_text(&j, "\"\"", "\"\"");
}

static void patterns_match_the_whole_value(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_STRING, "code", "项目编号");
    f.pattern = "[A-Z]{2}[0-9]{4}";
    assert_int_equal(regcomp(&f.pattern_re, f.pattern, REG_EXTENDED), 0);
    ok_text(&f, "\"FJ2026\"", "FJ2026");
    bad(&f, "\"FJ2026x\"", "项目编号格式不正确");
    bad(&f, "\"xFJ2026\"", "项目编号格式不正确");
    bad(&f, "\"FJ202\"", "项目编号格式不正确");
    regfree(&f.pattern_re);
    /* An alternation whose first branch matches a prefix: the whole value still counts. */
    f.pattern = "a|ab";
    assert_int_equal(regcomp(&f.pattern_re, f.pattern, REG_EXTENDED), 0);
    ok_text(&f, "\"ab\"", "ab");
    ok_text(&f, "\"a\"", "a");
    bad(&f, "\"abc\"", "项目编号格式不正确");
    regfree(&f.pattern_re);
    /* Anchored patterns work the same. */
    f.pattern = "^[0-9]{6}$";
    assert_int_equal(regcomp(&f.pattern_re, f.pattern, REG_EXTENDED), 0);
    ok_text(&f, "\"350102\"", "350102");
    bad(&f, "\"3501021\"", "项目编号格式不正确");
    regfree(&f.pattern_re);
}

static void integers(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_INTEGER, "floors", "层数");
    ok_int(&f, "12", 12);
    ok_int(&f, "-3", -3);
    ok_int(&f, "0", 0);
    ok_int(&f, "9223372036854775807", INT64_MAX);
    ok_int(&f, "-9223372036854775808", INT64_MIN);
    bad(&f, "\"12\"", "层数应为整数");
    bad(&f, "1.5", "层数应为整数");
    bad(&f, "1.0", "层数应为整数");
    bad(&f, "true", "层数应为整数");
    f.has_min = f.has_max = 1;
    f.min = 1;
    f.max = 200;
    ok_int(&f, "1", 1);
    ok_int(&f, "200", 200);
    bad(&f, "0", "层数不能小于 1");
    bad(&f, "201", "层数不能大于 200");
}

static void decimals(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_DECIMAL, "area", "建筑面积");
    f.scale = 2;
    ok_int(&f, "\"12.50\"", 1250);
    ok_int(&f, "\"12.5\"", 1250);
    ok_int(&f, "\"12\"", 1200);
    ok_int(&f, "\"12.500\"", 1250); /* extra places allowed when they are zeros */
    ok_int(&f, "\"-0.01\"", -1);
    ok_int(&f, "\"+7.25\"", 725);
    ok_int(&f, "\"0007.10\"", 710);
    ok_int(&f, "12.5", 1250);
    ok_int(&f, "12", 1200);
    ok_int(&f, "-0.0", 0);
    const char *msg = "建筑面积应为数字，最多 2 位小数";
    bad(&f, "\"12.505\"", msg);
    bad(&f, "12.505", msg);
    bad(&f, "\".5\"", msg);
    bad(&f, "\"5.\"", msg);
    bad(&f, "\"1e3\"", msg);
    bad(&f, "\" 1\"", msg);
    bad(&f, "\"1,000.00\"", msg);
    bad(&f, "\"-\"", msg);
    bad(&f, "\"abc\"", msg);
    bad(&f, "\"１２\"", msg); /* full-width digits */
    bad(&f, "true", msg);
    bad(&f, "{}", msg);
    /* int64 bounds, scaled. */
    ok_int(&f, "\"92233720368547758.07\"", INT64_MAX);
    ok_int(&f, "\"-92233720368547758.07\"", -INT64_MAX);
    bad(&f, "\"92233720368547758.08\"", "建筑面积超出范围");
    bad(&f, "\"99999999999999999999999\"", "建筑面积超出范围");
    bad(&f, "92233720368547759", "建筑面积超出范围");
    bad(&f, "1e300", "建筑面积超出范围");
    /* Other scales. */
    f.scale = 0;
    ok_int(&f, "\"12\"", 12);
    ok_int(&f, "\"12.0\"", 12);
    bad(&f, "\"12.5\"", "建筑面积应为整数");
    f.scale = 4;
    ok_int(&f, "\"1.2345\"", 12345);
    ok_int(&f, "0.0001", 1);
    bad(&f, "\"1.23456\"", "建筑面积应为数字，最多 4 位小数");
    f.scale = 2;
    f.has_min = 1;
    f.min = 100; /* 1.00 */
    ok_int(&f, "\"1.00\"", 100);
    bad(&f, "\"0.99\"", "建筑面积不能小于 1.00");
    f.has_max = 1;
    f.max = 1000000;
    bad(&f, "\"10000.01\"", "建筑面积不能大于 10000.00");
}

static void money_is_exact(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_MONEY, "cost", "工程造价");
    f.scale = 0; /* money has two places whatever the definition says */
    const char *msg = "工程造价应为金额（元），最多两位小数";
    jg_value a, b, c;
    const char *m;
    assert_int_equal(conv(&f, "\"0.10\"", &a, &m), JG_OK);
    assert_int_equal(conv(&f, "\"0.20\"", &b, &m), JG_OK);
    assert_int_equal(conv(&f, "\"0.30\"", &c, &m), JG_OK);
    assert_int_equal(a.i + b.i, c.i);
    assert_int_equal(c.i, 30);
    ok_int(&f, "0.1", 10);
    ok_int(&f, "\"12.34\"", 1234);
    ok_int(&f, "12.34", 1234);
    ok_int(&f, "100", 10000);
    ok_int(&f, "\"-5.00\"", -500);
    /* What 0.1 + 0.2 gives in a browser is not a sum of money. */
    bad(&f, "0.30000000000000004", msg);
    bad(&f, "\"12.345\"", msg);
    bad(&f, "12.345", msg);
    bad(&f, "\"十二元\"", msg);
    bad(&f, "\"¥12.00\"", msg);
    bad(&f, "1e20", "工程造价超出范围");
    bad(&f, "90071992547409.92", "工程造价超出范围"); /* 2^53 / 100: cents no longer distinct */
    ok_int(&f, "90071992547409.91", 9007199254740991);
    /* Every amount from 0.00 to 99.99, as text and as a JSON number, is its own number of fen. */
    for (int i = 0; i < 10000; i++) {
        char text[32], num[32];
        snprintf(text, sizeof(text), "\"%d.%02d\"", i / 100, i % 100);
        snprintf(num, sizeof(num), "%.17g", i / 100.0);
        ok_int(&f, text, i);
        ok_int(&f, num, i);
    }
    f.has_min = 1;
    f.min = 0;
    bad(&f, "\"-0.01\"", "工程造价不能小于 0.00");
    ok_int(&f, "\"0\"", 0);
}

static void dates(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_DATE, "started_on", "开工日期");
    const char *msg = "开工日期应为日期（如 2026-11-25）";
    ok_text(&f, "\"2026-11-25\"", "2026-11-25");
    ok_text(&f, "\"2024-02-29\"", "2024-02-29");
    ok_text(&f, "\"1900-01-01\"", "1900-01-01");
    ok_text(&f, "\"9999-12-31\"", "9999-12-31");
    bad(&f, "\"2026-02-29\"", msg);
    bad(&f, "\"2026-13-01\"", msg);
    bad(&f, "\"2026-11-31\"", msg);
    bad(&f, "\"2026/11/25\"", msg);
    bad(&f, "\"2026-11-25T00:00:00Z\"", msg);
    bad(&f, "\"1899-12-31\"", msg);
    bad(&f, "\"2026-11-25\\u0000x\"", msg);
    bad(&f, "20261125", msg);
}

static void datetimes(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_DATETIME, "checked_at", "检查时间");
    const char *msg = "检查时间应为日期时间（如 2026-11-25T08:00:00Z）";
    ok_text(&f, "\"2026-11-25T08:00:00Z\"", "2026-11-25T08:00:00.000Z");
    ok_text(&f, "\"2026-11-25T08:00:00.000Z\"", "2026-11-25T08:00:00.000Z");
    ok_text(&f, "\"2026-11-25T08:00:00.5Z\"", "2026-11-25T08:00:00.500Z");
    ok_text(&f, "\"2026-11-25 08:00:00.123456Z\"", "2026-11-25T08:00:00.123Z"); /* cut, not rounded */
    ok_text(&f, "\"2026-11-25T08:00:00.999999999Z\"", "2026-11-25T08:00:00.999Z");
    ok_text(&f, "\"2026-11-25T08:00Z\"", "2026-11-25T08:00:00.000Z");
    ok_text(&f, "\"2026-11-25T08:00:00+08:00\"", "2026-11-25T00:00:00.000Z");
    ok_text(&f, "\"2026-11-25T08:00:00+0800\"", "2026-11-25T00:00:00.000Z");
    ok_text(&f, "\"2026-11-25T08:00:00+08\"", "2026-11-25T00:00:00.000Z");
    ok_text(&f, "\"2026-01-01T07:00:00+08:00\"", "2025-12-31T23:00:00.000Z");
    ok_text(&f, "\"2024-02-29T23:30:00-01:00\"", "2024-03-01T00:30:00.000Z");
    ok_text(&f, "\"2026-11-25T08:00:00+05:30\"", "2026-11-25T02:30:00.000Z");
    ok_text(&f, "\"9999-12-31T23:59:59.999Z\"", "9999-12-31T23:59:59.999Z");
    bad(&f, "\"2026-11-25T08:00:00\"", msg); /* no zone */
    bad(&f, "\"2026-11-25\"", msg);
    bad(&f, "\"2026-11-25T24:00:00Z\"", msg);
    bad(&f, "\"2026-11-25T08:60:00Z\"", msg);
    bad(&f, "\"2026-11-25T08:00:60Z\"", msg);
    bad(&f, "\"2026-02-30T08:00:00Z\"", msg);
    bad(&f, "\"2026-11-25T08:00:00+08:\"", msg);
    bad(&f, "\"2026-11-25T08:00:00+24:00\"", msg);
    bad(&f, "\"2026-11-25T08:00:00.Z\"", msg);
    bad(&f, "\"2026-11-25T8:00:00Z\"", msg);
    bad(&f, "\"2026-11-25X08:00:00Z\"", msg);
    bad(&f, "\"2026-11-25T08:00:00Zjunk\"", msg);
    bad(&f, "\"1900-01-01T00:00:00+08:00\"", msg); /* 1899 in UTC */
    bad(&f, "\"9999-12-31T23:00:00-01:00\"", msg); /* 10000 in UTC */
    bad(&f, "1764057600", msg);
}

static void booleans(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_BOOLEAN, "is_key", "重点项目");
    ok_int(&f, "true", 1);
    ok_int(&f, "false", 0);
    bad(&f, "\"true\"", "重点项目应为是或否");
    bad(&f, "1", "重点项目应为是或否");
    bad(&f, "\"是\"", "重点项目应为是或否");
}

static void enums_and_regions(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_ENUM, "kind", "项目类型");
    ok_text(&f, "\"housing\"", "housing");
    ok_text(&f, "\"01\"", "01");
    ok_text(&f, "\"A-1.b_2\"", "A-1.b_2");
    bad(&f, "\"房建\"", "项目类型取值无效"); /* item codes are 1-40 of [A-Za-z0-9_.-] */
    bad(&f, "\"a b\"", "项目类型取值无效");
    bad(&f, "\"a\\nb\"", "项目类型取值无效");
    bad(&f, "\"a'b\"", "项目类型取值无效");
    bad(&f, "1", "项目类型取值无效");
    ok_text(&f, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");                          /* 40 */
    bad(&f, "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "项目类型取值无效"); /* 41 */

    jg_field r = field(JG_FIELD_REGION, "region", "所在地区");
    const char *msg = "所在地区应为行政区划代码（2、4 或 6 位数字）";
    ok_text(&r, "\"35\"", "35");
    ok_text(&r, "\"3501\"", "3501");
    ok_text(&r, "\"350102\"", "350102");
    bad(&r, "\"350\"", msg);
    bad(&r, "\"35010a\"", msg);
    bad(&r, "\"3501020\"", msg);
    bad(&r, "350102", msg);
}

static void references(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_REF, "unit", "单体");
    ok_int(&f, "42", 42);
    bad(&f, "0", "单体应选择一条记录");
    bad(&f, "-1", "单体应选择一条记录");
    bad(&f, "\"42\"", "单体应选择一条记录");
    bad(&f, "4.2", "单体应选择一条记录");
    jg_field e = field(JG_FIELD_ENTERPRISE, "builder", "建设单位");
    ok_int(&e, "7", 7);
    bad(&e, "\"福建建工\"", "建设单位应选择一家企业");
    jg_field p = field(JG_FIELD_PERSON, "manager", "项目经理");
    ok_int(&p, "9", 9);
    bad(&p, "{}", "项目经理应选择一名人员");
}

static void files(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_FILES, "attachments", "附件");
    ok_text(&f, "[12, 13]", "[12,13]");
    ok_text(&f, "[9223372036854775807]", "[9223372036854775807]");
    bad(&f, "[1, 1]", "附件包含重复的文件");
    bad(&f, "[0]", "附件应为文件编号列表");
    bad(&f, "[\"1\"]", "附件应为文件编号列表");
    bad(&f, "[1.5]", "附件应为文件编号列表");
    bad(&f, "12", "附件应为文件编号列表");
    bad(&f, "{\"id\": 1}", "附件应为文件编号列表");
    /* Default maximum 20. */
    jg_buf list;
    jg_buf_init(&list, 256);
    jg_buf_puts(&list, "[");
    for (int i = 1; i <= 20; i++)
        jg_buf_printf(&list, "%s%d", i > 1 ? "," : "", i);
    jg_buf_puts(&list, "]");
    ok_text(&f, list.data, "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]");
    list.len--;
    jg_buf_puts(&list, ",21]");
    bad(&f, list.data, "附件最多 20 个文件");
    jg_buf_free(&list);
    f.max_files = 3;
    ok_text(&f, "[1,2,3]", "[1,2,3]");
    bad(&f, "[1,2,3,4]", "附件最多 3 个文件");
}

static void geo_points(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_GEO, "location", "位置");
    const char *shape = "位置应为经纬度坐标，如 {\"lng\": 119.3, \"lat\": 26.08}";
    const char *range = "位置超出范围：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间";
    ok_text(&f, "{\"lng\": 119.3, \"lat\": 26.08}", "119.3,26.08");
    ok_text(&f, "{\"lat\": 26.08, \"lng\": 119.3}", "119.3,26.08");
    ok_text(&f, "{\"lng\": 119, \"lat\": 26}", "119,26");
    ok_text(&f, "{\"lng\": 119.29716245, \"lat\": 26.07421178}", "119.29716245,26.07421178");
    ok_text(&f, "{\"lng\": -180, \"lat\": -90}", "-180,-90");
    ok_text(&f, "{\"lng\": 180.0, \"lat\": 90.0}", "180,90");
    ok_text(&f, "{\"lng\": -0.0, \"lat\": 0}", "0,0");
    bad(&f, "{\"lng\": 180.0001, \"lat\": 26}", range);
    bad(&f, "{\"lng\": 119.3, \"lat\": -90.5}", range);
    bad(&f, "{\"lng\": 119.3}", shape);
    bad(&f, "{\"lng\": 119.3, \"lat\": 26.08, \"alt\": 3}", shape);
    bad(&f, "{\"lng\": \"119.3\", \"lat\": \"26.08\"}", shape);
    bad(&f, "[119.3, 26.08]", shape);
    bad(&f, "\"119.3,26.08\"", shape);
}

static void json_values(void **state)
{
    (void)state;
    jg_field f = field(JG_FIELD_JSON, "extra", "扩展信息");
    ok_text(&f, "{ \"a\" : [1, 2], \"b\" : \"福建\" }", "{\"a\":[1,2],\"b\":\"福建\"}");
    ok_text(&f, "42", "42");
    ok_text(&f, "true", "true");
    ok_text(&f, "[]", "[]");
    f.max_length = 9;
    ok_text(&f, "{\"a\": 123}", "{\"a\":123}"); /* 9 bytes */
    bad(&f, "{\"a\": 1234}", "扩展信息内容过大（不能超过 9 字节）");
    f.max_length = 0;
    /* The default maximum is 65536 bytes. */
    size_t n = 65536;
    char *big = malloc(n + 1);
    memset(big, 'x', n);
    big[0] = '"';
    big[n - 1] = '"';
    big[n] = '\0';
    ok_text(&f, big, big);
    big[n - 1] = 'x';
    big = realloc(big, n + 2);
    big[n] = '"';
    big[n + 1] = '\0';
    bad(&f, big, "扩展信息内容过大（不能超过 65536 字节）");
    free(big);
}

static void sql_types(void **state)
{
    (void)state;
    static const struct {
        jg_field_type t;
        const char *sql;
    } want[] = {
        {JG_FIELD_STRING, "TEXT"},        {JG_FIELD_TEXT, "TEXT"},        {JG_FIELD_INTEGER, "{{bigint}}"},
        {JG_FIELD_DECIMAL, "{{bigint}}"}, {JG_FIELD_MONEY, "{{bigint}}"}, {JG_FIELD_DATE, "TEXT"},
        {JG_FIELD_DATETIME, "TEXT"},      {JG_FIELD_BOOLEAN, "INTEGER"},  {JG_FIELD_ENUM, "TEXT"},
        {JG_FIELD_REF, "{{bigint}}"},     {JG_FIELD_REGION, "TEXT"},      {JG_FIELD_ENTERPRISE, "{{bigint}}"},
        {JG_FIELD_PERSON, "{{bigint}}"},  {JG_FIELD_FILES, "TEXT"},       {JG_FIELD_GEO, "TEXT"},
        {JG_FIELD_JSON, "TEXT"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        jg_field f = field(want[i].t, "x", "x");
        assert_string_equal(jg_value_sql_type(&f), want[i].sql);
    }
}

/* Round trips: API JSON -> jg_value -> a column of jg_value_sql_type -> jg_value_to_json. */

static const struct trip {
    jg_field_type type;
    int scale;
    const char *in, *out; /* out NULL: the same as in */
} trips[] = {
    {JG_FIELD_STRING, 0, "\"福州市第一中学扩建工程\"", NULL},
    {JG_FIELD_TEXT, 0, "\"第一行\\n第二行\"", NULL},
    {JG_FIELD_INTEGER, 0, "9223372036854775807", NULL},
    {JG_FIELD_INTEGER, 0, "-42", NULL},
    {JG_FIELD_DECIMAL, 2, "\"12.5\"", "\"12.50\""},
    {JG_FIELD_DECIMAL, 2, "\"-0.05\"", NULL},
    {JG_FIELD_DECIMAL, 0, "\"12\"", NULL},
    {JG_FIELD_DECIMAL, 4, "1.5", "\"1.5000\""},
    {JG_FIELD_DECIMAL, 2, "\"92233720368547758.07\"", NULL},
    {JG_FIELD_MONEY, 0, "\"12.34\"", NULL},
    {JG_FIELD_MONEY, 2, "0.1", "\"0.10\""},
    {JG_FIELD_MONEY, 2, "\"-1234567.89\"", NULL},
    {JG_FIELD_MONEY, 2, "100", "\"100.00\""},
    {JG_FIELD_DATE, 0, "\"2026-11-25\"", NULL},
    {JG_FIELD_DATETIME, 0, "\"2026-11-25T08:00:00+08:00\"", "\"2026-11-25T00:00:00.000Z\""},
    {JG_FIELD_BOOLEAN, 0, "true", NULL},
    {JG_FIELD_BOOLEAN, 0, "false", NULL},
    {JG_FIELD_ENUM, 0, "\"housing\"", NULL},
    {JG_FIELD_REF, 0, "42", NULL},
    {JG_FIELD_REGION, 0, "\"350102\"", NULL},
    {JG_FIELD_ENTERPRISE, 0, "7", NULL},
    {JG_FIELD_PERSON, 0, "9", NULL},
    {JG_FIELD_FILES, 0, "[12, 13]", "[12,13]"},
    {JG_FIELD_FILES, 0, "[]", "null"},
    {JG_FIELD_GEO, 0, "{\"lng\": 119.29716245, \"lat\": 26.07421178}", NULL},
    {JG_FIELD_GEO, 0, "{\"lng\": -180, \"lat\": 90}", "{\"lng\": -180.0, \"lat\": 90.0}"},
    {JG_FIELD_JSON, 0, "{\"a\": [1, 2.5, \"福建\"], \"b\": null}", NULL},
    {JG_FIELD_JSON, 0, "\"\"", NULL},
    {JG_FIELD_STRING, 0, "null", NULL},
    {JG_FIELD_MONEY, 0, "null", NULL},
};

static void round_trips_on(jg_db *db)
{
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    for (size_t i = 0; i < sizeof(trips) / sizeof(trips[0]); i++) {
        const struct trip *t = &trips[i];
        jg_field f = field(t->type, "x", "值");
        f.scale = t->scale;
        jg_value v;
        const char *m;
        if (conv(&f, t->in, &v, &m) != JG_OK)
            fail_msg("%s refused: %s", t->in, m);
        /* A table per case: the statement cache keeps what PostgreSQL inferred for $1. */
        char ddl[128], ins[64], sel[64];
        snprintf(ddl, sizeof(ddl), "CREATE TEMP TABLE rt%zu (x %s)", i, jg_value_sql_type(&f));
        snprintf(ins, sizeof(ins), "INSERT INTO rt%zu (x) VALUES ($1)", i);
        snprintf(sel, sizeof(sel), "SELECT x FROM rt%zu", i);
        char *native = jg_migrate_expand(db, ddl);
        assert_int_equal(jg_db_script(c, native), JG_OK);
        free(native);
        assert_int_equal(jg_db_exec(c, ins, &v, 1, NULL), JG_OK);
        jg_rows *r;
        assert_int_equal(jg_db_query(c, sel, NULL, 0, &r), JG_OK);
        assert_int_equal(jg_rows_count(r), 1);
        json_t *got = jg_value_to_json(&f, r, 0, 0);
        jg_rows_free(r);
        json_t *want = json_loads(t->out != NULL ? t->out : t->in, JSON_DECODE_ANY, NULL);
        assert_non_null(want);
        if (!json_equal(got, want)) {
            char *g = json_dumps(got, JSON_ENCODE_ANY);
            fail_msg("%s on %s: got %s, want %s", t->in, jg_db_kind_name(db), g, t->out ? t->out : t->in);
        }
        /* And back again: the output is accepted as input and gives the same stored value. */
        jg_value again;
        char *text = json_dumps(got, JSON_ENCODE_ANY);
        if (conv(&f, text, &again, &m) != JG_OK)
            fail_msg("output %s refused as input: %s", text, m);
        assert_int_equal(again.type, v.type);
        if (v.type == JG_V_INT)
            assert_int_equal(again.i, v.i);
        else if (v.type == JG_V_TEXT)
            assert_string_equal(again.s, v.s);
        free(text);
        json_decref(got);
        json_decref(want);
    }
    jg_db_release(c);
}

static void round_trips_sqlite(void **state)
{
    (void)state;
    run_on_sqlite(round_trips_on, 1);
}

static void round_trips_pgsql(void **state)
{
    (void)state;
    run_on_pgsql(round_trips_on);
}

/* Stored text that jg_value_from_json never writes comes back as null, not as a crash or a guess. */
static void corrupt_storage_is_null(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_make(&t);
    jg_db *db = tmpdb_open(&t, 1);
    jg_rows *r;
    assert_int_equal(jg_db_read(db, "SELECT 'x,' AS g, '{\"a\":' AS j, '{}' AS f", NULL, 0, &r), JG_OK);
    jg_field g = field(JG_FIELD_GEO, "g", "g"), j = field(JG_FIELD_JSON, "j", "j"),
             fl = field(JG_FIELD_FILES, "f", "f");
    json_t *x = jg_value_to_json(&g, r, 0, 0);
    assert_true(json_is_null(x));
    json_decref(x);
    x = jg_value_to_json(&j, r, 0, 1);
    assert_true(json_is_null(x));
    json_decref(x);
    x = jg_value_to_json(&fl, r, 0, 2);
    assert_true(json_is_null(x));
    json_decref(x);
    jg_rows_free(r);
    jg_db_close(db);
    tmpdir_remove(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(strings, setup, teardown),
        cmocka_unit_test_setup_teardown(string_lengths_are_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(text_allows_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(required_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(patterns_match_the_whole_value, setup, teardown),
        cmocka_unit_test_setup_teardown(integers, setup, teardown),
        cmocka_unit_test_setup_teardown(decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(money_is_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(dates, setup, teardown),
        cmocka_unit_test_setup_teardown(datetimes, setup, teardown),
        cmocka_unit_test_setup_teardown(booleans, setup, teardown),
        cmocka_unit_test_setup_teardown(enums_and_regions, setup, teardown),
        cmocka_unit_test_setup_teardown(references, setup, teardown),
        cmocka_unit_test_setup_teardown(files, setup, teardown),
        cmocka_unit_test_setup_teardown(geo_points, setup, teardown),
        cmocka_unit_test_setup_teardown(json_values, setup, teardown),
        cmocka_unit_test_setup_teardown(sql_types, setup, teardown),
        cmocka_unit_test_setup_teardown(round_trips_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(round_trips_pgsql, setup, teardown),
        cmocka_unit_test_setup_teardown(corrupt_storage_is_null, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
