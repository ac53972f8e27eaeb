/* libFuzzer driver for the app-key signature headers and the canonical request (appkey.c), which
 * take outside input before any key is looked up. Each input is written as
 *
 *   X-Timestamp value      <- line 1
 *   X-Nonce value          <- line 2
 *   X-App-Key value        <- line 3
 *   path                   <- line 4 (as the server would have decoded it)
 *   k=v&k&=v...            <- line 5: query pairs, split on '&' and the first '=' (no decoding)
 *   body bytes ...         <- the rest
 *
 * Besides the sanitizers, the canonical request is checked: plain printable ASCII in exactly six
 * lines, the same twice, and the path and every query pair decode back to what went in (so two
 * different requests never share a canonical form). */
#include "platform/appkey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QUERY 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next '\n'-terminated line of [*p, end) as a NUL-terminated copy; *p moves past it. */
static char *take_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl != NULL ? nl : end;
    size_t n = (size_t)(stop - *p);
    char *s = malloc(n + 1); /* not strndup: the input has no NUL to stop at */
    if (s == NULL)
        abort();
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl != NULL ? nl + 1 : end;
    return s;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode n bytes at s into out (room for n + 1); abort on anything enc() cannot make. */
static size_t decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= n)
            abort(); /* a cut-off escape */
        int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
        if (hi < 0 || lo < 0)
            abort(); /* only upper-case hex is ever written */
        out[o++] = (char)(hi * 16 + lo);
        i += 2;
    }
    out[o] = '\0';
    return o;
}

/* 1 if the n bytes at s decode to exactly want. */
static int decodes_to(const char *s, size_t n, const char *want)
{
    char *out = malloc(n + 1);
    size_t len = decode(s, n, out);
    int same = len == strlen(want) && memcmp(out, want, len) == 0;
    free(out);
    return same;
}

static void check(const jg_buf *b, const char *path, const jg_kv *q, int nq)
{
    /* Six lines of printable ASCII. */
    const char *line[6];
    size_t len[6];
    int lines = 0;
    const char *start = b->data;
    for (size_t i = 0; i <= b->len; i++) {
        if (i < b->len && (b->data[i] < 0x20 || b->data[i] > 0x7e) && b->data[i] != '\n')
            abort();
        if (i == b->len || b->data[i] == '\n') {
            if (lines == 6)
                abort();
            line[lines] = start;
            len[lines++] = (size_t)(b->data + i - start);
            start = b->data + i + 1;
        }
    }
    if (lines != 6)
        abort();
    if (!decodes_to(line[1], len[1], path))
        abort();
    /* Every pair in the query line decodes to one of the pairs sent, each used once. */
    int used[MAX_QUERY] = {0}, seen = 0;
    const char *s = line[2], *qend = line[2] + len[2];
    while (s < qend) {
        const char *amp = memchr(s, '&', (size_t)(qend - s));
        const char *pe = amp != NULL ? amp : qend;
        const char *eq = memchr(s, '=', (size_t)(pe - s));
        if (eq == NULL)
            abort();
        int found = 0;
        for (int i = 0; i < nq && !found; i++)
            if (!used[i] && decodes_to(s, (size_t)(eq - s), q[i].key) &&
                decodes_to(eq + 1, (size_t)(pe - eq - 1), q[i].value))
                found = used[i] = 1;
        if (!found)
            abort();
        seen++;
        s = amp != NULL ? amp + 1 : qend;
    }
    if (seen != nq)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    char *ts = take_line(&p, end), *nonce = take_line(&p, end), *key = take_line(&p, end);
    char *path = take_line(&p, end), *query = take_line(&p, end);
    const char *body = p;
    size_t body_len = (size_t)(end - p);

    int64_t t;
    int ts_ok = jg_appkey_parse_timestamp(ts, &t) == JG_OK;
    if (ts_ok && (t < 0 || strlen(ts) > 12))
        abort();
    int nonce_ok = jg_appkey_nonce_ok(nonce);
    (void)jg_appkey_key_ok(key);

    jg_kv q[MAX_QUERY];
    int nq = 0;
    for (char *s = query; *s != '\0' && nq < MAX_QUERY;) {
        char *amp = strchr(s, '&');
        if (amp != NULL)
            *amp = '\0';
        char *eq = strchr(s, '=');
        if (eq != NULL)
            *eq = '\0';
        q[nq].key = s;
        q[nq].value = eq != NULL ? eq + 1 : "";
        nq++;
        if (amp == NULL)
            break;
        s = amp + 1;
    }

    /* Header values that would be refused before canonicalisation are replaced by valid ones. */
    jg_buf a, b;
    jg_buf_init(&a, JG_APPKEY_CANONICAL_MAX);
    jg_buf_init(&b, JG_APPKEY_CANONICAL_MAX);
    const char *use_ts = ts_ok ? ts : "1767225600", *use_nonce = nonce_ok ? nonce : "0123456789abcdef";
    jg_rc rc = jg_appkey_canonical(&a, "POST", path, q, nq, use_ts, use_nonce, body, body_len);
    jg_rc rc2 = jg_appkey_canonical(&b, "POST", path, q, nq, use_ts, use_nonce, body, body_len);
    if (rc != rc2 || rc != JG_OK)
        abort(); /* 8 KiB of input cannot pass the bound */
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    check(&a, path, q, nq);
    char sig[JG_APPKEY_SIG_HEX + 1];
    if (jg_appkey_sign(key, a.data, a.len, sig) != JG_OK || strlen(sig) != JG_APPKEY_SIG_HEX)
        abort();
    jg_buf_free(&a);
    jg_buf_free(&b);
    free(ts);
    free(nonce);
    free(key);
    free(path);
    free(query);
    return 0;
}
