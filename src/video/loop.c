/* jianguan video's event loop: one thread, epoll over the UDP socket, the TCP listener and its
 * connections, a signalfd for SIGTERM/SIGINT; timers run every 100 ms. */
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "video/video.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum { K_UDP = 1, K_LISTEN, K_SIGNAL, K_CONN };

#define CONN_IN_MAX (2 * JG_SIP_MAX_MESSAGE)
#define CONN_OUT_MAX (1024 * 1024)
#define MAX_CONNS 200000
#define UDP_BATCH 256

typedef struct {
    int kind;
} handle;

typedef struct {
    jg_vsvc svc;
    int ep, udp, tcp, sfd;
    handle h_udp, h_tcp, h_sig;
    jg_vconn *conns;
    size_t nconns;
} loop;

static void conn_close(loop *l, jg_vconn *c)
{
    jg_vsvc_conn_closed(&l->svc, c, c->gb_id);
    epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    l->nconns--;
    jg_buf_free(&c->in);
    jg_buf_free(&c->out);
    free(c);
}

static void conn_want_write(loop *l, jg_vconn *c, int on)
{
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_flush(loop *l, jg_vconn *c)
{
    while (c->out.len > 0) {
        ssize_t w = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (w <= 0) {
            c->dead = 1;
            return;
        }
        memmove(c->out.data, c->out.data + w, c->out.len - (size_t)w);
        c->out.len -= (size_t)w;
    }
    conn_want_write(l, c, c->out.len > 0);
}

static void send_cb(jg_vsvc *svc, const jg_vpeer *peer, const char *data, size_t len)
{
    loop *l = svc->send_ud;
    if (peer->transport == JG_VT_UDP) {
        if (sendto(l->udp, data, len, 0, (const struct sockaddr *)&peer->addr, sizeof(peer->addr)) < 0)
            jg_debug("video: UDP send failed: %s", strerror(errno));
        return;
    }
    jg_vconn *c = peer->conn;
    if (c == NULL || c->dead) {
        jg_debug("video: no TCP connection to send on");
        return;
    }
    int was_empty = c->out.len == 0;
    if (jg_buf_append(&c->out, data, len) != JG_OK) {
        jg_warn("video: TCP peer is not reading; dropping its connection");
        c->dead = 1;
        return;
    }
    if (was_empty)
        conn_flush(l, c);
}

static void on_udp(loop *l)
{
    static char buf[65536];
    for (int i = 0; i < UDP_BATCH; i++) {
        jg_vpeer peer;
        memset(&peer, 0, sizeof(peer));
        socklen_t alen = sizeof(peer.addr);
        ssize_t n = recvfrom(l->udp, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&peer.addr, &alen);
        if (n < 0)
            return; /* EAGAIN: drained */
        if (peer.addr.sin_family != AF_INET)
            continue;
        buf[n] = '\0';
        peer.transport = JG_VT_UDP;
        l->svc.now_us = jg_time_mono_us();
        jg_vsvc_handle(&l->svc, buf, (size_t)n, &peer);
    }
}

static void on_accept(loop *l)
{
    for (;;) {
        struct sockaddr_in a;
        socklen_t alen = sizeof(a);
        int fd = accept4(l->tcp, (struct sockaddr *)&a, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (l->nconns >= MAX_CONNS || a.sin_family != AF_INET) {
            close(fd);
            continue;
        }
        jg_vconn *c = jg_xcalloc(1, sizeof(*c));
        c->kind = K_CONN;
        c->fd = fd;
        c->peer = a;
        c->last_us = jg_time_mono_us();
        jg_buf_init(&c->in, CONN_IN_MAX);
        jg_buf_init(&c->out, CONN_OUT_MAX);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            jg_buf_free(&c->in);
            jg_buf_free(&c->out);
            free(c);
            continue;
        }
        c->next = l->conns;
        if (l->conns != NULL)
            l->conns->prev = c;
        l->conns = c;
        l->nconns++;
    }
}

/* An outgoing connection (cascade.c: SIP over TCP to an upper platform), watched like an accepted one. */
static jg_vconn *connect_cb(jg_vsvc *svc, const struct sockaddr_in *addr)
{
    loop *l = svc->send_ud;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return NULL;
    if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 && errno != EINPROGRESS) {
        close(fd);
        return NULL;
    }
    jg_vconn *c = jg_xcalloc(1, sizeof(*c));
    c->kind = K_CONN;
    c->fd = fd;
    c->peer = *addr;
    c->last_us = jg_time_mono_us();
    jg_buf_init(&c->in, CONN_IN_MAX);
    jg_buf_init(&c->out, CONN_OUT_MAX);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
        close(fd);
        jg_buf_free(&c->in);
        jg_buf_free(&c->out);
        free(c);
        return NULL;
    }
    c->next = l->conns;
    if (l->conns != NULL)
        l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    return c;
}

