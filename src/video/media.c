/* The media node inside jianguan video: on-demand live streams served as HTTP-FLV.
 *
 *   GET /live/DEVICE/CHANNEL.flv?exp=E&sig=S[&transport=udp|tcp]   (signed by the platform API,
 *   see liveurl.h; transport, unsigned, picks RTP over UDP or TCP passive for a new stream, else
 *   video_media_transport)
 *
 * The first viewer of a channel opens an RTP receiver (a UDP socket, or a TCP listener for TCP
 * passive), allocates an SSRC and INVITEs the device; later viewers share the stream. RTP goes
 * through the reorder window into the PS demuxer; video frames become FLV tags once and are
 * copied to every viewer with its own timestamps (from 0 at its first key frame). The tags since
 * the last key frame are kept, so a viewer joining a running stream starts at once. When the last
 * viewer leaves, the stream stays video_live_idle_s, then BYE. Everything runs on the event
 * loop of the signalling service; no locks. */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "video/liveurl.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_MAX 8192
#define VIEWER_OUT_MAX (8 * 1024 * 1024) /* a viewer this far behind is dropped */
#define GOP_MAX (8 * 1024 * 1024)
#define REQ_TIMEOUT_US 10000000LL
#define RTP_TIMEOUT_US 10000000LL /* no RTP this long after the answer: the stream is torn down */
#define TCP_IN_MAX (256 * 1024)
#define UDP_BATCH 256

enum { V_REQ = 0, V_WAIT, V_LIVE };
enum { ST_INVITING = 0, ST_PLAYING };

typedef struct viewer {
    jg_vmh h;
    struct viewer *prev, *next;
    jg_vmedia *m;
    jg_vstream *s; /* NULL while reading the request */
    int state, dead, started, want_out;
    jg_buf in, out;
    int64_t since_us;
    uint32_t base_ms;
} viewer;

struct jg_vstream {
    char key[48];
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    jg_vmedia *m;
    int state;
    jg_vdialog *dl;
    char ssrc_text[11];
    int ssrc_seq;
    uint32_t ssrc;
    int tcp;
    jg_vmh rtp;      /* UDP socket, or the TCP listener */
    jg_vmh rtp_conn; /* the device's TCP connection (fd -1 when none) */
    uint8_t *tcp_in;
    size_t tcp_len;
    jg_rtp_reorder ro;
    jg_ps ps;
    jg_flv flv;
    jg_buf cfg, gop, tmp;
    viewer *viewers;
    int nviewers;
    int64_t idle_since_us, last_rtp_us;
    uint64_t packets, bytes, frames, bad_ssrc;
    int gone;
    struct jg_vstream *grave_next;
};

struct jg_vmedia {
    jg_vsvc *svc;
    int ep;
    jg_vmh listen;
    unsigned char url_key[32];
    jg_vtab streams;
    viewer *reading; /* connections still reading their request */
    viewer *grave;   /* closed, freed after the current round of events */
    jg_vstream *grave_s;
    char bind_ip[64];
};

static int64_t now_us(const jg_vmedia *m)
{
    return m->svc->now_us != 0 ? m->svc->now_us : jg_time_mono_us();
}

/* ---- viewers ---- */

static void viewer_watch(viewer *v, int out)
{
    if (v->h.fd < 0 || v->want_out == out)
        return;
    v->want_out = out;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = &v->h};
    epoll_ctl(v->m->ep, EPOLL_CTL_MOD, v->h.fd, &ev);
}

static void viewer_flush(viewer *v)
{
    while (v->out.len > 0 && !v->dead) {
        ssize_t w = send(v->h.fd, v->out.data, v->out.len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            v->dead = 1;
            return;
        }
        memmove(v->out.data, v->out.data + w, v->out.len - (size_t)w);
        v->out.len -= (size_t)w;
    }
    viewer_watch(v, v->out.len > 0);
}

static void viewer_put(viewer *v, const void *p, size_t n)
{
    if (v->dead)
        return;
    if (jg_buf_append(&v->out, p, n) != JG_OK) {
        jg_info("video: a viewer of %s is not reading; dropping it", v->s != NULL ? v->s->key : "?");
        v->dead = 1;
    }
}

