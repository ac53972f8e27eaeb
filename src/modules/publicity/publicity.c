/* 公示: what the public may see of registered projects, without logging in. */
#include "base/text.h"
#include "http/http.h"

#include <stdio.h>
#include <string.h>

#define COLUMNS                                                                                      \
    "SELECT id, code, name, org_code, address, owner_name, contractor_name, supervisor_firm_name, " \
    "status, registered_on, area_m2, cost_wan, updated_at, version FROM project"

/* Deep pages cost the database a scan of every row before them; past this, narrow the filter. */
#define MAX_OFFSET 10000

static const char *const statuses[] = {"registered", "under_construction", "suspended", "completed", NULL};

static int known_status(const char *s)
{
    for (int i = 0; statuses[i] != NULL; i++)
        if (strcmp(statuses[i], s) == 0)
            return 1;
    return 0;
}

static int region_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 6 || n % 2 != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static jg_rc get_one(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    jg_rows *rows;
    jg_value p[] = {JG_VINT(id)};
    rc = jg_db_query(c, COLUMNS " WHERE id = $1", p, 1, &rows);
    jg_db_release(c);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(rows) == 0) {
        jg_rows_free(rows);
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    }
    json_t *o = jg_json_row(rows, 0);
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200, o);
}

/* The list query: filters and order from fixed fragments, every value bound. */
struct list_query {
    const char *status, *region;
    char region_end[8];
    const char *order;
    int64_t page, size;
};

static jg_rc parse_list(jg_req *req, const jg_config *cfg, struct list_query *q, json_t **fields)
{
    *fields = json_object();
    q->status = jg_req_query(req, "status");
    if (q->status != NULL && !known_status(q->status))
        json_object_set_new(*fields, "status", json_string("状态取值无效"));
    q->region = jg_req_query(req, "org_code");
    if (q->region != NULL) {
        if (!region_code(q->region)) {
            json_object_set_new(*fields, "org_code", json_string("行政区划代码应为 2、4 或 6 位数字"));
        } else {
            /* Prefix match as a range, so an ordinary index serves it on both backends. */
            snprintf(q->region_end, sizeof(q->region_end), "%s", q->region);
            q->region_end[strlen(q->region_end) - 1]++;
        }
    }
    const char *sort = jg_req_query(req, "sort");
    static const struct {
        const char *name, *order;
    } sorts[] = {
        {"-registered_on", " ORDER BY registered_on DESC, id DESC"},
        {"registered_on", " ORDER BY registered_on, id"},
        {"-id", " ORDER BY id DESC"},
        {"id", " ORDER BY id"},
    };
    q->order = sorts[0].order;
    if (sort != NULL) {
        q->order = NULL;
        for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++)
            if (strcmp(sort, sorts[i].name) == 0)
                q->order = sorts[i].order;
        if (q->order == NULL)
            json_object_set_new(*fields, "sort", json_string("排序字段无效"));
    }
    const char *page = jg_req_query(req, "page"), *size = jg_req_query(req, "size");
    q->page = 1;
    q->size = 20;
    if (page != NULL && jg_parse_int64(page, 1, 1000000, &q->page) != JG_OK)
        json_object_set_new(*fields, "page", json_string("页码应为正整数"));
    if (size != NULL && jg_parse_int64(size, 1, cfg->max_page_size, &q->size) != JG_OK)
        json_object_set_new(*fields, "size", json_string("每页条数超出范围"));
    if (json_object_size(*fields) == 0 && (q->page - 1) * q->size > MAX_OFFSET)
        json_object_set_new(*fields, "page", json_string("页码过大，请缩小查询范围"));
    if (json_object_size(*fields) > 0)
        return JG_INVALID;
    json_decref(*fields);
    *fields = NULL;
    return JG_OK;
}

static jg_rc list(jg_req *req, jg_resp *resp)
{
    struct list_query q;
    json_t *fields;
    if (parse_list(req, req->app->cfg, &q, &fields) != JG_OK)
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询参数不正确", fields);
    char sql[512];
    jg_value p[5];
    int n = 0;
    size_t len = (size_t)snprintf(sql, sizeof(sql), "%s", COLUMNS);
    const char *glue = " WHERE ";
    if (q.status != NULL) {
        p[n] = JG_VTEXT(q.status);
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%sstatus = $%d", glue, ++n);
        glue = " AND ";
    }
    if (q.region != NULL) {
        p[n] = JG_VTEXT(q.region);
        p[n + 1] = JG_VTEXT(q.region_end);
        len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%sorg_code >= $%d AND org_code < $%d", glue,
                                n + 1, n + 2);
        n += 2;
    }
    p[n] = JG_VINT(q.size + 1); /* one more row says whether there is a next page */
    p[n + 1] = JG_VINT((q.page - 1) * q.size);
    snprintf(sql + len, sizeof(sql) - len, "%s LIMIT $%d OFFSET $%d", q.order, n + 1, n + 2);
    n += 2;

    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    jg_rows *rows;
    rc = jg_db_query(c, sql, p, n, &rows);
    jg_db_release(c);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    int count = jg_rows_count(rows);
    for (int i = 0; i < count && i < q.size; i++)
        json_array_append_new(items, jg_json_row(rows, i));
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:I, s:b}", "items", items, "page", (json_int_t)q.page, "size",
                                  (json_int_t)q.size, "has_more", count > q.size));
}

static const jg_route routes[] = {
    {"GET", "/api/v1/public/projects", list, 0, "公示：在监项目列表（筛选、排序、分页）", "publicity"},
    {"GET", "/api/v1/public/projects/{id}", get_one, 0, "公示：项目详情", "publicity"},
    {NULL, NULL, NULL, 0, NULL, NULL},
};

const jg_module jg_module_publicity = {"publicity", routes, NULL, NULL};
