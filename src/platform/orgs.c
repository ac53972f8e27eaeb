/* The organisation tree for pickers and user administration: regions with their departments. */
#include "http/http.h"

#include <string.h>

/* GET /api/v1/orgs — every visible region (parents before children) with its departments. */
static jg_rc list_orgs(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT o.code, o.name, o.level, o.parent_code, d.code AS dept_code, d.name AS dept_name,"
                   " d.kind, d.id AS dept_id FROM org o LEFT JOIN department d ON d.org_code = o.code"
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
            json_array_append_new(json_object_get(current, "departments"),
                                  json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)jg_rows_int(r, i, 7),
                                            "code", jg_rows_text(r, i, 4), "name", jg_rows_text(r, i, 5),
                                            "kind", jg_rows_text(r, i, 6)));
    }
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/orgs", list_orgs, JG_ROUTE_AUTH, "行政区划与监管部门（树形数据，按上下级排列）", "org",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_org = {"org", routes, NULL, NULL};