static void stream_unlink_viewer(jg_vstream *s, viewer *v)
{
    if (v->prev != NULL)
        v->prev->next = v->next;
    else
        s->viewers = v->next;
    if (v->next != NULL)
        v->next->prev = v->prev;
    v->prev = v->next = NULL;
    s->nviewers--;
    if (s->nviewers == 0)
        s->idle_since_us = now_us(s->m);
}

static void reading_unlink(jg_vmedia *m, viewer *v)
{
    if (v->prev != NULL)
        v->prev->next = v->next;
    else
        m->reading = v->next;
    if (v->next != NULL)
        v->next->prev = v->prev;
    v->prev = v->next = NULL;
}

static void viewer_free(viewer *v)
{
    if (v->s != NULL)
        stream_unlink_viewer(v->s, v);
    else
        reading_unlink(v->m, v);
    if (v->h.fd >= 0) {
        epoll_ctl(v->m->ep, EPOLL_CTL_DEL, v->h.fd, NULL);
        close(v->h.fd);
        v->h.fd = -1;
    }
    jg_buf_free(&v->in);
    jg_buf_free(&v->out);
    v->s = NULL;
    /* Freed after this round of events: one of them may still name it. */
    v->next = v->m->grave;
    v->m->grave = v;
}

/* Answer a request with an error (JSON as the platform API does) and close after sending. */
static void viewer_error(viewer *v, int status, const char *code, const char *message)
{
    const char *reason = status == 403   ? "Forbidden"
                         : status == 404 ? "Not Found"
                         : status == 405 ? "Method Not Allowed"
                         : status == 502 ? "Bad Gateway"
                         : status == 504 ? "Gateway Timeout"
                                         : "Service Unavailable";
    char body[512], head[512];
    int bn = snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                      "Access-Control-Allow-Origin: *\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
                      status, reason, bn);
    viewer_put(v, head, (size_t)hn);
    viewer_put(v, body, (size_t)bn);
    viewer_flush(v);
    shutdown(v->h.fd, SHUT_WR);
    v->dead = 1; /* whatever did not fit in the socket buffer is lost: a few hundred bytes never are */
}

/* Copy one tag (header, body, PreviousTagSize) to v with timestamp ms. */
static void viewer_tag(viewer *v, const uint8_t *tag, size_t len, uint32_t ms)
{
    uint8_t h[11];
    memcpy(h, tag, 11);
    jg_flv_set_ts(h, ms);
    viewer_put(v, h, 11);
    viewer_put(v, tag + 11, len - 11);
}

/* Walk the tags in b (whole tags back to back). */
static size_t tag_len(const uint8_t *t)
{
    return 11 + (((size_t)t[1] << 16) | ((size_t)t[2] << 8) | t[3]) + 4;
}

/* The stream is playing: headers, FLV header, and the current GOP if there is one. */
static void viewer_start(viewer *v)
{
    jg_vstream *s = v->s;
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nCache-Control: no-cache\r\n"
                               "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n";
    viewer_put(v, head, sizeof(head) - 1);
    uint8_t fh[13];
    jg_flv_header(fh);
    viewer_put(v, fh, sizeof(fh));
    v->state = V_LIVE;
    if (s->cfg.len > 0 && s->gop.len > 0) {
        const uint8_t *g = (const uint8_t *)s->gop.data;
        v->base_ms = jg_flv_get_ts(g);
        viewer_tag(v, (const uint8_t *)s->cfg.data, s->cfg.len, 0);
        for (size_t off = 0; off < s->gop.len;) {
            size_t n = tag_len(g + off);
            viewer_tag(v, g + off, n, jg_flv_get_ts(g + off) - v->base_ms);
            off += n;
        }
        v->started = 1;
    }
    viewer_flush(v);
}

/* ---- streams ---- */

static void close_handle(jg_vmedia *m, jg_vmh *h)
{
    if (h->fd >= 0) {
        epoll_ctl(m->ep, EPOLL_CTL_DEL, h->fd, NULL);
        close(h->fd);
        h->fd = -1;
    }
}

