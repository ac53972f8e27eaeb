/* The media node's side of several media nodes, and the small HTTP client both sides use.
 *
 * The client runs on the event loop (no thread, no blocking call but the connect of a host name
 * that is not an IPv4 literal): a non-blocking connect, one GET with Connection: close, the answer
 * read until the peer closes, then the callback. Every request is a signed control request
 * ("&exp=&sig=" appended, HMAC-SM3 under the control key both sides derive from the field key).
 *
 * A media node (video_role = media) sends a heartbeat every second with its load, asks the
 * signalling service to INVITE a device when a viewer opens a stream here (the node chose the RTP
 * port and the SSRC; a playback adds &start=&end=, and the service INVITEs with s=Playback), and
 * tells it when a stream ends here (BYE). The heartbeat's answer lists the streams the signalling
 * service holds for this node; one that is playing here but not listed (the device hung up, a
 * playback reached its end: MediaStatus 121, the service restarted) ends; a playback it lists as
 * paused (INFO PAUSE sent in the dialog it holds) is exempt from the RTP timeout until it is not. */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "video/liveurl.h"
#include "video/nodes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_MAX (256 * 1024)

struct jg_vhreq {
    jg_vmh h; /* first: an epoll handle of kind JG_VH_MEDIA */
    jg_vhreq *next;
    jg_vsvc *svc;
    char *wire;
    size_t wlen, woff;
    jg_buf in;
    char ctx[192];
    jg_vhttp_cb cb;
    int64_t deadline_us;
    int sent;
};

static int64_t now_of(const jg_vsvc *svc)
{
    return svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
}

static void req_unlink(jg_vnodes *ns, jg_vhreq *r)
{
    for (jg_vhreq **pp = &ns->reqs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

/* Close r, call its callback with the answer (status 0: none), free it after this round. */
static void req_finish(jg_vhreq *r)
{
    jg_vsvc *svc = r->svc;
    jg_vnodes *ns = svc->nodes;
    if (r->h.fd >= 0) {
        epoll_ctl(ns->ep, EPOLL_CTL_DEL, r->h.fd, NULL);
        close(r->h.fd);
        r->h.fd = -1;
    }
    req_unlink(ns, r);
    r->next = ns->grave;
    ns->grave = r;
    int status = 0;
    const char *body = "";
    if (r->in.len > 12 && strncmp(r->in.data, "HTTP/1.", 7) == 0) {
        status = (int)strtol(r->in.data + 9, NULL, 10);
        const char *b = strstr(r->in.data, "\r\n\r\n");
        body = b != NULL ? b + 4 : "";
    }
    if (r->cb != NULL)
        r->cb(svc, r->ctx, status, body);
    r->cb = NULL;
}

static void on_req(jg_vmh *h, uint32_t events)
{
    jg_vhreq *r = (jg_vhreq *)h;
    if (!r->sent && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0) {
            req_finish(r);
            return;
        }
        while (r->woff < r->wlen) {
            ssize_t w = send(h->fd, r->wire + r->woff, r->wlen - r->woff, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (w <= 0) {
                req_finish(r);
                return;
            }
            r->woff += (size_t)w;
        }
        r->sent = 1;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &r->h};
        epoll_ctl(r->svc->nodes->ep, EPOLL_CTL_MOD, h->fd, &ev);
        return;
    }
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        return;
    char chunk[8192];
    for (;;) {
        ssize_t n = recv(h->fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0 || jg_buf_append(&r->in, chunk, (size_t)n) != JG_OK) {
            req_finish(r);
            return;
        }
    }
}

/* host:port of base ("http://HOST:PORT/PREFIX") into a, the prefix into prefix. */
static int resolve(const char *base, struct sockaddr_in *a, char *host, size_t hostlen, char *prefix,
                   size_t prefixlen)
{
    const char *h = strstr(base, "://");
    if (h == NULL || strncmp(base, "http://", 7) != 0)
        return 0; /* https between nodes is not done: a TLS front end terminates it */
    h += 3;
    size_t hl = strcspn(h, "/");
    snprintf(prefix, prefixlen, "%s", h + hl);
    size_t pl = strlen(prefix);
    while (pl > 0 && prefix[pl - 1] == '/')
        prefix[--pl] = '\0';
    if (hl == 0 || hl >= hostlen)
        return 0;
    snprintf(host, hostlen, "%.*s", (int)hl, h);
    char name[256]; /* at least the caller's host buffer */
    const char *colon = strrchr(host, ':');
    int64_t port = 80;
    if (colon != NULL) {
        if (jg_parse_int64(colon + 1, 1, 65535, &port) != JG_OK)
            return 0;
        snprintf(name, sizeof(name), "%.*s", (int)(colon - host), host);
    } else {
        snprintf(name, sizeof(name), "%s", host);
    }
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, name, &a->sin_addr) == 1)
        return 1;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, NULL, &hints, &res) != 0 || res == NULL)
        return 0;
    a->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
    freeaddrinfo(res);
    return 1;
}

