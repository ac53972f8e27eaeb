/* SIP digest (MD5 through OpenSSL EVP) and self-verifying nonces (HMAC-SM3). */
#include "video/digest.h"

#include "base/log.h"
#include "crypto/crypto.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* MD5 of the NULL-terminated list of parts joined by ':', as lower-case hex. */
static jg_rc md5_join(char out[JG_DIGEST_HEX_LEN + 1], const char *const *parts)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[16];
    unsigned int mdlen = 0;
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;
    for (int i = 0; ok && parts[i] != NULL; i++) {
        if (i > 0)
            ok = EVP_DigestUpdate(ctx, ":", 1) == 1;
        if (ok)
            ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i])) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == sizeof(md);
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        jg_error("digest: MD5 unavailable in OpenSSL");
        out[0] = '\0';
        return JG_ERR;
    }
    jg_crypto_hex_encode(md, sizeof(md), out);
    return JG_OK;
}

jg_rc jg_digest_response(const char *username, const char *realm, const char *password, const char *method,
                         const char *uri, const char *nonce, const char *nc, const char *cnonce,
                         const char *qop, char out[JG_DIGEST_HEX_LEN + 1])
{
    out[0] = '\0';
    if (username == NULL || realm == NULL || password == NULL || method == NULL || uri == NULL ||
        nonce == NULL)
        return JG_INVALID;
    char ha1[JG_DIGEST_HEX_LEN + 1], ha2[JG_DIGEST_HEX_LEN + 1];
    const char *p1[] = {username, realm, password, NULL};
    const char *p2[] = {method, uri, NULL};
    jg_rc rc = md5_join(ha1, p1);
    if (rc == JG_OK)
        rc = md5_join(ha2, p2);
    if (rc != JG_OK)
        return rc;
    if (qop != NULL && *qop != '\0') {
        if (nc == NULL || cnonce == NULL)
            return JG_INVALID;
        const char *p3[] = {ha1, nonce, nc, cnonce, qop, ha2, NULL};
        return md5_join(out, p3);
    }
    const char *p3[] = {ha1, nonce, ha2, NULL};
    return md5_join(out, p3);
}

/* MAC over the first 16 digits of the nonce (time and salt) and the device ID: 24 hex digits. */
static jg_rc nonce_mac(const unsigned char *secret, const char *head, const char *device_id, char out[25])
{
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "%.16s:%.20s", head, device_id);
    unsigned char mac[JG_SM3_LEN];
    jg_rc rc = jg_hmac_sm3(secret, JG_NONCE_SECRET_LEN, msg, (size_t)n, mac);
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(mac, 12, out);
    return JG_OK;
}

jg_rc jg_digest_nonce_make(const unsigned char secret[JG_NONCE_SECRET_LEN], const char *device_id,
                           int64_t now_s, char out[JG_NONCE_LEN + 1])
{
    unsigned char salt[4];
    char head[17], mac[25];
    jg_rc rc = jg_crypto_random(salt, sizeof(salt));
    if (rc == JG_OK) {
        snprintf(head, sizeof(head), "%08llx%02x%02x%02x%02x", (unsigned long long)(uint32_t)now_s, salt[0],
                 salt[1], salt[2], salt[3]);
        rc = nonce_mac(secret, head, device_id, mac);
    }
    if (rc != JG_OK) {
        out[0] = '\0';
        return rc;
    }
    snprintf(out, JG_NONCE_LEN + 1, "%s%s", head, mac);
    return JG_OK;
}

jg_rc jg_digest_nonce_check(const unsigned char secret[JG_NONCE_SECRET_LEN], const char *device_id,
                            const char *nonce, int64_t now_s, int64_t ttl_s)
{
    if (nonce == NULL || strnlen(nonce, JG_NONCE_LEN + 1) != JG_NONCE_LEN)
        return JG_INVALID;
    uint32_t t = 0;
    for (int i = 0; i < 16; i++) {
        char c = nonce[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0)
            return JG_INVALID;
        if (i < 8)
            t = t << 4 | (uint32_t)d;
    }
    char mac[25];
    if (nonce_mac(secret, nonce, device_id, mac) != JG_OK)
        return JG_INVALID;
    if (jg_crypto_equal(mac, nonce + 16, 24) != JG_OK)
        return JG_INVALID;
    int64_t age = (int64_t)(uint32_t)now_s - (int64_t)t;
    if (age < -5)
        return JG_INVALID;
    return age > ttl_s ? JG_TIMEOUT : JG_OK;
}
