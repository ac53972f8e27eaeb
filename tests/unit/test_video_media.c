/* Unit tests for the media path of src/video: SDP offer and answer, RTP parsing, RFC 4571
 * framing and the reorder window, the MPEG-PS demuxer (with and without a PSM, several frames
 * in one PES as ffmpeg writes them, frames across PES packets as cameras send them, loss), the
 * FLV muxer (AVC and HEVC sequence headers, NALU tags, timestamps), and signed live URLs.
 * Fixtures are built here byte by byte. */
#include "video/liveurl.h"
#include "video/media.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- SDP ---- */

static void sdp_offer(void **state)
{
    (void)state;
    char out[1024];
    jg_sdp_offer o = {"Play", "35000000002000000001", "10.0.0.5", 30000, 0, "0000000001", NULL, 0, 0, 0};
    size_t n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_true(n > 0);
    assert_non_null(strstr(out, "s=Play\r\n"));
    assert_non_null(strstr(out, "c=IN IP4 10.0.0.5\r\n"));
    assert_non_null(strstr(out, "m=video 30000 RTP/AVP 96 98 99\r\n"));
    assert_non_null(
        strstr(out, "a=rtpmap:96 PS/90000\r\na=rtpmap:98 H264/90000\r\na=rtpmap:99 H265/90000\r\n"));
    assert_string_equal(out + n - strlen("y=0000000001\r\n"), "y=0000000001\r\n"); /* y= last */
    o.tcp = 1;
    n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_non_null(strstr(out, "m=video 30000 TCP/RTP/AVP 96 98 99\r\n"));
    assert_non_null(strstr(out, "a=setup:passive\r\n"));
    assert_int_equal(jg_sdp_offer_build(&o, out, 40), 0);
    /* Our own offer parses. */
    jg_sdp_answer a;
    assert_int_equal(jg_sdp_parse(out, n, &a), JG_OK);
    assert_int_equal(a.tcp, 1);
    assert_int_equal(a.setup, JG_SDP_SETUP_PASSIVE);
    assert_string_equal(a.ssrc, "0000000001");
}

static void sdp_answer(void **state)
{
    (void)state;
    /* As a Hikvision camera answers: LF only, its own y=, f= line after. */
    const char *hik = "v=0\no=34020000001320000001 0 0 IN IP4 192.168.1.64\ns=Play\nc=IN IP4 192.168.1.64\n"
                      "t=0 0\nm=video 15060 RTP/AVP 96\na=sendonly\na=rtpmap:96 PS/90000\ny=0100000123\nf=\n";
    jg_sdp_answer a;
    assert_int_equal(jg_sdp_parse(hik, strlen(hik), &a), JG_OK);
    assert_string_equal(a.session, "Play");
    assert_string_equal(a.ip, "192.168.1.64");
    assert_int_equal(a.port, 15060);
    assert_int_equal(a.tcp, 0);
    assert_string_equal(a.ssrc, "0100000123");
    assert_int_equal(a.ps_pt, 96);
    /* TCP active, media-level c= over the session one, PS on another payload type, no y=. */
    const char *tcp = "v=0\r\no=x 0 0 IN IP4 1.1.1.1\r\ns=Play\r\nc=IN IP4 1.1.1.1\r\nt=0 0\r\n"
                      "m=audio 8000 RTP/AVP 8\r\nm=video 9 TCP/RTP/AVP 100\r\nc=IN IP4 2.2.2.2\r\n"
                      "a=setup:active\r\na=rtpmap:100 PS/90000\r\n";
    assert_int_equal(jg_sdp_parse(tcp, strlen(tcp), &a), JG_OK);
    assert_string_equal(a.ip, "2.2.2.2");
    assert_int_equal(a.port, 9);
    assert_int_equal(a.tcp, 1);
    assert_int_equal(a.setup, JG_SDP_SETUP_ACTIVE);
    assert_int_equal(a.ps_pt, 100);
    assert_string_equal(a.ssrc, "");
    const char *bad[] = {"",
                         "v=0\r\n",
                         "v=1\r\nm=video 5 RTP/AVP 96\r\n",
                         "v=0\r\nm=video 0 RTP/AVP 96\r\n",
                         "v=0\r\nm=video 70000 RTP/AVP 96\r\n",
                         "v=0\r\nm=video 5 UDP/TLS 96\r\n",
                         "v=0\r\nm=audio 5 RTP/AVP 8\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(jg_sdp_parse(bad[i], strlen(bad[i]), &a), JG_INVALID);
}

/* ---- RTP ---- */

static size_t rtp_make(uint8_t *out, uint16_t seq, uint32_t ts, uint32_t ssrc, const uint8_t *pay, size_t n)
{
    out[0] = 0x80;
    out[1] = 96;
    out[2] = (uint8_t)(seq >> 8);
    out[3] = (uint8_t)seq;
    out[4] = (uint8_t)(ts >> 24);
    out[5] = (uint8_t)(ts >> 16);
    out[6] = (uint8_t)(ts >> 8);
    out[7] = (uint8_t)ts;
    out[8] = (uint8_t)(ssrc >> 24);
    out[9] = (uint8_t)(ssrc >> 16);
    out[10] = (uint8_t)(ssrc >> 8);
    out[11] = (uint8_t)ssrc;
    memcpy(out + 12, pay, n);
    return 12 + n;
}

static void rtp_parse(void **state)
{
    (void)state;
    uint8_t p[64];
    const uint8_t pay[4] = {1, 2, 3, 4};
    size_t n = rtp_make(p, 65535, 90000, 1234567890u, pay, 4);
    jg_rtp_pkt k;
    assert_int_equal(jg_rtp_parse(p, n, &k), JG_OK);
    assert_int_equal(k.seq, 65535);
    assert_int_equal(k.ts, 90000);
    assert_int_equal(k.ssrc, 1234567890u);
    assert_int_equal(k.pt, 96);
    assert_int_equal(k.len, 4);
    assert_memory_equal(k.payload, pay, 4);
    /* One CSRC, a one-word extension, two bytes of padding. */
    uint8_t q[64] = {0xB1, 0xE0, 0,    1,    0, 0, 0, 0, 0, 0, 0,    9,    0, 0,
                     0,    7,    0xBE, 0xDE, 0, 1, 9, 9, 9, 9, 0xAA, 0xBB, 0, 2};
    assert_int_equal(jg_rtp_parse(q, 28, &k), JG_OK);
    assert_int_equal(k.marker, 1);
    assert_int_equal(k.pt, 96);
    assert_int_equal(k.len, 2);
    assert_int_equal(k.payload[0], 0xAA);
    q[27] = 5; /* padding longer than the payload */
    assert_int_equal(jg_rtp_parse(q, 28, &k), JG_INVALID);
    p[0] = 0x40; /* version 1 */
    assert_int_equal(jg_rtp_parse(p, n, &k), JG_INVALID);
    assert_int_equal(jg_rtp_parse(p, 11, &k), JG_INVALID);
    /* RFC 4571 framing */
    const uint8_t s[] = {0, 3, 'a', 'b', 'c', 0, 0, 0, 5, 'x'};
    assert_int_equal(jg_rtp_tcp_frame(s, 1), 0);
    assert_int_equal(jg_rtp_tcp_frame(s, 4), 0);
    assert_int_equal(jg_rtp_tcp_frame(s, sizeof(s)), 5);
    assert_int_equal(jg_rtp_tcp_frame(s + 5, 5), 2);
    assert_int_equal(jg_rtp_tcp_frame(s + 7, 3), 0);
}

typedef struct {
    int seqs[256];
    int gaps[256];
    int n;
} got_t;

static void record(void *ud, const uint8_t *p, size_t n, int gap)
{
    got_t *g = ud;
    assert_int_equal(n, 1);
    g->seqs[g->n] = p[0];
    g->gaps[g->n] = gap;
    g->n++;
}

static void push(jg_rtp_reorder *r, got_t *g, int seq)
{
    uint8_t buf[16], pay[1] = {(uint8_t)seq};
    size_t n = rtp_make(buf, (uint16_t)(65530 + seq), 0, 1, pay, 1); /* wraps past 65535 */
    jg_rtp_pkt k;
    assert_int_equal(jg_rtp_parse(buf, n, &k), JG_OK);
    jg_rtp_reorder_push(r, &k, record, g);
}

static void rtp_reorder(void **state)
{
    (void)state;
    jg_rtp_reorder r;
    jg_rtp_reorder_init(&r);
    got_t g = {0};
    int order[] = {0, 1, 3, 2, 4, 5, 5, 1};
    for (size_t i = 0; i < 8; i++)
        push(&r, &g, order[i]);
    assert_int_equal(g.n, 6);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(g.seqs[i], i);
        assert_int_equal(g.gaps[i], 0);
    }
    assert_int_equal(r.late, 2);
    /* 6 is lost: 7.. wait until a quarter of the window has arrived, then go on with a gap. */
    for (int s = 7; s < 7 + JG_RTP_WINDOW / 4 - 1; s++)
        push(&r, &g, s);
    assert_int_equal(g.n, 6);
    push(&r, &g, 7 + JG_RTP_WINDOW / 4 - 1);
    assert_int_equal(g.n, 6 + JG_RTP_WINDOW / 4);
    assert_int_equal(g.seqs[6], 7);
    assert_int_equal(g.gaps[6], 1);
    assert_int_equal(g.gaps[7], 0);
    assert_int_equal(r.lost, 1);
    jg_rtp_reorder_free(&r);
}

