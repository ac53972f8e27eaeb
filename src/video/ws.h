/* WebSocket (RFC 6455) for WebSocket-FLV viewers of the media node: the opening handshake's
 * check and accept value, the server's frame header, and a parser of client frames. Pure
 * functions over bytes (unit tests and tests/fuzz/fuzz_ws.c drive them); media.c wires them. */
#ifndef JG_VIDEO_WS_H
#define JG_VIDEO_WS_H
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

#define JG_WS_ACCEPT_LEN 28   /* base64 of a SHA-1 */
#define JG_WS_CLIENT_MAX 4096 /* a client frame's largest payload; larger: close 1009 */

enum { JG_WS_CONT = 0, JG_WS_TEXT = 1, JG_WS_BINARY = 2, JG_WS_CLOSE = 8, JG_WS_PING = 9, JG_WS_PONG = 10 };

/* Sec-WebSocket-Accept for key (base64 of 16 bytes): out gets 28 characters and a NUL. JG_INVALID for
 * a key that is not that. */
jg_rc jg_ws_accept(const char *key, size_t keylen, char out[JG_WS_ACCEPT_LEN + 1]);

/* An HTTP request head (NUL-terminated, up to the blank line): 0 when it asks no upgrade to WebSocket,
 * 1 when it asks one properly (accept filled), -1 when it asks one badly (no or bad key, version not 13). */
int jg_ws_upgrade(const char *req, char accept[JG_WS_ACCEPT_LEN + 1]);

/* The header of an unmasked final frame of opcode with a payload of len bytes: written to out, its
 * length (2, 4 or 10). */
size_t jg_ws_frame_head(uint8_t out[10], int opcode, uint64_t len);

typedef struct {
    int fin, opcode;
    uint8_t *payload; /* inside the parsed bytes, unmasked in place */
    size_t len;
} jg_ws_frame;

/* One client frame at the start of p (n bytes), payloads up to max: > 0 bytes it took (f filled,
 * payload unmasked in place), 0 when more bytes are needed, or minus the close code to answer
 * (-1002 protocol error: unmasked, reserved bits or opcode, a fragmented or long control frame;
 * -1009 too big). */
long jg_ws_parse(uint8_t *p, size_t n, size_t max, jg_ws_frame *f);

#endif
