/* libFuzzer driver for the MPEG-PS demuxer and the FLV muxer behind it: the input is fed in
 * pieces (sizes from the first byte), with a loss signalled now and then, and every video frame
 * is turned into FLV tags. */
#include "video/media.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    jg_flv flv;
    jg_buf out;
} sink;

static void on_frame(void *ud, const jg_frame *f)
{
    sink *s = ud;
    if (!f->video)
        return;
    s->out.len = 0;
    long config_at = -1;
    int key = 0;
    if (jg_flv_video(&s->flv, f, &s->out, &config_at, &key) == JG_OK) {
        if (s->out.len < 15 || (config_at >= 0 && (size_t)config_at >= s->out.len))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sink s;
    jg_flv_init(&s.flv);
    jg_buf_init(&s.out, JG_PS_MAX_FRAME + 65536);
    jg_ps d;
    jg_ps_init(&d, on_frame, &s);
    size_t piece = 1 + data[0] % 200, off = 1;
    int n = 0;
    while (off < size) {
        size_t k = size - off < piece ? size - off : piece;
        if (++n % 17 == 0)
            jg_ps_reset(&d);
        jg_ps_feed(&d, data + off, k);
        if (data[0] & 1)
            jg_ps_marker(&d); /* every piece as if it ended an RTP packet with the marker bit */
        off += k;
    }
    jg_ps_free(&d);
    jg_buf_free(&s.out);
    return 0;
}
