/* HTTP-FLV muxing without transcoding: Annex B access units become FLV video tags with
 * 4-byte NAL lengths. H.264 is codec 7 (AVC) with an AVCDecoderConfigurationRecord; H.265 is
 * codec id 12 with the same packet layout and an HEVCDecoderConfigurationRecord (the
 * convention of the flv.js/mpegts.js forks, see media.h). Parameter sets are taken out of the
 * frames into the sequence header, which is sent again when they change. */
#include "video/media.h"

#include <string.h>

#define MASK33 ((1LL << 33) - 1)

void jg_flv_init(jg_flv *m)
{
    memset(m, 0, sizeof(*m));
}

void jg_flv_header(uint8_t out[13])
{
    static const uint8_t h[13] = {'F', 'L', 'V', 1, 0x01, 0, 0, 0, 9, 0, 0, 0, 0};
    memcpy(out, h, sizeof(h));
}

void jg_flv_set_ts(uint8_t *tag, uint32_t ms)
{
    tag[4] = (uint8_t)(ms >> 16);
    tag[5] = (uint8_t)(ms >> 8);
    tag[6] = (uint8_t)ms;
    tag[7] = (uint8_t)(ms >> 24);
}

uint32_t jg_flv_get_ts(const uint8_t *tag)
{
    return ((uint32_t)tag[7] << 24) | ((uint32_t)tag[4] << 16) | ((uint32_t)tag[5] << 8) | tag[6];
}

typedef struct {
    const uint8_t *p;
    size_t n;
} nal;

/* Split Annex B into at most max NAL units; returns the count. */
static int split(const uint8_t *s, size_t n, nal *out, int max)
{
    int count = 0;
    size_t i = 0, start = SIZE_MAX;
    while (i + 3 <= n) {
        if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1) {
            if (start != SIZE_MAX && count < max) {
                size_t end = i;
                while (end > start && s[end - 1] == 0)
                    end--; /* the zero of a 4-byte start code, trailing zeros */
                if (end > start)
                    out[count++] = (nal){s + start, end - start};
            }
            i += 3;
            start = i;
            continue;
        }
        i++;
    }
    if (start != SIZE_MAX && start < n && count < max)
        out[count++] = (nal){s + start, n - start};
    return count;
}

static void keep(uint8_t *dst, size_t *dlen, size_t cap, const nal *x, int *changed)
{
    if (x->n > cap)
        return;
    if (*dlen != x->n || memcmp(dst, x->p, x->n) != 0) {
        memcpy(dst, x->p, x->n);
        *dlen = x->n;
        *changed = 1;
    }
}

static jg_rc put(jg_buf *b, const void *p, size_t n)
{
    return jg_buf_append(b, p, n);
}

static jg_rc put_u8(jg_buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    return put(b, &c, 1);
}

