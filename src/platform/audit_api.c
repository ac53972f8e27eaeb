/* The audit log for auditors: GET /api/v1/audit (query) and GET /api/v1/audit/export (CSV, streamed).
 * No route changes or removes audit rows: they are only ever appended (jg_audit_append).
 *
 * Dates in filters are business dates (Asia/Shanghai, UTC+8); rows keep UTC timestamps, so a day
 * D is the range [D-1 16:00Z, D 16:00Z). The export reads the rows in pages of EXPORT_PAGE by id
 * (keyset), up to the newest id when it started, so its memory stays flat however long it is. */
#include "platform/identity_int.h"

#include "base/csv.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT_PAGE 1000
#define SHANGHAI_OFFSET_S (8 * 3600)
#define MAX_ACTION 64

/* The filters both routes take. */
struct filter {
    const char *from, *to;              /* YYYY-MM-DD, or NULL */
    char from_at[32], to_at[32];        /* the UTC bounds: at >= from_at AND at < to_at ("" : open) */
    char action[MAX_ACTION + 1];        /* "" : any */
    char username[JG_MAX_USERNAME + 1]; /* "" : any */
};

/* The UTC timestamp at which business date day (+ days) begins. */
static void day_start_utc(const char *day, int days, char *out, size_t outlen)
{
    struct tm tm = {0};
    int y = 0, m = 0, d = 0;
    sscanf(day, "%4d-%2d-%2d", &y, &m, &d);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d + days;
    time_t t = timegm(&tm) - SHANGHAI_OFFSET_S;
    struct tm u;
    gmtime_r(&t, &u);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%S.000Z", &u);
}

static int action_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= MAX_ACTION && strspn(s, "abcdefghijklmnopqrstuvwxyz_") == n;
}

/* Read and check the filters; adds to fields what is wrong. need_dates: from and to required. */
static void read_filter(jg_req *req, struct filter *f, int need_dates, json_t *fields)
{
    memset(f, 0, sizeof(*f));
    f->from = jg_req_query(req, "from");
    f->to = jg_req_query(req, "to");
    const char *action = jg_req_query(req, "action"), *user = jg_req_query(req, "username");
    if ((f->from != NULL || need_dates) && (f->from == NULL || !jg_time_valid_date(f->from)))
        json_object_set_new(fields, "from", json_string("开始日期应为 YYYY-MM-DD"));
    if ((f->to != NULL || need_dates) && (f->to == NULL || !jg_time_valid_date(f->to)))
        json_object_set_new(fields, "to", json_string("结束日期应为 YYYY-MM-DD"));
    else if (f->from != NULL && f->to != NULL && strcmp(f->from, f->to) > 0)
        json_object_set_new(fields, "to", json_string("结束日期不能早于开始日期"));
    if (action != NULL && *action != '\0' && !action_ok(action))
        json_object_set_new(fields, "action", json_string("操作类型无效"));
    if (user != NULL && strlen(user) > JG_MAX_USERNAME)
        json_object_set_new(fields, "username", json_string("用户名过长"));
    if (json_object_size(fields) > 0)
        return;
    if (f->from != NULL)
        day_start_utc(f->from, 0, f->from_at, sizeof(f->from_at));
    if (f->to != NULL)
        day_start_utc(f->to, 1, f->to_at, sizeof(f->to_at));
    snprintf(f->action, sizeof(f->action), "%s", action != NULL ? action : "");
    snprintf(f->username, sizeof(f->username), "%s", user != NULL ? user : "");
}

/* The filter's WHERE conditions on $first..$first+3, and their values into p. */
#define FILTER_SQL(a, b, c, d)                                                                               \
    " ($" #a " = '' OR at >= $" #a ") AND ($" #b " = '' OR at < $" #b ") AND ($" #c " = '' OR action = $" #c \
    ") AND ($" #d " = '' OR username = $" #d ")"

static void filter_values(const struct filter *f, jg_value *p)
{
    p[0] = JG_VTEXT(f->from_at);
    p[1] = JG_VTEXT(f->to_at);
    p[2] = JG_VTEXT(f->action);
    p[3] = JG_VTEXT(f->username);
}

/* GET /api/v1/audit?from=&to=&action=&username=&page=&size= — the audit log, newest first. */
static jg_rc audit_list(jg_req *req, jg_resp *resp)
{
    int64_t page, size;
    json_t *fields = json_object();
    struct filter f;
    read_filter(req, &f, 0, fields);
    jg_req_paging(req, 50, req->app->cfg->max_page_size, &page, &size, fields);
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    json_decref(fields);
    jg_rows *r;
    jg_value p[6];
    filter_values(&f, p);
    p[4] = JG_VINT(size + 1);
    p[5] = JG_VINT((page - 1) * size);
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT id, at, user_id, username, ip, action, entity, record_id, detail, hash"
                   " FROM audit_log WHERE" FILTER_SQL(1, 2, 3, 4) " ORDER BY id DESC LIMIT $5 OFFSET $6",
                   p, 6, &r);
    if (rc != JG_OK)
        return rc;
    return jg_resp_page(req, resp, r, page, size);
}

