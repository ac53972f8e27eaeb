/* libFuzzer driver for the RTP path: RFC 4571 framing over TCP, packet parsing, the reorder
 * window, and the PS demuxer behind it (what a hostile device can send to a media port). */
#include "video/media.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_frame(void *ud, const jg_frame *f)
{
    size_t *total = ud;
    *total += f->len;
}

static jg_rtp_reorder r;

static void deliver(void *ud, const uint8_t *p, size_t n, int gap)
{
    jg_ps *d = ud;
    if (gap)
        jg_ps_reset(d);
    jg_ps_feed(d, p, n);
    if (r.marker)
        jg_ps_marker(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t total = 0;
    jg_ps d;
    jg_ps_init(&d, on_frame, &total);
    jg_rtp_reorder_init(&r);
    size_t off = 0;
    while (off < size) {
        size_t f = jg_rtp_tcp_frame(data + off, size - off);
        if (f == 0)
            break;
        if (f > size - off)
            abort();
        jg_rtp_pkt p;
        if (jg_rtp_parse(data + off + 2, f - 2, &p) == JG_OK) {
            if (p.payload < data + off + 2 || p.payload + p.len > data + off + f)
                abort();
            jg_rtp_reorder_push(&r, &p, deliver, &d);
        }
        off += f;
    }
    jg_rtp_reorder_free(&r);
    jg_ps_free(&d);
    return 0;
}
