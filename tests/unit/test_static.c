/* Unit tests for src/http/static.c: path safety, MIME types, and serving files from a scratch web root. */
#include "http/http_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static void safe_paths(void **state)
{
    (void)state;
    const char *ok[] = {"/", "/index.html", "/assets/a-1.js", "/assets/app.3f2a1b.css", "/a..b/c",
                        "/file.tar.gz", "/projects/123/edit", "/公示/项目", "/a/b.", "/a/b..c"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!jg_static_path_safe(ok[i]))
            fail_msg("safe path \"%s\" was rejected", ok[i]);
}

static void unsafe_paths(void **state)
{
    (void)state;
    const char *bad[] = {"",           "index.html",  "../x",      "/../x",       "/..",
                         "/a/../b",    "/a/..",       "/a/b/../../etc/passwd",     "/./a",
                         "/a/./b",     "/a/.",        "/.git/config",              "/.env",
                         "/a/.hidden", "/a\\b",       "/..\\x",    "\\a",         "/a\001b",
                         "/a\nb",      "/a\rb",       "/\t",       "/a\x1f"};
    char accepted[512] = "";
    size_t n = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (jg_static_path_safe(bad[i]))
            n += (size_t)snprintf(accepted + n, sizeof(accepted) - n, " \"%s\"", bad[i]);
    if (n > 0)
        fail_msg("unsafe paths accepted:%s", accepted);
}

static void mime_types(void **state)
{
    (void)state;
    assert_string_equal(jg_static_mime("/index.html"), "text/html; charset=utf-8");
    assert_string_equal(jg_static_mime("/INDEX.HTML"), "text/html; charset=utf-8");
    assert_string_equal(jg_static_mime("/assets/a-1.js"), "text/javascript; charset=utf-8");
    assert_string_equal(jg_static_mime("/assets/app.css"), "text/css; charset=utf-8");
    assert_string_equal(jg_static_mime("/fonts/a.woff2"), "font/woff2");
    assert_string_equal(jg_static_mime("/fonts/a.woff"), "font/woff");
    assert_string_equal(jg_static_mime("/logo.svg"), "image/svg+xml");
    assert_string_equal(jg_static_mime("/x.json"), "application/json; charset=utf-8");
    assert_string_equal(jg_static_mime("/a.min.js"), "text/javascript; charset=utf-8");
    assert_string_equal(jg_static_mime("/data.xyz"), "application/octet-stream");
    assert_string_equal(jg_static_mime("/noext"), "application/octet-stream");
    assert_string_equal(jg_static_mime("/"), "application/octet-stream");
    /* A dot in a directory name is not an extension. */
    assert_string_equal(jg_static_mime("/v1.html/file"), "application/octet-stream");
    assert_string_equal(jg_static_mime("/a.jsx"), "application/octet-stream");
}

/* ---- serving from a scratch web root ---- */

static char root[64];
static char sub[128];
static jg_config cfg;
static jg_app app;

static int setup(void **state)
{
    (void)state;
    char p[256];
    tmpdir_make(root, sizeof(root));
    snprintf(p, sizeof(p), "%s/index.html", root);
    write_file(p, "<!doctype html><title>建管</title>");
    snprintf(p, sizeof(p), "%s/app.js", root);
    write_file(p, "console.log(1);\n");
    snprintf(p, sizeof(p), "%s/app.js.gz", root);
    write_file(p, "GZ");
    snprintf(sub, sizeof(sub), "%s/assets", root);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(p, sizeof(p), "%s/assets/a-1.css", root);
    write_file(p, "body{}");
    memset(&cfg, 0, sizeof(cfg));
    cfg.web_dir = root;
    memset(&app, 0, sizeof(app));
    app.cfg = &cfg;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmpdir_remove(sub);
    tmpdir_remove(root);
    return 0;
}

struct served {
    jg_req req;
    jg_resp resp;
    jg_kv headers[4];
};

static void serve(struct served *s, const char *path, const char *accept_encoding, const char *inm)
{
    memset(s, 0, sizeof(*s));
    s->req.arena = jg_arena_new();
    s->req.app = &app;
    s->req.method = "GET";
    s->req.path = path;
    s->req.route = JG_ROUTE_STATIC;
    s->req.headers = s->headers;
    if (accept_encoding != NULL)
        s->headers[s->req.nheaders++] = (jg_kv){"Accept-Encoding", accept_encoding};
    if (inm != NULL)
        s->headers[s->req.nheaders++] = (jg_kv){"If-None-Match", inm};
    s->resp.fd = -1;
    jg_static_serve(&app, &s->req, &s->resp);
}

static void done(struct served *s)
{
    if (s->resp.fd >= 0)
        close(s->resp.fd);
    jg_arena_free(s->req.arena);
}

