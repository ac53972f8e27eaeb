/* The media node inside jianguan video: on-demand live streams served as HTTP-FLV.
 *
 *   GET /live/DEVICE/CHANNEL.flv?exp=E&sig=S[&transport=udp|tcp|tcp-active]   (signed by the
 *   platform API, see liveurl.h; transport, unsigned, picks RTP over UDP, TCP passive or TCP active
 *   for a new stream, else video_media_transport)
 *   GET /playback/DEVICE/CHANNEL.flv?start=S&end=E&exp=X&sig=G     (the same for s=Playback)
 *   (either with Upgrade: websocket: WebSocket-FLV, the same bytes in binary frames, ws.c)
 *   GET /ctl/ptz|records|playback?device=&channel=&...&exp=&sig=    (control requests from the
 *   platform API, answered in JSON: PTZ once the device answered, RecordInfo once SumNum records
 *   arrived, INFO for a running playback)
 *
 * The first viewer of a channel opens an RTP receiver (a UDP socket, or a TCP listener for TCP
 * passive; for TCP active a connection to the device's answered port once it answers), allocates
 * an SSRC and INVITEs the device; later viewers share the stream. RTP goes
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
#include "video/download.h"
#include "video/hls.h"
#include "video/liveurl.h"
#include "video/video_int.h"
#include "video/ws.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define REQ_MAX 8192
#define VIEWER_OUT_MAX (8 * 1024 * 1024) /* a viewer this far behind is dropped */
#define GOP_MAX (8 * 1024 * 1024)
#define REQ_TIMEOUT_US 10000000LL
/* TCP active: the device's port must accept our connection within this. */
#define RTP_CONNECT_TIMEOUT_US 5000000LL
#define DRAIN_US 1000000LL /* a download's RTP still read this long after MediaStatus 121 */
#define TCP_IN_MAX (256 * 1024)
#define UDP_BATCH 256

/* V_HLS / V_SNAP: waiting for the first segment / a key frame; V_DONE: sending an answer, then closed. */
enum { V_REQ = 0, V_WAIT, V_LIVE, V_CTL, V_HLS, V_SNAP, V_DONE, V_FILE }; /* V_FILE: sending files */

typedef struct ctlq ctlq;
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
    ctlq *q;      /* V_CTL: the record query it waits for */
    char hq[160]; /* V_HLS: the signed query the playlist's segment URLs carry */
    char **files; /* V_FILE: recorded segments sent one after the other */
    int nfiles, file_i, file_fd;
    jg_vstream *proxy; /* nodes: the proxy stream whose INVITE this node request waits for */
    /* WebSocket-FLV (ws.c): 1 asked (101 sent when the stream starts), 2 upgraded; the bytes of out
     * from ws_mark on are not framed yet (viewer_flush frames them) */
    int ws;
    size_t ws_mark;
    char ws_accept[JG_WS_ACCEPT_LEN + 1];
} viewer;

/* A RecordInfo query from the platform API, answered once SumNum records arrived or at its deadline. */
enum { CTL_RECORDS = 0, CTL_PTZ, CTL_CMD }; /* CTL_CMD: DeviceControl or DeviceStatus (devcmd.c) */
struct ctlq {
    struct ctlq *next;
    int kind;                                  /* CTL_* */
    char command[24], ptz[JG_PTZ_HEX_LEN + 1]; /* CTL_PTZ */
    viewer *v;                                 /* NULL once the requester left */
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    char start[24], end[24];
    int64_t sn, sum; /* sum: SumNum, -1 until a reply tells it */
    int got, replies;
    jg_manscdp_record *recs;
    int nrecs, cap;
    int64_t deadline_us;
    int acked, want_result; /* CTL_CMD: the device's 200 came; its <Response> is awaited */
};
#define CMD_RESULT_US 4000000LL /* CTL_CMD: after the 200, how long the <Response> is waited for */
#define RECORDS_TIMEOUT_US 8000000LL
#define PTZ_TIMEOUT_US 4000000LL /* the device's 200 to a DeviceControl */
#define RECORDS_MAX 10000

struct jg_vstream {
    char key[96]; /* DEVICE/CHANNEL, or DEVICE/CHANNEL/START-END for a playback */
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    jg_vmedia *m;
    int state;
    jg_vdialog *dl;
    char ssrc_text[11];
    int ssrc_seq;
    uint32_t ssrc;
    int tcp; /* JG_RTP_*: UDP, TCP passive or TCP active */
    /* TCP active: connect() to the device in progress until then (0: none), and its address ip:port */
    int64_t connect_until_us;
    char peer[80];
    jg_vmh rtp;      /* UDP socket, or the TCP listener (none for TCP active) */
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
    int playback;         /* s=Playback of the device's recordings between start and end */
    long long start, end; /* Unix seconds */
    int ended;            /* MediaStatus 121: the device reached the end */
    int paused;           /* a playback paused by INFO: no RTP is expected until it is resumed */
    int hls_on;           /* an HLS viewer asked: frames are segmented too (hls.c) */
    jg_hls *hls;          /* from the first video frame after hls_on */
    int64_t hls_seen_us;  /* the last HLS request: the stream lives 3 segments past it */
    jg_buf snap;          /* scratch: the GOP's key frame in Annex B with its parameter sets, for snapshots */
    jg_buf jpeg;          /* it decoded (made at the first snapshot request after each key frame) */
    void *relay;          /* cascade.c: the upper platform's relay of this stream, or NULL */
    void *rec;            /* record.c: the cloud recording of this stream, or NULL */
    char node[JG_VNODE_ID_MAX + 1]; /* signalling: a proxy of the stream on this media node ("": here) */
    viewer *node_req;               /* signalling: the node's INVITE request awaiting the device's answer */
    int remote;                     /* media role: INVITEd by the signalling service for this node */
    uint64_t token;                 /* media role: tells the answer to this stream from a stale one */
    int64_t opened_us;
    void *dlj;          /* download.c: the download this stream is (s=Download), or NULL */
    int download_speed; /* its a=downloadspeed */
    int64_t drain_us;   /* a download's MediaStatus 121: BYE at this time, once the RTP in flight is read */
};

struct jg_vmedia {
    jg_vsvc *svc;
    int ep;
    jg_vmh listen;
    unsigned char url_key[32];
    unsigned char ctl_key[32];
    ctlq *queries; /* record queries waiting for their replies */
    jg_vtab streams;
    viewer *reading; /* connections still reading their request */
    viewer *grave;   /* closed, freed after the current round of events */
    jg_vstream *grave_s;
    char bind_ip[64];
    jg_vrecord *record;     /* cloud recording (record.c) */
    jg_vdownload *download; /* downloads from devices (download.c) */
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

/* WebSocket-FLV: what was put since the last frame becomes one binary frame. */
static void ws_wrap(viewer *v)
{
    if (v->ws != 2 || v->out.len <= v->ws_mark || v->dead)
        return;
    uint8_t head[10];
    size_t n = v->out.len - v->ws_mark;
    size_t hl = jg_ws_frame_head(head, JG_WS_BINARY, n);
    if (jg_buf_append(&v->out, head, hl) != JG_OK) {
        v->dead = 1;
        return;
    }
    memmove(v->out.data + v->ws_mark + hl, v->out.data + v->ws_mark, n);
    memcpy(v->out.data + v->ws_mark, head, hl);
    v->ws_mark = v->out.len;
}

static void viewer_flush(viewer *v)
{
    ws_wrap(v);
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
        v->ws_mark = v->ws_mark > (size_t)w ? v->ws_mark - (size_t)w : 0;
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
    if (v->proxy != NULL) {
        v->proxy->node_req = NULL;
        v->proxy = NULL;
    }
    if (v->q != NULL) {
        v->q->v = NULL;
        v->q = NULL;
    }
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
    if (v->file_fd >= 0)
        close(v->file_fd);
    v->file_fd = -1;
    for (int i = 0; i < v->nfiles; i++)
        free(v->files[i]);
    free(v->files);
    v->files = NULL;
    v->nfiles = 0;
    v->s = NULL;
    /* Freed after this round of events: one of them may still name it. */
    v->next = v->m->grave;
    v->m->grave = v;
}

/* The reason phrase of an HTTP status this node answers. */
static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 429:
        return "Too Many Requests";
    case 502:
        return "Bad Gateway";
    case 504:
        return "Gateway Timeout";
    default:
        return "Service Unavailable";
    }
}

/* WebSocket-FLV: a control frame (close, pong) after what is pending, then flushed. */
static void ws_control(viewer *v, int opcode, const void *p, size_t n)
{
    ws_wrap(v);
    uint8_t head[10];
    size_t hl = jg_ws_frame_head(head, opcode, n);
    viewer_put(v, head, hl);
    viewer_put(v, p, n);
    v->ws_mark = v->out.len;
    viewer_flush(v);
}

/* WebSocket-FLV: close with code (and a reason of at most 123 bytes), then drop the viewer. */
static void ws_close(viewer *v, int code, const char *reason)
{
    uint8_t b[125];
    size_t rl = strlen(reason) > 123 ? 123 : strlen(reason);
    b[0] = (uint8_t)(code >> 8);
    b[1] = (uint8_t)code;
    memcpy(b + 2, reason, rl);
    ws_control(v, JG_WS_CLOSE, b, 2 + rl);
    shutdown(v->h.fd, SHUT_WR);
    v->dead = 1;
}

/* Answer a request with an error (JSON as the platform API does) and close after sending. */
static void viewer_error(viewer *v, int status, const char *code, const char *message)
{
    if (v->ws == 2) {
        ws_close(v, 1011, code); /* upgraded: no HTTP answer any more */
        return;
    }
    const char *reason = reason_phrase(status);
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
    if (v->ws == 1) {
        char up[160];
        int un = snprintf(up, sizeof(up),
                          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n",
                          v->ws_accept);
        viewer_put(v, up, (size_t)un);
        v->ws = 2;
        v->ws_mark = v->out.len;
        jg_buf_free(&v->in);
        jg_buf_init(&v->in, 2 * (JG_WS_CLIENT_MAX + 14)); /* client frames */
    } else
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
    if (s->relay != NULL)
        jg_vcascade_relay_gone(m->svc, s->relay);
    if (s->rec != NULL)
        jg_vrecord_gone(m->svc, s->rec);
    s->rec = NULL;
    if (s->dlj != NULL)
        jg_vdownload_gone(m->svc, s->dlj, s->ended);
    s->dlj = NULL;
    const char *codec = s->ps.codec == JG_CODEC_H265   ? "h265"
                        : s->ps.codec == JG_CODEC_H264 ? "h264"
                                                       : "none";
    jg_info("video: stream %s ends (%llu RTP packets, %llu lost, %llu frames, %llu with a foreign SSRC; "
            "video %s, %s)",
            s->key, (unsigned long long)s->packets, (unsigned long long)s->ro.lost,
            (unsigned long long)s->frames, (unsigned long long)s->bad_ssrc, codec,
            s->ps.have_psm ? "stream type from the PSM" : "no PSM: codec guessed");
    jg_info("video: stream %s: %llu frames passed on at their RTP marker bit%s", s->key,
            (unsigned long long)s->ps.mark_flushes,
            s->ps.mark_off ? " (markers found not to end frames)" : "");
    if (s->dl != NULL) {
        s->dl->stream = NULL;
        if (send_bye)
            jg_vinvite_bye(m->svc, s->dl);
        s->dl = NULL;
    }
    if (s->remote && send_bye) {
        long long range[2] = {s->start, s->end};
        jg_vnodes_bye(m->svc, s->device, s->channel, s->playback ? range : NULL);
    }
    if (s->node_req != NULL) {
        viewer *nv = s->node_req;
        s->node_req = NULL;
        nv->proxy = NULL;
        viewer_error(nv, 502, "device_refused", "设备未接受点播");
        viewer_free(nv);
    }
    while (s->viewers != NULL) {
        viewer *v = s->viewers;
        if (v->state != V_LIVE) {
            v->s = s; /* still linked */
            viewer_error(v, 502, "unavailable", "视频流已结束或设备未响应");
        } else if (v->ws == 2)
            ws_close(v, 1000, "end");
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
        jg_buf_free(&s->snap);
        jg_buf_free(&s->jpeg);
        if (s->hls != NULL)
            jg_hls_free(s->hls);
        free(s->hls);
        free(s->tcp_in);
        free(s);
    }
}

