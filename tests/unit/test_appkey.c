/* Unit tests for src/platform/appkey.c: header formats, RFC 3986 encoding, the canonical request
 * and its HMAC-SM3 signature. The expected values of the worked example (docs/api/README.md) were
 * computed independently with Node's crypto (createHash/createHmac 'sm3'). */
#include "platform/appkey.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define SECRET "5f1d0c8a3b7e4f2a9c6d1e0b8a7f3c2d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091"
#define TS "1767225600"
#define NONCE "4f6c0b2e9d8a7c6b5a4f3e2d1c0b9a88"
#define SM3_EMPTY "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"

static void header_formats(void **state)
{
    (void)state;
    assert_true(jg_appkey_key_ok("ak_0123456789abcdef01234567"));
    assert_true(jg_appkey_key_ok("A"));
    assert_false(jg_appkey_key_ok(""));
    assert_false(jg_appkey_key_ok(NULL));
    assert_false(jg_appkey_key_ok("ak 1"));
    assert_false(jg_appkey_key_ok("ak.1"));
    char long_key[JG_APPKEY_MAX_KEY + 2];
    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    assert_false(jg_appkey_key_ok(long_key));
    long_key[JG_APPKEY_MAX_KEY] = '\0';
    assert_true(jg_appkey_key_ok(long_key));

    assert_true(jg_appkey_nonce_ok("0123456789abcdef"));
    assert_false(jg_appkey_nonce_ok("0123456789abcde")); /* 15 */
    assert_false(jg_appkey_nonce_ok("0123456789abcdef/"));
    char nonce[JG_APPKEY_NONCE_MAX + 2];
    memset(nonce, '-', sizeof(nonce) - 1);
    nonce[sizeof(nonce) - 1] = '\0';
    assert_false(jg_appkey_nonce_ok(nonce));
    nonce[JG_APPKEY_NONCE_MAX] = '\0';
    assert_true(jg_appkey_nonce_ok(nonce));

    int64_t ts = -1;
    assert_int_equal(jg_appkey_parse_timestamp(TS, &ts), JG_OK);
    assert_int_equal(ts, 1767225600);
    assert_int_equal(jg_appkey_parse_timestamp("0", &ts), JG_OK);
    assert_int_equal(ts, 0);
    assert_int_equal(jg_appkey_parse_timestamp("999999999999", &ts), JG_OK);
    assert_int_equal(jg_appkey_parse_timestamp("1000000000000", &ts), JG_INVALID);
    assert_int_equal(jg_appkey_parse_timestamp("", &ts), JG_INVALID);
    assert_int_equal(jg_appkey_parse_timestamp(NULL, &ts), JG_INVALID);
    assert_int_equal(jg_appkey_parse_timestamp("-1", &ts), JG_INVALID);
    assert_int_equal(jg_appkey_parse_timestamp("+1", &ts), JG_INVALID);
    assert_int_equal(jg_appkey_parse_timestamp(" 1", &ts), JG_INVALID);
    assert_int_equal(jg_appkey_parse_timestamp("1.5", &ts), JG_INVALID);
}

static void encoding(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1024);
    const char *s = "aZ09-._~ /+=&%\n安";
    assert_int_equal(jg_appkey_encode(&b, s, strlen(s), 0), JG_OK);
    assert_string_equal(b.data, "aZ09-._~%20%2F%2B%3D%26%25%0A%E5%AE%89");
    jg_buf_free(&b);
    assert_int_equal(jg_appkey_encode(&b, "/api/v1/x y", 11, 1), JG_OK);
    assert_string_equal(b.data, "/api/v1/x%20y");
    jg_buf_free(&b);
    /* A byte with the high bit set, and the bound. */
    jg_buf_init(&b, 5);
    assert_int_equal(jg_appkey_encode(&b, "\xff", 1, 0), JG_OK);
    assert_string_equal(b.data, "%FF");
    assert_int_equal(jg_appkey_encode(&b, "\xff", 1, 0), JG_TOOLARGE);
    jg_buf_free(&b);
}

/* The worked example of docs/api/README.md: a GET with a query. */
static void worked_example_get(void **state)
{
    (void)state;
    /* As the server decodes ?status=under_construction&keyword=%E5%AE%89%E7%BD%AE+%E4%B8%80%E6%9C%9F
     * &size=20&status=suspended ('+' is a space). */
    const jg_kv query[] = {
        {"status", "under_construction"}, {"keyword", "安置 一期"}, {"size", "20"}, {"status", "suspended"}};
    jg_buf b;
    jg_buf_init(&b, JG_APPKEY_CANONICAL_MAX);
    assert_int_equal(jg_appkey_canonical(&b, "GET", "/api/v1/projects", query, 4, TS, NONCE, "", 0), JG_OK);
    assert_string_equal(b.data,
                        "GET\n/api/v1/projects\n"
                        "keyword=%E5%AE%89%E7%BD%AE%20%E4%B8%80%E6%9C%9F&size=20&status=under_construction"
                        "&status=suspended\n" TS "\n" NONCE "\n" SM3_EMPTY);
    char sig[JG_APPKEY_SIG_HEX + 1];
    assert_int_equal(jg_appkey_sign(SECRET, b.data, b.len, sig), JG_OK);
    assert_string_equal(sig, "c493c1ba6ba1e3e10f00a259bcc95d954d1d2ac651c6101c7f9c09a3aaa83f6d");
    jg_buf_free(&b);
}

