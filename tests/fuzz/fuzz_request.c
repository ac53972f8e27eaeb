/* libFuzzer driver for the request path: jg_http_precheck and jg_http_dispatch over a real app on a
 * migrated, seeded SQLite database in a scratch directory.
 *
 * Each input is an HTTP request written loosely:
 *
 *   METHOD /path?key=value&key=value      <- first line; METHOD is GET, POST, PUT, DELETE or HEAD by prefix
 *   Header-Name: value                    <- zero or more header lines
 *                                         <- a blank line
 *   body bytes ...                        <- everything after it
 *
 * Lines end in "\n" or "\r\n". The query is split on '&' and the first '=' without percent-decoding;
 * a NUL byte in a query or header line sets has_nul, as a decoded %00 does in the server.
 * Besides the sanitizers, every answer is checked: a status was set, JSON bodies parse, error
 * statuses carry {"error":{"code","message"}}, and a file that is served lies inside the web root
 * and is not hidden (the root holds .env and .git/config to tempt it). */
#include "base/config.h"
#include "base/log.h"
#include "base/text.h"
#include "db/migrate.h"
#include "engine/entity/def.h"
#include "engine/entity/schema.h"
#include "http/http_int.h"
#include "platform/seed.h"

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HEADERS 64
#define MAX_QUERY 64
#define SEED_PROJECTS 30

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static jg_config cfg;
static jg_db *db;
static jg_app app;
static int app_ready;
static int devnull = -1;
static char webroot[PATH_MAX]; /* resolved, for the served-file check */

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_request: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

static void put(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        die("cannot write", path);
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(d);
    rmdir(path);
}

static void cleanup(void)
{
    if (app_ready)
        jg_app_exit(&app);
    app_ready = 0;
    jg_db_close(db);
    db = NULL;
    jg_config_free(&cfg);
    if (devnull >= 0)
        close(devnull);
    if (dir[0] != '\0')
        remove_tree(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    jg_log_set_level(JG_LOG_ERROR);
    snprintf(dir, sizeof(dir), "/tmp/jg-fuzz-XXXXXX");
    if (mkdtemp(dir) == NULL)
        die("mkdtemp failed", NULL);
    atexit(cleanup);

    /* A small web root: an app shell, a script with a precompressed twin, a hashed asset. */
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/web", dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof(sub), "%s/web/assets", dir);
    mkdir(sub, 0700);
    snprintf(sub, sizeof(sub), "%s/web/.git", dir);
    mkdir(sub, 0700);
    put("web/index.html", "<!doctype html><title>建管</title>");
    put("web/app.js", "console.log('jianguan');\n");
    put("web/app.js.gz", "not really gzip");
    put("web/assets/a-1.css", "body{margin:0}");
    /* What a careless deploy leaves in the web root; never to be served. */
    put("web/.env", "DATABASE_PASSWORD=secret\n");
    put("web/.git/config", "[core]\n");
    snprintf(sub, sizeof(sub), "%s/web", dir);
    if (realpath(sub, webroot) == NULL)
        die("realpath failed", sub);

    char err[256] = "";
    if (jg_config_load(&cfg, NULL, err, sizeof(err)) != JG_OK)
        die("configuration", err);
    char url[128], web[128], data[128];
    snprintf(url, sizeof(url), "sqlite:%s/fuzz.db", dir);
    snprintf(web, sizeof(web), "%s/web", dir);
    snprintf(data, sizeof(data), "%s/data", dir);
    if (jg_config_set(&cfg, "database", url) != JG_OK || jg_config_set(&cfg, "web_dir", web) != JG_OK ||
        jg_config_set(&cfg, "data_dir", data) != JG_OK || jg_config_set(&cfg, "access_log", "off") != JG_OK ||
        jg_config_set(&cfg, "db_pool_size", "2") != JG_OK)
        die("configuration", "cannot set keys");

    jg_db_options opt = {(int)cfg.db_pool_size, (int)cfg.db_acquire_timeout_ms, (int)cfg.db_busy_retries,
                         (int)cfg.request_timeout_s * 1000};
    if (jg_db_open(cfg.database, &opt, &db, err, sizeof(err)) != JG_OK)
        die("database", err);
    int applied = 0;
    if (jg_migrate_up(db, &applied) != JG_OK)
        die("migration failed", NULL);
    jg_entity_set set; /* the entity tables, as `jianguan migrate` makes them (demo data fills some) */
    if (jg_entity_set_load_embedded(&set, err, sizeof(err)) != JG_OK ||
        jg_schema_sync(db, &set, 0, err, sizeof(err)) != JG_OK)
        die("entity tables", err);
    jg_entity_set_free(&set);
    if (jg_seed_demo(db, data, SEED_PROJECTS) != JG_OK)
        die("seeding failed", NULL);
    if (jg_app_init(&app, &cfg, db) != JG_OK)
        die("jg_app_init failed", NULL);
    app_ready = 1;
    /* The access log is written as the server writes it, to nowhere: its escaping is fuzzed too. */
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    return 0;
}

/* One line of the input: [*p, end of line), advancing *p past the line break. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
    if (*p >= end)
        return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl != NULL ? nl : end;
    *line = *p;
    *len = (size_t)(stop - *p);
    if (*len > 0 && (*line)[*len - 1] == '\r')
        (*len)--;
    *p = nl != NULL ? nl + 1 : end;
    return 1;
}

static const char *pick_method(const char *s, size_t n)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        size_t m = strlen(methods[i]);
        if (n >= m && memcmp(s, methods[i], m) == 0)
            return methods[i];
    }
    return "GET";
}

static void parse_query(jg_req *req, const char *q, size_t n)
{
    req->query = jg_arena_alloc(req->arena, sizeof(jg_kv) * MAX_QUERY);
    const char *p = q, *end = q + n;
    while (p < end && req->nquery < MAX_QUERY) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        if (stop > p) {
            /* The server refuses a NUL (a decoded %00) in a name or value; mirror that. */
            if (memchr(p, '\0', (size_t)(stop - p)) != NULL)
                req->has_nul = 1;
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            jg_kv *kv = &req->query[req->nquery++];
            if (eq != NULL) {
                kv->key = jg_arena_strndup(req->arena, p, (size_t)(eq - p));
                kv->value = jg_arena_strndup(req->arena, eq + 1, (size_t)(stop - eq - 1));
            } else {
                kv->key = jg_arena_strndup(req->arena, p, (size_t)(stop - p));
                kv->value = "";
            }
        }
        p = amp != NULL ? amp + 1 : end;
    }
}

