/* Unit tests for src/crypto/sm4.c: SM4 in the platform's OpenSSL (GB/T 32907-2016 vectors), the
 * "v1." field-encryption token rebuilt independently from its documented layout, tamper and
 * wrong-key refusal, sizes from 0 bytes to 1 MB, and blind indexes. */
#include "crypto/crypto.h"

#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const unsigned char MASTER[JG_SM4_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static void unhex(const char *hex, unsigned char *out)
{
    for (size_t i = 0; hex[2 * i] != '\0'; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

static void sm4_ecb_vectors(void **state)
{
    (void)state;
    unsigned char key[16], pt[16], want[16], out[32];
    int n = 0;
    /* GB/T 32907-2016 Appendix A, example 1: key = plaintext. */
    unhex("0123456789abcdeffedcba9876543210", key);
    memcpy(pt, key, 16);
    unhex("681edf34d206965e86b3e94f536e4246", want);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_sm4_ecb(), key, NULL, NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, pt, 16), 1);
    assert_int_equal(n, 16);
    assert_memory_equal(out, want, 16);
    /* Example 2: the same block encrypted 1,000,000 times. */
    for (int i = 1; i < 1000000; i++) {
        memcpy(pt, out, 16);
        assert_int_equal(EVP_EncryptUpdate(ctx, out, &n, pt, 16), 1);
    }
    unhex("595298c7c6fd271f0402f804c33d3f66", want);
    assert_memory_equal(out, want, 16);
    EVP_CIPHER_CTX_free(ctx);
}

/* ---- an independent reading of the token, from docs/crypto.md ---- */

static int b64url_value(char c)
{
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = strchr(alphabet, c);
    return c != '\0' && p != NULL ? (int)(p - alphabet) : -1;
}

static size_t b64url_decode(const char *in, unsigned char *out)
{
    size_t o = 0, len = strlen(in);
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = 0;
        size_t k;
        for (k = 0; k < 4 && i + k < len; k++) {
            int d = b64url_value(in[i + k]);
            assert_true(d >= 0);
            v |= (uint32_t)d << (18 - 6 * k);
        }
        for (size_t b = 0; b + 1 < k; b++)
            out[o++] = (unsigned char)(v >> (16 - 8 * b));
    }
    return o;
}

static void hmac(const unsigned char *key, size_t keylen, const unsigned char *data, size_t len,
                 unsigned char *out)
{
    size_t n = 0;
    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, key, keylen, data, len, out, 32, &n));
    assert_int_equal(n, 32);
}

static void derive(const char *label, unsigned char out[32])
{
    hmac(MASTER, sizeof(MASTER), (const unsigned char *)label, strlen(label), out);
}

