/* Unit tests for the MPEG-TS muxer (src/video/ts.c) and the HLS segmenter (src/video/hls.c):
 * the CRC of PSI sections, PAT and PMT bytes, PES packetisation (PUSI, adaptation field with PCR
 * and the random access flag, stuffing, continuity counters per PID), PTS/DTS fields, AUD and
 * parameter sets added where missing, timestamps that never go back, segments cut at key frames
 * after the target duration, and the live playlist's sliding window. */
#include "video/hls.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const uint8_t SPS[] = {0, 0, 0, 1, 0x67, 0x42, 0xC0, 0x1E, 0xDA, 0x02, 0x80, 0xBF};
static const uint8_t PPS[] = {0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80};

/* An H.264 frame: SPS+PPS+IDR when key (and with_sets), else one P slice, body bytes long. */
static size_t h264_frame(uint8_t *out, int key, int with_sets, size_t body)
{
    size_t n = 0;
    if (key && with_sets) {
        memcpy(out + n, SPS, sizeof(SPS));
        n += sizeof(SPS);
        memcpy(out + n, PPS, sizeof(PPS));
        n += sizeof(PPS);
    }
    out[n++] = 0;
    out[n++] = 0;
    out[n++] = 1;
    out[n++] = key ? 0x65 : 0x41;
    for (size_t i = 0; i < body; i++)
        out[n++] = (uint8_t)(0x10 + (i % 200)); /* never 00 00 0x */
    return n;
}

static int64_t read_ts(const uint8_t *p)
{
    return ((int64_t)(p[0] & 0x0E) << 29) | ((int64_t)p[1] << 22) | ((int64_t)(p[2] & 0xFE) << 14) |
           ((int64_t)p[3] << 7) | (p[4] >> 1);
}

static int pid_of(const uint8_t *p)
{
    return ((p[1] & 0x1F) << 8) | p[2];
}

/* The payload of a TS packet (after any adaptation field). */
static const uint8_t *payload_of(const uint8_t *p, size_t *len)
{
    size_t at = 4;
    if (p[3] & 0x20)
        at += 1 + p[4];
    *len = JG_TS_PACKET - at;
    return p + at;
}

static void crc32_mpeg(void **state)
{
    (void)state;
    assert_int_equal(jg_ts_crc32((const uint8_t *)"123456789", 9), 0x0376E6E7u);
}

static void pat_pmt(void **state)
{
    (void)state;
    jg_ts t;
    jg_ts_init(&t, JG_CODEC_H264, 1);
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    assert_int_equal(jg_ts_tables(&t, &b), JG_OK);
    assert_int_equal(b.len, 2 * JG_TS_PACKET);
    const uint8_t *p = (const uint8_t *)b.data;
    static const uint8_t pat[] = {0x47, 0x40, 0x00, 0x10, 0x00, 0x00, 0xB0, 0x0D, 0x00,
                                  0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00};
    assert_memory_equal(p, pat, sizeof(pat));
    /* a section followed by its CRC has a CRC of 0 */
    assert_int_equal(jg_ts_crc32(p + 5, 3 + 13), 0);
    assert_int_equal(p[5 + 16], 0xFF); /* the rest is stuffing */
    const uint8_t *q = p + JG_TS_PACKET;
    assert_int_equal(pid_of(q), JG_TS_PID_PMT);
    assert_int_equal(q[1] & 0x40, 0x40);
    assert_int_equal(q[5], 0x02);
    size_t sl = ((size_t)(q[6] & 0x0F) << 8) | q[7];
    assert_int_equal(sl, 9 + 4 + 5 + 5); /* header fields, CRC, two streams */
    assert_int_equal(jg_ts_crc32(q + 5, 3 + sl), 0);
    assert_int_equal(((q[13] & 0x1F) << 8) | q[14], JG_TS_PID_VIDEO); /* PCR PID */
    assert_int_equal(q[17], 0x1B);
    assert_int_equal(((q[18] & 0x1F) << 8) | q[19], JG_TS_PID_VIDEO);
    assert_int_equal(q[22], 0x0F);
    assert_int_equal(((q[23] & 0x1F) << 8) | q[24], JG_TS_PID_AUDIO);
    /* the continuity counters of PAT and PMT count up */
    b.len = 0;
    jg_ts_tables(&t, &b);
    p = (const uint8_t *)b.data;
    assert_int_equal(p[3] & 0x0F, 1);
    assert_int_equal(p[JG_TS_PACKET + 3] & 0x0F, 1);
    /* H.265 without audio: stream type 0x24, one stream */
    jg_ts_init(&t, JG_CODEC_H265, 0);
    b.len = 0;
    jg_ts_tables(&t, &b);
    q = (const uint8_t *)b.data + JG_TS_PACKET;
    assert_int_equal(((size_t)(q[6] & 0x0F) << 8) | q[7], 9 + 4 + 5);
    assert_int_equal(q[17], 0x24);
    jg_buf_free(&b);
}

