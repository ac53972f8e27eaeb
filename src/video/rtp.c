/* RTP for the media path: packet parsing (RFC 3550), RFC 4571 framing over TCP, and a small
 * reorder window that tolerates loss. */
#include "base/mem.h"
#include "video/media.h"

#include <stdlib.h>
#include <string.h>

jg_rc jg_rtp_parse(const uint8_t *p, size_t n, jg_rtp_pkt *out)
{
    if (n < 12 || (p[0] >> 6) != 2)
        return JG_INVALID;
    size_t off = 12 + (size_t)(p[0] & 0x0f) * 4;
    if (off > n)
        return JG_INVALID;
    if (p[0] & 0x10) {
        if (off + 4 > n)
            return JG_INVALID;
        size_t words = ((size_t)p[off + 2] << 8) | p[off + 3];
        off += 4 + words * 4;
        if (off > n)
            return JG_INVALID;
    }
    size_t end = n;
    if (p[0] & 0x20) {
        size_t pad = p[n - 1];
        if (pad == 0 || pad > end - off)
            return JG_INVALID;
        end -= pad;
    }
    out->marker = p[1] >> 7;
    out->pt = p[1] & 0x7f;
    out->seq = (uint16_t)((p[2] << 8) | p[3]);
    out->ts = ((uint32_t)p[4] << 24) | ((uint32_t)p[5] << 16) | ((uint32_t)p[6] << 8) | p[7];
    out->ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) | ((uint32_t)p[10] << 8) | p[11];
    out->payload = p + off;
    out->len = end - off;
    return JG_OK;
}

size_t jg_rtp_tcp_frame(const uint8_t *s, size_t n)
{
    if (n < 2)
        return 0;
    size_t len = ((size_t)s[0] << 8) | s[1];
    return n >= 2 + len ? 2 + len : 0;
}

void jg_rtp_reorder_init(jg_rtp_reorder *r)
{
    memset(r, 0, sizeof(*r));
}

void jg_rtp_reorder_free(jg_rtp_reorder *r)
{
    for (int i = 0; i < JG_RTP_WINDOW; i++)
        free(r->slot[i].data);
    memset(r, 0, sizeof(*r));
}

/* Deliver the waiting packets that are now in order. */
static void drain(jg_rtp_reorder *r, jg_rtp_deliver_fn fn, void *ud)
{
    for (;;) {
        jg_rtp_slot *s = &r->slot[r->next % JG_RTP_WINDOW];
        if (s->used && s->seq == r->next) {
            r->marker = s->marker;
            fn(ud, s->data, s->len, r->gap);
            r->gap = 0;
            s->used = 0;
            r->held--;
            r->next++;
            continue;
        }
        if (r->held < JG_RTP_WINDOW / 4)
            return;
        /* Waited long enough: the expected packet is lost. */
        r->lost++;
        r->gap = 1;
        r->next++;
    }
}

void jg_rtp_reorder_push(jg_rtp_reorder *r, const jg_rtp_pkt *p, jg_rtp_deliver_fn fn, void *ud)
{
    r->received++;
    if (!r->started) {
        r->started = 1;
        r->next = p->seq;
    }
    int16_t diff = (int16_t)(uint16_t)(p->seq - r->next);
    if (diff < 0) {
        r->late++; /* a duplicate, or too late: its place was given up */
        return;
    }
    if (diff >= JG_RTP_WINDOW) {
        /* Far ahead (a jump or a long outage): give up on everything waiting, restart here. */
        for (int i = 0; i < JG_RTP_WINDOW; i++)
            r->slot[i].used = 0;
        r->lost += (uint64_t)diff;
        r->held = 0;
        r->gap = 1;
        r->next = p->seq;
        diff = 0;
    }
    if (diff == 0 && r->held == 0) {
        r->marker = p->marker;
        fn(ud, p->payload, p->len, r->gap);
        r->gap = 0;
        r->next++;
        return;
    }
    jg_rtp_slot *s = &r->slot[p->seq % JG_RTP_WINDOW];
    if (s->used && s->seq == p->seq) {
        r->late++;
        return;
    }
    if (!s->used)
        r->held++;
    s->data = jg_xrealloc(s->data, p->len > 0 ? p->len : 1);
    memcpy(s->data, p->payload, p->len);
    s->len = p->len;
    s->seq = p->seq;
    s->marker = p->marker;
    s->used = 1;
    drain(r, fn, ud);
}
