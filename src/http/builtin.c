/* Routes every server has: health, metrics, the OpenAPI document. */
#include "http/http_int.h"

#include "db/migrate.h"

#include <string.h>

static jg_rc healthz(jg_req *req, jg_resp *resp)
{
    jg_db *db = req->app->db;
    jg_rows *rows;
    jg_rc rc = jg_db_read(db, "SELECT MAX(version) AS v FROM schema_migrations", NULL, 0, &rows);
    if (rc != JG_OK) {
        jg_resp_json(req, resp, 503,
                     json_pack("{s:s, s:s, s:{s:s, s:s}}", "status", "unavailable", "database",
                               jg_db_kind_name(db), "error", "code", "unavailable", "message",
                               "数据库暂时不可用，请稍后重试"));
        return JG_UNAVAILABLE;
    }
    json_t *body = json_pack("{s:s, s:s, s:I}", "status", "ok", "database", jg_db_kind_name(db),
                             "schema_version", (json_int_t)jg_rows_int(rows, 0, 0));
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200, body);
}

static jg_rc metrics(jg_req *req, jg_resp *resp)
{
    const char *text = jg_metrics_render(req->app, req->arena);
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    resp->body = text;
    resp->body_len = strlen(text);
    return JG_OK;
}

static jg_rc openapi(jg_req *req, jg_resp *resp)
{
    resp->status = 200;
    resp->content_type = "application/json; charset=utf-8";
    resp->body = req->app->openapi;
    resp->body_len = strlen(req->app->openapi);
    return JG_OK;
}

static const jg_route routes[] = {
    {"GET", "/healthz", healthz, 0, "健康检查（含数据库）", "platform", NULL},
    {"GET", "/metrics", metrics, 0, "Prometheus 指标", "platform", NULL},
    {"GET", "/api/v1/openapi.json", openapi, 0, "OpenAPI 接口文档", "platform", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_builtin = {"builtin", routes, NULL, NULL};
