/* Unit tests for src/base/csv_read.c: RFC 4180 rows, encodings (UTF-8, BOM, GB18030), limits. */
#include "base/csv_read.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* What the reader handed over: "row:cell|cell|…" lines, "-" for an empty cell. */
struct got {
    char text[4096];
    int rows;
    int stop_at; /* stop (JG_CONFLICT) at this call, 0: never */
};

static jg_rc collect(void *ud, int64_t row, const jg_cell *cells, int ncells)
{
    struct got *g = ud;
    g->rows++;
    if (g->stop_at > 0 && g->rows == g->stop_at)
        return JG_CONFLICT;
    size_t n = strlen(g->text);
    n += (size_t)snprintf(g->text + n, sizeof(g->text) - n, "%lld:", (long long)row);
    for (int i = 0; i < ncells; i++) {
        assert_int_equal(cells[i].type, JG_CELL_TEXT);
        if (cells[i].text != NULL)
            assert_int_equal(strlen(cells[i].text), cells[i].len);
        n += (size_t)snprintf(g->text + n, sizeof(g->text) - n, "%s%s", i > 0 ? "|" : "",
                              cells[i].text != NULL ? cells[i].text : "-");
    }
    snprintf(g->text + n, sizeof(g->text) - n, "\n");
    return JG_OK;
}

static const jg_sheet_limits LIM = {100, 20, 64};

static jg_rc read_text(const char *s, size_t n, struct got *g, char *err)
{
    memset(g->text, 0, sizeof(g->text));
    g->rows = 0;
    err[0] = '\0';
    return jg_csv_read(s, n, &LIM, collect, g, err, 256);
}

static void rows_and_quotes(void **state)
{
    (void)state;
    struct got g = {0};
    char err[256];
    const char *s = "名称,金额,备注\r\n"
                    "\"甲,乙\",12.5,\"他说\"\"好\"\"\"\r\n"
                    "\"两\r\n行\",,=1+1\n"
                    "\n"
                    ",,\n"
                    "a,\"\",c,\r"
                    "last,row";
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_OK);
    assert_string_equal(g.text, "1:名称|金额|备注\n"
                                "2:甲,乙|12.5|他说\"好\"\n"
                                "3:两\r\n行|-|=1+1\n"
                                "6:a|-|c\n"
                                "7:last|row\n"); /* records, as a spreadsheet numbers them */
}

static void trailing_comma_and_spaces_are_kept(void **state)
{
    (void)state;
    struct got g = {0};
    char err[256];
    const char *s = " a ,b,";
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_OK);
    assert_string_equal(g.text, "1: a |b\n");
    /* a quote inside an unquoted cell is text */
    s = "5\"3,x";
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_OK);
    assert_string_equal(g.text, "1:5\"3|x\n");
}

static void encodings(void **state)
{
    (void)state;
    struct got g = {0};
    char err[256];
    const char bom[] = "\xEF\xBB\xBF项目,金额\r\n";
    assert_int_equal(read_text(bom, strlen(bom), &g, err), JG_OK);
    assert_string_equal(g.text, "1:项目|金额\n");
    /* 项目名称 in GBK (GB18030): D7 EE C4 BF C3 FB B3 C6 */
    const char gbk[] = "\xCF\xEE\xC4\xBF\xC3\xFB\xB3\xC6,1\r\n";
    assert_int_equal(read_text(gbk, strlen(gbk), &g, err), JG_OK);
    assert_string_equal(g.text, "1:项目名称|1\n");
    /* a 4-byte GB18030 sequence (U+20000 𠀀: 95 32 82 36) */
    const char four[] = "\x95\x32\x82\x36";
    assert_int_equal(read_text(four, 4, &g, err), JG_OK);
    assert_string_equal(g.text, "1:\xF0\xA0\x80\x80\n");
    /* neither UTF-8 nor GB18030 (a lone lead byte at the end) */
    const char bad[] = "abc,\x81";
    assert_int_equal(read_text(bad, strlen(bad), &g, err), JG_INVALID);
    assert_non_null(strstr(err, "编码"));
    const char badbom[] = "\xEF\xBB\xBF\xFF\xFE";
    assert_int_equal(read_text(badbom, 5, &g, err), JG_INVALID);
    assert_non_null(strstr(err, "UTF-8"));
    const char utf16[] = "\xFF\xFE"
                         "a\0b\0";
    assert_int_equal(read_text(utf16, 6, &g, err), JG_INVALID);
    assert_non_null(strstr(err, "UTF-16"));
    const char nul[] = "a\0b";
    assert_int_equal(read_text(nul, 3, &g, err), JG_INVALID);
    assert_non_null(strstr(err, "CSV"));
    assert_int_equal(g.rows, 0);
}

static void malformed_quotes(void **state)
{
    (void)state;
    struct got g = {0};
    char err[256];
    const char *s = "a,b\n\"open,c\n";
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_INVALID);
    assert_non_null(strstr(err, "第 2 行的引号没有闭合"));
    s = "\"ab\"c,d";
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_INVALID);
    assert_non_null(strstr(err, "第 1 行第 1 列"));
}

static void limits(void **state)
{
    (void)state;
    struct got g = {0};
    char err[256];
    char s[2048];
    memset(s, 'x', 65); /* a cell of 65 bytes: over 64 */
    s[65] = '\0';
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_TOOLARGE);
    assert_non_null(strstr(err, "内容过长"));
    s[64] = '\0'; /* 64 is fine */
    assert_int_equal(read_text(s, strlen(s), &g, err), JG_OK);
    size_t n = 0;
    for (int i = 0; i < 21; i++)
        n += (size_t)snprintf(s + n, sizeof(s) - n, "%sc", i > 0 ? "," : "");
    assert_int_equal(read_text(s, n, &g, err), JG_TOOLARGE);
    assert_non_null(strstr(err, "列数超过上限"));
    n = 0;
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(s + n, sizeof(s) - n, "r%d\n", i);
    assert_int_equal(read_text(s, n, &g, err), JG_TOOLARGE);
    assert_non_null(strstr(err, "行数超过上限"));
    assert_int_equal(g.rows, 100);
}

static void the_callback_stops_the_reading(void **state)
{
    (void)state;
    struct got g = {.stop_at = 2};
    char err[256] = "";
    const char *s = "a\nb\nc\n";
    memset(g.text, 0, sizeof(g.text));
    assert_int_equal(jg_csv_read(s, strlen(s), &LIM, collect, &g, err, sizeof(err)), JG_CONFLICT);
    assert_int_equal(g.rows, 2);
    assert_string_equal(g.text, "1:a\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_and_quotes), cmocka_unit_test(trailing_comma_and_spaces_are_kept),
        cmocka_unit_test(encodings),       cmocka_unit_test(malformed_quotes),
        cmocka_unit_test(limits),          cmocka_unit_test(the_callback_stops_the_reading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