static void pes_packets(void **state)
{
    (void)state;
    jg_ts t;
    jg_ts_init(&t, JG_CODEC_H264, 0);
    jg_buf b;
    jg_buf_init(&b, 1 << 22);
    uint8_t *fr = malloc(8192);
    size_t fl = h264_frame(fr, 1, 1, 1000);
    jg_frame f = {JG_CODEC_H264, 1, 93600, 90000, fr, fl};
    int64_t dts = 0;
    assert_int_equal(jg_ts_frame(&t, &f, &b, &dts), JG_OK);
    assert_int_equal(dts, 90000);
    assert_int_equal(b.len % JG_TS_PACKET, 0);
    size_t np = b.len / JG_TS_PACKET;
    const uint8_t *p = (const uint8_t *)b.data;
    /* the first packet: PUSI, adaptation field with the random access flag and the PCR */
    assert_int_equal(p[0], 0x47);
    assert_int_equal(p[1] & 0x40, 0x40);
    assert_int_equal(pid_of(p), JG_TS_PID_VIDEO);
    assert_int_equal(p[3] & 0x30, 0x30);
    assert_int_equal(p[4], 7);
    assert_int_equal(p[5], 0x50);
    int64_t pcr = ((int64_t)p[6] << 25) | ((int64_t)p[7] << 17) | ((int64_t)p[8] << 9) |
                  ((int64_t)p[9] << 1) | (p[10] >> 7);
    assert_int_equal(pcr, 90000 - JG_TS_PCR_LEAD);
    /* PES header with PTS and DTS */
    const uint8_t *pes = p + 4 + 1 + 7;
    static const uint8_t head[] = {0, 0, 1, 0xE0, 0, 0, 0x80, 0xC0, 10};
    assert_memory_equal(pes, head, sizeof(head));
    assert_int_equal(pes[9] >> 4, 3);
    assert_int_equal(read_ts(pes + 9), 93600);
    assert_int_equal(pes[14] >> 4, 1);
    assert_int_equal(read_ts(pes + 14), 90000);
    /* reassembled payload = PES header + AUD + the frame; CC 0, 1, 2... */
    uint8_t *all = malloc(np * JG_TS_PACKET);
    size_t an = 0;
    for (size_t i = 0; i < np; i++) {
        const uint8_t *k = p + i * JG_TS_PACKET;
        assert_int_equal(k[0], 0x47);
        assert_int_equal(k[3] & 0x0F, i & 0x0F);
        if (i > 0)
            assert_int_equal(k[1] & 0x40, 0);
        size_t len = 0;
        const uint8_t *pl = payload_of(k, &len);
        memcpy(all + an, pl, len);
        an += len;
    }
    assert_int_equal(an, 19 + 6 + fl);
    static const uint8_t aud[] = {0, 0, 0, 1, 0x09, 0xF0};
    assert_memory_equal(all + 19, aud, sizeof(aud));
    assert_memory_equal(all + 25, fr, fl);
    /* the last packet is padded with adaptation field stuffing (0xFF) */
    const uint8_t *last = p + (np - 1) * JG_TS_PACKET;
    assert_int_equal(last[3] & 0x20, 0x20);
    assert_int_equal(last[6], 0xFF);
    /* the next frame (not key) continues the counter and has a PCR but no random access flag */
    size_t before = b.len;
    fl = h264_frame(fr, 0, 0, 100);
    jg_frame g = {JG_CODEC_H264, 1, 97200, 93600, fr, fl};
    assert_int_equal(jg_ts_frame(&t, &g, &b, &dts), JG_OK);
    const uint8_t *k = (const uint8_t *)b.data + before;
    assert_int_equal(k[3] & 0x0F, np & 0x0F);
    assert_int_equal(k[5], 0x10);
    /* one packet: PES header 19 + AUD 6 + 104 bytes, stuffed */
    assert_int_equal(b.len - before, JG_TS_PACKET);
    free(all);
    free(fr);
    jg_buf_free(&b);
}

