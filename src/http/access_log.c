/* Access log: one JSON line per request (method, path, status, bytes, microseconds, user). */
#include "http/http_int.h"

#include "base/buf.h"
#include "base/jsonw.h"
#include "base/timeutil.h"

#include <unistd.h>

static void put_string(jg_buf *b, const char *s)
{
    if (s == NULL)
        jg_buf_puts(b, "null");
    else
        jg_jsonw_text(b, s);
}

void jg_access_log(int fd, const jg_req *req, int status, uint64_t bytes, int64_t micros)
{
    if (fd < 0)
        return;
    char ts[32];
    jg_time_iso_now(ts, sizeof(ts));
    jg_buf b;
    jg_buf_init(&b, 8192);
    jg_buf_printf(&b, "{\"ts\":\"%s\",\"method\":", ts);
    put_string(&b, req->method);
    jg_buf_puts(&b, ",\"path\":");
    put_string(&b, req->path);
    jg_buf_printf(&b, ",\"status\":%d,\"bytes\":%llu,\"us\":%lld,\"user\":", status,
                  (unsigned long long)bytes, (long long)micros);
    put_string(&b, req->user);
    if (jg_buf_puts(&b, "}\n") != JG_OK) {
        /* An absurd path overflowed the line: log it without the path. */
        jg_buf_free(&b);
        jg_buf_printf(&b, "{\"ts\":\"%s\",\"status\":%d,\"path\":null}\n", ts, status);
    }
    /* One write per line: lines from concurrent workers never interleave (O_APPEND). */
    ssize_t w = write(fd, b.data, b.len);
    (void)w;
    jg_buf_free(&b);
}
