/* Unit tests for src/http/multipart.c: well-formed bodies split into parts, malformed ones refused. */
#include "base/arena.h"
#include "http/http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CT "multipart/form-data; boundary=XyZ"

static jg_rc parse(const char *ct, const char *body, size_t len, jg_arena *a, jg_part **p, int *n)
{
    return jg_multipart_parse(ct, body, len, a, p, n);
}

static void splits_parts(void **state)
{
    (void)state;
    static const char body[] = "--XyZ\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"报告.pdf\"\r\n"
                               "Content-Type: application/pdf\r\n\r\n"
                               "%PDF-1.4\r\nbinary\0data\r\n"
                               "--XyZ\r\n"
                               "content-disposition: form-data; name=note\r\n\r\n"
                               "hello\r\n"
                               "--XyZ--\r\n";
    jg_arena *a = jg_arena_new();
    jg_part *p;
    int n;
    assert_int_equal(parse(CT, body, sizeof(body) - 1, a, &p, &n), JG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(p[0].name, "file");
    assert_string_equal(p[0].filename, "报告.pdf");
    assert_string_equal(p[0].content_type, "application/pdf");
    assert_int_equal(p[0].len, 21);
    assert_memory_equal(p[0].data, "%PDF-1.4\r\nbinary\0data", 21);
    assert_string_equal(p[1].name, "note");
    assert_null(p[1].filename);
    assert_null(p[1].content_type);
    assert_int_equal(p[1].len, 5);
    assert_memory_equal(p[1].data, "hello", 5);
    jg_arena_free(a);
}

static void quoted_boundary_and_no_final_crlf(void **state)
{
    (void)state;
    static const char body[] =
        "--a b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\\y\"\r\n\r\n"
        "\r\n-- a\r\n--a b--";
    jg_arena *a = jg_arena_new();
    jg_part *p;
    int n;
    assert_int_equal(
        parse("Multipart/Form-Data; charset=utf-8; boundary=\"a b\"", body, sizeof(body) - 1, a, &p, &n),
        JG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].filename, "x\\y");
    assert_int_equal(p[0].len, 6); /* "\r\n-- a" is data */
    jg_arena_free(a);
}

static void refuses_other_types(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    jg_part *p;
    int n;
    assert_int_equal(parse("application/json", "{}", 2, a, &p, &n), JG_UNSUPPORTED);
    assert_int_equal(parse(NULL, "", 0, a, &p, &n), JG_UNSUPPORTED);
    assert_int_equal(parse("multipart/form-data", "", 0, a, &p, &n), JG_INVALID);
    assert_int_equal(parse("multipart/form-data; boundary=", "", 0, a, &p, &n), JG_INVALID);
    assert_int_equal(parse("multipart/form-data; boundary=\"x", "", 0, a, &p, &n), JG_INVALID);
    char longb[200];
    memset(longb, 'b', sizeof(longb));
    snprintf(longb, sizeof(longb), "multipart/form-data; boundary=%0100d", 1);
    assert_int_equal(parse(longb, "", 0, a, &p, &n), JG_INVALID);
    jg_arena_free(a);
}

static void refuses_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                                                                    /* empty */
        "--XyZ--\r\n",                                                                         /* no parts */
        "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--", /* preamble */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx", /* no closing boundary */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--junk", /* epilogue */
        "--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--",                       /* no disposition */
        "--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--",    /* not form-data */
        "--XyZ\r\nContent-Disposition: form-data; filename=\"a\"\r\n\r\nx\r\n--XyZ--", /* no name */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--",       /* open quote */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\nx\r\n--XyZ--", /* twice */
        "--XyZ\r\nBad Header: 1\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--",
        "--XyZ\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nx\r\n--XyZ--", /* not UTF-8 */
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nno colon\r\n\r\nx\r\n--XyZ--",
        "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n", /* header never ends */
        "--XyZ garbage\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--XyZ--",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jg_arena *a = jg_arena_new();
        jg_part *p;
        int n = -1;
        jg_rc rc = parse(CT, bad[i], strlen(bad[i]), a, &p, &n);
        if (rc != JG_INVALID)
            fail_msg("case %zu accepted (rc %d)", i, rc);
        assert_int_equal(n, 0);
        jg_arena_free(a);
    }
}

static void bounded(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    jg_part *p;
    int n;
    /* a header block past the limit */
    size_t big = JG_MULTIPART_MAX_HEADER + 100;
    char *h = jg_arena_alloc(a, big + 200);
    int off = snprintf(h, 200, "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ");
    memset(h + off, 'p', big);
    off += (int)big;
    off += snprintf(h + off, 200, "\r\n\r\nx\r\n--XyZ--");
    assert_int_equal(parse(CT, h, (size_t)off, a, &p, &n), JG_INVALID);
    /* parts: the limit passes, one more does not */
    static const char one[] = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n";
    size_t cap = (sizeof(one) - 1) * (JG_MULTIPART_MAX_PARTS + 1) + 16;
    char *many = jg_arena_alloc(a, cap);
    for (int k = JG_MULTIPART_MAX_PARTS; k <= JG_MULTIPART_MAX_PARTS + 1; k++) {
        size_t len = 0;
        for (int i = 0; i < k; i++) {
            memcpy(many + len, one, sizeof(one) - 1);
            len += sizeof(one) - 1;
        }
        memcpy(many + len, "--XyZ--", 7);
        len += 7;
        jg_rc rc = parse(CT, many, len, a, &p, &n);
        assert_int_equal(rc, k == JG_MULTIPART_MAX_PARTS ? JG_OK : JG_INVALID);
    }
    jg_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_parts),
        cmocka_unit_test(quoted_boundary_and_no_final_crlf),
        cmocka_unit_test(refuses_other_types),
        cmocka_unit_test(refuses_malformed),
        cmocka_unit_test(bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
