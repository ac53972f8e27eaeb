/* The pure parts of printing (print.h): verification codes, the canonical digest input and the
 * signed text, and how values look on paper. */
#include "engine/entity/print.h"

#include "base/buf.h"
#include "base/mem.h"
#include "crypto/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

void jg_print_code_of(const unsigned char in[JG_PRINT_CODE_BYTES], char out[JG_PRINT_CODE_LEN + 1])
{
    /* 80 bits = 16 groups of 5, taken from the most significant end. */
    for (int i = 0; i < JG_PRINT_CODE_LEN; i++) {
        int bit = i * 5, v = 0;
        for (int k = 0; k < 5; k++, bit++)
            v = (v << 1) | ((in[bit / 8] >> (7 - bit % 8)) & 1);
        out[i] = b32[v];
    }
    out[JG_PRINT_CODE_LEN] = '\0';
}

jg_rc jg_print_code_new(char out[JG_PRINT_CODE_LEN + 1])
{
    unsigned char r[JG_PRINT_CODE_BYTES];
    jg_rc rc = jg_crypto_random(r, sizeof(r));
    if (rc != JG_OK)
        return rc;
    jg_print_code_of(r, out);
    return JG_OK;
}

int jg_print_code_norm(const char *s, char out[JG_PRINT_CODE_LEN + 1])
{
    out[0] = '\0';
    if (s == NULL || strlen(s) != JG_PRINT_CODE_LEN)
        return 0;
    for (int i = 0; i < JG_PRINT_CODE_LEN; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) {
            out[0] = '\0';
            return 0;
        }
        out[i] = c;
    }
    out[JG_PRINT_CODE_LEN] = '\0';
    return 1;
}

char *jg_print_canonical(const json_t *values)
{
    return json_dumps(values, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

jg_rc jg_print_digest(const json_t *values, char hex[65])
{
    char *text = jg_print_canonical(values);
    if (text == NULL)
        return JG_ERR;
    unsigned char d[JG_SM3_LEN];
    jg_rc rc = jg_sm3(text, strlen(text), d);
    free(text);
    if (rc == JG_OK)
        jg_crypto_hex_encode(d, sizeof(d), hex);
    return rc;
}

char *jg_print_signed_text(const char *code, const char *entity, int64_t record_id, const char *tmpl,
                           int64_t version, const char *digest, const char *printed_at)
{
    size_t n = strlen(code) + strlen(entity) + strlen(tmpl) + strlen(digest) + strlen(printed_at) + 80;
    char *s = jg_xmalloc(n);
    snprintf(s, n, "jg-print-v1|%s|%s|%lld|%s|%lld|%s|%s", code, entity, (long long)record_id, tmpl,
             (long long)version, digest, printed_at);
    return s;
}

void jg_print_grouped(const char *num, char *out, size_t outlen)
{
    const char *s = num, *dot;
    if (outlen == 0)
        return;
    if (*s == '-')
        s++;
    size_t digits = strspn(s, "0123456789");
    dot = s + digits;
    if (digits == 0 || (*dot != '\0' && (*dot != '.' || dot[1 + strspn(dot + 1, "0123456789")] != '\0'))) {
        snprintf(out, outlen, "%s", num);
        return;
    }
    jg_buf b;
    jg_buf_init(&b, outlen - 1);
    if (*num == '-')
        jg_buf_puts(&b, "-");
    for (size_t i = 0; i < digits; i++) {
        if (i > 0 && (digits - i) % 3 == 0)
            jg_buf_puts(&b, ",");
        jg_buf_append(&b, s + i, 1);
    }
    jg_buf_puts(&b, dot);
    snprintf(out, outlen, "%s", b.overflowed || b.data == NULL ? num : b.data);
    jg_buf_free(&b);
}

void jg_print_money(const char *yuan, char *out, size_t outlen)
{
    char g[64];
    jg_print_grouped(yuan, g, sizeof(g));
    if (strcmp(g, yuan) == 0 && strspn(yuan, "-0123456789.") != strlen(yuan))
        snprintf(out, outlen, "%s", yuan);
    else
        snprintf(out, outlen, "%s 元", g);
}

static int digits_at(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void jg_print_date(const char *ymd, char *out, size_t outlen)
{
    if (strlen(ymd) != 10 || !digits_at(ymd, 4) || ymd[4] != '-' || !digits_at(ymd + 5, 2) || ymd[7] != '-' ||
        !digits_at(ymd + 8, 2)) {
        snprintf(out, outlen, "%s", ymd);
        return;
    }
    int y = (int)strtol(ymd, NULL, 10), m = (int)strtol(ymd + 5, NULL, 10),
        d = (int)strtol(ymd + 8, NULL, 10);
    snprintf(out, outlen, "%d年%d月%d日", y, m, d);
}

void jg_print_datetime(const char *iso, char *out, size_t outlen)
{
    int y, mo, d, h, mi, sec;
    char z = 0;
    if (strlen(iso) < 20 || sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6 ||
        (z = iso[strlen(iso) - 1]) != 'Z') {
        snprintf(out, outlen, "%s", iso);
        return;
    }
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm) + 8 * 3600; /* Asia/Shanghai: UTC+8, no daylight saving */
    struct tm l;
    gmtime_r(&t, &l);
    snprintf(out, outlen, "%d年%d月%d日 %02d:%02d", l.tm_year + 1900, l.tm_mon + 1, l.tm_mday, l.tm_hour,
             l.tm_min);
}
