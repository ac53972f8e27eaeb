/* multipart/form-data bodies (RFC 7578, RFC 2046 section 5.1): strict and bounded.
 *
 *   --BOUNDARY CRLF
 *   Content-Disposition: form-data; name="file"; filename="a.pdf" CRLF
 *   Content-Type: application/pdf CRLF
 *   CRLF
 *   <data> CRLF --BOUNDARY CRLF ... <data> CRLF --BOUNDARY-- [CRLF]
 *
 * No preamble and no epilogue besides one final CRLF; headers are CRLF-terminated lines, at most
 * JG_MULTIPART_MAX_HEADER bytes per part; at most JG_MULTIPART_MAX_PARTS parts. */
#include "base/text.h"
#include "http/http.h"

#include <string.h>
#include <strings.h>

/* The boundary parameter of a multipart/form-data Content-Type (quoted or not), copied into a. */
static jg_rc boundary_of(const char *ct, jg_arena *a, const char **out)
{
    static const char type[] = "multipart/form-data";
    if (ct == NULL || strncasecmp(ct, type, sizeof(type) - 1) != 0)
        return JG_UNSUPPORTED;
    const char *s = ct + sizeof(type) - 1;
    while (*s != '\0') {
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != ';')
            return JG_INVALID;
        s++;
        while (*s == ' ' || *s == '\t')
            s++;
        const char *key = s;
        while (*s != '\0' && *s != '=' && *s != ';')
            s++;
        if (*s != '=')
            return JG_INVALID;
        size_t keylen = (size_t)(s - key);
        s++;
        const char *v;
        size_t vlen;
        if (*s == '"') {
            v = ++s;
            while (*s != '\0' && *s != '"')
                s++;
            if (*s != '"')
                return JG_INVALID;
            vlen = (size_t)(s - v);
            s++;
        } else {
            v = s;
            while (*s != '\0' && *s != ';' && *s != ' ' && *s != '\t')
                s++;
            vlen = (size_t)(s - v);
        }
        if (keylen == 8 && strncasecmp(key, "boundary", 8) == 0) {
            if (vlen == 0 || vlen > JG_MULTIPART_MAX_BOUNDARY)
                return JG_INVALID;
            for (size_t i = 0; i < vlen; i++)
                if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
                    return JG_INVALID;
            *out = jg_arena_strndup(a, v, vlen);
            return JG_OK;
        }
    }
    return JG_INVALID; /* multipart/form-data without a boundary */
}

/* A parameter value of Content-Disposition starting at *s (after "key="): quoted or a token. As
 * browsers send it (WHATWG HTML: '"' is sent as %22), a backslash is an ordinary character, so
 * Windows paths ("C:\dir\a.pdf") arrive whole and the caller strips them. Advances *s. */
static jg_rc param_value(const char **s, const char *end, jg_arena *a, const char **out)
{
    const char *p = *s;
    char *v = jg_arena_alloc(a, (size_t)(end - p) + 1);
    size_t n = 0;
    if (p < end && *p == '"') {
        p++;
        while (p < end && *p != '"')
            v[n++] = *p++;
        if (p >= end)
            return JG_INVALID;
        p++;
    } else {
        while (p < end && *p != ';' && *p != ' ' && *p != '\t')
            v[n++] = *p++;
        if (n == 0)
            return JG_INVALID;
    }
    v[n] = '\0';
    if (strlen(v) != n) /* a NUL inside */
        return JG_INVALID;
    *s = p;
    *out = v;
    return JG_OK;
}

/* Content-Disposition: form-data; name="..."[; filename="..."]. */
static jg_rc disposition(const char *v, const char *end, jg_arena *a, jg_part *part)
{
    static const char fd[] = "form-data";
    if ((size_t)(end - v) < sizeof(fd) - 1 || strncasecmp(v, fd, sizeof(fd) - 1) != 0)
        return JG_INVALID;
    const char *s = v + sizeof(fd) - 1;
    while (s < end) {
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        if (s >= end)
            break;
        if (*s != ';')
            return JG_INVALID;
        s++;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        const char *key = s;
        while (s < end && *s != '=' && *s != ';')
            s++;
        if (s >= end || *s != '=')
            return JG_INVALID;
        size_t keylen = (size_t)(s - key);
        s++;
        const char *val;
        jg_rc rc = param_value(&s, end, a, &val);
        if (rc != JG_OK)
            return rc;
        if (keylen == 4 && strncasecmp(key, "name", 4) == 0) {
            if (part->name != NULL)
                return JG_INVALID;
            part->name = val;
        } else if (keylen == 8 && strncasecmp(key, "filename", 8) == 0) {
            if (part->filename != NULL)
                return JG_INVALID;
            part->filename = val;
        }
        /* other parameters (filename*) are ignored */
    }
    return part->name != NULL && part->name[0] != '\0' ? JG_OK : JG_INVALID;
}

