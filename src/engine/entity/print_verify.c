/* The public check of a printed paper by the code in its QR code (print.h): the stored row's SM2
 * signature is verified with the print key, then the digest of the values is computed again from
 * the record as it is now. No login; each client address may check VERIFY_PER_MINUTE codes a
 * minute (codes carry 80 random bits, so this only keeps the checks cheap, not the codes safe). */
#include "engine/entity/print.h"
#include "engine/entity/records.h"

#include "base/buf.h"
#include "base/text.h"
#include "base/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VERIFY_PER_MINUTE 60
#define RATE_SLOTS 256

enum verdict { GENUINE, MODIFIED, BAD_SIGNATURE, GONE };
static const char *const verdict_code[] = {"genuine", "modified", "bad_signature", "record_gone"};

struct check {
    char code[JG_PRINT_CODE_LEN + 1];
    const char *entity, *tmpl, *digest, *printed_at;
    int64_t record_id, version, current;
    const char *title, *entity_label, *subject;
    enum verdict v;
};

static struct {
    pthread_mutex_t mu;
    struct {
        char ip[48];
        int64_t minute;
        int count;
    } slot[RATE_SLOTS];
} rate = {PTHREAD_MUTEX_INITIALIZER, {{"", 0, 0}}};

/* 1 when req's client may check another code this minute. */
static int rate_ok(const jg_req *req)
{
    const char *ip = req->ip != NULL ? req->ip : "";
    size_t h = (size_t)(jg_fnv1a(ip) % RATE_SLOTS);
    int64_t minute = (int64_t)time(NULL) / 60;
    pthread_mutex_lock(&rate.mu);
    if (strcmp(rate.slot[h].ip, ip) != 0 || rate.slot[h].minute != minute) {
        snprintf(rate.slot[h].ip, sizeof(rate.slot[h].ip), "%s", ip);
        rate.slot[h].minute = minute;
        rate.slot[h].count = 0;
    }
    int ok = ++rate.slot[h].count <= VERIFY_PER_MINUTE;
    pthread_mutex_unlock(&rate.mu);
    return ok;
}

/* The record as it is now (any state, no data scope: the paper's holder has no login), its
 * values through the template, compared with the digest. */
static jg_rc recompute(jg_req *req, jg_conn *c, struct check *k)
{
    const jg_records *rs = jg_records_of(req);
    const jg_entity *e = jg_entity_find(&rs->set, k->entity);
    json_t *t = e != NULL ? jg_print_template(e, k->tmpl) : NULL;
    if (t == NULL) {
        k->v = GONE;
        return JG_OK;
    }
    k->entity_label = e->label;
    k->title = json_string_value(json_object_get(t, "title"));
    const jg_record_kind *kind = jg_record_kind_for(req, e);
    jg_rows *r;
    jg_value p[] = {JG_VINT(k->record_id)};
    char *sql = jg_arena_printf(req->arena, "%s WHERE r.id = $1 AND r.state <> 'deleted'", kind->select);
    jg_rc rc = jg_db_query(c, sql, p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        k->v = GONE;
        return JG_OK;
    }
    json_t *rec;
    rc = jg_record_json(req, c, kind, r, 0, JG_RECORD_DETAIL | JG_RECORD_MASKED, &rec);
    jg_rows_free(r);
    if (rc != JG_OK)
        return rc;
    json_t *values = jg_print_values(t, rec);
    char digest[65];
    rc = jg_print_digest(values, digest);
    json_decref(values);
    if (rc == JG_OK) {
        k->current = (int64_t)json_integer_value(json_object_get(rec, "version"));
        k->subject = jg_print_subject(c, e, t, rec, req->arena);
        k->v = strcmp(digest, k->digest) == 0 ? GENUINE : MODIFIED;
    }
    json_decref(rec);
    return rc;
}

/* Check the {code} of req into *k: JG_NOTFOUND for a code that is malformed or unknown. */
static jg_rc check(jg_req *req, struct check *k)
{
    if (!jg_print_code_norm(jg_req_param(req, "code"), k->code))
        return JG_NOTFOUND;
    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(k->code)};
    rc = jg_db_query(c,
                     "SELECT entity, record_id, template, record_version, digest, signature, printed_at"
                     " FROM print_code WHERE code = $1",
                     p, 1, &r);
    if (rc == JG_OK && jg_rows_count(r) != 1) {
        jg_rows_free(r);
        rc = JG_NOTFOUND;
    }
    if (rc != JG_OK) {
        jg_db_release(c);
        return rc;
    }
    jg_arena *a = req->arena;
    const char *sig = jg_rows_text(r, 0, 5);
    k->entity = jg_arena_strdup(a, jg_rows_text(r, 0, 0));
    k->record_id = jg_rows_int(r, 0, 1);
    k->tmpl = jg_arena_strdup(a, jg_rows_text(r, 0, 2));
    k->version = jg_rows_int(r, 0, 3);
    k->digest = jg_arena_strdup(a, jg_rows_text(r, 0, 4));
    k->printed_at = jg_arena_strdup(a, jg_rows_text(r, 0, 6));
    char *text =
        jg_print_signed_text(k->code, k->entity, k->record_id, k->tmpl, k->version, k->digest, k->printed_at);
    int valid = sig != NULL && jg_sm2_verify_hex(jg_print_key(), text, strlen(text), sig) == JG_OK;
    free(text);
    jg_rows_free(r);
    k->v = BAD_SIGNATURE;
    if (valid)
        rc = recompute(req, c, k);
    jg_db_release(c);
    return rc;
}

