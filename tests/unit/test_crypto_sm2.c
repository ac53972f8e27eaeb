/* Unit tests for src/crypto/sm2.c: keys in PEM and hex, the GB/T 32918.5-2017 signature and
 * encryption examples, sm-crypto's C1C3C2 hex with and without "04" (and C1 coordinates with
 * leading zero bytes), tampering, the standard user ID, strict signature encodings.
 * The cross-implementation checks against sm-crypto itself are in tests/interop. */
#include "crypto/crypto.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* GB/T 32918.5-2017 Appendix A (the same key serves the signature and encryption examples). */
static const char STD_D[] = "3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8";
static const char STD_PUB[] = "0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020"
                              "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13";
/* A.2: signature over "message digest" with ID 1234567812345678. */
static const char STD_SIG[] = "f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3"
                              "b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa";
/* A.3: "encryption standard" encrypted, C1C3C2 without the 04 — and its X1 begins with 04. */
static const char STD_CIPHER[] = "04ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73"
                                 "e858f9d81e5430a57b36daab8f950a3c64e6ee6a63094d99283aff767e124df0"
                                 "59983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd8766"
                                 "21886ca989ca9c7d58087307ca93092d651efa";

static void unhex(const char *hex, unsigned char *out)
{
    for (size_t i = 0; hex[2 * i] != '\0'; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

/* PEM text of an OpenSSL key; the caller frees it. */
static char *pem_of(EVP_PKEY *pkey, int traditional)
{
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    if (traditional)
        assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    else
        assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL), 1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    char *copy = malloc((size_t)n + 1);
    assert_non_null(copy);
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    BIO_free(bio);
    return copy;
}

/* The standard's key pair, made with OpenSSL directly and loaded through PEM. */
static jg_sm2_key *standard_key(void)
{
    unsigned char pub[65];
    unhex(STD_PUB, pub);
    BIGNUM *d = NULL;
    assert_true(BN_hex2bn(&d, STD_D) > 0);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_int_equal(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d), 1);
    assert_int_equal(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)), 1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    EVP_PKEY *pkey = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params), 1);
    char *pem = pem_of(pkey, 0);
    jg_sm2_key *key = NULL;
    assert_int_equal(jg_sm2_key_from_pem(pem, strlen(pem), &key), JG_OK);
    free(pem);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(d);
    return key;
}