/* The second example: a POST with a JSON body and no query. */
static void worked_example_post(void **state)
{
    (void)state;
    const char *body = "{\"org_code\":\"3502\",\"size\":5}";
    jg_buf b;
    jg_buf_init(&b, JG_APPKEY_CANONICAL_MAX);
    assert_int_equal(
        jg_appkey_canonical(&b, "POST", "/api/v1/projects/query", NULL, 0, TS, NONCE, body, strlen(body)),
        JG_OK);
    assert_string_equal(b.data, "POST\n/api/v1/projects/query\n\n" TS "\n" NONCE
                                "\nfe65f5cf6246071574e37973be0567967e15e3b559433f9a963fd5f07012d6f7");
    char sig[JG_APPKEY_SIG_HEX + 1];
    assert_int_equal(jg_appkey_sign(SECRET, b.data, b.len, sig), JG_OK);
    assert_string_equal(sig, "4619e0404050f47934020fa5c962264feaad859c1a55c3a3766eefe1da31846b");
    jg_buf_free(&b);
}

/* Sorting is by encoded key and stable; each change of a part changes the canonical request. */
static void canonical_query_rules(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 4096);
    /* Encoded "%E5%AE%89" sorts before "a" (byte order of the encoded text, '%' < 'a'); "b" keeps
     * its two values in the order sent; a key with no value is "k=". */
    const jg_kv q[] = {{"b", "2"}, {"a", ""}, {"安", "x"}, {"b", "1"}, {"", "v"}};
    assert_int_equal(jg_appkey_canonical(&b, "GET", "/p", q, 5, "1", NONCE, NULL, 0), JG_OK);
    assert_string_equal(b.data, "GET\n/p\n=v&%E5%AE%89=x&a=&b=2&b=1\n1\n" NONCE "\n" SM3_EMPTY);
    jg_buf_free(&b);

    const jg_kv swapped[] = {{"b", "1"}, {"b", "2"}};
    const jg_kv ordered[] = {{"b", "2"}, {"b", "1"}};
    jg_buf x, y;
    jg_buf_init(&x, 4096);
    jg_buf_init(&y, 4096);
    assert_int_equal(jg_appkey_canonical(&x, "GET", "/p", swapped, 2, "1", NONCE, NULL, 0), JG_OK);
    assert_int_equal(jg_appkey_canonical(&y, "GET", "/p", ordered, 2, "1", NONCE, NULL, 0), JG_OK);
    assert_string_not_equal(x.data, y.data);
    jg_buf_free(&x);
    jg_buf_free(&y);

    /* "a=b" as one key is not the pair a, b: '=' in a key is encoded. */
    const jg_kv one[] = {{"a=b", ""}}, two[] = {{"a", "b="}};
    jg_buf_init(&x, 4096);
    jg_buf_init(&y, 4096);
    assert_int_equal(jg_appkey_canonical(&x, "GET", "/p", one, 1, "1", NONCE, NULL, 0), JG_OK);
    assert_int_equal(jg_appkey_canonical(&y, "GET", "/p", two, 1, "1", NONCE, NULL, 0), JG_OK);
    assert_string_not_equal(x.data, y.data);
    jg_buf_free(&x);
    jg_buf_free(&y);

    /* A path with a newline cannot pose as another line. */
    jg_buf_init(&x, 4096);
    assert_int_equal(jg_appkey_canonical(&x, "GET", "/p\nq", NULL, 0, "1", NONCE, NULL, 0), JG_OK);
    assert_string_equal(x.data, "GET\n/p%0Aq\n\n1\n" NONCE "\n" SM3_EMPTY);
    jg_buf_free(&x);
}

static void canonical_bound(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 64);
    assert_int_equal(
        jg_appkey_canonical(&b, "GET", "/a/long/path/that/does/not/fit", NULL, 0, TS, NONCE, NULL, 0),
        JG_TOOLARGE);
    jg_buf_free(&b);
}

static void signature_depends_on_secret(void **state)
{
    (void)state;
    char a[JG_APPKEY_SIG_HEX + 1], b[JG_APPKEY_SIG_HEX + 1];
    assert_int_equal(jg_appkey_sign(SECRET, "x", 1, a), JG_OK);
    assert_int_equal(jg_appkey_sign("0" SECRET, "x", 1, b), JG_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(strlen(a), JG_APPKEY_SIG_HEX);
    assert_int_equal(strspn(a, "0123456789abcdef"), JG_APPKEY_SIG_HEX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_formats),
        cmocka_unit_test(encoding),
        cmocka_unit_test(worked_example_get),
        cmocka_unit_test(worked_example_post),
        cmocka_unit_test(canonical_query_rules),
        cmocka_unit_test(canonical_bound),
        cmocka_unit_test(signature_depends_on_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