static const char *message_of(jg_req *req, const struct check *k)
{
    switch (k->v) {
    case GENUINE:
        return "真实有效（内容未被修改）";
    case MODIFIED:
        return jg_arena_printf(req->arena,
                               "文件真实，但记录在打印后已被修改（打印时版本 %lld，当前版本 %lld）",
                               (long long)k->version, (long long)k->current);
    case GONE:
        return "文件真实，但该记录已被删除或已不能核对";
    default:
        return "签名校验失败：该验证码的登记信息已被篡改，文件不可信";
    }
}

/* GET /api/v1/public/verify/{code} */
jg_rc jg_print_verify_json(jg_req *req, jg_resp *resp)
{
    if (!rate_ok(req)) {
        jg_resp_status_error(req, resp, 429, "rate_limited", "查询过于频繁，请稍后再试", NULL);
        return JG_OK;
    }
    struct check k = {0};
    jg_rc rc = check(req, &k);
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, rc, "未找到该验证码");
    if (rc != JG_OK)
        return rc;
    json_t *o = json_pack("{s:s, s:s, s:s}", "code", k.code, "result", verdict_code[k.v], "message",
                          message_of(req, &k));
    if (k.v != BAD_SIGNATURE) {
        char when[64];
        jg_print_datetime(k.printed_at, when, sizeof(when));
        json_object_set_new(o, "printed_at", json_string(k.printed_at));
        json_object_set_new(o, "printed_at_text", json_string(when));
        json_object_set_new(o, "printed_version", json_integer(k.version));
        json_object_set_new(o, "entity", json_string(k.entity));
        json_object_set_new(o, "record_id", json_integer(k.record_id));
    }
    if (k.v == GENUINE || k.v == MODIFIED) {
        json_object_set_new(o, "title", json_string(k.title));
        json_object_set_new(o, "entity_label", json_string(k.entity_label));
        json_object_set_new(o, "subject", json_string(k.subject));
        json_object_set_new(o, "current_version", json_integer(k.current));
    }
    return jg_resp_json(req, resp, 200, o);
}

static void row(jg_buf *b, const char *label, const char *value)
{
    jg_buf_puts(b, "<tr><th>");
    jg_buf_put_markup(b, label);
    jg_buf_puts(b, "</th><td>");
    jg_buf_put_markup(b, value);
    jg_buf_puts(b, "</td></tr>\n");
}

static const char page_head[] =
    "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>打印件真伪验证</title><style>"
    "body{font-family:\"Noto Sans CJK SC\",\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:0;"
    "background:#f5f7fa;color:#303133}"
    "header{background:#1f4e8c;color:#fff;padding:14px 20px;font-size:17px}"
    "main{max-width:640px;margin:24px auto;background:#fff;padding:20px 24px;border-radius:6px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.08)}"
    ".verdict{font-size:20px;font-weight:bold;margin:8px 0 16px}"
    ".genuine{color:#1a7f37}.modified,.record_gone{color:#b26a00}.bad_signature,.unknown{color:#c62828}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #dcdfe6;padding:8px;text-align:left;"
    "vertical-align:top}th{background:#f2f3f5;width:8em;font-weight:normal}"
    "p.note{color:#606266;font-size:14px}</style></head><body>\n<header>";

/* GET /verify/{code} */
jg_rc jg_print_verify_page(jg_req *req, jg_resp *resp)
{
    struct check k = {0};
    jg_rc rc = rate_ok(req) ? check(req, &k) : JG_BUSY;
    if (rc != JG_OK && rc != JG_NOTFOUND && rc != JG_BUSY)
        return rc;
    jg_buf b;
    jg_buf_init(&b, 65536);
    jg_buf_puts(&b, page_head);
    jg_buf_put_markup(&b, req->app->cfg->print_header);
    jg_buf_puts(&b, "</header>\n<main><h1>打印件真伪验证</h1>\n");
    if (rc == JG_NOTFOUND || rc == JG_BUSY) {
        jg_buf_puts(&b, "<p class=\"verdict unknown\">");
        jg_buf_puts(&b, rc == JG_BUSY ? "查询过于频繁，请稍后再试" : "未找到该验证码");
        jg_buf_puts(&b, "</p>\n<p class=\"note\">请核对打印件二维码下方的验证码。</p>\n");
    } else {
        jg_buf_printf(&b, "<p class=\"verdict %s\">", verdict_code[k.v]);
        jg_buf_put_markup(&b, message_of(req, &k));
        jg_buf_puts(&b, "</p>\n<table>\n");
        row(&b, "验证码", k.code);
        if (k.v == GENUINE || k.v == MODIFIED) {
            char when[64], ver[24];
            jg_print_datetime(k.printed_at, when, sizeof(when));
            snprintf(ver, sizeof(ver), "%lld", (long long)k.version);
            row(&b, "文件名称", k.title);
            row(&b, k.entity_label, k.subject);
            row(&b, "打印时间", when);
            row(&b, "打印时版本", ver);
        }
        jg_buf_puts(&b, "</table>\n");
        if (k.v == GENUINE)
            jg_buf_puts(&b, "<p class=\"note\">请将以上信息与纸质文件逐项核对。</p>\n");
    }
    jg_buf_puts(&b, "</main></body></html>\n");
    resp->status = rc == JG_NOTFOUND ? 404 : rc == JG_BUSY ? 429 : 200;
    resp->content_type = "text/html; charset=utf-8";
    resp->body = jg_arena_strndup(req->arena, b.data, b.len);
    resp->body_len = b.len;
    jg_buf_free(&b);
    jg_resp_header(req, resp, "Cache-Control", "no-store");
    jg_resp_header(req, resp, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return JG_OK;
}
