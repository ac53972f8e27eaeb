/* Registered projects, for two audiences: the public (公示, no login, every project) and
 * supervisors (logged in, only the projects in their data scope; 404 for the rest). */
#include "base/buf.h"
#include "base/text.h"
#include "http/http.h"
#include "platform/scope.h"

#include <stdio.h>
#include <string.h>

/* A project is scoped by its supervising region, and enterprises see those they take part in. */
static const jg_scope_cols project_scope = {.org = "org_code", .project = "id"};

#define COLUMNS                                                                                              \
    "SELECT id, code, name, org_code, address, owner_name, contractor_name, supervisor_firm_name, "          \
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
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[5] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&sql, COLUMNS " WHERE id = $1");
    /* Outside the caller's scope a project is as absent as one that does not exist. */
    if (req->principal != NULL &&
        jg_scope_sql(req->principal, &project_scope, &sql, p, &n, req->arena) != JG_OK) {
        jg_buf_free(&sql);
        return jg_resp_error(req, resp, JG_NOTFOUND, NULL);
    }
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    return jg_resp_row(req, resp, rows);
}

/* The list query: filters and order from fixed fragments, every value bound. */
#define MAX_STATUSES 4
#define MAX_KEYWORD_BYTES 60

struct list_query {
    const char *status[MAX_STATUSES];
    int nstatus;
    const char *region;
    char region_end[8];
    const char *keyword; /* LIKE pattern, already escaped and wrapped in % */
    const char *order;
    int64_t page, size;
};

static void bad(json_t *fields, const char *field, const char *message)
{
    json_object_set_new(fields, field, json_string(message));
}

static void set_status(struct list_query *q, const char *s, json_t *fields)
{
    if (s == NULL || !known_status(s))
        bad(fields, "status", "状态取值无效");
    else if (q->nstatus < MAX_STATUSES)
        q->status[q->nstatus++] = s;
}

static void set_region(struct list_query *q, const char *s, json_t *fields)
{
    if (s == NULL || !region_code(s)) {
        bad(fields, "org_code", "行政区划代码应为 2、4 或 6 位数字");
        return;
    }
    /* Prefix match as a range, so an ordinary index serves it on both backends. */
    q->region = s;
    snprintf(q->region_end, sizeof(q->region_end), "%s", s);
    q->region_end[strlen(q->region_end) - 1]++;
}

static void set_keyword(jg_arena *a, struct list_query *q, const char *s, json_t *fields)
{
    if (s == NULL || strlen(s) > MAX_KEYWORD_BYTES) {
        bad(fields, "keyword", "关键字不超过 20 个汉字");
        return;
    }
    if (*s == '\0')
        return;
    /* Escape LIKE's wildcards so the keyword matches literally. */
    char *p = jg_arena_alloc(a, strlen(s) * 2 + 3), *o = p;
    *o++ = '%';
    for (; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    q->keyword = p;
}

static void set_sort(struct list_query *q, const char *sort, json_t *fields)
{
    static const struct {
        const char *name, *order;
    } sorts[] = {
        {"-registered_on", " ORDER BY registered_on DESC, id DESC"},
        {"registered_on", " ORDER BY registered_on, id"},
        {"-id", " ORDER BY id DESC"},
        {"id", " ORDER BY id"},
    };
    for (size_t i = 0; sort != NULL && i < sizeof(sorts) / sizeof(sorts[0]); i++)
        if (strcmp(sort, sorts[i].name) == 0) {
            q->order = sorts[i].order;
            return;
        }
    bad(fields, "sort", "排序字段无效");
}

static void set_paging(struct list_query *q, int64_t page, int64_t size, long max_size, json_t *fields)
{
    if (page < 1 || page > 1000000)
        bad(fields, "page", "页码应为正整数");
    else if (size < 1 || size > max_size)
        bad(fields, "size", "每页条数超出范围");
    else if ((page - 1) * size > MAX_OFFSET)
        bad(fields, "page", "页码过大，请缩小查询范围");
    q->page = page;
    q->size = size;
}

static void query_defaults(struct list_query *q)
{
    memset(q, 0, sizeof(*q));
    q->order = " ORDER BY registered_on DESC, id DESC";
    q->page = 1;
    q->size = 20;
}

static int64_t int_param(const char *s, json_t *fields, const char *field)
{
    int64_t v = 1;
    if (s != NULL && jg_parse_int64(s, -1000000000, 1000000000, &v) != JG_OK)
        bad(fields, field, "应为整数");
    return v;
}

/* GET ?status=&org_code=&keyword=&sort=&page=&size= */
static void from_query_string(jg_req *req, struct list_query *q, json_t *fields)
{
    const char *v;
    if ((v = jg_req_query(req, "status")) != NULL)
        set_status(q, v, fields);
    if ((v = jg_req_query(req, "org_code")) != NULL)
        set_region(q, v, fields);
    if ((v = jg_req_query(req, "keyword")) != NULL)
        set_keyword(req->arena, q, v, fields);
    if ((v = jg_req_query(req, "sort")) != NULL)
        set_sort(q, v, fields);
    const char *page = jg_req_query(req, "page"), *size = jg_req_query(req, "size");
    set_paging(q, page ? int_param(page, fields, "page") : 1, size ? int_param(size, fields, "size") : 20,
               req->app->cfg->max_page_size, fields);
}

/* POST {"status": [..] | "..", "org_code", "keyword", "sort", "page", "size"} */
static void from_json(jg_req *req, struct list_query *q, json_t *fields)
{
    json_t *body = req->json, *v;
    if (!json_is_object(body)) {
        bad(fields, "body", "请求内容应为 JSON 对象");
        return;
    }
    const char *key;
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "status") == 0) {
            if (json_is_array(v) && json_array_size(v) <= MAX_STATUSES) {
                size_t i;
                json_t *s;
                json_array_foreach(v, i, s) set_status(q, json_string_value(s), fields);
            } else {
                set_status(q, json_string_value(v), fields);
            }
        } else if (strcmp(key, "org_code") == 0) {
            set_region(q, json_string_value(v), fields);
        } else if (strcmp(key, "keyword") == 0) {
            set_keyword(req->arena, q, json_string_value(v), fields);
        } else if (strcmp(key, "sort") == 0) {
            set_sort(q, json_string_value(v), fields);
        } else if (strcmp(key, "page") != 0 && strcmp(key, "size") != 0) {
            bad(fields, key, "不支持的查询条件");
        }
    }
    json_t *page = json_object_get(body, "page"), *size = json_object_get(body, "size");
    if ((page != NULL && !json_is_integer(page)) || (size != NULL && !json_is_integer(size))) {
        bad(fields, page != NULL && !json_is_integer(page) ? "page" : "size", "应为整数");
        return;
    }
    set_paging(q, page ? json_integer_value(page) : 1, size ? json_integer_value(size) : 20,
               req->app->cfg->max_page_size, fields);
}

