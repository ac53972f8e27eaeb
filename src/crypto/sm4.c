/* SM4 field encryption for data at rest: SM4-CTR then HMAC-SM3 (encrypt-then-MAC), as text tokens,
 * and HMAC-SM3 blind indexes for equality search. Token layout: crypto.h and docs/crypto.md.
 * OpenSSL 3.0 has no SM4-GCM (3.2 added it), hence CTR with a separate MAC. */
#include "crypto/crypto.h"

#include "base/mem.h"
#include "crypto/crypto_int.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VERSION "v1."
#define VERSION_LEN 3
#define IV_LEN 16
#define TAG_LEN 32
#define SM4_KEY_LEN 16

/* Labels for the keys derived from the master key: HMAC-SM3(master, label). Changing one makes
 * every stored token unreadable. */
static const char LABEL_ENC[] = "jianguan/v1/sm4-ctr";
static const char LABEL_MAC[] = "jianguan/v1/hmac-sm3";
static const char LABEL_INDEX[] = "jianguan/v1/blind-index";

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static jg_rc derive(const unsigned char master[JG_SM4_KEY_LEN], const char *label,
                    unsigned char out[JG_SM3_LEN])
{
    return jg_hmac_sm3(master, JG_SM4_KEY_LEN, label, strlen(label), out);
}

static void put_u32be(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* HMAC-SM3 over the concatenation of up to four parts (NULL parts are skipped). */
static jg_rc hmac_parts(const unsigned char key[JG_SM3_LEN], const void *const part[4], const size_t plen[4],
                        unsigned char out[JG_SM3_LEN])
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SM3", 0),
        OSSL_PARAM_construct_end(),
    };
    jg_rc rc = JG_OK;
    size_t n = 0;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    int ok = ctx != NULL && EVP_MAC_init(ctx, key, JG_SM3_LEN, params) == 1;
    for (int i = 0; ok && i < 4; i++)
        if (part[i] != NULL && plen[i] > 0)
            ok = EVP_MAC_update(ctx, part[i], plen[i]) == 1;
    if (!ok || EVP_MAC_final(ctx, out, &n, JG_SM3_LEN) != 1 || n != JG_SM3_LEN)
        rc = jg_crypto_ossl_fail("HMAC-SM3");
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return rc;
}

/* The tag over VERSION | u32be(len(context)) | context | IV | C (IV and C adjacent in ivc). */
static jg_rc token_tag(const unsigned char mac_key[JG_SM3_LEN], const char *context, const unsigned char *ivc,
                       size_t ivc_len, unsigned char out[TAG_LEN])
{
    size_t clen = strlen(context);
    unsigned char head[VERSION_LEN + 4];
    memcpy(head, VERSION, VERSION_LEN);
    put_u32be(head + VERSION_LEN, (uint32_t)clen);
    const void *part[4] = {head, context, ivc, NULL};
    const size_t plen[4] = {sizeof(head), clen, ivc_len, 0};
    return hmac_parts(mac_key, part, plen, out);
}

/* SM4-CTR over n bytes (encryption and decryption are the same operation). */
static jg_rc sm4_ctr(const unsigned char key[SM4_KEY_LEN], const unsigned char iv[IV_LEN],
                     const unsigned char *in, size_t n, unsigned char *out)
{
    jg_rc rc = JG_OK;
    int got = 0, fin = 0;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, "SM4-CTR", NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    /* n <= JG_SM4_MAX_PLAINTEXT, so it fits EVP's int lengths in one call. */
    if (cipher == NULL || ctx == NULL || EVP_EncryptInit_ex2(ctx, cipher, key, iv, NULL) != 1 ||
        EVP_EncryptUpdate(ctx, out, &got, in, (int)n) != 1 ||
        EVP_EncryptFinal_ex(ctx, out + got, &fin) != 1 || (size_t)got + (size_t)fin != n)
        rc = jg_crypto_ossl_fail("SM4-CTR");
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(cipher);
    return rc;
}

