/* The audit log for auditors: GET /api/v1/audit (query). No route changes it. */
#include "base/text.h"
#include "http/http.h"

/* GET /api/v1/audit?page=&size=&action= — the audit log, newest first. */
static jg_rc audit_list(jg_req *req, jg_resp *resp)
{
    int64_t page = 1, size = 50;
    const char *pg = jg_req_query(req, "page"), *sz = jg_req_query(req, "size");
    const char *action = jg_req_query(req, "action");
    if ((pg != NULL && jg_parse_int64(pg, 1, 100000, &page) != JG_OK) ||
        (sz != NULL && jg_parse_int64(sz, 1, req->app->cfg->max_page_size, &size) != JG_OK))
        return jg_resp_error(req, resp, JG_INVALID, "分页参数不正确");
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(action ? action : ""), JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rc rc = jg_db_read(
        req->app->db,
        "SELECT id, at, user_id, username, ip, action, entity, record_id, detail, hash FROM audit_log"
        " WHERE ($1 = '' OR action = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
        p, 3, &r);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, r, page, size);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/audit", audit_list, JG_ROUTE_AUTH, "审计日志查询（审计员）", "audit", "audit.read"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_audit = {"audit", routes, NULL, NULL};