/* ---- PS ---- */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 1024;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_ts(uint8_t *o, int prefix, int64_t ts)
{
    o[0] = (uint8_t)((prefix << 4) | (((ts >> 30) & 7) << 1) | 1);
    o[1] = (uint8_t)(ts >> 22);
    o[2] = (uint8_t)((((ts >> 15) & 0x7f) << 1) | 1);
    o[3] = (uint8_t)(ts >> 7);
    o[4] = (uint8_t)(((ts & 0x7f) << 1) | 1);
}

static void pack_header(bytes *b)
{
    const uint8_t h[14] = {0, 0, 1, 0xBA, 0x44, 0, 4, 0, 4, 1, 0, 0, 3, 0xF8};
    put(b, h, 14);
}

static void psm(bytes *b, int video_type)
{
    const uint8_t m[] = {0,    0, 1, 0xBC, 0,    18, 0xE0, 0xFF, 0, 0, 0, 8, (uint8_t)video_type,
                         0xE0, 0, 0, 0x90, 0xC0, 0,  0,    0,    0, 0, 0};
    put(b, m, sizeof(m));
}

/* A PES of stream id with the payload, with a PTS (and DTS) when pts >= 0. */
static void pes(bytes *b, int id, int64_t pts, int64_t dts, const uint8_t *pay, size_t n)
{
    uint8_t h[19] = {0, 0, 1, (uint8_t)id, 0, 0, 0x80, 0, 0};
    size_t hl = 0;
    if (pts >= 0 && dts >= 0) {
        h[7] = 0xC0;
        put_ts(h + 9, 3, pts);
        put_ts(h + 14, 1, dts);
        hl = 10;
    } else if (pts >= 0) {
        h[7] = 0x80;
        put_ts(h + 9, 2, pts);
        hl = 5;
    }
    h[8] = (uint8_t)hl;
    size_t len = 3 + hl + n;
    h[4] = (uint8_t)(len >> 8);
    h[5] = (uint8_t)len;
    put(b, h, 9 + hl);
    put(b, pay, n);
}

static const uint8_t SPS[] = {0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1E, 0xAC, 0xD9, 0x40};
static const uint8_t PPS[] = {0, 0, 0, 1, 0x68, 0xEB, 0xE3, 0xCB};
static const uint8_t IDR[] = {0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33, 0xFF};
static const uint8_t PSL[] = {0, 0, 0, 1, 0x41, 0x9A, 0x02, 0x11, 0x22};
static const uint8_t AUD[] = {0, 0, 0, 1, 0x09, 0xF0};