static void keys_pem_and_hex(void **state)
{
    (void)state;
    jg_sm2_key *key, *again, *pub;
    char pem[JG_SM2_PEM_MAX], hex[JG_SM2_PUB_HEX_LEN + 1], hex2[JG_SM2_PUB_HEX_LEN + 1];
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    assert_int_equal(jg_sm2_pub_to_hex(key, hex), JG_OK);
    assert_int_equal(strlen(hex), 130);
    assert_int_equal(strncmp(hex, "04", 2), 0);
    for (const char *p = hex; *p; p++)
        assert_non_null(strchr("0123456789abcdef", *p));
    assert_int_equal(jg_sm2_key_to_pem(key, pem, sizeof(pem)), JG_OK);
    assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
    assert_non_null(strstr(pem, "-----END PRIVATE KEY-----\n"));
    assert_int_equal(jg_sm2_key_from_pem(pem, strlen(pem), &again), JG_OK);
    assert_int_equal(jg_sm2_pub_to_hex(again, hex2), JG_OK);
    assert_string_equal(hex, hex2);
    /* The public key alone, in either case; it cannot sign, decrypt or be written as PEM. */
    for (char *p = hex2; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(jg_sm2_pub_from_hex(hex2, &pub), JG_OK);
    assert_int_equal(jg_sm2_pub_to_hex(pub, hex2), JG_OK);
    assert_string_equal(hex, hex2);
    assert_int_equal(jg_sm2_key_to_pem(pub, pem, sizeof(pem)), JG_INVALID);
    jg_sm2_sig sig;
    assert_int_equal(jg_sm2_sign(pub, "x", 1, &sig), JG_INVALID);
    unsigned char out[16];
    size_t n;
    assert_int_equal(jg_sm2_decrypt_hex(pub, STD_CIPHER, out, sizeof(out), &n), JG_INVALID);
    /* A buffer too small for the PEM is reported, not overrun. */
    char small[100];
    assert_int_equal(jg_sm2_key_to_pem(key, small, sizeof(small)), JG_TOOLARGE);
    assert_string_equal(small, "");
    jg_sm2_key_free(pub);
    jg_sm2_key_free(again);
    jg_sm2_key_free(key);
    jg_sm2_key_free(NULL);
}

static void pem_variants(void **state)
{
    (void)state;
    jg_sm2_key *key = NULL;
    /* SEC1 "EC PRIVATE KEY" on the SM2 curve (what `openssl ecparam -genkey -name SM2` writes). */
    EVP_PKEY *sm2 = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    assert_non_null(sm2);
    char *pem = pem_of(sm2, 1);
    assert_non_null(strstr(pem, "BEGIN EC PRIVATE KEY"));
    assert_int_equal(jg_sm2_key_from_pem(pem, strlen(pem), &key), JG_OK);
    jg_sm2_key_free(key);
    free(pem);
    /* Encrypted PKCS#8: refused, and never a prompt on the terminal. */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PKCS8PrivateKey(bio, sm2, EVP_aes_256_cbc(), "secret", 6, NULL, NULL), 1);
    char *data;
    long n = BIO_get_mem_data(bio, &data);
    assert_int_equal(jg_sm2_key_from_pem(data, (size_t)n, &key), JG_INVALID);
    assert_null(key);
    BIO_free(bio);
    EVP_PKEY_free(sm2);
    /* A key on another curve (P-256) is not an SM2 key. */
    EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    assert_non_null(p256);
    pem = pem_of(p256, 0);
    assert_int_equal(jg_sm2_key_from_pem(pem, strlen(pem), &key), JG_INVALID);
    /* Truncated and empty. */
    assert_int_equal(jg_sm2_key_from_pem(pem, strlen(pem) / 2, &key), JG_INVALID);
    assert_int_equal(jg_sm2_key_from_pem("", 0, &key), JG_INVALID);
    assert_int_equal(jg_sm2_key_from_pem("not a key", 9, &key), JG_INVALID);
    free(pem);
    EVP_PKEY_free(p256);
    assert_int_equal(ERR_peek_error(), 0); /* failures leave no errors behind for others */
}