/* Open a token by hand: SM4-CTR as SM4-ECB over IV, IV+1, ... (128-bit big-endian counter). */
static size_t open_by_hand(const char *token, const char *context, unsigned char *out)
{
    unsigned char enc[32], mac[32], tag[32];
    derive("jianguan/v1/sm4-ctr", enc);
    derive("jianguan/v1/hmac-sm3", mac);
    assert_int_equal(strncmp(token, "v1.", 3), 0);
    unsigned char *raw = malloc(strlen(token));
    assert_non_null(raw);
    size_t n = b64url_decode(token + 3, raw);
    assert_true(n >= 48);
    size_t clen = strlen(context), ct = n - 48;
    unsigned char *m = malloc(3 + 4 + clen + 16 + ct);
    assert_non_null(m);
    memcpy(m, "v1.", 3);
    m[3] = (unsigned char)(clen >> 24);
    m[4] = (unsigned char)(clen >> 16);
    m[5] = (unsigned char)(clen >> 8);
    m[6] = (unsigned char)clen;
    memcpy(m + 7, context, clen);
    memcpy(m + 7 + clen, raw, 16 + ct);
    hmac(mac, 32, m, 7 + clen + 16 + ct, tag);
    assert_memory_equal(tag, raw + 16 + ct, 32);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    assert_int_equal(EVP_EncryptInit_ex2(ctx, EVP_sm4_ecb(), enc, NULL, NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    unsigned char counter[16], ks[32];
    memcpy(counter, raw, 16);
    for (size_t i = 0; i < ct; i += 16) {
        int got = 0;
        assert_int_equal(EVP_EncryptUpdate(ctx, ks, &got, counter, 16), 1);
        for (size_t j = 0; j < 16 && i + j < ct; j++)
            out[i + j] = raw[16 + i + j] ^ ks[j];
        for (int b = 15; b >= 0 && ++counter[b] == 0; b--)
            ;
    }
    EVP_CIPHER_CTX_free(ctx);
    free(m);
    free(raw);
    return ct;
}

static void token_layout(void **state)
{
    (void)state;
    const char *id = "35010219900101123X";
    char token[JG_SM4_TOKEN_SIZE(18)];
    assert_int_equal(jg_sm4_seal(MASTER, "person.id_card", id, strlen(id), token, sizeof(token)), JG_OK);
    /* "v1." + base64url of 16 + 18 + 32 = 66 bytes = 88 characters, no padding. */
    assert_int_equal(strlen(token), 3 + 88);
    assert_int_equal(strlen(token) + 1, JG_SM4_TOKEN_SIZE(18));
    for (const char *p = token + 3; *p; p++)
        assert_true(b64url_value(*p) >= 0);
    unsigned char out[64];
    assert_int_equal(open_by_hand(token, "person.id_card", out), 18);
    assert_memory_equal(out, id, 18);
    /* A counter whose low byte wraps: seal 7 blocks until the IV's last byte is 0xfb or more
     * (1 in 51 per try), so the carry into byte 14 is exercised against the hand-made CTR. */
    char big[JG_SM4_TOKEN_SIZE(100)];
    unsigned char text[100], back[100];
    for (int i = 0; i < 100; i++)
        text[i] = (unsigned char)i;
    for (int tries = 0;; tries++) {
        assert_true(tries < 1000);
        assert_int_equal(jg_sm4_seal(MASTER, "", text, sizeof(text), big, sizeof(big)), JG_OK);
        unsigned char raw[200];
        b64url_decode(big + 3, raw);
        if (raw[15] >= 0xfb)
            break;
    }
    assert_int_equal(open_by_hand(big, "", back), 100);
    assert_memory_equal(back, text, 100);
}

static void round_trips(void **state)
{
    (void)state;
    const size_t sizes[] = {0, 1, 15, 16, 17, 31, 32, 33, 255, 1000, 1024 * 1024};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = sizes[i];
        unsigned char *text = malloc(len + 1), *back = malloc(len + 1);
        char *token = malloc(JG_SM4_TOKEN_SIZE(len));
        assert_non_null(text);
        assert_non_null(back);
        assert_non_null(token);
        assert_int_equal(jg_crypto_random(text, len), JG_OK);
        assert_int_equal(jg_sm4_seal(MASTER, "t.c", text, len, token, JG_SM4_TOKEN_SIZE(len)), JG_OK);
        assert_int_equal(strlen(token) + 1, JG_SM4_TOKEN_SIZE(len));
        size_t n = 12345;
        assert_int_equal(jg_sm4_open(MASTER, "t.c", token, back, len, &n), JG_OK);
        assert_int_equal(n, len);
        if (len > 0)
            assert_memory_equal(back, text, len);
        if (len <= 1000) {
            assert_int_equal(open_by_hand(token, "t.c", back), len);
            if (len > 0)
                assert_memory_equal(back, text, len);
        }
        free(text);
        free(back);
        free(token);
    }
    /* Chinese text, a NULL context (the same as ""). */
    const char *name = "福州市建设工程质量安全监督站";
    char token[JG_SM4_TOKEN_SIZE(64)];
    char back[64];
    size_t n = 0;
    assert_int_equal(jg_sm4_seal(MASTER, NULL, name, strlen(name), token, sizeof(token)), JG_OK);
    assert_int_equal(jg_sm4_open(MASTER, "", token, back, sizeof(back), &n), JG_OK);
    assert_int_equal(n, strlen(name));
    assert_memory_equal(back, name, n);
}

static void fresh_iv_each_time(void **state)
{
    (void)state;
    char a[JG_SM4_TOKEN_SIZE(5)], b[JG_SM4_TOKEN_SIZE(5)];
    assert_int_equal(jg_sm4_seal(MASTER, "c", "hello", 5, a, sizeof(a)), JG_OK);
    assert_int_equal(jg_sm4_seal(MASTER, "c", "hello", 5, b, sizeof(b)), JG_OK);
    assert_string_not_equal(a, b);
}

static void tamper_refused(void **state)
{
    (void)state;
    const char *text = "350102199001011234";
    char token[JG_SM4_TOKEN_SIZE(18)];
    unsigned char out[64];
    size_t n;
    assert_int_equal(jg_sm4_seal(MASTER, "person.id_card", text, strlen(text), token, sizeof(token)), JG_OK);
    size_t len = strlen(token);
    int denied = 0, invalid = 0;
    /* Every bit of every character (7 bits keep it ASCII and non-NUL). */
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 7; bit++) {
            char t[JG_SM4_TOKEN_SIZE(18)];
            memcpy(t, token, len + 1);
            t[i] = (char)(t[i] ^ (1 << bit));
            n = 99;
            jg_rc rc = jg_sm4_open(MASTER, "person.id_card", t, out, sizeof(out), &n);
            if (rc != JG_DENIED && rc != JG_INVALID)
                fail_msg("flipping bit %d of byte %zu of %s gave %s", bit, i, token, jg_rc_name(rc));
            assert_int_equal(n, 0);
            denied += rc == JG_DENIED;
            invalid += rc == JG_INVALID;
        }
    }
    assert_true(denied > 0 && invalid > 0);
    /* Every truncation, and extra characters. */
    for (size_t i = 0; i < len; i++) {
        char t[JG_SM4_TOKEN_SIZE(18)];
        memcpy(t, token, i);
        t[i] = '\0';
        jg_rc rc = jg_sm4_open(MASTER, "person.id_card", t, out, sizeof(out), &n);
        assert_true(rc == JG_DENIED || rc == JG_INVALID);
    }
    const char *tails[] = {"A", "AA", "AAA", "AAAA", "=", "==", " ", "\n"};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        char t[JG_SM4_TOKEN_SIZE(18) + 8];
        snprintf(t, sizeof(t), "%s%s", token, tails[i]);
        jg_rc rc = jg_sm4_open(MASTER, "person.id_card", t, out, sizeof(out), &n);
        assert_true(rc == JG_DENIED || rc == JG_INVALID);
    }
    /* The original still opens. */
    assert_int_equal(jg_sm4_open(MASTER, "person.id_card", token, out, sizeof(out), &n), JG_OK);
    assert_int_equal(n, 18);
}