static const char *resp_header(const jg_resp *resp, const char *name)
{
    for (int i = 0; i < resp->nheaders; i++)
        if (strcmp(resp->headers[i].key, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

static void file_body(int fd, char *out, size_t outlen)
{
    ssize_t n = pread(fd, out, outlen - 1, 0);
    assert_true(n >= 0);
    out[n] = '\0';
}

static void serves_files_with_types_and_caching(void **state)
{
    (void)state;
    struct served s;
    char body[256];
    serve(&s, "/app.js", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    assert_true(s.resp.fd >= 0);
    assert_int_equal(s.resp.fd_size, strlen("console.log(1);\n"));
    file_body(s.resp.fd, body, sizeof(body));
    assert_string_equal(body, "console.log(1);\n");
    assert_string_equal(s.resp.content_type, "text/javascript; charset=utf-8");
    assert_string_equal(resp_header(&s.resp, "Cache-Control"), "no-cache");
    assert_string_equal(resp_header(&s.resp, "X-Content-Type-Options"), "nosniff");
    assert_null(resp_header(&s.resp, "Content-Encoding"));
    assert_non_null(resp_header(&s.resp, "ETag"));
    done(&s);

    serve(&s, "/assets/a-1.css", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    assert_string_equal(s.resp.content_type, "text/css; charset=utf-8");
    assert_string_equal(resp_header(&s.resp, "Cache-Control"), "public, max-age=31536000, immutable");
    done(&s);

    /* "/" is the index page. */
    serve(&s, "/", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    assert_string_equal(s.resp.content_type, "text/html; charset=utf-8");
    file_body(s.resp.fd, body, sizeof(body));
    assert_string_equal(body, "<!doctype html><title>建管</title>");
    done(&s);
}

static void precompressed_gzip(void **state)
{
    (void)state;
    struct served s;
    char body[64];
    serve(&s, "/app.js", "br, gzip", NULL);
    assert_int_equal(s.resp.status, 200);
    assert_string_equal(resp_header(&s.resp, "Content-Encoding"), "gzip");
    assert_string_equal(resp_header(&s.resp, "Vary"), "Accept-Encoding");
    assert_int_equal(s.resp.fd_size, 2);
    file_body(s.resp.fd, body, sizeof(body));
    assert_string_equal(body, "GZ");
    assert_string_equal(s.resp.content_type, "text/javascript; charset=utf-8"); /* type of the original */
    done(&s);
}

static void gzip_refused_with_q0(void **state)
{
    (void)state;
    struct served s;
    const char *refusing[] = {"gzip;q=0", "br, gzip; q=0", "GZIP;Q=0.0, br", "identity"};
    for (size_t i = 0; i < sizeof(refusing) / sizeof(refusing[0]); i++) {
        serve(&s, "/app.js", refusing[i], NULL);
        assert_int_equal(s.resp.status, 200);
        if (resp_header(&s.resp, "Content-Encoding") != NULL)
            fail_msg("Accept-Encoding: %s got gzip", refusing[i]);
        assert_int_equal(s.resp.fd_size, strlen("console.log(1);\n"));
        done(&s);
    }
    const char *accepting[] = {"gzip", "gzip;q=0.5", "br;q=0, gzip", "deflate, GZIP"};
    for (size_t i = 0; i < sizeof(accepting) / sizeof(accepting[0]); i++) {
        serve(&s, "/app.js", accepting[i], NULL);
        if (resp_header(&s.resp, "Content-Encoding") == NULL)
            fail_msg("Accept-Encoding: %s did not get gzip", accepting[i]);
        assert_int_equal(s.resp.fd_size, 2);
        done(&s);
    }
}

static void spa_fallback_and_not_found(void **state)
{
    (void)state;
    struct served s;
    char body[256];
    /* A client-side route without an extension gets the app's shell. */
    serve(&s, "/projects/42/edit", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    assert_string_equal(s.resp.content_type, "text/html; charset=utf-8");
    file_body(s.resp.fd, body, sizeof(body));
    assert_string_equal(body, "<!doctype html><title>建管</title>");
    done(&s);
    /* A client-side route with a trailing slash too (there is no index.html below it). */
    serve(&s, "/projects/", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    assert_string_equal(s.resp.content_type, "text/html; charset=utf-8");
    done(&s);
    /* A directory is not a file: also the shell. */
    serve(&s, "/assets", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    assert_string_equal(s.resp.content_type, "text/html; charset=utf-8");
    done(&s);
    /* A missing file with an extension is a 404 JSON error, not the shell. */
    serve(&s, "/missing.js", NULL, NULL);
    assert_int_equal(s.resp.status, 404);
    assert_int_equal(s.resp.fd, -1);
    assert_string_equal(s.resp.content_type, "application/json; charset=utf-8");
    assert_non_null(strstr(s.resp.body, "\"not_found\""));
    done(&s);
    /* Unsafe paths never reach the file system. */
    serve(&s, "/../etc/passwd", NULL, NULL);
    assert_int_equal(s.resp.status, 404);
    assert_int_equal(s.resp.fd, -1);
    done(&s);
    serve(&s, "/assets/../index.html", NULL, NULL);
    assert_int_equal(s.resp.status, 404);
    done(&s);
}

static void etag_gives_304(void **state)
{
    (void)state;
    struct served s;
    char etag[64];
    serve(&s, "/app.js", NULL, NULL);
    assert_int_equal(s.resp.status, 200);
    snprintf(etag, sizeof(etag), "%s", resp_header(&s.resp, "ETag"));
    done(&s);
    assert_int_equal(etag[0], '"');
    serve(&s, "/app.js", NULL, etag);
    assert_int_equal(s.resp.status, 304);
    assert_int_equal(s.resp.fd, -1);
    assert_int_equal(s.resp.body_len, 0);
    done(&s);
    /* The gzip variant has its own tag, so a plain tag does not match it. */
    serve(&s, "/app.js", "gzip", etag);
    assert_int_equal(s.resp.status, 200);
    assert_string_not_equal(resp_header(&s.resp, "ETag"), etag);
    done(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(safe_paths),
        cmocka_unit_test(unsafe_paths),
        cmocka_unit_test(mime_types),
        cmocka_unit_test_setup_teardown(serves_files_with_types_and_caching, setup, teardown),
        cmocka_unit_test_setup_teardown(precompressed_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(gzip_refused_with_q0, setup, teardown),
        cmocka_unit_test_setup_teardown(spa_fallback_and_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(etag_gives_304, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