/* A file being sent must be inside the web root, with no hidden component below it. */
static void check_served_file(const jg_req *req, int fd)
{
    char link[64], real[PATH_MAX];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, real, sizeof(real) - 1);
    if (n <= 0)
        return;
    real[n] = '\0';
    size_t root = strlen(webroot);
    if (strncmp(real, webroot, root) != 0 || real[root] != '/' || strstr(real + root, "/.") != NULL) {
        fprintf(stderr, "fuzz_request: %s %s served %s, which is outside the web root or hidden\n",
                req->method, req->path, real);
        abort();
    }
}

static void check_answer(const jg_req *req, const jg_resp *resp)
{
    if (resp->status < 100 || resp->status > 599) {
        fprintf(stderr, "fuzz_request: %s %s answered with status %d\n", req->method, req->path,
                resp->status);
        abort();
    }
    if (resp->fd >= 0)
        check_served_file(req, resp->fd);
    if (resp->fd >= 0 || resp->content_type == NULL ||
        strncmp(resp->content_type, "application/json", 16) != 0)
        return;
    if (resp->body == NULL || strlen(resp->body) != resp->body_len) {
        fprintf(stderr, "fuzz_request: %s %s: JSON body missing or length wrong\n", req->method, req->path);
        abort();
    }
    json_error_t e;
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, &e);
    if (doc == NULL) {
        fprintf(stderr, "fuzz_request: %s %s: status %d body is not JSON (%s): %.500s\n", req->method,
                req->path, resp->status, e.text, resp->body);
        abort();
    }
    if (resp->status >= 400) {
        json_t *err = json_object_get(doc, "error");
        if (!json_is_string(json_object_get(err, "code")) ||
            !json_is_string(json_object_get(err, "message"))) {
            fprintf(stderr, "fuzz_request: %s %s: status %d without an error object: %.500s\n", req->method,
                    req->path, resp->status, resp->body);
            abort();
        }
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    jg_req req;
    jg_resp resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.arena = jg_arena_new();
    req.app = &app;
    req.route = JG_ROUTE_NONE;
    req.ip = "127.0.0.1"; /* the server always sets the client's address */
    resp.fd = -1;

    /* Request line. */
    const char *line = "";
    size_t len = 0;
    next_line(&p, end, &line, &len);
    const char *sp = memchr(line, ' ', len);
    req.method = pick_method(line, sp != NULL ? (size_t)(sp - line) : len);
    const char *target = sp != NULL ? sp + 1 : line;
    size_t tlen = len - (size_t)(target - line);
    const char *sp2 = memchr(target, ' ', tlen); /* " HTTP/1.1" */
    if (sp2 != NULL)
        tlen = (size_t)(sp2 - target);
    const char *qmark = memchr(target, '?', tlen);
    size_t plen = qmark != NULL ? (size_t)(qmark - target) : tlen;
    req.path = jg_arena_strndup(req.arena, target, plen);
    if (qmark != NULL)
        parse_query(&req, qmark + 1, tlen - plen - 1);

    /* Headers until a blank line. */
    req.headers = jg_arena_alloc(req.arena, sizeof(jg_kv) * MAX_HEADERS);
    while (next_line(&p, end, &line, &len) && len > 0) {
        const char *colon = memchr(line, ':', len);
        if (colon == NULL || req.nheaders == MAX_HEADERS)
            continue;
        const char *v = colon + 1, *vend = line + len;
        while (v < vend && (*v == ' ' || *v == '\t'))
            v++;
        if (memchr(line, '\0', len) != NULL)
            req.has_nul = 1;
        jg_kv *kv = &req.headers[req.nheaders++];
        kv->key = jg_arena_strndup(req.arena, line, (size_t)(colon - line));
        kv->value = jg_arena_strndup(req.arena, v, (size_t)(vend - v));
    }

    /* The body: exactly its bytes plus the NUL the server's buffer adds, so ASan sees overreads. */
    size_t body_len = (size_t)(end - p);
    char *body = malloc(body_len + 1);
    if (body_len > 0)
        memcpy(body, p, body_len);
    body[body_len] = '\0';
    req.body = body;
    req.body_len = body_len;

    int64_t declared = 0;
    const char *cl = jg_req_header(&req, "Content-Length");
    if (cl == NULL || jg_parse_int64(cl, 0, INT64_MAX, &declared) != JG_OK)
        declared = (int64_t)body_len;

    if (!jg_http_precheck(&app, &req, (uint64_t)declared, &resp))
        jg_http_dispatch(&app, &req, &resp);
    check_answer(&req, &resp);

    /* What the server does when the exchange completes. */
    jg_access_log(devnull, &req, resp.status, resp.fd >= 0 ? resp.fd_size : resp.body_len, 1234);
    jg_metrics_observe(app.metrics, req.route, resp.status, 1234);
    if (resp.fd >= 0)
        close(resp.fd);
    free(body);
    jg_arena_free(req.arena);
    return 0;
}
