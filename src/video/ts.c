/* MPEG-TS muxing (ISO/IEC 13818-1) of the frames the PS demuxer produces, for HLS and cloud
 * recording: PAT and PMT (program 1, PMT on PID 0x1000), video PES on PID 0x100 (stream type 0x1B
 * H.264 or 0x24 H.265) with the PCR in its adaptation field on every frame, AAC (ADTS, 0x0F) on
 * PID 0x101. Continuity counters per PID; the last packet of a PES is padded with adaptation
 * field stuffing. No transcoding: the Annex B bytes go through as they came, with an access
 * unit delimiter and the parameter sets added where missing (H.264 in TS wants the AUD; every
 * HLS segment must decode on its own). */
#include "video/hls.h"

#include <string.h>

#define TS_MASK ((INT64_C(1) << 33) - 1)
#define LEAP (5 * 90000) /* a DTS step beyond this (or backwards) is a discontinuity */

uint32_t jg_ts_crc32(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x80000000u) != 0 ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    return crc;
}

void jg_ts_init(jg_ts *t, int video_codec, int audio)
{
    memset(t, 0, sizeof(*t));
    t->video_codec = video_codec;
    t->audio = audio;
}

/* Next NAL unit in p[*off..n): its start (after the start code) and length; 0 at the end. */
static int next_nal(const uint8_t *p, size_t n, size_t *off, const uint8_t **nal, size_t *len)
{
    size_t i = *off;
    while (i + 3 <= n && !(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1))
        i++;
    if (i + 3 > n)
        return 0;
    size_t s = i + 3, j = s;
    while (j + 3 <= n &&
           !(p[j] == 0 && p[j + 1] == 0 && (p[j + 2] == 1 || (p[j + 2] == 0 && j + 3 < n && p[j + 3] == 1))))
        j++;
    if (j + 3 > n)
        j = n;
    *nal = p + s;
    *len = j - s;
    *off = j;
    return *len > 0;
}

static int nal_type(int codec, const uint8_t *nal)
{
    return codec == JG_CODEC_H265 ? (nal[0] >> 1) & 0x3F : nal[0] & 0x1F;
}

int jg_ts_is_key(int codec, const uint8_t *p, size_t n)
{
    size_t off = 0, len = 0;
    const uint8_t *nal = NULL;
    while (next_nal(p, n, &off, &nal, &len)) {
        int ty = nal_type(codec, nal);
        if (codec == JG_CODEC_H265 ? ty >= 16 && ty <= 21 : ty == 5)
            return 1;
    }
    return 0;
}

/* One TS packet of pid: payload from the two pieces a (na bytes) then b, at most what fits; the
 * adaptation field carries pcr (>= 0) and the random access flag when first. Returns bytes taken. */
typedef struct {
    const uint8_t *a, *b;
    size_t na, nb;
} pieces;

static size_t take(pieces *pc, uint8_t *dst, size_t n)
{
    size_t k = 0;
    while (k < n && pc->na > 0) {
        size_t c = pc->na < n - k ? pc->na : n - k;
        memcpy(dst + k, pc->a, c);
        pc->a += c;
        pc->na -= c;
        k += c;
    }
    if (k < n && pc->nb > 0) {
        size_t c = pc->nb < n - k ? pc->nb : n - k;
        memcpy(dst + k, pc->b, c);
        pc->b += c;
        pc->nb -= c;
        k += c;
    }
    return k;
}

static jg_rc put_pes(int pid, uint8_t *cc, pieces *pc, int64_t pcr, int rai, jg_buf *out)
{
    int first = 1;
    while (pc->na + pc->nb > 0) {
        uint8_t pkt[JG_TS_PACKET];
        size_t remain = pc->na + pc->nb;
        pkt[0] = 0x47;
        pkt[1] = (uint8_t)((first ? 0x40 : 0) | ((pid >> 8) & 0x1F));
        pkt[2] = (uint8_t)(pid & 0xFF);
        uint8_t af[JG_TS_PACKET];
        size_t afn = 0; /* adaptation field bytes after its length byte */
        int has_af = 0;
        if (first && (pcr >= 0 || rai)) {
            has_af = 1;
            af[afn++] = (uint8_t)((rai ? 0x40 : 0) | (pcr >= 0 ? 0x10 : 0));
            if (pcr >= 0) {
                uint64_t base = (uint64_t)pcr & (uint64_t)TS_MASK;
                af[afn++] = (uint8_t)(base >> 25);
                af[afn++] = (uint8_t)(base >> 17);
                af[afn++] = (uint8_t)(base >> 9);
                af[afn++] = (uint8_t)(base >> 1);
                af[afn++] = (uint8_t)(((base & 1) << 7) | 0x7E); /* reserved bits, extension 0 */
                af[afn++] = 0;
            }
        }
        size_t avail = 184 - (has_af ? 1 + afn : 0);
        if (remain < avail) {
            size_t stuff = avail - remain;
            if (!has_af) {
                has_af = 1;
                stuff--; /* the length byte */
                if (stuff > 0) {
                    af[afn++] = 0; /* flags */
                    stuff--;
                }
            }
            memset(af + afn, 0xFF, stuff);
            afn += stuff;
            avail = remain;
        }
        pkt[3] = (uint8_t)((has_af ? 0x30 : 0x10) | (*cc & 0x0F));
        *cc = (uint8_t)((*cc + 1) & 0x0F);
        size_t at = 4;
        if (has_af) {
            pkt[at++] = (uint8_t)afn;
            memcpy(pkt + at, af, afn);
            at += afn;
        }
        take(pc, pkt + at, avail);
        if (jg_buf_append(out, pkt, sizeof(pkt)) != JG_OK)
            return JG_TOOLARGE;
        first = 0;
    }
    return JG_OK;
}

