/* Unit tests for src/base/text.c: UTF-8 validation, strict int64 parsing, JSON depth, jg_strlcpy. */
#include "base/text.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define UTF8(s) jg_utf8_valid((s), sizeof(s) - 1)

static void utf8_accepts_chinese_and_ascii(void **state)
{
    (void)state;
    assert_int_equal(UTF8("福建省建设工程质量安全监督总站"), 1);
    assert_int_equal(UTF8("BJ3501022026 鼓楼区（一期）"), 1);
    assert_int_equal(UTF8("plain ascii ~!@#$%^&*()"), 1);
    assert_int_equal(jg_utf8_valid("", 0), 1);
    /* Boundaries that are valid: U+007F, U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF. */
    assert_int_equal(UTF8("\x7F"), 1);
    assert_int_equal(UTF8("\xC2\x80"), 1);
    assert_int_equal(UTF8("\xDF\xBF"), 1);
    assert_int_equal(UTF8("\xE0\xA0\x80"), 1);
    assert_int_equal(UTF8("\xED\x9F\xBF"), 1);
    assert_int_equal(UTF8("\xEE\x80\x80"), 1);
    assert_int_equal(UTF8("\xEF\xBF\xBF"), 1);
    assert_int_equal(UTF8("\xF0\x90\x80\x80"), 1);
    assert_int_equal(UTF8("\xF4\x8F\xBF\xBF"), 1);
    assert_int_equal(UTF8("😀"), 1);
}

static void utf8_rejects_overlongs(void **state)
{
    (void)state;
    assert_int_equal(UTF8("\xC0\x80"), 0);         /* NUL in two bytes */
    assert_int_equal(UTF8("\xC1\xBF"), 0);         /* U+007F in two bytes */
    assert_int_equal(UTF8("\xE0\x80\x80"), 0);     /* NUL in three bytes */
    assert_int_equal(UTF8("\xE0\x9F\xBF"), 0);     /* U+07FF in three bytes */
    assert_int_equal(UTF8("\xF0\x80\x80\x80"), 0); /* NUL in four bytes */
    assert_int_equal(UTF8("\xF0\x8F\xBF\xBF"), 0); /* U+FFFF in four bytes */
    assert_int_equal(UTF8("a\xC0\xAF"), 0);        /* the classic overlong '/' */
}

static void utf8_rejects_surrogates_and_beyond_unicode(void **state)
{
    (void)state;
    assert_int_equal(UTF8("\xED\xA0\x80"), 0);             /* U+D800 */
    assert_int_equal(UTF8("\xED\xBF\xBF"), 0);             /* U+DFFF */
    assert_int_equal(UTF8("\xED\xA0\xBD\xED\xB8\x80"), 0); /* CESU-8 pair */
    assert_int_equal(UTF8("\xF4\x90\x80\x80"), 0);         /* U+110000 */
    assert_int_equal(UTF8("\xF5\x80\x80\x80"), 0);
    assert_int_equal(UTF8("\xF7\xBF\xBF\xBF"), 0);
    assert_int_equal(UTF8("\xF8\x88\x80\x80\x80"), 0); /* old five-byte form */
    assert_int_equal(UTF8("\xFE"), 0);
    assert_int_equal(UTF8("\xFF"), 0);
}

static void utf8_rejects_truncated_and_stray_bytes(void **state)
{
    (void)state;
    const char *fu = "福"; /* E7 A6 8F */
    assert_int_equal(jg_utf8_valid(fu, 3), 1);
    assert_int_equal(jg_utf8_valid(fu, 2), 0);
    assert_int_equal(jg_utf8_valid(fu, 1), 0);
    assert_int_equal(UTF8("\xE7\xA6"), 0);
    assert_int_equal(UTF8("\xF0\x9F\x98"), 0);
    assert_int_equal(UTF8("\xC2"), 0);
    assert_int_equal(UTF8("\xE7\xA6" "a"), 0);   /* sequence cut by ASCII */
    assert_int_equal(UTF8("\xE7\xA6\xE7\xA6\x8F"), 0);
    assert_int_equal(UTF8("\x80"), 0);           /* lone continuation byte */
    assert_int_equal(UTF8("ab\xBF"), 0);
    assert_int_equal(UTF8("福\x8F"), 0);
}