static void on_conn(loop *l, jg_vconn *c, uint32_t events)
{
    if (events & EPOLLOUT)
        conn_flush(l, c);
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->dead)
        return;
    char chunk[16384];
    for (;;) {
        ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0 || jg_buf_append(&c->in, chunk, (size_t)n) != JG_OK) {
            c->dead = 1;
            return;
        }
        c->last_us = jg_time_mono_us();
        for (;;) {
            long m = jg_sip_frame(c->in.data, c->in.len);
            if (m < 0) {
                jg_debug("video: broken SIP stream over TCP; closing it");
                c->dead = 1;
                return;
            }
            if (m == 0)
                break;
            if (c->in.data[0] != '\r' && c->in.data[0] != '\n') {
                jg_vpeer peer = {JG_VT_TCP, c->peer, c};
                char save = c->in.data[m];
                c->in.data[m] = '\0';
                l->svc.now_us = jg_time_mono_us();
                jg_vsvc_handle(&l->svc, c->in.data, (size_t)m, &peer);
                c->in.data[m] = save;
                if (c->dead)
                    return;
            }
            memmove(c->in.data, c->in.data + m, c->in.len - (size_t)m + 1);
            c->in.len -= (size_t)m;
        }
    }
}

static void reap(loop *l)
{
    int64_t now = jg_time_mono_us();
    int64_t idle =
        (l->svc.cfg->video_keepalive_interval_s * l->svc.cfg->video_keepalive_count + 60) * 1000000LL;
    jg_vconn *c = l->conns;
    while (c != NULL) {
        jg_vconn *next = c->next;
        if (c->dead || now - c->last_us > idle)
            conn_close(l, c);
        c = next;
    }
}

static int bind_socket(int type, const struct sockaddr_in *a)
{
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (const struct sockaddr *)a, sizeof(*a)) != 0 ||
        (type == SOCK_STREAM && listen(fd, 4096) != 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* UDP and TCP on the same port; with port 0 the kernel picks one that is free for both. */
static jg_rc open_sockets(loop *l)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    if (inet_pton(AF_INET, l->svc.listen_host, &a.sin_addr) != 1) {
        jg_error("video_sip_listen: %s is not an IPv4 address", l->svc.listen_host);
        return JG_INVALID;
    }
    for (int attempt = 0; attempt < 20; attempt++) {
        a.sin_port = htons((uint16_t)l->svc.listen_port);
        l->udp = bind_socket(SOCK_DGRAM, &a);
        if (l->udp < 0)
            break;
        socklen_t alen = sizeof(a);
        getsockname(l->udp, (struct sockaddr *)&a, &alen);
        l->tcp = bind_socket(SOCK_STREAM, &a);
        if (l->tcp >= 0) {
            l->svc.listen_port = ntohs(a.sin_port);
            int size = 8 * 1024 * 1024;
            if (setsockopt(l->udp, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0)
                setsockopt(l->udp, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
            return JG_OK;
        }
        close(l->udp);
        l->udp = -1;
        if (l->svc.listen_port != 0)
            break;
    }
    jg_error("video: cannot listen on %s (UDP and TCP): %s", l->svc.cfg->video_sip_listen, strerror(errno));
    return JG_UNAVAILABLE;
}

static void raise_fd_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

static int watch(loop *l, int fd, handle *h)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
    return epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev);
}