static void non_canonical_base64_refused(void **state)
{
    (void)state;
    /* 1 byte of plaintext: 49 raw bytes, 66 characters, the last carrying 2 data bits and 4 zero
     * bits. Setting one of those zero bits changes the text, not the bytes: it must not open. */
    char token[JG_SM4_TOKEN_SIZE(1)];
    unsigned char out[4];
    size_t n;
    assert_int_equal(jg_sm4_seal(MASTER, "x", "A", 1, token, sizeof(token)), JG_OK);
    size_t len = strlen(token);
    assert_int_equal(len, 3 + 66);
    int v = b64url_value(token[len - 1]);
    assert_int_equal(v & 15, 0);
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int low = 1; low < 16; low++) {
        token[len - 1] = alphabet[v | low];
        assert_int_equal(jg_sm4_open(MASTER, "x", token, out, sizeof(out), &n), JG_INVALID);
    }
    token[len - 1] = alphabet[v];
    assert_int_equal(jg_sm4_open(MASTER, "x", token, out, sizeof(out), &n), JG_OK);
}

static void wrong_key_or_context_refused(void **state)
{
    (void)state;
    char token[JG_SM4_TOKEN_SIZE(4)];
    unsigned char other[JG_SM4_KEY_LEN], out[8];
    size_t n;
    assert_int_equal(jg_sm4_seal(MASTER, "person.phone", "1234", 4, token, sizeof(token)), JG_OK);
    memcpy(other, MASTER, sizeof(other));
    for (size_t i = 0; i < sizeof(other); i++) {
        other[i] ^= 1;
        assert_int_equal(jg_sm4_open(other, "person.phone", token, out, sizeof(out), &n), JG_DENIED);
        other[i] ^= 1;
    }
    assert_int_equal(jg_sm4_open(MASTER, "person.id_card", token, out, sizeof(out), &n), JG_DENIED);
    assert_int_equal(jg_sm4_open(MASTER, "", token, out, sizeof(out), &n), JG_DENIED);
    assert_int_equal(jg_sm4_open(MASTER, NULL, token, out, sizeof(out), &n), JG_DENIED);
    assert_int_equal(jg_sm4_open(MASTER, "person.phone", token, out, sizeof(out), &n), JG_OK);
}

