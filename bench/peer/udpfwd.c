/* udpfwd: the plain-UDP-forwarding baseline of bench/video/media.sh — the cost of only moving
 * the packets of the media bench's streams through one process, next to which jianguan's CPU
 * (RTP reorder, PS demux, FLV mux, HTTP to viewers) is set.
 *
 *   udpfwd fwd IP BASE_PORT N SINK_IP SINK_PORT
 *       N UDP sockets on IP:BASE_PORT .. BASE_PORT+N-1, one per stream as jianguan has (4 MB
 *       receive buffers, as jianguan's RTP sockets), in one epoll; a readable socket is drained
 *       with recvmmsg (batches of 64) and every batch sent on with one sendmmsg to SINK_IP:SINK_PORT.
 *   udpfwd sink IP PORT N
 *       one socket (64 MB buffer) counting the datagrams of RTP SSRC 1..N (as gbsim --rtp-to sends).
 *
 * One thread each, no per-packet work beyond the system calls. SIGTERM ends either and prints
 * "udpfwd: got INDEX PACKETS" per stream (fwd: received; sink: arrived), then a JSON line. Built
 * by the bench with `cc -O2`; not part of the project's build. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define PKT_MAX 2048

static int udp_socket(const char *ip, int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (fd < 0 || inet_pton(AF_INET, ip, &a.sin_addr) != 1)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int num(const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno == 0 && end != s && *end == '\0' && v >= lo && v <= hi ? (int)v : -1;
}

int main(int argc, char **argv)
{
    int fwd = argc == 7 && strcmp(argv[1], "fwd") == 0, sink = argc == 5 && strcmp(argv[1], "sink") == 0;
    if (!fwd && !sink) {
        fprintf(stderr, "usage: udpfwd fwd IP BASE_PORT N SINK_IP SINK_PORT | udpfwd sink IP PORT N\n");
        return 2;
    }
    int base = num(argv[3], 1, 65535), n = num(argv[4], 1, 4096),
        sink_port = fwd ? num(argv[6], 1, 65535) : 0;
    if (base < 0 || n < 0 || sink_port < 0 || base + (fwd ? n : 1) > 65536)
        return 2;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sink_port)};
    if (fwd && inet_pton(AF_INET, argv[5], &to.sin_addr) != 1)
        return 2;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int ep = epoll_create1(EPOLL_CLOEXEC), sfd = signalfd(-1, &set, SFD_CLOEXEC);
    struct epoll_event sev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &sev);
    int nsock = fwd ? n : 1;
    int *fds = calloc((size_t)nsock, sizeof(int));
    unsigned long long *count = calloc((size_t)n, sizeof(*count)), total = 0, sent = 0, send_err = 0,
                       foreign = 0;
    for (int i = 0; i < nsock; i++) {
        fds[i] = udp_socket(argv[2], base + i, fwd ? 4 * 1024 * 1024 : 64 * 1024 * 1024);
        if (fds[i] < 0) {
            fprintf(stderr, "udpfwd: cannot bind %s:%d: %s\n", argv[2], base + i, strerror(errno));
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    printf("udpfwd: %s ready\n", argv[1]);
    fflush(stdout);

    static unsigned char bufs[BATCH][PKT_MAX];
    struct iovec iov[BATCH], oiov[BATCH];
    struct mmsghdr in[BATCH], out[BATCH];
    memset(in, 0, sizeof(in));
    memset(out, 0, sizeof(out));
    for (int j = 0; j < BATCH; j++) {
        iov[j] = (struct iovec){bufs[j], PKT_MAX};
        in[j].msg_hdr.msg_iov = &iov[j];
        in[j].msg_hdr.msg_iovlen = 1;
        oiov[j].iov_base = bufs[j];
        out[j].msg_hdr.msg_iov = &oiov[j];
        out[j].msg_hdr.msg_iovlen = 1;
        out[j].msg_hdr.msg_name = &to;
        out[j].msg_hdr.msg_namelen = sizeof(to);
    }
    for (int running = 1; running;) {
        struct epoll_event evs[256];
        int ne = epoll_wait(ep, evs, 256, -1);
        for (int k = 0; k < ne; k++) {
            uint32_t i = evs[k].data.u32;
            if (i == UINT32_MAX) {
                running = 0;
                continue;
            }
            for (;;) {
                int got = recvmmsg(fds[i], in, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0)
                    break;
                total += (unsigned long long)got;
                if (fwd) {
                    count[i] += (unsigned long long)got;
                    for (int j = 0; j < got; j++)
                        oiov[j].iov_len = in[j].msg_len;
                    for (int off = 0; off < got;) {
                        int w = sendmmsg(fds[i], out + off, (unsigned)(got - off), 0);
                        if (w < 0 && (errno == EAGAIN || errno == EINTR || errno == ENOBUFS))
                            continue;
                        if (w <= 0) {
                            send_err += (unsigned long long)(got - off);
                            break;
                        }
                        off += w;
                        sent += (unsigned long long)w;
                    }
                } else {
                    for (int j = 0; j < got; j++) {
                        const unsigned char *h = bufs[j];
                        unsigned long ssrc = in[j].msg_len >= 12
                                                 ? ((unsigned long)h[8] << 24) | ((unsigned long)h[9] << 16) |
                                                       ((unsigned long)h[10] << 8) | h[11]
                                                 : 0;
                        if (ssrc >= 1 && ssrc <= (unsigned long)n)
                            count[ssrc - 1]++;
                        else
                            foreign++;
                    }
                }
                if (got < BATCH)
                    break;
            }
        }
    }
    for (int i = 0; i < n; i++)
        printf("udpfwd: got %d %llu\n", i, count[i]);
    printf("{\"mode\":\"%s\",\"packets\":%llu,\"sent\":%llu,\"send_errors\":%llu,\"foreign\":%llu}\n",
           argv[1], total, sent, send_err, foreign);
    fflush(stdout);
    return 0;
}
