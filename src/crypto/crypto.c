/* Randomness, SM3 and HMAC-SM3, SM3-based password hashing over OpenSSL 3; helpers for sm2.c and sm4.c. */
#include "crypto/crypto.h"

#include "base/log.h"
#include "base/text.h"
#include "crypto/crypto_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_LEN 16
#define HASH_LEN 32

jg_rc jg_crypto_random(void *out, size_t n)
{
    return RAND_bytes(out, (int)n) == 1 ? JG_OK : JG_ERR;
}

jg_rc jg_crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0 ? JG_OK : JG_DENIED;
}

void jg_crypto_hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

jg_rc jg_crypto_hex_decode(const char *in, size_t hexlen, unsigned char *out)
{
    if (hexlen % 2 != 0)
        return JG_INVALID;
    for (size_t i = 0; i < hexlen / 2; i++) {
        int hi = hex_digit(in[2 * i]), lo = hex_digit(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return JG_INVALID;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return JG_OK;
}

jg_rc jg_crypto_ossl_fail(const char *what)
{
    char detail[256] = "no OpenSSL error";
    unsigned long e = ERR_peek_error();
    if (e != 0)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    jg_error("crypto: %s failed: %s", what, detail);
    return JG_ERR;
}

jg_rc jg_sm3(const void *data, size_t len, unsigned char out[JG_SM3_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sm3(), NULL) != 1 || n != JG_SM3_LEN)
        return jg_crypto_ossl_fail("SM3");
    return JG_OK;
}

jg_rc jg_hmac_sm3(const void *key, size_t keylen, const void *data, size_t len, unsigned char out[JG_SM3_LEN])
{
    /* EVP_MAC rejects a NULL key even when keylen is 0; an empty key is legal HMAC. */
    static const unsigned char empty[1];
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SM3", 0),
        OSSL_PARAM_construct_end(),
    };
    jg_rc rc = JG_OK;
    size_t n = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    if (ctx == NULL || EVP_MAC_init(ctx, keylen > 0 ? key : empty, keylen, params) != 1 ||
        EVP_MAC_update(ctx, data, len) != 1 || EVP_MAC_final(ctx, out, &n, JG_SM3_LEN) != 1 ||
        n != JG_SM3_LEN)
        rc = jg_crypto_ossl_fail("HMAC-SM3");
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

/* Lower-case only: the stored password format has exactly one spelling. */
static int from_hex(const char *in, size_t hexlen, unsigned char *out)
{
    for (size_t i = 0; i < hexlen / 2; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = in[2 * i + (size_t)k];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= (unsigned)(c - 'a' + 10);
            else
                return -1;
        }
        out[i] = (unsigned char)v;
    }
    return 0;
}

static jg_rc derive(const char *password, const unsigned char *salt, int iterations, unsigned char *out)
{
    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_LEN, iterations, EVP_sm3(), HASH_LEN,
                          out) != 1)
        return JG_ERR;
    return JG_OK;
}

jg_rc jg_password_hash(const char *password, int iterations, char *out, size_t outlen)
{
    unsigned char salt[SALT_LEN], hash[HASH_LEN];
    char salt_hex[2 * SALT_LEN + 1], hash_hex[2 * HASH_LEN + 1];
    jg_rc rc = jg_crypto_random(salt, sizeof(salt));
    if (rc == JG_OK)
        rc = derive(password, salt, iterations, hash);
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(salt, SALT_LEN, salt_hex);
    jg_crypto_hex_encode(hash, HASH_LEN, hash_hex);
    int n = snprintf(out, outlen, "pbkdf2-sm3$%d$%s$%s", iterations, salt_hex, hash_hex);
    OPENSSL_cleanse(hash, sizeof(hash));
    return n > 0 && (size_t)n < outlen ? JG_OK : JG_TOOLARGE;
}

jg_rc jg_password_verify(const char *password, const char *stored)
{
    char iter_text[16];
    const char *p = stored;
    if (strncmp(p, "pbkdf2-sm3$", 11) != 0)
        return JG_INVALID;
    p += 11;
    const char *d1 = strchr(p, '$');
    if (d1 == NULL || (size_t)(d1 - p) >= sizeof(iter_text))
        return JG_INVALID;
    snprintf(iter_text, sizeof(iter_text), "%.*s", (int)(d1 - p), p);
    int64_t iterations;
    if (jg_parse_int64(iter_text, 1000, 10000000, &iterations) != JG_OK)
        return JG_INVALID;
    const char *salt_hex = d1 + 1, *d2 = strchr(salt_hex, '$');
    if (d2 == NULL || d2 - salt_hex != 2 * SALT_LEN || strlen(d2 + 1) != 2 * HASH_LEN)
        return JG_INVALID;
    unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];
    if (from_hex(salt_hex, 2 * SALT_LEN, salt) != 0 || from_hex(d2 + 1, 2 * HASH_LEN, want) != 0)
        return JG_INVALID;
    jg_rc rc = derive(password, salt, (int)iterations, got);
    if (rc != JG_OK)
        return rc;
    rc = CRYPTO_memcmp(got, want, HASH_LEN) == 0 ? JG_OK : JG_DENIED;
    OPENSSL_cleanse(got, sizeof(got));
    return rc;
}