typedef struct {
    int n;
    int codec[32];
    int64_t pts[32], dts[32];
    bytes data[32];
    int audio;
} frames_t;

static void on_frame(void *ud, const jg_frame *f)
{
    frames_t *fr = ud;
    if (!f->video) {
        fr->audio++;
        return;
    }
    assert_true(fr->n < 32);
    fr->codec[fr->n] = f->codec;
    fr->pts[fr->n] = f->pts;
    fr->dts[fr->n] = f->dts;
    memset(&fr->data[fr->n], 0, sizeof(bytes));
    put(&fr->data[fr->n], f->data, f->len);
    fr->n++;
}

static void frames_free(frames_t *fr)
{
    for (int i = 0; i < fr->n; i++)
        free(fr->data[i].p);
}

static void feed_pieces(jg_ps *d, const bytes *b, size_t piece)
{
    for (size_t off = 0; off < b->n; off += piece)
        jg_ps_feed(d, b->p + off, b->n - off < piece ? b->n - off : piece);
}

/* Camera style: a PSM, one frame per PES; the IDR frame split over two PES (second without PTS). */
static void ps_camera_style(void **state)
{
    (void)state;
    bytes b = {0}, idr = {0};
    put(&idr, AUD, sizeof(AUD));
    put(&idr, SPS, sizeof(SPS));
    put(&idr, PPS, sizeof(PPS));
    put(&idr, IDR, sizeof(IDR));
    pack_header(&b);
    psm(&b, 0x1B);
    pes(&b, 0xE0, 3600, 3600, idr.p, 12);
    pes(&b, 0xE0, -1, -1, idr.p + 12, idr.n - 12);
    const uint8_t g711[4] = {0xD5, 0xD5, 0xD5, 0xD5};
    pes(&b, 0xC0, 3600, -1, g711, 4);
    for (int i = 1; i <= 3; i++) {
        pack_header(&b);
        bytes p = {0};
        put(&p, AUD, sizeof(AUD));
        put(&p, PSL, sizeof(PSL));
        pes(&b, 0xE0, 3600 + i * 3600, -1, p.p, p.n);
        free(p.p);
    }
    for (size_t piece = 1; piece <= 300; piece += 299) {
        frames_t fr = {0};
        jg_ps d;
        jg_ps_init(&d, on_frame, &fr);
        feed_pieces(&d, &b, piece);
        assert_int_equal(d.video_type, 0x1B);
        assert_int_equal(d.audio_type, 0x90);
        assert_int_equal(fr.audio, 1);
        assert_int_equal(fr.n, 3); /* the last frame waits for the next one to begin */
        assert_int_equal(fr.codec[0], JG_CODEC_H264);
        assert_int_equal(fr.pts[0], 3600);
        assert_int_equal(fr.pts[1], 7200);
        assert_int_equal(fr.dts[2], 10800);
        assert_int_equal(fr.data[0].n, idr.n); /* rejoined across the two PES */
        assert_memory_equal(fr.data[0].p, idr.p, idr.n);
        frames_free(&fr);
        jg_ps_free(&d);
    }
    free(idr.p);
    free(b.p);
}

/* ffmpeg style: no PSM, stream 0xE2, several frames in one PES with one PTS; a loss mid-way. */
static void ps_ffmpeg_style(void **state)
{
    (void)state;
    bytes es = {0}, b = {0};
    put(&es, SPS, sizeof(SPS));
    put(&es, PPS, sizeof(PPS));
    put(&es, IDR, sizeof(IDR));
    size_t second = es.n;
    put(&es, PSL, sizeof(PSL));
    size_t third = es.n;
    put(&es, PSL, sizeof(PSL));
    put(&es, SPS, sizeof(SPS)); /* the next frame begins: the third ends */
    pack_header(&b);
    pes(&b, 0xE2, 90000, -1, es.p, second + 3); /* frame 1 and the start of frame 2 */
    pes(&b, 0xE2, -1, -1, es.p + second + 3, es.n - second - 3);
    frames_t fr = {0};
    jg_ps d;
    jg_ps_init(&d, on_frame, &fr);
    feed_pieces(&d, &b, 7);
    assert_int_equal(d.have_psm, 0);
    assert_int_equal(fr.n, 3);
    assert_int_equal(fr.codec[0], JG_CODEC_H264); /* guessed */
    assert_int_equal(fr.data[0].n, second);
    assert_int_equal(fr.data[1].n, third - second);
    assert_memory_equal(fr.data[1].p, PSL, sizeof(PSL));
    assert_int_equal(fr.pts[0], 90000);
    assert_int_equal(fr.pts[1], 90000 + 3600); /* no PTS of its own: one frame later */
    assert_int_equal(fr.pts[2], 90000 + 7200);
    /* A loss: the partial frame is dropped; the demuxer resumes at the next pack with a PTS. */
    jg_ps_reset(&d);
    jg_ps_feed(&d, es.p + 5, 9); /* garbage from the middle of a frame */
    bytes c = {0};
    pack_header(&c);
    pes(&c, 0xE2, 180000, -1, IDR, sizeof(IDR));
    pack_header(&c);
    pes(&c, 0xE2, 183600, -1, PSL, sizeof(PSL));
    jg_ps_feed(&d, c.p, c.n);
    assert_int_equal(fr.n, 4);
    assert_int_equal(fr.pts[3], 180000);
    assert_memory_equal(fr.data[3].p, IDR, sizeof(IDR));
    frames_free(&fr);
    jg_ps_free(&d);
    free(es.p);
    free(b.p);
    free(c.p);
}

