/* The built web UI: files under web_dir with MIME types, caching, precompressed .gz and SPA fallback. */
#include "http/http_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext, *type;
} mime[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".otf", "font/otf"},
    {".txt", "text/plain; charset=utf-8"},
    {".pdf", "application/pdf"},
    {".wasm", "application/wasm"},
    {".webmanifest", "application/manifest+json"},
    {".xml", "application/xml"},
};

const char *jg_static_mime(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot != NULL)
        for (size_t i = 0; i < sizeof(mime) / sizeof(mime[0]); i++)
            if (strcasecmp(dot, mime[i].ext) == 0)
                return mime[i].type;
    return "application/octet-stream";
}

int jg_static_path_safe(const char *path)
{
    if (path[0] != '/' || strchr(path, '\\') != NULL)
        return 0;
    for (const char *p = path; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20)
            return 0;
        if (p[0] == '/' && p[1] == '.')
            return 0; /* "..", "." and hidden files such as /.git or /.env */
    }
    return 1;
}

/* Whether Accept-Encoding lists gzip without refusing it (q=0). */
static int accepts_gzip(const jg_req *req)
{
    const char *ae = jg_req_header(req, "Accept-Encoding");
    const char *g = ae != NULL ? strcasestr(ae, "gzip") : NULL;
    if (g == NULL)
        return 0;
    const char *end = g + strcspn(g, ",");
    const char *q = strcasestr(g, "q=");
    if (q == NULL || q > end)
        return 1;
    return strtod(q + 2, NULL) > 0;
}

/* Open a regular file; returns the fd or -1. */
static int open_file(const char *full, struct stat *st)
{
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

static int has_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strchr(slash ? slash : path, '.') != NULL;
}

void jg_static_serve(jg_app *app, jg_req *req, jg_resp *resp)
{
    const char *path = req->path;
    if (!jg_static_path_safe(path)) {
        jg_resp_error(req, resp, JG_NOTFOUND, "页面不存在");
        return;
    }
    const char *root = app->cfg->web_dir;
    const char *rel =
        path[strlen(path) - 1] == '/' ? jg_arena_printf(req->arena, "%sindex.html", path) : path;
    struct stat st;
    char *full = jg_arena_printf(req->arena, "%s%s", root, rel);
    int fd = open_file(full, &st);
    if (fd < 0 && !has_extension(path)) {
        /* A client-side route of the single-page app: the app's shell answers it. */
        rel = "/index.html";
        full = jg_arena_printf(req->arena, "%s%s", root, rel);
        fd = open_file(full, &st);
    }
    if (fd < 0) {
        jg_resp_error(req, resp, JG_NOTFOUND, "页面不存在");
        return;
    }
    int immutable = strncmp(rel, "/assets/", 8) == 0;
    char etag[64];
    snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtime);
    if (accepts_gzip(req)) {
        struct stat gst;
        int gfd = open_file(jg_arena_printf(req->arena, "%s.gz", full), &gst);
        if (gfd >= 0) {
            close(fd);
            fd = gfd;
            st = gst;
            snprintf(etag, sizeof(etag), "\"%llx-%llx-gz\"", (unsigned long long)st.st_size,
                     (unsigned long long)st.st_mtime);
            jg_resp_header(req, resp, "Content-Encoding", "gzip");
        }
        jg_resp_header(req, resp, "Vary", "Accept-Encoding");
    }
    jg_resp_header(req, resp, "ETag", etag);
    jg_resp_header(req, resp, "Cache-Control",
                   immutable ? "public, max-age=31536000, immutable" : "no-cache");
    jg_resp_header(req, resp, "X-Content-Type-Options", "nosniff");
    resp->content_type = jg_static_mime(rel);
    const char *inm = jg_req_header(req, "If-None-Match");
    if (inm != NULL && strcmp(inm, etag) == 0) {
        close(fd);
        resp->status = 304;
        resp->body = "";
        resp->body_len = 0;
        return;
    }
    resp->status = 200;
    resp->fd = fd;
    resp->fd_size = (uint64_t)st.st_size;
}