static void malformed_and_sizes(void **state)
{
    (void)state;
    unsigned char out[64];
    size_t n;
    char a64[65], a65[66], a63[64];
    memset(a64, 'A', 64);
    a64[64] = '\0';
    memcpy(a65, a64, 64);
    memcpy(a65 + 64, "A", 2);
    memcpy(a63, a64, 63);
    a63[63] = '\0';
    char bad[12][80];
    int nbad = 0;
    snprintf(bad[nbad++], 80, "%s", "");
    snprintf(bad[nbad++], 80, "%s", "v1");
    snprintf(bad[nbad++], 80, "%s", "v1.");
    snprintf(bad[nbad++], 80, "v2.%s", a64);
    snprintf(bad[nbad++], 80, "V1.%s", a64);
    snprintf(bad[nbad++], 80, " v1.%s", a64);
    snprintf(bad[nbad++], 80, "v1.%s", "AAAA"); /* shorter than IV + tag */
    snprintf(bad[nbad++], 80, "v1.%s", a63);    /* 47 bytes */
    snprintf(bad[nbad++], 80, "v1.%s", a65);    /* 4n + 1 characters */
    snprintf(bad[nbad++], 80, "v1.%s+", a63);   /* standard alphabet, not url */
    snprintf(bad[nbad++], 80, "v1.%s=", a63);   /* padding */
    snprintf(bad[nbad++], 80, "v1.%.62s==", a64);
    for (int i = 0; i < nbad; i++) {
        jg_rc rc = jg_sm4_open(MASTER, "", bad[i], out, sizeof(out), &n);
        if (rc != JG_INVALID)
            fail_msg("\"%s\" gave %s, not invalid", bad[i], jg_rc_name(rc));
    }
    /* 48 zero bytes: well-formed, MAC wrong. */
    snprintf(bad[0], 80, "v1.%s", a64);
    assert_int_equal(jg_sm4_open(MASTER, "", bad[0], out, sizeof(out), &n), JG_DENIED);
    /* Output buffers: seal needs JG_SM4_TOKEN_SIZE, open needs the plaintext length. */
    char token[JG_SM4_TOKEN_SIZE(10)];
    assert_int_equal(jg_sm4_seal(MASTER, "", "0123456789", 10, token, sizeof(token) - 1), JG_TOOLARGE);
    assert_string_equal(token, "");
    assert_int_equal(jg_sm4_seal(MASTER, "", "0123456789", 10, token, sizeof(token)), JG_OK);
    assert_int_equal(jg_sm4_open(MASTER, "", token, out, 9, &n), JG_TOOLARGE);
    assert_int_equal(jg_sm4_open(MASTER, "", token, out, 10, &n), JG_OK);
    assert_int_equal(jg_sm4_seal(MASTER, "", "", (size_t)JG_SM4_MAX_PLAINTEXT + 1, token, sizeof(token)),
                     JG_TOOLARGE);
}

