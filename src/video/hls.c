/* HLS segmenting for the media node: TS (ts.c) cut into segments at the first key frame after
 * the target duration, the newest JG_HLS_KEEP kept in memory, the newest `window` listed in a
 * live playlist (RFC 8216: EXT-X-TARGETDURATION at least the longest EXTINF rounded up, media
 * sequence numbers counting up). Every segment starts with PAT, PMT and a key frame with its
 * parameter sets, so it plays on its own. */
#include "video/hls.h"

#include <stdlib.h>
#include <string.h>

void jg_hls_init(jg_hls *h, int video_codec, int audio, int target_s, int window)
{
    memset(h, 0, sizeof(*h));
    jg_ts_init(&h->ts, video_codec, audio);
    h->target_s = target_s > 0 ? target_s : 2;
    h->window = window < 1 ? 1 : window > JG_HLS_KEEP - 2 ? JG_HLS_KEEP - 2 : window;
    jg_buf_init(&h->cur, JG_HLS_SEG_MAX);
}

static void close_segment(jg_hls *h, int64_t end_dts)
{
    jg_hls_seg *s = &h->seg[h->next_seq % JG_HLS_KEEP];
    free(s->data);
    s->seq = h->next_seq++;
    s->duration = end_dts > h->cur_start ? end_dts - h->cur_start : 1;
    s->len = h->cur.len;
    s->data = (uint8_t *)jg_buf_steal(&h->cur);
    h->open = 0;
    h->done++;
}

int jg_hls_frame(jg_hls *h, const jg_frame *f)
{
    if (!f->video) {
        if (!h->open || !h->ts.audio)
            return 0;
        if (jg_ts_frame(&h->ts, f, &h->cur, NULL) == JG_TOOLARGE)
            h->open = 0; /* dropped; the next key frame starts a new segment */
        return 0;
    }
    if (f->codec != h->ts.video_codec)
        return 0;
    int key = jg_ts_is_key(f->codec, f->data, f->len);
    int completed = 0;
    if (key && h->open) {
        /* the frame's output DTS is not known before muxing: estimate it as one step on */
        int64_t next = h->cur_last + h->ts.last_step;
        if (next - h->cur_start >= (int64_t)h->target_s * 90000) {
            close_segment(h, next);
            completed = 1;
        }
    }
    if (!h->open) {
        if (!key)
            return completed;
        h->cur.len = 0;
        h->cur.overflowed = 0;
        if (jg_ts_tables(&h->ts, &h->cur) != JG_OK)
            return completed;
        h->open = 1;
        h->cur_start = -1;
    }
    int64_t dts = 0;
    jg_rc rc = jg_ts_frame(&h->ts, f, &h->cur, &dts);
    if (rc == JG_TOOLARGE) {
        h->open = 0;
        h->cur.len = 0;
        return completed;
    }
    if (rc != JG_OK)
        return completed;
    if (h->cur_start < 0)
        h->cur_start = dts;
    h->cur_last = dts;
    return completed;
}

const jg_hls_seg *jg_hls_segment(const jg_hls *h, uint64_t seq)
{
    const jg_hls_seg *s = &h->seg[seq % JG_HLS_KEEP];
    return s->data != NULL && s->seq == seq && seq < h->next_seq ? s : NULL;
}

jg_rc jg_hls_playlist(const jg_hls *h, const char *prefix, const char *query, jg_buf *out)
{
    if (h->done == 0)
        return JG_NOTFOUND;
    uint64_t n = h->done < (uint64_t)h->window ? h->done : (uint64_t)h->window;
    uint64_t first = h->next_seq - n;
    int64_t longest = 0;
    for (uint64_t q = first; q < h->next_seq; q++) {
        const jg_hls_seg *s = jg_hls_segment(h, q);
        if (s != NULL && s->duration > longest)
            longest = s->duration;
    }
    long target = (long)((longest + 89999) / 90000);
    if (target < h->target_s)
        target = h->target_s;
    jg_buf_printf(out, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:%ld\n#EXT-X-MEDIA-SEQUENCE:%llu\n",
                  target, (unsigned long long)first);
    for (uint64_t q = first; q < h->next_seq; q++) {
        const jg_hls_seg *s = jg_hls_segment(h, q);
        if (s == NULL)
            continue;
        jg_buf_printf(out, "#EXTINF:%.3f,\n%s%llu.ts%s%s\n", (double)s->duration / 90000.0, prefix,
                      (unsigned long long)q, query[0] != '\0' ? "?" : "", query);
    }
    return out->overflowed ? JG_TOOLARGE : JG_OK;
}

void jg_hls_free(jg_hls *h)
{
    for (int i = 0; i < JG_HLS_KEEP; i++) {
        free(h->seg[i].data);
        h->seg[i].data = NULL;
    }
    jg_buf_free(&h->cur);
}
