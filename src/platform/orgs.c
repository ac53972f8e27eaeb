/* The organisation tree for pickers and user administration: regions with their departments, and
 * the leader (负责人) of a department, to whom workflow steps with jg:level="leader" go. */
#include "base/text.h"
#include "http/http.h"
#include "platform/identity.h"

#include <stdio.h>
#include <string.h>

/* GET /api/v1/orgs — every visible region (parents before children) with its departments. */
static jg_rc list_orgs(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_rc rc = jg_db_read(
        req->app->db,
        "SELECT o.code, o.name, o.level, o.parent_code, d.code AS dept_code, d.name AS dept_name,"
        " d.kind, d.id AS dept_id, d.leader_id FROM org o LEFT JOIN department d ON d.org_code = o.code"
        " WHERE o.hidden = 0 ORDER BY length(o.code), o.code, d.code",
        NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array(), *current = NULL;
    for (int i = 0; i < jg_rows_count(r); i++) {
        const char *code = jg_rows_text(r, i, 0);
        if (current == NULL || strcmp(json_string_value(json_object_get(current, "code")), code) != 0) {
            const char *parent = jg_rows_text(r, i, 3);
            current = json_pack("{s:s, s:s, s:s, s:o, s:[]}", "code", code, "name", jg_rows_text(r, i, 1),
                                "level", jg_rows_text(r, i, 2), "parent_code",
                                parent ? json_string(parent) : json_null(), "departments");
            json_array_append_new(items, current);
        }
        if (jg_rows_text(r, i, 4) != NULL)
            json_array_append_new(
                json_object_get(current, "departments"),
                json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)jg_rows_int(r, i, 7), "code",
                          jg_rows_text(r, i, 4), "name", jg_rows_text(r, i, 5), "kind", jg_rows_text(r, i, 6),
                          "leader_id",
                          jg_rows_type(r, i, 8) == JG_V_NULL ? json_null()
                                                             : json_integer(jg_rows_int(r, i, 8))));
    }
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* PUT /api/v1/orgs/departments/{id}/leader {"user_id": n | null} */
struct leader {
    jg_req *req;
    int64_t department, user;
    jg_refusal v;
};

static jg_rc leader_tx(jg_conn *c, void *ud)
{
    struct leader *l = ud;
    jg_rows *r;
    jg_value p[] = {JG_VINT(l->department)};
    jg_rc rc = jg_db_query(c, "SELECT leader_id FROM department WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return jg_refuse(&l->v, JG_NOTFOUND, NULL, "部门不存在");
    }
    json_t *before = jg_rows_type(r, 0, 0) == JG_V_NULL ? json_null() : json_integer(jg_rows_int(r, 0, 0));
    jg_rows_free(r);
    if (l->user > 0) {
        jg_value u[] = {JG_VINT(l->user), JG_VINT(l->department)};
        rc = jg_db_query(c,
                         "SELECT 1 FROM app_user WHERE id = $1 AND department_id = $2 AND status = 'active'"
                         " AND kind = 'government'",
                         u, 2, &r);
        int ok = rc == JG_OK && jg_rows_count(r) == 1;
        jg_rows_free(r);
        if (rc == JG_OK && !ok) {
            json_decref(before);
            return jg_refuse(&l->v, JG_INVALID, "user_id", "负责人应是本部门在用的政府用户");
        }
    }
    jg_value w[] = {l->user > 0 ? JG_VINT(l->user) : JG_VNULL, JG_VINT(l->department)};
    if (rc == JG_OK)
        rc = jg_db_exec(c, "UPDATE department SET leader_id = $1 WHERE id = $2", w, 2, NULL);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)l->department);
    if (rc == JG_OK)
        rc = jg_audit_req(c, l->req, "department_leader", "department", id,
                          jg_audit_change(before, l->user > 0 ? json_integer(l->user) : json_null()));
    else
        json_decref(before);
    return rc;
}

static jg_rc set_leader(jg_req *req, jg_resp *resp)
{
    struct leader l = {.req = req};
    const char *id = jg_req_param(req, "id");
    if (id == NULL || jg_parse_int64(id, 1, INT64_MAX, &l.department) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "部门不存在");
    json_t *v = json_object_get(req->json, "user_id");
    if (json_object_size(req->json) != 1 || v == NULL || !(json_is_null(v) || json_is_integer(v)) ||
        (json_is_integer(v) && json_integer_value(v) <= 0)) {
        json_t *fields = json_object();
        jg_field_error(fields, "user_id", "请给出负责人的用户编号，或 null 取消负责人");
        return jg_resp_error_fields(req, resp, JG_INVALID, "请求内容不正确", fields);
    }
    l.user = json_is_integer(v) ? json_integer_value(v) : 0;
    jg_rc rc = jg_db_tx(req->app->db, leader_tx, &l);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &l.v);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:I, s:o}", "id", (json_int_t)l.department, "leader_id",
                                  l.user > 0 ? json_integer(l.user) : json_null()));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/orgs", list_orgs, JG_ROUTE_AUTH, "行政区划与监管部门（树形数据，按上下级排列）", "org",
     NULL},
    {"PUT", "/api/v1/orgs/departments/{id}/leader", set_leader, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "设置部门负责人（流程中按负责人办理的环节交给他）", "org", "user.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_org = {"org", routes, NULL, NULL};