static jg_rc put_u16(jg_buf *b, unsigned v)
{
    uint8_t c[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return put(b, c, 2);
}

static jg_rc put_u24(jg_buf *b, uint32_t v)
{
    uint8_t c[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return put(b, c, 3);
}

static jg_rc put_u32(jg_buf *b, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return put(b, c, 4);
}

/* Start a tag at the end of b; returns its offset. */
static size_t tag_begin(jg_buf *b, uint32_t ms, jg_rc *rc)
{
    size_t at = b->len;
    uint8_t h[11] = {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    jg_flv_set_ts(h, ms);
    if (put(b, h, sizeof(h)) != JG_OK)
        *rc = JG_TOOLARGE;
    return at;
}

static void tag_end(jg_buf *b, size_t at, jg_rc *rc)
{
    if (*rc != JG_OK)
        return;
    uint32_t size = (uint32_t)(b->len - at - 11);
    uint8_t *h = (uint8_t *)b->data + at;
    h[1] = (uint8_t)(size >> 16);
    h[2] = (uint8_t)(size >> 8);
    h[3] = (uint8_t)size;
    if (put_u32(b, size + 11) != JG_OK)
        *rc = JG_TOOLARGE;
}

/* The first bytes of a NAL unit without emulation-prevention bytes. */
static size_t unescape(const nal *x, uint8_t *out, size_t max)
{
    size_t o = 0, zeros = 0;
    for (size_t i = 0; i < x->n && o < max; i++) {
        if (zeros >= 2 && x->p[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = x->p[i] == 0 ? zeros + 1 : 0;
        out[o++] = x->p[i];
    }
    return o;
}

static jg_rc config_avc(jg_flv *m, jg_buf *b)
{
    jg_rc rc = JG_OK;
    if (m->sps_len < 4)
        return JG_INVALID;
    size_t at = tag_begin(b, 0, &rc);
    uint8_t head[5] = {0x17, 0, 0, 0, 0};
    if (rc == JG_OK)
        rc = put(b, head, 5);
    uint8_t rec[6] = {1, m->sps[1], m->sps[2], m->sps[3], 0xFF, 0xE1};
    if (rc == JG_OK)
        rc = put(b, rec, 6);
    if (rc == JG_OK)
        rc = put_u16(b, (unsigned)m->sps_len);
    if (rc == JG_OK)
        rc = put(b, m->sps, m->sps_len);
    if (rc == JG_OK)
        rc = put_u8(b, 1);
    if (rc == JG_OK)
        rc = put_u16(b, (unsigned)m->pps_len);
    if (rc == JG_OK)
        rc = put(b, m->pps, m->pps_len);
    tag_end(b, at, &rc);
    return rc;
}

static jg_rc config_hevc(jg_flv *m, jg_buf *b)
{
    jg_rc rc = JG_OK;
    uint8_t sps[32] = {0};
    nal sx = {m->sps, m->sps_len};
    if (unescape(&sx, sps, sizeof(sps)) < 15)
        return JG_INVALID;
    const uint8_t *ptl = sps + 3; /* after the NAL header and vps_id/max_sub_layers/nesting */
    int layers = ((sps[2] >> 1) & 7) + 1;
    size_t at = tag_begin(b, 0, &rc);
    uint8_t head[5] = {0x10 | JG_FLV_CODEC_HEVC, 0, 0, 0, 0};
    uint8_t rec[23] = {1,       ptl[0],
                       ptl[1],  ptl[2],
                       ptl[3],  ptl[4],
                       ptl[5],  ptl[6],
                       ptl[7],  ptl[8],
                       ptl[9],  ptl[10],
                       ptl[11], 0xF0,
                       0x00,    0xFC,
                       0xFD,    0xF8,
                       0xF8,    0,
                       0,       (uint8_t)((layers << 3) | ((sps[2] & 1) << 2) | 3),
                       3};
    if (rc == JG_OK)
        rc = put(b, head, 5);
    if (rc == JG_OK)
        rc = put(b, rec, sizeof(rec));
    const uint8_t *sets[3] = {m->vps, m->sps, m->pps};
    size_t lens[3] = {m->vps_len, m->sps_len, m->pps_len};
    for (int i = 0; i < 3 && rc == JG_OK; i++) {
        rc = put_u8(b, 0x80u | (unsigned)(32 + i));
        if (rc == JG_OK)
            rc = put_u16(b, 1);
        if (rc == JG_OK)
            rc = put_u16(b, (unsigned)lens[i]);
        if (rc == JG_OK)
            rc = put(b, sets[i], lens[i]);
    }
    tag_end(b, at, &rc);
    return rc;
}

jg_rc jg_flv_video(jg_flv *m, const jg_frame *f, jg_buf *out, long *config_at, int *key)
{
    *config_at = -1;
    *key = 0;
    nal nals[256];
    int count = split(f->data, f->len, nals, 256);
    if (count == 0)
        return JG_INVALID;
    int hevc = f->codec == JG_CODEC_H265;
    if (m->codec != (hevc ? JG_CODEC_H265 : JG_CODEC_H264)) {
        m->codec = hevc ? JG_CODEC_H265 : JG_CODEC_H264;
        m->vps_len = m->sps_len = m->pps_len = 0;
        m->config_sent = 0;
    }
    int changed = 0, payload = 0;
    for (int i = 0; i < count; i++) {
        const nal *x = &nals[i];
        int t = hevc ? (x->p[0] >> 1) & 0x3f : x->p[0] & 0x1f;
        if (hevc) {
            if (t == 32)
                keep(m->vps, &m->vps_len, sizeof(m->vps), x, &changed);
            else if (t == 33)
                keep(m->sps, &m->sps_len, sizeof(m->sps), x, &changed);
            else if (t == 34)
                keep(m->pps, &m->pps_len, sizeof(m->pps), x, &changed);
            else if (t != 35)
                payload++;
            if (t >= 16 && t <= 21)
                *key = 1;
        } else {
            if (t == 7)
                keep(m->sps, &m->sps_len, sizeof(m->sps), x, &changed);
            else if (t == 8)
                keep(m->pps, &m->pps_len, sizeof(m->pps), x, &changed);
            else if (t != 9)
                payload++;
            if (t == 5)
                *key = 1;
        }
    }
    if (changed)
        m->config_sent = 0;
    int ready = m->sps_len > 0 && m->pps_len > 0 && (!hevc || m->vps_len > 0);
    if (!ready || payload == 0)
        return JG_INVALID;
    /* Milliseconds from the first frame. DTS only grows: a step back or a leap of more than 5 s
     * (a device restarting its clock, a looping file) continues one frame after the previous one. */
    if (!m->have_base) {
        m->have_base = 1;
        m->base_dts = f->dts;
        m->last_dts = 0;
    } else {
        int64_t d = (f->dts - (m->base_dts + m->last_dts)) & MASK33;
        if (d >= (1LL << 32))
            d -= (1LL << 33);
        if (d <= 0 || d > 5 * 90000) {
            /* Time went back or leapt: continue one frame after the previous one. */
            int64_t step = m->last_step > 0 ? m->last_step : 3600;
            m->base_dts = (f->dts - m->last_dts - step) & MASK33;
            d = step;
        } else {
            m->last_step = d;
        }
        m->last_dts += d;
    }
    uint32_t ms = (uint32_t)(m->last_dts / 90);
    int64_t cts64 = ((f->pts - f->dts) & MASK33) / 90;
    int32_t cts = cts64 > 0x7fffff ? 0 : (int32_t)cts64;
    size_t start = out->len;
    jg_rc rc = JG_OK;
    if (!m->config_sent) {
        size_t at = out->len;
        rc = hevc ? config_hevc(m, out) : config_avc(m, out);
        if (rc != JG_OK) {
            out->len = start;
            return rc;
        }
        jg_flv_set_ts((uint8_t *)out->data + at, ms);
        *config_at = (long)at;
        m->config_sent = 1;
    }
    size_t at = tag_begin(out, ms, &rc);
    unsigned codec = hevc ? JG_FLV_CODEC_HEVC : JG_FLV_CODEC_AVC;
    if (rc == JG_OK)
        rc = put_u8(out, ((*key ? 1u : 2u) << 4) | codec);
    if (rc == JG_OK)
        rc = put_u8(out, 1);
    if (rc == JG_OK)
        rc = put_u24(out, (uint32_t)cts);
    for (int i = 0; i < count && rc == JG_OK; i++) {
        const nal *x = &nals[i];
        int t = hevc ? (x->p[0] >> 1) & 0x3f : x->p[0] & 0x1f;
        if (hevc ? (t >= 32 && t <= 35) : (t == 7 || t == 8 || t == 9))
            continue;
        rc = put_u32(out, (uint32_t)x->n);
        if (rc == JG_OK)
            rc = put(out, x->p, x->n);
    }
    tag_end(out, at, &rc);
    if (rc != JG_OK) {
        out->len = start;
        if (*config_at >= 0)
            m->config_sent = 0;
        *config_at = -1;
    }
    return rc;
}
