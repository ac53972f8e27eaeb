/* libFuzzer driver for the MPEG-TS muxer and the HLS segmenter: the input is cut into frames
 * (length and flags from a 4-byte header each), given as H.264 or H.265 video or AAC audio with
 * timestamps that jump about; every TS output must be whole 188-byte packets with sync bytes, and
 * the playlist must list only segments that are kept. */
#include "video/hls.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int codec = (data[0] & 1) ? JG_CODEC_H265 : JG_CODEC_H264;
    jg_hls h;
    jg_hls_init(&h, codec, (data[0] >> 1) & 1, 1 + data[1] % 3, 1 + (data[1] >> 2) % 6);
    size_t off = 2;
    int64_t ts = 0;
    while (off + 4 <= size) {
        size_t len = ((size_t)data[off] << 8 | data[off + 1]) % 4096;
        int flags = data[off + 2];
        int64_t step = (int8_t)data[off + 3] * 1800;
        off += 4;
        if (len > size - off)
            len = size - off;
        ts += step;
        jg_frame f = {
            (flags & 1) ? JG_CODEC_AAC : codec, !(flags & 1), ts + (flags >> 4) * 3600, ts, data + off, len};
        jg_hls_frame(&h, &f);
        off += len;
    }
    for (uint64_t q = 0; q < h.next_seq; q++) {
        const jg_hls_seg *s = jg_hls_segment(&h, q);
        if (s == NULL)
            continue;
        if (s->len % JG_TS_PACKET != 0)
            abort();
        for (size_t i = 0; i < s->len; i += JG_TS_PACKET)
            if (s->data[i] != 0x47)
                abort();
    }
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    if (jg_hls_playlist(&h, "C/", "exp=1&sig=x", &b) == JG_OK && strstr(b.data, "#EXTM3U") != b.data)
        abort();
    jg_buf_free(&b);
    jg_hls_free(&h);
    return 0;
}