static void public_key_hex_checked(void **state)
{
    (void)state;
    jg_sm2_key *key = NULL;
    char bad[140];
    const char *cases[] = {
        "", "04", STD_PUB + 2, /* without the 04 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(jg_sm2_pub_from_hex(cases[i], &key), JG_INVALID);
    snprintf(bad, sizeof(bad), "%s00", STD_PUB); /* too long */
    assert_int_equal(jg_sm2_pub_from_hex(bad, &key), JG_INVALID);
    snprintf(bad, sizeof(bad), "02%s", STD_PUB + 2); /* wrong prefix for 130 digits */
    assert_int_equal(jg_sm2_pub_from_hex(bad, &key), JG_INVALID);
    snprintf(bad, sizeof(bad), "%s", STD_PUB);
    bad[20] = 'g';
    assert_int_equal(jg_sm2_pub_from_hex(bad, &key), JG_INVALID);
    snprintf(bad, sizeof(bad), "%s", STD_PUB);
    bad[129] = bad[129] == '3' ? '4' : '3'; /* y changed: not on the curve */
    assert_int_equal(jg_sm2_pub_from_hex(bad, &key), JG_INVALID);
    memset(bad, '0', 130);
    bad[1] = '4';
    bad[130] = '\0';
    assert_int_equal(jg_sm2_pub_from_hex(bad, &key), JG_INVALID);
    assert_null(key);
    assert_int_equal(jg_sm2_pub_from_hex(STD_PUB, &key), JG_OK);
    jg_sm2_key_free(key);
    assert_int_equal(ERR_peek_error(), 0);
}

static void standard_signature(void **state)
{
    (void)state;
    jg_sm2_key *pub, *key = standard_key();
    char hex[JG_SM2_PUB_HEX_LEN + 1];
    assert_int_equal(jg_sm2_pub_to_hex(key, hex), JG_OK);
    assert_string_equal(hex, STD_PUB);
    assert_int_equal(jg_sm2_pub_from_hex(STD_PUB, &pub), JG_OK);
    /* The standard's signature verifies only with its message (and so with Z over the standard ID). */
    assert_int_equal(jg_sm2_verify_hex(pub, "message digest", 14, STD_SIG), JG_OK);
    assert_int_equal(jg_sm2_verify_hex(pub, "message digesT", 14, STD_SIG), JG_DENIED);
    /* Our own signatures with the standard's key verify. */
    jg_sm2_sig sig;
    assert_int_equal(jg_sm2_sign(key, "message digest", 14, &sig), JG_OK);
    assert_int_equal(jg_sm2_verify_hex(pub, "message digest", 14, sig.hex), JG_OK);
    assert_int_equal(jg_sm2_verify(pub, "message digest", 14, sig.der, sig.der_len), JG_OK);
    jg_sm2_key_free(pub);
    jg_sm2_key_free(key);
}

/* Sign with OpenSSL's defaults, as code that forgets EVP_PKEY_CTX_set1_id does. */
static size_t sign_without_id(EVP_PKEY *pkey, const char *msg, unsigned char *der)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = JG_SM2_SIG_DER_MAX;
    assert_int_equal(EVP_DigestSignInit_ex(md, NULL, "SM3", NULL, NULL, pkey, NULL), 1);
    assert_int_equal(EVP_DigestSign(md, der, &n, (const unsigned char *)msg, strlen(msg)), 1);
    EVP_MD_CTX_free(md);
    return n;
}

static void user_id_is_the_standard_one(void **state)
{
    (void)state;
    /* OpenSSL 3.0 hashes an empty ID into Z by default: its signatures do not verify with the
     * standard ID, and ours do not verify with the empty one. */
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
    char *pem = pem_of(pkey, 0);
    jg_sm2_key *key;
    assert_int_equal(jg_sm2_key_from_pem(pem, strlen(pem), &key), JG_OK);
    unsigned char der[JG_SM2_SIG_DER_MAX];
    size_t n = sign_without_id(pkey, "abc", der);
    assert_int_equal(jg_sm2_verify(key, "abc", 3, der, n), JG_DENIED);
    jg_sm2_sig sig;
    assert_int_equal(jg_sm2_sign(key, "abc", 3, &sig), JG_OK);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, "SM3", NULL, NULL, pkey, NULL), 1);
    assert_int_equal(EVP_DigestVerify(md, sig.der, sig.der_len, (const unsigned char *)"abc", 3), 0);
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    /* With the ID set, plain OpenSSL agrees with us. */
    md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    assert_int_equal(EVP_DigestVerifyInit_ex(md, &pctx, "SM3", NULL, NULL, pkey, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16), 1);
    assert_int_equal(EVP_DigestVerify(md, sig.der, sig.der_len, (const unsigned char *)"abc", 3), 1);
    EVP_MD_CTX_free(md);
    jg_sm2_key_free(key);
    free(pem);
    EVP_PKEY_free(pkey);
}

