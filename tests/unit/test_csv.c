/* Unit tests for src/base/csv.c: quoting per RFC 4180 and the formula-injection guard. */
#include "base/csv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* The bytes of one cell written alone. */
static const char *cell(jg_buf *b, const char *s)
{
    jg_buf_free(b);
    assert_int_equal(jg_csv_cell(b, s, 1), JG_OK);
    return b->data != NULL ? b->data : "";
}

static void plain_cells_stay_as_they_are(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    assert_string_equal(cell(&b, "abc"), "abc");
    assert_string_equal(cell(&b, "福建省 鼓楼区"), "福建省 鼓楼区");
    assert_string_equal(cell(&b, "a'b;c\td"), "a'b;c\td"); /* semicolons and inner tabs need nothing */
    assert_string_equal(cell(&b, ""), "");
    assert_string_equal(cell(&b, NULL), "");
    jg_buf_free(&b);
}

static void special_characters_are_quoted(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    assert_string_equal(cell(&b, "a,b"), "\"a,b\"");
    assert_string_equal(cell(&b, "say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(cell(&b, "\""), "\"\"\"\"");
    assert_string_equal(cell(&b, "line1\nline2"), "\"line1\nline2\"");
    assert_string_equal(cell(&b, "cr\r"), "\"cr\r\"");
    assert_string_equal(cell(&b, " lead"), "\" lead\"");
    assert_string_equal(cell(&b, "trail "), "\"trail \"");
    assert_string_equal(cell(&b, "{\"before\":null,\"after\":{\"id\":1}}"),
                        "\"{\"\"before\"\":null,\"\"after\"\":{\"\"id\"\":1}}\"");
    jg_buf_free(&b);
}

static void formulas_get_an_apostrophe(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    assert_string_equal(cell(&b, "=1+1"), "'=1+1");
    assert_string_equal(cell(&b, "+1+1"), "'+1+1");
    assert_string_equal(cell(&b, "-2+3"), "'-2+3");
    assert_string_equal(cell(&b, "@SUM(A1)"), "'@SUM(A1)");
    assert_string_equal(cell(&b, "\tcmd"), "'\tcmd");
    assert_string_equal(cell(&b, "-"), "'-");
    assert_string_equal(cell(&b, "=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
    /* quoted and guarded at once: the apostrophe goes inside the quotes */
    assert_string_equal(cell(&b, "=HYPERLINK(\"http://x\",\"y\")"),
                        "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    assert_string_equal(cell(&b, "\rX"), "\"'\rX\"");
    /* plain numbers are only numbers */
    assert_string_equal(cell(&b, "-12.5"), "-12.5");
    assert_string_equal(cell(&b, "+7"), "+7");
    assert_string_equal(cell(&b, "-0"), "-0");
    assert_string_equal(cell(&b, "-1."), "'-1.");
    assert_string_equal(cell(&b, "-.5"), "'-.5");
    assert_string_equal(cell(&b, "-1e5"), "'-1e5");
    /* only the first character counts */
    assert_string_equal(cell(&b, "a=b"), "a=b");
    assert_false(jg_csv_formula_like(NULL));
    assert_false(jg_csv_formula_like(""));
    assert_true(jg_csv_formula_like("=A1"));
    jg_buf_free(&b);
}

static void rows_join_cells_with_commas_and_end_with_crlf(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    jg_buf_puts(&b, JG_CSV_BOM);
    assert_int_equal(jg_csv_cell(&b, "时间", 1), JG_OK);
    assert_int_equal(jg_csv_cell(&b, NULL, 0), JG_OK);
    assert_int_equal(jg_csv_cell(&b, "a,b", 0), JG_OK);
    assert_int_equal(jg_csv_row_end(&b), JG_OK);
    assert_int_equal(jg_csv_cell(&b, "=x", 1), JG_OK);
    assert_int_equal(jg_csv_row_end(&b), JG_OK);
    assert_string_equal(b.data, "\xEF\xBB\xBF时间,,\"a,b\"\r\n'=x\r\n");
    jg_buf_free(&b);
}

static void a_full_buffer_says_so(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 8);
    assert_int_equal(jg_csv_cell(&b, "abcd", 1), JG_OK);
    assert_int_equal(jg_csv_cell(&b, "\"x\"", 0), JG_TOOLARGE); /* ,"""x""" is 8 more */
    assert_true(b.overflowed);
    jg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_cells_stay_as_they_are),
        cmocka_unit_test(special_characters_are_quoted),
        cmocka_unit_test(formulas_get_an_apostrophe),
        cmocka_unit_test(rows_join_cells_with_commas_and_end_with_crlf),
        cmocka_unit_test(a_full_buffer_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