static void hls_frame(jg_vstream *s, const jg_frame *f);
static void snap_ready(jg_vstream *s);

static void on_frame(void *ud, const jg_frame *f)
{
    jg_vstream *s = ud;
    if (s->hls_on)
        hls_frame(s, f);
    if (s->rec != NULL)
        jg_vrecord_frame(s->m->svc, s->rec, f);
    if (s->dlj != NULL)
        jg_vdownload_frame(s->m->svc, s->dlj, f);
    if (!f->video)
        return; /* audio is not muxed into FLV yet */
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
    if (key) {
        s->gop.len = 0;
        s->jpeg.len = 0;
    }
    if (key || s->gop.len > 0) {
        if (jg_buf_append(&s->gop, ft, flen) != JG_OK)
            s->gop.len = 0; /* a GOP past 8 MB is not cached: new viewers wait for a key frame */
        s->gop.overflowed = 0;
    }
    if (key && s->gop.len > 0)
        snap_ready(s);
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
    if (s->ro.marker)
        jg_ps_marker(&s->ps); /* the frame's last packet: pass it on now, not at the next frame */
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
    if (s->relay != NULL)
        jg_vcascade_relay_packet(s->m->svc, s->relay, p, n);
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
    if (s->tcp == JG_RTP_TCP_ACTIVE)
        return 9; /* RFC 4145: the active side offers the discard port; we connect at the answer */
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

/* The tcp argument of the openers below: no transport asked, jg_vmedia_transport_of decides. */
#define RTP_AUTO (-1)

/* A new stream for device/channel with its INVITE sent; NULL with status and message set. A download
 * (speed > 0, range set) is keyed DEVICE/CHANNEL/dl-ID. */
static jg_vstream *node_stream_open(jg_vmedia *m, const char *device, const char *channel, int tcp,
                                    const long long *range, int *status, const char **message);

/* A new stream of device/channel on SSRC sequence seq of this node: its demuxer, muxers, buffers
 * and RTP handle, not yet keyed nor listed (the caller sets s->key, then puts it in m->streams). */
/* s's key and range: DEVICE/CHANNEL for live, DEVICE/CHANNEL/START-END for a playback of range. */
static void stream_key(jg_vstream *s, const long long *range)
{
    if (range == NULL) {
        snprintf(s->key, sizeof(s->key), "%s/%s", s->device, s->channel);
        return;
    }
    s->playback = 1;
    s->start = range[0];
    s->end = range[1];
    snprintf(s->key, sizeof(s->key), "%s/%s/%lld-%lld", s->device, s->channel, range[0], range[1]);
}

static jg_vstream *stream_new(jg_vmedia *m, const char *device, const char *channel, int tcp, int seq)
{
    jg_vsvc *svc = m->svc;
    jg_vstream *s = jg_xcalloc(1, sizeof(*s));
    s->m = m;
    s->ssrc_seq = seq;
    s->rtp.fd = s->rtp_conn.fd = -1;
    snprintf(s->device, sizeof(s->device), "%s", device);
    snprintf(s->channel, sizeof(s->channel), "%s", channel);
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
    jg_buf_init(&s->snap, JG_PS_MAX_FRAME + 1024);
    jg_buf_init(&s->jpeg, 16 * 1024 * 1024);
    s->rtp_conn.kind = JG_VH_MEDIA;
    s->rtp_conn.owner = s;
    s->rtp_conn.on_event = on_rtp_conn;
    if (s->tcp)
        s->tcp_in = jg_xmalloc(TCP_IN_MAX);
    return s;
}

static jg_vstream *stream_open_ex(jg_vmedia *m, const char *device, const char *channel, int tcp,
                                  const long long *range, int speed, const char *download_id, int *status,
                                  const char **message)
{
    jg_vsvc *svc = m->svc;
    jg_vdev *d = jg_vsvc_device(svc, device);
    if (tcp == RTP_AUTO) /* no transport asked: the device's own, else the node's */
        tcp = jg_vmedia_transport_of(svc, d, NULL);
    if (jg_vrole(svc->cfg) == JG_VROLE_MEDIA) { /* nodes.c: the signalling service INVITEs */
        if (speed > 0) {
            *status = 404;
            *message = "媒体节点不提供录像下载";
            return NULL;
        }
        return node_stream_open(m, device, channel, tcp, range, status, message);
    }
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
    jg_vstream *s = stream_new(m, device, channel, tcp, seq);
    stream_key(s, range);
    if (range != NULL && speed > 0 && download_id != NULL) {
        s->download_speed = speed;
        snprintf(s->key, sizeof(s->key), "%s/%s/dl-%.32s", device, channel, download_id);
    }
    jg_vtab_put(&m->streams, s->key, s);
    int port = open_rtp(m, s);
    char ip[64], sdp[1024];
    if (svc->cfg->video_media_ip[0] != '\0')
        snprintf(ip, sizeof(ip), "%s", svc->cfg->video_media_ip);
    else
        jg_vsvc_local_ip(svc, device, ip, sizeof(ip));
    jg_sdp_offer o = {s->download_speed > 0 ? "Download"
                      : s->playback         ? "Playback"
                                            : "Play",
                      svc->cfg->video_sip_id,
                      ip,
                      port,
                      s->tcp,
                      s->ssrc_text,
                      s->playback ? channel : NULL,
                      s->start,
                      s->end,
                      s->download_speed};
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

static jg_vstream *stream_open(jg_vmedia *m, const char *device, const char *channel, int tcp,
                               const long long *range, int *status, const char **message)
{
    return stream_open_ex(m, device, channel, tcp, range, 0, NULL, status, message);
}

static void proxy_answered(jg_vsvc *svc, jg_vstream *s, const jg_sdp_answer *a);
static void stream_playing(jg_vstream *s, const char *ip, int port);

/* TCP active: the non-blocking connect() to the device finished (EPOLLOUT) or failed. From here on
 * the connection is read exactly like an accepted one of TCP passive (on_rtp_conn). */
static void on_rtp_connect(jg_vmh *h, uint32_t events)
{
    jg_vstream *s = h->owner;
    int err = 0;
    socklen_t elen = sizeof(err);
    if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
        err = errno;
    if (err == 0 && (events & EPOLLERR) != 0)
        err = ECONNRESET;
    if (err == EINPROGRESS || err == EALREADY)
        return;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
    if (err == 0 && epoll_ctl(s->m->ep, EPOLL_CTL_MOD, h->fd, &ev) != 0)
        err = errno;
    if (err != 0) {
        jg_warn("video: stream %s: TCP active connect to the device at %s failed: %s; ending the stream",
                s->key, s->peer, strerror(err));
        stream_free(s->m, s, 1);
        return;
    }
    s->connect_until_us = 0;
    h->on_event = on_rtp_conn;
    jg_info("video: stream %s: TCP active connection to %s established", s->key, s->peer);
    stream_playing(s, NULL, 0);
}

/* TCP active: start a non-blocking connect() to the device's answered address; 0, or -1 (logged). */
static int rtp_connect(jg_vstream *s, const jg_sdp_answer *a)
{
    snprintf(s->peer, sizeof(s->peer), "%.63s:%d", a->ip, a->port);
    struct sockaddr_in to;
    memset(&to, 0, sizeof(to));
    to.sin_family = AF_INET;
    to.sin_port = htons((uint16_t)a->port);
    if (!a->tcp || a->port < 1 || inet_pton(AF_INET, a->ip, &to.sin_addr) != 1) {
        jg_warn("video: stream %s: the device's answer is no TCP address to connect to (%s, %s)", s->key,
                s->peer, a->tcp ? "TCP/RTP/AVP" : "RTP/AVP");
        return -1;
    }
    if (a->setup == JG_SDP_SETUP_ACTIVE)
        jg_warn("video: stream %s: the device answered a=setup:active to our active offer; connecting anyway",
                s->key);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        jg_warn("video: stream %s: no socket for TCP active: %s", s->key, strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS) {
        jg_warn("video: stream %s: TCP active connect to the device at %s failed: %s", s->key, s->peer,
                strerror(errno));
        close(fd);
        return -1;
    }
    s->rtp_conn.fd = fd;
    s->rtp_conn.on_event = on_rtp_connect;
    s->tcp_len = 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &s->rtp_conn};
    if (epoll_ctl(s->m->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        s->rtp_conn.fd = -1;
        return -1;
    }
    s->connect_until_us = now_us(s->m) + RTP_CONNECT_TIMEOUT_US;
    jg_info("video: stream %s: connecting over TCP active to the device at %s", s->key, s->peer);
    return 0;
}

void jg_vmedia_answered(jg_vsvc *svc, jg_vstream *s, const jg_sdp_answer *a)
{
    if (s->node[0] != '\0') { /* a proxy of a stream on a media node */
        proxy_answered(svc, s, a);
        return;
    }
    (void)svc;
    /* Adopt the device's own y= when it answers with one. */
    uint32_t v = 0;
    int hist = 0, seq = -1;
    if (a->ssrc[0] != '\0' && jg_ssrc_parse(a->ssrc, &v, &hist, &seq) == JG_OK && v != s->ssrc) {
        jg_info("video: device %s answered SSRC %s for %s instead of %s; using it", s->device, a->ssrc,
                s->key, s->ssrc_text);
        s->ssrc = v;
    }
    if (s->tcp == JG_RTP_TCP_ACTIVE && !s->remote) {
        if (s->rtp_conn.fd >= 0)
            return; /* connecting or connected already */
        if (rtp_connect(s, a) != 0)
            stream_free(s->m, s, 1);
        return; /* playing once connected (on_rtp_connect) */
    }
    stream_playing(s, a->ip, a->port);
}

/* The stream's media flows (or is about to): waiting viewers start. ip/port: the device's answer
 * (NULL for TCP active, where s->peer is it). */
static void stream_playing(jg_vstream *s, const char *ip, int port)
{
    s->state = ST_PLAYING;
    s->last_rtp_us = now_us(s->m);
    if (ip == NULL)
        jg_info("video: stream %s playing (TCP active to %s)", s->key, s->peer);
    else
        jg_info("video: stream %s playing (%s from %s:%d)", s->key, s->tcp ? "TCP passive" : "UDP", ip, port);
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
    s->ended = 1; /* the device finished (a download is complete) */
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

/* Answer a control request with status and a JSON body (reference stolen), then close. */
static void viewer_json(viewer *v, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    size_t bn = text != NULL ? strlen(text) : 0;
    char head[256];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, reason_phrase(status), bn);
    viewer_put(v, head, (size_t)hn);
    if (text != NULL)
        viewer_put(v, text, bn);
    free(text);
    viewer_flush(v);
    shutdown(v->h.fd, SHUT_WR);
    v->dead = 1;
}

/* JG_RTP_* of a transport name (video_media_transport, or a live URL's transport=): udp, tcp (passive)
 * or tcp-active; anything else is UDP. */
static int rtp_transport(const char *t)
{
    return strcmp(t, "tcp-active") == 0 ? JG_RTP_TCP_ACTIVE
           : strcmp(t, "tcp") == 0      ? JG_RTP_TCP_PASSIVE
                                        : JG_RTP_UDP;
}

int jg_vmedia_transport_of(const jg_vsvc *svc, const jg_vdev *d, const char *asked)
{
    const char *t = svc->cfg->video_media_transport, *why = "node";
    if (asked != NULL && asked[0] != '\0') {
        t = asked;
        why = "URL";
    } else if (d != NULL && d->media_transport[0] != '\0') {
        t = d->media_transport;
        why = "device";
    }
    int tcp = rtp_transport(t);
    static const char *const names[] = {"UDP", "TCP passive", "TCP active"};
    jg_debug("video: media transport of a new stream of %s: %s (%s)", d != NULL ? d->gb_id : "a device",
             names[tcp], why);
    return tcp;
}

/* The stream a request names, or NULL. */
static jg_vstream *find_stream(jg_vmedia *m, const char *device, const char *channel, const long long *range)
{
    char key[96];
    if (range != NULL)
        snprintf(key, sizeof(key), "%.20s/%.20s/%lld-%lld", device, channel, range[0], range[1]);
    else
        snprintf(key, sizeof(key), "%.20s/%.20s", device, channel);
    return jg_vtab_get(&m->streams, key);
}

/* Join v to the stream of device/channel (range: a playback), opening it if needed; mode V_LIVE
 * (an FLV viewer), V_HLS or V_SNAP (waiting for a segment or a key frame). The stream, or NULL
 * (v answered with an error). */
static jg_vstream *join_stream(jg_vmedia *m, viewer *v, const char *device, const char *channel,
                               const long long *range, const char *q, int mode)
{
    jg_vstream *s = find_stream(m, device, channel, range);
    if (s == NULL) {
        int status = 0;
        const char *message = "";
        char transport[16] = "";
        query_param(q, "transport", transport, sizeof(transport));
        jg_vdev *d = jg_vsvc_device(m->svc, device);
        int tcp = transport[0] != '\0' ? jg_vmedia_transport_of(m->svc, d, transport) : RTP_AUTO;
        s = stream_open(m, device, channel, tcp, range, &status, &message);
        if (s == NULL) {
            viewer_error(v, status, status == 404 ? "not_found" : "unavailable", message);
            return NULL;
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
    if (mode != V_LIVE)
        v->state = mode;
    else if (s->state == ST_PLAYING)
        viewer_start(v);
    else
        v->state = V_WAIT;
    return s;
}

/* ---- HLS and snapshots ---- */

/* Back to the node's list of connections (off the stream's viewers), to finish an answer. */
static void viewer_detach(viewer *v)
{
    if (v->s == NULL)
        return;
    jg_vmedia *m = v->m;
    stream_unlink_viewer(v->s, v);
    v->s = NULL;
    v->next = m->reading;
    if (m->reading != NULL)
        m->reading->prev = v;
    m->reading = v;
    v->since_us = now_us(m);
}

/* Answer 200 with a body of any size: sent as the socket takes it (V_DONE), then closed. */
static void viewer_body(viewer *v, const char *type, const void *p, size_t n, const char *extra)
{
    viewer_detach(v);
    char head[512];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nCache-Control: no-cache\r\n"
                      "Access-Control-Allow-Origin: *\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
                      type, extra, n);
    viewer_put(v, head, (size_t)hn);
    viewer_put(v, p, n);
    v->state = V_DONE;
    viewer_flush(v);
    if (v->out.len == 0 && !v->dead) {
        shutdown(v->h.fd, SHUT_WR);
        v->dead = 1;
    }
}

static void hls_playlist_answer(jg_vstream *s, viewer *v)
{
    jg_buf b;
    jg_buf_init(&b, 64 * 1024);
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%s/", s->channel);
    if (jg_hls_playlist(s->hls, prefix, v->hq, &b) == JG_OK)
        viewer_body(v, "application/vnd.apple.mpegurl", b.data, b.len, "");
    else
        viewer_error(v, 503, "unavailable", "直播切片尚未就绪");
    jg_buf_free(&b);
}

static void hls_frame(jg_vstream *s, const jg_frame *f)
{
    if (s->hls == NULL) {
        if (!f->video || (f->codec != JG_CODEC_H264 && f->codec != JG_CODEC_H265))
            return;
        const jg_config *cfg = s->m->svc->cfg;
        s->hls = jg_xcalloc(1, sizeof(*s->hls));
        jg_hls_init(s->hls, f->codec, s->ps.audio_type == 0x0F, (int)cfg->video_hls_segment_s,
                    (int)cfg->video_hls_window);
    }
    if (!jg_hls_frame(s->hls, f))
        return;
    for (viewer *v = s->viewers, *next; v != NULL; v = next) {
        next = v->next;
        if (v->state == V_HLS && !v->dead)
            hls_playlist_answer(s, v);
    }
}

/* Decode an Annex B key frame to JPEG with ffmpeg (an external tool, run with an argument vector,
 * never a shell). 1 with the JPEG in out, 0 when ffmpeg is missing or fails. Blocks the loop for
 * the decode of one frame (tens of milliseconds). */
static int snap_jpeg(int codec, const jg_buf *frame, jg_buf *out)
{
    char in_path[] = "/tmp/jg-snap-XXXXXX", out_path[64];
    int fd = mkstemp(in_path);
    if (fd < 0)
        return 0;
    int ok = write(fd, frame->data, frame->len) == (ssize_t)frame->len;
    close(fd);
    snprintf(out_path, sizeof(out_path), "%s.jpg", in_path);
    if (ok) {
        char *argv[] = {"ffmpeg",
                        "-nostdin",
                        "-v",
                        "error",
                        "-y",
                        "-f",
                        codec == JG_CODEC_H265 ? "hevc" : "h264",
                        "-i",
                        in_path,
                        "-frames:v",
                        "1",
                        "-f",
                        "image2",
                        "-c:v",
                        "mjpeg",
                        out_path,
                        NULL};
        pid_t pid = 0;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        int status = 0;
        ok = posix_spawnp(&pid, "ffmpeg", &fa, NULL, argv, environ) == 0 && waitpid(pid, &status, 0) == pid &&
             WIFEXITED(status) && WEXITSTATUS(status) == 0;
        posix_spawn_file_actions_destroy(&fa);
    }
    unlink(in_path);
    if (ok) {
        FILE *fp = fopen(out_path, "rb");
        ok = 0;
        if (fp != NULL) {
            char chunk[16384];
            size_t n;
            while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
                jg_buf_append(out, chunk, n);
            fclose(fp);
            ok = out->len > 2 && !out->overflowed;
        }
    }
    unlink(out_path);
    if (!ok)
        out->len = 0;
    return ok;
}

/* The key frame at the head of the GOP cache (an FLV tag: 5 bytes of video header, then NAL units
 * with 4-byte lengths) back to Annex B in s->snap, after the parameter sets. 0 if there is none. */
static int snap_make(jg_vstream *s)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    s->snap.len = 0;
    s->snap.overflowed = 0;
    if (s->gop.len < 11 + 5)
        return 0;
    const uint8_t *t = (const uint8_t *)s->gop.data;
    size_t body = ((size_t)t[1] << 16) | ((size_t)t[2] << 8) | t[3];
    if (11 + body > s->gop.len || body < 5)
        return 0;
    const uint8_t *sets[3] = {s->flv.vps, s->flv.sps, s->flv.pps};
    size_t lens[3] = {s->flv.vps_len, s->flv.sps_len, s->flv.pps_len};
    for (int i = 0; i < 3; i++)
        if (lens[i] > 0) {
            jg_buf_append(&s->snap, sc, 4);
            jg_buf_append(&s->snap, sets[i], lens[i]);
        }
    for (size_t at = 11 + 5; at + 4 <= 11 + body;) {
        size_t n = ((size_t)t[at] << 24) | ((size_t)t[at + 1] << 16) | ((size_t)t[at + 2] << 8) | t[at + 3];
        at += 4;
        if (n > 11 + body - at)
            break;
        jg_buf_append(&s->snap, sc, 4);
        jg_buf_append(&s->snap, t + at, n);
        at += n;
    }
    return !s->snap.overflowed && s->snap.len > 0;
}

static void snap_answer(jg_vstream *s, viewer *v)
{
    int codec = s->flv.codec;
    if (s->jpeg.len > 0 || (snap_make(s) && snap_jpeg(codec, &s->snap, &s->jpeg)))
        viewer_body(v, "image/jpeg", s->jpeg.data, s->jpeg.len, "");
    else if (s->snap.len > 0) /* no ffmpeg: the key frame itself, Annex B with its parameter sets */
        viewer_body(v, "application/octet-stream", s->snap.data, s->snap.len,
                    codec == JG_CODEC_H265 ? "X-Snapshot-Format: h265\r\n" : "X-Snapshot-Format: h264\r\n");
    else
        viewer_error(v, 503, "unavailable", "暂无可用的关键帧");
    jg_buf_free(&s->snap);
}

/* A key frame is in the GOP cache: answer the snapshots waiting for one. */
static void snap_ready(jg_vstream *s)
{
    for (viewer *v = s->viewers, *next; v != NULL; v = next) {
        next = v->next;
        if (v->state == V_SNAP && !v->dead)
            snap_answer(s, v);
    }
}

/* GET /live/D/C.m3u8, /live/D/C/SEQ.ts, /live/D/C.jpg (signed as the FLV URL). */
static void hls_request(jg_vmedia *m, viewer *v, const char *device, const char *channel, int kind,
                        uint64_t seq, const char *q)
{
    jg_vstream *s = find_stream(m, device, channel, NULL);
    int64_t now = now_us(m);
    if (kind == V_DONE) { /* a segment: only of a running stream */
        const jg_hls_seg *g = s != NULL && s->hls != NULL ? jg_hls_segment(s->hls, seq) : NULL;
        if (g == NULL) {
            viewer_error(v, 404, "not_found", "切片不存在或已过期");
            return;
        }
        s->hls_seen_us = now;
        viewer_body(v, "video/mp2t", g->data, g->len, "");
        return;
    }
    if (kind == V_HLS) {
        /* the playlist's segment URLs carry the same signed parameters (without transport) */
        char e[24] = "", sig[80] = "";
        query_param(q, "exp", e, sizeof(e));
        query_param(q, "sig", sig, sizeof(sig));
        snprintf(v->hq, sizeof(v->hq), "exp=%s&sig=%s", e, sig);
        if (s != NULL && s->hls != NULL && s->hls->done > 0) {
            s->hls_seen_us = now;
            hls_playlist_answer(s, v);
            return;
        }
    } else if (s != NULL && s->gop.len > 0) {
        snap_answer(s, v);
        return;
    }
    s = join_stream(m, v, device, channel, NULL, q, kind);
    if (s == NULL)
        return;
    if (kind == V_HLS) {
        s->hls_on = 1;
        s->hls_seen_us = now;
    }
}

static int param_int(const char *q, const char *name, int64_t lo, int64_t hi, int64_t *out);

/* Send the next pieces of the files while the socket takes them; V_DONE after the last. */
static void file_pump(viewer *v)
{
    char chunk[65536];
    while (!v->dead && v->state == V_FILE && v->out.len < 4 * sizeof(chunk)) {
        if (v->file_fd < 0) {
            if (v->file_i >= v->nfiles) {
                v->state = V_DONE;
                break;
            }
            v->file_fd = open(v->files[v->file_i++], O_RDONLY | O_CLOEXEC);
            if (v->file_fd < 0) {
                v->dead = 1; /* deleted meanwhile: the answer is cut short */
                break;
            }
        }
        ssize_t n = read(v->file_fd, chunk, sizeof(chunk));
        if (n <= 0) {
            close(v->file_fd);
            v->file_fd = -1;
            continue;
        }
        viewer_put(v, chunk, (size_t)n);
        v->since_us = now_us(v->m);
        viewer_flush(v);
    }
    if (v->state == V_DONE && v->out.len == 0 && !v->dead) {
        shutdown(v->h.fd, SHUT_WR);
        v->dead = 1;
    }
}

/* GET /record/D/C.m3u8 (VOD playlist), /record/D/C/ID.ts (one segment), /record/D/C.ts (the range
 * as one TS download), each with start, end, exp, sig signed as a playback URL of the range. */
static void record_request(jg_vmedia *m, viewer *v, const char *path)
{
    const char *qm = strchr(path, '?');
    const char *sp = strchr(path, ' ');
    char device[32], channel[32], exp_text[24] = "", sig[80] = "";
    if (m->record == NULL || qm == NULL || sp == NULL || qm > sp || (size_t)(qm - path) < 8 + 41 + 3 ||
        path[28] != '/') {
        viewer_error(v, 404, "not_found", "没有这个地址");
        return;
    }
    memcpy(device, path + 8, 20);
    device[20] = '\0';
    memcpy(channel, path + 29, 20);
    channel[20] = '\0';
    const char *q = qm + 1, *rest = path + 49;
    size_t rl = (size_t)(qm - rest);
    int kind = 0; /* 1 playlist, 2 one segment, 3 download */
    int64_t id = 0;
    if (rl == 5 && strncmp(rest, ".m3u8", 5) == 0)
        kind = 1;
    else if (rl == 3 && strncmp(rest, ".ts", 3) == 0)
        kind = 3;
    else if (rl > 4 && rl < 24 && rest[0] == '/' && strncmp(qm - 3, ".ts", 3) == 0) {
        char t[24];
        memcpy(t, rest + 1, rl - 4);
        t[rl - 4] = '\0';
        if (jg_parse_int64(t, 1, INT64_MAX, &id) == JG_OK)
            kind = 2;
    }
    if (kind == 0 || !jg_gbid_valid(device) || !jg_gbid_valid(channel)) {
        viewer_error(v, 404, "not_found", "没有这个地址");
        return;
    }
    int64_t exp = 0, start = 0, end = 0;
    if (!(query_param(q, "exp", exp_text, sizeof(exp_text)) && query_param(q, "sig", sig, sizeof(sig)) &&
          jg_parse_int64(exp_text, 0, INT64_MAX / 2, &exp) == JG_OK &&
          param_int(q, "start", 0, INT64_MAX / 4, &start) && param_int(q, "end", 0, INT64_MAX / 4, &end) &&
          start < end &&
          jg_playurl_check(m->url_key, device, channel, start, end, (long long)exp, sig,
                           (long long)time(NULL)))) {
        viewer_error(v, 403, "forbidden", "播放地址无效或已过期");
        return;
    }
    jg_rows *rows = NULL;
    if (jg_vrecord_segments(m->record, device, channel, start, end, kind == 2 ? id : 0, &rows) != JG_OK) {
        viewer_error(v, 503, "unavailable", "无法读取录像索引");
        return;
    }
    int n = jg_rows_count(rows);
    if (n == 0) {
        jg_rows_free(rows);
        viewer_error(v, 404, "not_found", "该时间段没有云录像");
        return;
    }
    if (kind == 1) {
        jg_buf b;
        jg_buf_init(&b, 4 * 1024 * 1024);
        int64_t longest = 0;
        for (int i = 0; i < n; i++)
            if (jg_rows_int(rows, i, 1) > longest)
                longest = jg_rows_int(rows, i, 1);
        jg_buf_printf(&b,
                      "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:%lld\n"
                      "#EXT-X-MEDIA-SEQUENCE:0\n",
                      (long long)((longest + 999) / 1000));
        for (int i = 0; i < n; i++)
            jg_buf_printf(&b, "#EXTINF:%.3f,\n%s/%lld.ts?%.*s\n", (double)jg_rows_int(rows, i, 1) / 1000.0,
                          channel, (long long)jg_rows_int(rows, i, 0), (int)(sp - q), q);
        jg_buf_puts(&b, "#EXT-X-ENDLIST\n");
        jg_rows_free(rows);
        viewer_body(v, "application/vnd.apple.mpegurl", b.data, b.len, "");
        jg_buf_free(&b);
        return;
    }
    /* one segment, or all of them back to back: streamed from the files */
    const char *root = jg_vrecord_root(m->record);
    unsigned long long total = 0;
    v->files = jg_xcalloc((size_t)n, sizeof(*v->files));
    for (int i = 0; i < n; i++) {
        const char *rel = jg_rows_text(rows, i, 2);
        size_t len = strlen(root) + strlen(rel) + 2;
        char *full = jg_xmalloc(len);
        snprintf(full, len, "%s/%s", root, rel);
        struct stat st;
        if (strstr(rel, "..") != NULL || stat(full, &st) != 0) {
            free(full);
            continue;
        }
        total += (unsigned long long)st.st_size;
        v->files[v->nfiles++] = full;
    }
    jg_rows_free(rows);
    if (v->nfiles == 0) {
        viewer_error(v, 404, "not_found", "该时间段没有云录像");
        return;
    }
    char head[512];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nAccess-Control-Allow-Origin: *\r\n"
                      "%sContent-Length: %llu\r\nConnection: close\r\n\r\n",
                      kind == 3 ? "Content-Disposition: attachment; filename=\"record.ts\"\r\n" : "", total);
    viewer_put(v, head, (size_t)hn);
    v->state = V_FILE;
    v->file_fd = -1;
    file_pump(v);
}

/* GET /download/ID.ts?exp=&sig=: a finished download (download.c) as an attachment. */
static void download_request(jg_vmedia *m, viewer *v, const char *path)
{
    const char *qm = strchr(path, '?'), *sp = strchr(path, ' ');
    size_t idlen = qm != NULL ? (size_t)(qm - path) - 10 : 0;
    char id[JG_DOWNLOAD_ID_MAX + 1], file[640];
    if (m->download == NULL || qm == NULL || sp == NULL || qm > sp || idlen < 3 + JG_DOWNLOAD_ID_MIN ||
        idlen > 3 + JG_DOWNLOAD_ID_MAX || strncmp(qm - 3, ".ts", 3) != 0) {
        viewer_error(v, 404, "not_found", "没有这个地址");
        return;
    }
    memcpy(id, path + 10, idlen - 3);
    id[idlen - 3] = '\0';
    long long size = 0;
    const char *message = "";
    int status = jg_vdownload_file(m->download, m->url_key, id, qm + 1, file, sizeof(file), &size, &message);
    if (status != 200) {
        viewer_error(v, status, status == 403 ? "forbidden" : "not_found", message);
        return;
    }
    v->files = jg_xcalloc(1, sizeof(*v->files));
    v->files[v->nfiles++] = jg_xstrdup(file);
    char head[512];
    int hn = snprintf(head, sizeof(head),
                      "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nAccess-Control-Allow-Origin: *\r\n"
                      "Content-Disposition: attachment; filename=\"%s.ts\"\r\nContent-Length: %lld\r\n"
                      "Connection: close\r\n\r\n",
                      id, size);
    viewer_put(v, head, (size_t)hn);
    v->state = V_FILE;
    v->file_fd = -1;
    file_pump(v);
}

/* "/live/DEVICE/CHANNEL" then ".m3u8?", "/SEQ.ts?" or ".jpg?" at path: V_HLS, V_DONE (a
 * segment, *seq set) or V_SNAP; 0 for anything else. */
static int hls_path(const char *path, char device[32], char channel[32], uint64_t *seq, const char **q)
{
    const char *qm = strchr(path, '?');
    const char *sp = strchr(path, ' ');
    if (strncmp(path, "/live/", 6) != 0 || qm == NULL || sp == NULL || qm > sp ||
        (size_t)(qm - path) < 6 + 41 + 4 || path[26] != '/')
        return 0;
    memcpy(device, path + 6, 20);
    device[20] = '\0';
    memcpy(channel, path + 27, 20);
    channel[20] = '\0';
    if (!jg_gbid_valid(device) || !jg_gbid_valid(channel))
        return 0;
    const char *rest = path + 47;
    size_t rl = (size_t)(qm - rest);
    *q = qm + 1;
    if (rl == 5 && strncmp(rest, ".m3u8", 5) == 0)
        return V_HLS;
    if (rl == 4 && strncmp(rest, ".jpg", 4) == 0)
        return V_SNAP;
    if (rl >= 5 && rl <= 24 && rest[0] == '/' && strncmp(qm - 3, ".ts", 3) == 0) {
        char t[24];
        memcpy(t, rest + 1, rl - 4);
        t[rl - 4] = '\0';
        int64_t x = 0;
        if (jg_parse_int64(t, 0, INT64_MAX, &x) != JG_OK)
            return 0;
        *seq = (uint64_t)x;
        return V_DONE;
    }
    return 0;
}

/* "/PREFIX/DEVICE/CHANNEL.flv?" at path: the IDs into device and channel; q at the query. */
static int flv_path(const char *path, const char *prefix, char device[32], char channel[32], const char **q)
{
    size_t pl = strlen(prefix);
    const char *qm = strchr(path, '?');
    const char *sp = strchr(path, ' ');
    if (strncmp(path, prefix, pl) != 0 || qm == NULL || sp == NULL || qm > sp ||
        (size_t)(qm - path) != pl + 20 + 1 + 20 + 4 || path[pl + 20] != '/' ||
        strncmp(path + pl + 41, ".flv", 4) != 0)
        return 0;
    memcpy(device, path + pl, 20);
    device[20] = '\0';
    memcpy(channel, path + pl + 21, 20);
    channel[20] = '\0';
    *q = qm + 1;
    return jg_gbid_valid(device) && jg_gbid_valid(channel);
}

static int param_int(const char *q, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    char t[24];
    return query_param(q, name, t, sizeof(t)) && jg_parse_int64(t, lo, hi, out) == JG_OK;
}

static void collect_stream(void *value, void *ud)
{
    jg_vstream ***p = ud;
    *(*p)++ = value;
}

/* ---- control requests (PTZ, record queries, playback control), signed by the platform API ---- */

static void records_answer(jg_vmedia *m, ctlq *c, int complete);

static int cmp_record(const void *a, const void *b)
{
    const jg_manscdp_record *x = a, *y = b;
    int r = strcmp(x->start_time, y->start_time);
    return r != 0 ? r : strcmp(x->end_time, y->end_time);
}

static void ctlq_unlink(jg_vmedia *m, ctlq *c)
{
    for (ctlq **pp = &m->queries; *pp != NULL; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
}

/* A PTZ command answered (code: the device's final response, 408 none): tell the requester, free c. */
static void ptz_answer(jg_vmedia *m, ctlq *c, int code)
{
    ctlq_unlink(m, c);
    viewer *v = c->v;
    if (v != NULL) {
        v->q = NULL;
        if (code >= 200 && code < 300)
            viewer_json(v, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:I}", "device_gb_id", c->device, "gb_id", c->channel,
                                  "command", c->command, "ptz_cmd", c->ptz, "sn", (json_int_t)c->sn));
        else if (code == 408)
            viewer_error(v, 504, "timeout", "设备未响应云台命令");
        else
            viewer_error(v, 502, "device_refused", "设备拒绝了云台命令");
        viewer_free(v);
    }
    jg_info("video: PTZ %s (%s) to %s/%s answered %d", c->command, c->ptz, c->device, c->channel, code);
    free(c);
}

