/* Unit tests for src/base/jsonw.c: JSON strings with escapes, numbers checked against the grammar. */
#include "base/jsonw.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static const char *str(jg_buf *b, const char *s)
{
    jg_buf_free(b);
    jg_jsonw_string(b, s);
    return b->data;
}

static const char *num(jg_buf *b, const char *s)
{
    jg_buf_free(b);
    jg_jsonw_number_text(b, s);
    return b->data;
}

static void strings(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    assert_string_equal(str(&b, ""), "\"\"");
    assert_string_equal(str(&b, "abc"), "\"abc\"");
    assert_string_equal(str(&b, "福建省 鼓楼区"), "\"福建省 鼓楼区\"");
    assert_string_equal(str(&b, "a\"b\\c/d"), "\"a\\\"b\\\\c/d\"");
    assert_string_equal(str(&b, "\n\r\t"), "\"\\n\\r\\t\"");
    assert_string_equal(str(&b, "\x01\x08\x0c\x1f x"), "\"\\u0001\\u0008\\u000c\\u001f x\"");
    assert_string_equal(str(&b, "\x7f"), "\"\x7f\""); /* DEL needs no escape in JSON */
    assert_string_equal(str(&b, "\"\""), "\"\\\"\\\"\"");
    /* Not UTF-8: null, so the document stays valid. */
    assert_string_equal(str(&b, "\xff"), "null");
    assert_string_equal(str(&b, "ok\xc0\x80"), "null");
    assert_string_equal(str(&b, "\xed\xa0\x80"), "null");
    assert_false(b.overflowed);
    jg_buf_free(&b);
}

static const char *text(jg_buf *b, const char *s)
{
    jg_buf_free(b);
    jg_jsonw_text(b, s);
    return b->data;
}

static void text_is_never_null(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    /* Valid UTF-8: as jg_jsonw_string. */
    assert_string_equal(text(&b, "福建 \"q\"\n"), "\"福建 \\\"q\\\"\\n\"");
    assert_string_equal(text(&b, ""), "\"\"");
    /* Not UTF-8: every byte outside printable ASCII escaped, the rest kept. */
    assert_string_equal(text(&b, "a\xff\"b"), "\"a\\u00ff\\\"b\"");
    assert_string_equal(text(&b, "\xe7\xa6"), "\"\\u00e7\\u00a6\"");
    assert_string_equal(text(&b, "\xc0\x80\x01"), "\"\\u00c0\\u0080\\u0001\"");
    jg_buf_free(&b);
}

static void numbers(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    const char *ok[] = {"0", "-0", "7", "-12", "12.5", "-0.25", "1e10", "1E+5", "2.5e-3", "145337.54",
                        "9223372036854775807", "-9223372036854775808", "1.7976931348623157e+308"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_string_equal(num(&b, ok[i]), ok[i]);
    const char *bad[] = {"", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "1.5.2", "inf", "-inf", "nan",
                         "NaN", "Infinity", "0x10", " 1", "1 ", "--1", "1,5", "１"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (strcmp(num(&b, bad[i]), "null") != 0)
            fail_msg("number text \"%s\" was written as %s", bad[i], b.data);
    jg_buf_free(&b);
}

static void integers(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 100);
    jg_jsonw_int(&b, 0);
    jg_buf_puts(&b, ",");
    jg_jsonw_int(&b, INT64_MIN);
    jg_buf_puts(&b, ",");
    jg_jsonw_int(&b, INT64_MAX);
    assert_string_equal(b.data, "0,-9223372036854775808,9223372036854775807");
    jg_buf_free(&b);
}

static void overflow_is_remembered(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 6);
    jg_jsonw_string(&b, "abcdefgh");
    assert_true(b.overflowed);
    /* Later small writes may fit, but the flag stays: the document is incomplete. */
    jg_jsonw_int(&b, 1);
    assert_true(b.overflowed);
    jg_buf_free(&b);
    assert_false(b.overflowed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strings),
        cmocka_unit_test(text_is_never_null),
        cmocka_unit_test(numbers),
        cmocka_unit_test(integers),
        cmocka_unit_test(overflow_is_remembered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