static jg_rc put_section(int pid, uint8_t *cc, const uint8_t *sec, size_t n, jg_buf *out)
{
    uint8_t pkt[JG_TS_PACKET];
    memset(pkt, 0xFF, sizeof(pkt));
    pkt[0] = 0x47;
    pkt[1] = (uint8_t)(0x40 | ((pid >> 8) & 0x1F));
    pkt[2] = (uint8_t)(pid & 0xFF);
    pkt[3] = (uint8_t)(0x10 | (*cc & 0x0F));
    *cc = (uint8_t)((*cc + 1) & 0x0F);
    pkt[4] = 0; /* pointer field */
    memcpy(pkt + 5, sec, n);
    return jg_buf_append(out, pkt, sizeof(pkt));
}

static size_t finish_section(uint8_t *sec, size_t n)
{
    /* section_length counts from after its own field to the end of the CRC */
    size_t len = n - 3 + 4;
    sec[1] = (uint8_t)(0xB0 | ((len >> 8) & 0x0F));
    sec[2] = (uint8_t)(len & 0xFF);
    uint32_t crc = jg_ts_crc32(sec, n);
    sec[n] = (uint8_t)(crc >> 24);
    sec[n + 1] = (uint8_t)(crc >> 16);
    sec[n + 2] = (uint8_t)(crc >> 8);
    sec[n + 3] = (uint8_t)crc;
    return n + 4;
}

jg_rc jg_ts_tables(jg_ts *t, jg_buf *out)
{
    uint8_t pat[32] = {0x00,
                       0,
                       0,
                       0x00,
                       0x01,
                       0xC1,
                       0x00,
                       0x00,
                       0x00,
                       0x01,
                       (uint8_t)(0xE0 | (JG_TS_PID_PMT >> 8)),
                       (uint8_t)(JG_TS_PID_PMT & 0xFF)};
    size_t pn = finish_section(pat, 12);
    if (put_section(0, &t->cc_pat, pat, pn, out) != JG_OK)
        return JG_TOOLARGE;
    uint8_t pmt[64] = {0x02,
                       0,
                       0,
                       0x00,
                       0x01,
                       0xC1,
                       0x00,
                       0x00,
                       (uint8_t)(0xE0 | (JG_TS_PID_VIDEO >> 8)),
                       (uint8_t)(JG_TS_PID_VIDEO & 0xFF),
                       0xF0,
                       0x00};
    size_t n = 12;
    pmt[n++] = t->video_codec == JG_CODEC_H265 ? 0x24 : 0x1B;
    pmt[n++] = (uint8_t)(0xE0 | (JG_TS_PID_VIDEO >> 8));
    pmt[n++] = (uint8_t)(JG_TS_PID_VIDEO & 0xFF);
    pmt[n++] = 0xF0;
    pmt[n++] = 0x00;
    if (t->audio) {
        pmt[n++] = 0x0F;
        pmt[n++] = (uint8_t)(0xE0 | (JG_TS_PID_AUDIO >> 8));
        pmt[n++] = (uint8_t)(JG_TS_PID_AUDIO & 0xFF);
        pmt[n++] = 0xF0;
        pmt[n++] = 0x00;
    }
    n = finish_section(pmt, n);
    return put_section(JG_TS_PID_PMT, &t->cc_pmt, pmt, n, out);
}

static void put_ts(uint8_t *p, int marker, int64_t v)
{
    uint64_t x = (uint64_t)v & (uint64_t)TS_MASK;
    p[0] = (uint8_t)((marker << 4) | ((x >> 29) & 0x0E) | 1);
    p[1] = (uint8_t)(x >> 22);
    p[2] = (uint8_t)(((x >> 14) & 0xFE) | 1);
    p[3] = (uint8_t)(x >> 7);
    p[4] = (uint8_t)(((x << 1) & 0xFE) | 1);
}

