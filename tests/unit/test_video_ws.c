/* Unit tests for WebSocket-FLV's pieces (src/video/ws.c): the handshake's accept value (RFC 6455
 * section 1.3's example), the upgrade request check, the server's frame header in its three length
 * forms, and the client-frame parser (masking, control frames, limits). */
#include "video/ws.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void accept_value(void **state)
{
    (void)state;
    char out[JG_WS_ACCEPT_LEN + 1];
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    assert_int_equal(jg_ws_accept(key, strlen(key), out), JG_OK);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_int_equal(jg_ws_accept("dGhlIHNhbXBsZSBub25jZQ", 22, out), JG_INVALID);
    assert_int_equal(jg_ws_accept("dGhlIHNhbXBsZSBub25j!Q==", 24, out), JG_INVALID);
    assert_int_equal(jg_ws_accept("", 0, out), JG_INVALID);
}

static void upgrade_request(void **state)
{
    (void)state;
    char acc[JG_WS_ACCEPT_LEN + 1] = "";
    assert_int_equal(jg_ws_upgrade("GET /live/a.flv HTTP/1.1\r\nHost: x\r\n\r\n", acc), 0);
    assert_int_equal(jg_ws_upgrade("GET /live/a.flv HTTP/1.1\r\nHost: x\r\nupgrade: WebSocket\r\n"
                                   "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                   "Sec-WebSocket-Key:  dGhlIHNhbXBsZSBub25jZQ== \r\n\r\n",
                                   acc),
                     1);
    assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /* version 8, no key, a bad key, no Connection: Upgrade */
    assert_int_equal(
        jg_ws_upgrade("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                      acc),
        -1);
    assert_int_equal(jg_ws_upgrade("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Version: 13\r\n\r\n",
                                   acc),
                     -1);
    assert_int_equal(jg_ws_upgrade("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n",
                                   acc),
                     -1);
    assert_int_equal(
        jg_ws_upgrade("GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: close\r\n"
                      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                      acc),
        -1);
}

static void frame_head(void **state)
{
    (void)state;
    uint8_t h[10];
    assert_int_equal(jg_ws_frame_head(h, JG_WS_BINARY, 125), 2);
    assert_int_equal(h[0], 0x82);
    assert_int_equal(h[1], 125);
    assert_int_equal(jg_ws_frame_head(h, JG_WS_BINARY, 126), 4);
    assert_int_equal(h[1], 126);
    assert_int_equal(h[2], 0);
    assert_int_equal(h[3], 126);
    assert_int_equal(jg_ws_frame_head(h, JG_WS_BINARY, 65535), 4);
    assert_int_equal(h[2], 0xff);
    assert_int_equal(h[3], 0xff);
    assert_int_equal(jg_ws_frame_head(h, JG_WS_BINARY, 65536), 10);
    assert_int_equal(h[1], 127);
    static const uint8_t big[8] = {0, 0, 0, 0, 0, 1, 0, 0};
    assert_memory_equal(h + 2, big, 8);
    assert_int_equal(jg_ws_frame_head(h, JG_WS_PONG, 0), 2);
    assert_int_equal(h[0], 0x8a);
    assert_int_equal(h[1], 0);
}

/* A masked client frame of opcode with payload p (n bytes) into out; its length. */
static size_t client_frame(uint8_t *out, int opcode, const void *p, size_t n)
{
    static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t hl = jg_ws_frame_head(out, opcode, n);
    out[1] |= 0x80;
    memcpy(out + hl, mask, 4);
    for (size_t i = 0; i < n; i++)
        out[hl + 4 + i] = ((const uint8_t *)p)[i] ^ mask[i & 3];
    return hl + 4 + n;
}

static void parse_frames(void **state)
{
    (void)state;
    uint8_t b[8192];
    jg_ws_frame f;
    /* RFC 6455 section 5.7: a masked "Hello" */
    uint8_t hello[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(jg_ws_parse(hello, sizeof(hello), JG_WS_CLIENT_MAX, &f), (long)sizeof(hello));
    assert_int_equal(f.opcode, JG_WS_TEXT);
    assert_int_equal(f.fin, 1);
    assert_int_equal(f.len, 5);
    assert_memory_equal(f.payload, "Hello", 5);
    /* incomplete: every prefix needs more */
    size_t n = client_frame(b, JG_WS_PING, "abc", 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(jg_ws_parse(b, i, JG_WS_CLIENT_MAX, &f), 0);
    assert_int_equal(jg_ws_parse(b, n, JG_WS_CLIENT_MAX, &f), (long)n);
    assert_int_equal(f.opcode, JG_WS_PING);
    assert_memory_equal(f.payload, "abc", 3);
    /* 16-bit length, at the limit, then one over: 1009 */
    static uint8_t big[JG_WS_CLIENT_MAX + 1];
    memset(big, 'x', sizeof(big));
    n = client_frame(b, JG_WS_BINARY, big, JG_WS_CLIENT_MAX);
    assert_int_equal(jg_ws_parse(b, n, JG_WS_CLIENT_MAX, &f), (long)n);
    assert_int_equal(f.len, JG_WS_CLIENT_MAX);
    n = client_frame(b, JG_WS_BINARY, big, JG_WS_CLIENT_MAX + 1);
    assert_int_equal(jg_ws_parse(b, 4, JG_WS_CLIENT_MAX, &f), -1009); /* known from the header alone */
    /* unmasked: 1002 */
    uint8_t plain[] = {0x82, 0x01, 0x00};
    assert_int_equal(jg_ws_parse(plain, sizeof(plain), JG_WS_CLIENT_MAX, &f), -1002);
    /* reserved bits, reserved opcode, a fragmented ping, a 126-byte ping: 1002 */
    n = client_frame(b, JG_WS_BINARY, "a", 1);
    b[0] |= 0x40;
    assert_int_equal(jg_ws_parse(b, n, JG_WS_CLIENT_MAX, &f), -1002);
    n = client_frame(b, 3, "a", 1);
    assert_int_equal(jg_ws_parse(b, n, JG_WS_CLIENT_MAX, &f), -1002);
    n = client_frame(b, JG_WS_PING, "a", 1);
    b[0] &= 0x7f;
    assert_int_equal(jg_ws_parse(b, n, JG_WS_CLIENT_MAX, &f), -1002);
    n = client_frame(b, JG_WS_PING, big, 126);
    assert_int_equal(jg_ws_parse(b, n, JG_WS_CLIENT_MAX, &f), -1002);
    /* a 64-bit length with its top bit set */
    uint8_t huge[14] = {0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4};
    assert_int_equal(jg_ws_parse(huge, sizeof(huge), JG_WS_CLIENT_MAX, &f), -1002);
    /* a close with code 1000, then a second frame behind it */
    uint8_t code[2] = {0x03, 0xe8};
    n = client_frame(b, JG_WS_CLOSE, code, 2);
    size_t n2 = client_frame(b + n, JG_WS_PONG, "", 0);
    assert_int_equal(jg_ws_parse(b, n + n2, JG_WS_CLIENT_MAX, &f), (long)n);
    assert_int_equal(f.opcode, JG_WS_CLOSE);
    assert_int_equal((f.payload[0] << 8) | f.payload[1], 1000);
    assert_int_equal(jg_ws_parse(b + n, n2, JG_WS_CLIENT_MAX, &f), (long)n2);
    assert_int_equal(f.opcode, JG_WS_PONG);
    assert_int_equal(f.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_value),
        cmocka_unit_test(upgrade_request),
        cmocka_unit_test(frame_head),
        cmocka_unit_test(parse_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