/* A device command answered: code 200 with the device's <Response> msg (or without one: accepted),
 * 408 none, else refused. Tells the requester, frees c. */
static void cmd_answer(jg_vmedia *m, ctlq *c, int code, const jg_manscdp_msg *msg)
{
    ctlq_unlink(m, c);
    viewer *v = c->v;
    int ok = msg != NULL ? strcasecmp(msg->result, "OK") == 0 || msg->result[0] == '\0'
                         : code >= 200 && code < 300;
    if (v != NULL) {
        v->q = NULL;
        if (ok) {
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "device_gb_id", c->device, "gb_id", c->channel,
                                  "cmd", c->command, "result", msg != NULL ? "OK" : "accepted");
            if (msg != NULL && strcmp(c->command, "status") == 0) {
                char *text = jg_vdevcmd_status_json(msg);
                json_object_set_new(o, "status", json_loads(text, 0, NULL));
                free(text);
            }
            viewer_json(v, 200, o);
        } else if (msg == NULL && code == 408) {
            viewer_error(v, 504, "timeout", "设备未响应");
        } else {
            viewer_error(v, 502, "device_refused", msg != NULL ? "设备执行命令失败" : "设备拒绝了命令");
        }
        viewer_free(v);
    }
    jg_info("video: %s to %s/%s answered %d%s%s", c->command, c->device, c->channel, code,
            msg != NULL ? " with Result " : "", msg != NULL ? msg->result : "");
    free(c);
}

