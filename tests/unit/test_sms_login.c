/* Unit tests for the pure parts of src/platform/sms_login.c (included below): phone and code
 * checks, code generation, the stored code hash, and the gateway adapter's refusals that need
 * no gateway (the HTTP exchange itself is tested in tests/api/sms.test.mjs). */
#include "../../src/platform/sms_login.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

static void phones(void **state)
{
    (void)state;
    static const char *const good[] = {"13800000003", "13000000000", "19999999999", "15912345678"};
    static const char *const bad[] = {
        "12800000003", "10800000003", "23800000003",  "1380000000", "138000000031",
        "1380000000a", "+8613800000", "138 0000 000", "",           "１３８００００００００"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_true(jg_idcheck_phone(good[i]));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(jg_idcheck_phone(bad[i]));
    assert_false(jg_idcheck_phone(NULL));

    char mask[PHONE_LEN + 1];
    jg_idcheck_mask_phone("13800000003", mask);
    assert_string_equal(mask, "138****0003");
}

static void codes(void **state)
{
    (void)state;
    assert_true(code_valid("000000"));
    assert_true(code_valid("123456"));
    assert_false(code_valid("12345"));
    assert_false(code_valid("1234567"));
    assert_false(code_valid("12345a"));
    assert_false(code_valid(" 12345"));
    assert_false(code_valid(NULL));

    /* Six digits each time, leading zeros kept, every digit about as frequent in every place. */
    enum { N = 20000 };
    int count[CODE_LEN][10] = {{0}};
    int below = 0;
    for (int i = 0; i < N; i++) {
        char c[CODE_LEN + 1];
        assert_int_equal(code_new(c), JG_OK);
        assert_true(code_valid(c));
        below += c[0] == '0';
        for (int k = 0; k < CODE_LEN; k++)
            count[k][c[k] - '0']++;
    }
    assert_true(below > 0);
    for (int k = 0; k < CODE_LEN; k++)
        for (int d = 0; d < 10; d++) /* expected 2000, sd ~42: 6 sd either side */
            assert_in_range(count[k][d], 1750, 2250);
}

static void hashes(void **state)
{
    (void)state;
    unsigned char key[JG_SM4_KEY_LEN], other[JG_SM4_KEY_LEN];
    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    char bidx[JG_SM4_INDEX_LEN + 1], bidx2[JG_SM4_INDEX_LEN + 1];
    assert_int_equal(jg_sm4_blind_index(key, "phone", "13800000003", 11, bidx), JG_OK);
    assert_int_equal(jg_sm4_blind_index(key, "phone", "13800000004", 11, bidx2), JG_OK);

    char h[HASH_HEX + 1], again[HASH_HEX + 1], x[HASH_HEX + 1];
    assert_int_equal(code_hash(key, bidx, "123456", h), JG_OK);
    assert_int_equal(strlen(h), HASH_HEX);
    assert_int_equal(strspn(h, "0123456789abcdef"), HASH_HEX);
    assert_int_equal(code_hash(key, bidx, "123456", again), JG_OK);
    assert_string_equal(h, again);

    /* As documented: HMAC-SM3 under a key derived from the field key, over bidx "|" code. */
    unsigned char k[JG_SM3_LEN], d[JG_SM3_LEN];
    char msg[80], hex[HASH_HEX + 1];
    assert_int_equal(jg_hmac_sm3(key, sizeof(key), CODE_KEY_LABEL, strlen(CODE_KEY_LABEL), k), JG_OK);
    int n = snprintf(msg, sizeof(msg), "%s|123456", bidx);
    assert_int_equal(jg_hmac_sm3(k, sizeof(k), msg, (size_t)n, d), JG_OK);
    jg_crypto_hex_encode(d, sizeof(d), hex);
    assert_string_equal(h, hex);

    /* Another code, another phone, another key: another hash. */
    assert_int_equal(code_hash(key, bidx, "123457", x), JG_OK);
    assert_string_not_equal(h, x);
    assert_int_equal(code_hash(key, bidx2, "123456", x), JG_OK);
    assert_string_not_equal(h, x);
    assert_int_equal(code_hash(other, bidx, "123456", x), JG_OK);
    assert_string_not_equal(h, x);
}

static void times(void **state)
{
    (void)state;
    assert_int_equal(iso_ms("1970-01-01T00:00:01.500Z"), 1500);
    assert_int_equal(iso_ms("2026-01-01T00:00:00.000Z"), INT64_C(1767225600000));
    assert_int_equal(iso_ms("yesterday"), 0);
    assert_int_equal(iso_ms(NULL), 0);
    char now[32];
    jg_time_iso_now(now, sizeof(now));
    int64_t ms = iso_ms(now), wall = (int64_t)time(NULL) * 1000;
    assert_true(ms > wall - 5000 && ms < wall + 5000);
}

static void plain_urls(void **state)
{
    (void)state;
    assert_false(plain_remote("https://sms.example.cn/send"));
    assert_false(plain_remote("http://127.0.0.1:8080/sms"));
    assert_false(plain_remote("http://localhost/sms"));
    assert_false(plain_remote("http://[::1]:9/x"));
    assert_true(plain_remote("http://sms.example.cn/send"));
    assert_true(plain_remote("http://127.0.0.1.evil.example/"));
    assert_true(plain_remote("http://localhost.evil.example/"));
}

/* Refusals that need no gateway: off, unreachable, a scheme other than HTTP(S), a bad token. */
static void gateway_refusals(void **state)
{
    (void)state;
    jg_config cfg = {0};
    cfg.sms_gateway_url = "";
    cfg.sms_gateway_token = "";
    assert_int_equal(jg_sms_send(&cfg, "13800000003", "123456", 5), JG_UNAVAILABLE);
    cfg.sms_gateway_url = "http://127.0.0.1:1/sms"; /* nothing listens on port 1 */
    assert_int_equal(jg_sms_send(&cfg, "13800000003", "123456", 5), JG_UNAVAILABLE);
    cfg.sms_gateway_url = "file:///etc/passwd";
    assert_int_equal(jg_sms_send(&cfg, "13800000003", "123456", 5), JG_UNAVAILABLE);
    cfg.sms_gateway_url = "ftp://127.0.0.1/sms";
    assert_int_equal(jg_sms_send(&cfg, "13800000003", "123456", 5), JG_UNAVAILABLE);
    cfg.sms_gateway_url = "http://127.0.0.1:1/sms";
    cfg.sms_gateway_token = "abc\r\nX-Forged: 1";
    assert_int_equal(jg_sms_send(&cfg, "13800000003", "123456", 5), JG_ERR);
}

static int setup(void **state)
{
    (void)state;
    return jg_sms_init() == JG_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    jg_sms_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(phones), cmocka_unit_test(codes),      cmocka_unit_test(hashes),
        cmocka_unit_test(times),  cmocka_unit_test(plain_urls), cmocka_unit_test(gateway_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
