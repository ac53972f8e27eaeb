/* WebSocket (RFC 6455) pieces for WebSocket-FLV: see ws.h. */
#include "video/ws.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

jg_rc jg_ws_accept(const char *key, size_t keylen, char out[JG_WS_ACCEPT_LEN + 1])
{
    /* 16 bytes in base64: 22 characters and "==" */
    if (keylen != 24 || key[22] != '=' || key[23] != '=')
        return JG_INVALID;
    for (size_t i = 0; i < 22; i++)
        if (!isalnum((unsigned char)key[i]) && key[i] != '+' && key[i] != '/')
            return JG_INVALID;
    char buf[24 + sizeof(WS_GUID)];
    memcpy(buf, key, 24);
    memcpy(buf + 24, WS_GUID, sizeof(WS_GUID) - 1);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(buf, 24 + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(), NULL) != 1 || mdlen != 20)
        return JG_INVALID;
    unsigned char enc[32];
    if (EVP_EncodeBlock(enc, md, 20) != JG_WS_ACCEPT_LEN)
        return JG_INVALID;
    memcpy(out, enc, JG_WS_ACCEPT_LEN);
    out[JG_WS_ACCEPT_LEN] = '\0';
    return JG_OK;
}

/* The value of header name in the request head req (after the request line), trimmed: its start and
 * length in *len, or NULL. */
static const char *header(const char *req, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = strstr(req, "\r\n");
    while (p != NULL && p[2] != '\r' && p[2] != '\0') {
        const char *line = p + 2;
        const char *end = strstr(line, "\r\n");
        if (end == NULL)
            end = line + strlen(line);
        if ((size_t)(end - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            const char *e = end;
            while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            *len = (size_t)(e - v);
            return v;
        }
        p = *end != '\0' ? end : NULL;
    }
    return NULL;
}

/* Whether the comma-separated list v (n bytes) holds token, case-insensitively. */
static int has_token(const char *v, size_t n, const char *token)
{
    size_t tl = strlen(token);
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',')
            i++;
        size_t e = i;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
            return 1;
    }
    return 0;
}

int jg_ws_upgrade(const char *req, char accept[JG_WS_ACCEPT_LEN + 1])
{
    size_t n = 0;
    const char *up = header(req, "Upgrade", &n);
    if (up == NULL || !has_token(up, n, "websocket"))
        return 0;
    const char *conn = header(req, "Connection", &n);
    if (conn == NULL || !has_token(conn, n, "upgrade"))
        return -1;
    const char *ver = header(req, "Sec-WebSocket-Version", &n);
    if (ver == NULL || n != 2 || strncmp(ver, "13", 2) != 0)
        return -1;
    const char *key = header(req, "Sec-WebSocket-Key", &n);
    if (key == NULL || jg_ws_accept(key, n, accept) != JG_OK)
        return -1;
    return 1;
}

size_t jg_ws_frame_head(uint8_t out[10], int opcode, uint64_t len)
{
    out[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    if (len < 126) {
        out[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (uint8_t)(len >> 8);
        out[3] = (uint8_t)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
    return 10;
}

long jg_ws_parse(uint8_t *p, size_t n, size_t max, jg_ws_frame *f)
{
    if (n < 2)
        return 0;
    int fin = p[0] >> 7, op = p[0] & 0x0f;
    if ((p[0] & 0x70) != 0)
        return -1002; /* no extension was negotiated */
    if (op > 10 || (op > 2 && op < 8))
        return -1002;
    if (!(p[1] & 0x80))
        return -1002; /* a client's frames are masked */
    uint64_t len = p[1] & 0x7f;
    size_t at = 2;
    if (op >= 8 && (!fin || len > 125))
        return -1002;
    if (len == 126) {
        if (n < 4)
            return 0;
        len = ((uint64_t)p[2] << 8) | p[3];
        at = 4;
    } else if (len == 127) {
        if (n < 10)
            return 0;
        if (p[2] & 0x80)
            return -1002;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | p[2 + i];
        at = 10;
    }
    if (len > max)
        return -1009;
    if (n < at + 4)
        return 0;
    const uint8_t *mask = p + at;
    at += 4;
    if (n - at < len)
        return 0;
    uint8_t *pl = p + at;
    for (size_t i = 0; i < len; i++)
        pl[i] ^= mask[i & 3];
    f->fin = fin;
    f->opcode = op;
    f->payload = pl;
    f->len = (size_t)len;
    return (long)(at + len);
}