void jg_vmedia_response(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *msg)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return;
    ctlq *c = m->queries;
    while (c != NULL && !(c->kind == CTL_CMD && c->sn == msg->sn && strcmp(c->device, d->gb_id) == 0))
        c = c->next;
    if (c != NULL)
        cmd_answer(m, c, 200, msg);
}

static void records_answer(jg_vmedia *m, ctlq *c, int complete)
{
    if (c->kind == CTL_PTZ) {
        ptz_answer(m, c, 408);
        return;
    }
    if (c->kind == CTL_CMD) {
        cmd_answer(m, c, c->acked ? 200 : 408, NULL);
        return;
    }
    ctlq_unlink(m, c);
    viewer *v = c->v;
    if (v != NULL) {
        v->q = NULL;
        if (c->replies == 0) {
            viewer_error(v, 504, "timeout", "设备未响应录像查询");
        } else {
            if (c->nrecs > 1)
                qsort(c->recs, (size_t)c->nrecs, sizeof(*c->recs), cmp_record);
            json_t *items = json_array();
            for (int i = 0; i < c->nrecs; i++) {
                const jg_manscdp_record *r = &c->recs[i];
                json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "gb_id", r->device_id,
                                      "name", r->name, "file_path", r->file_path, "address", r->address,
                                      "start_time", r->start_time, "end_time", r->end_time, "secrecy",
                                      r->secrecy, "type", r->type, "recorder_id", r->recorder_id);
                json_object_set_new(o, "file_size",
                                    r->file_size >= 0 ? json_integer(r->file_size) : json_null());
                json_array_append_new(items, o);
            }
            viewer_json(v, 200,
                        json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:o}", "device_gb_id", c->device, "gb_id",
                                  c->channel, "start", c->start, "end", c->end, "sum_num",
                                  (json_int_t)(c->sum >= 0 ? c->sum : c->nrecs), "complete", complete,
                                  "items", items));
        }
        viewer_free(v);
    }
    jg_info("video: record query of %s/%s: %d of %lld records, %s", c->device, c->channel, c->got,
            (long long)c->sum, complete ? "complete" : "timed out");
    free(c->recs);
    free(c);
}

