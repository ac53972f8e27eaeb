/* MPEG-PS demuxer (ISO/IEC 13818-1 program stream, as GB/T 28181 devices send it): pack
 * header, system header, program stream map, PES 0xE0-0xEF (video) and 0xC0-0xDF (audio).
 * Video PES payloads are gathered into access units, one per PTS; audio PES payloads are passed
 * on one by one. Without a PSM the video codec is guessed from the first NAL header. After a
 * loss (jg_ps_reset) everything up to the next pack header is skipped. */
#include "base/mem.h"
#include "video/media.h"

#include <stdlib.h>
#include <string.h>

#define PS_IN_MAX (2 * 1024 * 1024)

void jg_ps_init(jg_ps *d, jg_ps_frame_fn fn, void *ud)
{
    memset(d, 0, sizeof(*d));
    d->fn = fn;
    d->ud = ud;
    d->drop_first = 1; /* the stream may start in the middle of a frame */
}

void jg_ps_free(jg_ps *d)
{
    free(d->in);
    free(d->au);
    memset(d, 0, sizeof(*d));
}

void jg_ps_reset(jg_ps *d)
{
    d->in_len = 0;
    d->au_len = 0;
    d->scan = 0;
    d->au_open = 0;
    d->au_vcl = 0;
    d->ntsq = 0;
    d->drop_first = 1;
    d->synced = 0;
    d->resyncs++;
    d->au_key = 0;
    d->feed_start = 0;
    d->mark_pending = 0;
    d->mark_check = 0;
}

int jg_ps_guess_video(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++) {
        if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1) {
            uint8_t h = p[i + 3];
            int t265 = (h >> 1) & 0x3f;
            if ((h & 0x81) == 0 && (t265 == 32 || t265 == 33 || t265 == 34 || t265 == 35 || t265 == 39 ||
                                    t265 == 19 || t265 == 20))
                return JG_CODEC_H265;
            return JG_CODEC_H264;
        }
    }
    return JG_CODEC_H264;
}

static int64_t read_ts(const uint8_t *b)
{
    return ((int64_t)((b[0] >> 1) & 7) << 30) | ((int64_t)b[1] << 22) | ((int64_t)(b[2] >> 1) << 15) |
           ((int64_t)b[3] << 7) | (b[4] >> 1);
}

/* Timestamps of the frame that starts at offset 0 of au: the PES timestamp of the payload it
 * starts in if no frame took it yet (ISO/IEC 13818-1 2.4.3.7), else the previous one plus the
 * frame duration seen so far. */
static void frame_times(jg_ps *d, int64_t *pts, int64_t *dts)
{
    int k = -1;
    for (int i = 0; i < d->ntsq; i++)
        if (d->tsq[i].off == 0)
            k = i;
    if (k >= 0 && !d->tsq[k].used) {
        d->tsq[k].used = 1;
        *pts = d->tsq[k].pts;
        *dts = d->tsq[k].dts;
        if (d->have_last) {
            int64_t step = (*dts - d->last_dts) & ((1LL << 33) - 1);
            if (step >= 900 && step <= 9000)
                d->frame_dur = step;
        }
    } else {
        int64_t dur = d->frame_dur > 0 ? d->frame_dur : 3600;
        *pts = (d->last_pts + dur) & ((1LL << 33) - 1);
        *dts = (d->last_dts + dur) & ((1LL << 33) - 1);
    }
    d->last_pts = *pts;
    d->last_dts = *dts;
    d->have_last = 1;
}

/* Pass au[0, n) on as one frame and keep the rest. */
static void emit_video(jg_ps *d, size_t n)
{
    if (d->mark_pending) {
        /* a marker said the frame ended at mark_at: right if this one ends there (or one
         * zero byte earlier, the 4-byte start code of the next) */
        d->mark_pending = 0;
        if (n == d->mark_at || (n + 1 == d->mark_at && d->au[n] == 0)) {
            d->mark_trust++;
            d->mark_key_ok |= d->mark_key;
        } else {
            d->mark_off = 1;
        }
    }
    if (n > d->feed_start)
        d->feed_mid_cut = 1; /* a frame began inside the bytes of this feed */
    d->feed_start = n <= d->feed_start ? d->feed_start - n : 0;
    if (n > 0) {
        jg_frame f = {0};
        f.video = 1;
        f.codec = d->codec;
        frame_times(d, &f.pts, &f.dts);
        f.data = d->au;
        f.len = n;
        int whole =
            n >= 4 && d->au[0] == 0 && d->au[1] == 0 && (d->au[2] == 1 || (d->au[2] == 0 && d->au[3] == 1));
        if (d->drop_first && !whole) {
            d->drop_first = 0;
            d->dropped++;
        } else {
            d->drop_first = 0;
            d->frames++;
            d->fn(d->ud, &f);
        }
    }
    memmove(d->au, d->au + n, d->au_len - n);
    d->au_len -= n;
    d->scan = d->scan > n ? d->scan - n : 0;
    int w = 0;
    for (int i = 0; i < d->ntsq; i++) {
        size_t off = d->tsq[i].off;
        if (off < n) {
            /* a payload that began in the frame passed on: still current if no later one did */
            int later = i + 1 < d->ntsq && d->tsq[i + 1].off <= n;
            if (later)
                continue;
            d->tsq[i].off = 0;
        } else {
            d->tsq[i].off = off - n;
        }
        d->tsq[w++] = d->tsq[i];
    }
    d->ntsq = w;
}

