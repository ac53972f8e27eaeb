/* The SMS gateway adapter over libcurl's easy interface: one short blocking POST per message.
 * Nothing secret reaches the log: not the code, not the token, and the phone only masked. */
#include "platform/sms_gateway.h"

#include "platform/idcheck.h"

#include "base/log.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEND_TIMEOUT_MS 5000L
#define MAX_AUTH_HEADER 1024

jg_rc jg_sms_init(void)
{
    CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (c != CURLE_OK) {
        jg_error("sms: libcurl did not start: %s", curl_easy_strerror(c));
        return JG_ERR;
    }
    return JG_OK;
}

void jg_sms_cleanup(void)
{
    curl_global_cleanup();
}

/* The gateway's answer is not needed: read and dropped, so libcurl does not print it to stdout. */
static size_t discard(char *data, size_t size, size_t n, void *ud)
{
    (void)data;
    (void)ud;
    return size * n;
}

/* 138****0003 for the log; anything not a mobile number is not shown at all. */
static void mask(const char *phone, char out[12])
{
    if (jg_idcheck_phone(phone))
        jg_idcheck_mask_phone(phone, out);
    else
        snprintf(out, 12, "?");
}

/* The request body; the caller frees it with free() after cleansing it (it holds the code). */
static char *body_of(const char *phone, const char *code, int ttl_minutes)
{
    json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:i}}", "phone", phone, "template", "login_code", "params",
                            "code", code, "minutes", ttl_minutes);
    if (doc == NULL)
        return NULL;
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

/* Set the options of one send on h; headers and body stay owned by the caller. */
static CURLcode configure(CURL *h, const jg_config *cfg, struct curl_slist *headers, const char *body,
                          char *errbuf)
{
    CURLcode c = curl_easy_setopt(h, CURLOPT_URL, cfg->sms_gateway_url);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (c == CURLE_OK) /* the whole exchange, connection and TLS handshake included */
        c = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, SEND_TIMEOUT_MS);
    if (c == CURLE_OK) /* threads: time limits without SIGALRM */
        c = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_USERAGENT, "jianguan-sms/1");
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (c == CURLE_OK)
        c = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    return c;
}

/* The header list for one send: JSON, no "Expect: 100-continue", and the Bearer token if set.
 * NULL if memory runs out or the token is unusable (too long, or a line break that would forge
 * headers). Free with curl_slist_free_all(). */
static struct curl_slist *headers_of(const jg_config *cfg)
{
    struct curl_slist *list = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *next = list != NULL ? curl_slist_append(list, "Expect:") : NULL;
    if (next == NULL) {
        curl_slist_free_all(list);
        return NULL;
    }
    list = next;
    const char *token = cfg->sms_gateway_token;
    if (token == NULL || *token == '\0')
        return list;
    char auth[MAX_AUTH_HEADER];
    int n = snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    next = NULL;
    if (n > 0 && (size_t)n < sizeof(auth) && strpbrk(token, "\r\n") == NULL)
        next = curl_slist_append(list, auth);
    else
        jg_error("sms: sms_gateway_token is too long or holds a line break");
    OPENSSL_cleanse(auth, sizeof(auth));
    if (next == NULL)
        curl_slist_free_all(list);
    return next;
}

jg_rc jg_sms_send(const jg_config *cfg, const char *phone, const char *code, int ttl_minutes)
{
    char shown[12];
    mask(phone, shown);
    if (cfg->sms_gateway_url == NULL || *cfg->sms_gateway_url == '\0')
        return JG_UNAVAILABLE;
    char *body = body_of(phone, code, ttl_minutes);
    struct curl_slist *headers = headers_of(cfg);
    CURL *h = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    jg_rc rc = JG_ERR;
    if (body == NULL || headers == NULL || h == NULL) {
        jg_error("sms: cannot build the request to the gateway");
        goto out;
    }
    CURLcode c = configure(h, cfg, headers, body, errbuf);
    if (c != CURLE_OK) {
        jg_error("sms: bad gateway setting: %s", curl_easy_strerror(c));
        rc = JG_UNAVAILABLE;
        goto out;
    }
    c = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (c != CURLE_OK) {
        jg_warn("sms: gateway not reached for %s: %s%s%s", shown, curl_easy_strerror(c),
                *errbuf != '\0' ? " - " : "", errbuf);
        rc = JG_UNAVAILABLE;
    } else if (status < 200 || status > 299) {
        jg_warn("sms: gateway answered HTTP %ld for %s", status, shown);
        rc = JG_UNAVAILABLE;
    } else {
        rc = JG_OK;
    }
out:
    curl_easy_cleanup(h);
    curl_slist_free_all(headers);
    if (body != NULL) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
    }
    return rc;
}