static void signatures(void **state)
{
    (void)state;
    jg_sm2_key *key, *other;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    assert_int_equal(jg_sm2_keygen(&other), JG_OK);
    const char *msg = "闽建监〔2026〕1号 整改通知书";
    size_t len = strlen(msg);
    for (int round = 0; round < 20; round++) {
        jg_sm2_sig sig;
        assert_int_equal(jg_sm2_sign(key, msg, len, &sig), JG_OK);
        assert_int_equal(strlen(sig.hex), 128);
        assert_true(sig.der_len >= 8 && sig.der_len <= 72);
        /* Both encodings carry the same r and s. */
        const unsigned char *p = sig.der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig.der_len);
        assert_non_null(es);
        unsigned char rs[64], want[64];
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32), 32);
        assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32), 32);
        ECDSA_SIG_free(es);
        unhex(sig.hex, want);
        assert_memory_equal(rs, want, 64);
        assert_int_equal(jg_sm2_verify(key, msg, len, sig.der, sig.der_len), JG_OK);
        assert_int_equal(jg_sm2_verify_hex(key, msg, len, sig.hex), JG_OK);
        assert_int_equal(jg_sm2_verify(other, msg, len, sig.der, sig.der_len), JG_DENIED);
        assert_int_equal(jg_sm2_verify_hex(other, msg, len, sig.hex), JG_DENIED);
        assert_int_equal(jg_sm2_verify_hex(key, msg, len - 1, sig.hex), JG_DENIED);
        /* Any changed digit of r | s. */
        char h[JG_SM2_SIG_HEX_LEN + 1];
        memcpy(h, sig.hex, sizeof(h));
        h[round * 6] = h[round * 6] == '0' ? '1' : '0';
        assert_int_equal(jg_sm2_verify_hex(key, msg, len, h), JG_DENIED);
    }
    /* The empty message. */
    jg_sm2_sig sig;
    assert_int_equal(jg_sm2_sign(key, "", 0, &sig), JG_OK);
    assert_int_equal(jg_sm2_verify(key, "", 0, sig.der, sig.der_len), JG_OK);
    jg_sm2_key_free(key);
    jg_sm2_key_free(other);
}

static void signature_encodings_strict(void **state)
{
    (void)state;
    jg_sm2_key *key;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    jg_sm2_sig sig;
    assert_int_equal(jg_sm2_sign(key, "m", 1, &sig), JG_OK);
    /* Malformed r | s hex. */
    char h[200];
    assert_int_equal(jg_sm2_verify_hex(key, "m", 1, ""), JG_INVALID);
    snprintf(h, sizeof(h), "%.127s", sig.hex);
    assert_int_equal(jg_sm2_verify_hex(key, "m", 1, h), JG_INVALID);
    snprintf(h, sizeof(h), "%s0", sig.hex);
    assert_int_equal(jg_sm2_verify_hex(key, "m", 1, h), JG_INVALID);
    snprintf(h, sizeof(h), "%s", sig.hex);
    h[5] = 'x';
    assert_int_equal(jg_sm2_verify_hex(key, "m", 1, h), JG_INVALID);
    /* r = 0, s = 0, r = n: well-formed, never valid. */
    memset(h, '0', 128);
    h[128] = '\0';
    assert_int_equal(jg_sm2_verify_hex(key, "m", 1, h), JG_DENIED);
    snprintf(h, sizeof(h), "%s%.64s", "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123",
             sig.hex + 64);
    assert_int_equal(jg_sm2_verify_hex(key, "m", 1, h), JG_DENIED);
    /* DER: empty, truncated, trailing byte, BER long-form length, a padded INTEGER. */
    unsigned char d[100];
    assert_int_equal(jg_sm2_verify(key, "m", 1, sig.der, 0), JG_INVALID);
    assert_int_equal(jg_sm2_verify(key, "m", 1, sig.der, sig.der_len - 1), JG_INVALID);
    memcpy(d, sig.der, sig.der_len);
    d[sig.der_len] = 0;
    assert_int_equal(jg_sm2_verify(key, "m", 1, d, sig.der_len + 1), JG_INVALID);
    unsigned char ber[100];
    ber[0] = 0x30;
    ber[1] = 0x81;
    ber[2] = sig.der[1];
    memcpy(ber + 3, sig.der + 2, sig.der_len - 2);
    assert_int_equal(jg_sm2_verify(key, "m", 1, ber, sig.der_len + 1), JG_INVALID);
    /* r with an extra leading 00 (non-minimal INTEGER). */
    size_t rlen = sig.der[3];
    unsigned char pad[100];
    pad[0] = 0x30;
    pad[1] = (unsigned char)(sig.der[1] + 1);
    pad[2] = 0x02;
    pad[3] = (unsigned char)(rlen + 1);
    pad[4] = 0x00;
    memcpy(pad + 5, sig.der + 4, sig.der_len - 4);
    assert_int_equal(jg_sm2_verify(key, "m", 1, pad, sig.der_len + 1), JG_INVALID);
    assert_int_equal(jg_sm2_verify(key, "m", 1, sig.der, sig.der_len), JG_OK);
    assert_int_equal(ERR_peek_error(), 0);
    jg_sm2_key_free(key);
}