/* Does the NAL unit whose header starts at h (at least 3 bytes) begin a new frame, given that
 * the frame so far has a slice? Sets *vcl for a slice. */
static int starts_frame(int codec, const uint8_t *h, int *vcl)
{
    if (codec == JG_CODEC_H265) {
        int t = (h[0] >> 1) & 0x3f;
        *vcl = t < 32;
        if (t < 32)
            return (h[2] & 0x80) != 0; /* first_slice_segment_in_pic_flag */
        return t == 32 || t == 33 || t == 34 || t == 35 || t == 39 || (t >= 41 && t <= 44) ||
               (t >= 48 && t <= 55);
    }
    int t = h[0] & 0x1f;
    *vcl = t == 1 || t == 5;
    if (*vcl)
        return (h[1] & 0x80) != 0; /* first_mb_in_slice == 0 */
    return t == 6 || t == 7 || t == 8 || t == 9 || (t >= 14 && t <= 18);
}

/* Cut au into frames at the NAL units that begin one. */
static void cut_frames(jg_ps *d)
{
    if (d->codec == JG_CODEC_NONE) {
        if (d->video_type == 0x1B)
            d->codec = JG_CODEC_H264;
        else if (d->video_type == 0x24)
            d->codec = JG_CODEC_H265;
        else
            d->codec = jg_ps_guess_video(d->au, d->au_len);
    }
    size_t i = d->scan;
    while (i + 6 <= d->au_len) {
        const uint8_t *b = d->au + i;
        if (b[2] > 1) {
            i += 3;
            continue;
        }
        if (b[0] != 0 || b[1] != 0 || b[2] != 1) {
            i++;
            continue;
        }
        int vcl = 0;
        if (starts_frame(d->codec, b + 3, &vcl) && d->au_vcl) {
            size_t at = i > 0 && d->au[i - 1] == 0 ? i - 1 : i;
            emit_video(d, at);
            i -= at;
            d->au_vcl = 0;
            d->au_key = 0;
        }
        if (vcl) {
            d->au_vcl = 1;
            int t = d->codec == JG_CODEC_H265 ? (b[3] >> 1) & 0x3f : b[3] & 0x1f;
            if (d->codec == JG_CODEC_H265 ? t >= 16 && t <= 21 : t == 5)
                d->au_key = 1;
        }
        i += 3;
    }
    d->scan = i;
}

static void on_psm(jg_ps *d, const uint8_t *p, size_t n)
{
    if (n < 4)
        return;
    size_t info = ((size_t)p[2] << 8) | p[3];
    size_t off = 4 + info;
    if (off + 2 > n)
        return;
    size_t map = ((size_t)p[off] << 8) | p[off + 1];
    off += 2;
    size_t end = off + map <= n ? off + map : n;
    while (off + 4 <= end) {
        int type = p[off], id = p[off + 1];
        size_t elen = ((size_t)p[off + 2] << 8) | p[off + 3];
        if (id >= 0xE0 && id <= 0xEF)
            d->video_type = type;
        else if (id >= 0xC0 && id <= 0xDF)
            d->audio_type = type;
        off += 4 + elen;
    }
    d->have_psm = 1;
}