/* Tear the stream down: BYE if a dialog is up, viewers closed, everything freed. */
static void stream_free(jg_vmedia *m, jg_vstream *s, int send_bye)
{
    if (s->gone)
        return;
    s->gone = 1;
    const char *codec = s->ps.codec == JG_CODEC_H265   ? "h265"
                        : s->ps.codec == JG_CODEC_H264 ? "h264"
                                                       : "none";
    jg_info("video: stream %s ends (%llu RTP packets, %llu lost, %llu frames, %llu with a foreign SSRC; "
            "video %s, %s)",
            s->key, (unsigned long long)s->packets, (unsigned long long)s->ro.lost,
            (unsigned long long)s->frames, (unsigned long long)s->bad_ssrc, codec,
            s->ps.have_psm ? "stream type from the PSM" : "no PSM: codec guessed");
    if (s->dl != NULL) {
        s->dl->stream = NULL;
        if (send_bye)
            jg_vinvite_bye(m->svc, s->dl);
        s->dl = NULL;
    }
    while (s->viewers != NULL) {
        viewer *v = s->viewers;
        if (v->state != V_LIVE) {
            v->s = s; /* still linked */
            viewer_error(v, 502, "unavailable", "视频流已结束或设备未响应");
        }
        viewer_flush(v);
        viewer_free(v);
    }
    close_handle(m, &s->rtp);
    close_handle(m, &s->rtp_conn);
    jg_ssrc_pool_release(&m->svc->ssrc_pool, 0, s->ssrc_seq);
    jg_vtab_del(&m->streams, s->key);
    s->grave_next = m->grave_s;
    m->grave_s = s;
}

/* Free what ended during the last round of events. */
static void bury(jg_vmedia *m)
{
    while (m->grave != NULL) {
        viewer *v = m->grave;
        m->grave = v->next;
        free(v);
    }
    while (m->grave_s != NULL) {
        jg_vstream *s = m->grave_s;
        m->grave_s = s->grave_next;
        jg_rtp_reorder_free(&s->ro);
        jg_ps_free(&s->ps);
        jg_buf_free(&s->cfg);
        jg_buf_free(&s->gop);
        jg_buf_free(&s->tmp);
        free(s->tcp_in);
        free(s);
    }
}

static void on_frame(void *ud, const jg_frame *f)
{
    jg_vstream *s = ud;
    if (!f->video)
        return; /* audio is not muxed yet */
    s->tmp.len = 0;
    long config_at = -1;
    int key = 0;
    if (jg_flv_video(&s->flv, f, &s->tmp, &config_at, &key) != JG_OK)
        return;
    s->frames++;
    const uint8_t *t = (const uint8_t *)s->tmp.data;
    size_t frame_at = 0;
    if (config_at >= 0) {
        frame_at = (size_t)config_at + tag_len(t + config_at);
        s->cfg.len = 0;
        jg_buf_append(&s->cfg, t + config_at, frame_at - (size_t)config_at);
    }
    const uint8_t *ft = t + frame_at;
    size_t flen = s->tmp.len - frame_at;
    uint32_t ms = jg_flv_get_ts(ft);
    if (key)
        s->gop.len = 0;
    if (key || s->gop.len > 0) {
        if (jg_buf_append(&s->gop, ft, flen) != JG_OK)
            s->gop.len = 0; /* a GOP past 8 MB is not cached: new viewers wait for a key frame */
        s->gop.overflowed = 0;
    }
    for (viewer *v = s->viewers; v != NULL; v = v->next) {
        if (v->state != V_LIVE || v->dead)
            continue;
        if (!v->started) {
            if (!key || s->cfg.len == 0)
                continue;
            v->started = 1;
            v->base_ms = ms;
            viewer_tag(v, (const uint8_t *)s->cfg.data, s->cfg.len, 0);
        } else if (config_at >= 0) {
            viewer_tag(v, (const uint8_t *)s->cfg.data, s->cfg.len, ms - v->base_ms);
        }
        viewer_tag(v, ft, flen, ms - v->base_ms);
        viewer_flush(v);
    }
    for (viewer *v = s->viewers, *next; v != NULL; v = next) {
        next = v->next;
        if (v->dead)
            viewer_free(v);
    }
}

static void on_payload(void *ud, const uint8_t *p, size_t n, int discontinuity)
{
    jg_vstream *s = ud;
    if (discontinuity)
        jg_ps_reset(&s->ps);
    jg_ps_feed(&s->ps, p, n);
}