static void ps_guess_and_garbage(void **state)
{
    (void)state;
    const uint8_t h265[] = {0, 0, 0, 1, 0x40, 0x01, 0x0C};
    const uint8_t h264[] = {0, 0, 1, 0x67, 0x42};
    assert_int_equal(jg_ps_guess_video(h265, sizeof(h265)), JG_CODEC_H265);
    assert_int_equal(jg_ps_guess_video(h264, sizeof(h264)), JG_CODEC_H264);
    frames_t fr = {0};
    jg_ps d;
    jg_ps_init(&d, on_frame, &fr);
    uint8_t junk[5000];
    for (size_t i = 0; i < sizeof(junk); i++)
        junk[i] = (uint8_t)(i * 7 + (i >> 3));
    jg_ps_feed(&d, junk, sizeof(junk));
    assert_int_equal(fr.n, 0);
    assert_true(d.in_len < 4);
    jg_ps_free(&d);
}

/* ---- frames cut at the RTP marker bit ---- */

/* Packets of a camera-style stream: one pack per frame (AUD + SPS/PPS/IDR every 8th, else a P
 * slice, padded to `fill` bytes of slice data), split into RTP payloads of at most mtu bytes, the
 * last of each frame with the marker bit (all of them with lie_all; none with no_marker). Frames
 * in two PES (split) put each PES in packets of its own. */
typedef struct {
    uint8_t pay[64][48];
    size_t len[64];
    int marker[64], frame_end[64]; /* frame_end: index of the frame the packet ends, else -1 */
    int n;
    bytes es[16]; /* each frame's bytes, as the demuxer must pass them on */
    int frames;
} mstream;

static void mstream_add(mstream *m, const uint8_t *p, size_t n, size_t mtu, int marker_last, int lie_all,
                        int frame)
{
    for (size_t off = 0; off < n; off += mtu) {
        size_t k = n - off < mtu ? n - off : mtu;
        assert_true(m->n < 64 && k <= sizeof(m->pay[0]));
        memcpy(m->pay[m->n], p + off, k);
        m->len[m->n] = k;
        int last = off + k == n;
        m->marker[m->n] = lie_all || (last && marker_last);
        m->frame_end[m->n] = last && marker_last ? frame : -1;
        m->n++;
    }
}

static void mstream_make(mstream *m, int frames, int no_marker, int lie_all, int split)
{
    memset(m, 0, sizeof(*m));
    m->frames = frames;
    for (int i = 0; i < frames; i++) {
        bytes *es = &m->es[i];
        put(es, AUD, sizeof(AUD));
        if (i % 8 == 0) {
            put(es, SPS, sizeof(SPS));
            put(es, PPS, sizeof(PPS));
            put(es, IDR, sizeof(IDR));
        } else {
            put(es, PSL, sizeof(PSL));
        }
        const uint8_t fill[40] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
        put(es, fill, 20 + (size_t)(i % 3) * 10);
        bytes pk = {0};
        pack_header(&pk);
        if (split) {
            size_t half = es->n / 2;
            pes(&pk, 0xE0, 3600 * (i + 1), -1, es->p, half);
            mstream_add(m, pk.p, pk.n, 40, 0, lie_all, i);
            pk.n = 0;
            pes(&pk, 0xE0, -1, -1, es->p + half, es->n - half);
        } else {
            pes(&pk, 0xE0, 3600 * (i + 1), -1, es->p, es->n);
        }
        mstream_add(m, pk.p, pk.n, 40, !no_marker, lie_all, i);
        free(pk.p);
    }
}

static void mstream_free(mstream *m)
{
    for (int i = 0; i < m->frames; i++)
        free(m->es[i].p);
}

typedef struct {
    jg_rtp_reorder r;
    jg_ps d;
} mrx;

static void mrx_deliver(void *ud, const uint8_t *p, size_t n, int gap)
{
    mrx *x = ud;
    if (gap)
        jg_ps_reset(&x->d);
    jg_ps_feed(&x->d, p, n);
    if (x->r.marker)
        jg_ps_marker(&x->d);
}

static void mrx_push(mrx *x, const mstream *m, int i)
{
    uint8_t buf[80];
    size_t n = rtp_make(buf, (uint16_t)(100 + i), 0, 1, m->pay[i], m->len[i]);
    if (m->marker[i])
        buf[1] |= 0x80;
    jg_rtp_pkt k;
    assert_int_equal(jg_rtp_parse(buf, n, &k), JG_OK);
    assert_int_equal(k.marker, m->marker[i]);
    jg_rtp_reorder_push(&x->r, &k, mrx_deliver, x);
}

static void assert_frames(const frames_t *fr, const mstream *m, int first, int count)
{
    for (int i = 0; i < count; i++) {
        const bytes *want = &m->es[first + i];
        assert_int_equal(fr->data[i].n, want->n);
        assert_memory_equal(fr->data[i].p, want->p, want->n);
        assert_int_equal(fr->pts[i], 3600 * (first + i + 1));
    }
}

/* The marker bit ends a frame: after JG_PS_MARK_TRUST markers were seen to be right (one on the
 * key frame), each frame is passed on with its marker packet, not with the next frame's first. */
static void ps_marker_cuts_frames(void **state)
{
    (void)state;
    for (int tcp = 0; tcp < 2; tcp++) { /* the same through RFC 4571 framing */
        mstream m;
        mstream_make(&m, 12, 0, 0, 0);
        frames_t fr = {0};
        mrx x;
        jg_rtp_reorder_init(&x.r);
        jg_ps_init(&x.d, on_frame, &fr);
        for (int i = 0; i < m.n; i++) {
            if (tcp) {
                uint8_t buf[82];
                size_t n = rtp_make(buf + 2, (uint16_t)(100 + i), 0, 1, m.pay[i], m.len[i]);
                buf[2 + 1] |= (uint8_t)(m.marker[i] ? 0x80 : 0);
                buf[0] = (uint8_t)(n >> 8);
                buf[1] = (uint8_t)n;
                assert_int_equal(jg_rtp_tcp_frame(buf, n + 2), n + 2);
                jg_rtp_pkt k;
                assert_int_equal(jg_rtp_parse(buf + 2, n, &k), JG_OK);
                jg_rtp_reorder_push(&x.r, &k, mrx_deliver, &x);
            } else {
                mrx_push(&x, &m, i);
            }
            int f = m.frame_end[i];
            if (f >= 0) /* frames 0..2 are checked against the next one's start; 3.. go at their marker */
                assert_int_equal(fr.n, f < JG_PS_MARK_TRUST ? f : f + 1);
        }
        assert_int_equal(fr.n, 12); /* every frame once */
        assert_frames(&fr, &m, 0, 12);
        assert_int_equal(x.d.mark_flushes, 12 - JG_PS_MARK_TRUST);
        assert_int_equal(x.d.mark_off, 0);
        assert_int_equal(x.d.frames, 12);
        frames_free(&fr);
        jg_ps_free(&x.d);
        jg_rtp_reorder_free(&x.r);
        mstream_free(&m);
    }
}