static jg_rc run_list(jg_req *req, jg_resp *resp, const struct list_query *q)
{
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_value p[MAX_STATUSES + 9];
    int n = 0;
    /* Deferred join: the page's ids come from the index alone (an index-only scan skips the
     * OFFSET rows without reading the table), then only those rows are fetched. */
    jg_buf_printf(&sql, "%s WHERE id IN (SELECT id FROM project WHERE 1 = 1", COLUMNS);
    if (q->nstatus > 0) {
        jg_buf_puts(&sql, " AND status IN (");
        for (int i = 0; i < q->nstatus; i++) {
            p[n++] = JG_VTEXT(q->status[i]);
            jg_buf_printf(&sql, "%s$%d", i ? ", " : "", n);
        }
        jg_buf_puts(&sql, ")");
    }
    if (q->region != NULL) {
        p[n++] = JG_VTEXT(q->region);
        p[n++] = JG_VTEXT(q->region_end);
        jg_buf_printf(&sql, " AND org_code >= $%d AND org_code < $%d", n - 1, n);
    }
    if (q->keyword != NULL) {
        p[n++] = JG_VTEXT(q->keyword);
        jg_buf_printf(&sql, " AND name LIKE $%d ESCAPE '\\'", n);
    }
    if (req->principal != NULL &&
        jg_scope_sql(req->principal, &project_scope, &sql, p, &n, req->arena) != JG_OK)
        jg_buf_puts(&sql, " AND 1 = 0"); /* no scope: nothing */
    p[n++] = JG_VINT(q->size + 1);       /* one more row says whether there is a next page */
    p[n++] = JG_VINT((q->page - 1) * q->size);
    jg_buf_printf(&sql, "%s LIMIT $%d OFFSET $%d)%s", q->order, n - 1, n, q->order);

    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, rows, q->page, q->size);
}

static jg_rc list(jg_req *req, jg_resp *resp)
{
    struct list_query q;
    query_defaults(&q);
    json_t *fields = json_object();
    if (strcmp(req->method, "POST") == 0)
        from_json(req, &q, fields);
    else
        from_query_string(req, &q, fields);
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    json_decref(fields);
    return run_list(req, resp, &q);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/projects", list, JG_ROUTE_AUTH, "在监项目列表（本人数据权限范围内）", "project",
     "project.read"},
    {"POST", "/api/v1/projects/query", list, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "在监项目多条件查询（数据权限范围内）", "project", "project.read"},
    {"GET", "/api/v1/projects/{id}", get_one, JG_ROUTE_AUTH, "项目详情（数据权限范围外为 404）", "project",
     "project.read"},
    {"GET", "/api/v1/public/projects", list, 0, "公示：在监项目列表（筛选、排序、分页）", "publicity", NULL},
    {"POST", "/api/v1/public/projects/query", list, JG_ROUTE_JSON, "公示：多条件查询在监项目（JSON 条件）",
     "publicity", NULL},
    {"GET", "/api/v1/public/projects/{id}", get_one, 0, "公示：项目详情", "publicity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_project = {"project", routes, NULL, NULL};
