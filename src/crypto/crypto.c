/* SM3-based password hashing and randomness over OpenSSL 3. */
#include "crypto/crypto.h"

#include "base/text.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
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

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

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
    to_hex(salt, SALT_LEN, salt_hex);
    to_hex(hash, HASH_LEN, hash_hex);
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