static void standard_ciphertext(void **state)
{
    (void)state;
    jg_sm2_key *key = standard_key();
    unsigned char out[64];
    size_t n = 0;
    /* As sm-crypto writes it (no 04 before C1): the leading "04" here is X1's first byte. */
    assert_int_equal(jg_sm2_decrypt_hex(key, STD_CIPHER, out, sizeof(out), &n), JG_OK);
    assert_int_equal(n, 19);
    assert_memory_equal(out, "encryption standard", 19);
    /* With the 04 (as the standard prints it, and BouncyCastle writes it). */
    char with[sizeof(STD_CIPHER) + 2];
    snprintf(with, sizeof(with), "04%s", STD_CIPHER);
    assert_int_equal(jg_sm2_decrypt_hex(key, with, out, sizeof(out), &n), JG_OK);
    assert_int_equal(n, 19);
    assert_memory_equal(out, "encryption standard", 19);
    /* Upper case. */
    for (char *p = with; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    assert_int_equal(jg_sm2_decrypt_hex(key, with, out, sizeof(out), &n), JG_OK);
    assert_int_equal(n, 19);
    /* The plaintext must fit: checked before anything else. */
    assert_int_equal(jg_sm2_decrypt_hex(key, STD_CIPHER, out, 18, &n), JG_TOOLARGE);
    assert_int_equal(jg_sm2_decrypt_hex(key, STD_CIPHER, out, 17, &n), JG_TOOLARGE);
    assert_int_equal(jg_sm2_decrypt_hex(key, with, NULL, 0, &n), JG_TOOLARGE);
    assert_int_equal(n, 0);
    assert_int_equal(jg_sm2_decrypt_hex(key, STD_CIPHER, out, 19, &n), JG_OK);
    jg_sm2_key_free(key);
}

/* Encrypt random messages until the C1C3C2 hex satisfies want(); returns the message length. */
static size_t encrypt_until(jg_sm2_key *key, int (*want)(const char *), char *hex, size_t hexlen,
                            unsigned char *msg)
{
    for (int tries = 0; tries < 20000; tries++) {
        unsigned char len_byte;
        assert_int_equal(jg_crypto_random(&len_byte, 1), JG_OK);
        size_t len = 1 + len_byte % 40;
        assert_int_equal(jg_crypto_random(msg, len), JG_OK);
        assert_int_equal(jg_sm2_encrypt_hex(key, msg, len, hex, hexlen), JG_OK);
        if (want(hex))
            return len;
    }
    fail_msg("no ciphertext of the wanted shape in 20000 tries");
    return 0;
}

static int x_leading_zero(const char *h)
{
    return h[0] == '0' && h[1] == '0';
}
static int y_leading_zero(const char *h)
{
    return h[64] == '0' && h[65] == '0';
}
static int x_starts_04(const char *h)
{
    return h[0] == '0' && h[1] == '4';
}
static int x_high_bit(const char *h)
{
    return h[0] >= '8';
}
static int y_high_bit(const char *h)
{
    return h[64] >= '8';
}
static int x_small_high(const char *h)
{
    return h[0] == '0' && h[1] == '0' && h[2] >= '8';
}

static void c1_shapes(void **state)
{
    (void)state;
    /* The DER INTEGERs OpenSSL wants differ from the fixed 32-byte coordinates exactly when a
     * coordinate starts with a zero byte (dropped) or with a byte >= 0x80 (00 added). */
    int (*const shapes[])(const char *) = {x_leading_zero, y_leading_zero, x_starts_04,
                                           x_high_bit,     y_high_bit,     x_small_high};
    jg_sm2_key *key;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        char hex[JG_SM2_CIPHER_HEX_SIZE(40)], with[JG_SM2_CIPHER_HEX_SIZE(40) + 2];
        unsigned char msg[40], out[40];
        size_t n = 0, len = encrypt_until(key, shapes[s], hex, sizeof(hex), msg);
        assert_int_equal(strlen(hex) + 1, JG_SM2_CIPHER_HEX_SIZE(len));
        assert_int_equal(jg_sm2_decrypt_hex(key, hex, out, sizeof(out), &n), JG_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, msg, len);
        snprintf(with, sizeof(with), "04%s", hex);
        assert_int_equal(jg_sm2_decrypt_hex(key, with, out, sizeof(out), &n), JG_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, msg, len);
    }
    jg_sm2_key_free(key);
}