static void sets_and_timestamps(void **state)
{
    (void)state;
    jg_ts t;
    jg_ts_init(&t, JG_CODEC_H264, 0);
    jg_buf b;
    jg_buf_init(&b, 1 << 22);
    uint8_t fr[512];
    size_t fl = h264_frame(fr, 1, 1, 20);
    jg_frame f = {JG_CODEC_H264, 1, 1000, 1000, fr, fl};
    int64_t d = 0;
    jg_ts_frame(&t, &f, &b, &d);
    f.pts = f.dts = 4600;
    jg_ts_frame(&t, &f, &b, &d);
    assert_int_equal(d, 4600);
    /* a key frame without SPS/PPS gets them from the stream */
    b.len = 0;
    fl = h264_frame(fr, 1, 0, 20);
    jg_frame g = {JG_CODEC_H264, 1, 8200, 8200, fr, fl};
    jg_ts_frame(&t, &g, &b, &d);
    size_t len = 0;
    const uint8_t *pl = payload_of((const uint8_t *)b.data, &len);
    assert_memory_equal(pl + 19 + 6, SPS, sizeof(SPS));
    assert_memory_equal(pl + 19 + 6 + sizeof(SPS), PPS, sizeof(PPS));
    /* timestamps going back continue one step (3600) on; later ones keep the new offset */
    g.pts = g.dts = 100;
    jg_ts_frame(&t, &g, &b, &d);
    assert_int_equal(d, 8200 + 3600);
    g.pts = g.dts = 3700;
    jg_ts_frame(&t, &g, &b, &d);
    assert_int_equal(d, 8200 + 7200);
    /* a leap forward of more than 5 s as well */
    g.pts = g.dts = 3700 + 90000 * 60;
    jg_ts_frame(&t, &g, &b, &d);
    assert_int_equal(d, 8200 + 10800);
    /* another codec or no NAL unit: refused */
    g.codec = JG_CODEC_H265;
    assert_int_equal(jg_ts_frame(&t, &g, &b, &d), JG_INVALID);
    uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    jg_frame h = {JG_CODEC_H264, 1, 0, 0, junk, sizeof(junk)};
    assert_int_equal(jg_ts_frame(&t, &h, &b, &d), JG_INVALID);
    assert_true(jg_ts_is_key(JG_CODEC_H264, fr, fl));
    fl = h264_frame(fr, 0, 0, 20);
    assert_false(jg_ts_is_key(JG_CODEC_H264, fr, fl));
    jg_buf_free(&b);
}

static void hls_segments(void **state)
{
    (void)state;
    jg_hls h;
    jg_hls_init(&h, JG_CODEC_H264, 0, 2, 3);
    uint8_t fr[4096];
    int completed = 0;
    /* two P frames before the first key frame are dropped; then 25 fps with a key frame every 25 */
    for (int i = -2; i < 25 * 11; i++) {
        int key = i >= 0 && i % 25 == 0;
        size_t fl = h264_frame(fr, key, 1, 300);
        int64_t ts = 900000 + (int64_t)(i + 2) * 3600;
        jg_frame f = {JG_CODEC_H264, 1, ts, ts, fr, fl};
        completed += jg_hls_frame(&h, &f);
    }
    /* segments of 2 s (cut at the key frame at 2 s), 5 completed, the 6th open */
    assert_int_equal(completed, 5);
    assert_int_equal(h.done, 5);
    const jg_hls_seg *s = jg_hls_segment(&h, 4);
    assert_non_null(s);
    assert_int_equal(s->duration, 2 * 90000);
    assert_null(jg_hls_segment(&h, 5));
    /* each segment starts with PAT, PMT, then the key frame with PUSI and random access */
    assert_int_equal(pid_of(s->data), 0);
    assert_int_equal(pid_of(s->data + JG_TS_PACKET), JG_TS_PID_PMT);
    assert_int_equal(pid_of(s->data + 2 * JG_TS_PACKET), JG_TS_PID_VIDEO);
    assert_int_equal(s->data[2 * JG_TS_PACKET + 5] & 0x40, 0x40);
    assert_int_equal(s->len % JG_TS_PACKET, 0);
    jg_buf b;
    jg_buf_init(&b, 1 << 16);
    assert_int_equal(jg_hls_playlist(&h, "C/", "exp=1&sig=ab", &b), JG_OK);
    assert_string_equal(b.data,
                        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:2\n"
                        "#EXTINF:2.000,\nC/2.ts?exp=1&sig=ab\n#EXTINF:2.000,\nC/3.ts?exp=1&sig=ab\n"
                        "#EXTINF:2.000,\nC/4.ts?exp=1&sig=ab\n");
    /* after JG_HLS_KEEP more segments, the oldest are gone */
    for (int i = 0; i < 25 * 2 * (JG_HLS_KEEP + 1); i++) {
        size_t fl = h264_frame(fr, i % 25 == 0, 1, 100);
        int64_t ts = 900000 + (int64_t)(25 * 11 + 2 + i) * 3600;
        jg_frame f = {JG_CODEC_H264, 1, ts, ts, fr, fl};
        jg_hls_frame(&h, &f);
    }
    assert_null(jg_hls_segment(&h, 4));
    assert_non_null(jg_hls_segment(&h, h.next_seq - 1));
    jg_hls_free(&h);
    /* nothing before a segment completes */
    jg_hls_init(&h, JG_CODEC_H264, 0, 2, 3);
    b.len = 0;
    assert_int_equal(jg_hls_playlist(&h, "", "", &b), JG_NOTFOUND);
    assert_int_equal(b.len, 0);
    jg_hls_free(&h);
    jg_buf_free(&b);
}