/* Without markers, or with markers that end a PES but not the frame (a device marking every PES),
 * frames are cut as before: each when the next one begins, all of them whole. A marker on every
 * packet does no harm when a frame is one PES: only the packet ending it ends a PES. */
static void ps_marker_absent_or_wrong(void **state)
{
    (void)state;
    for (int mode = 0; mode < 3; mode++) {
        mstream m;
        /* 0: no marker; 1: marker on every packet; 2: marker at the end of each of two PES */
        mstream_make(&m, 12, mode == 0, mode == 1, mode == 2);
        if (mode == 2)
            for (int i = 0; i < m.n; i++)
                m.marker[i] = i + 1 == m.n || m.frame_end[i] >= 0 || (i + 1 < m.n && m.len[i] < 40);
        frames_t fr = {0};
        mrx x;
        jg_rtp_reorder_init(&x.r);
        jg_ps_init(&x.d, on_frame, &fr);
        for (int i = 0; i < m.n; i++)
            mrx_push(&x, &m, i);
        if (mode == 1) {
            /* markers inside a PES end none and are passed over: the last packet's still counts */
            assert_int_equal(fr.n, 12);
            assert_frames(&fr, &m, 0, 12);
            assert_int_equal(x.d.mark_off, 0);
        } else {
            assert_int_equal(fr.n, 11); /* the last frame waits for a next one */
            assert_frames(&fr, &m, 0, 11);
            assert_int_equal(x.d.mark_flushes, 0);
            assert_int_equal(x.d.mark_off, mode == 2);
        }
        frames_free(&fr);
        jg_ps_free(&x.d);
        jg_rtp_reorder_free(&x.r);
        mstream_free(&m);
    }
}

/* Once markers are trusted: packets reordered within a frame still give that frame at its
 * marker; a lost packet drops its frame only, the next ones come whole, none twice. */
static void ps_marker_reorder_and_loss(void **state)
{
    (void)state;
    mstream m;
    mstream_make(&m, 16, 0, 0, 0);
    frames_t fr = {0};
    mrx x;
    jg_rtp_reorder_init(&x.r);
    jg_ps_init(&x.d, on_frame, &fr);
    int f5 = -1, f6 = -1, f6_end = -1; /* first packets of frames 5 and 6, last of 6 */
    for (int i = 0, f = 0; i < m.n; i++) {
        if (f == 5 && f5 < 0)
            f5 = i;
        if (f == 6 && f6 < 0)
            f6 = i;
        if (m.frame_end[i] >= 0) {
            if (f == 6)
                f6_end = i;
            f++;
        }
    }
    assert_true(f6 - f5 >= 2 && f6_end - f6 >= 1);
    int i = 0;
    for (; i < f5; i++)
        mrx_push(&x, &m, i);
    assert_int_equal(fr.n, 5);
    /* frame 5: its marker packet first, then the others */
    mrx_push(&x, &m, f6 - 1);
    assert_int_equal(fr.n, 5);
    for (i = f5; i < f6 - 1; i++)
        mrx_push(&x, &m, i);
    assert_int_equal(fr.n, 6); /* released in order, cut at the marker */
    assert_frames(&fr, &m, 0, 6);
    /* frame 6 loses its first packet: the window gives up after JG_RTP_WINDOW / 4 later ones */
    for (i = f6 + 1; i < m.n; i++)
        mrx_push(&x, &m, i);
    assert_int_equal(x.r.lost, 1);
    /* frame 6 is dropped; 7.. resume at the next pack with a PTS; the last at its marker */
    assert_int_equal(fr.n, 6 + 9);
    for (int k = 0; k < 9; k++) {
        assert_int_equal(fr.data[6 + k].n, m.es[7 + k].n);
        assert_memory_equal(fr.data[6 + k].p, m.es[7 + k].p, m.es[7 + k].n);
        assert_int_equal(fr.pts[6 + k], 3600 * (7 + k + 1));
    }
    assert_int_equal(x.d.mark_off, 0);
    frames_free(&fr);
    jg_ps_free(&x.d);
    jg_rtp_reorder_free(&x.r);
    mstream_free(&m);
}

/* Trusted markers, then a marker packet ending a PES that holds a frame's tail and the next frame
 * whole (ffmpeg's layout): the frame that began inside the packet is not passed on at the marker
 * (nothing shows it complete), but when the next one begins; none is cut short or sent twice. */