static void on_packet(jg_vstream *s, const uint8_t *p, size_t n)
{
    jg_rtp_pkt pkt;
    if (s->gone || jg_rtp_parse(p, n, &pkt) != JG_OK)
        return;
    if (pkt.ssrc != s->ssrc) {
        s->bad_ssrc++;
        return;
    }
    s->packets++;
    s->bytes += n;
    s->last_rtp_us = now_us(s->m);
    jg_rtp_reorder_push(&s->ro, &pkt, on_payload, s);
}

static void on_rtp_udp(jg_vmh *h, uint32_t events)
{
    (void)events;
    jg_vstream *s = h->owner;
    static uint8_t buf[65536];
    for (int i = 0; i < UDP_BATCH; i++) {
        ssize_t n = recv(h->fd, buf, sizeof(buf), 0);
        if (n < 0)
            return;
        on_packet(s, buf, (size_t)n);
    }
}

static void on_rtp_conn(jg_vmh *h, uint32_t events)
{
    (void)events;
    jg_vstream *s = h->owner;
    for (;;) {
        if (s->tcp_len == TCP_IN_MAX) {
            s->tcp_len = 0; /* cannot happen with 2-byte lengths; be safe */
        }
        ssize_t n = recv(h->fd, s->tcp_in + s->tcp_len, TCP_IN_MAX - s->tcp_len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        if (n == 0) {
            jg_info("video: the device closed the RTP connection of %s", s->key);
            close_handle(s->m, h);
            s->tcp_len = 0;
            return;
        }
        s->tcp_len += (size_t)n;
        size_t off = 0;
        for (;;) {
            size_t f = jg_rtp_tcp_frame(s->tcp_in + off, s->tcp_len - off);
            if (f == 0)
                break;
            if (f > 2)
                on_packet(s, s->tcp_in + off + 2, f - 2);
            off += f;
        }
        memmove(s->tcp_in, s->tcp_in + off, s->tcp_len - off);
        s->tcp_len -= off;
    }
}

static void on_rtp_accept(jg_vmh *h, uint32_t events)
{
    (void)events;
    jg_vstream *s = h->owner;
    for (;;) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        close_handle(s->m, &s->rtp_conn); /* the newest connection wins (a device reconnecting) */
        s->rtp_conn.fd = fd;
        s->tcp_len = 0;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->rtp_conn};
        if (epoll_ctl(s->m->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            s->rtp_conn.fd = -1;
        }
    }
}

