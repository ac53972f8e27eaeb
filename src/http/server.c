/* libmicrohttpd glue: a thread pool over epoll, body collection with limits, graceful shutdown. */
#include "http/http_int.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A streamed answer (jg_resp_stream). libmicrohttpd reads it through read_stream and lets go of it
 * when the response is destroyed; the exchange keeps it for the byte count of the access log.
 * libmicrohttpd does not say which of the two comes first, so the last to let go frees it. */
struct stream {
    jg_stream_fn next;
    void *ud;
    void (*done)(void *ud);
    jg_buf piece; /* what next produced and is not sent yet, from off */
    size_t off;
    int end;
    atomic_int failed; /* next failed: the answer was cut short by the server */
    atomic_ullong bytes;
    atomic_int refs;
};

/* Largest piece one call of a stream's next may produce. */
#define STREAM_PIECE_MAX (64u << 20)
#define STREAM_BLOCK (32u * 1024)

/* Per-request state, from the first callback to the completion notice. */
struct exchange {
    jg_req req;
    jg_resp resp;
    jg_buf body;
    int queued;
    uint64_t bytes; /* body bytes of the queued response */
    int64_t start_us;
    struct stream *stream; /* a streamed answer, or NULL */
};

struct kv_list {
    jg_arena *arena;
    jg_kv *kv;
    int n, cap;
    int nul; /* some key or value contained a NUL byte */
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                               const char *value, size_t value_size)
{
    (void)kind;
    struct kv_list *l = cls;
    /* A decoded %00 would silently cut the text short: refuse such requests instead. */
    if (strlen(key) != key_size || (value != NULL && strlen(value) != value_size))
        l->nul = 1;
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 16;
        jg_kv *kv = jg_arena_alloc(l->arena, sizeof(jg_kv) * (size_t)cap);
        if (l->n > 0)
            memcpy(kv, l->kv, sizeof(jg_kv) * (size_t)l->n);
        l->kv = kv;
        l->cap = cap;
    }
    l->kv[l->n].key = key;
    l->kv[l->n].value = value != NULL ? value : "";
    l->n++;
    return MHD_YES;
}

/* Copy the headers or query arguments; returns 1 if one of them held a NUL byte. */
static int fill_list(struct MHD_Connection *conn, enum MHD_ValueKind kind, jg_arena *a, jg_kv **out, int *n)
{
    struct kv_list l = {a, NULL, 0, 0, 0};
    MHD_get_connection_values_n(conn, kind, collect, &l);
    *out = l.kv;
    *n = l.n;
    return l.nul;
}