/* The header block [h, end) of one part: CRLF-separated lines. */
static jg_rc part_headers(const char *h, const char *end, jg_arena *a, jg_part *part)
{
    int seen_disposition = 0;
    while (h < end) {
        const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);
        if (eol == NULL)
            eol = end;
        const char *colon = memchr(h, ':', (size_t)(eol - h));
        if (colon == NULL || colon == h)
            return JG_INVALID;
        for (const char *c = h; c < colon; c++)
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                  *c == '-'))
                return JG_INVALID;
        const char *v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
        const char *vend = eol;
        while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        if (!jg_utf8_valid(v, (size_t)(vend - v)) || memchr(v, '\0', (size_t)(vend - v)) != NULL ||
            memchr(v, '\r', (size_t)(vend - v)) != NULL || memchr(v, '\n', (size_t)(vend - v)) != NULL)
            return JG_INVALID;
        size_t nlen = (size_t)(colon - h);
        if (nlen == 19 && strncasecmp(h, "Content-Disposition", 19) == 0) {
            if (seen_disposition)
                return JG_INVALID;
            seen_disposition = 1;
            jg_rc rc = disposition(v, vend, a, part);
            if (rc != JG_OK)
                return rc;
        } else if (nlen == 12 && strncasecmp(h, "Content-Type", 12) == 0) {
            if (part->content_type != NULL || vend == v)
                return JG_INVALID;
            part->content_type = jg_arena_strndup(a, v, (size_t)(vend - v));
        }
        h = eol == end ? end : eol + 2;
    }
    return seen_disposition ? JG_OK : JG_INVALID;
}

jg_rc jg_multipart_parse(const char *content_type, const char *body, size_t len, jg_arena *a, jg_part **parts,
                         int *nparts)
{
    *parts = NULL;
    *nparts = 0;
    const char *b;
    jg_rc rc = boundary_of(content_type, a, &b);
    if (rc != JG_OK)
        return rc;
    if (body == NULL)
        return JG_INVALID;
    size_t blen = strlen(b);
    /* delim is "\r\n--" boundary; the first one has no leading CRLF */
    char *delim = jg_arena_printf(a, "\r\n--%s", b);
    size_t dlen = blen + 4;
    const char *end = body + len;
    if (len < dlen - 2 || memcmp(body, delim + 2, dlen - 2) != 0)
        return JG_INVALID;
    const char *s = body + dlen - 2;
    jg_part *out = jg_arena_zalloc(a, JG_MULTIPART_MAX_PARTS * sizeof(*out));
    int n = 0;
    for (;;) {
        /* s is just after a delimiter: "--" ends the body, CRLF starts a part */
        if (end - s >= 2 && s[0] == '-' && s[1] == '-') {
            s += 2;
            if (s == end || (end - s == 2 && s[0] == '\r' && s[1] == '\n'))
                break;
            return JG_INVALID;
        }
        if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
            return JG_INVALID;
        s += 2;
        if (n == JG_MULTIPART_MAX_PARTS)
            return JG_INVALID;
        size_t room = (size_t)(end - s);
        size_t look = room < JG_MULTIPART_MAX_HEADER + 4 ? room : JG_MULTIPART_MAX_HEADER + 4;
        const char *hend = memmem(s, look, "\r\n\r\n", 4);
        if (hend == NULL)
            return JG_INVALID;
        jg_part *p = &out[n];
        rc = part_headers(s, hend, a, p);
        if (rc != JG_OK)
            return rc;
        const char *data = hend + 4;
        const char *next = memmem(data, (size_t)(end - data), delim, dlen);
        if (next == NULL)
            return JG_INVALID;
        p->data = data;
        p->len = (size_t)(next - data);
        n++;
        s = next + dlen;
    }
    if (n == 0)
        return JG_INVALID;
    *parts = out;
    *nparts = n;
    return JG_OK;
}