void jg_vmedia_request_done(jg_vsvc *svc, const char *gb_id, int64_t sn, int code)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return;
    ctlq *c = m->queries;
    while (c != NULL && !(c->sn == sn && strcmp(c->device, gb_id) == 0))
        c = c->next;
    if (c == NULL)
        return;
    if (c->kind == CTL_PTZ) {
        ptz_answer(m, c, code);
    } else if (c->kind == CTL_CMD) {
        if (code >= 300 || !c->want_result) {
            cmd_answer(m, c, code, NULL);
        } else if (code >= 200) {
            c->acked = 1; /* the <Response> with the result follows */
            c->deadline_us = now_us(m) + CMD_RESULT_US;
        }
    } else if (code >= 300 && c->replies == 0) {
        /* the device refused the query: no records will come */
        ctlq_unlink(m, c);
        if (c->v != NULL) {
            c->v->q = NULL;
            viewer_error(c->v, 502, "device_refused", "设备拒绝了录像查询");
            viewer_free(c->v);
        }
        free(c->recs);
        free(c);
    }
}

void jg_vmedia_records(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *msg)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return;
    ctlq *c = m->queries;
    while (c != NULL && !(c->kind == CTL_RECORDS && c->sn == msg->sn && strcmp(c->device, d->gb_id) == 0))
        c = c->next;
    if (c == NULL) {
        jg_debug("video: RecordInfo from %s with SN %lld answers no query", d->gb_id, (long long)msg->sn);
        return;
    }
    c->replies++;
    if (msg->sum_num >= 0)
        c->sum = msg->sum_num;
    c->got += msg->record_total;
    for (int i = 0; i < msg->record_count && c->nrecs < RECORDS_MAX; i++) {
        if (c->nrecs == c->cap) {
            c->cap = c->cap != 0 ? c->cap * 2 : 64;
            c->recs = jg_xrealloc(c->recs, (size_t)c->cap * sizeof(*c->recs));
        }
        c->recs[c->nrecs++] = msg->records[i];
    }
    if (c->sum >= 0 && c->got >= c->sum)
        records_answer(m, c, 1);
}

/* A playback ended by the device (MediaStatus 121): BYE now, or once a download's RTP in flight is read. */
static void playback_ended(jg_vmedia *m, jg_vstream *s)
{
    s->ended = 1;
    if (s->download_speed > 0) { /* sent faster than real time: packets may still be queued behind it */
        if (s->drain_us == 0)
            s->drain_us = now_us(m) + DRAIN_US;
        return;
    }
    jg_info("video: playback %s reached its end (MediaStatus 121): BYE", s->key);
    stream_free(m, s, 1);
}

void jg_vmedia_media_status(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *msg, const jg_vdialog *dl)
{
    jg_vmedia *m = svc->media;
    if (m == NULL || msg->notify_type != 121)
        return;
    if (dl != NULL) { /* in the playback's dialog (its Call-ID): that playback alone */
        if (dl->stream != NULL && dl->stream->playback && strcmp(dl->device, d->gb_id) == 0)
            playback_ended(m, dl->stream);
        return;
    }
    /* Outside a dialog: every playback of the channel it names (or of the device) ends. */
    if (m->streams.count == 0)
        return;
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    size_t n = (size_t)(p - all);
    for (size_t i = 0; i < n; i++) {
        jg_vstream *s = all[i];
        if (s->playback && strcmp(s->device, d->gb_id) == 0 &&
            (strcmp(msg->device_id, s->channel) == 0 || strcmp(msg->device_id, d->gb_id) == 0))
            playback_ended(m, s);
    }
    free(all);
}

/* A control request waiting on the media node for the device (v in state V_CTL). */
static ctlq *ctlq_new(jg_vmedia *m, viewer *v, int kind, const jg_vdev *d, const char *channel, int64_t sn,
                      int64_t timeout_us)
{
    ctlq *c = jg_xcalloc(1, sizeof(*c));
    c->kind = kind;
    c->v = v;
    snprintf(c->device, sizeof(c->device), "%s", d->gb_id);
    snprintf(c->channel, sizeof(c->channel), "%s", channel);
    c->sn = sn;
    c->sum = -1;
    c->deadline_us = now_us(m) + timeout_us;
    c->next = m->queries;
    m->queries = c;
    v->q = c;
    v->state = V_CTL;
    return c;
}

static void ctl_ptz(jg_vmedia *m, viewer *v, jg_vdev *d, const char *channel, const char *q)
{
    char command[24] = "", ptz[JG_PTZ_HEX_LEN + 1];
    int64_t speed = 0, zoom = 0, preset = 0;
    query_param(q, "command", command, sizeof(command));
    param_int(q, "speed", 0, 255, &speed);
    param_int(q, "zoom", 0, 15, &zoom);
    param_int(q, "preset", 0, 255, &preset);
    if (jg_ptz_build(command, (int)speed, (int)zoom, (int)preset, ptz) != JG_OK) {
        viewer_error(v, 400, "invalid", "云台命令无效");
        return;
    }
    jg_vsvc *svc = m->svc;
    int64_t sn = ++svc->sn;
    jg_buf body;
    jg_buf_init(&body, 4096);
    jg_manscdp_ptz(&body, sn, channel, ptz);
    jg_rc rc = jg_vsvc_request(svc, d, channel, "DeviceControl", sn, body.data, body.len, 1);
    jg_buf_free(&body);
    if (rc != JG_OK) {
        viewer_error(v, 503, "unavailable", "无法向设备发送云台命令");
        return;
    }
    jg_info("video: PTZ %s (%s) to %s/%s", command, ptz, d->gb_id, channel);
    /* Answered when the device's 200 arrives (jg_vmedia_request_done), or 504 at the deadline. */
    ctlq *c = ctlq_new(m, v, CTL_PTZ, d, channel, sn, PTZ_TIMEOUT_US);
    snprintf(c->command, sizeof(c->command), "%s", command);
    snprintf(c->ptz, sizeof(c->ptz), "%s", ptz);
}

/* /ctl/cmd?cmd=: DeviceControl (reboot to the device, the others to a channel) or "status"
 * (DeviceStatus); answered when the device's <Response> (or, for reboot, its 200) arrives. */
static void ctl_cmd(jg_vmedia *m, viewer *v, jg_vdev *d, const char *channel, const char *q)
{
    char cmd[24] = "";
    query_param(q, "cmd", cmd, sizeof(cmd));
    int64_t sn = -1;
    int want = 0;
    int code = jg_vdevcmd_send(m->svc, d, channel, cmd, &sn, &want);
    if (code != 0) {
        viewer_error(v, code, code == 400 ? "invalid" : "unavailable",
                     code == 400 ? "控制命令无效" : "无法向设备发送命令");
        return;
    }
    ctlq *c = ctlq_new(m, v, CTL_CMD, d, channel, sn, PTZ_TIMEOUT_US);
    snprintf(c->command, sizeof(c->command), "%s", cmd);
    c->want_result = want;
}

static void ctl_records(jg_vmedia *m, viewer *v, jg_vdev *d, const char *channel, const char *q)
{
    char start[24] = "", end[24] = "";
    query_param(q, "start", start, sizeof(start));
    query_param(q, "end", end, sizeof(end));
    if (!jg_manscdp_time_valid(start) || !jg_manscdp_time_valid(end) || strcmp(start, end) >= 0) {
        viewer_error(v, 400, "invalid", "查询时间段无效");
        return;
    }
    jg_vsvc *svc = m->svc;
    int64_t sn = ++svc->sn;
    jg_buf body;
    jg_buf_init(&body, 4096);
    jg_manscdp_record_query(&body, sn, channel, start, end);
    jg_rc rc = jg_vsvc_request(svc, d, channel, "RecordInfo", sn, body.data, body.len, 1);
    jg_buf_free(&body);
    if (rc != JG_OK) {
        viewer_error(v, 503, "unavailable", "无法向设备发送录像查询");
        return;
    }
    ctlq *c = ctlq_new(m, v, CTL_RECORDS, d, channel, sn, RECORDS_TIMEOUT_US);
    snprintf(c->start, sizeof(c->start), "%s", start);
    snprintf(c->end, sizeof(c->end), "%s", end);
}

