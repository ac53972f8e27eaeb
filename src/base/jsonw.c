/* Streaming JSON output: strings with escapes, numbers checked against the JSON grammar. */
#include "base/jsonw.h"

#include "base/text.h"

#include <stdio.h>
#include <string.h>

/* Quote and escape s; bytes >= 0x80 are escaped too unless utf8 says they form valid text. */
static void quote(jg_buf *b, const char *s, int utf8)
{
    jg_buf_append(b, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || utf8))
            continue;
        jg_buf_append(b, run, (size_t)(p - run));
        switch (c) {
        case '"': jg_buf_append(b, "\\\"", 2); break;
        case '\\': jg_buf_append(b, "\\\\", 2); break;
        case '\n': jg_buf_append(b, "\\n", 2); break;
        case '\r': jg_buf_append(b, "\\r", 2); break;
        case '\t': jg_buf_append(b, "\\t", 2); break;
        default: jg_buf_printf(b, "\\u%04x", c); break;
        }
        run = p + 1;
    }
    jg_buf_append(b, run, strlen(run));
    jg_buf_append(b, "\"", 1);
}

void jg_jsonw_string(jg_buf *b, const char *s)
{
    if (!jg_utf8_valid(s, strlen(s)))
        jg_buf_append(b, "null", 4);
    else
        quote(b, s, 1);
}

void jg_jsonw_text(jg_buf *b, const char *s)
{
    quote(b, s, jg_utf8_valid(s, strlen(s)));
}

/* The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number(const char *s)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

void jg_jsonw_number_text(jg_buf *b, const char *s)
{
    if (json_number(s))
        jg_buf_puts(b, s);
    else
        jg_buf_append(b, "null", 4);
}

void jg_jsonw_int(jg_buf *b, int64_t v)
{
    jg_buf_printf(b, "%lld", (long long)v);
}
