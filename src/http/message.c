/* Requests and responses: lookups, JSON bodies, the error format and the rc -> status mapping. */
#include "http/http_int.h"

#include "base/jsonw.h"
#include "base/text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find(const jg_kv *kv, int n, const char *name, int nocase)
{
    for (int i = 0; i < n; i++)
        if ((nocase ? strcasecmp(kv[i].key, name) : strcmp(kv[i].key, name)) == 0)
            return kv[i].value;
    return NULL;
}

const char *jg_req_header(const jg_req *req, const char *name)
{
    return find(req->headers, req->nheaders, name, 1);
}

const char *jg_req_query(const jg_req *req, const char *name)
{
    return find(req->query, req->nquery, name, 0);
}

static const jg_route *matched(const jg_req *req)
{
    if (req->route < 0 || req->route >= jg_router_count(req->app->router))
        return NULL;
    return jg_router_at(req->app->router, req->route);
}

const char *jg_router_pattern(const jg_req *req)
{
    return matched(req) != NULL ? matched(req)->pattern : "";
}

const char *jg_router_permission(const jg_req *req)
{
    return matched(req) != NULL ? matched(req)->permission : NULL;
}

const char *jg_req_param(const jg_req *req, const char *name)
{
    return find(req->params, req->nparams, name, 0);
}

void jg_resp_header(jg_req *req, jg_resp *resp, const char *name, const char *value)
{
    if (resp->nheaders >= JG_RESP_MAX_HEADERS)
        return;
    resp->headers[resp->nheaders].key = jg_arena_strdup(req->arena, name);
    resp->headers[resp->nheaders].value = jg_arena_strdup(req->arena, value);
    resp->nheaders++;
}

/* Answer with JSON text that malloc made (freed with the request), or "{}" when there is none. */
static jg_rc json_text(jg_req *req, jg_resp *resp, int status, char *text)
{
    if (text != NULL)
        jg_arena_on_free(req->arena, free, text);
    resp->status = status;
    resp->content_type = "application/json; charset=utf-8";
    resp->body = text != NULL ? text : "{}";
    resp->body_len = strlen(resp->body);
    return JG_OK;
}

jg_rc jg_resp_json(jg_req *req, jg_resp *resp, int status, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(json);
    return json_text(req, resp, status, text);
}

int jg_http_status_of(jg_rc rc)
{
    switch (rc) {
    case JG_OK:
        return 200;
    case JG_INVALID:
        return 400;
    case JG_UNAUTHORIZED:
        return 401;
    case JG_DENIED:
        return 403;
    case JG_NOTFOUND:
        return 404;
    case JG_CONFLICT:
        return 409;
    case JG_TOOLARGE:
        return 413;
    case JG_UNSUPPORTED:
        return 415;
    case JG_BUSY:
    case JG_UNAVAILABLE:
        return 503;
    case JG_TIMEOUT:
        return 504;
    case JG_ERR:
    case JG_NOMEM:
        return 500;
    }
    return 500;
}

static const char *default_message(jg_rc rc)
{
    switch (rc) {
    case JG_INVALID:
        return "请求参数不正确";
    case JG_UNAUTHORIZED:
        return "请先登录";
    case JG_DENIED:
        return "没有权限执行此操作";
    case JG_NOTFOUND:
        return "记录不存在";
    case JG_CONFLICT:
        return "数据已被修改或与现有记录冲突，请刷新后重试";
    case JG_TOOLARGE:
        return "请求内容过大";
    case JG_UNSUPPORTED:
        return "不支持的内容类型";
    case JG_BUSY:
        return "系统繁忙，请稍后重试";
    case JG_UNAVAILABLE:
        return "数据库暂时不可用，请稍后重试";
    case JG_TIMEOUT:
        return "处理超时，请稍后重试";
    default:
        return "服务器内部错误";
    }
}

void jg_resp_status_error(jg_req *req, jg_resp *resp, int status, const char *code, const char *message,
                          json_t *fields)
{
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (fields != NULL)
        json_object_set_new(err, "fields", fields);
    jg_resp_json(req, resp, status, json_pack("{s:o}", "error", err));
}

jg_rc jg_resp_error_fields(jg_req *req, jg_resp *resp, jg_rc rc, const char *message, json_t *fields)
{
    jg_resp_status_error(req, resp, jg_http_status_of(rc), jg_rc_name(rc),
                         message != NULL ? message : default_message(rc), fields);
    return rc;
}

jg_rc jg_resp_error(jg_req *req, jg_resp *resp, jg_rc rc, const char *message)
{
    return jg_resp_error_fields(req, resp, rc, message, NULL);
}

void jg_field_error(json_t *fields, const char *field, const char *message)
{
    if (json_object_get(fields, field) == NULL)
        json_object_set_new(fields, field, json_string(message));
}

void jg_field_unknown(json_t *body, const char *const *allowed, json_t *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        int known = 0;
        for (int i = 0; !known && allowed[i] != NULL; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            jg_field_error(fields, key, "不支持的字段");
    }
}

jg_rc jg_resp_fields(jg_req *req, jg_resp *resp, const char *message, json_t *fields)
{
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, message, fields);
    json_decref(fields);
    return JG_OK;
}