void jg_vhttp_get(jg_vsvc *svc, const char *base, const char *target, const char *ctx, jg_vhttp_cb cb,
                  int timeout_ms)
{
    jg_vnodes *ns = svc->nodes;
    if (ns == NULL)
        return;
    jg_vhreq *r = jg_xcalloc(1, sizeof(*r));
    r->h.kind = JG_VH_MEDIA;
    r->h.fd = -1;
    r->h.on_event = on_req;
    r->h.owner = r;
    r->svc = svc;
    r->cb = cb;
    snprintf(r->ctx, sizeof(r->ctx), "%s", ctx);
    jg_buf_init(&r->in, ANSWER_MAX);
    r->deadline_us = now_of(svc) + (int64_t)timeout_ms * 1000;
    r->next = ns->reqs;
    ns->reqs = r;
    struct sockaddr_in a;
    char host[160], prefix[160];
    if (!resolve(base, &a, host, sizeof(host), prefix, sizeof(prefix))) {
        r->deadline_us = 0; /* answered "no answer" at the next tick */
        return;
    }
    /* sign "/ctl/...&exp=E" as jg_ctl_check wants it */
    char signed_part[1024], sig[JG_LIVEURL_SIG_LEN + 1];
    int n = snprintf(signed_part, sizeof(signed_part), "%s&exp=%lld", target, (long long)time(NULL) + 60);
    if (n < 0 || (size_t)n >= sizeof(signed_part)) {
        r->deadline_us = 0;
        return;
    }
    jg_ctl_sign(ns->ctl_key, signed_part, (size_t)n, sig);
    size_t cap = (size_t)n + strlen(prefix) + strlen(host) + 256;
    r->wire = jg_xmalloc(cap);
    r->wlen = (size_t)snprintf(r->wire, cap,
                               "GET %s%s&sig=%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: jianguan-video-node\r\n"
                               "Connection: close\r\n\r\n",
                               prefix, signed_part, sig, host);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r->deadline_us = 0;
        return;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS) {
        close(fd);
        r->deadline_us = 0;
        return;
    }
    r->h.fd = fd;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &r->h};
    if (epoll_ctl(ns->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        r->h.fd = -1;
        r->deadline_us = 0;
    }
}

static void free_req(jg_vhreq *r)
{
    jg_buf_free(&r->in);
    free(r->wire);
    free(r);
}

void jg_vnodes_client_tick(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    while (ns->grave != NULL) {
        jg_vhreq *r = ns->grave;
        ns->grave = r->next;
        free_req(r);
    }
    int64_t now = now_of(svc);
    for (;;) {
        jg_vhreq *due = NULL;
        for (jg_vhreq *r = ns->reqs; r != NULL && due == NULL; r = r->next)
            if (now >= r->deadline_us)
                due = r;
        if (due == NULL)
            break;
        due->in.len = 0; /* a partial answer is no answer */
        req_finish(due);
    }
}

void jg_vnodes_client_close(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    while (ns->reqs != NULL) {
        jg_vhreq *r = ns->reqs;
        r->cb = NULL;
        req_finish(r);
    }
    while (ns->grave != NULL) {
        jg_vhreq *r = ns->grave;
        ns->grave = r->next;
        free_req(r);
    }
}

/* ---- the media node ---- */

static void beat_cb(jg_vsvc *svc, const char *ctx, int status, const char *body)
{
    (void)ctx;
    jg_vnodes *ns = svc->nodes;
    ns->beat_inflight = 0;
    if (status != 200) {
        if (!ns->beat_failing)
            jg_warn("video: the signalling service at %s does not take our heartbeat (%d)",
                    svc->cfg->video_signalling_url, status);
        ns->beat_failing = 1;
        return;
    }
    if (ns->beat_failing)
        jg_info("video: heartbeats to %s answered again", svc->cfg->video_signalling_url);
    ns->beat_failing = 0;
    json_t *j = json_loads(body, 0, NULL);
    jg_vmedia_node_sync(svc, json_object_get(j, "streams"), json_object_get(j, "paused"));
    json_decref(j);
}

/* CPU used by this process since the last call, in percent of one core. */
static double cpu_percent(jg_vnodes *ns, int64_t now)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    int64_t used = (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec +
                   (int64_t)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec;
    double pct = 0;
    if (ns->last_load_us != 0 && now > ns->last_load_us)
        pct = 100.0 * (double)(used - ns->last_cpu_us) / (double)(now - ns->last_load_us);
    ns->last_cpu_us = used;
    return pct;
}

