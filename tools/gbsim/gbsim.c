/* gbsim: simulates N GB/T 28181 devices (each an NVR with M channels) from one process, for the
 * video tests and benchmark. Each device has its own socket on its own loopback address
 * (127.0.1.1, 127.0.1.2 ... by default) or its own port, registers with digest authentication,
 * sends keepalives, and answers Catalog queries (in chunks, names in GB2312 with an unescaped
 * `&` in Address, as real devices do) and DeviceInfo queries. With --ps FILE it answers INVITEs
 * (200 with SDP, its y= echoing the platform's SSRC) and, after the ACK, streams the MPEG-PS file
 * over RTP (UDP, or TCP with RFC 4571 framing when the offer is TCP/RTP/AVP: it connects, as a
 * TCP-active device does; or, when the offer says a=setup:active, it listens, answers
 * a=setup:passive with its port and streams once the platform connects) to the address in the
 * offer, paced by the packs' SCR, looping; BYE
 * stops it. --answer-ssrc S answers y=S instead (a device choosing its own SSRC).
 * Device control: DeviceControl is printed ("gbsim: DeviceControl CHANNEL PTZCmd HEX") and answered
 * (--control-answer CODE, 0 for silence); RecordInfo gets one recording an hour of the range in
 * chunks (every second one <Type>all</Type>, as Dahua's); an s=Playback INVITE streams the file
 * once, then MediaStatus 121 in its dialog (--media-status-outside-dialog: with a Call-ID of its own); INFO
 * (MANSRTSP) pauses, resumes, seeks and scales it. An s=Download INVITE streams the file at a=downloadspeed
 * times its pace (looping) for the length of the offer's t= range, then MediaStatus 121.
 * --drop-catalog-chunk K leaves out one chunk of the first catalog answer (UDP loss).
 *
 * usage: gbsim --server HOST:PORT [options]       (gbsim --help lists them)
 * SIGUSR1 stops the keepalives (the devices go silent); SIGUSR2 stops all RTP (the media bench:
 * --frame-log, --rtp-to); SIGTERM/SIGINT end the run (with
 * --unregister-on-exit, after REGISTER Expires: 0). The last line on stdout is a JSON summary. */
#include "base/text.h"
#include "crypto/crypto.h"
#include "video/digest.h"
#include "video/gbid.h"
#include "video/media.h"
#include "video/sip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { S_IDLE, S_WAIT_CHALLENGE, S_WAIT_OK, S_REGISTERED, S_UNREGISTERING, S_DONE };

typedef struct {
    char id[21];
    int fd;
    struct sockaddr_in local;
    enum state state;
    int bad_password;
    char call_id[64], tag[24];
    long cseq;
    unsigned nc;
    char realm[32], nonce[80];
    int64_t next_register_ms, next_keepalive_ms, sent_ms;
    int attempts, forbidden;
    int registered_once;
    char in[131072];
    size_t in_len;
} device;

static struct {
    struct sockaddr_in server;
    char server_text[64];
    const char *platform_id;
    const char *password;
    int devices, channels, chunk, tcp, wrong, keepalive_s, expires, attempts, unregister_on_exit;
    int same_ip, rate, duration_s;
    int control_answer; /* --control-answer CODE: the response to DeviceControl (200; 0 none) */
    int drop_chunk;     /* --drop-catalog-chunk K: the K-th chunk (1-based) of the first catalog answer is not
                       sent */
    int media_status_outside; /* --media-status-outside-dialog: MediaStatus with a Call-ID of its own */
    uint32_t ip_base;
    long first_serial;
} opt = {.platform_id = "35000000002000000001",
         .password = "12345678",
         .devices = 1,
         .channels = 4,
         .chunk = 4,
         .keepalive_s = 60,
         .expires = 3600,
         .attempts = 1,
         .rate = 2000,
         .first_serial = 1,
         .control_answer = 200};

static device *devs;
static int ep;
static int keepalives_on = 1;
static int64_t t_start_ms, t_all_registered_ms = -1;
static long registered_now, keepalives_sent, catalog_queries, catalog_items_sent, devinfo_queries,
    forbidden_total, catalog_chunks_dropped, record_queries, device_controls, info_requests;
static long sn_counter = 1;

/* ---- streaming (--ps) ---- */

typedef struct {
    size_t off, len; /* one pack: from its 0x000001BA to the next */
    int64_t scr;     /* 90 kHz */
    int ends0, ends; /* video frames a receiver's demuxer completes at this pack: first loop, later loops */
    int tail;        /* its video PES opens with the end of the frame before */
} pack;

static struct {
    const char *path;
    uint8_t *data;
    size_t len;
    pack *packs;
    size_t npacks;
    int64_t duration; /* 90 kHz, first SCR to last plus one frame */
    const char *answer_ssrc;
    int psm;
    int per_frame; /* --pack-per-frame */
} ps;

typedef struct {
    int active, acked, tcp, fd;
    int lfd; /* TCP passive side (the platform offered a=setup:active): our RTP listener until it connects */
    int passive; /* we answered a=setup:passive */
    struct sockaddr_in dest;
    char call_id[160];
    char peer_tag[80]; /* the platform's From tag: the To tag of our requests in the dialog */
    uint32_t ssrc;
    uint16_t seq;
    size_t next_pack;
    int64_t start_ms, loop_offset;
    /* playback (s=Playback): the file once, then MediaStatus 121; INFO pauses, seeks, scales */
    int playback, paused, dev, ended;
    int64_t limit90; /* s=Download: the range's length (90 kHz); the file loops until it is sent */
    double scale;
    int64_t media90, last_ms; /* position in the file (90 kHz) and when it was last advanced */
    char channel[21];
    long sent, frames; /* RTP packets sent and frames completed (the media bench's loss and latency) */
    int64_t prev_us;   /* CLOCK_MONOTONIC µs when the previous pack went out */
} stream;

#define MAX_STREAMS 1024
static stream streams[MAX_STREAMS];
static long invites, acks, byes, rtp_packets, rtp_bytes;
/* The media bench: SIGUSR2 stops all RTP (media_stopped) and prints every stream's counts;
 * --frame-log FILE gets "CHANNEL FRAME MONO_US" for every --frame-log-every-th frame: when its
 * last RTP packet went out. --rtp-to HOST:PORT streams --channels streams without SIP. */
static int media_stopped;
static int rtp_no_accept; /* --rtp-no-accept */
static int rtp_refuse;    /* --rtp-refuse */
static FILE *frame_log;
static long frame_log_every = 5;
static struct sockaddr_in rtp_to;

static int64_t read_scr(const uint8_t *b)
{
    return ((int64_t)(b[4] & 0x38) << 27) | ((int64_t)(b[4] & 0x03) << 28) | ((int64_t)b[5] << 20) |
           ((int64_t)(b[6] & 0xF8) << 12) | ((int64_t)(b[6] & 0x03) << 13) | ((int64_t)b[7] << 5) |
           (b[8] >> 3);
}

/* --psm: put a program stream map (video stream type 0x1B, H.264) after the pack header of
 * every 10th pack, as cameras send one with their key frames (ffmpeg writes none). */
static void add_psm(void)
{
    int vid = 0xE0;
    for (size_t i = 0; i + 4 <= ps.len; i++)
        if (ps.data[i] == 0 && ps.data[i + 1] == 0 && ps.data[i + 2] == 1 && ps.data[i + 3] >= 0xE0 &&
            ps.data[i + 3] <= 0xEF) {
            vid = ps.data[i + 3];
            break;
        }
    const uint8_t map[24] = {0, 0, 1,    0xBC, 0, 18, 0xE0, 0xFF, 0, 0, 0, 8, 0x1B, (uint8_t)vid,
                             0, 0, 0x90, 0xC0, 0, 0,  0,    0,    0, 0};
    uint8_t *out = malloc(ps.len + (ps.npacks / 10 + 1) * sizeof(map));
    size_t n = 0;
    for (size_t k = 0; k < ps.npacks; k++) {
        pack *p = &ps.packs[k];
        const uint8_t *src = ps.data + p->off;
        size_t head = 14 + (src[13] & 7);
        size_t start = n;
        if (k % 10 == 0 && head <= p->len) {
            memcpy(out + n, src, head);
            n += head;
            memcpy(out + n, map, sizeof(map));
            n += sizeof(map);
            memcpy(out + n, src + head, p->len - head);
            n += p->len - head;
        } else {
            memcpy(out + n, src, p->len);
            n += p->len;
        }
        p->off = start;
        p->len = n - start;
    }
    free(ps.data);
    ps.data = out;
    ps.len = n;
}

static int frames_seen;

static void count_frame(void *ud, const jg_frame *f)
{
    (void)ud;
    frames_seen += f->video;
}

/* For the media bench: the frames jianguan's own demuxer (jg_ps, cutting at the NAL units that
 * begin a frame) completes at each pack, over the file twice (the first frame of a later loop
 * completes the previous loop's last), and whether the pack's video PES begins with the previous
 * frame's last bytes (no start code at its payload's start). */
static void mark_frames(void)
{
    jg_ps d;
    jg_ps_init(&d, count_frame, NULL);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < ps.npacks; k++) {
            pack *p = &ps.packs[k];
            frames_seen = 0;
            jg_ps_feed(&d, ps.data + p->off, p->len);
            *(pass == 0 ? &p->ends0 : &p->ends) = frames_seen;
            const uint8_t *b = ps.data + p->off, *end = b + p->len;
            const uint8_t *q = b + 14 + (p->len > 13 ? (b[13] & 7) : 0);
            while (q + 9 <= end && q[0] == 0 && q[1] == 0 && q[2] == 1) {
                size_t plen = ((size_t)q[4] << 8) | q[5];
                if (q[3] >= 0xE0 && q[3] <= 0xEF) {
                    const uint8_t *pay = q + 9 + q[8];
                    p->tail = pay + 4 <= end &&
                              !(pay[0] == 0 && pay[1] == 0 && (pay[2] == 1 || (pay[2] == 0 && pay[3] == 1)));
                    break;
                }
                q += 6 + plen;
            }
        }
    }
    jg_ps_free(&d);
}