/* Open the RTP receiver of s on an ephemeral port; its port, or -1. */
static int open_rtp(jg_vmedia *m, jg_vstream *s)
{
    int fd = socket(AF_INET, (s->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    if (inet_pton(AF_INET, m->bind_ip, &a.sin_addr) != 1)
        a.sin_addr.s_addr = htonl(INADDR_ANY);
    if (!s->tcp) {
        int size = 4 * 1024 * 1024;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    socklen_t alen = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || (s->tcp && listen(fd, 4) != 0) ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        close(fd);
        return -1;
    }
    s->rtp.kind = JG_VH_MEDIA;
    s->rtp.fd = fd;
    s->rtp.owner = s;
    s->rtp.on_event = s->tcp ? on_rtp_accept : on_rtp_udp;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->rtp};
    if (epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        s->rtp.fd = -1;
        return -1;
    }
    return ntohs(a.sin_port);
}

/* A new stream for device/channel with its INVITE sent; NULL with status and message set. */
static jg_vstream *stream_open(jg_vmedia *m, const char *device, const char *channel, int tcp, int *status,
                               const char **message)
{
    jg_vsvc *svc = m->svc;
    jg_vdev *d = jg_vsvc_device(svc, device);
    if (d == NULL || !d->registered || !d->online) {
        *status = 404;
        *message = "设备不在线";
        return NULL;
    }
    int seq = 0;
    if (jg_ssrc_pool_take(&svc->ssrc_pool, 0, &seq) != JG_OK) {
        *status = 503;
        *message = "媒体节点的流已满";
        return NULL;
    }
    jg_vstream *s = jg_xcalloc(1, sizeof(*s));
    s->m = m;
    s->ssrc_seq = seq;
    s->rtp.fd = s->rtp_conn.fd = -1;
    snprintf(s->device, sizeof(s->device), "%s", device);
    snprintf(s->channel, sizeof(s->channel), "%s", channel);
    snprintf(s->key, sizeof(s->key), "%s/%s", device, channel);
    s->tcp = tcp;
    jg_ssrc_make(0, svc->cfg->video_sip_id, seq, s->ssrc_text);
    int hist = 0, sseq = 0;
    jg_ssrc_parse(s->ssrc_text, &s->ssrc, &hist, &sseq);
    jg_rtp_reorder_init(&s->ro);
    jg_ps_init(&s->ps, on_frame, s);
    jg_flv_init(&s->flv);
    jg_buf_init(&s->cfg, 4096);
    jg_buf_init(&s->gop, GOP_MAX);
    jg_buf_init(&s->tmp, JG_PS_MAX_FRAME + 8192);
    s->rtp_conn.kind = JG_VH_MEDIA;
    s->rtp_conn.owner = s;
    s->rtp_conn.on_event = on_rtp_conn;
    if (s->tcp)
        s->tcp_in = jg_xmalloc(TCP_IN_MAX);
    jg_vtab_put(&m->streams, s->key, s);
    int port = open_rtp(m, s);
    char ip[64], sdp[1024];
    if (svc->cfg->video_media_ip[0] != '\0')
        snprintf(ip, sizeof(ip), "%s", svc->cfg->video_media_ip);
    else
        jg_vsvc_local_ip(svc, device, ip, sizeof(ip));
    jg_sdp_offer o = {"Play", svc->cfg->video_sip_id, ip, port, s->tcp, s->ssrc_text};
    if (port < 0 || jg_sdp_offer_build(&o, sdp, sizeof(sdp)) == 0 ||
        (s->dl = jg_vinvite_start(svc, device, channel, s->ssrc_text, sdp, s)) == NULL) {
        stream_free(m, s, 0);
        *status = 503;
        *message = "无法向设备发起点播";
        return NULL;
    }
    s->state = ST_INVITING;
    return s;
}

void jg_vmedia_answered(jg_vsvc *svc, jg_vstream *s, const jg_sdp_answer *a)
{
    (void)svc;
    /* Adopt the device's own y= when it answers with one. */
    uint32_t v = 0;
    int hist = 0, seq = -1;
    if (a->ssrc[0] != '\0' && jg_ssrc_parse(a->ssrc, &v, &hist, &seq) == JG_OK && v != s->ssrc) {
        jg_info("video: device %s answered SSRC %s for %s instead of %s; using it", s->device, a->ssrc,
                s->key, s->ssrc_text);
        s->ssrc = v;
    }
    s->state = ST_PLAYING;
    s->last_rtp_us = now_us(s->m);
    jg_info("video: stream %s playing (%s from %s:%d)", s->key, s->tcp ? "TCP passive" : "UDP", a->ip,
            a->port);
    for (viewer *v2 = s->viewers; v2 != NULL; v2 = v2->next)
        if (v2->state == V_WAIT)
            viewer_start(v2);
    for (viewer *v2 = s->viewers, *next; v2 != NULL; v2 = next) {
        next = v2->next;
        if (v2->dead)
            viewer_free(v2);
    }
}

void jg_vmedia_failed(jg_vsvc *svc, jg_vstream *s, int code)
{
    jg_info("video: stream %s failed (%d)", s->key, code);
    s->dl = NULL; /* the dialog is gone already */
    stream_free(svc->media, s, 0);
}

void jg_vmedia_ended(jg_vsvc *svc, jg_vstream *s)
{
    s->dl = NULL;
    stream_free(svc->media, s, 0);
}

/* ---- HTTP ---- */

/* The value of query parameter name in q (until a space), into out. 0 if absent. */
static int query_param(const char *q, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = q;
    while (p != NULL && *p != '\0' && *p != ' ') {
        if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
            p += nl + 1;
            size_t k = 0;
            while (p[k] != '\0' && p[k] != '&' && p[k] != ' ' && k + 1 < outlen) {
                out[k] = p[k];
                k++;
            }
            out[k] = '\0';
            return 1;
        }
        p = strchr(p, '&');
        if (p != NULL)
            p++;
    }
    return 0;
}

