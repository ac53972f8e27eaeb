/* Unit tests for src/crypto/crypto.c: PBKDF2-HMAC-SM3 password hashes, SM3 itself in the
 * platform's OpenSSL and through jg_sm3 (GB/T 32905-2016 test vectors), HMAC-SM3, constant-time
 * comparison. SM4 and SM2: test_crypto_sm4.c, test_crypto_sm2.c. */
#include "crypto/crypto.h"

#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define FAST 1000 /* the lowest iteration count jg_password_verify accepts; keeps the tests quick */

static void hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static void sm3_test_vectors(void **state)
{
    (void)state;
    const EVP_MD *md = EVP_sm3();
    assert_non_null(md);
    assert_int_equal(EVP_MD_get_size(md), 32);
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char text[2 * EVP_MAX_MD_SIZE + 1];
    /* GB/T 32905-2016 Appendix A, example 1. */
    assert_int_equal(EVP_Digest("abc", 3, out, &n, md, NULL), 1);
    assert_int_equal(n, 32);
    hex(out, n, text);
    assert_string_equal(text, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    /* Example 2: "abcd" repeated 16 times (one full 512-bit block before padding). */
    char m2[65] = "";
    for (int i = 0; i < 16; i++)
        memcpy(m2 + 4 * i, "abcd", 4);
    assert_int_equal(EVP_Digest(m2, 64, out, &n, md, NULL), 1);
    hex(out, n, text);
    assert_string_equal(text, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

static void hash_format(void **state)
{
    (void)state;
    char h[JG_PASSWORD_HASH_MAX];
    assert_int_equal(jg_password_hash("Jg@demo2026", FAST, h, sizeof(h)), JG_OK);
    /* pbkdf2-sm3$1000$<32 hex salt>$<64 hex hash> */
    assert_int_equal(strncmp(h, "pbkdf2-sm3$1000$", 16), 0);
    assert_int_equal(strlen(h), 16 + 32 + 1 + 64);
    assert_int_equal(h[16 + 32], '$');
    for (size_t i = 16; h[i] != '\0'; i++)
        if (i != 16 + 32 && strchr("0123456789abcdef", h[i]) == NULL)
            fail_msg("byte %zu of %s is not lower-case hex", i, h);
    /* The default iteration count fits the documented buffer too. */
    char d[JG_PASSWORD_HASH_MAX];
    assert_int_equal(jg_password_hash("x", JG_PASSWORD_ITERATIONS, d, sizeof(d)), JG_OK);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "pbkdf2-sm3$%d$", JG_PASSWORD_ITERATIONS);
    assert_int_equal(strncmp(d, prefix, strlen(prefix)), 0);
    assert_int_equal(jg_password_verify("x", d), JG_OK);
    /* A buffer too small for the result is reported, not overrun. */
    char small[40];
    assert_int_equal(jg_password_hash("x", FAST, small, sizeof(small)), JG_TOOLARGE);
    assert_true(strlen(small) < sizeof(small));
}

static void round_trip_and_wrong_password(void **state)
{
    (void)state;
    char h[JG_PASSWORD_HASH_MAX];
    assert_int_equal(jg_password_hash("Jg@demo2026", FAST, h, sizeof(h)), JG_OK);
    assert_int_equal(jg_password_verify("Jg@demo2026", h), JG_OK);
    assert_int_equal(jg_password_verify("jg@demo2026", h), JG_DENIED);
    assert_int_equal(jg_password_verify("Jg@demo2026 ", h), JG_DENIED);
    assert_int_equal(jg_password_verify("", h), JG_DENIED);
    /* Chinese and empty passwords work too. */
    assert_int_equal(jg_password_hash("监督站密码", FAST, h, sizeof(h)), JG_OK);
    assert_int_equal(jg_password_verify("监督站密码", h), JG_OK);
    assert_int_equal(jg_password_verify("监督站密", h), JG_DENIED);
    assert_int_equal(jg_password_hash("", FAST, h, sizeof(h)), JG_OK);
    assert_int_equal(jg_password_verify("", h), JG_OK);
    assert_int_equal(jg_password_verify("a", h), JG_DENIED);
}

static void salts_differ(void **state)
{
    (void)state;
    char a[JG_PASSWORD_HASH_MAX], b[JG_PASSWORD_HASH_MAX];
    assert_int_equal(jg_password_hash("same", FAST, a, sizeof(a)), JG_OK);
    assert_int_equal(jg_password_hash("same", FAST, b, sizeof(b)), JG_OK);
    assert_string_not_equal(a, b);
    assert_memory_not_equal(a + 16, b + 16, 32); /* the salts */
    assert_int_equal(jg_password_verify("same", a), JG_OK);
    assert_int_equal(jg_password_verify("same", b), JG_OK);
}

static void verifies_independently_made_hash(void **state)
{
    (void)state;
    /* Build a stored string with OpenSSL directly: proves the format (hex salt bytes, iterations,
     * 32-byte PBKDF2-HMAC-SM3 output) rather than only agreement with jg_password_hash. */
    const unsigned char salt[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    unsigned char dk[32];
    assert_int_equal(PKCS5_PBKDF2_HMAC("福建", (int)strlen("福建"), salt, 16, 2000, EVP_sm3(), 32, dk), 1);
    char salt_hex[33], dk_hex[65], stored[JG_PASSWORD_HASH_MAX];
    hex(salt, 16, salt_hex);
    hex(dk, 32, dk_hex);
    snprintf(stored, sizeof(stored), "pbkdf2-sm3$2000$%s$%s", salt_hex, dk_hex);
    assert_int_equal(jg_password_verify("福建", stored), JG_OK);
    assert_int_equal(jg_password_verify("福州", stored), JG_DENIED);
    /* The iteration count in the string is the one used. */
    assert_int_equal(stored[11], '2');
    stored[11] = '1'; /* 2000 -> 1000 */
    assert_int_equal(jg_password_verify("福建", stored), JG_DENIED);
    stored[11] = '2';
    assert_int_equal(jg_password_verify("福建", stored), JG_OK);
    /* One changed hex digit of the hash. */
    size_t last = strlen(stored) - 1;
    stored[last] = stored[last] == '0' ? '1' : '0';
    assert_int_equal(jg_password_verify("福建", stored), JG_DENIED);
}

static void malformed_stored_strings(void **state)
{
    (void)state;
    char good[JG_PASSWORD_HASH_MAX];
    assert_int_equal(jg_password_hash("pw", FAST, good, sizeof(good)), JG_OK);
    const char *salt = good + 16;      /* 32 hex */
    const char *hash = good + 16 + 33; /* 64 hex */
    char bad[24][256];
    int n = 0;
    snprintf(bad[n++], 256, "%s", "");
    snprintf(bad[n++], 256, "%s", "pbkdf2-sm3$");
    snprintf(bad[n++], 256, "%s", "pbkdf2-sm3$1000");
    snprintf(bad[n++], 256, "%s", "pbkdf2-sm3$1000$");
    snprintf(bad[n++], 256, "pbkdf2-sha256$1000$%.32s$%s", salt, hash);
    snprintf(bad[n++], 256, "PBKDF2-SM3$1000$%.32s$%s", salt, hash);
    snprintf(bad[n++], 256, "pbkdf2-sm3$abc$%.32s$%s", salt, hash);
    snprintf(bad[n++], 256, "pbkdf2-sm3$$%.32s$%s", salt, hash);
    snprintf(bad[n++], 256, "pbkdf2-sm3$999$%.32s$%s", salt, hash);       /* below the minimum */
    snprintf(bad[n++], 256, "pbkdf2-sm3$10000001$%.32s$%s", salt, hash);  /* above the maximum */
    snprintf(bad[n++], 256, "pbkdf2-sm3$-1000$%.32s$%s", salt, hash);
    snprintf(bad[n++], 256, "pbkdf2-sm3$99999999999999999999$%.32s$%s", salt, hash);
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.30s$%s", salt, hash);      /* short salt */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.32sab$%s", salt, hash);    /* long salt */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.32s$%.63s", salt, hash);   /* short hash */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.32s$%s0", salt, hash);     /* long hash */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.32s$%s$", salt, hash);     /* trailing field */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.32s%s", salt, hash);       /* missing separator */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.31sg$%s", salt, hash);     /* not hex */
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.32s$%.63sZ", salt, hash);
    snprintf(bad[n++], 256, "pbkdf2-sm3$1000$%.31sA$%s", salt, hash);     /* upper-case hex */
    snprintf(bad[n++], 256, "pbkdf2-sm3$ 1000$%.32s$%s", salt, hash);
    for (int i = 0; i < n; i++) {
        jg_rc rc = jg_password_verify("pw", bad[i]);
        if (rc != JG_INVALID)
            fail_msg("stored \"%s\" gave %s, not invalid", bad[i], jg_rc_name(rc));
    }
    /* The well-formed original still verifies. */
    assert_int_equal(jg_password_verify("pw", good), JG_OK);
}