static void utf8_rejects_embedded_nul(void **state)
{
    (void)state;
    assert_int_equal(jg_utf8_valid("a\0b", 3), 0);
    assert_int_equal(jg_utf8_valid("\0", 1), 0);
    assert_int_equal(jg_utf8_valid("福\0", 4), 0);
    /* n stops before the NUL: valid. */
    assert_int_equal(jg_utf8_valid("a\0b", 1), 1);
}

static void parse_int64_accepts_range_and_signs(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(jg_parse_int64("0", 0, 10, &v), JG_OK);
    assert_int_equal(v, 0);
    assert_int_equal(jg_parse_int64("-0", -1, 1, &v), JG_OK);
    assert_int_equal(v, 0);
    assert_int_equal(jg_parse_int64("123", 0, 1000, &v), JG_OK);
    assert_int_equal(v, 123);
    assert_int_equal(jg_parse_int64("-123", -1000, 1000, &v), JG_OK);
    assert_true(v == -123);
    assert_int_equal(jg_parse_int64("007", 0, 10, &v), JG_OK);
    assert_int_equal(v, 7);
    /* Both ends of the range are inclusive. */
    assert_int_equal(jg_parse_int64("1", 1, 10, &v), JG_OK);
    assert_int_equal(v, 1);
    assert_int_equal(jg_parse_int64("10", 1, 10, &v), JG_OK);
    assert_int_equal(v, 10);
    assert_int_equal(jg_parse_int64("9223372036854775807", INT64_MIN, INT64_MAX, &v), JG_OK);
    assert_true(v == INT64_MAX);
    assert_int_equal(jg_parse_int64("-9223372036854775808", INT64_MIN, INT64_MAX, &v), JG_OK);
    assert_true(v == INT64_MIN);
}

static void parse_int64_rejects_out_of_range_and_overflow(void **state)
{
    (void)state;
    int64_t v = 42;
    assert_int_equal(jg_parse_int64("0", 1, 10, &v), JG_INVALID);
    assert_int_equal(jg_parse_int64("11", 1, 10, &v), JG_INVALID);
    assert_int_equal(jg_parse_int64("-1", 0, 10, &v), JG_INVALID);
    assert_int_equal(jg_parse_int64("9223372036854775808", INT64_MIN, INT64_MAX, &v), JG_INVALID);
    assert_int_equal(jg_parse_int64("-9223372036854775809", INT64_MIN, INT64_MAX, &v), JG_INVALID);
    assert_int_equal(jg_parse_int64("99999999999999999999999", INT64_MIN, INT64_MAX, &v), JG_INVALID);
    /* A failed parse leaves *out alone. */
    assert_int_equal(v, 42);
}

static void parse_int64_rejects_junk(void **state)
{
    (void)state;
    int64_t v = 42;
    const char *bad[] = {"", "-", "+5", " 5", "5 ", "5x", "x5", "--5", "-+5", "0x10", "1e3", "1.0", "1,000",
                         "５", "\t7", "7\n", "NaN", "- 5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (jg_parse_int64(bad[i], INT64_MIN, INT64_MAX, &v) != JG_INVALID)
            fail_msg("jg_parse_int64(\"%s\") was accepted", bad[i]);
    }
    assert_int_equal(jg_parse_int64(NULL, INT64_MIN, INT64_MAX, &v), JG_INVALID);
    assert_int_equal(v, 42);
}

#define DEPTH(s) jg_json_depth((s), sizeof(s) - 1)

static void json_depth_counts_nesting(void **state)
{
    (void)state;
    assert_int_equal(jg_json_depth("", 0), 0);
    assert_int_equal(DEPTH("42"), 0);
    assert_int_equal(DEPTH("[]"), 1);
    assert_int_equal(DEPTH("{}"), 1);
    assert_int_equal(DEPTH("[[],[],[]]"), 2);
    assert_int_equal(DEPTH("{\"a\":[1,{\"b\":[]}],\"c\":{}}"), 4);
    /* Depth is the deepest point, not the number of brackets. */
    assert_int_equal(DEPTH("[1][2][3]"), 1);
    /* Stray closers do not go below zero, so later opens still count from zero. */
    assert_int_equal(DEPTH("]]]}}[["), 2);
    /* Only the first n bytes count. */
    assert_int_equal(jg_json_depth("[[[[", 2), 2);
}