static void ps_marker_tail_and_head(void **state)
{
    (void)state;
    mstream m;
    mstream_make(&m, 8, 0, 0, 0);
    mstream mixed;
    memset(&mixed, 0, sizeof(mixed));
    bytes pk = {0}, es = {0};
    put(&es, m.es[5].p, m.es[5].n);
    put(&es, m.es[6].p, m.es[6].n);
    pack_header(&pk);
    pes(&pk, 0xE0, 3600 * 6, -1, es.p, es.n);
    mstream_add(&mixed, pk.p, pk.n, 40, 1, 0, 6);
    frames_t fr = {0};
    mrx x;
    jg_rtp_reorder_init(&x.r);
    jg_ps_init(&x.d, on_frame, &fr);
    int i = 0, seq = 0;
    for (; m.frame_end[i] != 4; i++, seq++)
        mrx_push(&x, &m, i);
    mrx_push(&x, &m, i++);
    seq++;
    assert_int_equal(fr.n, 5); /* trusted: frame 4 went at its marker */
    for (int k = 0; k < mixed.n; k++, seq++) {
        uint8_t buf[80];
        size_t n = rtp_make(buf, (uint16_t)(100 + seq), 0, 1, mixed.pay[k], mixed.len[k]);
        buf[1] |= (uint8_t)(mixed.marker[k] ? 0x80 : 0);
        jg_rtp_pkt rp;
        assert_int_equal(jg_rtp_parse(buf, n, &rp), JG_OK);
        jg_rtp_reorder_push(&x.r, &rp, mrx_deliver, &x);
    }
    assert_int_equal(fr.n, 6); /* frame 5 (cut where 6 begins); 6 waits */
    while (m.frame_end[i] != 6)
        i++;
    for (i++; i < m.n; i++, seq++) { /* frame 7 */
        uint8_t buf[80];
        size_t n = rtp_make(buf, (uint16_t)(100 + seq), 0, 1, m.pay[i], m.len[i]);
        buf[1] |= (uint8_t)(m.marker[i] ? 0x80 : 0);
        jg_rtp_pkt rp;
        assert_int_equal(jg_rtp_parse(buf, n, &rp), JG_OK);
        jg_rtp_reorder_push(&x.r, &rp, mrx_deliver, &x);
    }
    assert_int_equal(fr.n, 8); /* 6 when 7 began, 7 at its marker */
    for (int k = 0; k < 8; k++) {
        assert_int_equal(fr.data[k].n, m.es[k].n);
        assert_memory_equal(fr.data[k].p, m.es[k].p, m.es[k].n);
    }
    assert_int_equal(x.d.mark_off, 0);
    assert_int_equal(x.r.lost, 0);
    free(pk.p);
    free(es.p);
    frames_free(&fr);
    jg_ps_free(&x.d);
    jg_rtp_reorder_free(&x.r);
    mstream_free(&m);
}

/* ---- FLV ---- */

static uint32_t be24(const uint8_t *p)
{
    return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
}

static void flv_avc(void **state)
{
    (void)state;
    uint8_t fh[13];
    jg_flv_header(fh);
    assert_memory_equal(fh, "FLV\x01\x01\x00\x00\x00\x09\x00\x00\x00\x00", 13);
    jg_flv m;
    jg_flv_init(&m);
    jg_buf out;
    jg_buf_init(&out, 1 << 20);
    bytes idr = {0};
    put(&idr, AUD, sizeof(AUD));
    put(&idr, SPS, sizeof(SPS));
    put(&idr, PPS, sizeof(PPS));
    put(&idr, IDR, sizeof(IDR));
    long config_at;
    int key;
    jg_frame p = {JG_CODEC_H264, 1, 1000, 1000, PSL, sizeof(PSL)};
    assert_int_equal(jg_flv_video(&m, &p, &out, &config_at, &key), JG_INVALID); /* before SPS/PPS */
    assert_int_equal(out.len, 0);
    jg_frame f = {JG_CODEC_H264, 1, 90000 + 7200, 90000, idr.p, idr.n};
    assert_int_equal(jg_flv_video(&m, &f, &out, &config_at, &key), JG_OK);
    assert_int_equal(config_at, 0);
    assert_int_equal(key, 1);
    const uint8_t *t = (const uint8_t *)out.data;
    /* sequence header: tag 9, AVC key frame, packet type 0, avcC with SPS profile bytes */
    assert_int_equal(t[0], 9);
    size_t size = be24(t + 1);
    assert_int_equal(t[11], 0x17);
    assert_int_equal(t[12], 0);
    const uint8_t avcc[] = {1, 0x64, 0x00, 0x1E, 0xFF, 0xE1, 0, 7};
    assert_memory_equal(t + 16, avcc, sizeof(avcc));
    assert_memory_equal(t + 24, SPS + 4, 7);
    assert_int_equal(t[31], 1);
    assert_int_equal(t[33], 4);
    assert_memory_equal(t + 34, PPS + 4, 4);
    assert_int_equal(size, 5 + 6 + 2 + 7 + 1 + 2 + 4);
    assert_int_equal(be24(t + 11 + size) + 0u, 0u); /* PreviousTagSize high bytes */
    assert_int_equal(t[11 + size + 3], 11 + size);
    /* the frame: key, NALU, cts 80 ms, only the IDR slice with a 4-byte length */
    const uint8_t *v = t + 11 + size + 4;
    assert_int_equal(v[0], 9);
    assert_int_equal(be24(v + 1), 5 + 4 + 6);
    assert_int_equal(jg_flv_get_ts(v), 0);
    assert_int_equal(v[11], 0x17);
    assert_int_equal(v[12], 1);
    assert_int_equal(be24(v + 13), 80);
    const uint8_t nalu[] = {0, 0, 0, 6, 0x65, 0x88, 0x84, 0x00, 0x33, 0xFF};
    assert_memory_equal(v + 16, nalu, sizeof(nalu));
    /* a P frame 40 ms later: inter frame, no sequence header again */
    out.len = 0;
    jg_frame q = {JG_CODEC_H264, 1, 90000 + 3600, 90000 + 3600, PSL, sizeof(PSL)};
    assert_int_equal(jg_flv_video(&m, &q, &out, &config_at, &key), JG_OK);
    assert_int_equal(config_at, -1);
    assert_int_equal(key, 0);
    t = (const uint8_t *)out.data;
    assert_int_equal(t[11], 0x27);
    assert_int_equal(jg_flv_get_ts(t), 40);
    /* time going back (a looping source) continues one frame later; so does a leap */
    out.len = 0;
    jg_frame back = {JG_CODEC_H264, 1, 1000, 1000, PSL, sizeof(PSL)};
    assert_int_equal(jg_flv_video(&m, &back, &out, &config_at, &key), JG_OK);
    assert_int_equal(jg_flv_get_ts((const uint8_t *)out.data), 80);
    /* new parameter sets bring a new sequence header */
    out.len = 0;
    idr.p[sizeof(AUD) + 6] ^= 1;
    f.dts = f.pts = 1000 + 3600;
    assert_int_equal(jg_flv_video(&m, &f, &out, &config_at, &key), JG_OK);
    assert_int_equal(config_at, 0);
    assert_int_equal(jg_flv_get_ts((const uint8_t *)out.data), 120);
    uint8_t tag[11] = {0};
    jg_flv_set_ts(tag, 0x12345678);
    assert_int_equal(jg_flv_get_ts(tag), 0x12345678);
    assert_int_equal(tag[7], 0x12);
    free(idr.p);
    jg_buf_free(&out);
}