static void ciphertext_refusals(void **state)
{
    (void)state;
    jg_sm2_key *key, *other;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    assert_int_equal(jg_sm2_keygen(&other), JG_OK);
    const char *msg = "Jg@demo2026";
    char hex[JG_SM2_CIPHER_HEX_SIZE(11)];
    unsigned char out[64];
    size_t n = 0;
    assert_int_equal(jg_sm2_encrypt_hex(key, msg, strlen(msg), hex, sizeof(hex)), JG_OK);
    /* Another key: C3 does not match. */
    assert_int_equal(jg_sm2_decrypt_hex(other, hex, out, sizeof(out), &n), JG_DENIED);
    assert_int_equal(n, 0);
    /* Every hex digit changed: refused (C1 off the curve: invalid; C3 or C2: denied). */
    size_t len = strlen(hex);
    int invalid = 0, denied = 0;
    for (size_t i = 0; i < len; i++) {
        char t[sizeof(hex)];
        memcpy(t, hex, len + 1);
        t[i] = t[i] == 'a' ? 'b' : 'a';
        jg_rc rc = jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n);
        if (rc != JG_INVALID && rc != JG_DENIED)
            fail_msg("changing digit %zu gave %s", i, jg_rc_name(rc));
        invalid += rc == JG_INVALID;
        denied += rc == JG_DENIED;
    }
    assert_true(invalid > 0 && denied > 0);
    /* Truncated, odd, empty, not hex, C2 empty. */
    for (size_t cut = 0; cut < len; cut += 7) {
        char t[sizeof(hex)];
        memcpy(t, hex, cut);
        t[cut] = '\0';
        jg_rc rc = jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n);
        assert_true(rc == JG_INVALID || rc == JG_DENIED);
    }
    char t[sizeof(hex) + 2];
    snprintf(t, sizeof(t), "%.*s", (int)(128 + 64), hex);
    assert_int_equal(jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n), JG_INVALID);
    snprintf(t, sizeof(t), "%s0", hex);
    assert_int_equal(jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n), JG_INVALID);
    snprintf(t, sizeof(t), "%s", hex);
    t[len - 1] = 'z';
    assert_int_equal(jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n), JG_INVALID);
    t[0] = ' ';
    assert_int_equal(jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n), JG_INVALID);
    assert_int_equal(jg_sm2_decrypt_hex(key, "", out, sizeof(out), &n), JG_INVALID);
    /* sm-crypto's C1C2C3 order (mode 0) is not ours: refused, not misread. */
    snprintf(t, sizeof(t), "%.128s%s%.64s", hex, hex + 192, hex + 128);
    assert_int_equal(jg_sm2_decrypt_hex(key, t, out, sizeof(out), &n), JG_DENIED);
    /* Encryption: no empty messages; the output size is checked. */
    assert_int_equal(jg_sm2_encrypt_hex(key, "", 0, hex, sizeof(hex)), JG_INVALID);
    assert_int_equal(jg_sm2_encrypt_hex(key, msg, strlen(msg), hex, sizeof(hex) - 1), JG_TOOLARGE);
    assert_string_equal(hex, "");
    /* The original still decrypts; no OpenSSL errors are left behind. */
    assert_int_equal(jg_sm2_encrypt_hex(key, msg, strlen(msg), hex, sizeof(hex)), JG_OK);
    assert_int_equal(jg_sm2_decrypt_hex(key, hex, out, sizeof(out), &n), JG_OK);
    assert_int_equal(n, strlen(msg));
    assert_int_equal(ERR_peek_error(), 0);
    jg_sm2_key_free(key);
    jg_sm2_key_free(other);
}