void jg_crypto_b64url_encode(const void *data, size_t n, char *out)
{
    const unsigned char *in = data;
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[v >> 12 & 63];
        out[o++] = B64URL[v >> 6 & 63];
        out[o++] = B64URL[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = B64URL[v >> 18];
        out[o++] = B64URL[v >> 12 & 63];
        out[o++] = B64URL[v >> 6 & 63];
    }
    out[o] = '\0';
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Strict decoding: our alphabet only, no padding, and the unused low bits of the last character
 * must be zero, so each byte string has exactly one spelling and no character of a token can
 * change without the token changing meaning (or being refused). Writes len * 3 / 4 bytes. */
static jg_rc b64url_decode(const char *in, size_t len, unsigned char *out, size_t *n)
{
    if (len % 4 == 1)
        return JG_INVALID;
    uint32_t acc = 0;
    size_t o = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(in[i]);
        if (v < 0)
            return JG_INVALID;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return JG_INVALID;
    *n = o;
    return JG_OK;
}

/* Derive the encryption key (first 16 bytes of enc) and the MAC key. */
static jg_rc token_keys(const unsigned char master[JG_SM4_KEY_LEN], unsigned char enc[JG_SM3_LEN],
                        unsigned char mac[JG_SM3_LEN])
{
    jg_rc rc = derive(master, LABEL_ENC, enc);
    if (rc != JG_OK)
        return rc;
    return derive(master, LABEL_MAC, mac);
}

jg_rc jg_sm4_seal(const unsigned char key[JG_SM4_KEY_LEN], const char *context, const void *plaintext,
                  size_t len, char *out_text, size_t outlen)
{
    if (outlen > 0)
        out_text[0] = '\0';
    if (len > JG_SM4_MAX_PLAINTEXT || outlen < JG_SM4_TOKEN_SIZE(len))
        return JG_TOOLARGE;
    if (context == NULL)
        context = "";
    unsigned char enc[JG_SM3_LEN], mac[JG_SM3_LEN];
    size_t raw_len = IV_LEN + len + TAG_LEN;
    unsigned char *raw = jg_xmalloc(raw_len);
    jg_rc rc = token_keys(key, enc, mac);
    if (rc == JG_OK)
        rc = jg_crypto_random(raw, IV_LEN);
    if (rc == JG_OK)
        rc = sm4_ctr(enc, raw, plaintext, len, raw + IV_LEN);
    if (rc == JG_OK)
        rc = token_tag(mac, context, raw, IV_LEN + len, raw + IV_LEN + len);
    if (rc == JG_OK) {
        memcpy(out_text, VERSION, VERSION_LEN);
        jg_crypto_b64url_encode(raw, raw_len, out_text + VERSION_LEN);
    }
    OPENSSL_cleanse(enc, sizeof(enc));
    OPENSSL_cleanse(mac, sizeof(mac));
    free(raw);
    return rc;
}

jg_rc jg_sm4_open(const unsigned char key[JG_SM4_KEY_LEN], const char *context, const char *token, void *out,
                  size_t outlen, size_t *n)
{
    *n = 0;
    if (context == NULL)
        context = "";
    if (strncmp(token, VERSION, VERSION_LEN) != 0)
        return JG_INVALID;
    const char *b64 = token + VERSION_LEN;
    size_t b64_len = strlen(b64);
    /* The largest token jg_sm4_seal makes; anything longer is not one of ours. */
    if (b64_len < (IV_LEN + TAG_LEN) * 4 / 3 || b64_len > JG_SM4_TOKEN_SIZE(JG_SM4_MAX_PLAINTEXT))
        return JG_INVALID;
    unsigned char *raw = jg_xmalloc(b64_len * 3 / 4 + 1);
    unsigned char enc[JG_SM3_LEN], mac[JG_SM3_LEN], tag[TAG_LEN];
    size_t raw_len = 0;
    jg_rc rc = b64url_decode(b64, b64_len, raw, &raw_len);
    if (rc == JG_OK && raw_len < IV_LEN + TAG_LEN)
        rc = JG_INVALID;
    size_t ct_len = rc == JG_OK ? raw_len - IV_LEN - TAG_LEN : 0;
    if (rc == JG_OK)
        rc = token_keys(key, enc, mac);
    if (rc == JG_OK)
        rc = token_tag(mac, context, raw, IV_LEN + ct_len, tag);
    if (rc == JG_OK)
        rc = jg_crypto_equal(tag, raw + IV_LEN + ct_len, TAG_LEN);
    if (rc == JG_OK && ct_len > outlen)
        rc = JG_TOOLARGE;
    if (rc == JG_OK)
        rc = sm4_ctr(enc, raw, raw + IV_LEN, ct_len, out);
    if (rc == JG_OK)
        *n = ct_len;
    OPENSSL_cleanse(enc, sizeof(enc));
    OPENSSL_cleanse(mac, sizeof(mac));
    free(raw);
    return rc;
}

jg_rc jg_sm4_blind_index(const unsigned char key[JG_SM4_KEY_LEN], const char *field, const void *value,
                         size_t len, char out[JG_SM4_INDEX_LEN + 1])
{
    out[0] = '\0';
    if (field == NULL)
        field = "";
    size_t flen = strlen(field);
    unsigned char ikey[JG_SM3_LEN], head[4], h[JG_SM3_LEN];
    put_u32be(head, (uint32_t)flen);
    const void *part[4] = {head, field, value, NULL};
    const size_t plen[4] = {sizeof(head), flen, len, 0};
    jg_rc rc = derive(key, LABEL_INDEX, ikey);
    if (rc == JG_OK)
        rc = hmac_parts(ikey, part, plen, h);
    if (rc == JG_OK)
        jg_crypto_hex_encode(h, sizeof(h), out);
    OPENSSL_cleanse(ikey, sizeof(ikey));
    return rc;
}