static void flv_hevc(void **state)
{
    (void)state;
    const uint8_t vps[] = {0, 0, 0, 1, 0x40, 0x01, 0x0C, 0x01, 0xFF, 0xFF};
    /* SPS: NAL header, then vps id / max sub layers / nesting, then 12 bytes of profile_tier_level */
    const uint8_t sps[] = {0,    0,    0,    1,    0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03,
                           0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5D, 0xA0};
    const uint8_t pps[] = {0, 0, 0, 1, 0x44, 0x01, 0xC1, 0x72};
    const uint8_t idr[] = {0, 0, 0, 1, 0x26, 0x01, 0xAF, 0x00};
    bytes f = {0};
    put(&f, vps, sizeof(vps));
    put(&f, sps, sizeof(sps));
    put(&f, pps, sizeof(pps));
    put(&f, idr, sizeof(idr));
    jg_flv m;
    jg_flv_init(&m);
    jg_buf out;
    jg_buf_init(&out, 1 << 20);
    long config_at;
    int key;
    jg_frame fr = {JG_CODEC_H265, 1, 0, 0, f.p, f.n};
    assert_int_equal(jg_flv_video(&m, &fr, &out, &config_at, &key), JG_OK);
    assert_int_equal(key, 1);
    const uint8_t *t = (const uint8_t *)out.data;
    assert_int_equal(t[11], 0x10 | JG_FLV_CODEC_HEVC);
    assert_int_equal(t[12], 0);
    const uint8_t *rec = t + 16;
    assert_int_equal(rec[0], 1);
    assert_int_equal(rec[1], 0x01); /* general profile: Main */
    assert_int_equal(rec[2], 0x60);
    assert_int_equal(rec[12], 0x5D); /* level 3.1, after the emulation-prevention bytes are removed */
    assert_int_equal(rec[22], 3);    /* VPS, SPS, PPS */
    assert_int_equal(rec[23], 0x80 | 32);
    size_t size = be24(t + 1);
    const uint8_t *v = t + 11 + size + 4;
    assert_int_equal(v[11], 0x10 | JG_FLV_CODEC_HEVC);
    assert_int_equal(v[12], 1);
    const uint8_t nalu[] = {0, 0, 0, 4, 0x26, 0x01, 0xAF, 0x00};
    assert_memory_equal(v + 16, nalu, sizeof(nalu));
    free(f.p);
    jg_buf_free(&out);
}

/* ---- live URLs ---- */

static void live_urls(void **state)
{
    (void)state;
    unsigned char fk[32], k[32], k2[32];
    memset(fk, 7, sizeof(fk));
    jg_liveurl_key(fk, k);
    fk[0] ^= 1;
    jg_liveurl_key(fk, k2);
    assert_memory_not_equal(k, k2, 32);
    const char *dev = "35010200001180000001", *ch = "35010200001310000001";
    char sig[JG_LIVEURL_SIG_LEN + 1], url[512];
    jg_liveurl_sign(k, dev, ch, 2000000000LL, sig);
    assert_int_equal(strlen(sig), 64);
    assert_true(jg_liveurl_check(k, dev, ch, 2000000000LL, sig, 1900000000LL));
    assert_false(jg_liveurl_check(k, dev, ch, 2000000000LL, sig, 2000000001LL)); /* expired */
    assert_false(jg_liveurl_check(k2, dev, ch, 2000000000LL, sig, 1900000000LL));
    assert_false(jg_liveurl_check(k, dev, "35010200001310000002", 2000000000LL, sig, 1900000000LL));
    assert_false(jg_liveurl_check(k, dev, ch, 2000000001LL, sig, 1900000000LL));
    assert_false(jg_liveurl_check(k, dev, ch, 2000000000LL, "abc", 1900000000LL));
    assert_true(jg_liveurl_build(k, "http://v.example:8090/", dev, ch, 2000000000LL, url, sizeof(url)) > 0);
    char want[512];
    snprintf(want, sizeof(want), "http://v.example:8090/live/%s/%s.flv?exp=2000000000&sig=%s", dev, ch, sig);
    assert_string_equal(url, want);
    assert_int_equal(jg_liveurl_build(k, "http://x", dev, ch, 1, url, 40), 0);
}

static void sdp_playback_offer(void **state)
{
    (void)state;
    char out[1024];
    jg_sdp_offer o = {"Playback",   "35000000002000000001", "10.0.0.5",   30000,        0,
                      "1350100001", "35010200001310000001", 1795564800LL, 1795568400LL, 0};
    size_t n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_true(n > 0);
    /* s=, then u= (the channel), c=, t= with the range in Unix seconds (GB/T 28181 appendix G). */
    assert_non_null(strstr(out, "s=Playback\r\nu=35010200001310000001:0\r\nc=IN IP4 10.0.0.5\r\n"
                                "t=1795564800 1795568400\r\n"));
    assert_null(strstr(out, "t=0 0"));
    assert_string_equal(out + n - strlen("y=1350100001\r\n"), "y=1350100001\r\n");
    jg_sdp_answer a;
    assert_int_equal(jg_sdp_parse(out, n, &a), JG_OK);
    assert_string_equal(a.session, "Playback");
}

