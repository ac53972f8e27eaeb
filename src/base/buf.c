/* Bounded growable buffers (after curl's dynbuf). */
#include "base/buf.h"

#include "base/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jg_buf_init(jg_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->overflowed = 0;
}

jg_rc jg_buf_append(jg_buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len) {
        b->overflowed = 1;
        return JG_TOOLARGE;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        b->data = jg_xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return JG_OK;
}

jg_rc jg_buf_puts(jg_buf *b, const char *s)
{
    return jg_buf_append(b, s, strlen(s));
}

jg_rc jg_buf_printf(jg_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return JG_ERR;
    if ((size_t)n < sizeof(small))
        return jg_buf_append(b, small, (size_t)n);
    char *big = jg_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    jg_rc rc = jg_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

void jg_buf_free(jg_buf *b)
{
    free(b->data);
    jg_buf_init(b, b->max);
}

char *jg_buf_steal(jg_buf *b)
{
    char *p = b->data;
    jg_buf_init(b, b->max);
    return p;
}

jg_rc jg_buf_put_markup(jg_buf *b, const char *s)
{
    jg_rc rc = JG_OK;
    for (; rc == JG_OK && s != NULL && *s != '\0'; s++) {
        switch (*s) {
        case '&':
            rc = jg_buf_puts(b, "&amp;");
            break;
        case '<':
            rc = jg_buf_puts(b, "&lt;");
            break;
        case '>':
            rc = jg_buf_puts(b, "&gt;");
            break;
        case '"':
            rc = jg_buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = jg_buf_puts(b, "&#39;");
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t' || *s == '\n' || *s == '\r')
                rc = jg_buf_append(b, s, 1);
        }
    }
    return rc;
}