/* A MANSRTSP request sent in s's dialog: a PAUSE stops the RTP timeout, anything else (PLAY) starts
 * it afresh. */
static void playback_paused(jg_vstream *s, int paused)
{
    if (s->paused && !paused)
        s->last_rtp_us = now_us(s->m);
    s->paused = paused;
}

static void ctl_playback(jg_vmedia *m, viewer *v, const char *device, const char *channel, const char *q)
{
    int64_t start = 0, end = 0;
    char action[16] = "", value[24] = "";
    query_param(q, "action", action, sizeof(action));
    query_param(q, "value", value, sizeof(value));
    if (!param_int(q, "start", 0, INT64_MAX / 4, &start) || !param_int(q, "end", 0, INT64_MAX / 4, &end)) {
        viewer_error(v, 400, "invalid", "回放时间段无效");
        return;
    }
    long long range[2] = {start, end};
    jg_vstream *s = find_stream(m, device, channel, range);
    if (s == NULL || s->dl == NULL || s->state != ST_PLAYING) {
        viewer_error(v, 404, "not_found", "没有正在进行的回放");
        return;
    }
    jg_rtsp_op op;
    double x = 0;
    if (strcmp(action, "pause") == 0)
        op = JG_RTSP_PAUSE;
    else if (strcmp(action, "resume") == 0)
        op = JG_RTSP_RESUME;
    else if (strcmp(action, "seek") == 0)
        op = JG_RTSP_SEEK;
    else if (strcmp(action, "speed") == 0)
        op = JG_RTSP_SPEED;
    else {
        viewer_error(v, 400, "invalid", "回放控制命令无效");
        return;
    }
    if (op == JG_RTSP_SEEK || op == JG_RTSP_SPEED) {
        char *e = NULL;
        x = strtod(value, &e);
        if (e == value || *e != '\0') {
            viewer_error(v, 400, "invalid", "回放控制参数无效");
            return;
        }
    }
    char body[256];
    if (jg_mansrtsp_build(op, s->dl->cseq + 1, x, body, sizeof(body)) == 0) {
        viewer_error(v, 400, "invalid", "回放控制参数无效");
        return;
    }
    if (jg_vinvite_info(m->svc, s->dl, body) != JG_OK) {
        viewer_error(v, 409, "conflict", "回放尚未建立");
        return;
    }
    playback_paused(s, op == JG_RTSP_PAUSE);
    jg_info("video: playback %s: %s %s", s->key, action, value);
    viewer_json(v, 200, json_pack("{s:s, s:s, s:s}", "stream", s->key, "action", action, "value", value));
}

static void node_control(jg_vmedia *m, viewer *v, const char *target, const char *q);

static void on_control(jg_vmedia *m, viewer *v, const char *target)
{
    if (!jg_ctl_check(m->ctl_key, target, (long long)time(NULL))) {
        viewer_error(v, 403, "forbidden", "控制请求未签名或已过期");
        return;
    }
    const char *qm = strchr(target, '?');
    const char *q = qm != NULL ? qm + 1 : "";
    if (strncmp(target, "/ctl/node/", 10) == 0 || strncmp(target, "/ctl/place?", 11) == 0) {
        node_control(m, v, target, q); /* media nodes (nodes.c) */
        return;
    }
    char device[32] = "", channel[32] = "";
    query_param(q, "device", device, sizeof(device));
    query_param(q, "channel", channel, sizeof(channel));
    if (!jg_gbid_valid(device) || !jg_gbid_valid(channel)) {
        viewer_error(v, 400, "invalid", "设备或通道编号无效");
        return;
    }
    if (strncmp(target, "/ctl/playback?", 14) == 0) {
        ctl_playback(m, v, device, channel, q);
        return;
    }
    static const struct {
        const char *prefix;
        int (*fn)(jg_vdownload *, const char *, const char *, const char *, json_t **);
    } download_ctl[] = {{"/ctl/download?", jg_vdownload_ctl_start},
                        {"/ctl/download_status?", jg_vdownload_ctl_status},
                        {"/ctl/download_cancel?", jg_vdownload_ctl_cancel}};
    for (size_t i = 0; i < sizeof(download_ctl) / sizeof(download_ctl[0]); i++)
        if (strncmp(target, download_ctl[i].prefix, strlen(download_ctl[i].prefix)) == 0) {
            json_t *answer = NULL;
            int status = download_ctl[i].fn(m->download, device, channel, q, &answer);
            viewer_json(v, status, answer);
            return;
        }
    jg_vdev *d = jg_vsvc_device(m->svc, device);
    if (d == NULL || !d->registered || !d->online) {
        viewer_error(v, 404, "not_found", "设备不在线");
        return;
    }
    if (strncmp(target, "/ctl/ptz?", 9) == 0)
        ctl_ptz(m, v, d, channel, q);
    else if (strncmp(target, "/ctl/records?", 13) == 0)
        ctl_records(m, v, d, channel, q);
    else if (strncmp(target, "/ctl/cmd?", 9) == 0)
        ctl_cmd(m, v, d, channel, q);
    else
        viewer_error(v, 404, "not_found", "没有这个地址");
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
    if (strncmp(path, "/ctl/", 5) == 0) {
        on_control(m, v, path);
        return;
    }
    if (strncmp(path, "/record/", 8) == 0) {
        record_request(m, v, path);
        return;
    }
    if (strncmp(path, "/download/", 10) == 0) {
        download_request(m, v, path);
        return;
    }
    char device[32] = "", channel[32] = "", exp_text[24] = "", sig[80] = "";
    const char *q = NULL;
    int playback = strncmp(path, "/playback/", 10) == 0;
    uint64_t seq = 0;
    int hls = playback ? 0 : hls_path(path, device, channel, &seq, &q);
    if (!hls && !flv_path(path, playback ? "/playback/" : "/live/", device, channel, &q)) {
        viewer_error(v, 404, "not_found", "没有这个地址");
        return;
    }
    int64_t exp = 0, start = 0, end = 0;
    int ok = query_param(q, "exp", exp_text, sizeof(exp_text)) && query_param(q, "sig", sig, sizeof(sig)) &&
             jg_parse_int64(exp_text, 0, INT64_MAX / 2, &exp) == JG_OK;
    if (ok && playback)
        ok = param_int(q, "start", 0, INT64_MAX / 4, &start) && param_int(q, "end", 0, INT64_MAX / 4, &end) &&
             start < end &&
             jg_playurl_check(m->url_key, device, channel, start, end, (long long)exp, sig,
                              (long long)time(NULL));
    else if (ok)
        ok = jg_liveurl_check(m->url_key, device, channel, (long long)exp, sig, (long long)time(NULL));
    if (!ok) {
        viewer_error(v, 403, "forbidden", "播放地址无效或已过期");
        return;
    }
    int up = jg_ws_upgrade(req, v->ws_accept);
    if (up < 0 || (up > 0 && hls)) {
        viewer_error(v, 400, "bad_request", "WebSocket 握手请求无效");
        return;
    }
    v->ws = up; /* WebSocket-FLV: upgraded when the stream starts */
    if (hls) {
        hls_request(m, v, device, channel, hls, seq, q);
        return;
    }
    long long range[2] = {start, end};
    join_stream(m, v, device, channel, playback ? range : NULL, q, V_LIVE);
}

/* WebSocket-FLV: frames from the player. Ping: pong; close: close and drop; data: ignored. */
static void ws_input(viewer *v, const char *p, size_t n)
{
    if (jg_buf_append(&v->in, p, n) != JG_OK) {
        ws_close(v, 1009, "too big");
        return;
    }
    for (;;) {
        jg_ws_frame f;
        long r = jg_ws_parse((uint8_t *)v->in.data, v->in.len, JG_WS_CLIENT_MAX, &f);
        if (r < 0) {
            ws_close(v, (int)-r, r == -1009 ? "too big" : "protocol error");
            return;
        }
        if (r == 0)
            return;
        if (f.opcode == JG_WS_PING)
            ws_control(v, JG_WS_PONG, f.payload, f.len);
        else if (f.opcode == JG_WS_CLOSE) {
            int code = f.len >= 2 ? (f.payload[0] << 8) | f.payload[1] : 1000;
            ws_close(v, code == 1005 || code == 1006 || code < 1000 || code >= 5000 ? 1000 : code, "");
            return;
        }
        memmove(v->in.data, v->in.data + r, v->in.len - (size_t)r);
        v->in.len -= (size_t)r;
        v->in.data[v->in.len] = '\0';
    }
}