static void longer_messages(void **state)
{
    (void)state;
    /* C2 past 127 and 255 bytes needs DER's long-form lengths (0x81, 0x82). */
    jg_sm2_key *key;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    const size_t sizes[] = {1, 31, 32, 33, 100, 127, 128, 200, 255, 256, 1000, 70000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = sizes[i], n = 0;
        unsigned char *msg = malloc(len), *out = malloc(len);
        char *hex = malloc(JG_SM2_CIPHER_HEX_SIZE(len));
        assert_non_null(msg);
        assert_non_null(out);
        assert_non_null(hex);
        assert_int_equal(jg_crypto_random(msg, len), JG_OK);
        assert_int_equal(jg_sm2_encrypt_hex(key, msg, len, hex, JG_SM2_CIPHER_HEX_SIZE(len)), JG_OK);
        assert_int_equal(jg_sm2_decrypt_hex(key, hex, out, len, &n), JG_OK);
        assert_int_equal(n, len);
        assert_memory_equal(out, msg, len);
        free(msg);
        free(out);
        free(hex);
    }
    jg_sm2_key_free(key);
}

/* Encrypt the byte m by hand (GB/T 32918.4 6.1, without step A5's retry) until the KDF mask t
 * is zero (want_zero) or not, as C1C3C2 hex into out (2 * 97 + 1 bytes). */
static void encrypt_by_hand(const char *pubhex, unsigned char m, int want_zero, char *out)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_sm2);
    EC_POINT *pb = EC_POINT_new(g), *c1 = EC_POINT_new(g), *s = EC_POINT_new(g);
    BIGNUM *k = BN_new(), *x1 = BN_new(), *y1 = BN_new(), *x2 = BN_new(), *y2 = BN_new();
    unsigned char pub[65];
    unhex(pubhex, pub);
    assert_int_equal(EC_POINT_oct2point(g, pb, pub, sizeof(pub), NULL), 1);
    for (int tries = 0;; tries++) {
        assert_true(tries < 20000);
        assert_int_equal(BN_rand_range(k, EC_GROUP_get0_order(g)), 1);
        if (BN_is_zero(k))
            continue;
        assert_int_equal(EC_POINT_mul(g, c1, k, NULL, NULL, NULL), 1);
        assert_int_equal(EC_POINT_mul(g, s, NULL, pb, k, NULL), 1);
        assert_int_equal(EC_POINT_get_affine_coordinates(g, c1, x1, y1, NULL), 1);
        assert_int_equal(EC_POINT_get_affine_coordinates(g, s, x2, y2, NULL), 1);
        /* t = KDF(x2 | y2, 8 bits) = first byte of SM3(x2 | y2 | 00000001). */
        unsigned char z[68], t[32], c3in[65], c3[32], raw[97];
        BN_bn2binpad(x2, z, 32);
        BN_bn2binpad(y2, z + 32, 32);
        memcpy(z + 64, "\0\0\0\1", 4);
        assert_int_equal(jg_sm3(z, sizeof(z), t), JG_OK);
        if ((t[0] == 0) != want_zero)
            continue;
        memcpy(c3in, z, 32);
        c3in[32] = m;
        memcpy(c3in + 33, z + 32, 32);
        assert_int_equal(jg_sm3(c3in, sizeof(c3in), c3), JG_OK);
        BN_bn2binpad(x1, raw, 32);
        BN_bn2binpad(y1, raw + 32, 32);
        memcpy(raw + 64, c3, 32);
        raw[96] = (unsigned char)(m ^ t[0]);
        for (int i = 0; i < 97; i++)
            snprintf(out + 2 * i, 3, "%02x", raw[i]);
        break;
    }
    BN_free(k);
    BN_free(x1);
    BN_free(y1);
    BN_free(x2);
    BN_free(y2);
    EC_POINT_free(pb);
    EC_POINT_free(c1);
    EC_POINT_free(s);
    EC_GROUP_free(g);
}