static void json_depth_skips_strings(void **state)
{
    (void)state;
    assert_int_equal(DEPTH("\"[[[[{{{{\""), 0);
    assert_int_equal(DEPTH("[\"]]]]\",[1]]"), 2);
    assert_int_equal(DEPTH("{\"a\":\"{[\"}"), 1);
    /* An escaped quote does not end the string, so the brackets after it are still text. */
    assert_int_equal(DEPTH("{\"a\":\"x\\\"[[[[\"}"), 1);
    /* An escaped backslash does end before the quote: the brackets after it count. */
    assert_int_equal(DEPTH("[\"\\\\\",[[]]]"), 3);
    /* Chinese text in strings with brackets. */
    assert_int_equal(DEPTH("{\"名称\":\"【一期】[二期]\",\"x\":[[\"}\"]]}"), 3);
    /* An unterminated string swallows the rest. */
    assert_int_equal(DEPTH("[\"[[[["), 1);
}

static void strlcpy_copies_and_truncates(void **state)
{
    (void)state;
    char dst[8];
    assert_int_equal(jg_strlcpy(dst, "hello", sizeof(dst)), JG_OK);
    assert_string_equal(dst, "hello");
    assert_int_equal(jg_strlcpy(dst, "1234567", sizeof(dst)), JG_OK); /* exactly fits with the NUL */
    assert_string_equal(dst, "1234567");
    assert_int_equal(jg_strlcpy(dst, "12345678", sizeof(dst)), JG_TOOLARGE);
    assert_string_equal(dst, "1234567");
    assert_int_equal(jg_strlcpy(dst, "a much longer string", sizeof(dst)), JG_TOOLARGE);
    assert_string_equal(dst, "a much ");
    assert_int_equal(jg_strlcpy(dst, "", sizeof(dst)), JG_OK);
    assert_string_equal(dst, "");
    assert_int_equal(jg_strlcpy(dst, "x", 1), JG_TOOLARGE);
    assert_string_equal(dst, "");
    /* dstlen 0 writes nothing at all. */
    memcpy(dst, "ABCDEFG", 8);
    assert_int_equal(jg_strlcpy(dst, "x", 0), JG_TOOLARGE);
    assert_string_equal(dst, "ABCDEFG");
}

static void utf8_chars_counts_code_points(void **state)
{
    (void)state;
    assert_int_equal(jg_utf8_chars(""), 0);
    assert_int_equal(jg_utf8_chars("abc"), 3);
    assert_int_equal(jg_utf8_chars("\xe5\xbb\xba\xe8\xae\xbe"), 2);   /* 建设: 3 bytes each */
    assert_int_equal(jg_utf8_chars("a\xc3\xa9\xf0\x9f\x98\x80z"), 4); /* a é 😀 z: 1, 2, 4, 1 bytes */
}

/* FNV-1a 64: the published test vectors; index names of entity tables depend on them. */
static void fnv1a_vectors(void **state)
{
    (void)state;
    assert_true(jg_fnv1a("") == 0xcbf29ce484222325ULL);
    assert_true(jg_fnv1a("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(jg_fnv1a("foobar") == 0x85944171f73967e8ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fnv1a_vectors),
        cmocka_unit_test(utf8_accepts_chinese_and_ascii),
        cmocka_unit_test(utf8_rejects_overlongs),
        cmocka_unit_test(utf8_rejects_surrogates_and_beyond_unicode),
        cmocka_unit_test(utf8_rejects_truncated_and_stray_bytes),
        cmocka_unit_test(utf8_rejects_embedded_nul),
        cmocka_unit_test(parse_int64_accepts_range_and_signs),
        cmocka_unit_test(parse_int64_rejects_out_of_range_and_overflow),
        cmocka_unit_test(parse_int64_rejects_junk),
        cmocka_unit_test(json_depth_counts_nesting),
        cmocka_unit_test(json_depth_skips_strings),
        cmocka_unit_test(strlcpy_copies_and_truncates),
        cmocka_unit_test(utf8_chars_counts_code_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