static void on_viewer(jg_vmh *h, uint32_t events)
{
    viewer *v = (viewer *)h;
    jg_vmedia *m = v->m;
    if (events & EPOLLOUT) {
        viewer_flush(v);
        if (v->state == V_FILE)
            file_pump(v);
        if (v->state == V_DONE && v->out.len == 0 && !v->dead) {
            shutdown(v->h.fd, SHUT_WR);
            v->dead = 1;
        }
    }
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
            if (v->ws == 2) {
                ws_input(v, chunk, (size_t)n);
                if (v->dead)
                    break;
                continue;
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
        v->file_fd = -1;
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
    m->record = jg_vrole(svc->cfg) == JG_VROLE_MEDIA ? NULL : jg_vrecord_new(svc); /* no recording on nodes */
    m->download = jg_vdownload_new(svc);
    if (svc->have_field_key) {
        jg_liveurl_key(svc->field_key, m->url_key);
        jg_ctl_key(svc->field_key, m->ctl_key);
    } else if (jg_crypto_random(m->url_key, sizeof(m->url_key)) != JG_OK ||
               jg_crypto_random(m->ctl_key, sizeof(m->ctl_key)) != JG_OK) {
        return JG_ERR; /* nobody can sign for this process: live URLs and control requests are refused */
    }
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

void jg_vmedia_tick(jg_vsvc *svc)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return;
    bury(m);
    if (m->record != NULL)
        jg_vrecord_tick(m->record);
    if (m->download != NULL)
        jg_vdownload_tick(m->download);
    int64_t now = now_us(m);
    for (viewer *v = m->reading, *next; v != NULL; v = next) {
        next = v->next;
        if (v->state != V_CTL && now - v->since_us > REQ_TIMEOUT_US)
            viewer_free(v);
    }
    for (ctlq *c = m->queries, *next; c != NULL; c = next) {
        next = c->next;
        if (now >= c->deadline_us || (c->v == NULL && c->replies == 0))
            records_answer(m, c, 0);
    }
    if (m->streams.count == 0)
        return;
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    size_t n = (size_t)(p - all);
    int64_t idle = svc->cfg->video_live_idle_s * 1000000LL;
    for (size_t i = 0; i < n; i++) {
        jg_vstream *s = all[i];
        if (s->node[0] != '\0')
            continue; /* a proxy: its media node tells when it ends */
        if (s->drain_us != 0 && now >= s->drain_us) {
            jg_info("video: download %s reached its end (MediaStatus 121): BYE", s->key);
            stream_free(m, s, 1);
        } else if (s->connect_until_us != 0 && now >= s->connect_until_us) {
            jg_warn("video: stream %s: TCP active connect to the device at %s timed out after %lld s; "
                    "ending the stream",
                    s->key, s->peer, RTP_CONNECT_TIMEOUT_US / 1000000);
            stream_free(m, s, 1);
        } else if (s->state == ST_PLAYING && !s->paused &&
                   now - s->last_rtp_us > svc->cfg->video_rtp_timeout_s * 1000000LL) {
            jg_warn("video: no RTP for %s in %ld s; ending the stream", s->key,
                    svc->cfg->video_rtp_timeout_s);
            stream_free(m, s, 1);
        } else if (s->nviewers == 0 && s->rec == NULL && s->relay == NULL && s->dlj == NULL &&
                   s->idle_since_us != 0 && now - s->idle_since_us >= idle &&
                   !(s->hls_on && now - s->hls_seen_us < 3 * svc->cfg->video_hls_segment_s * 1000000LL)) {
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
    jg_vrecord_free(m->record);
    m->record = NULL;
    jg_vdownload_free(m->download);
    m->download = NULL;
    while (m->queries != NULL)
        records_answer(m, m->queries, 0);
    while (m->reading != NULL)
        viewer_free(m->reading);
    close_handle(m, &m->listen);
    bury(m);
    jg_vtab_free(&m->streams);
    free(m);
    svc->media = NULL;
}

/* ---- streams held open without a viewer: relays (cascade.c) and recordings (record.c) ---- */

/* The stream of device/channel, opened over tcp (JG_RTP_* or RTP_AUTO) when none runs; NULL when it
 * cannot be. */
static jg_vstream *held_stream(jg_vsvc *svc, const char *device, const char *channel, int tcp)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return NULL;
    jg_vstream *s = find_stream(m, device, channel, NULL);
    if (s == NULL) {
        int status = 0;
        const char *message = "";
        s = stream_open(m, device, channel, tcp, NULL, &status, &message);
    }
    return s != NULL && !s->gone && s->node[0] == '\0' ? s : NULL; /* not a proxy (nodes.c) */
}

/* A hold on s ended: the idle countdown starts when no viewer is left either. */
static void hold_released(jg_vstream *s)
{
    if (s->nviewers == 0)
        s->idle_since_us = now_us(s->m);
}

jg_vstream *jg_vmedia_relay_open(jg_vsvc *svc, const char *device, const char *channel, void *relay)
{
    jg_vstream *s = held_stream(svc, device, channel, RTP_AUTO);
    if (s == NULL || s->relay != NULL)
        return NULL;
    s->relay = relay;
    s->idle_since_us = 0;
    return s;
}

void jg_vmedia_relay_close(jg_vsvc *svc, jg_vstream *s)
{
    (void)svc;
    s->relay = NULL;
    hold_released(s);
}

jg_vstream *jg_vmedia_relay_playback_open(jg_vsvc *svc, const char *device, const char *channel,
                                          long long start, long long end, void *relay)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return NULL;
    long long range[2] = {start, end};
    jg_vstream *s = find_stream(m, device, channel, range);
    if (s == NULL) {
        int status = 0;
        const char *message = "";
        s = stream_open(m, device, channel, RTP_AUTO, range, &status, &message);
    }
    if (s == NULL || s->gone || s->node[0] != '\0' || s->relay != NULL)
        return NULL;
    s->relay = relay;
    s->idle_since_us = 0;
    return s;
}

jg_vstream *jg_vmedia_relay_download_open(jg_vsvc *svc, const char *device, const char *channel,
                                          long long start, long long end, int speed, void *relay)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return NULL;
    char id[24]; /* the stream's key: DEVICE/CHANNEL/dl-upN, one per upper download */
    snprintf(id, sizeof(id), "up%llx", (unsigned long long)++svc->serial);
    long long range[2] = {start, end};
    int status = 0;
    const char *message = "";
    jg_vstream *s = stream_open_ex(m, device, channel, RTP_AUTO, range, speed, id, &status, &message);
    if (s == NULL || s->gone || s->node[0] != '\0')
        return NULL;
    s->relay = relay;
    s->idle_since_us = 0;
    return s;
}

jg_rc jg_vmedia_relay_info(jg_vsvc *svc, jg_vstream *s, const char *mansrtsp)
{
    if (s->dl == NULL || !s->playback)
        return JG_CONFLICT;
    jg_rc rc = jg_vinvite_info(svc, s->dl, mansrtsp);
    if (rc == JG_OK)
        playback_paused(s, strncmp(mansrtsp, "PAUSE ", 6) == 0);
    return rc;
}

jg_vrecord *jg_vmedia_recorder(jg_vsvc *svc)
{
    return svc->media != NULL ? svc->media->record : NULL;
}

jg_vstream *jg_vmedia_record_open(jg_vsvc *svc, const char *device, const char *channel, void *rec)
{
    jg_vstream *s = held_stream(svc, device, channel, RTP_AUTO);
    if (s == NULL || s->rec != NULL)
        return NULL;
    s->rec = rec;
    return s;
}

void jg_vmedia_record_close(jg_vsvc *svc, jg_vstream *s)
{
    (void)svc;
    s->rec = NULL;
    hold_released(s);
}

/* ---- downloads (download.c) ---- */

jg_vdownload *jg_vmedia_downloads(jg_vsvc *svc)
{
    return svc->media != NULL ? svc->media->download : NULL;
}

void jg_vmedia_download_close(jg_vsvc *svc, jg_vstream *s)
{
    s->dlj = NULL;
    jg_info("video: download stream %s cancelled: BYE", s->key);
    stream_free(svc->media, s, 1);
}

jg_vstream *jg_vmedia_download_open(jg_vsvc *svc, const char *device, const char *channel, long long start,
                                    long long end, int speed, const char *id, void *job, int *status,
                                    const char **message)
{
    jg_vmedia *m = svc->media;
    long long range[2] = {start, end};
    jg_vstream *s = stream_open_ex(m, device, channel, RTP_AUTO, range, speed, id, status, message);
    if (s == NULL)
        return NULL;
    s->dlj = job;
    return s;
}

/* ---- media nodes (nodes.c): proxies on the signalling service, remote streams on a node ----
 *
 * Signalling (roles all and signal): a node's INVITE request makes a proxy stream here, keyed as
 * a local stream would be (so a channel has one stream wherever it runs, a playback one per
 * range): it holds the dialog (INVITE, playback INFO, MediaStatus 121, BYE) but no socket; its RTP
 * goes to the node. Media role: a viewer's first request opens the RTP receiver here and asks the
 * signalling service for the INVITE (with the range of a playback). A proxy that ends (BYE from
 * the device, MediaStatus 121) is no longer listed in the node's heartbeat answer: the node ends
 * its stream, and its viewers get the end of the FLV. */

static jg_vstream *node_stream_open(jg_vmedia *m, const char *device, const char *channel, int tcp,
                                    const long long *range, int *status, const char **message)
{
    jg_vsvc *svc = m->svc;
    if (tcp == JG_RTP_TCP_ACTIVE) { /* the node would need the device's answered address: not carried */
        jg_info("video: %s/%s: TCP active is not available on a media node; asking for TCP passive", device,
                channel);
        tcp = JG_RTP_TCP_PASSIVE;
    }
    int seq = 0;
    if (jg_ssrc_pool_take(&svc->ssrc_pool, 0, &seq) != JG_OK) {
        *status = 503;
        *message = "媒体节点的流已满";
        return NULL;
    }
    jg_vstream *s = stream_new(m, device, channel, tcp, seq);
    s->remote = 1;
    s->token = ++svc->serial;
    s->opened_us = now_us(m);
    stream_key(s, range); /* a playback keyed by its range, as a local one */
    jg_vtab_put(&m->streams, s->key, s);
    int port = open_rtp(m, s);
    if (port < 0) {
        stream_free(m, s, 0);
        *status = 503;
        *message = "无法打开接收端口";
        return NULL;
    }
    char ip[64];
    jg_vnodes_rtp_ip(svc, ip, sizeof(ip));
    jg_vnodes_invite(svc, s->key, s->token, device, channel, range, ip, port, tcp, s->ssrc_text);
    s->state = ST_INVITING;
    return s;
}

void jg_vmedia_node_result(jg_vsvc *svc, const char *key, uint64_t token, int status, const char *ssrc)
{
    jg_vmedia *m = svc->media;
    jg_vstream *s = m != NULL ? jg_vtab_get(&m->streams, key) : NULL;
    if (s == NULL || s->gone || s->token != token || s->state != ST_INVITING)
        return;
    if (status != 200) {
        jg_info("video: the signalling service did not open %s (%d)", key, status);
        stream_free(m, s, 0);
        return;
    }
    jg_sdp_answer a;
    memset(&a, 0, sizeof(a));
    snprintf(a.ssrc, sizeof(a.ssrc), "%s", ssrc != NULL ? ssrc : "");
    snprintf(a.ip, sizeof(a.ip), "the device");
    jg_vmedia_answered(svc, s, &a);
}

static void proxy_answered(jg_vsvc *svc, jg_vstream *s, const jg_sdp_answer *a)
{
    (void)svc;
    s->state = ST_PLAYING;
    const char *ssrc = a->ssrc[0] != '\0' ? a->ssrc : s->ssrc_text;
    jg_info("video: stream %s playing on media node %s (SSRC %s, %s from %s:%d)", s->key, s->node, ssrc,
            s->tcp ? "TCP passive" : "UDP", a->ip, a->port);
    viewer *v = s->node_req;
    if (v != NULL) {
        s->node_req = NULL;
        v->proxy = NULL;
        viewer_json(v, 200, json_pack("{s:s, s:s, s:s}", "stream", s->key, "node", s->node, "ssrc", ssrc));
        viewer_free(v);
    }
}

/* Signalling: the node's request to INVITE device/channel (range: s=Playback, else NULL) to ip:port
 * with ssrc (v waits for it). */
static void proxy_open(jg_vmedia *m, viewer *v, const char *node, const char *device, const char *channel,
                       const long long *range, const char *ip, int port, int tcp, const char *ssrc)
{
    jg_vsvc *svc = m->svc;
    jg_vstream *s = jg_xcalloc(1, sizeof(*s));
    s->m = m;
    s->ssrc_seq = -1; /* the node's SSRC: nothing taken from this process's pool */
    s->rtp.fd = s->rtp_conn.fd = -1;
    s->opened_us = now_us(m);
    snprintf(s->device, sizeof(s->device), "%s", device);
    snprintf(s->channel, sizeof(s->channel), "%s", channel);
    stream_key(s, range); /* a playback keyed by its range, as a local one */
    snprintf(s->node, sizeof(s->node), "%s", node);
    snprintf(s->ssrc_text, sizeof(s->ssrc_text), "%s", ssrc);
    int hist = 0, sseq = 0;
    jg_ssrc_parse(s->ssrc_text, &s->ssrc, &hist, &sseq);
    s->tcp = tcp;
    jg_vtab_put(&m->streams, s->key, s);
    char sdp[1024];
    jg_sdp_offer o;
    memset(&o, 0, sizeof(o));
    o.session = s->playback ? "Playback" : "Play";
    o.origin_id = svc->cfg->video_sip_id;
    o.ip = ip;
    o.port = port;
    o.tcp = tcp;
    o.ssrc = s->ssrc_text;
    if (s->playback) {
        o.uri_channel = channel;
        o.start = s->start;
        o.end = s->end;
    }
    if (jg_sdp_offer_build(&o, sdp, sizeof(sdp)) == 0 ||
        (s->dl = jg_vinvite_start(svc, device, channel, s->ssrc_text, sdp, s)) == NULL) {
        stream_free(m, s, 0);
        viewer_error(v, 503, "unavailable", "无法向设备发起点播");
        return;
    }
    s->state = ST_INVITING;
    jg_vnodes_placed(svc, device, channel, range);
    s->node_req = v;
    v->proxy = s;
    v->state = V_CTL;
    jg_info("video: stream %s placed on media node %s (RTP to %s:%d, SSRC %s)", s->key, node, ip, port,
            s->ssrc_text);
}

static int node_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > JG_VNODE_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_';
        if (!ok)
            return 0;
    }
    return 1;
}

