/* From a parsed request to a response: limits, routing, body checks, the handler. */
#include "http/http_int.h"

#include "base/text.h"

#include <string.h>
#include <strings.h>

/* Paths answered by the API (JSON errors) rather than the web UI. */
static int api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0 || strcmp(path, "/healthz") == 0 ||
           strcmp(path, "/metrics") == 0 || strncmp(path, "/verify/", 8) == 0; /* printed QR codes */
}

static size_t header_bytes(const jg_req *req)
{
    size_t n = 0;
    for (int i = 0; i < req->nheaders; i++)
        n += strlen(req->headers[i].key) + strlen(req->headers[i].value) + 4;
    return n;
}

/* Path and query values, decoded, must be UTF-8 text before any handler sees them. */
static int text_ok(const char *path, const jg_kv *query, int nquery)
{
    if (!jg_utf8_valid(path, strlen(path)))
        return 0;
    for (int i = 0; i < nquery; i++)
        if (!jg_utf8_valid(query[i].key, strlen(query[i].key)) ||
            !jg_utf8_valid(query[i].value, strlen(query[i].value)))
            return 0;
    return 1;
}

size_t jg_http_body_limit(const jg_app *app, int route)
{
    const jg_config *cfg = app->cfg;
    long limit = cfg->max_body_bytes;
    unsigned flags = route >= 0 ? jg_router_at(app->router, route)->flags : 0;
    if ((flags & JG_ROUTE_UPLOAD) && cfg->max_upload_bytes + JG_FORM_SLACK > limit)
        limit = cfg->max_upload_bytes + JG_FORM_SLACK;
    if ((flags & JG_ROUTE_IMPORT) && cfg->max_import_bytes + JG_FORM_SLACK > limit)
        limit = cfg->max_import_bytes + JG_FORM_SLACK;
    return (size_t)limit;
}

/* 413 when the declared body is larger than the route takes. */
static int too_large(jg_app *app, jg_req *req, uint64_t content_length, jg_resp *resp)
{
    if (content_length <= (uint64_t)jg_http_body_limit(app, req->route))
        return 0;
    jg_resp_error(req, resp, JG_TOOLARGE, "请求内容过大");
    return 1;
}

int jg_http_precheck(jg_app *app, jg_req *req, uint64_t content_length, jg_resp *resp)
{
    if (header_bytes(req) > (size_t)app->cfg->max_header_bytes) {
        jg_resp_status_error(req, resp, 431, "header_too_large", "请求头过大", NULL);
        return 1;
    }
    if (!api_path(req->path)) {
        req->route = JG_ROUTE_STATIC;
        if (too_large(app, req, content_length, resp))
            return 1;
        if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
            jg_resp_header(req, resp, "Allow", "GET, HEAD");
            jg_resp_status_error(req, resp, 405, "method_not_allowed", "不支持该请求方法", NULL);
            return 1;
        }
        return 0;
    }
    if (req->has_nul || !text_ok(req->path, req->query, req->nquery)) {
        req->route = JG_ROUTE_NONE;
        if (too_large(app, req, content_length, resp))
            return 1;
        jg_resp_error(req, resp, JG_INVALID, "请求地址或查询参数不是有效的 UTF-8 文本");
        return 1;
    }
    const char *allow = NULL;
    jg_match m = jg_router_match(app->router, req->method, req->path, req->arena, &req->route, &req->params,
                                 &req->nparams, &allow);
    if (m != JG_MATCH_OK)
        req->route = JG_ROUTE_NONE;
    if (too_large(app, req, content_length, resp))
        return 1;
    if (m == JG_MATCH_NOPATH) {
        jg_resp_error(req, resp, JG_NOTFOUND, "请求的接口不存在");
        return 1;
    }
    if (m == JG_MATCH_NOMETHOD) {
        jg_resp_header(req, resp, "Allow", allow);
        jg_resp_status_error(req, resp, 405, "method_not_allowed", "不支持该请求方法", NULL);
        return 1;
    }
    return 0;
}

static void decref_json(void *json)
{
    json_decref(json);
}

static int is_json_type(const char *ct)
{
    if (ct == NULL)
        return 0;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Validate and parse a JSON body. Returns JG_OK or an error already written to resp. */
static jg_rc parse_body(jg_app *app, jg_req *req, jg_resp *resp)
{
    if (!is_json_type(jg_req_header(req, "Content-Type")))
        return jg_resp_error(req, resp, JG_UNSUPPORTED, "请求内容类型必须是 application/json");
    if (req->body_len == 0)
        return jg_resp_error(req, resp, JG_INVALID, "请求内容为空");
    if (!jg_utf8_valid(req->body, req->body_len))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容不是有效的 UTF-8 文本");
    if (jg_json_depth(req->body, req->body_len) > app->cfg->max_json_depth)
        return jg_resp_error(req, resp, JG_INVALID, "JSON 嵌套层级过深");
    json_error_t e;
    json_t *doc = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &e);
    if (doc == NULL) {
        char *msg = jg_arena_printf(req->arena, "JSON 格式错误（第 %d 行第 %d 列）", e.line, e.column);
        return jg_resp_error(req, resp, JG_INVALID, msg);
    }
    jg_arena_on_free(req->arena, decref_json, doc);
    req->json = doc;
    return JG_OK;
}

void jg_http_dispatch(jg_app *app, jg_req *req, jg_resp *resp)
{
    if (req->route == JG_ROUTE_STATIC) {
        jg_static_serve(app, req, resp);
        return;
    }
    const jg_route *route = jg_router_at(app->router, req->route);
    if (route->flags & JG_ROUTE_AUTH) {
        jg_rc rc = app->authenticate != NULL ? app->authenticate(req, resp) : JG_UNAUTHORIZED;
        if (rc != JG_OK) {
            if (resp->status == 0)
                jg_resp_error(req, resp, rc, NULL);
            return;
        }
    }
    if ((route->flags & JG_ROUTE_JSON) && parse_body(app, req, resp) != JG_OK)
        return;
    jg_rc rc = route->handler(req, resp);
    if (resp->status == 0) {
        /* The handler failed without saying how: the default message for its rc. */
        jg_resp_error(req, resp, rc == JG_OK ? JG_ERR : rc, NULL);
    }
}