void jg_vnodes_heartbeat(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    int64_t now = now_of(svc);
    ns->last_beat_us = now;
    long streams = 0, viewers = 0;
    uint64_t bytes = 0;
    jg_vmedia_load(svc, &streams, &viewers, &bytes);
    ns->cpu = cpu_percent(ns, now);
    if (ns->last_load_us != 0 && now > ns->last_load_us && bytes >= ns->last_bytes)
        ns->bps = (double)(bytes - ns->last_bytes) * 1e6 / (double)(now - ns->last_load_us);
    ns->last_bytes = bytes;
    ns->last_load_us = now;
    if (ns->beat_inflight)
        return;
    char target[512];
    snprintf(target, sizeof(target),
             "/ctl/node/beat?node=%s&boot=%s&url=%s&ip=%s&streams=%ld&viewers=%ld&bps=%.0f&cpu=%.1f",
             svc->cfg->video_node_id, ns->boot, svc->cfg->video_node_url, ns->rtp_ip, streams, viewers,
             ns->bps, ns->cpu);
    ns->beat_inflight = 1;
    jg_vhttp_get(svc, svc->cfg->video_signalling_url, target, "", beat_cb, 2000);
}

static void invite_cb(jg_vsvc *svc, const char *ctx, int status, const char *body)
{
    /* ctx: "KEY TOKEN" */
    char key[96];
    unsigned long long token = 0;
    if (sscanf(ctx, "%95s %llu", key, &token) != 2)
        return;
    json_t *j = json_loads(body, 0, NULL);
    const char *ssrc = json_string_value(json_object_get(j, "ssrc"));
    if (status != 200) {
        const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        jg_info("video: INVITE of %s through the signalling service: %d %s", key, status,
                msg != NULL ? msg : "");
    }
    jg_vmedia_node_result(svc, key, (uint64_t)token, status, ssrc);
    json_decref(j);
}

/* "&start=S&end=E" of a playback's range into out, or "" for live. */
static void range_args(const long long *range, char *out, size_t outlen)
{
    if (range != NULL)
        snprintf(out, outlen, "&start=%lld&end=%lld", range[0], range[1]);
    else
        out[0] = '\0';
}

void jg_vnodes_invite(jg_vsvc *svc, const char *key, uint64_t token, const char *device, const char *channel,
                      const long long *range, const char *ip, int port, int tcp, const char *ssrc)
{
    char target[512], ctx[160], ra[64];
    range_args(range, ra, sizeof(ra));
    snprintf(target, sizeof(target),
             "/ctl/node/invite?node=%s&device=%s&channel=%s&ip=%s&port=%d&tcp=%d&ssrc=%s%s",
             svc->cfg->video_node_id, device, channel, ip, port, tcp, ssrc, ra);
    snprintf(ctx, sizeof(ctx), "%s %llu", key, (unsigned long long)token);
    jg_info("video: asking the signalling service to INVITE %s to %s:%d (SSRC %s)", key, ip, port, ssrc);
    /* the device has 10 s to answer the INVITE (invite.c): a little more here */
    jg_vhttp_get(svc, svc->cfg->video_signalling_url, target, ctx, invite_cb, 13000);
}

void jg_vnodes_bye(jg_vsvc *svc, const char *device, const char *channel, const long long *range)
{
    if (svc->nodes == NULL || svc->nodes->stopping)
        return; /* the leave request moves them instead */
    char target[256], ra[64];
    range_args(range, ra, sizeof(ra));
    snprintf(target, sizeof(target), "/ctl/node/bye?node=%s&device=%s&channel=%s%s", svc->cfg->video_node_id,
             device, channel, ra);
    jg_vhttp_get(svc, svc->cfg->video_signalling_url, target, "", NULL, 3000);
}

static void leave_cb(jg_vsvc *svc, const char *ctx, int status, const char *body)
{
    (void)ctx;
    (void)body;
    if (status == 200)
        jg_info("video: the signalling service moves this node's streams");
    else
        jg_warn("video: the signalling service did not take our leave (%d): it will notice in %ld s", status,
                svc->cfg->video_node_dead_s);
}

void jg_vnodes_send_leave(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    char target[160];
    snprintf(target, sizeof(target), "/ctl/node/leave?node=%s&boot=%s", svc->cfg->video_node_id, ns->boot);
    jg_vhttp_get(svc, svc->cfg->video_signalling_url, target, "", leave_cb, 1000);
    /* The media node is closed: only our requests (and the signalfd) are left on the epoll. */
    int64_t end = jg_time_mono_us() + 1100000;
    while (ns->reqs != NULL && jg_time_mono_us() < end) {
        struct epoll_event evs[16];
        int n = epoll_wait(ns->ep, evs, 16, 50);
        for (int i = 0; i < n; i++)
            for (jg_vhreq *r = ns->reqs; r != NULL; r = r->next)
                if (&r->h == evs[i].data.ptr && r->h.fd >= 0) {
                    r->h.on_event(&r->h, evs[i].events);
                    break;
                }
        svc->now_us = jg_time_mono_us();
        jg_vnodes_client_tick(svc);
    }
}