static void on_request(jg_vmedia *m, viewer *v)
{
    char *req = v->in.data;
    if (strncmp(req, "OPTIONS ", 8) == 0) {
        static const char pre[] =
            "HTTP/1.1 204 No Content\r\nAccess-Control-Allow-Origin: *\r\n"
            "Access-Control-Allow-Methods: GET\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        viewer_put(v, pre, sizeof(pre) - 1);
        viewer_flush(v);
        v->dead = 1;
        return;
    }
    if (strncmp(req, "GET ", 4) != 0) {
        viewer_error(v, 405, "method_not_allowed", "只支持 GET");
        return;
    }
    const char *path = req + 4;
    char device[32] = "", channel[32] = "", exp_text[24] = "", sig[80] = "";
    const char *q = strchr(path, '?');
    const char *sp = strchr(path, ' ');
    if (strncmp(path, "/live/", 6) != 0 || q == NULL || sp == NULL || q > sp ||
        q - path != 6 + 20 + 1 + 20 + 4 || path[26] != '/' || strncmp(path + 47, ".flv", 4) != 0) {
        viewer_error(v, 404, "not_found", "没有这个地址");
        return;
    }
    memcpy(device, path + 6, 20);
    memcpy(channel, path + 27, 20);
    int64_t exp = 0;
    if (!jg_gbid_valid(device) || !jg_gbid_valid(channel) ||
        !query_param(q + 1, "exp", exp_text, sizeof(exp_text)) ||
        !query_param(q + 1, "sig", sig, sizeof(sig)) ||
        jg_parse_int64(exp_text, 0, INT64_MAX / 2, &exp) != JG_OK ||
        !jg_liveurl_check(m->url_key, device, channel, (long long)exp, sig, (long long)time(NULL))) {
        viewer_error(v, 403, "forbidden", "播放地址无效或已过期");
        return;
    }
    char key[64];
    snprintf(key, sizeof(key), "%.20s/%.20s", device, channel);
    jg_vstream *s = jg_vtab_get(&m->streams, key);
    if (s == NULL) {
        int status = 0;
        const char *message = "";
        char transport[8] = "";
        query_param(q + 1, "transport", transport, sizeof(transport));
        int tcp = transport[0] != '\0' ? strcmp(transport, "tcp") == 0
                                       : strcmp(m->svc->cfg->video_media_transport, "tcp") == 0;
        s = stream_open(m, device, channel, tcp, &status, &message);
        if (s == NULL) {
            viewer_error(v, status, status == 404 ? "not_found" : "unavailable", message);
            return;
        }
    }
    reading_unlink(m, v);
    v->s = s;
    v->next = s->viewers;
    if (s->viewers != NULL)
        s->viewers->prev = v;
    s->viewers = v;
    s->nviewers++;
    s->idle_since_us = 0;
    jg_buf_free(&v->in);
    jg_info("video: viewer %d of %s", s->nviewers, s->key);
    if (s->state == ST_PLAYING)
        viewer_start(v);
    else
        v->state = V_WAIT;
}

static void on_viewer(jg_vmh *h, uint32_t events)
{
    viewer *v = (viewer *)h;
    jg_vmedia *m = v->m;
    if (events & EPOLLOUT)
        viewer_flush(v);
    if (!v->dead && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        char chunk[4096];
        for (;;) {
            ssize_t n = recv(v->h.fd, chunk, sizeof(chunk), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            if (n == 0) {
                v->dead = 1; /* the viewer left */
                break;
            }
            if (v->state != V_REQ)
                continue; /* a player sends nothing more; ignore what it does */
            if (jg_buf_append(&v->in, chunk, (size_t)n) != JG_OK) {
                viewer_error(v, 404, "not_found", "请求过大");
                break;
            }
            if (strstr(v->in.data, "\r\n\r\n") != NULL) {
                on_request(m, v);
                break;
            }
        }
    }
    if (v->dead)
        viewer_free(v);
}

static void on_listen(jg_vmh *h, uint32_t events)
{
    (void)events;
    jg_vmedia *m = h->owner;
    for (;;) {
        int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        viewer *v = jg_xcalloc(1, sizeof(*v));
        v->h.kind = JG_VH_MEDIA;
        v->h.fd = fd;
        v->h.on_event = on_viewer;
        v->h.owner = v;
        v->m = m;
        v->since_us = now_us(m);
        jg_buf_init(&v->in, REQ_MAX);
        jg_buf_init(&v->out, VIEWER_OUT_MAX);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &v->h};
        if (epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            jg_buf_free(&v->in);
            jg_buf_free(&v->out);
            free(v);
            continue;
        }
        v->next = m->reading;
        if (m->reading != NULL)
            m->reading->prev = v;
        m->reading = v;
    }
}

