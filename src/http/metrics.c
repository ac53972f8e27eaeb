/* Prometheus metrics: requests by route and status, a latency histogram, pool use, build info. */
#include "http/http_int.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/version.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const int statuses[] = {200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
                               413, 415, 422, 429, 431, 500, 503, 504, 0 /* other */};
#define NSTATUS ((int)(sizeof(statuses) / sizeof(statuses[0])))

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKET ((int)(sizeof(bounds) / sizeof(bounds[0])))

/* Rows: one per route, then "static" and "unmatched". */
struct jg_metrics {
    int nroutes;
    atomic_ulong *count; /* (nroutes + 2) * NSTATUS */
    atomic_ulong bucket[NBUCKET + 1];
    atomic_ullong sum_us;
    atomic_long inflight;
};

jg_metrics *jg_metrics_new(int nroutes)
{
    jg_metrics *m = jg_xcalloc(1, sizeof(*m));
    m->nroutes = nroutes;
    m->count = jg_xcalloc((size_t)(nroutes + 2) * NSTATUS, sizeof(atomic_ulong));
    return m;
}

void jg_metrics_free(jg_metrics *m)
{
    if (m == NULL)
        return;
    free(m->count);
    free(m);
}

static int row_of(const jg_metrics *m, int route)
{
    if (route >= 0 && route < m->nroutes)
        return route;
    return route == JG_ROUTE_STATIC ? m->nroutes : m->nroutes + 1;
}

void jg_metrics_observe(jg_metrics *m, int route, int status, int64_t micros)
{
    int s = NSTATUS - 1;
    for (int i = 0; i < NSTATUS - 1; i++)
        if (statuses[i] == status)
            s = i;
    atomic_fetch_add_explicit(&m->count[row_of(m, route) * NSTATUS + s], 1, memory_order_relaxed);
    double secs = (double)micros / 1e6;
    int b = NBUCKET;
    for (int i = 0; i < NBUCKET; i++)
        if (secs <= bounds[i]) {
            b = i;
            break;
        }
    atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_us, (unsigned long long)(micros > 0 ? micros : 0),
                              memory_order_relaxed);
}

void jg_metrics_inflight(jg_metrics *m, int delta)
{
    atomic_fetch_add(&m->inflight, delta);
}

long jg_metrics_inflight_now(jg_metrics *m)
{
    return atomic_load(&m->inflight);
}

char *jg_metrics_render(jg_app *app, jg_arena *a)
{
    jg_metrics *m = app->metrics;
    jg_buf b;
    jg_buf_init(&b, 16 << 20);
    jg_buf_puts(&b, "# HELP jianguan_http_requests_total HTTP requests by route, method and status.\n"
                    "# TYPE jianguan_http_requests_total counter\n");
    for (int r = 0; r < m->nroutes + 2; r++) {
        const char *pattern = "static", *method = "GET";
        if (r < m->nroutes) {
            pattern = jg_router_at(app->router, r)->pattern;
            method = jg_router_at(app->router, r)->method;
        } else if (r == m->nroutes + 1) {
            pattern = "unmatched";
            method = "any";
        }
        for (int s = 0; s < NSTATUS; s++) {
            unsigned long n = atomic_load_explicit(&m->count[r * NSTATUS + s], memory_order_relaxed);
            if (n == 0)
                continue;
            char st[8] = "other";
            if (statuses[s])
                snprintf(st, sizeof(st), "%d", statuses[s]);
            jg_buf_printf(&b, "jianguan_http_requests_total{route=\"%s\",method=\"%s\",status=\"%s\"} %lu\n",
                          pattern, method, st, n);
        }
    }
    jg_buf_puts(&b, "# HELP jianguan_http_request_duration_seconds Time from request to response.\n"
                    "# TYPE jianguan_http_request_duration_seconds histogram\n");
    unsigned long cum = 0;
    for (int i = 0; i <= NBUCKET; i++) {
        cum += atomic_load_explicit(&m->bucket[i], memory_order_relaxed);
        if (i < NBUCKET)
            jg_buf_printf(&b, "jianguan_http_request_duration_seconds_bucket{le=\"%g\"} %lu\n", bounds[i],
                          cum);
        else
            jg_buf_printf(&b, "jianguan_http_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    }
    jg_buf_printf(&b, "jianguan_http_request_duration_seconds_sum %.6f\n",
                  (double)atomic_load(&m->sum_us) / 1e6);
    jg_buf_printf(&b, "jianguan_http_request_duration_seconds_count %lu\n", cum);
    jg_buf_printf(&b,
                  "# HELP jianguan_http_requests_in_flight Requests being handled now.\n"
                  "# TYPE jianguan_http_requests_in_flight gauge\n"
                  "jianguan_http_requests_in_flight %ld\n",
                  jg_metrics_inflight_now(m));
    jg_db_stats ds;
    jg_db_get_stats(app->db, &ds);
    jg_buf_printf(&b,
                  "# HELP jianguan_db_pool_connections Database connections by state.\n"
                  "# TYPE jianguan_db_pool_connections gauge\n"
                  "jianguan_db_pool_connections{state=\"in_use\"} %d\n"
                  "jianguan_db_pool_connections{state=\"idle\"} %d\n"
                  "# HELP jianguan_db_pool_acquires_total Connections borrowed from the pool.\n"
                  "# TYPE jianguan_db_pool_acquires_total counter\n"
                  "jianguan_db_pool_acquires_total %llu\n"
                  "# HELP jianguan_db_pool_waits_total Borrows that had to wait for a connection.\n"
                  "# TYPE jianguan_db_pool_waits_total counter\n"
                  "jianguan_db_pool_waits_total %llu\n"
                  "# HELP jianguan_db_pool_timeouts_total Borrows that gave up waiting.\n"
                  "# TYPE jianguan_db_pool_timeouts_total counter\n"
                  "jianguan_db_pool_timeouts_total %llu\n",
                  ds.in_use, ds.size - ds.in_use, (unsigned long long)ds.acquires,
                  (unsigned long long)ds.waits, (unsigned long long)ds.timeouts);
    jg_buf_printf(&b,
                  "# HELP jianguan_build_info Version, commit and database backend of this server.\n"
                  "# TYPE jianguan_build_info gauge\n"
                  "jianguan_build_info{version=\"%s\",commit=\"%s\",database=\"%s\"} 1\n",
                  JG_VERSION, JG_COMMIT, jg_db_kind_name(app->db));
    char *out = jg_arena_strdup(a, b.data);
    jg_buf_free(&b);
    return out;
}
