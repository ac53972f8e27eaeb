/* libFuzzer driver for WebSocket-FLV's client-frame parser (src/video/ws.c) and the upgrade check:
 * frames are taken one after the other as media.c does; each taken frame lies inside the input and
 * its payload within the limit, and a request head never yields a malformed accept value. */
#include "video/ws.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b = malloc(size + 1);
    if (b == NULL)
        return 0;
    memcpy(b, data, size);
    size_t at = 0;
    while (at < size) {
        jg_ws_frame f;
        long r = jg_ws_parse(b + at, size - at, JG_WS_CLIENT_MAX, &f);
        if (r < 0) {
            if (r != -1002 && r != -1009)
                abort();
            break;
        }
        if (r == 0)
            break;
        if ((size_t)r > size - at || f.len > JG_WS_CLIENT_MAX || f.payload < b + at ||
            f.payload + f.len != b + at + r || f.opcode < 0 || f.opcode > 10 ||
            (f.opcode >= 8 && f.len > 125))
            abort();
        at += (size_t)r;
    }
    memcpy(b, data, size);
    b[size] = '\0';
    char acc[JG_WS_ACCEPT_LEN + 1];
    if (jg_ws_upgrade((const char *)b, acc) == 1 && strlen(acc) != JG_WS_ACCEPT_LEN)
        abort();
    free(b);
    return 0;
}