void jg_req_paging(jg_req *req, int64_t default_size, int64_t max_size, int64_t *page, int64_t *size,
                   json_t *fields)
{
    const char *pg = jg_req_query(req, "page"), *sz = jg_req_query(req, "size");
    *page = 1;
    *size = default_size;
    if (pg != NULL && jg_parse_int64(pg, 1, 1000000, page) != JG_OK)
        jg_field_error(fields, "page", "页码应为正整数");
    if (sz != NULL && jg_parse_int64(sz, 1, max_size, size) != JG_OK)
        jg_field_error(fields, "size", "每页条数超出范围");
    if (json_object_size(fields) == 0 && (*page - 1) * *size > JG_MAX_OFFSET)
        jg_field_error(fields, "page", "页码过大，请缩小查询范围");
}

jg_rc jg_refuse(jg_refusal *r, jg_rc rc, const char *field, const char *message)
{
    r->field = field;
    r->message = message;
    return rc;
}

jg_rc jg_resp_refusal(jg_req *req, jg_resp *resp, jg_rc rc, const jg_refusal *r)
{
    if (r->message == NULL)
        return rc;
    if (r->field != NULL)
        return jg_resp_error_fields(req, resp, rc, r->message, json_pack("{s:s}", r->field, r->message));
    return jg_resp_error(req, resp, rc, r->message);
}

void jg_json_write_row(jg_buf *b, const jg_rows *rows, int row)
{
    jg_buf_append(b, "{", 1);
    for (int c = 0; c < jg_rows_ncols(rows); c++) {
        if (c > 0)
            jg_buf_append(b, ",", 1);
        jg_jsonw_text(b, jg_rows_name(rows, c));
        jg_buf_append(b, ":", 1);
        const char *text = jg_rows_text(rows, row, c);
        switch (jg_rows_type(rows, row, c)) {
        case JG_V_NULL:
            jg_buf_append(b, "null", 4);
            break;
        case JG_V_INT:
        case JG_V_REAL:
            jg_jsonw_number_text(b, text);
            break;
        default:
            jg_jsonw_string(b, text);
            break;
        }
    }
    jg_buf_append(b, "}", 1);
}

json_t *jg_json_row(const jg_rows *rows, int row)
{
    json_t *o = json_object();
    for (int c = 0; c < jg_rows_ncols(rows); c++) {
        const char *text = jg_rows_text(rows, row, c);
        json_t *v;
        switch (jg_rows_type(rows, row, c)) {
        case JG_V_NULL:
            v = json_null();
            break;
        case JG_V_INT:
            v = json_integer(jg_rows_int(rows, row, c));
            break;
        case JG_V_REAL:
            v = json_real(jg_rows_real(rows, row, c));
            break;
        default:
            v = json_string(text);
            break; /* NULL (so null) when not UTF-8 */
        }
        json_object_set_new(o, jg_rows_name(rows, c), v != NULL ? v : json_null());
    }
    return o;
}

json_t *jg_json_rows(const jg_rows *rows)
{
    json_t *items = json_array();
    for (int i = 0; i < jg_rows_count(rows); i++)
        json_array_append_new(items, jg_json_row(rows, i));
    return items;
}

jg_rc jg_resp_stream(jg_req *req, jg_resp *resp, int status, const char *content_type, jg_stream_fn next,
                     void *ud, void (*done)(void *ud))
{
    (void)req;
    resp->status = status;
    resp->content_type = content_type;
    resp->body = NULL;
    resp->body_len = 0;
    resp->stream = next;
    resp->stream_ud = ud;
    resp->stream_done = done;
    return JG_OK;
}

jg_rc jg_resp_json_buf(jg_req *req, jg_resp *resp, int status, jg_buf *b)
{
    if (b->overflowed) {
        jg_buf_free(b);
        jg_resp_error(req, resp, JG_ERR, "返回数据过大，请缩小查询范围");
        return JG_TOOLARGE;
    }
    return json_text(req, resp, status, jg_buf_steal(b));
}

/* Largest JSON answer built from rows: pages are bounded by max_page_size, so this is a bug guard. */
#define MAX_ROWS_JSON (64u << 20)

jg_rc jg_resp_page(jg_req *req, jg_resp *resp, jg_rows *rows, int64_t page, int64_t size)
{
    jg_buf out;
    jg_buf_init(&out, MAX_ROWS_JSON);
    jg_buf_puts(&out, "{\"items\":[");
    int count = jg_rows_count(rows);
    for (int i = 0; i < count && i < size; i++) {
        if (i > 0)
            jg_buf_append(&out, ",", 1);
        jg_json_write_row(&out, rows, i);
    }
    jg_rows_free(rows);
    jg_buf_printf(&out, "],\"page\":%lld,\"size\":%lld,\"has_more\":%s}", (long long)page, (long long)size,
                  count > size ? "true" : "false");
    return jg_resp_json_buf(req, resp, 200, &out);
}

jg_rc jg_resp_row(jg_req *req, jg_resp *resp, jg_rows *rows)
{
    if (jg_rows_count(rows) == 0) {
        jg_rows_free(rows);
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    }
    jg_buf out;
    jg_buf_init(&out, MAX_ROWS_JSON);
    jg_json_write_row(&out, rows, 0);
    jg_rows_free(rows);
    return jg_resp_json_buf(req, resp, 200, &out);
}