/* --pack-per-frame: the file's video frames (found by jianguan's demuxer) written again one pack
 * each (pack header with SCR = DTS, then PES of at most 64 KB, the first with PTS and DTS), as
 * cameras send them; the sender ends every pack with an RTP packet with the marker bit. ffmpeg's
 * 2,048-byte packs instead hold a frame's tail with the next one's head. Audio is left out. */
typedef struct {
    uint8_t *data;
    size_t len, cap;
    int64_t last_pts, last_dts, dur;
    int n;
} repack;

static void put(repack *r, const uint8_t *p, size_t n)
{
    if (r->len + n > r->cap) {
        while (r->len + n > r->cap)
            r->cap = r->cap ? r->cap * 2 : 1 << 20;
        r->data = realloc(r->data, r->cap);
    }
    memcpy(r->data + r->len, p, n);
    r->len += n;
}

static void put_ts(uint8_t *b, int prefix, int64_t t)
{
    b[0] = (uint8_t)((prefix << 4) | (((t >> 30) & 7) << 1) | 1);
    b[1] = (uint8_t)(t >> 22);
    b[2] = (uint8_t)((((t >> 15) & 0x7f) << 1) | 1);
    b[3] = (uint8_t)(t >> 7);
    b[4] = (uint8_t)(((t & 0x7f) << 1) | 1);
}

static void repack_frame(repack *r, const uint8_t *p, size_t n, int64_t pts, int64_t dts)
{
    uint8_t h[14] = {0, 0, 1, 0xBA};
    int64_t scr = dts;
    h[4] = (uint8_t)(0x44 | (((scr >> 30) & 7) << 3) | ((scr >> 28) & 3));
    h[5] = (uint8_t)(scr >> 20);
    h[6] = (uint8_t)((((scr >> 15) & 0x1f) << 3) | 0x04 | ((scr >> 13) & 3));
    h[7] = (uint8_t)(scr >> 5);
    h[8] = (uint8_t)(((scr & 0x1f) << 3) | 0x04);
    h[9] = 0x01;
    uint32_t rate = 50000; /* 20 Mbit/s in units of 50 bytes/s */
    h[10] = (uint8_t)(rate >> 14);
    h[11] = (uint8_t)(rate >> 6);
    h[12] = (uint8_t)(((rate & 0x3f) << 2) | 3);
    h[13] = 0xF8;
    put(r, h, sizeof(h));
    for (size_t off = 0, first = 1; off < n || first; first = 0) {
        size_t hl = first ? 10 : 0, k = n - off < 65535 - 3 - hl ? n - off : 65535 - 3 - hl;
        size_t pl = 3 + hl + k;
        uint8_t e[19] = {
            0, 0, 1, 0xE0, (uint8_t)(pl >> 8), (uint8_t)pl, 0x80, (uint8_t)(first ? 0xC0 : 0), (uint8_t)hl};
        if (first) {
            put_ts(e + 9, 3, pts);
            put_ts(e + 14, 1, dts);
        }
        put(r, e, 9 + hl);
        put(r, p + off, k);
        off += k;
    }
}

static void collect_frame(void *ud, const jg_frame *f)
{
    repack *r = ud;
    if (!f->video)
        return;
    if (r->n > 0 && f->dts > r->last_dts)
        r->dur = f->dts - r->last_dts;
    r->last_pts = f->pts;
    r->last_dts = f->dts;
    r->n++;
    repack_frame(r, f->data, f->len, f->pts, f->dts);
}

static int repack_per_frame(void)
{
    repack r = {.dur = 3600};
    jg_ps d;
    jg_ps_init(&d, collect_frame, &r);
    jg_ps_feed(&d, ps.data, ps.len);
    if (d.au_len > 0) /* the last frame: nothing follows to complete it */
        repack_frame(&r, d.au, d.au_len, r.last_pts + r.dur, r.last_dts + r.dur);
    jg_ps_free(&d);
    if (r.n == 0) {
        free(r.data);
        return -1;
    }
    free(ps.data);
    ps.data = r.data;
    ps.len = r.len;
    return 0;
}

/* Read the PS file and cut it at its pack headers. */
static int load_ps(void)
{
    FILE *f = fopen(ps.path, "rb");
    if (f == NULL)
        return -1;
    size_t cap = 1 << 20;
    ps.data = malloc(cap);
    for (;;) {
        if (ps.len == cap) {
            cap *= 2;
            ps.data = realloc(ps.data, cap);
        }
        size_t n = fread(ps.data + ps.len, 1, cap - ps.len, f);
        if (n == 0)
            break;
        ps.len += n;
    }
    fclose(f);
    if (ps.per_frame && repack_per_frame() != 0)
        return -1;
    size_t cap_p = 1024;
    ps.packs = malloc(cap_p * sizeof(pack));
    for (size_t i = 0; i + 14 <= ps.len; i++) {
        const uint8_t *b = ps.data + i;
        if (b[0] == 0 && b[1] == 0 && b[2] == 1 && b[3] == 0xBA && (b[4] & 0xC0) == 0x40) {
            if (ps.npacks == cap_p) {
                cap_p *= 2;
                ps.packs = realloc(ps.packs, cap_p * sizeof(pack));
            }
            if (ps.npacks > 0)
                ps.packs[ps.npacks - 1].len = i - ps.packs[ps.npacks - 1].off;
            ps.packs[ps.npacks].off = i;
            ps.packs[ps.npacks].scr = read_scr(b);
            ps.npacks++;
            i += 13;
        }
    }
    if (ps.npacks == 0)
        return -1;
    ps.packs[ps.npacks - 1].len = ps.len - ps.packs[ps.npacks - 1].off;
    if (ps.psm)
        add_psm();
    mark_frames();
    ps.duration = ps.packs[ps.npacks - 1].scr - ps.packs[0].scr + 3600;
    return 0;
}

static void rtp_send(stream *st, const uint8_t *payload, size_t n, uint32_t ts, int marker)
{
    uint8_t pkt[2 + 12 + 1400];
    uint8_t *h = pkt + 2;
    h[0] = 0x80;
    h[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
    h[2] = (uint8_t)(st->seq >> 8);
    h[3] = (uint8_t)st->seq;
    st->seq++;
    h[4] = (uint8_t)(ts >> 24);
    h[5] = (uint8_t)(ts >> 16);
    h[6] = (uint8_t)(ts >> 8);
    h[7] = (uint8_t)ts;
    h[8] = (uint8_t)(st->ssrc >> 24);
    h[9] = (uint8_t)(st->ssrc >> 16);
    h[10] = (uint8_t)(st->ssrc >> 8);
    h[11] = (uint8_t)st->ssrc;
    memcpy(h + 12, payload, n);
    size_t len = 12 + n;
    rtp_packets++;
    st->sent++;
    rtp_bytes += (long)len;
    if (!st->tcp) {
        sendto(st->fd, h, len, 0, (struct sockaddr *)&st->dest, sizeof(st->dest));
        return;
    }
    pkt[0] = (uint8_t)(len >> 8);
    pkt[1] = (uint8_t)len;
    size_t off = 0;
    while (off < len + 2) {
        ssize_t w = send(st->fd, pkt + off, len + 2 - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            st->active = 0; /* the platform closed the connection */
            return;
        }
        off += (size_t)w;
    }
}

static void media_status_end(stream *st);

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --frame-log: frame number `frames` of st (counted from 0) was complete at us (every frame_log_every-th). */
static void frame_ended(const stream *st, int64_t us)
{
    if (frame_log != NULL && st->frames % frame_log_every == 0)
        fprintf(frame_log, "%s %ld %lld\n", st->channel, st->frames, (long long)us);
}

/* Send the packs whose time has come. */
static void stream_run(stream *st, int64_t now)
{
    if (!st->active || !st->acked || media_stopped)
        return;
    if (st->lfd >= 0) { /* TCP passive: nothing is sent (nor the clock run) until the platform connects */
        int c = rtp_no_accept ? -1 : accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            st->last_ms = now;
            return;
        }
        close(st->lfd);
        st->lfd = -1;
        st->fd = c;
        printf("gbsim: RTP connection accepted (TCP passive) for %s\n", st->channel);
        fflush(stdout);
    }
    if (!st->paused)
        st->media90 += (int64_t)((double)(now - st->last_ms) * 90 * (st->scale > 0 ? st->scale : 1));
    st->last_ms = now;
    int64_t elapsed90 = st->media90;
    for (int guard = 0; guard < 10000 && st->active && !st->paused; guard++) {
        if (st->limit90 > 0 && st->next_pack < ps.npacks &&
            ps.packs[st->next_pack].scr - ps.packs[0].scr + st->loop_offset >= st->limit90) {
            if (!st->ended) { /* a download: the range is sent */
                st->ended = 1;
                media_status_end(st);
            }
            return;
        }
        if (st->next_pack == ps.npacks && st->playback && st->limit90 == 0) {
            if (!st->ended) {
                st->ended = 1;
                media_status_end(st);
            }
            return;
        }
        if (st->next_pack == ps.npacks) {
            st->next_pack = 0;
            st->loop_offset += ps.duration;
        }
        const pack *p = &ps.packs[st->next_pack];
        int64_t t = p->scr - ps.packs[0].scr + st->loop_offset;
        if (t > elapsed90)
            return;
        uint32_t ts = (uint32_t)(p->scr + st->loop_offset);
        int64_t first_us = 0, last_us = 0;
        for (size_t off = 0; off < p->len; off += 1400) {
            size_t n = p->len - off < 1400 ? p->len - off : 1400;
            /* the time a packet is sent: taken just before, so a receiver never seems to get it earlier */
            int64_t us = mono_us();
            if (off == 0)
                first_us = us;
            last_us = us;
            rtp_send(st, ps.data + p->off + off, n, ts, off + n == p->len);
        }
        /* frames this pack completes: the first one's last byte went in the pack before unless the
         * pack begins with its tail (then with the pack's first RTP packet, as any later one's) */
        int ends = st->loop_offset == 0 ? p->ends0 : p->ends;
        for (int e = 0; e < ends; e++, st->frames++)
            frame_ended(st, e == 0 && !p->tail ? st->prev_us : first_us);
        st->prev_us = last_us;
        st->next_pack++;
    }
}