static void blind_index(void **state)
{
    (void)state;
    char a[JG_SM4_INDEX_LEN + 1], b[JG_SM4_INDEX_LEN + 1];
    const char *id = "35010219900101123X";
    assert_int_equal(jg_sm4_blind_index(MASTER, "person.id_card", id, strlen(id), a), JG_OK);
    assert_int_equal(strlen(a), 64);
    for (const char *p = a; *p; p++)
        assert_non_null(strchr("0123456789abcdef", *p));
    /* Deterministic: the point is to find equal values with WHERE id_card_idx = $1. */
    assert_int_equal(jg_sm4_blind_index(MASTER, "person.id_card", id, strlen(id), b), JG_OK);
    assert_string_equal(a, b);
    /* By hand: HMAC-SM3(HMAC-SM3(master, label), u32be(len(field)) | field | value). */
    unsigned char ikey[32], h[32], m[128];
    derive("jianguan/v1/blind-index", ikey);
    size_t flen = strlen("person.id_card");
    m[0] = m[1] = m[2] = 0;
    m[3] = (unsigned char)flen;
    memcpy(m + 4, "person.id_card", flen);
    memcpy(m + 4 + flen, id, strlen(id));
    hmac(ikey, 32, m, 4 + flen + strlen(id), h);
    for (int i = 0; i < 32; i++)
        snprintf(b + 2 * i, 3, "%02x", h[i]);
    assert_string_equal(a, b);
    /* Another value, field, or key: another index. */
    assert_int_equal(jg_sm4_blind_index(MASTER, "person.id_card", "35010219900101123x", 18, b), JG_OK);
    assert_string_not_equal(a, b);
    assert_int_equal(jg_sm4_blind_index(MASTER, "person.phone", id, strlen(id), b), JG_OK);
    assert_string_not_equal(a, b);
    unsigned char other[JG_SM4_KEY_LEN];
    memcpy(other, MASTER, sizeof(other));
    other[31] ^= 1;
    assert_int_equal(jg_sm4_blind_index(other, "person.id_card", id, strlen(id), b), JG_OK);
    assert_string_not_equal(a, b);
    /* The field is length-prefixed: ("ab", "c") and ("a", "bc") differ. */
    assert_int_equal(jg_sm4_blind_index(MASTER, "ab", "c", 1, a), JG_OK);
    assert_int_equal(jg_sm4_blind_index(MASTER, "a", "bc", 2, b), JG_OK);
    assert_string_not_equal(a, b);
    /* NULL field is "", an empty value is allowed. */
    assert_int_equal(jg_sm4_blind_index(MASTER, NULL, "", 0, a), JG_OK);
    assert_int_equal(jg_sm4_blind_index(MASTER, "", "", 0, b), JG_OK);
    assert_string_equal(a, b);
    /* The index key is not the sealing key: an index is not a MAC anyone could reuse. */
    unsigned char enc[32], mac[32];
    derive("jianguan/v1/sm4-ctr", enc);
    derive("jianguan/v1/hmac-sm3", mac);
    assert_memory_not_equal(ikey, mac, 32);
    assert_memory_not_equal(ikey, enc, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sm4_ecb_vectors),
        cmocka_unit_test(token_layout),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(fresh_iv_each_time),
        cmocka_unit_test(tamper_refused),
        cmocka_unit_test(non_canonical_base64_refused),
        cmocka_unit_test(wrong_key_or_context_refused),
        cmocka_unit_test(malformed_and_sizes),
        cmocka_unit_test(blind_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