static void stream_unref(struct stream *s)
{
    if (atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    jg_buf_free(&s->piece);
    free(s);
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct stream *s = cls;
    while (s->off == s->piece.len) {
        if (s->end)
            return MHD_CONTENT_READER_END_OF_STREAM;
        /* Reuse the piece's memory: a long export stays within one piece's size. */
        s->piece.len = 0;
        s->off = 0;
        jg_rc rc = s->next(s->ud, &s->piece, &s->end);
        if (rc == JG_OK && s->piece.overflowed)
            rc = JG_TOOLARGE;
        if (rc != JG_OK) {
            jg_warn("streamed answer cut short: %s", jg_rc_name(rc));
            atomic_store(&s->failed, 1);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
    }
    size_t n = s->piece.len - s->off < max ? s->piece.len - s->off : max;
    memcpy(buf, s->piece.data + s->off, n);
    s->off += n;
    atomic_fetch_add(&s->bytes, n);
    return (ssize_t)n;
}

/* The response is destroyed: the producer's state goes, the byte count stays for the exchange. */
static void end_stream(void *cls)
{
    struct stream *s = cls;
    if (s->done != NULL)
        s->done(s->ud);
    s->ud = NULL;
    stream_unref(s);
}

static struct MHD_Response *stream_response(struct exchange *x)
{
    jg_resp *resp = &x->resp;
    struct stream *s = jg_xcalloc(1, sizeof(*s));
    s->next = resp->stream;
    s->ud = resp->stream_ud;
    s->done = resp->stream_done;
    jg_buf_init(&s->piece, STREAM_PIECE_MAX);
    atomic_init(&s->failed, 0);
    atomic_init(&s->bytes, 0);
    atomic_init(&s->refs, 2); /* the response and the exchange */
    resp->stream = NULL;      /* the stream owns ud now */
    resp->stream_ud = NULL;
    x->stream = s;
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, read_stream, s, end_stream);
    if (r == NULL)
        end_stream(s);
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct exchange *x)
{
    jg_resp *resp = &x->resp;
    struct MHD_Response *r;
    if (resp->stream != NULL)
        r = stream_response(x);
    else if (resp->fd >= 0)
        r = MHD_create_response_from_fd64(resp->fd_size, resp->fd);
    else /* The body lives in the request arena, which outlives the response (freed on completion). */
        r = MHD_create_response_from_buffer(resp->body_len, (void *)(resp->body ? resp->body : ""),
                                            MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    x->bytes = x->stream != NULL ? 0 : resp->fd >= 0 ? resp->fd_size : resp->body_len;
    resp->fd = -1; /* the response owns it now */
    if (resp->content_type != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
    if (x->req.route != JG_ROUTE_STATIC) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    }
    for (int i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].key, resp->headers[i].value);
    x->queued = 1;
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static const char *client_ip(struct MHD_Connection *conn, jg_arena *a)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char text[INET6_ADDRSTRLEN] = "";
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, text, sizeof(text));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, text,
                      sizeof(text));
    }
    return jg_arena_strdup(a, text);
}

static struct exchange *start(jg_app *app, struct MHD_Connection *conn, const char *url, const char *method)
{
    struct exchange *x = jg_xcalloc(1, sizeof(*x));
    jg_arena *a = jg_arena_new();
    x->start_us = jg_time_mono_us();
    x->req.arena = a;
    x->req.app = app;
    x->req.method = jg_arena_strdup(a, method);
    x->req.path = jg_arena_strdup(a, url);
    x->req.route = JG_ROUTE_NONE;
    x->resp.fd = -1;
    x->req.has_nul = fill_list(conn, MHD_HEADER_KIND, a, &x->req.headers, &x->req.nheaders);
    x->req.has_nul |= fill_list(conn, MHD_GET_ARGUMENT_KIND, a, &x->req.query, &x->req.nquery);
    jg_buf_init(&x->body, (size_t)app->cfg->max_body_bytes);
    x->req.ip = client_ip(conn, a);
    jg_metrics_inflight(app->metrics, 1);
    return x;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    jg_app *app = cls;
    struct exchange *x = *con_cls;
    if (x == NULL) {
        x = start(app, conn, url, method);
        *con_cls = x;
        int64_t declared = 0;
        const char *cl = jg_req_header(&x->req, "Content-Length");
        if (cl != NULL && jg_parse_int64(cl, 0, INT64_MAX, &declared) != JG_OK)
            declared = 0; /* MHD itself rejects a malformed Content-Length */
        if (jg_http_precheck(app, &x->req, (uint64_t)declared, &x->resp))
            return queue(conn, x);
        x->body.max = jg_http_body_limit(app, x->req.route); /* nothing is read yet */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (x->queued || x->body.overflowed)
            return MHD_YES; /* answered already, or too large: discard the rest */
        if (jg_buf_append(&x->body, upload_data, n) != JG_OK) {
            jg_buf_free(&x->body); /* nothing of it is kept; 413 once the upload ends */
            x->body.overflowed = 1;
        }
        return MHD_YES;
    }
    if (x->queued)
        return MHD_YES;
    if (x->body.overflowed) {
        /* libmicrohttpd 0.9.75 cannot answer in the middle of an upload, so a chunked body over
         * the limit is read to its end (bounded by request_timeout_s) and stored nowhere. */
        jg_resp_error(&x->req, &x->resp, JG_TOOLARGE, "请求内容过大");
        return queue(conn, x);
    }
    x->req.body = x->body.data != NULL ? x->body.data : "";
    x->req.body_len = x->body.len;
    jg_http_dispatch(app, &x->req, &x->resp);
    return queue(conn, x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    jg_app *app = cls;
    struct exchange *x = *con_cls;
    if (x == NULL)
        return;
    *con_cls = NULL;
    int64_t us = jg_time_mono_us() - x->start_us;
    /* 499, as nginx says, when the client went away before an answer was sent. */
    int status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || x->queued ? x->resp.status : 499;
    if (x->stream != NULL) {
        x->bytes = atomic_load(&x->stream->bytes);
        if (atomic_load(&x->stream->failed))
            status = 500; /* cut short by the producer (the status line said 200 already) */
        else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            status = 499;
        stream_unref(x->stream);
    }
    jg_access_log(app->access_fd, &x->req, status, x->bytes, us);
    jg_metrics_observe(app->metrics, x->req.route, status, us);
    jg_metrics_inflight(app->metrics, -1);
    if (x->resp.fd >= 0)
        close(x->resp.fd);
    if (x->resp.stream != NULL && x->resp.stream_done != NULL) /* set but never sent */
        x->resp.stream_done(x->resp.stream_ud);
    jg_buf_free(&x->body);
    jg_arena_free(x->req.arena);
    free(x);
}

static jg_rc parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
        return JG_INVALID;
    int64_t port;
    if (jg_parse_int64(colon + 1, 0, 65535, &port) != JG_OK)
        return JG_INVALID;
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    size_t hl = strlen(host);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
            return JG_INVALID;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return JG_OK;
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
        return JG_INVALID;
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    *len = sizeof(*in4);
    return JG_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n')
        line[n - 1] = '\0';
    jg_debug("microhttpd: %s", line);
}