/* A whole PES packet (start code at p[0..3], n bytes). */
static void on_pes(jg_ps *d, const uint8_t *p, size_t n)
{
    int id = p[3];
    if (n < 9 || (p[6] & 0xC0) != 0x80) {
        d->dropped++; /* MPEG-1 PES or too short: not sent by GB devices */
        return;
    }
    int flags = p[7];
    size_t hlen = p[8];
    if (9 + hlen > n)
        return;
    int has_pts = (flags & 0x80) && hlen >= 5, has_dts = (flags & 0xC0) == 0xC0 && hlen >= 10;
    int64_t pts = has_pts ? read_ts(p + 9) : 0, dts = has_dts ? read_ts(p + 14) : pts;
    const uint8_t *pay = p + 9 + hlen;
    size_t plen = n - 9 - hlen;
    if (id >= 0xE0 && id <= 0xEF) {
        if (!d->au_open) {
            if (!has_pts)
                return; /* after a loss: wait for a payload with a timestamp */
            d->au_open = 1;
            d->au_vcl = 0;
        }
        if (d->au_len + plen > JG_PS_MAX_FRAME) {
            d->dropped++; /* no frame boundary in 4 MB: garbage */
            jg_ps_reset(d);
            return;
        }
        if (has_pts) {
            if (d->ntsq == (int)(sizeof(d->tsq) / sizeof(d->tsq[0]))) {
                memmove(&d->tsq[0], &d->tsq[1], sizeof(d->tsq[0]) * (size_t)(d->ntsq - 1));
                d->ntsq--;
            }
            d->tsq[d->ntsq].off = d->au_len;
            d->tsq[d->ntsq].pts = pts;
            d->tsq[d->ntsq].dts = dts;
            d->tsq[d->ntsq].used = 0;
            d->ntsq++;
        }
        if (d->au_len + plen > d->au_cap) {
            size_t cap = d->au_cap ? d->au_cap : 65536;
            while (cap < d->au_len + plen)
                cap *= 2;
            d->au = jg_xrealloc(d->au, cap);
            d->au_cap = cap;
        }
        if (d->mark_check && plen > 0) {
            /* the frame before was passed on at a marker: this must begin the next one */
            d->mark_check = 0;
            int vcl = 0;
            size_t sc = plen >= 4 && pay[0] == 0 && pay[1] == 0 && pay[2] == 0 && pay[3] == 1 ? 4 : 3;
            if (d->au_len != 0 || plen < sc + 3 || pay[sc - 3] != 0 || pay[sc - 2] != 0 || pay[sc - 1] != 1 ||
                !starts_frame(d->codec, pay + sc, &vcl))
                d->mark_off = 1;
        }
        if (plen > 0) { /* an empty PES adds nothing (and d->au may still be NULL) */
            memcpy(d->au + d->au_len, pay, plen);
            d->au_len += plen;
        }
        cut_frames(d);
    } else if (plen > 0) {
        jg_frame f = {0};
        f.codec = d->audio_type == 0x0F   ? JG_CODEC_AAC
                  : d->audio_type == 0x91 ? JG_CODEC_G711U
                                          : JG_CODEC_G711A;
        f.pts = pts;
        f.dts = dts;
        f.data = pay;
        f.len = plen;
        d->fn(d->ud, &f);
    }
}

/* Parse what is whole at in[0..in_len); returns the bytes consumed. */
static size_t parse(jg_ps *d)
{
    const uint8_t *s = d->in;
    size_t n = d->in_len, pos = 0;
    while (pos + 4 <= n) {
        if (s[pos] != 0 || s[pos + 1] != 0 || s[pos + 2] != 1 || (!d->synced && s[pos + 3] != 0xBA) ||
            s[pos + 3] < 0xB9) {
            pos++; /* not at a start code we can use: resynchronise */
            continue;
        }
        int code = s[pos + 3];
        size_t len;
        if (code == 0xBA) {
            if (pos + 14 > n)
                break;
            if ((s[pos + 4] & 0xC0) == 0x40)
                len = 14 + (s[pos + 13] & 7);
            else if ((s[pos + 4] & 0xF0) == 0x20)
                len = 12;
            else {
                pos++;
                continue;
            }
            if (pos + len > n)
                break;
            d->synced = 1;
        } else if (code == 0xB9) {
            len = 4;
        } else {
            if (pos + 6 > n)
                break;
            len = 6 + (((size_t)s[pos + 4] << 8) | s[pos + 5]);
            if (pos + len > n)
                break;
            if (code == 0xBC)
                on_psm(d, s + pos + 6, len - 6);
            else if ((code >= 0xE0 && code <= 0xEF) || (code >= 0xC0 && code <= 0xDF))
                on_pes(d, s + pos, len);
        }
        pos += len;
    }
    return pos;
}

void jg_ps_feed(jg_ps *d, const uint8_t *p, size_t n)
{
    if (n == 0)
        return;
    if (d->in_len + n > PS_IN_MAX) {
        jg_ps_reset(d); /* no start code in 2 MB: garbage */
        if (n > PS_IN_MAX)
            return;
    }
    if (d->in_len + n > d->in_cap) {
        size_t cap = d->in_cap ? d->in_cap : 65536;
        while (cap < d->in_len + n)
            cap *= 2;
        d->in = jg_xrealloc(d->in, cap);
        d->in_cap = cap;
    }
    memcpy(d->in + d->in_len, p, n);
    d->in_len += n;
    d->feed_start = d->au_len;
    d->feed_mid_cut = 0;
    size_t used = parse(d);
    memmove(d->in, d->in + used, d->in_len - used);
    d->in_len -= used;
}

void jg_ps_marker(jg_ps *d)
{
    if (d->mark_off)
        return;
    if (d->mark_pending && d->au_len > d->mark_at) {
        d->mark_off = 1; /* the frame went on after the last marker without a new one beginning */
        return;
    }
    /* the packet must end a PES, and the frame must have begun at or before its first byte */
    if (!d->au_open || !d->au_vcl || d->au_len == 0 || d->in_len != 0 || d->feed_mid_cut)
        return;
    for (size_t i = d->scan; i + 3 <= d->au_len; i++)
        if (d->au[i] == 0 && d->au[i + 1] == 0 && d->au[i + 2] == 1)
            return; /* a NAL unit too near the end to be judged yet */
    if (d->mark_trust >= JG_PS_MARK_TRUST && d->mark_key_ok) {
        emit_video(d, d->au_len);
        d->au_vcl = 0;
        d->au_key = 0;
        d->mark_check = 1;
        d->mark_flushes++;
        return;
    }
    d->mark_pending = 1;
    d->mark_at = d->au_len;
    d->mark_key = d->au_key;
}