/* Map an input DTS to the monotonic output clock. */
static int64_t out_dts(jg_ts *t, int64_t dts)
{
    if (!t->have_last) {
        t->have_last = 1;
        t->offset = 0;
        t->last_in = dts;
        t->last_out = dts;
        t->last_step = 3600;
        return dts;
    }
    int64_t step = dts - t->last_in;
    if (step < 0 || step > LEAP) {
        /* a discontinuity: continue one regular step after the last output */
        t->offset = t->last_out + t->last_step - dts;
    } else if (step > 0) {
        t->last_step = step;
    }
    t->last_in = dts;
    int64_t o = dts + t->offset;
    if (o < t->last_out)
        o = t->last_out;
    t->last_out = o;
    return o;
}

static void remember(uint8_t *dst, size_t *dlen, const uint8_t *nal, size_t len)
{
    if (len + 4 > 256)
        return;
    dst[0] = dst[1] = dst[2] = 0;
    dst[3] = 1;
    memcpy(dst + 4, nal, len);
    *dlen = len + 4;
}

jg_rc jg_ts_frame(jg_ts *t, const jg_frame *f, jg_buf *out, int64_t *dts_out)
{
    if (!f->video) {
        if (!t->audio || f->codec != JG_CODEC_AAC || f->len == 0)
            return JG_INVALID;
        int64_t o = t->have_last ? f->pts + t->offset : f->pts;
        uint8_t h[14] = {0x00, 0x00, 0x01, 0xC0, 0, 0, 0x80, 0x80, 5};
        size_t plen = 3 + 5 + f->len;
        if (plen <= 0xFFFF) {
            h[4] = (uint8_t)(plen >> 8);
            h[5] = (uint8_t)plen;
        }
        put_ts(h + 9, 2, o);
        pieces pc = {h, f->data, 14, f->len};
        if (dts_out != NULL)
            *dts_out = o;
        return put_pes(JG_TS_PID_AUDIO, &t->cc_audio, &pc, -1, 0, out);
    }
    if (f->codec != t->video_codec || f->len == 0)
        return JG_INVALID;
    int codec = t->video_codec;
    int key = 0, has_aud = 0, has_sps = 0, nals = 0;
    size_t off = 0, len = 0;
    const uint8_t *nal = NULL;
    while (next_nal(f->data, f->len, &off, &nal, &len)) {
        int ty = nal_type(codec, nal);
        nals++;
        if (codec == JG_CODEC_H265) {
            if (ty == 35)
                has_aud = 1;
            else if (ty == 32)
                remember(t->vps, &t->vps_len, nal, len);
            else if (ty == 33) {
                remember(t->sps, &t->sps_len, nal, len);
                has_sps = 1;
            } else if (ty == 34)
                remember(t->pps, &t->pps_len, nal, len);
            else if (ty >= 16 && ty <= 21)
                key = 1;
        } else {
            if (ty == 9)
                has_aud = 1;
            else if (ty == 7) {
                remember(t->sps, &t->sps_len, nal, len);
                has_sps = 1;
            } else if (ty == 8)
                remember(t->pps, &t->pps_len, nal, len);
            else if (ty == 5)
                key = 1;
        }
    }
    if (nals == 0)
        return JG_INVALID;
    int64_t dts = out_dts(t, f->dts);
    int64_t pts = dts + (f->pts - f->dts);
    if (pts < dts)
        pts = dts;
    /* What goes before the frame's own bytes: AUD, then the parameter sets of a key frame without them. */
    uint8_t pre[19 + 6 + 3 * 256];
    size_t pn = 19;
    if (!has_aud) {
        static const uint8_t aud264[] = {0, 0, 0, 1, 0x09, 0xF0};
        static const uint8_t aud265[] = {0, 0, 0, 1, 0x46, 0x01, 0x50};
        const uint8_t *a = codec == JG_CODEC_H265 ? aud265 : aud264;
        size_t an = codec == JG_CODEC_H265 ? sizeof(aud265) : sizeof(aud264);
        memcpy(pre + pn, a, an);
        pn += an;
    }
    if (key && !has_sps) {
        memcpy(pre + pn, t->vps, t->vps_len);
        pn += t->vps_len;
        memcpy(pre + pn, t->sps, t->sps_len);
        pn += t->sps_len;
        memcpy(pre + pn, t->pps, t->pps_len);
        pn += t->pps_len;
    }
    /* PES header (19 bytes: PTS and DTS), length 0 (unbounded, allowed for video in TS). */
    uint8_t *h = pre;
    h[0] = 0x00;
    h[1] = 0x00;
    h[2] = 0x01;
    h[3] = 0xE0;
    h[4] = 0;
    h[5] = 0;
    h[6] = 0x80;
    h[7] = 0xC0;
    h[8] = 10;
    put_ts(h + 9, 3, pts);
    put_ts(h + 14, 1, dts);
    pieces pc = {pre, f->data, pn, f->len};
    if (dts_out != NULL)
        *dts_out = dts;
    return put_pes(JG_TS_PID_VIDEO, &t->cc_video, &pc, (dts - JG_TS_PCR_LEAD) & TS_MASK, key, out);
}