jg_rc jg_server_run(jg_app *app)
{
    const jg_config *cfg = app->cfg;
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(cfg->listen, &ss, &sslen) != JG_OK) {
        jg_error("listen must be host:port, got %s", cfg->listen);
        return JG_INVALID;
    }
    /* Signals are taken by sigwait below; workers inherit the blocked mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    /* libmicrohttpd clears its per-connection pool for every request: keep it no larger than
     * headers need, so our own 431 check still sees header blocks a little over the limit. */
    size_t memory = (size_t)cfg->max_header_bytes * 3 / 2 + 8 * 1024;
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, app, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)cfg->request_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, app, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                         NULL, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024U, MHD_OPTION_END);
    if (d == NULL) {
        jg_error("cannot listen on %s", cfg->listen);
        return JG_UNAVAILABLE;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char where[160];
    snprintf(where, sizeof(where), "%.*s:%u", (int)(strrchr(cfg->listen, ':') - cfg->listen), cfg->listen,
             info ? (unsigned)info->port : 0U);
    jg_info("listening on http://%s (%ld threads, database %s)", where, cfg->threads,
            jg_db_kind_name(app->db));

    int sig = 0;
    sigwait(&set, &sig);
    jg_info("signal %d: no new connections, finishing requests in flight", sig);
    MHD_socket lfd = MHD_quiesce_daemon(d);
    /* Quiescing stops accept() but the kernel would still queue connections on the open socket:
     * shut it so new clients are refused at once rather than left hanging for the grace period. */
    if (lfd != MHD_INVALID_SOCKET)
        shutdown(lfd, SHUT_RDWR);
    int64_t deadline = jg_time_mono_us() + (int64_t)cfg->shutdown_grace_s * 1000000;
    while (jg_metrics_inflight_now(app->metrics) > 0 && jg_time_mono_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    long left = jg_metrics_inflight_now(app->metrics);
    if (left > 0)
        jg_warn("%ld requests still running after %ld s; stopping anyway", left, cfg->shutdown_grace_s);
    MHD_stop_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    jg_info("stopped");
    return JG_OK;
}