jg_rc jg_video_run(const jg_config *cfg, jg_db *db, const unsigned char *field_key)
{
    /* Block the signals before the writer thread starts, so it inherits the mask and only the
     * signalfd sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    loop *l = jg_xcalloc(1, sizeof(*l));
    l->udp = l->tcp = l->sfd = l->ep = -1;
    jg_rc rc = jg_vsvc_init(&l->svc, cfg, db, field_key, send_cb);
    l->svc.send_ud = l;
    l->svc.connect = connect_cb;
    int media_only = jg_vrole(cfg) == JG_VROLE_MEDIA; /* a media node: no SIP (nodes.c) */
    if (rc == JG_OK) {
        raise_fd_limit();
        rc = media_only ? JG_OK : open_sockets(l);
    }
    if (rc == JG_OK) {
        l->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
        l->ep = epoll_create1(EPOLL_CLOEXEC);
        l->h_udp.kind = K_UDP;
        l->h_tcp.kind = K_LISTEN;
        l->h_sig.kind = K_SIGNAL;
        if (l->sfd < 0 || l->ep < 0 ||
            (!media_only && (watch(l, l->udp, &l->h_udp) != 0 || watch(l, l->tcp, &l->h_tcp) != 0)) ||
            watch(l, l->sfd, &l->h_sig) != 0) {
            jg_error("video: cannot set up the event loop: %s", strerror(errno));
            rc = JG_ERR;
        }
    }
    if (rc == JG_OK)
        rc = jg_vmedia_open(&l->svc, l->ep);
    if (rc == JG_OK)
        rc = jg_vnodes_open(&l->svc, l->ep);
    if (rc == JG_OK) {
        if (media_only)
            jg_info("video: media node %s running (no SIP), database %s", cfg->video_node_id,
                    jg_db_kind_name(db));
        else
            jg_info("video: SIP listening on udp+tcp %s:%d as %s (realm %s), database %s", l->svc.listen_host,
                    l->svc.listen_port, cfg->video_sip_id, l->svc.realm, jg_db_kind_name(db));
        int stop = 0;
        int64_t last_reap = jg_time_mono_us();
        while (!stop) {
            struct epoll_event evs[64];
            int n = epoll_wait(l->ep, evs, 64, 100);
            if (n < 0 && errno != EINTR) {
                jg_error("video: epoll_wait: %s", strerror(errno));
                rc = JG_ERR;
                break;
            }
            for (int i = 0; i < n; i++) {
                handle *h = evs[i].data.ptr;
                if (h->kind == K_UDP) {
                    on_udp(l);
                } else if (h->kind == K_LISTEN) {
                    on_accept(l);
                } else if (h->kind == K_SIGNAL) {
                    struct signalfd_siginfo si;
                    if (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        jg_info("video: signal %u: stopping (sent by pid %u)", si.ssi_signo, si.ssi_pid);
                        stop = 1;
                    }
                } else if (h->kind == JG_VH_MEDIA) {
                    jg_vmh *mh = (jg_vmh *)h;
                    if (mh->fd >= 0) /* closed earlier in this round */
                        mh->on_event(mh, evs[i].events);
                } else {
                    on_conn(l, (jg_vconn *)h, evs[i].events);
                }
            }
            l->svc.now_us = jg_time_mono_us();
            jg_vsvc_tick(&l->svc);
            if (l->svc.now_us - last_reap >= 1000000) {
                last_reap = l->svc.now_us;
                reap(l);
            } else {
                for (jg_vconn *c = l->conns, *next; c != NULL; c = next) {
                    next = c->next;
                    if (c->dead)
                        conn_close(l, c);
                }
            }
        }
    }
    jg_vnodes_stop(&l->svc);
    jg_vmedia_close(&l->svc);
    jg_vnodes_close(&l->svc);
    jg_vinvite_close_all(&l->svc);
    jg_vcascade_unregister(&l->svc); /* Expires: 0 to upper platforms, over TCP too */
    while (l->conns != NULL)
        conn_close(l, l->conns);
    uint64_t registers = l->svc.stat_registers, keepalives = l->svc.stat_keepalives, bad = l->svc.stat_bad;
    if (l->svc.store != NULL)
        jg_vsvc_exit(&l->svc);
    if (rc == JG_OK)
        jg_info("video: stopped (%llu registrations, %llu keepalives, %llu unreadable messages)",
                (unsigned long long)registers, (unsigned long long)keepalives, (unsigned long long)bad);
    if (l->udp >= 0)
        close(l->udp);
    if (l->tcp >= 0)
        close(l->tcp);
    if (l->sfd >= 0)
        close(l->sfd);
    if (l->ep >= 0)
        close(l->ep);
    free(l);
    return rc;
}