static void random_bytes(void **state)
{
    (void)state;
    unsigned char a[32], b[32];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    assert_int_equal(jg_crypto_random(a, sizeof(a)), JG_OK);
    assert_int_equal(jg_crypto_random(b, sizeof(b)), JG_OK);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(jg_crypto_random(a, 0), JG_OK);
}

static void jg_sm3_test_vectors(void **state)
{
    (void)state;
    unsigned char out[JG_SM3_LEN];
    char text[2 * JG_SM3_LEN + 1];
    assert_int_equal(jg_sm3("abc", 3, out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    char m2[65] = "";
    for (int i = 0; i < 16; i++)
        memcpy(m2 + 4 * i, "abcd", 4);
    assert_int_equal(jg_sm3(m2, 64, out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
    /* The empty message (a well-known value, not in the standard). */
    assert_int_equal(jg_sm3("", 0, out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b");
}

/* HMAC from its definition (RFC 2104) over jg_sm3: H((K ^ opad) | H((K ^ ipad) | m)), block 64. */
static void hmac_by_hand(const unsigned char *key, size_t keylen, const void *msg, size_t len,
                         unsigned char out[JG_SM3_LEN])
{
    unsigned char k[64] = {0}, inner[64 + 1024], outer[64 + JG_SM3_LEN], ih[JG_SM3_LEN];
    assert_true(len <= 1024);
    if (keylen > 64)
        assert_int_equal(jg_sm3(key, keylen, k), JG_OK);
    else if (keylen > 0)
        memcpy(k, key, keylen);
    for (int i = 0; i < 64; i++) {
        inner[i] = k[i] ^ 0x36;
        outer[i] = k[i] ^ 0x5c;
    }
    if (len > 0)
        memcpy(inner + 64, msg, len);
    assert_int_equal(jg_sm3(inner, 64 + len, ih), JG_OK);
    memcpy(outer + 64, ih, JG_SM3_LEN);
    assert_int_equal(jg_sm3(outer, sizeof(outer), out), JG_OK);
}

static void hmac_sm3(void **state)
{
    (void)state;
    unsigned char out[JG_SM3_LEN], want[JG_SM3_LEN];
    char text[2 * JG_SM3_LEN + 1];
    /* Known answers from an independent implementation (sm-crypto's sm3(msg, {key}), the
     * browser side of the platform) and `openssl mac -digest SM3 -macopt key:key HMAC`. */
    assert_int_equal(jg_hmac_sm3("key", 3, "abc", 3, out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "28e63256e7c5a087b1f073265dc53092163f7b82729735d06f28f10af9d52393");
    const char *fox = "The quick brown fox jumps over the lazy dog";
    assert_int_equal(jg_hmac_sm3("key", 3, fox, strlen(fox), out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "bd4a34077888162b210645b8ebf74b9af357303789357a27c7fc457244ebd398");
    unsigned char long_key[100];
    memset(long_key, 0x0b, sizeof(long_key)); /* longer than the block: hashed first */
    char m2[65] = "";
    for (int i = 0; i < 16; i++)
        memcpy(m2 + 4 * i, "abcd", 4);
    assert_int_equal(jg_hmac_sm3(long_key, sizeof(long_key), m2, 64, out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "4be6723d8ccf88f1af07bff76d03f3ce967ead05e229231b101109c8c9c2633f");
    unsigned char zero_key[64] = {0};
    assert_int_equal(jg_hmac_sm3(zero_key, sizeof(zero_key), "监督", strlen("监督"), out), JG_OK);
    hex(out, sizeof(out), text);
    assert_string_equal(text, "3ade0639af11cac2c5d6b87566c985001d8a1ef6be1eff06704c6bb1ba5a02e1");
    /* Against the definition, for key lengths around the block size and an empty key (which
     * HMAC pads to 64 zero bytes, so it equals the all-zero 64-byte key). */
    const size_t lens[] = {0, 1, 16, 32, 63, 64, 65, 100};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        assert_int_equal(jg_hmac_sm3(long_key, lens[i], fox, strlen(fox), out), JG_OK);
        hmac_by_hand(long_key, lens[i], fox, strlen(fox), want);
        assert_memory_equal(out, want, JG_SM3_LEN);
        assert_int_equal(jg_hmac_sm3(long_key, lens[i], "", 0, out), JG_OK);
        hmac_by_hand(long_key, lens[i], "", 0, want);
        assert_memory_equal(out, want, JG_SM3_LEN);
    }
    assert_int_equal(jg_hmac_sm3(NULL, 0, "abc", 3, out), JG_OK);
    assert_int_equal(jg_hmac_sm3(zero_key, 64, "abc", 3, want), JG_OK);
    assert_memory_equal(out, want, JG_SM3_LEN);
}

static void constant_time_equal(void **state)
{
    (void)state;
    unsigned char a[32], b[32];
    memset(a, 7, sizeof(a));
    memset(b, 7, sizeof(b));
    assert_int_equal(jg_crypto_equal(a, b, sizeof(a)), JG_OK);
    for (size_t i = 0; i < sizeof(b); i++) {
        b[i] ^= 0x80;
        assert_int_equal(jg_crypto_equal(a, b, sizeof(a)), JG_DENIED);
        b[i] ^= 0x80;
    }
    assert_int_equal(jg_crypto_equal(a, b, 0), JG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sm3_test_vectors),
        cmocka_unit_test(jg_sm3_test_vectors),
        cmocka_unit_test(hmac_sm3),
        cmocka_unit_test(constant_time_equal),
        cmocka_unit_test(hash_format),
        cmocka_unit_test(round_trip_and_wrong_password),
        cmocka_unit_test(salts_differ),
        cmocka_unit_test(verifies_independently_made_hash),
        cmocka_unit_test(malformed_stored_strings),
        cmocka_unit_test(random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