/* ---- the node ---- */

jg_rc jg_vmedia_open(jg_vsvc *svc, int ep)
{
    jg_vmedia *m = jg_xcalloc(1, sizeof(*m));
    m->svc = svc;
    m->ep = ep;
    m->listen.fd = -1;
    jg_vtab_init(&m->streams);
    svc->media = m;
    if (svc->have_field_key)
        jg_liveurl_key(svc->field_key, m->url_key);
    else if (jg_crypto_random(m->url_key, sizeof(m->url_key)) != JG_OK)
        return JG_ERR; /* nobody can sign for this process: live URLs are refused */
    char host[64];
    int64_t port = 0;
    const char *lt = svc->cfg->video_media_listen;
    const char *colon = strrchr(lt, ':');
    if (colon == NULL || (size_t)(colon - lt) >= sizeof(host) ||
        jg_parse_int64(colon + 1, 0, 65535, &port) != JG_OK) {
        jg_error("video_media_listen: %s is not host:port", lt);
        return JG_INVALID;
    }
    memcpy(host, lt, (size_t)(colon - lt));
    host[colon - lt] = '\0';
    snprintf(m->bind_ip, sizeof(m->bind_ip), "%s",
             svc->cfg->video_media_ip[0] != '\0' ? svc->cfg->video_media_ip : "0.0.0.0");
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        jg_error("video_media_listen: %s is not an IPv4 address", host);
        return JG_INVALID;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    socklen_t alen = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        jg_error("video: cannot listen for media on %s: %s", lt, strerror(errno));
        if (fd >= 0)
            close(fd);
        return JG_UNAVAILABLE;
    }
    m->listen.kind = JG_VH_MEDIA;
    m->listen.fd = fd;
    m->listen.owner = m;
    m->listen.on_event = on_listen;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &m->listen};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
        return JG_ERR;
    jg_info("video: media listening on http://%s:%d (RTP over %s)", host, ntohs(a.sin_port),
            svc->cfg->video_media_transport);
    return JG_OK;
}

static void collect_stream(void *value, void *ud)
{
    jg_vstream ***p = ud;
    *(*p)++ = value;
}

void jg_vmedia_tick(jg_vsvc *svc)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return;
    bury(m);
    int64_t now = now_us(m);
    for (viewer *v = m->reading, *next; v != NULL; v = next) {
        next = v->next;
        if (now - v->since_us > REQ_TIMEOUT_US)
            viewer_free(v);
    }
    if (m->streams.count == 0)
        return;
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    size_t n = (size_t)(p - all);
    int64_t idle = svc->cfg->video_live_idle_s * 1000000LL;
    for (size_t i = 0; i < n; i++) {
        jg_vstream *s = all[i];
        if (s->state == ST_PLAYING && now - s->last_rtp_us > RTP_TIMEOUT_US) {
            jg_warn("video: no RTP for %s in %lld s; ending the stream", s->key, RTP_TIMEOUT_US / 1000000);
            stream_free(m, s, 1);
        } else if (s->nviewers == 0 && s->idle_since_us != 0 && now - s->idle_since_us >= idle) {
            jg_info("video: no viewer of %s for %ld s: BYE", s->key, svc->cfg->video_live_idle_s);
            stream_free(m, s, 1);
        }
    }
    free(all);
}

static void free_stream_cb(void *value, void *ud)
{
    jg_vstream ***p = ud;
    *(*p)++ = value;
}

void jg_vmedia_close(jg_vsvc *svc)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return;
    if (m->streams.count > 0) {
        jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
        jg_vtab_each(&m->streams, free_stream_cb, &p);
        size_t n = (size_t)(p - all);
        for (size_t i = 0; i < n; i++)
            stream_free(m, all[i], 1);
        free(all);
    }
    while (m->reading != NULL)
        viewer_free(m->reading);
    close_handle(m, &m->listen);
    bury(m);
    jg_vtab_free(&m->streams);
    free(m);
    svc->media = NULL;
}