static stream *stream_of(const char *call_id)
{
    for (int i = 0; i < MAX_STREAMS; i++)
        if (streams[i].active && strcmp(streams[i].call_id, call_id) == 0)
            return &streams[i];
    return NULL;
}

static void stream_stop(stream *st)
{
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    if (st->lfd >= 0)
        close(st->lfd);
    st->lfd = -1;
    st->active = 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rand_hex(char *out, size_t bytes)
{
    unsigned char b[16];
    if (bytes > sizeof(b))
        bytes = sizeof(b);
    if (jg_crypto_random(b, bytes) != JG_OK)
        memset(b, 7, sizeof(b));
    jg_crypto_hex_encode(b, bytes, out);
}

static void dev_send(device *d, const char *data, size_t len)
{
    if (opt.tcp) {
        size_t off = 0;
        while (off < len) {
            ssize_t w = send(d->fd, data + off, len - off, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return; /* the test will notice what went missing */
            off += (size_t)w;
        }
    } else {
        sendto(d->fd, data, len, 0, (struct sockaddr *)&opt.server, sizeof(opt.server));
    }
}

static const char *transport_name(void)
{
    return opt.tcp ? "TCP" : "UDP";
}

static void local_text(const device *d, char *out, size_t n)
{
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &d->local.sin_addr, ip, sizeof(ip));
    snprintf(out, n, "%s:%d", ip, ntohs(d->local.sin_port));
}

static void send_register(device *d, int expires)
{
    char local[64], branch[33], auth[512] = "", msg[2048];
    local_text(d, local, sizeof(local));
    rand_hex(branch, 8);
    d->cseq++;
    if (d->nonce[0] != '\0') {
        char uri[96], cnonce[17], nc[9], resp[JG_DIGEST_HEX_LEN + 1];
        snprintf(uri, sizeof(uri), "sip:%s@%.10s", opt.platform_id, opt.platform_id);
        rand_hex(cnonce, 8);
        snprintf(nc, sizeof(nc), "%08x", ++d->nc);
        char pw[80];
        snprintf(pw, sizeof(pw), "%s%s", opt.password, d->bad_password ? "-wrong" : "");
        jg_digest_response(d->id, d->realm, pw, "REGISTER", uri, d->nonce, nc, cnonce, "auth", resp);
        snprintf(auth, sizeof(auth),
                 "Authorization: Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                 "response=\"%s\", algorithm=MD5, cnonce=\"%s\", qop=auth, nc=%s\r\n",
                 d->id, d->realm, d->nonce, uri, resp, cnonce, nc);
    }
    int n = snprintf(msg, sizeof(msg),
                     "REGISTER sip:%s@%s SIP/2.0\r\n"
                     "Via: SIP/2.0/%s %s;rport;branch=z9hG4bK%s\r\n"
                     "From: <sip:%s@%.10s>;tag=%s\r\n"
                     "To: <sip:%s@%.10s>\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %ld REGISTER\r\n"
                     "Contact: <sip:%s@%s>\r\n"
                     "%s"
                     "Max-Forwards: 70\r\n"
                     "User-Agent: gbsim\r\n"
                     "Expires: %d\r\n"
                     "Content-Length: 0\r\n\r\n",
                     opt.platform_id, opt.server_text, transport_name(), local, branch, d->id, d->id, d->tag,
                     d->id, d->id, d->call_id, d->cseq, d->id, local, auth, expires);
    dev_send(d, msg, (size_t)n);
    d->sent_ms = now_ms();
}

/* A MANSCDP MESSAGE from d: in the dialog of st (its Call-ID and tags, as a device sends
 * MediaStatus), or outside any dialog when st is NULL. */
static void send_message_in(device *d, const stream *st, const char *body, size_t blen)
{
    char local[64], branch[33], callid[160], tag[17], to_tag[96] = "", msg[16384];
    local_text(d, local, sizeof(local));
    rand_hex(branch, 8);
    if (st != NULL) {
        snprintf(callid, sizeof(callid), "%s", st->call_id);
        snprintf(tag, sizeof(tag), "%.8s", d->tag);
        if (st->peer_tag[0] != '\0')
            snprintf(to_tag, sizeof(to_tag), ";tag=%s", st->peer_tag);
    } else {
        char hex[33];
        rand_hex(hex, 12);
        snprintf(callid, sizeof(callid), "%s@%s", hex, local);
        rand_hex(tag, 6);
    }
    int n = snprintf(msg, sizeof(msg),
                     "MESSAGE sip:%s@%s SIP/2.0\r\n"
                     "Via: SIP/2.0/%s %s;rport;branch=z9hG4bK%s\r\n"
                     "From: <sip:%s@%.10s>;tag=%s\r\n"
                     "To: <sip:%s@%.10s>%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: 20 MESSAGE\r\n"
                     "Content-Type: Application/MANSCDP+xml\r\n"
                     "Max-Forwards: 70\r\n"
                     "User-Agent: gbsim\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     opt.platform_id, opt.server_text, transport_name(), local, branch, d->id, d->id, tag,
                     opt.platform_id, opt.platform_id, to_tag, callid, blen);
    if (n < 0 || (size_t)n + blen > sizeof(msg))
        return;
    memcpy(msg + n, body, blen);
    dev_send(d, msg, (size_t)n + blen);
}

static void send_message(device *d, const char *body, size_t blen)
{
    send_message_in(d, NULL, body, blen);
}

static void send_keepalive(device *d)
{
    char body[512];
    int n =
        snprintf(body, sizeof(body),
                 "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Keepalive</CmdType>\r\n"
                 "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<Status>OK</Status>\r\n</Notify>\r\n",
                 sn_counter++, d->id);
    send_message(d, body, (size_t)n);
    keepalives_sent++;
}

/* UTF-8 text to GB18030 (what "GB2312" means on the wire), into out. */
static size_t to_gb(const char *utf8, char *out, size_t outlen)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    char *in = (char *)utf8, *o = out;
    size_t left = strlen(utf8), room = outlen - 1;
    iconv(cd, &in, &left, &o, &room);
    iconv_close(cd);
    *o = '\0';
    return (size_t)(o - out);
}

static void channel_id(const device *d, int dev_index, int ch, char out[21])
{
    (void)d;
    long serial = opt.first_serial + (long)dev_index * opt.channels + ch;
    snprintf(out, 21, "3501020000131%07lu", (unsigned long)serial % 10000000UL);
}

static void answer_catalog(device *d, int dev_index, long sn)
{
    catalog_queries++;
    for (int start = 0; start < opt.channels || (start == 0 && opt.channels == 0); start += opt.chunk) {
        int k = opt.channels - start < opt.chunk ? opt.channels - start : opt.chunk;
        static char utf[16384], gb[16384];
        int n = snprintf(
            utf, sizeof(utf),
            "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>Catalog</CmdType>\r\n"
            "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<SumNum>%d</SumNum>\r\n"
            "<DeviceList Num=\"%d\">\r\n",
            sn, d->id, opt.channels, k);
        for (int i = 0; i < k && n < (int)sizeof(utf) - 1024; i++) { /* an item is < 1 KB */
            char cid[21];
            int ch = start + i;
            channel_id(d, dev_index, ch, cid);
            n += snprintf(
                utf + n, sizeof(utf) - (size_t)n,
                "<Item>\r\n<DeviceID>%s</DeviceID>\r\n<Name>工地%d 摄像机%d</Name>\r\n"
                "<Manufacturer>建管模拟</Manufacturer>\r\n<Model>gbsim</Model>\r\n<Owner>Owner</Owner>\r\n"
                "<CivilCode>350102</CivilCode>\r\n<Address>鼓楼区 A&B 工地东门</Address>\r\n"
                "<Parental>0</Parental>\r\n<ParentID>%s</ParentID>\r\n<SafetyWay>0</SafetyWay>\r\n"
                "<RegisterWay>1</RegisterWay>\r\n<Secrecy>0</Secrecy>\r\n<Status>ON</Status>\r\n"
                "<Longitude>119.%04d</Longitude>\r\n<Latitude>26.%04d</Latitude>\r\n"
                "<Info><PTZType>1</PTZType></Info>\r\n</Item>\r\n",
                cid, dev_index + 1, ch + 1, d->id, ch % 10000, dev_index % 10000);
        }
        n += snprintf(utf + n, sizeof(utf) - (size_t)n, "</DeviceList>\r\n</Response>\r\n");
        size_t gl = to_gb(utf, gb, sizeof(gb));
        if (opt.drop_chunk > 0 && start / opt.chunk + 1 == opt.drop_chunk) {
            opt.drop_chunk = 0; /* once: lost on the way, as UDP loses a datagram */
            catalog_chunks_dropped++;
            printf("gbsim: device %s dropped catalog chunk %d\n", d->id, start / opt.chunk + 1);
            fflush(stdout);
        } else {
            send_message(d, gb, gl);
            catalog_items_sent += k;
        }
        if (opt.channels == 0)
            break;
    }
}

/* The end of a playback's file: MediaStatus 121 from the device. */
static void media_status_end(stream *st)
{
    device *d = &devs[st->dev];
    char body[512];
    int n = snprintf(
        body, sizeof(body),
        "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>MediaStatus</CmdType>\r\n"
        "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<NotifyType>121</NotifyType>\r\n</Notify>\r\n",
        sn_counter++, st->channel);
    send_message_in(d, opt.media_status_outside ? NULL : st, body, (size_t)n);
    printf("gbsim: playback of %s reached the end: MediaStatus 121\n", st->channel);
    fflush(stdout);
}

