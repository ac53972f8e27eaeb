/* Signed live-view URLs (see liveurl.h). */
#include "video/liveurl.h"
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

void jg_liveurl_key(const unsigned char field_key[32], unsigned char out[32])
{
    static const char label[] = "jianguan video live url v1";
    if (jg_hmac_sm3(field_key, 32, label, sizeof(label) - 1, out) != JG_OK)
        memset(out, 0, 32);
}

void jg_liveurl_sign(const unsigned char url_key[32], const char *device, const char *channel, long long exp,
                     char out[JG_LIVEURL_SIG_LEN + 1])
{
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "live/%s/%s/%lld", device, channel, exp);
    unsigned char mac[32];
    if (n < 0 || (size_t)n >= sizeof(msg) || jg_hmac_sm3(url_key, 32, msg, (size_t)n, mac) != JG_OK)
        memset(mac, 0, sizeof(mac));
    jg_crypto_hex_encode(mac, sizeof(mac), out);
}

int jg_liveurl_check(const unsigned char url_key[32], const char *device, const char *channel, long long exp,
                     const char *sig, long long now)
{
    if (sig == NULL || strlen(sig) != JG_LIVEURL_SIG_LEN || exp < now)
        return 0;
    char want[JG_LIVEURL_SIG_LEN + 1];
    jg_liveurl_sign(url_key, device, channel, exp, want);
    return CRYPTO_memcmp(want, sig, JG_LIVEURL_SIG_LEN) == 0;
}

size_t jg_liveurl_build(const unsigned char url_key[32], const char *base, const char *device,
                        const char *channel, long long exp, char *out, size_t outlen)
{
    char sig[JG_LIVEURL_SIG_LEN + 1];
    jg_liveurl_sign(url_key, device, channel, exp, sig);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    int n = snprintf(out, outlen, "%.*s/live/%s/%s.flv?exp=%lld&sig=%s", (int)bl, base, device, channel, exp,
                     sig);
    return n < 0 || (size_t)n >= outlen ? 0 : (size_t)n;
}

void jg_playurl_sign(const unsigned char url_key[32], const char *device, const char *channel,
                     long long start, long long end, long long exp, char out[JG_LIVEURL_SIG_LEN + 1])
{
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "playback/%s/%s/%lld/%lld/%lld", device, channel, start, end, exp);
    unsigned char mac[32];
    if (n < 0 || (size_t)n >= sizeof(msg) || jg_hmac_sm3(url_key, 32, msg, (size_t)n, mac) != JG_OK)
        memset(mac, 0, sizeof(mac));
    jg_crypto_hex_encode(mac, sizeof(mac), out);
}

int jg_playurl_check(const unsigned char url_key[32], const char *device, const char *channel,
                     long long start, long long end, long long exp, const char *sig, long long now)
{
    if (sig == NULL || strlen(sig) != JG_LIVEURL_SIG_LEN || exp < now)
        return 0;
    char want[JG_LIVEURL_SIG_LEN + 1];
    jg_playurl_sign(url_key, device, channel, start, end, exp, want);
    return CRYPTO_memcmp(want, sig, JG_LIVEURL_SIG_LEN) == 0;
}

void jg_ctl_key(const unsigned char field_key[32], unsigned char out[32])
{
    static const char label[] = "jianguan video control v1";
    if (jg_hmac_sm3(field_key, 32, label, sizeof(label) - 1, out) != JG_OK)
        memset(out, 0, 32);
}

void jg_ctl_sign(const unsigned char ctl_key[32], const char *text, size_t len,
                 char out[JG_LIVEURL_SIG_LEN + 1])
{
    unsigned char mac[32];
    if (jg_hmac_sm3(ctl_key, 32, text, len, mac) != JG_OK)
        memset(mac, 0, sizeof(mac));
    jg_crypto_hex_encode(mac, sizeof(mac), out);
}

int jg_ctl_check(const unsigned char ctl_key[32], const char *target, long long now)
{
    if (strncmp(target, "/ctl/", 5) != 0)
        return 0;
    size_t end = strcspn(target, " \r\n");
    const char *sig = NULL;
    for (size_t i = 0; i + 5 <= end; i++)
        if (memcmp(target + i, "&sig=", 5) == 0)
            sig = target + i;
    if (sig == NULL || (size_t)(target + end - (sig + 5)) != JG_LIVEURL_SIG_LEN)
        return 0;
    /* exp is the parameter just before sig: "...&exp=E&sig=S" */
    const char *e = NULL;
    for (const char *p = target; p + 5 <= sig; p++)
        if (memcmp(p, "&exp=", 5) == 0)
            e = p + 5;
    if (e == NULL)
        return 0;
    long long exp = 0;
    for (const char *p = e; p < sig; p++) {
        if (*p < '0' || *p > '9' || exp > 100000000000LL)
            return 0;
        exp = exp * 10 + (*p - '0');
    }
    if (exp < now)
        return 0;
    char want[JG_LIVEURL_SIG_LEN + 1];
    jg_ctl_sign(ctl_key, target, (size_t)(sig - target), want);
    return CRYPTO_memcmp(want, sig + 5, JG_LIVEURL_SIG_LEN) == 0;
}
