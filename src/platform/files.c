/* Uploaded files: POST /api/v1/files (multipart, field "file") and GET /api/v1/files/{id}.
 * The content is stored once per SM3 under data_dir/files/<ab>/<cd>/<sm3>; every upload gets its
 * own row in table file (0007_files.sql). The kind comes from the content, never from the name. */
#include "platform/files.h"

#include "base/log.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAME_CHARS 200
#define MAX_ZIP_ENTRIES 65535

static unsigned u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static size_t u32(const unsigned char *p)
{
    return (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
}

/* A zip's kind from the names of its central directory (found through the end record):
 *   end record "PK\5\6": +10 entries (u16), +12 directory size (u32), +16 directory offset (u32)
 *   entry "PK\1\2" (46 bytes): +28 name length, +30 extra length, +32 comment length; name at +46
 * NULL when the directory is not where the end record says. */
static const char *zip_kind(const unsigned char *d, size_t len)
{
    if (len < 22)
        return NULL;
    size_t eocd = len - 22, stop = len - 22 > 65535 ? len - 22 - 65535 : 0;
    for (;;) {
        if (memcmp(d + eocd, "PK\5\6", 4) == 0)
            break;
        if (eocd == stop)
            return NULL;
        eocd--;
    }
    size_t size = u32(d + eocd + 12), off = u32(d + eocd + 16);
    if (off > eocd || size > eocd - off)
        return NULL;
    int content_types = 0, word = 0, xl = 0, ofd = 0;
    size_t p = off, end = off + size;
    for (int i = 0; p < end && i < MAX_ZIP_ENTRIES; i++) {
        if (end - p < 46 || memcmp(d + p, "PK\1\2", 4) != 0)
            return NULL;
        size_t n = u16(d + p + 28), skip = 46 + n + u16(d + p + 30) + u16(d + p + 32);
        if (skip > end - p)
            return NULL;
        const char *name = (const char *)d + p + 46;
        if (n == 19 && memcmp(name, "[Content_Types].xml", 19) == 0)
            content_types = 1;
        else if (n > 5 && memcmp(name, "word/", 5) == 0)
            word = 1;
        else if (n > 3 && memcmp(name, "xl/", 3) == 0)
            xl = 1;
        else if (n == 7 && memcmp(name, "OFD.xml", 7) == 0)
            ofd = 1;
        p += skip;
    }
    if (ofd)
        return "ofd";
    if (content_types && word)
        return "docx";
    if (content_types && xl)
        return "xlsx";
    return "zip";
}

const char *jg_files_kind(const unsigned char *d, size_t len)
{
    if (len >= 5 && memcmp(d, "%PDF-", 5) == 0)
        return "pdf";
    if (len >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "jpg";
    if (len >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "png";
    if (len >= 12 && memcmp(d + 4, "ftyp", 4) == 0)
        return "mp4";
    if (len >= 4 && (memcmp(d, "PK\3\4", 4) == 0 || memcmp(d, "PK\5\6", 4) == 0))
        return zip_kind(d, len);
    return NULL;
}

const char *jg_files_mime(const char *kind)
{
    static const char *const map[][2] = {
        {"pdf", "application/pdf"},
        {"ofd", "application/ofd"},
        {"jpg", "image/jpeg"},
        {"png", "image/png"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
        {"zip", "application/zip"},
        {"mp4", "video/mp4"},
    };
    for (size_t i = 0; kind != NULL && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], kind) == 0)
            return map[i][1];
    return "application/octet-stream";
}

static void file_path(const char *data_dir, const char *sm3hex, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/files/%.2s/%.2s/%s", data_dir, sm3hex, sm3hex + 2, sm3hex);
}

static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

jg_rc jg_files_store(const char *data_dir, const char *sm3hex, const void *data, size_t len)
{
    char path[4096], dir[4096], tmp[4200];
    file_path(data_dir, sm3hex, path, sizeof(path));
    struct stat st;
    if (stat(path, &st) == 0 && (uint64_t)st.st_size == len)
        return JG_OK; /* stored already: the name is the content's hash */
    snprintf(dir, sizeof(dir), "%s/files", data_dir);
    mkdir(dir, 0750);
    snprintf(dir, sizeof(dir), "%s/files/%.2s", data_dir, sm3hex);
    mkdir(dir, 0750);
    snprintf(dir, sizeof(dir), "%s/files/%.2s/%.2s", data_dir, sm3hex, sm3hex + 2);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        jg_error("files: cannot create %s: %s", dir, strerror(errno));
        return JG_ERR;
    }
    snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        jg_error("files: cannot create a file in %s: %s", dir, strerror(errno));
        return JG_ERR;
    }
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    int ok = left == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (ok)
        ok = rename(tmp, path) == 0 && sync_dir(dir) == 0;
    if (!ok) {
        jg_error("files: cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return JG_ERR;
    }
    return JG_OK;
}

/* The last path part of a client's file name, checked: UTF-8, no control characters, 1-200
 * characters. NULL when it does not pass. */
static const char *clean_name(jg_req *req, const char *name)
{
    const char *base = name;
    for (const char *s = name; *s != '\0'; s++)
        if (*s == '/' || *s == '\\')
            base = s + 1;
    size_t n = strlen(base);
    if (n == 0 || !jg_utf8_valid(base, n) || jg_utf8_chars(base) > MAX_NAME_CHARS)
        return NULL;
    for (const unsigned char *s = (const unsigned char *)base; *s != '\0'; s++)
        if (*s < 0x20 || *s == 0x7f)
            return NULL;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return NULL;
    return jg_arena_strdup(req->arena, base);
}

struct upload {
    jg_req *req;
    int n;
    const jg_part **parts;
    const char **names, **kinds;
    char (*sm3)[JG_SM3_LEN * 2 + 1];
    json_t *items;
};

static jg_rc upload_tx(jg_conn *c, void *ud)
{
    struct upload *u = ud;
    jg_req *req = u->req;
    const jg_principal *p = req->principal;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    json_decref(u->items);
    u->items = json_array();
    for (int i = 0; i < u->n; i++) {
        jg_value v[] = {JG_VTEXT(u->sm3[i]),
                        JG_VINT((int64_t)u->parts[i]->len),
                        JG_VTEXT(u->kinds[i]),
                        JG_VTEXT(u->names[i]),
                        JG_VINT(p->user_id),
                        JG_VTEXT(now),
                        p->org_code != NULL ? JG_VTEXT(p->org_code) : JG_VNULL};
        jg_rows *r;
        jg_rc rc = jg_db_query(c,
                               "INSERT INTO file (sm3, size, kind, name, uploaded_by, uploaded_at, org_code)"
                               " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                               v, 7, &r);
        if (rc != JG_OK)
            return rc;
        int64_t id = jg_rows_int(r, 0, 0);
        jg_rows_free(r);
        json_t *item = json_pack("{sI,ss,ss,sI,ss}", "id", (json_int_t)id, "name", u->names[i], "kind",
                                 u->kinds[i], "size", (json_int_t)u->parts[i]->len, "sm3", u->sm3[i]);
        json_array_append_new(u->items, item);
        rc = jg_audit_req(c, req, "file_upload", "file", jg_arena_printf(req->arena, "%lld", (long long)id),
                          json_pack("{ss,sI,ss,ss}", "name", u->names[i], "size",
                                    (json_int_t)u->parts[i]->len, "sm3", u->sm3[i], "kind", u->kinds[i]));
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static const char *const KINDS_TEXT = "仅支持 PDF、OFD、JPG、PNG、DOCX、XLSX、ZIP、MP4 文件";

/* POST /api/v1/files: multipart/form-data with one or more parts named "file". */
static jg_rc upload(jg_req *req, jg_resp *resp)
{
    const jg_principal *p = req->principal;
    if (p->scope == NULL || strcmp(p->scope, "none") == 0)
        return jg_resp_error(req, resp, JG_DENIED, "没有权限上传文件");
    jg_part *parts;
    int nparts;
    jg_rc rc = jg_multipart_parse(jg_req_header(req, "Content-Type"), req->body, req->body_len, req->arena,
                                  &parts, &nparts);
    if (rc == JG_UNSUPPORTED)
        return jg_resp_error(req, resp, rc, "请以 multipart/form-data 格式上传文件");
    if (rc != JG_OK)
        return jg_resp_error(req, resp, JG_INVALID, "上传内容格式错误");
    long limit = req->app->cfg->max_upload_bytes;
    struct upload u = {.req = req};
    u.parts = jg_arena_zalloc(req->arena, (size_t)nparts * sizeof(*u.parts));
    u.names = jg_arena_zalloc(req->arena, (size_t)nparts * sizeof(*u.names));
    u.kinds = jg_arena_zalloc(req->arena, (size_t)nparts * sizeof(*u.kinds));
    u.sm3 = jg_arena_zalloc(req->arena, (size_t)nparts * sizeof(*u.sm3));
    for (int i = 0; i < nparts; i++) {
        const jg_part *part = &parts[i];
        if (strcmp(part->name, "file") != 0)
            continue;
        if (part->filename == NULL)
            return jg_resp_error_fields(req, resp, JG_INVALID, "上传内容格式错误",
                                        json_pack("{ss}", "file", "缺少文件名"));
        const char *name = clean_name(req, part->filename);
        if (name == NULL)
            return jg_resp_error_fields(req, resp, JG_INVALID, "文件名不正确",
                                        json_pack("{ss}", "file", "文件名须为 1-200 个字符，且不含控制字符"));
        if (part->len == 0)
            return jg_resp_error_fields(req, resp, JG_INVALID, "文件为空",
                                        json_pack("{ss}", "file", "文件为空"));
        if (part->len > (size_t)limit)
            return jg_resp_error(
                req, resp, JG_TOOLARGE,
                jg_arena_printf(req->arena, "文件“%s”过大，单个文件不能超过 %ld 字节", name, limit));
        const char *kind = jg_files_kind((const unsigned char *)part->data, part->len);
        if (kind == NULL)
            return jg_resp_error(req, resp, JG_UNSUPPORTED,
                                 jg_arena_printf(req->arena, "文件“%s”的类型不支持：%s", name, KINDS_TEXT));
        unsigned char h[JG_SM3_LEN];
        rc = jg_sm3(part->data, part->len, h);
        if (rc != JG_OK)
            return rc;
        jg_crypto_hex_encode(h, sizeof(h), u.sm3[u.n]);
        u.parts[u.n] = part;
        u.names[u.n] = name;
        u.kinds[u.n] = kind;
        u.n++;
    }
    if (u.n == 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "请选择要上传的文件",
                                    json_pack("{ss}", "file", "请选择要上传的文件"));
    for (int i = 0; i < u.n; i++) {
        rc = jg_files_store(req->app->cfg->data_dir, u.sm3[i], u.parts[i]->data, u.parts[i]->len);
        if (rc != JG_OK)
            return rc;
    }
    rc = jg_db_tx(req->app->db, upload_tx, &u);
    if (rc != JG_OK) {
        json_decref(u.items);
        return rc;
    }
    return jg_resp_json(req, resp, 201, json_pack("{so}", "items", u.items));
}

struct download {
    jg_req *req;
    const char *id;
    json_t *detail;
};

static jg_rc download_tx(jg_conn *c, void *ud)
{
    struct download *d = ud;
    return jg_audit_req(c, d->req, "file_download", "file", d->id, json_incref(d->detail));
}

/* "attachment; filename=\"<ASCII fallback>\"; filename*=UTF-8''<percent-encoded>" (RFC 6266, 5987). */
static const char *disposition(jg_req *req, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(name);
    char *ascii = jg_arena_alloc(req->arena, n + 1), *enc = jg_arena_alloc(req->arena, 3 * n + 1);
    size_t a = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        if ((ch & 0xC0) != 0x80) /* one fallback character per UTF-8 character */
            ascii[a++] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? (char)ch : '_';
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            strchr("!#$&+-.^_`|~", ch) != NULL) {
            enc[e++] = (char)ch;
        } else {
            enc[e++] = '%';
            enc[e++] = hex[ch >> 4];
            enc[e++] = hex[ch & 15];
        }
    }
    ascii[a] = '\0';
    enc[e] = '\0';
    return jg_arena_printf(req->arena, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, enc);
}

/* GET /api/v1/files/{id}: to the uploader, and to readers of a record that references the file. */
static jg_rc download(jg_req *req, jg_resp *resp)
{
    const jg_principal *p = req->principal;
    int64_t id;
    const char *text = jg_req_param(req, "id");
    if (text == NULL || jg_parse_int64(text, 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "文件不存在");
    jg_rows *r;
    jg_value v[] = {JG_VINT(id)};
    jg_rc rc = jg_db_read(req->app->db, "SELECT sm3, size, kind, name, uploaded_by FROM file WHERE id = $1",
                          v, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, "文件不存在");
    }
    const char *sm3 = jg_arena_strdup(req->arena, jg_rows_text(r, 0, 0));
    int64_t size = jg_rows_int(r, 0, 1);
    const char *kind = jg_arena_strdup(req->arena, jg_rows_text(r, 0, 2));
    const char *name = jg_arena_strdup(req->arena, jg_rows_text(r, 0, 3));
    int64_t by = jg_rows_int(r, 0, 4);
    jg_rows_free(r);
    int ok = by == p->user_id;
    if (!ok && req->app->file_readable != NULL) {
        rc = req->app->file_readable(req, id, &ok);
        if (rc != JG_OK)
            return rc;
    }
    if (!ok) /* a file one may not read is one that does not exist */
        return jg_resp_error(req, resp, JG_NOTFOUND, "文件不存在");
    char path[4096];
    file_path(req->app->cfg->data_dir, sm3, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size != size) {
        jg_error("files: file %lld: content %s is missing or damaged", (long long)id, sm3);
        if (fd >= 0)
            close(fd);
        return jg_resp_error(req, resp, JG_ERR, "文件内容缺失，请联系管理员");
    }
    struct download d = {req, jg_arena_printf(req->arena, "%lld", (long long)id),
                         json_pack("{ss,sI,ss}", "name", name, "size", (json_int_t)size, "sm3", sm3)};
    rc = jg_db_tx(req->app->db, download_tx, &d);
    json_decref(d.detail);
    if (rc != JG_OK) {
        close(fd);
        return rc;
    }
    jg_resp_header(req, resp, "Content-Disposition", disposition(req, name));
    /* X-Content-Type-Options: nosniff is on every answer already (server.c) */
    jg_resp_header(req, resp, "Cache-Control", "private, no-store");
    resp->content_type = jg_files_mime(kind);
    resp->status = 200;
    resp->fd = fd;
    resp->fd_size = (uint64_t)size;
    return JG_OK;
}

static const jg_route routes[] = {
    {"POST", "/api/v1/files", upload, JG_ROUTE_AUTH | JG_ROUTE_UPLOAD, "上传附件", "files", NULL},
    {"GET", "/api/v1/files/{id}", download, JG_ROUTE_AUTH, "下载附件", "files", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_files = {"files", routes, NULL, NULL};