static void zero_kdf_mask_refused(void **state)
{
    (void)state;
    /* GB/T 32918.4 7.1 B4: a ciphertext whose KDF mask t is all zero is an error (the sender
     * should have picked another k, step A5; sm-crypto does not). OpenSSL 3.0.19 refuses it. */
    jg_sm2_key *key;
    char pub[JG_SM2_PUB_HEX_LEN + 1], hex[2 * 97 + 1];
    unsigned char out[4];
    size_t n = 0;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    assert_int_equal(jg_sm2_pub_to_hex(key, pub), JG_OK);
    encrypt_by_hand(pub, 'A', 0, hex);
    assert_int_equal(jg_sm2_decrypt_hex(key, hex, out, sizeof(out), &n),
                     JG_OK); /* the construction is right */
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 'A');
    encrypt_by_hand(pub, 'A', 1, hex);
    assert_string_equal(hex + 192, "41"); /* C2 == M: the message went in clear */
    assert_int_equal(jg_sm2_decrypt_hex(key, hex, out, sizeof(out), &n), JG_DENIED);
    assert_int_equal(n, 0);
    assert_int_equal(ERR_peek_error(), 0);
    jg_sm2_key_free(key);
}

struct shared_key {
    jg_sm2_key *key;
    const char *cipher;
    int failures;
};

static void *use_key(void *arg)
{
    struct shared_key *sk = arg;
    for (int i = 0; i < 100; i++) {
        jg_sm2_sig sig;
        unsigned char out[32];
        size_t n = 0;
        if (jg_sm2_sign(sk->key, "shared", 6, &sig) != JG_OK ||
            jg_sm2_verify(sk->key, "shared", 6, sig.der, sig.der_len) != JG_OK ||
            jg_sm2_decrypt_hex(sk->key, sk->cipher, out, sizeof(out), &n) != JG_OK || n != 6 ||
            memcmp(out, "shared", 6) != 0)
            sk->failures++;
    }
    return NULL;
}

static void one_key_many_threads(void **state)
{
    (void)state;
    /* The server keeps one login key for all its request threads. */
    char cipher[JG_SM2_CIPHER_HEX_SIZE(6)];
    struct shared_key sk[4];
    pthread_t t[4];
    jg_sm2_key *key;
    assert_int_equal(jg_sm2_keygen(&key), JG_OK);
    assert_int_equal(jg_sm2_encrypt_hex(key, "shared", 6, cipher, sizeof(cipher)), JG_OK);
    for (int i = 0; i < 4; i++) {
        sk[i] = (struct shared_key){key, cipher, 0};
        assert_int_equal(pthread_create(&t[i], NULL, use_key, &sk[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(sk[i].failures, 0);
    }
    jg_sm2_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keys_pem_and_hex),
        cmocka_unit_test(pem_variants),
        cmocka_unit_test(public_key_hex_checked),
        cmocka_unit_test(standard_signature),
        cmocka_unit_test(user_id_is_the_standard_one),
        cmocka_unit_test(signatures),
        cmocka_unit_test(signature_encodings_strict),
        cmocka_unit_test(standard_ciphertext),
        cmocka_unit_test(c1_shapes),
        cmocka_unit_test(ciphertext_refusals),
        cmocka_unit_test(longer_messages),
        cmocka_unit_test(zero_kdf_mask_refused),
        cmocka_unit_test(one_key_many_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
