/* Internals of the HTTP layer: router, metrics, static files, server glue. */
#ifndef JG_HTTP_INT_H
#define JG_HTTP_INT_H
#include "http/http.h"

/* Pseudo route indexes for requests no route matched. */
enum { JG_ROUTE_NONE = -1, JG_ROUTE_STATIC = -2 };

/* ---- router.c ---- */
typedef enum { JG_MATCH_OK, JG_MATCH_NOPATH, JG_MATCH_NOMETHOD } jg_match;

/* New empty router. Never returns NULL. */
jg_router *jg_router_new(void);
/* Free the router (not the route tables it points to). NULL is a no-op. */
void jg_router_free(jg_router *r);
/* Register a route (the table must outlive the router). JG_INVALID for a malformed pattern,
 * JG_CONFLICT when the same method and pattern exist. */
jg_rc jg_router_add(jg_router *r, const jg_route *route);
/* Number of routes. */
int jg_router_count(const jg_router *r);
/* Route by index. */
const jg_route *jg_router_at(const jg_router *r, int i);
/* Match method and path; on JG_MATCH_OK sets *index and the path parameters (arena-allocated);
 * on JG_MATCH_NOMETHOD writes the allowed methods ("GET, POST") to allow (arena-allocated). */
jg_match jg_router_match(const jg_router *r, const char *method, const char *path, jg_arena *a, int *index,
                         jg_kv **params, int *nparams, const char **allow);

/* The largest body route index (or JG_ROUTE_NONE, JG_ROUTE_STATIC) accepts: max_body_bytes, or
 * for JG_ROUTE_UPLOAD / JG_ROUTE_IMPORT routes the file limit plus JG_FORM_SLACK when larger. */
size_t jg_http_body_limit(const jg_app *app, int route);

/* ---- metrics.c ---- */
/* New metrics for nroutes routes. Never returns NULL. */
jg_metrics *jg_metrics_new(int nroutes);
/* Free metrics. NULL is a no-op. */
void jg_metrics_free(jg_metrics *m);
/* Count one finished request. Thread-safe, lock-free. */
void jg_metrics_observe(jg_metrics *m, int route, int status, int64_t micros);
/* Track requests in flight (+1 / -1). */
void jg_metrics_inflight(jg_metrics *m, int delta);
/* Requests in flight now. */
long jg_metrics_inflight_now(jg_metrics *m);
/* Render the Prometheus text format into the arena. Never returns NULL. */
char *jg_metrics_render(jg_app *app, jg_arena *a);

/* ---- static.c ---- */
/* Serve a file of the built web UI (GET/HEAD only), with SPA fallback to index.html. */
void jg_static_serve(jg_app *app, jg_req *req, jg_resp *resp);
/* Return 1 if path is safe to join to the web root (no "..", no NUL, no backslash), else 0. */
int jg_static_path_safe(const char *path);
/* MIME type by file name extension; "application/octet-stream" when unknown. */
const char *jg_static_mime(const char *path);

/* ---- openapi.c ---- */
/* Build the OpenAPI 3 document of every registered route. Caller frees. Never returns NULL. */
char *jg_openapi_build(const jg_router *r);

/* ---- access_log.c ---- */
/* Write one JSON line for a finished request to fd (-1: nothing). Cannot fail. */
void jg_access_log(int fd, const jg_req *req, int status, uint64_t bytes, int64_t micros);

#endif