/* ---- export ---- */

/* The export's state: owned by the stream (freed by export_done), not by the request. */
struct export
{
    jg_db *db;
    struct filter f;
    int64_t after, last; /* next page: id > after, up to last */
    int header_sent;
};

/* "2026-05-01T08:30:00.123Z" as Beijing time "2026-05-01 16:30:00"; the text itself if odd. */
static void local_time(const char *at, char *out, size_t outlen)
{
    int64_t utc;
    if (!jg_time_parse_iso(at, &utc)) {
        snprintf(out, outlen, "%s", at != NULL ? at : "");
        return;
    }
    time_t t = (time_t)(utc + SHANGHAI_OFFSET_S);
    struct tm l;
    gmtime_r(&t, &l);
    strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &l);
}

static jg_rc export_next(void *ud, jg_buf *out, int *end)
{
    struct export *x = ud;
    if (!x->header_sent) {
        static const char *const head[] = {"时间", "用户", "地址", "操作", "对象", "记录", "详情", "校验值"};
        jg_buf_puts(out, JG_CSV_BOM);
        for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++)
            jg_csv_cell(out, head[i], i == 0);
        x->header_sent = 1;
        return jg_csv_row_end(out);
    }
    jg_rows *r;
    jg_value p[7];
    p[0] = JG_VINT(x->after);
    p[1] = JG_VINT(x->last);
    filter_values(&x->f, p + 2);
    p[6] = JG_VINT(EXPORT_PAGE);
    jg_rc rc =
        jg_db_read(x->db,
                   "SELECT id, at, username, ip, action, entity, record_id, detail, hash FROM audit_log"
                   " WHERE id > $1 AND id <= $2 AND" FILTER_SQL(3, 4, 5, 6) " ORDER BY id LIMIT $7",
                   p, 7, &r);
    if (rc != JG_OK)
        return rc;
    int n = jg_rows_count(r);
    for (int i = 0; i < n && rc == JG_OK; i++) {
        char when[32];
        local_time(jg_rows_text(r, i, 1), when, sizeof(when));
        jg_csv_cell(out, when, 1);
        for (int col = 2; col <= 8; col++)
            jg_csv_cell(out, jg_rows_text(r, i, col), 0);
        rc = jg_csv_row_end(out);
        x->after = jg_rows_int(r, i, 0);
    }
    jg_rows_free(r);
    if (n < EXPORT_PAGE)
        *end = 1;
    return rc;
}

static void export_done(void *ud)
{
    free(ud);
}

/* GET /api/v1/audit/export?from=&to=&action=&username= — CSV for Excel (UTF-8 with BOM). The
 * export is audited before a byte of it is sent. */
static jg_rc audit_export(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    struct filter f;
    read_filter(req, &f, 1, fields);
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "导出条件不正确", fields);
    json_decref(fields);
    const jg_principal *me = req->principal;
    json_t *what = json_pack("{s:s, s:s, s:s, s:s}", "from", f.from, "to", f.to, "action", f.action,
                             "username", f.username);
    char *detail = json_dumps(what, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(what);
    jg_rc rc = detail != NULL ? JG_OK : JG_ERR;
    if (rc == JG_OK)
        rc = jg_identity_audit(req, me->user_id, me->username, "audit_export", "audit_log", NULL, detail);
    free(detail);
    jg_rows *r = NULL;
    if (rc == JG_OK)
        rc = jg_db_read(req->app->db, "SELECT COALESCE(MAX(id), 0) FROM audit_log", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    struct export *x = jg_xcalloc(1, sizeof(*x));
    x->db = req->app->db;
    x->f = f;
    x->f.from = x->f.to = NULL; /* they point into the request */
    x->last = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    char *disposition = jg_arena_printf(req->arena, "attachment; filename=\"audit-%s-%s.csv\"", f.from, f.to);
    jg_resp_header(req, resp, "Content-Disposition", disposition);
    return jg_resp_stream(req, resp, 200, "text/csv; charset=utf-8", export_next, x, export_done);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/audit", audit_list, JG_ROUTE_AUTH, "审计日志查询（审计员）", "audit", "audit.read"},
    {"GET", "/api/v1/audit/export", audit_export, JG_ROUTE_AUTH, "审计日志导出 CSV（审计员；导出本身留审计）",
     "audit", "audit.export"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_audit = {"audit", routes, NULL, NULL};
