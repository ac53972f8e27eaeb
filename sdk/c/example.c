/* A tiny integrator's client of the video API (sdk/c/jianguan_video.h): signs requests as an app
 * client (HMAC-SM3 with OpenSSL 3) and calls them with libcurl.
 *
 *   jianguan-video-example BASE_URL APP_KEY SECRET            the channels in the client's scope
 *   jianguan-video-example BASE_URL APP_KEY SECRET CHANNEL_ID  that channel's live HTTP-FLV URL
 *
 * Prints the JSON answers on stdout; exit status 0 on HTTP 200, 1 otherwise. Built by CMake as
 * jianguan-video-example (option JG_SDK_EXAMPLE). */
#include "jianguan_video.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* hex(HMAC-SM3(secret, text)) into out[65]; 0 or -1. */
static int hmac_sm3(const char *secret, const char *text, char out[65])
{
    unsigned char mac[32];
    size_t len = 0;
    if (EVP_Q_mac(NULL, "HMAC", NULL, "SM3", NULL, secret, strlen(secret), (const unsigned char *)text,
                  strlen(text), mac, sizeof(mac), &len) == NULL ||
        len != 32)
        return -1;
    to_hex(mac, 32, out);
    return 0;
}

/* GET base+path?query signed as the app client; the answer on stdout. The HTTP status, or -1. */
static long signed_get(const char *base, const char *key, const char *secret, const char *path,
                       const char *query)
{
    char ts[24], nonce[33], canonical[8192], sig[65], url[2048];
    unsigned char rnd[16];
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return -1;
    to_hex(rnd, sizeof(rnd), nonce);
    if (jgv_canonical("GET", path, query, ts, nonce, JGV_EMPTY_BODY_SM3, canonical, sizeof(canonical)) != 0 ||
        hmac_sm3(secret, canonical, sig) != 0)
        return -1;
    snprintf(url, sizeof(url), "%s%s%s%s", base, path, query[0] ? "?" : "", query);
    char h_key[128], h_ts[64], h_nonce[64], h_sig[96];
    snprintf(h_key, sizeof(h_key), "X-App-Key: %s", key);
    snprintf(h_ts, sizeof(h_ts), "X-Timestamp: %s", ts);
    snprintf(h_nonce, sizeof(h_nonce), "X-Nonce: %s", nonce);
    snprintf(h_sig, sizeof(h_sig), "X-Signature: %s", sig);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, h_key);
    h = curl_slist_append(h, h_ts);
    h = curl_slist_append(h, h_nonce);
    h = curl_slist_append(h, h_sig);
    h = curl_slist_append(h, "Accept: application/json");
    CURL *c = curl_easy_init();
    long status = -1;
    if (c != NULL) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
    }
    curl_slist_free_all(h);
    printf("\n");
    return status;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s BASE_URL APP_KEY SECRET [CHANNEL_ID]\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    long status;
    if (argc == 4) {
        status = signed_get(argv[1], argv[2], argv[3], JGV_PATH_CHANNELS, "online=1&size=50");
    } else {
        char path[256];
        snprintf(path, sizeof(path), JGV_PATH_LIVE_FMT, atoll(argv[4]));
        status = signed_get(argv[1], argv[2], argv[3], path, "");
    }
    curl_global_cleanup();
    if (status != 200)
        fprintf(stderr, "jianguan-video-example: HTTP %ld\n", status);
    return status == 200 ? 0 : 1;
}