static void audio_and_hevc(void **state)
{
    (void)state;
    jg_ts t;
    jg_ts_init(&t, JG_CODEC_H265, 1);
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    /* H.265: VPS, SPS, PPS, IDR_W_RADL (type 19): key; an AUD (type 35) goes in front */
    static const uint8_t hevc[] = {0, 0, 0, 1,    0x40, 0x01, 0x0C, 0, 0, 0,    1,    0x42, 0x01, 0x01, 0,
                                   0, 0, 1, 0x44, 0x01, 0xC1, 0,    0, 1, 0x26, 0x01, 0xAF, 0x10, 0x20};
    assert_true(jg_ts_is_key(JG_CODEC_H265, hevc, sizeof(hevc)));
    jg_frame v = {JG_CODEC_H265, 1, 9000, 9000, hevc, sizeof(hevc)};
    assert_int_equal(jg_ts_frame(&t, &v, &b, NULL), JG_OK);
    size_t len = 0;
    const uint8_t *pl = payload_of((const uint8_t *)b.data, &len);
    static const uint8_t aud265[] = {0, 0, 0, 1, 0x46, 0x01, 0x50};
    assert_memory_equal(pl + 19, aud265, sizeof(aud265));
    assert_memory_equal(pl + 19 + sizeof(aud265), hevc, sizeof(hevc));
    /* AAC (ADTS): PES 0xC0 with its length and a PTS only, on the audio PID */
    static const uint8_t adts[] = {0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC, 0x21, 0x10, 0x04};
    jg_frame a = {JG_CODEC_AAC, 0, 12000, 12000, adts, sizeof(adts)};
    b.len = 0;
    int64_t d = 0;
    assert_int_equal(jg_ts_frame(&t, &a, &b, &d), JG_OK);
    assert_int_equal(b.len, JG_TS_PACKET);
    const uint8_t *k = (const uint8_t *)b.data;
    assert_int_equal(pid_of(k), JG_TS_PID_AUDIO);
    assert_int_equal(k[3] & 0x0F, 0);
    pl = payload_of(k, &len);
    static const uint8_t head[] = {0, 0, 1, 0xC0, 0, 8 + sizeof(adts), 0x80, 0x80, 5};
    assert_memory_equal(pl, head, sizeof(head));
    assert_int_equal(pl[9] >> 4, 2);
    assert_int_equal(read_ts(pl + 9), 12000);
    assert_memory_equal(pl + 14, adts, sizeof(adts));
    assert_int_equal(len, 14 + sizeof(adts));
    /* G.711 is not carried; without the audio stream announced, AAC is refused too */
    a.codec = JG_CODEC_G711A;
    assert_int_equal(jg_ts_frame(&t, &a, &b, &d), JG_INVALID);
    jg_ts_init(&t, JG_CODEC_H265, 0);
    a.codec = JG_CODEC_AAC;
    assert_int_equal(jg_ts_frame(&t, &a, &b, &d), JG_INVALID);
    jg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_mpeg),   cmocka_unit_test(pat_pmt),
        cmocka_unit_test(pes_packets),  cmocka_unit_test(sets_and_timestamps),
        cmocka_unit_test(hls_segments), cmocka_unit_test(audio_and_hevc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