static void mansrtsp(void **state)
{
    (void)state;
    char out[256];
    jg_rtsp_op op;
    double v = 0;
    size_t n = jg_mansrtsp_build(JG_RTSP_PAUSE, 3, 0, out, sizeof(out));
    assert_string_equal(out, "PAUSE RTSP/1.0\r\nCSeq: 3\r\nPauseTime: now\r\n\r\n");
    assert_int_equal(jg_mansrtsp_parse(out, n, &op, &v), JG_OK);
    assert_int_equal(op, JG_RTSP_PAUSE);
    n = jg_mansrtsp_build(JG_RTSP_RESUME, 4, 0, out, sizeof(out));
    assert_string_equal(out, "PLAY RTSP/1.0\r\nCSeq: 4\r\nRange: npt=now-\r\n\r\n");
    assert_int_equal(jg_mansrtsp_parse(out, n, &op, &v), JG_OK);
    assert_int_equal(op, JG_RTSP_RESUME);
    n = jg_mansrtsp_build(JG_RTSP_SEEK, 5, 120, out, sizeof(out));
    assert_string_equal(out, "PLAY RTSP/1.0\r\nCSeq: 5\r\nRange: npt=120-\r\n\r\n");
    assert_int_equal(jg_mansrtsp_parse(out, n, &op, &v), JG_OK);
    assert_int_equal(op, JG_RTSP_SEEK);
    assert_true(v == 120);
    n = jg_mansrtsp_build(JG_RTSP_SPEED, 6, 0.5, out, sizeof(out));
    assert_string_equal(out, "PLAY RTSP/1.0\r\nCSeq: 6\r\nScale: 0.5\r\n\r\n");
    assert_int_equal(jg_mansrtsp_parse(out, n, &op, &v), JG_OK);
    assert_int_equal(op, JG_RTSP_SPEED);
    assert_true(v == 0.5);
    assert_int_equal(jg_mansrtsp_build(JG_RTSP_SPEED, 6, 3, out, sizeof(out)), 0);
    assert_int_equal(jg_mansrtsp_build(JG_RTSP_SEEK, 6, -1, out, sizeof(out)), 0);
    assert_int_equal(jg_mansrtsp_build(JG_RTSP_PAUSE, 6, 0, out, 10), 0);
    const char *bad[] = {"TEARDOWN RTSP/1.0\r\n\r\n", "PLAY RTSP/1.0\r\nScale: x\r\n\r\n",
                         "PLAY RTSP/1.0\r\nRange: npt=abc-\r\n\r\n", "PLAY RTSP/1.0\r\nScale: -2\r\n\r\n",
                         ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(jg_mansrtsp_parse(bad[i], strlen(bad[i]), &op, &v), JG_INVALID);
}

static void playback_and_control_signatures(void **state)
{
    (void)state;
    unsigned char fk[32], k[32], ck[32];
    memset(fk, 9, sizeof(fk));
    jg_liveurl_key(fk, k);
    jg_ctl_key(fk, ck);
    assert_memory_not_equal(k, ck, 32); /* a URL key cannot sign control requests */
    const char *dev = "35010200001180000001", *ch = "35010200001310000001";
    char sig[JG_LIVEURL_SIG_LEN + 1], live[JG_LIVEURL_SIG_LEN + 1];
    jg_playurl_sign(k, dev, ch, 100, 200, 2000000000LL, sig);
    assert_true(jg_playurl_check(k, dev, ch, 100, 200, 2000000000LL, sig, 1900000000LL));
    assert_false(jg_playurl_check(k, dev, ch, 100, 201, 2000000000LL, sig, 1900000000LL));
    assert_false(jg_playurl_check(k, dev, ch, 99, 200, 2000000000LL, sig, 1900000000LL));
    assert_false(jg_playurl_check(k, dev, ch, 100, 200, 2000000000LL, sig, 2000000001LL));
    jg_liveurl_sign(k, dev, ch, 2000000000LL, live);
    assert_string_not_equal(live, sig); /* a live signature is no playback signature */

    char target[512], full[600], csig[JG_LIVEURL_SIG_LEN + 1];
    int n = snprintf(target, sizeof(target),
                     "/ctl/ptz?device=%s&channel=%s&command=up&speed=1&exp=2000000000", dev, ch);
    jg_ctl_sign(ck, target, (size_t)n, csig);
    snprintf(full, sizeof(full), "%s&sig=%s HTTP/1.1\r\n", target, csig);
    assert_true(jg_ctl_check(ck, full, 1900000000LL));
    assert_false(jg_ctl_check(ck, full, 2000000001LL)); /* expired */
    assert_false(jg_ctl_check(k, full, 1900000000LL));  /* another key */
    char altered[600];
    snprintf(altered, sizeof(altered), "%s", full);
    char *p = strstr(altered, "command=up");
    memcpy(p, "command=dn", 10);
    assert_false(jg_ctl_check(ck, altered, 1900000000LL));
    snprintf(altered, sizeof(altered), "%s", full);
    p = strstr(altered, "exp=2000000000");
    p[13] = '1';
    assert_false(jg_ctl_check(ck, altered, 1900000000LL));
    snprintf(altered, sizeof(altered), "/live/x?exp=1&sig=%s", csig);
    assert_false(jg_ctl_check(ck, altered, 0));
    assert_false(jg_ctl_check(ck, "/ctl/ptz?exp=2000000000&sig=00", 0));
    assert_false(jg_ctl_check(ck, "/ctl/ptz?device=1", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sdp_offer),
        cmocka_unit_test(sdp_answer),
        cmocka_unit_test(rtp_parse),
        cmocka_unit_test(rtp_reorder),
        cmocka_unit_test(ps_camera_style),
        cmocka_unit_test(ps_ffmpeg_style),
        cmocka_unit_test(ps_guess_and_garbage),
        cmocka_unit_test(flv_avc),
        cmocka_unit_test(ps_marker_cuts_frames),
        cmocka_unit_test(ps_marker_absent_or_wrong),
        cmocka_unit_test(ps_marker_reorder_and_loss),
        cmocka_unit_test(ps_marker_tail_and_head),
        cmocka_unit_test(flv_hevc),
        cmocka_unit_test(live_urls),
        cmocka_unit_test(sdp_playback_offer),
        cmocka_unit_test(mansrtsp),
        cmocka_unit_test(playback_and_control_signatures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