static double param_double(const char *q, const char *name)
{
    char t[32] = "";
    query_param(q, name, t, sizeof(t));
    char *e = NULL;
    double x = strtod(t, &e);
    return e != t && *e == '\0' && x >= 0 && x < 1e15 ? x : 0;
}

/* GET /ctl/place, /ctl/node/{beat,invite,bye,open} (signed like every control request). */
static void node_control(jg_vmedia *m, viewer *v, const char *target, const char *q)
{
    jg_vsvc *svc = m->svc;
    int role = jg_vrole(svc->cfg);
    char node[JG_VNODE_ID_MAX + 8] = "", device[32] = "", channel[32] = "";
    query_param(q, "node", node, sizeof(node));
    query_param(q, "device", device, sizeof(device));
    query_param(q, "channel", channel, sizeof(channel));
    int no_channel =
        strncmp(target, "/ctl/node/beat?", 15) == 0 || strncmp(target, "/ctl/node/leave?", 16) == 0;
    /* a playback's range (/ctl/place, /ctl/node/invite and bye): start and end, or neither */
    int64_t start = 0, end = 0;
    char t[24];
    long long range[2] = {0, 0};
    const long long *rp = NULL;
    if (query_param(q, "start", t, sizeof(t)) || query_param(q, "end", t, sizeof(t))) {
        if (!param_int(q, "start", 0, INT64_MAX / 4, &start) ||
            !param_int(q, "end", 0, INT64_MAX / 4, &end) || start >= end) {
            viewer_error(v, 400, "invalid", "回放时间段无效");
            return;
        }
        range[0] = start;
        range[1] = end;
        rp = range;
    }
    if (strncmp(target, "/ctl/node/list?", 15) == 0) {
        if (role == JG_VROLE_MEDIA)
            viewer_error(v, 404, "not_found", "这是媒体节点，不是信令服务");
        else
            viewer_json(v, 200, jg_vnodes_json(svc));
        return;
    }
    if (!no_channel && (!jg_gbid_valid(device) || !jg_gbid_valid(channel))) {
        viewer_error(v, 400, "invalid", "设备或通道编号无效");
        return;
    }
    if (strncmp(target, "/ctl/node/open?", 15) == 0) {
        if (role != JG_VROLE_MEDIA) {
            viewer_error(v, 404, "not_found", "没有这个地址");
            return;
        }
        char transport[8] = "";
        query_param(q, "tcp", transport, sizeof(transport));
        if (!jg_vmedia_open_held(svc, device, channel, strcmp(transport, "1") == 0)) {
            viewer_error(v, 503, "unavailable", "无法打开视频流");
            return;
        }
        viewer_json(v, 200, json_pack("{s:s, s:s}", "device_gb_id", device, "gb_id", channel));
        return;
    }
    if (role == JG_VROLE_MEDIA) {
        viewer_error(v, 404, "not_found", "这是媒体节点，不是信令服务");
        return;
    }
    if (strncmp(target, "/ctl/place?", 11) == 0) {
        char url[JG_VNODE_URL_MAX + 1], id[JG_VNODE_ID_MAX + 1];
        if (!jg_vnodes_place(svc, device, channel, rp, url, sizeof(url), id, sizeof(id))) {
            viewer_error(v, 503, "unavailable", "没有可用的媒体节点");
            return;
        }
        viewer_json(v, 200, json_pack("{s:s, s:s}", "url", url, "node", id));
        return;
    }
    if (!node_id_ok(node)) {
        viewer_error(v, 400, "invalid", "媒体节点编号无效");
        return;
    }
    if (strncmp(target, "/ctl/node/beat?", 15) == 0) {
        char url[JG_VNODE_URL_MAX + 8] = "", ip[64] = "", boot[24] = "";
        query_param(q, "url", url, sizeof(url));
        query_param(q, "boot", boot, sizeof(boot));
        query_param(q, "ip", ip, sizeof(ip));
        int64_t streams = 0, viewers = 0;
        param_int(q, "streams", 0, 1000000, &streams);
        param_int(q, "viewers", 0, 100000000, &viewers);
        const char *message = "";
        if (!jg_vnodes_beat(svc, node, boot, url, ip, (long)streams, (long)viewers, param_double(q, "bps"),
                            param_double(q, "cpu"), &message)) {
            viewer_error(v, 400, "invalid", message);
            return;
        }
        json_t *keys = json_array(), *paused = json_array();
        if (m->streams.count > 0) {
            jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
            jg_vtab_each(&m->streams, collect_stream, &p);
            for (jg_vstream **x = all; x < p; x++) {
                if (strcmp((*x)->node, node) != 0)
                    continue;
                json_array_append_new(keys, json_string((*x)->key));
                if ((*x)->paused) /* the node's stream gets no RTP either: no timeout for it */
                    json_array_append_new(paused, json_string((*x)->key));
            }
            free(all);
        }
        viewer_json(v, 200, json_pack("{s:b, s:o, s:o}", "ok", 1, "streams", keys, "paused", paused));
        return;
    }
    jg_vstream *s = find_stream(m, device, channel, rp);
    if (strncmp(target, "/ctl/node/leave?", 16) == 0) {
        char boot[24] = "";
        query_param(q, "boot", boot, sizeof(boot));
        if (!jg_vnodes_left(svc, node, boot))
            viewer_error(v, 404, "not_found", "媒体节点未登记");
        else
            viewer_json(v, 200, json_pack("{s:b}", "ok", 1));
        return;
    }
    if (strncmp(target, "/ctl/node/bye?", 14) == 0) {
        if (s != NULL && strcmp(s->node, node) == 0) {
            jg_info("video: media node %s ended %s: BYE", node, s->key);
            stream_free(m, s, 1);
        }
        viewer_json(v, 200, json_pack("{s:b}", "ok", 1));
        return;
    }
    if (strncmp(target, "/ctl/node/invite?", 17) != 0) {
        viewer_error(v, 404, "not_found", "没有这个地址");
        return;
    }
    char ip[64] = "", ssrc[16] = "", transport[8] = "";
    int64_t port = 0;
    struct in_addr ia;
    query_param(q, "ip", ip, sizeof(ip));
    query_param(q, "ssrc", ssrc, sizeof(ssrc));
    query_param(q, "tcp", transport, sizeof(transport));
    uint32_t sv = 0;
    int hist = 0, sseq = 0;
    if (inet_pton(AF_INET, ip, &ia) != 1 || !param_int(q, "port", 1, 65535, &port) ||
        jg_ssrc_parse(ssrc, &sv, &hist, &sseq) != JG_OK) {
        viewer_error(v, 400, "invalid", "接收地址或 SSRC 无效");
        return;
    }
    if (jg_vnodes_find(svc, node) == NULL) {
        viewer_error(v, 409, "conflict", "媒体节点未登记或已失联");
        return;
    }
    jg_vdev *d = jg_vsvc_device(svc, device);
    if (d == NULL || !d->registered || !d->online) {
        viewer_error(v, 404, "not_found", "设备不在线");
        return;
    }
    if (s != NULL && strcmp(s->node, node) == 0) {
        stream_free(m, s, 1); /* the node asks again (it lost the stream): a new dialog */
    } else if (s != NULL) {
        viewer_error(v, 409, "conflict", "该通道的视频流在其他媒体节点上");
        return;
    }
    proxy_open(m, v, node, device, channel, rp, ip, (int)port, strcmp(transport, "1") == 0, ssrc);
}

void jg_vmedia_load(jg_vsvc *svc, long *streams, long *viewers, uint64_t *bytes)
{
    *streams = *viewers = 0;
    *bytes = 0;
    jg_vmedia *m = svc->media;
    if (m == NULL || m->streams.count == 0)
        return;
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    for (jg_vstream **x = all; x < p; x++) {
        if ((*x)->node[0] != '\0')
            continue;
        (*streams)++;
        *viewers += (*x)->nviewers;
        *bytes += (*x)->bytes;
    }
    free(all);
}

int jg_vmedia_node_streams(jg_vsvc *svc, const char *id)
{
    jg_vmedia *m = svc->media;
    if (m == NULL || m->streams.count == 0)
        return 0;
    int local = strcmp(id, "local") == 0, n = 0;
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    for (jg_vstream **x = all; x < p; x++)
        if (local ? (*x)->node[0] == '\0' && !(*x)->playback : strcmp((*x)->node, id) == 0)
            n++;
    free(all);
    return n;
}

const char *jg_vmedia_stream_node(jg_vsvc *svc, const char *device, const char *channel,
                                  const long long *range)
{
    jg_vstream *s = svc->media != NULL ? find_stream(svc->media, device, channel, range) : NULL;
    if (s == NULL || s->gone)
        return NULL;
    return s->node[0] != '\0' ? s->node : "local";
}

int jg_vmedia_node_lost(jg_vsvc *svc, const char *id, char (*devs)[JG_GBID_LEN + 1],
                        char (*chans)[JG_GBID_LEN + 1], int *tcp, int max)
{
    jg_vmedia *m = svc->media;
    if (m == NULL || m->streams.count == 0)
        return 0;
    int n = 0;
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    for (jg_vstream **x = all; x < p; x++) {
        jg_vstream *s = *x;
        if (strcmp(s->node, id) != 0)
            continue;
        if (!s->playback && n < max) {
            snprintf(devs[n], JG_GBID_LEN + 1, "%s", s->device);
            snprintf(chans[n], JG_GBID_LEN + 1, "%s", s->channel);
            tcp[n] = s->tcp;
            n++;
        }
        jg_info("video: media node %s is gone: BYE for %s", id, s->key);
        stream_free(m, s, 1);
    }
    free(all);
    return n;
}

int jg_vmedia_open_held(jg_vsvc *svc, const char *device, const char *channel, int tcp)
{
    jg_vmedia *m = svc->media;
    if (m == NULL)
        return 0;
    jg_vstream *s = find_stream(m, device, channel, NULL);
    if (s != NULL)
        return !s->gone;
    int status = 0;
    const char *message = "";
    s = stream_open(m, device, channel, tcp, NULL, &status, &message);
    if (s == NULL)
        return 0;
    s->idle_since_us = now_us(m); /* no viewer yet: idles out unless one comes */
    return 1;
}

/* 1 if the JSON array keys holds the text key. */
static int listed(const json_t *keys, const char *key)
{
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *k = json_string_value(json_array_get(keys, i));
        if (k != NULL && strcmp(k, key) == 0)
            return 1;
    }
    return 0;
}

void jg_vmedia_node_sync(jg_vsvc *svc, const void *keys_json, const void *paused_json)
{
    jg_vmedia *m = svc->media;
    const json_t *keys = keys_json, *paused = paused_json;
    if (m == NULL || m->streams.count == 0 || !json_is_array(keys))
        return;
    int64_t now = now_us(m);
    jg_vstream **all = jg_xmalloc(m->streams.count * sizeof(*all)), **p = all;
    jg_vtab_each(&m->streams, collect_stream, &p);
    for (jg_vstream **x = all; x < p; x++) {
        jg_vstream *s = *x;
        if (!s->remote || s->state != ST_PLAYING)
            continue;
        int pause = s->playback && listed(paused, s->key);
        if (pause != s->paused) { /* the device was told by INFO in the dialog the service holds */
            jg_info("video: playback %s %s by the signalling service", s->key, pause ? "paused" : "resumed");
            playback_paused(s, pause);
        }
        if (now - s->opened_us < 5000000LL)
            continue;
        if (!listed(keys, s->key)) {
            jg_info("video: the signalling service no longer holds %s for this node: ending it%s", s->key,
                    s->playback ? " (the playback's dialog ended)" : "");
            stream_free(m, s, 0);
        }
    }
    free(all);
}