/* The text between <tag> and </tag> in s, into out ("" if absent). */
static void xml_text(const char *s, const char *tag, char *out, size_t outlen)
{
    char open[40], close[40];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    out[0] = '\0';
    const char *p = strstr(s, open);
    const char *e = p != NULL ? strstr(p, close) : NULL;
    if (p == NULL || e == NULL)
        return;
    p += strlen(open);
    snprintf(out, outlen, "%.*s", (int)(e - p), p);
}

/* "YYYY-MM-DDTHH:MM:SS" as seconds (the fields read as UTC: only differences matter here), or -1. */
static int64_t local_seconds(const char *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static void local_text_of(int64_t secs, char out[24])
{
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* RecordInfo: one recording an hour from StartTime (the last one cut at EndTime), at most 50, in
 * chunks of --chunk items; every second item says <Type>all</Type>, as Dahua's devices do. */
static void answer_records(device *d, long sn, const char *text)
{
    record_queries++;
    char channel[32], st[32], et[32];
    xml_text(text, "DeviceID", channel, sizeof(channel));
    xml_text(text, "StartTime", st, sizeof(st));
    xml_text(text, "EndTime", et, sizeof(et));
    int64_t a = local_seconds(st), b = local_seconds(et);
    int total = a >= 0 && b > a ? (int)((b - a + 3599) / 3600) : 0;
    if (total > 50)
        total = 50;
    printf("gbsim: RecordInfo %s %s %s: %d records\n", channel, st, et, total);
    fflush(stdout);
    for (int start = 0; start < total || (start == 0 && total == 0); start += opt.chunk) {
        int k = total - start < opt.chunk ? total - start : opt.chunk;
        static char utf[16384], gb[16384];
        int n = snprintf(
            utf, sizeof(utf),
            "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>RecordInfo</CmdType>\r\n"
            "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<Name>模拟通道</Name>\r\n<SumNum>%d</SumNum>\r\n"
            "<RecordList Num=\"%d\">\r\n",
            sn, channel, total, k);
        for (int i = 0; i < k; i++) {
            int r = start + i;
            char t0[24], t1[24];
            int64_t s0 = a + (int64_t)r * 3600, s1 = s0 + 3600 < b ? s0 + 3600 : b;
            local_text_of(s0, t0);
            local_text_of(s1, t1);
            n += snprintf(
                utf + n, sizeof(utf) - (size_t)n,
                "<Item>\r\n<DeviceID>%s</DeviceID>\r\n<Name>录像%d</Name>\r\n"
                "<FilePath>/rec/%s/%d.mp4</FilePath>\r\n<Address>鼓楼区 A&B 工地</Address>\r\n"
                "<StartTime>%s</StartTime>\r\n<EndTime>%s</EndTime>\r\n<Secrecy>0</Secrecy>\r\n"
                "<Type>%s</Type>\r\n<RecorderID>%s</RecorderID>\r\n<FileSize>%d</FileSize>\r\n</Item>\r\n",
                channel, r + 1, channel, r + 1, t0, t1, r % 2 == 0 ? "time" : "all", d->id,
                1048576 * (r + 1));
        }
        n += snprintf(utf + n, sizeof(utf) - (size_t)n, "</RecordList>\r\n</Response>\r\n");
        size_t gl = to_gb(utf, gb, sizeof(gb));
        send_message(d, gb, gl);
        if (total == 0)
            break;
    }
}

static void respond_ok(device *d, const char *raw, size_t len);

/* INFO with MANSRTSP in a playback dialog: pause, resume, seek, scale. */
static void on_info(device *d, osip_message_t *m, const char *raw, size_t len)
{
    char cid[160];
    snprintf(cid, sizeof(cid), "%s@%s", m->call_id->number, m->call_id->host != NULL ? m->call_id->host : "");
    stream *st = stream_of(cid);
    size_t blen = 0;
    const char *body = jg_sip_body(m, &blen);
    jg_rtsp_op op;
    double value = 0;
    if (st == NULL || body == NULL || jg_mansrtsp_parse(body, blen, &op, &value) != JG_OK) {
        printf("gbsim: INFO not understood\n");
        fflush(stdout);
        respond_ok(d, raw, len);
        return;
    }
    int64_t now = now_ms();
    stream_run(st, now); /* bring the clock up to now before changing it */
    const char *name = "resume";
    if (op == JG_RTSP_PAUSE) {
        st->paused = 1;
        name = "pause";
    } else if (op == JG_RTSP_RESUME) {
        st->paused = 0;
    } else if (op == JG_RTSP_SPEED) {
        st->scale = value;
        name = "speed";
    } else {
        name = "seek";
        int64_t target = (int64_t)(value * 90000);
        size_t k = 0;
        while (k + 1 < ps.npacks && ps.packs[k].scr - ps.packs[0].scr < target)
            k++;
        st->next_pack = k;
        st->media90 = ps.packs[k].scr - ps.packs[0].scr;
        st->loop_offset = 0;
        st->paused = 0;
    }
    st->last_ms = now;
    info_requests++;
    printf("gbsim: INFO %s %g of %s\n", name, value, st->channel);
    fflush(stdout);
    respond_ok(d, raw, len);
}

static void answer_devinfo(device *d, int dev_index, long sn)
{
    devinfo_queries++;
    char utf[1024], gb[1024];
    snprintf(utf, sizeof(utf),
             "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>DeviceInfo</CmdType>\r\n"
             "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<DeviceName>模拟录像机%d</DeviceName>\r\n"
             "<Result>OK</Result>\r\n<Manufacturer>jianguan</Manufacturer>\r\n<Model>gbsim-nvr</Model>\r\n"
             "<Firmware>V1.0.0</Firmware>\r\n<Channel>%d</Channel>\r\n</Response>\r\n",
             sn, d->id, dev_index + 1, opt.channels);
    size_t gl = to_gb(utf, gb, sizeof(gb));
    send_message(d, gb, gl);
}

/* Answer a request from the platform: 200 with its headers echoed. */
static void respond_code(device *d, const char *raw, size_t len, int code)
{
    osip_message_t *m = NULL;
    if (jg_sip_parse(raw, len, &m) != JG_OK)
        return;
    osip_message_t *r = NULL;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &opt.server.sin_addr, ip, sizeof(ip));
    char tag[17];
    rand_hex(tag, 6);
    if (jg_sip_response(m, code, ip, ntohs(opt.server.sin_port), tag, &r) == JG_OK) {
        jg_buf b;
        jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
        if (jg_sip_serialize(r, &b) == JG_OK)
            dev_send(d, b.data, b.len);
        jg_buf_free(&b);
        osip_message_free(r);
    }
    osip_message_free(m);
}

static void respond_ok(device *d, const char *raw, size_t len)
{
    respond_code(d, raw, len, 200);
}

/* INVITE (answered 200 with SDP), ACK (starts the stream), BYE (stops it). */
static void on_dialog(device *d, osip_message_t *m, const char *raw, size_t len)
{
    char cid[160];
    snprintf(cid, sizeof(cid), "%s@%s", m->call_id->number, m->call_id->host != NULL ? m->call_id->host : "");
    if (strcmp(m->sip_method, "ACK") == 0) {
        stream *st = stream_of(cid);
        if (st != NULL && !st->acked) {
            acks++;
            st->acked = 1;
            st->start_ms = st->last_ms = now_ms();
            if (st->tcp && !st->passive) {
                st->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_in a = d->local;
                a.sin_port = 0;
                if (st->fd < 0 || bind(st->fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
                    connect(st->fd, (struct sockaddr *)&st->dest, sizeof(st->dest)) != 0) {
                    fprintf(stderr, "gbsim: cannot connect for RTP over TCP: %s\n", strerror(errno));
                    stream_stop(st);
                }
            }
        }
        return;
    }
    if (strcmp(m->sip_method, "BYE") == 0) {
        byes++;
        stream *st = stream_of(cid);
        if (st != NULL)
            stream_stop(st);
        respond_ok(d, raw, len);
        return;
    }
    invites++;
    size_t blen = 0;
    const char *body = jg_sip_body(m, &blen);
    jg_sdp_answer offer;
    stream *st = NULL;
    for (int i = 0; i < MAX_STREAMS && st == NULL; i++)
        if (!streams[i].active)
            st = &streams[i];
    int code = 200;
    if (ps.data == NULL)
        code = 488;
    else if (body == NULL || jg_sdp_parse(body, blen, &offer) != JG_OK || offer.ssrc[0] == '\0')
        code = 400;
    else if (st == NULL)
        code = 486;
    if (stream_of(cid) != NULL)
        code = -1; /* a retransmission: the 200 is sent again below */
    uint32_t ssrc = 0;
    int hist = 0, sseq = 0;
    if (code == 200 &&
        jg_ssrc_parse(ps.answer_ssrc != NULL ? ps.answer_ssrc : offer.ssrc, &ssrc, &hist, &sseq) != JG_OK)
        code = 400;
    if (code == 200) {
        memset(st, 0, sizeof(*st));
        st->active = 1;
        st->fd = -1;
        st->lfd = -1;
        st->tcp = offer.tcp;
        st->ssrc = ssrc;
        st->seq = (uint16_t)rand();
        st->playback = strcmp(offer.session, "Playback") == 0 || strcmp(offer.session, "Download") == 0;
        st->scale = 1;
        if (strcmp(offer.session, "Download") == 0) {
            /* faster than real time: downloadspeed times the pace, for the range's length */
            st->scale = offer.download_speed > 0 ? offer.download_speed : 1;
            st->limit90 = (offer.t_end - offer.t_start) * 90000;
            if (st->limit90 <= 0)
                st->limit90 = ps.duration;
            printf("gbsim: download INVITE of %s (speed %d, %lld s)\n",
                   m->req_uri != NULL && m->req_uri->username != NULL ? m->req_uri->username : d->id,
                   (int)st->scale, (long long)(offer.t_end - offer.t_start));
            fflush(stdout);
        }
        st->dev = (int)(d - devs);
        snprintf(st->channel, sizeof(st->channel), "%.20s",
                 m->req_uri != NULL && m->req_uri->username != NULL ? m->req_uri->username : d->id);
        if (st->playback) {
            printf("gbsim: playback INVITE of %s\n", st->channel);
            fflush(stdout);
        }
        snprintf(st->call_id, sizeof(st->call_id), "%s", cid);
        osip_generic_param_t *ftag = NULL;
        if (osip_from_get_tag(m->from, &ftag) == 0 && ftag != NULL && ftag->gvalue != NULL)
            snprintf(st->peer_tag, sizeof(st->peer_tag), "%s", ftag->gvalue);
        st->dest.sin_family = AF_INET;
        st->dest.sin_port = htons((uint16_t)offer.port);
        inet_pton(AF_INET, offer.ip, &st->dest.sin_addr);
        if (!st->tcp) {
            st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in a = d->local;
            a.sin_port = 0;
            if (st->fd < 0 || bind(st->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
                code = 500;
        } else if (offer.setup == JG_SDP_SETUP_ACTIVE) { /* the platform connects: we listen */
            st->passive = 1;
            st->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            struct sockaddr_in a = d->local;
            a.sin_port = 0;
            socklen_t alen = sizeof(a);
            /* --rtp-no-accept: a backlog of 0 filled by a connection of our own, so the kernel drops the
             * platform's SYNs and its connect() never completes */
            if (st->lfd < 0 || bind(st->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
                listen(st->lfd, rtp_no_accept ? 0 : 1) != 0 ||
                getsockname(st->lfd, (struct sockaddr *)&a, &alen) != 0)
                code = 500;
            else if (rtp_no_accept && ((st->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
                                       connect(st->fd, (struct sockaddr *)&a, sizeof(a)) != 0))
                code = 500;
        }
        if (code != 200)
            stream_stop(st);
    }
    if (code == -1) {
        st = stream_of(cid);
        code = 200;
    }
    osip_message_t *r = NULL;
    char ip[INET_ADDRSTRLEN], myip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &opt.server.sin_addr, ip, sizeof(ip));
    inet_ntop(AF_INET, &d->local.sin_addr, myip, sizeof(myip));
    char tag[17];
    snprintf(tag, sizeof(tag), "%.8s", d->tag);
    if (jg_sip_response(m, code, ip, ntohs(opt.server.sin_port), tag, &r) != JG_OK)
        return;
    if (code == 200) {
        char sdp[1024], contact[128], ssrc_text[16];
        snprintf(ssrc_text, sizeof(ssrc_text), "%010u", st->ssrc);
        int port = 0;
        int sock = !st->tcp ? st->fd : st->lfd;
        if (sock >= 0) {
            struct sockaddr_in a;
            socklen_t alen = sizeof(a);
            getsockname(sock, (struct sockaddr *)&a, &alen);
            port = ntohs(a.sin_port);
        }
        if (rtp_refuse && st->lfd >= 0) { /* answer a port nobody listens on any more */
            close(st->lfd);
            st->lfd = -1;
        }
        int n = snprintf(sdp, sizeof(sdp),
                         "v=0\r\no=%s 0 0 IN IP4 %s\r\ns=%s\r\nc=IN IP4 %s\r\nt=0 0\r\n"
                         "m=video %d %s 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\n%sy=%s\r\n",
                         d->id, myip,
                         st->limit90 > 0 ? "Download"
                         : st->playback  ? "Playback"
                                         : "Play",
                         myip, port > 0 ? port : 9, st->tcp ? "TCP/RTP/AVP" : "RTP/AVP",
                         !st->tcp      ? ""
                         : st->passive ? "a=setup:passive\r\na=connection:new\r\n"
                                       : "a=setup:active\r\na=connection:new\r\n",
                         ssrc_text);
        char local[64];
        local_text(d, local, sizeof(local));
        snprintf(contact, sizeof(contact), "<sip:%s@%s>", d->id, local);
        osip_message_set_contact(r, contact);
        osip_message_set_content_type(r, "APPLICATION/SDP");
        osip_message_set_body(r, sdp, (size_t)n);
    }
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    if (jg_sip_serialize(r, &b) == JG_OK)
        dev_send(d, b.data, b.len);
    jg_buf_free(&b);
    osip_message_free(r);
}

/* The text between <tag> and </tag> in s, as a number; -1 if absent. */
static long xml_long(const char *s, const char *tag)
{
    char open[40];
    snprintf(open, sizeof(open), "<%s>", tag);
    const char *p = strstr(s, open);
    return p != NULL ? strtol(p + strlen(open), NULL, 10) : -1;
}

static void on_registered(device *d)
{
    if (d->state == S_UNREGISTERING) {
        d->state = S_DONE;
        registered_now--;
        return;
    }
    if (d->state != S_REGISTERED) {
        registered_now++;
        d->registered_once = 1;
    }
    d->state = S_REGISTERED;
    int64_t now = now_ms();
    d->next_register_ms = now + (int64_t)opt.expires * 1000 * 8 / 10;
    /* Spread the first keepalives over one interval, as devices started at random would. */
    if (d->next_keepalive_ms == 0)
        d->next_keepalive_ms =
            now + (opt.keepalive_s > 0 ? (int64_t)(rand() % (opt.keepalive_s * 1000 + 1)) : 0);
    if (registered_now == opt.devices - opt.wrong && t_all_registered_ms < 0) {
        t_all_registered_ms = now - t_start_ms;
        printf("gbsim: all %ld devices registered in %lld ms\n", registered_now,
               (long long)t_all_registered_ms);
        fflush(stdout);
    }
}

/* ---- subscriptions, NOTIFY and device commands beyond PTZ (devcmd lane) ----
 * SUBSCRIBE is answered 200 with our To tag and the Expires asked for (printed: "gbsim: SUBSCRIBE
 * KIND expires N", "gbsim: re-SUBSCRIBE KIND", "gbsim: un-SUBSCRIBE KIND"). With --notify-after MS,
 * MS ms after a subscription starts: Catalog: one NOTIFY with the events OFF (channel 1), DEL
 * (channel 2), UPDATE (channel 3, renamed) and ADD (a new channel); Alarm: one alarm by NOTIFY and
 * one by MESSAGE; MobilePosition: a position NOTIFY every <Interval> seconds. DeviceControl
 * TeleBoot/RecordCmd/GuardCmd/IFameCmd are printed and (but TeleBoot) answered with a <Response>
 * Result --control-result (OK); DeviceStatus queries are answered. */

#define MAX_SUBS 64
typedef struct {
    int used;
    device *d;
    int dev_index;
    char kind[24];
    char call_id[160], platform_tag[80], our_tag[24];
    long cseq;
    int interval_s, positions;
    int64_t notify_ms;
} gsub;
static gsub gsubs[MAX_SUBS];
static int notify_after_ms;
static const char *control_result = "OK";

static gsub *gsub_of(const char *call_id)
{
    for (int i = 0; i < MAX_SUBS; i++)
        if (gsubs[i].used && strcmp(gsubs[i].call_id, call_id) == 0)
            return &gsubs[i];
    return NULL;
}

static void send_notify(gsub *s, const char *utf8_body)
{
    static char gb[16384], msg[20000];
    size_t blen = to_gb(utf8_body, gb, sizeof(gb));
    char local[64], branch[33];
    local_text(s->d, local, sizeof(local));
    rand_hex(branch, 8);
    int n = snprintf(msg, sizeof(msg),
                     "NOTIFY sip:%s@%s SIP/2.0\r\n"
                     "Via: SIP/2.0/%s %s;rport;branch=z9hG4bK%s\r\n"
                     "From: <sip:%s@%.10s>;tag=%s\r\n"
                     "To: <sip:%s@%.10s>;tag=%s\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %ld NOTIFY\r\n"
                     "Event: %s\r\n"
                     "Subscription-State: active\r\n"
                     "Content-Type: Application/MANSCDP+xml\r\n"
                     "Max-Forwards: 70\r\n"
                     "User-Agent: gbsim\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     opt.platform_id, opt.server_text, transport_name(), local, branch, s->d->id, s->d->id,
                     s->our_tag, opt.platform_id, opt.platform_id, s->platform_tag, s->call_id, ++s->cseq,
                     strcmp(s->kind, "Catalog") == 0 ? "Catalog" : "presence", blen);
    if (n < 0 || (size_t)n + blen > sizeof(msg))
        return;
    memcpy(msg + n, gb, blen);
    dev_send(s->d, msg, (size_t)n + blen);
}

static void on_subscribe(device *d, int dev_index, osip_message_t *m)
{
    size_t blen = 0;
    const char *body = jg_sip_body(m, &blen);
    char text[4096] = "", kind[24] = "", cid[160];
    if (body != NULL)
        snprintf(text, sizeof(text), "%.*s", (int)(blen < sizeof(text) ? blen : sizeof(text) - 1), body);
    xml_text(text, "CmdType", kind, sizeof(kind));
    snprintf(cid, sizeof(cid), "%s%s%s", m->call_id->number, m->call_id->host != NULL ? "@" : "",
             m->call_id->host != NULL ? m->call_id->host : "");
    long expires = jg_sip_expires(m, 3600);
    gsub *s = gsub_of(cid);
    int fresh = 0;
    for (int i = 0; s == NULL && expires > 0 && i < MAX_SUBS; i++) {
        if (gsubs[i].used)
            continue;
        s = &gsubs[i];
        memset(s, 0, sizeof(*s));
        s->used = 1;
        s->d = d;
        s->dev_index = dev_index;
        snprintf(s->kind, sizeof(s->kind), "%s", kind);
        snprintf(s->call_id, sizeof(s->call_id), "%s", cid);
        rand_hex(s->our_tag, 6);
        osip_generic_param_t *tag = NULL;
        if (osip_from_get_tag(m->from, &tag) == 0 && tag != NULL && tag->gvalue != NULL)
            snprintf(s->platform_tag, sizeof(s->platform_tag), "%s", tag->gvalue);
        s->interval_s = (int)xml_long(text, "Interval");
        if (s->interval_s <= 0)
            s->interval_s = 5;
        s->notify_ms = notify_after_ms > 0 ? now_ms() + notify_after_ms : INT64_MAX;
        fresh = 1;
    }
    if (fresh)
        printf("gbsim: SUBSCRIBE %s expires %ld\n", kind, expires);
    else if (s != NULL && expires == 0)
        printf("gbsim: un-SUBSCRIBE %s\n", s->kind);
    else if (s != NULL)
        printf("gbsim: re-SUBSCRIBE %s expires %ld\n", s->kind, expires);
    fflush(stdout);
    osip_message_t *r = NULL;
    char ip[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &opt.server.sin_addr, ip, sizeof(ip));
    /* Beyond MAX_SUBS a SUBSCRIBE is still accepted, untracked (no NOTIFYs): thousands of simulated
     * devices accept as real ones do. An un-SUBSCRIBE of an unknown dialog is 481. */
    if (jg_sip_response(m, s != NULL || expires > 0 ? 200 : 481, ip, ntohs(opt.server.sin_port),
                        s != NULL ? s->our_tag : "untracked", &r) == JG_OK) {
        char e[24];
        snprintf(e, sizeof(e), "%ld", expires);
        osip_message_set_expires(r, e);
        jg_buf b;
        jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
        if (jg_sip_serialize(r, &b) == JG_OK)
            dev_send(d, b.data, b.len);
        jg_buf_free(&b);
        osip_message_free(r);
    }
    if (s != NULL && expires == 0)
        s->used = 0;
}

static void subs_run(int64_t now)
{
    for (int i = 0; i < MAX_SUBS; i++) {
        gsub *s = &gsubs[i];
        if (!s->used || now < s->notify_ms || s->d->state != S_REGISTERED)
            continue;
        static char body[8192];
        char ch[4][21];
        for (int k = 0; k < 4; k++)
            channel_id(s->d, s->dev_index, k < 3 ? k : opt.channels, ch[k]);
        if (strcmp(s->kind, "Catalog") == 0) {
            snprintf(
                body, sizeof(body),
                "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Catalog</CmdType>\r\n"
                "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<SumNum>4</SumNum>\r\n<DeviceList Num=\"4\">\r\n"
                "<Item><DeviceID>%s</DeviceID><Event>OFF</Event></Item>\r\n"
                "<Item><DeviceID>%s</DeviceID><Event>DEL</Event></Item>\r\n"
                "<Item><DeviceID>%s</DeviceID><Name>更新后的通道</Name><Manufacturer>jianguan</Manufacturer>"
                "<Status>ON</Status><Parental>0</Parental><ParentID>%s</ParentID><Event>UPDATE</Event></"
                "Item>\r\n"
                "<Item><DeviceID>%s</DeviceID><Name>新增通道</Name><Manufacturer>jianguan</Manufacturer>"
                "<Status>ON</Status><Parental>0</Parental><ParentID>%s</ParentID><Event>ADD</Event></"
                "Item>\r\n"
                "</DeviceList>\r\n</Notify>\r\n",
                sn_counter++, s->d->id, ch[0], ch[1], ch[2], s->d->id, ch[3], s->d->id);
            send_notify(s, body);
            printf("gbsim: NOTIFY Catalog OFF %s DEL %s UPDATE %s ADD %s\n", ch[0], ch[1], ch[2], ch[3]);
            s->notify_ms = INT64_MAX;
        } else if (strcmp(s->kind, "Alarm") == 0) {
            snprintf(body, sizeof(body),
                     "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Alarm</CmdType>\r\n"
                     "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<AlarmPriority>1</AlarmPriority>\r\n"
                     "<AlarmMethod>5</AlarmMethod>\r\n<AlarmTime>2026-11-26T10:00:00</AlarmTime>\r\n"
                     "<AlarmDescription>视频遮挡报警</AlarmDescription>\r\n<Longitude>119.3</Longitude>\r\n"
                     "<Latitude>26.08</Latitude>\r\n<Info><AlarmType>2</AlarmType></Info>\r\n</Notify>\r\n",
                     sn_counter++, ch[0]);
            send_notify(s, body);
            static char gb[4096];
            snprintf(body, sizeof(body),
                     "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Alarm</CmdType>\r\n"
                     "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<AlarmPriority>4</AlarmPriority>\r\n"
                     "<AlarmMethod>2</AlarmMethod>\r\n<AlarmTime>2026-11-26T10:00:05</AlarmTime>\r\n"
                     "<AlarmDescription>设备报警 "
                     "A&B</AlarmDescription>\r\n<Info><AlarmType>1</AlarmType></Info>\r\n"
                     "</Notify>\r\n",
                     sn_counter++, s->d->id);
            size_t gl = to_gb(body, gb, sizeof(gb));
            send_message(s->d, gb, gl);
            printf("gbsim: NOTIFY Alarm %s and MESSAGE Alarm %s\n", ch[0], s->d->id);
            s->notify_ms = INT64_MAX;
        } else if (strcmp(s->kind, "MobilePosition") == 0) {
            s->positions++;
            snprintf(body, sizeof(body),
                     "<?xml version=\"1.0\" "
                     "encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>MobilePosition</CmdType>\r\n"
                     "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<Time>2026-11-26T10:00:%02d</Time>\r\n"
                     "<Longitude>%.6f</Longitude>\r\n<Latitude>%.6f</Latitude>\r\n<Speed>12.5</Speed>\r\n"
                     "<Direction>90</Direction>\r\n<Altitude>30</Altitude>\r\n</Notify>\r\n",
                     sn_counter++, ch[0], s->positions % 60, 119.3 + s->positions * 0.001,
                     26.08 + s->positions * 0.001);
            send_notify(s, body);
            printf("gbsim: NOTIFY MobilePosition %s %d\n", ch[0], s->positions);
            s->notify_ms = now + (int64_t)s->interval_s * 1000;
        } else {
            s->notify_ms = INT64_MAX;
        }
        fflush(stdout);
    }
}

/* DeviceControl beyond PTZ: 1 if text was one (printed, answered with a <Response> unless TeleBoot). */
static int device_command(device *d, long sn, const char *text)
{
    static const char *const elements[] = {"TeleBoot", "RecordCmd", "GuardCmd", "IFameCmd"};
    for (size_t i = 0; i < sizeof(elements) / sizeof(elements[0]); i++) {
        char value[32] = "", to[32] = "";
        xml_text(text, elements[i], value, sizeof(value));
        if (value[0] == '\0')
            continue;
        xml_text(text, "DeviceID", to, sizeof(to));
        device_controls++;
        printf("gbsim: DeviceControl %s %s %s\n", to, elements[i], value);
        fflush(stdout);
        if (i > 0 && opt.control_answer == 200) {
            char body[1024];
            int n = snprintf(body, sizeof(body),
                             "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n"
                             "<CmdType>DeviceControl</CmdType>\r\n<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n"
                             "<Result>%s</Result>\r\n</Response>\r\n",
                             sn, to, control_result);
            send_message(d, body, (size_t)n);
        }
        return 1;
    }
    return 0;
}

static void answer_status(device *d, int dev_index, long sn)
{
    char body[2048], ch[21];
    channel_id(d, dev_index, 0, ch);
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    int n = snprintf(
        body, sizeof(body),
        "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>DeviceStatus</CmdType>\r\n"
        "<SN>%ld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<Result>OK</Result>\r\n<Online>ONLINE</Online>\r\n"
        "<Status>OK</Status>\r\n<Encode>ON</Encode>\r\n<Record>OFF</Record>\r\n"
        "<DeviceTime>%04d-%02d-%02dT%02d:%02d:%02d</DeviceTime>\r\n<Alarmstatus Num=\"1\">\r\n"
        "<Item><DeviceID>%s</DeviceID><DutyStatus>ONDUTY</DutyStatus></Item>\r\n</Alarmstatus>\r\n"
        "</Response>\r\n",
        sn, d->id, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ch);
    printf("gbsim: DeviceStatus query\n");
    fflush(stdout);
    send_message(d, body, (size_t)n);
}

static void on_message(device *d, int dev_index, const char *raw, size_t len)
{
    osip_message_t *m = NULL;
    if (jg_sip_parse(raw, len, &m) != JG_OK)
        return;
    if (MSG_IS_REQUEST(m) && (strcmp(m->sip_method, "INVITE") == 0 || strcmp(m->sip_method, "ACK") == 0 ||
                              strcmp(m->sip_method, "BYE") == 0)) {
        on_dialog(d, m, raw, len);
        osip_message_free(m);
        return;
    }
    if (MSG_IS_REQUEST(m) && strcmp(m->sip_method, "INFO") == 0) {
        on_info(d, m, raw, len);
        osip_message_free(m);
        return;
    }
    if (MSG_IS_REQUEST(m) && strcmp(m->sip_method, "SUBSCRIBE") == 0) {
        on_subscribe(d, dev_index, m);
        osip_message_free(m);
        return;
    }
    if (MSG_IS_REQUEST(m)) {
        int is_message = strcmp(m->sip_method, "MESSAGE") == 0;
        size_t blen = 0;
        const char *body = jg_sip_body(m, &blen);
        char text[4096] = "";
        if (body != NULL)
            snprintf(text, sizeof(text), "%.*s", (int)(blen < sizeof(text) ? blen : sizeof(text) - 1), body);
        osip_message_free(m);
        /* --control-answer: the response to DeviceControl (0: none, as a device that ignores it) */
        int control = is_message && strstr(text, "<CmdType>DeviceControl</CmdType>") != NULL;
        if (!control || opt.control_answer > 0)
            respond_code(d, raw, len, control ? opt.control_answer : 200);
        if (!is_message)
            return;
        long sn = xml_long(text, "SN");
        if (strstr(text, "<CmdType>Catalog</CmdType>") != NULL && strstr(text, "<Query>") != NULL)
            answer_catalog(d, dev_index, sn);
        else if (strstr(text, "<CmdType>DeviceInfo</CmdType>") != NULL && strstr(text, "<Query>") != NULL)
            answer_devinfo(d, dev_index, sn);
        else if (strstr(text, "<CmdType>RecordInfo</CmdType>") != NULL && strstr(text, "<Query>") != NULL)
            answer_records(d, sn, text);
        else if (strstr(text, "<CmdType>DeviceStatus</CmdType>") != NULL && strstr(text, "<Query>") != NULL)
            answer_status(d, dev_index, sn);
        else if (strstr(text, "<CmdType>Alarm</CmdType>") != NULL && strstr(text, "<Response>") != NULL) {
            printf("gbsim: Alarm answered SN %ld\n", sn);
            fflush(stdout);
        } else if (control && device_command(d, sn, text)) {
            /* TeleBoot, RecordCmd, GuardCmd, IFameCmd */
        } else if (strstr(text, "<CmdType>DeviceControl</CmdType>") != NULL &&
                   strstr(text, "<Control>") != NULL) {
            char to[32], ptz[40];
            xml_text(text, "DeviceID", to, sizeof(to));
            xml_text(text, "PTZCmd", ptz, sizeof(ptz));
            device_controls++;
            printf("gbsim: DeviceControl %s PTZCmd %s\n", to, ptz);
            fflush(stdout);
        }
        return;
    }
    int code = m->status_code;
    int is_register = m->cseq != NULL && m->cseq->method != NULL && strcmp(m->cseq->method, "REGISTER") == 0;
    if (is_register && code == 401) {
        osip_www_authenticate_t *w = NULL;
        if (osip_message_get_www_authenticate(m, 0, &w) >= 0 && w != NULL) {
            jg_sip_unquote(osip_www_authenticate_get_realm(w), d->realm, sizeof(d->realm));
            jg_sip_unquote(osip_www_authenticate_get_nonce(w), d->nonce, sizeof(d->nonce));
            d->nc = 0;
            if (d->state == S_WAIT_CHALLENGE || d->state == S_WAIT_OK) {
                d->state = S_WAIT_OK;
                send_register(d, opt.expires);
            } else if (d->state == S_UNREGISTERING) {
                send_register(d, 0);
            }
        }
    } else if (is_register && code == 200) {
        on_registered(d);
    } else if (is_register && code == 403) {
        d->forbidden++;
        forbidden_total++;
        d->nonce[0] = '\0';
        if (d->state == S_REGISTERED)
            registered_now--;
        d->state = S_IDLE;
        d->next_register_ms = ++d->attempts < opt.attempts ? now_ms() + 200 : INT64_MAX;
        printf("gbsim: device %s refused (403), attempt %d\n", d->id, d->attempts);
        fflush(stdout);
    } else if (!is_register && code == 403 && d->state == S_REGISTERED) {
        /* the platform forgot us: register again, as devices do */
        d->state = S_IDLE;
        registered_now--;
        d->nonce[0] = '\0';
        d->next_register_ms = now_ms();
    }
    osip_message_free(m);
}

static void on_readable(device *d, int dev_index)
{
    if (!opt.tcp) {
        char buf[65536];
        for (;;) {
            ssize_t n = recv(d->fd, buf, sizeof(buf) - 1, 0);
            if (n <= 0)
                return;
            buf[n] = '\0';
            on_message(d, dev_index, buf, (size_t)n);
        }
    }
    for (;;) {
        ssize_t n = recv(d->fd, d->in + d->in_len, sizeof(d->in) - 1 - d->in_len, 0);
        if (n <= 0)
            return;
        d->in_len += (size_t)n;
        d->in[d->in_len] = '\0';
        for (;;) {
            long m = jg_sip_frame(d->in, d->in_len);
            if (m <= 0) {
                if (m < 0)
                    d->in_len = 0;
                break;
            }
            if (d->in[0] != '\r' && d->in[0] != '\n')
                on_message(d, dev_index, d->in, (size_t)m);
            memmove(d->in, d->in + m, d->in_len - (size_t)m + 1);
            d->in_len -= (size_t)m;
        }
    }
}

static int open_device(device *d, int i)
{
    d->fd = socket(AF_INET, (opt.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (d->fd < 0)
        return -1;
    memset(&d->local, 0, sizeof(d->local));
    d->local.sin_family = AF_INET;
    d->local.sin_addr.s_addr = htonl(opt.same_ip ? opt.ip_base : opt.ip_base + (uint32_t)i);
    int rcv = 4 * 1024 * 1024; /* --ps: hundreds of INVITEs and ACKs at once must not overflow it */
    if (ps.path != NULL && setsockopt(d->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) != 0)
        setsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    if (bind(d->fd, (struct sockaddr *)&d->local, sizeof(d->local)) != 0)
        return -1;
    if (opt.tcp && connect(d->fd, (struct sockaddr *)&opt.server, sizeof(opt.server)) != 0)
        return -1;
    socklen_t alen = sizeof(d->local);
    getsockname(d->fd, (struct sockaddr *)&d->local, &alen);
    int fl = fcntl(d->fd, F_GETFL);
    if (fl < 0 || fcntl(d->fd, F_SETFL, fl | O_NONBLOCK) != 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    return epoll_ctl(ep, EPOLL_CTL_ADD, d->fd, &ev);
}

static void usage(void)
{
    fprintf(stderr, "usage: gbsim --server HOST:PORT [options]\n"
                    "  --devices N            devices to simulate (1)\n"
                    "  --channels M           channels per device (4)\n"
                    "  --chunk K              catalog items per MESSAGE (4)\n"
                    "  --transport udp|tcp    (udp)\n"
                    "  --password P           device password (12345678)\n"
                    "  --wrong-password K     the first K devices use a wrong password (0)\n"
                    "  --attempts N           REGISTER attempts after a 403 (1)\n"
                    "  --keepalive S          seconds between keepalives, 0 for none (60)\n"
                    "  --expires S            registration lifetime asked for (3600)\n"
                    "  --platform-id ID       the platform's 20-digit ID (35000000002000000001)\n"
                    "  --first-serial N       serial of the first device ID (1)\n"
                    "  --ip-base A.B.C.D      first device address; device i uses base+i (127.0.1.1)\n"
                    "  --same-ip              all devices on --ip-base, on distinct ports\n"
                    "  --rate R               REGISTERs started per second (2000)\n"
                    "  --duration S           stop after S seconds (0: at SIGTERM)\n"
                    "  --unregister-on-exit   send REGISTER Expires: 0 before stopping\n"
                    "  --drop-catalog-chunk K do not send the K-th chunk of the first catalog answer (once)\n"
                    "  --control-answer CODE  answer DeviceControl with CODE (200), 0 for no answer\n"
                    "  --control-result R     <Result> of DeviceControl answers: OK or ERROR (OK)\n"
                    "  --notify-after MS      after a SUBSCRIBE: catalog events, alarms, positions\n"
                    "  --ps FILE              answer INVITEs and stream this MPEG-PS file over RTP, looping\n"
                    "  --answer-ssrc S        answer INVITEs with y=S instead of the offered SSRC\n"
                    "  --psm                  add a program stream map (H.264) to every 10th pack of --ps\n"
                    "  --rtp-no-accept        offered TCP active: listen, never let RTP connect\n"
                    "  --rtp-refuse           offered TCP active: answer a port nobody listens on\n"
                    "  --pack-per-frame       send --ps one frame a pack, marker bit on its last packet\n"
                    "  --media-status-outside-dialog  send a playback's MediaStatus 121 outside its dialog\n"
                    "  --frame-log FILE       log CHANNEL FRAME MONO_US as a frame's last RTP packet leaves\n"
                    "  --frame-log-every N    ... for every N-th frame of a stream (5)\n"
                    "  --rtp-to HOST:PORT     no SIP: stream --ps to PORT, PORT+1 ... (a channel each), UDP\n"
                    "  (SIGUSR2 stops all RTP and prints each stream's packets and frames sent)\n");
}

static int parse_args(int argc, char **argv)
{
    const char *base = "127.0.1.1";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int64_t n = 0;
#define NUM(name, field, lo, hi)                                                                             \
    if (strcmp(a, name) == 0) {                                                                              \
        if (v == NULL || jg_parse_int64(v, lo, hi, &n) != JG_OK)                                             \
            return -1;                                                                                       \
        field = (int)n;                                                                                      \
        i++;                                                                                                 \
        continue;                                                                                            \
    }
        NUM("--devices", opt.devices, 1, 1000000)
        NUM("--channels", opt.channels, 0, 100000)
        NUM("--chunk", opt.chunk, 1, 64)
        NUM("--wrong-password", opt.wrong, 0, 1000000)
        NUM("--attempts", opt.attempts, 1, 1000)
        NUM("--keepalive", opt.keepalive_s, 0, 3600)
        NUM("--expires", opt.expires, 1, 86400)
        NUM("--rate", opt.rate, 1, 1000000)
        NUM("--duration", opt.duration_s, 0, 86400)
        NUM("--drop-catalog-chunk", opt.drop_chunk, 1, 100000)
        NUM("--control-answer", opt.control_answer, 0, 699)
        NUM("--notify-after", notify_after_ms, 1, 3600000)
#undef NUM
        if (strcmp(a, "--first-serial") == 0 && v != NULL && jg_parse_int64(v, 0, 999999, &n) == JG_OK) {
            opt.first_serial = (long)n;
            i++;
        } else if (strcmp(a, "--server") == 0 && v != NULL) {
            snprintf(opt.server_text, sizeof(opt.server_text), "%s", v);
            i++;
        } else if (strcmp(a, "--transport") == 0 && v != NULL) {
            opt.tcp = strcmp(v, "tcp") == 0;
            i++;
        } else if (strcmp(a, "--password") == 0 && v != NULL) {
            opt.password = v;
            i++;
        } else if (strcmp(a, "--platform-id") == 0 && v != NULL) {
            opt.platform_id = v;
            i++;
        } else if (strcmp(a, "--ip-base") == 0 && v != NULL) {
            base = v;
            i++;
        } else if (strcmp(a, "--ps") == 0 && v != NULL) {
            ps.path = v;
            i++;
        } else if (strcmp(a, "--psm") == 0) {
            ps.psm = 1;
        } else if (strcmp(a, "--media-status-outside-dialog") == 0) {
            opt.media_status_outside = 1;
        } else if (strcmp(a, "--rtp-no-accept") == 0) {
            rtp_no_accept = 1;
        } else if (strcmp(a, "--rtp-refuse") == 0) {
            rtp_refuse = 1;
        } else if (strcmp(a, "--pack-per-frame") == 0) {
            ps.per_frame = 1;
        } else if (strcmp(a, "--frame-log") == 0 && v != NULL) {
            frame_log = fopen(v, "w");
            if (frame_log == NULL)
                return -1;
            i++;
        } else if (strcmp(a, "--frame-log-every") == 0 && v != NULL &&
                   jg_parse_int64(v, 1, 100000, &n) == JG_OK) {
            frame_log_every = (long)n;
            i++;
        } else if (strcmp(a, "--rtp-to") == 0 && v != NULL) {
            char host[64];
            const char *c = strrchr(v, ':');
            int64_t port = 0;
            if (c == NULL || (size_t)(c - v) >= sizeof(host) ||
                jg_parse_int64(c + 1, 1, 65535, &port) != JG_OK)
                return -1;
            snprintf(host, sizeof(host), "%.*s", (int)(c - v), v);
            rtp_to.sin_family = AF_INET;
            rtp_to.sin_port = htons((uint16_t)port);
            if (inet_pton(AF_INET, host, &rtp_to.sin_addr) != 1)
                return -1;
            i++;
        } else if (strcmp(a, "--answer-ssrc") == 0 && v != NULL) {
            ps.answer_ssrc = v;
            i++;
        } else if (strcmp(a, "--control-result") == 0 && v != NULL) {
            control_result = v; /* OK | ERROR: the <Result> of DeviceControl answers */
            i++;
        } else if (strcmp(a, "--same-ip") == 0) {
            opt.same_ip = 1;
        } else if (strcmp(a, "--unregister-on-exit") == 0) {
            opt.unregister_on_exit = 1;
        } else {
            return -1;
        }
    }
    struct in_addr ba;
    if (inet_pton(AF_INET, base, &ba) != 1)
        return -1;
    opt.ip_base = ntohl(ba.s_addr);
    char *colon = strrchr(opt.server_text, ':');
    if (colon == NULL)
        return -1;
    *colon = '\0';
    int64_t port;
    memset(&opt.server, 0, sizeof(opt.server));
    opt.server.sin_family = AF_INET;
    int ok = inet_pton(AF_INET, opt.server_text, &opt.server.sin_addr) == 1 &&
             jg_parse_int64(colon + 1, 1, 65535, &port) == JG_OK;
    *colon = ':';
    if (!ok || strlen(opt.platform_id) != 20)
        return -1;
    opt.server.sin_port = htons((uint16_t)port);
    return 0;
}

/* SIGUSR2: stop every stream's RTP and print what each sent ("gbsim: sent CHANNEL SSRC PACKETS FRAMES":
 * FRAMES, the frames a receiver could complete from them). */
static void media_stop(void)
{
    media_stopped = 1;
    for (int i = 0; i < MAX_STREAMS; i++)
        if (streams[i].sent > 0)
            printf("gbsim: sent %s %u %ld %ld\n", streams[i].channel, streams[i].ssrc, streams[i].sent,
                   streams[i].frames);
    printf("gbsim: media stopped\n");
    fflush(stdout);
    if (frame_log != NULL)
        fflush(frame_log);
}

/* --rtp-to HOST:PORT: stream i of --channels goes to PORT+i over UDP at once (SSRC i+1), no SIP. */
static int rtp_to_start(void)
{
    for (int i = 0; i < opt.channels && i < MAX_STREAMS; i++) {
        stream *st = &streams[i];
        memset(st, 0, sizeof(*st));
        st->lfd = -1; /* not TCP passive */
        st->active = st->acked = 1;
        st->scale = 1;
        st->ssrc = (uint32_t)i + 1;
        st->seq = (uint16_t)rand();
        channel_id(&devs[0], 0, i, st->channel);
        st->dest = rtp_to;
        st->dest.sin_port = htons((uint16_t)(ntohs(rtp_to.sin_port) + i));
        st->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (st->fd < 0)
            return -1;
        st->start_ms = st->last_ms = now_ms();
    }
    return 0;
}

static void summary(void)
{
    printf("{\"devices\":%d,\"registered\":%ld,\"forbidden\":%ld,\"register_ms\":%lld,\"keepalives\":%ld,"
           "\"catalog_queries\":%ld,\"catalog_items_sent\":%ld,\"catalog_chunks_dropped\":%ld,\"record_"
           "queries\":%ld,\"device_controls\":%ld,\"info_requests\":%ld,\"deviceinfo_queries\":%ld,"
           "\"invites\":%ld,"
           "\"acks\":%ld,\"byes\":%ld,\"rtp_packets\":%ld,\"rtp_bytes\":%ld}\n",
           opt.devices, registered_now, forbidden_total, (long long)t_all_registered_ms, keepalives_sent,
           catalog_queries, catalog_items_sent, catalog_chunks_dropped, record_queries, device_controls,
           info_requests, devinfo_queries, invites, acks, byes, rtp_packets, rtp_bytes);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0 || opt.server_text[0] == '\0') {
        usage();
        return 2;
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    jg_sip_init();
    srand((unsigned)getpid());
    if (ps.path != NULL && load_ps() != 0) {
        fprintf(stderr, "gbsim: %s is not an MPEG-PS file with pack headers\n", ps.path);
        return 2;
    }
    for (int i = 0; i < MAX_STREAMS; i++)
        streams[i].fd = -1;
    ep = epoll_create1(EPOLL_CLOEXEC);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    struct epoll_event sev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &sev);

    devs = calloc((size_t)opt.devices, sizeof(*devs));
    if (devs == NULL)
        return 1;
    t_start_ms = now_ms();
    for (int i = 0; i < opt.devices; i++) {
        device *d = &devs[i];
        snprintf(d->id, sizeof(d->id), "3501020000118%07lu",
                 (unsigned long)(opt.first_serial + i) % 10000000UL);
        d->bad_password = i < opt.wrong;
        if (open_device(d, i) != 0) {
            fprintf(stderr, "gbsim: cannot open the socket of device %d: %s\n", i, strerror(errno));
            return 1;
        }
        rand_hex(d->call_id, 12);
        rand_hex(d->tag, 6);
        d->next_register_ms = t_start_ms + (int64_t)i * 1000 / opt.rate;
    }
    printf("gbsim: %d devices with %d channels each over %s to %s\n", opt.devices, opt.channels,
           opt.tcp ? "tcp" : "udp", opt.server_text);
    fflush(stdout);

    if (rtp_to.sin_port != 0 && (ps.data == NULL || rtp_to_start() != 0)) {
        fprintf(stderr, "gbsim: --rtp-to needs --ps and sockets\n");
        return 1;
    }
    int64_t end_ms = opt.duration_s > 0 ? t_start_ms + (int64_t)opt.duration_s * 1000 : INT64_MAX;
    int stopping = 0;
    int64_t stop_deadline = 0;
    for (;;) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, ps.data != NULL ? 5 : 20);
        for (int k = 0; k < n; k++) {
            uint32_t i = evs[k].data.u32;
            if (i == UINT32_MAX) {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                    if (si.ssi_signo == SIGUSR1) {
                        keepalives_on = 0;
                        printf("gbsim: keepalives stopped\n");
                        fflush(stdout);
                    } else if (si.ssi_signo == SIGUSR2) {
                        media_stop();
                    } else {
                        end_ms = 0;
                    }
                }
                continue;
            }
            on_readable(&devs[i], (int)i);
        }
        int64_t now = now_ms();
        for (int i = 0; i < MAX_STREAMS; i++)
            stream_run(&streams[i], now);
        subs_run(now);
        if (now >= end_ms && !stopping) {
            stopping = 1;
            stop_deadline = now + 3000;
            if (opt.unregister_on_exit) {
                for (int i = 0; i < opt.devices; i++) {
                    if (devs[i].state == S_REGISTERED) {
                        devs[i].state = S_UNREGISTERING;
                        devs[i].nonce[0] = '\0';
                        send_register(&devs[i], 0);
                    }
                }
            }
        }
        if (stopping) {
            int pending = 0;
            for (int i = 0; i < opt.devices; i++)
                pending += devs[i].state == S_UNREGISTERING;
            if (pending == 0 || now >= stop_deadline)
                break;
            continue;
        }
        for (int i = 0; i < opt.devices && rtp_to.sin_port == 0; i++) {
            device *d = &devs[i];
            if ((d->state == S_IDLE || d->state == S_REGISTERED) && now >= d->next_register_ms) {
                if (d->state == S_IDLE)
                    d->state = S_WAIT_CHALLENGE;
                else
                    d->nonce[0] = '\0'; /* refresh: start with a fresh challenge */
                d->next_register_ms = now + 2000;
                send_register(d, opt.expires);
            } else if ((d->state == S_WAIT_CHALLENGE || d->state == S_WAIT_OK) && now - d->sent_ms > 2000) {
                d->state = S_WAIT_CHALLENGE; /* lost over UDP: start again */
                d->nonce[0] = '\0';
                send_register(d, opt.expires);
            }
            if (d->state == S_REGISTERED && keepalives_on && opt.keepalive_s > 0 &&
                now >= d->next_keepalive_ms) {
                send_keepalive(d);
                d->next_keepalive_ms = now + (int64_t)opt.keepalive_s * 1000;
            }
        }
    }
    summary();
    for (int i = 0; i < MAX_STREAMS; i++)
        if (streams[i].active)
            stream_stop(&streams[i]);
    if (frame_log != NULL)
        fclose(frame_log);
    free(ps.data);
    free(ps.packs);
    for (int i = 0; i < opt.devices; i++)
        close(devs[i].fd);
    free(devs);
    close(sfd);
    close(ep);
    return 0;
}
