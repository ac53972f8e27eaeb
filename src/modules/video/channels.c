/* Video channels bound to projects (construction sites) and read in the caller's data scope.
 *
 * A channel belongs to at most one project (video_channel.project_id, 0019_video_channel_project.sql)
 * and is then in that project's scope: the project's org_code for government scopes, the project's
 * parties for enterprises (jg_scope_sql through the project, as project.c). An unbound channel has
 * no region, so only province scope sees it. Every video route reads its channel through
 * jg_video_channel_of, so a channel outside the scope is 404 for live view, PTZ, records and
 * playback alike; a device is visible when one of its channels is (province: every device).
 *
 * Routes: the channel list (filters, pages), the tree of the video wall (regions, then projects; the
 * channels of a project come from the list), the device list, and binding a channel to a project
 * with the site's coordinates (video.control, audited with before and after). */
#include "base/buf.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"
#include "platform/scope.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The channel as c, its project as pr (LEFT JOIN: NULL when unbound). */
static const jg_scope_cols channel_scope = {.org = "pr.org_code", .project = "c.project_id"};
static const jg_scope_cols project_scope = {.org = "org_code", .project = "id"};

#define CHANNEL_COLUMNS                                                                                      \
    "SELECT c.id, c.device_gb_id, c.gb_id, c.name, c.status, c.ptz_type, COALESCE(d.online, 0) AS online, "  \
    "c.project_id, pr.name AS project_name, pr.org_code, c.site_longitude, c.site_latitude, c.bound_at "     \
    "FROM video_channel c LEFT JOIN video_device d ON d.gb_id = c.device_gb_id "                             \
    "LEFT JOIN project pr ON pr.id = c.project_id"

int jg_video_scope(jg_req *req, jg_buf *sql, jg_value *params, int *n)
{
    if (req->principal != NULL &&
        jg_scope_sql(req->principal, &channel_scope, sql, params, n, req->arena) == JG_OK)
        return 1;
    jg_buf_puts(sql, " AND 1 = 0");
    return 0;
}

jg_rc jg_video_read_one(jg_req *req, jg_resp *resp, jg_buf *sql, jg_value *params, int n, const char *missing,
                        jg_rows **rows)
{
    jg_rc rc = jg_db_read(req->app->db, sql->data, params, n, rows);
    jg_buf_free(sql);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    if (jg_rows_count(*rows) == 0) {
        jg_rows_free(*rows);
        *rows = NULL;
        return jg_resp_error(req, resp, JG_NOTFOUND, missing);
    }
    return JG_OK;
}

jg_rc jg_video_device_of(jg_req *req, jg_resp *resp, const char **gb, int *online)
{
    *gb = jg_req_param(req, "gb_id");
    int ok = *gb != NULL && strlen(*gb) == 20;
    for (size_t i = 0; ok && i < 20; i++)
        ok = (*gb)[i] >= '0' && (*gb)[i] <= '9';
    if (!ok) {
        jg_resp_error(req, resp, JG_NOTFOUND, "没有这个视频设备");
        return JG_NOTFOUND;
    }
    jg_value p[8] = {JG_VTEXT(*gb)};
    int n = 1;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_buf_puts(&sql, "SELECT online FROM video_device d WHERE gb_id = $1 AND status = 'active'");
    jg_video_device_scope(req, &sql, p, &n);
    jg_rows *rows;
    if (jg_video_read_one(req, resp, &sql, p, n, "没有这个视频设备", &rows) != JG_OK)
        return JG_NOTFOUND;
    if (online != NULL)
        *online = jg_rows_int(rows, 0, 0) != 0;
    jg_rows_free(rows);
    return JG_OK;
}

jg_rc jg_video_channel_of(jg_req *req, jg_resp *resp, jg_video_channel *ch)
{
    memset(ch, 0, sizeof(*ch));
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &ch->id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这个视频通道");
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[8] = {JG_VINT(ch->id)};
    int n = 1;
    jg_buf_puts(&sql, "SELECT c.device_gb_id, c.gb_id, c.name, d.online FROM video_channel c "
                      "LEFT JOIN video_device d ON d.gb_id = c.device_gb_id "
                      "LEFT JOIN project pr ON pr.id = c.project_id WHERE c.id = $1");
    jg_video_scope(req, &sql, p, &n);
    jg_rows *rows;
    jg_rc rc = jg_video_read_one(req, resp, &sql, p, n, "没有这个视频通道", &rows);
    if (rc != JG_OK)
        return rc;
    jg_strlcpy(ch->device, jg_rows_text(rows, 0, 0), sizeof(ch->device));
    jg_strlcpy(ch->channel, jg_rows_text(rows, 0, 1), sizeof(ch->channel));
    jg_strlcpy(ch->name, jg_rows_text(rows, 0, 2), sizeof(ch->name));
    ch->online = jg_rows_int(rows, 0, 3) != 0;
    jg_rows_free(rows);
    return JG_OK;
}

/* page (1..10000) and size (1..200, default 50) from the query string. */
static void paging(jg_req *req, int64_t *page, int64_t *size, json_t *fields)
{
    const char *ps = jg_req_query(req, "page"), *ss = jg_req_query(req, "size");
    *page = 1;
    *size = 50;
    if (ps != NULL && jg_parse_int64(ps, 1, 10000, page) != JG_OK)
        jg_field_error(fields, "page", "页码须为 1 到 10000 的整数");
    if (ss != NULL && jg_parse_int64(ss, 1, 200, size) != JG_OK)
        jg_field_error(fields, "size", "每页条数须为 1 到 200 的整数");
}

/* A region code of 2, 4 or 6 digits; its prefix range [code, end). */
static int region_range(const char *s, char end[8])
{
    size_t len = s != NULL ? strlen(s) : 0;
    if (len < 2 || len > 6 || len % 2 != 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    memcpy(end, s, len + 1);
    end[len - 1]++;
    return 1;
}

/* A LIKE pattern matching s literally anywhere, in the arena. */
static const char *like_pattern(jg_arena *a, const char *s)
{
    char *p = jg_arena_alloc(a, strlen(s) * 2 + 3), *o = p;
    *o++ = '%';
    for (; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

static int gb_id_ok(const char *s)
{
    int ok = s != NULL && strlen(s) == 20;
    for (size_t i = 0; ok && i < 20; i++)
        ok = s[i] >= '0' && s[i] <= '9';
    return ok;
}

/* GET /api/v1/video/channels?project_id=&unbound=1&device_gb_id=&org_code=&online=&keyword=&page=&size= */
jg_rc jg_video_list_channels(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size, project_id = 0, online = -1;
    paging(req, &page, &size, fields);
    const char *pid = jg_req_query(req, "project_id"), *unbound = jg_req_query(req, "unbound");
    const char *device = jg_req_query(req, "device_gb_id"), *org = jg_req_query(req, "org_code");
    const char *keyword = jg_req_query(req, "keyword"), *on = jg_req_query(req, "online");
    char org_end[8] = "";
    if (pid != NULL && jg_parse_int64(pid, 1, INT64_MAX, &project_id) != JG_OK)
        jg_field_error(fields, "project_id", "项目编号无效");
    if (unbound != NULL && strcmp(unbound, "1") != 0 && strcmp(unbound, "0") != 0)
        jg_field_error(fields, "unbound", "须为 0 或 1");
    if (device != NULL && !gb_id_ok(device))
        jg_field_error(fields, "device_gb_id", "设备编码须为 20 位数字");
    if (org != NULL && !region_range(org, org_end))
        jg_field_error(fields, "org_code", "行政区划代码应为 2、4 或 6 位数字");
    if (keyword != NULL && strlen(keyword) > 60)
        jg_field_error(fields, "keyword", "关键字不超过 20 个汉字");
    if (on != NULL && jg_parse_int64(on, 0, 1, &online) != JG_OK)
        jg_field_error(fields, "online", "须为 0 或 1");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_OK;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[16];
    int n = 0;
    jg_buf_puts(&sql, CHANNEL_COLUMNS " WHERE 1 = 1");
    if (project_id > 0) {
        p[n++] = JG_VINT(project_id);
        jg_buf_printf(&sql, " AND c.project_id = $%d", n);
    }
    if (unbound != NULL && strcmp(unbound, "1") == 0)
        jg_buf_puts(&sql, " AND c.project_id IS NULL");
    if (device != NULL) {
        p[n++] = JG_VTEXT(device);
        jg_buf_printf(&sql, " AND c.device_gb_id = $%d", n);
    }
    if (org != NULL) {
        p[n++] = JG_VTEXT(org);
        p[n++] = JG_VTEXT(jg_arena_strdup(req->arena, org_end));
        jg_buf_printf(&sql, " AND pr.org_code >= $%d AND pr.org_code < $%d", n - 1, n);
    }
    if (keyword != NULL && keyword[0] != '\0') {
        p[n++] = JG_VTEXT(like_pattern(req->arena, keyword));
        jg_buf_printf(&sql, " AND c.name LIKE $%d ESCAPE '\\'", n);
    }
    if (online >= 0)
        jg_buf_puts(&sql, online ? " AND d.online = 1" : " AND COALESCE(d.online, 0) = 0");
    jg_video_scope(req, &sql, p, &n);
    return jg_video_page(req, resp, &sql, p, n, "c.device_gb_id, c.gb_id", page, size);
}

/* GET /api/v1/video/tree: the cities with bound channels in scope (and, for province scope, the
 * unbound channels as one node); ?region=3501: the projects of that region with channels. */
jg_rc jg_video_get_tree(jg_req *req, jg_resp *resp)
{
    const char *region = jg_req_query(req, "region");
    char end[8];
    if (region != NULL && !region_range(region, end)) {
        json_t *fields = json_object();
        jg_field_error(fields, "region", "行政区划代码应为 2、4 或 6 位数字");
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    }
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[12];
    int n = 0;
    if (region == NULL)
        jg_buf_puts(&sql,
                    "SELECT substr(pr.org_code, 1, 4) AS code, MAX(o.name) AS name, COUNT(*) AS channels, "
                    "SUM(CASE WHEN d.online = 1 THEN 1 ELSE 0 END) AS online "
                    "FROM video_channel c JOIN project pr ON pr.id = c.project_id "
                    "LEFT JOIN video_device d ON d.gb_id = c.device_gb_id "
                    "LEFT JOIN org o ON o.code = substr(pr.org_code, 1, 4) WHERE 1 = 1");
    else {
        p[n++] = JG_VTEXT(region);
        p[n++] = JG_VTEXT(jg_arena_strdup(req->arena, end));
        jg_buf_printf(
            &sql,
            "SELECT pr.id, MAX(pr.name) AS name, MAX(pr.org_code) AS org_code, MAX(o.name) AS county, "
            "COUNT(*) AS channels, SUM(CASE WHEN d.online = 1 THEN 1 ELSE 0 END) AS online, "
            "AVG(c.site_longitude) AS longitude, AVG(c.site_latitude) AS latitude "
            "FROM video_channel c JOIN project pr ON pr.id = c.project_id "
            "LEFT JOIN video_device d ON d.gb_id = c.device_gb_id "
            "LEFT JOIN org o ON o.code = pr.org_code "
            "WHERE pr.org_code >= $%d AND pr.org_code < $%d",
            n - 1, n);
    }
    int visible = jg_video_scope(req, &sql, p, &n);
    jg_buf_puts(&sql, region == NULL ? " GROUP BY substr(pr.org_code, 1, 4) ORDER BY 1"
                                     : " GROUP BY pr.id ORDER BY MAX(pr.org_code), MAX(pr.name), pr.id");
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    json_t *items = jg_json_rows(rows);
    jg_rows_free(rows);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_object_set_new(it, "kind", json_string(region == NULL ? "region" : "project"));
    }
    if (region == NULL && visible) {
        /* Unbound channels: the scope condition on the missing project leaves them to province scope. */
        jg_buf_init(&sql, 2048);
        n = 0;
        jg_buf_puts(&sql,
                    "SELECT COUNT(*) AS channels, SUM(CASE WHEN d.online = 1 THEN 1 ELSE 0 END) AS online "
                    "FROM video_channel c LEFT JOIN video_device d ON d.gb_id = c.device_gb_id "
                    "LEFT JOIN project pr ON pr.id = c.project_id WHERE c.project_id IS NULL");
        jg_video_scope(req, &sql, p, &n);
        rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
        jg_buf_free(&sql);
        if (rc != JG_OK) {
            json_decref(items);
            return jg_resp_error(req, resp, rc, NULL);
        }
        if (jg_rows_int(rows, 0, 0) > 0)
            json_array_append_new(items,
                                  json_pack("{s:s, s:s, s:I, s:I}", "kind", "unbound", "name", "未绑定项目",
                                            "channels", (json_int_t)jg_rows_int(rows, 0, 0), "online",
                                            (json_int_t)jg_rows_int(rows, 0, 1)));
        jg_rows_free(rows);
    }
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/v1/video/devices?online=&page=&size=: devices with a channel in scope (province: all). */
jg_rc jg_video_list_devices(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page, size, online = -1;
    paging(req, &page, &size, fields);
    const char *on = jg_req_query(req, "online");
    if (on != NULL && jg_parse_int64(on, 0, 1, &online) != JG_OK)
        jg_field_error(fields, "online", "须为 0 或 1");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_OK;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[12];
    int n = 0;
    jg_buf_puts(&sql,
                "SELECT gb_id, name, transport, online, registered_at, last_keepalive_at, manufacturer, "
                "model, firmware, catalog_state, "
                "(SELECT COUNT(*) FROM video_channel c WHERE c.device_gb_id = d.gb_id) AS channels "
                "FROM video_device d WHERE status = 'active'");
    if (online >= 0) {
        p[n++] = JG_VINT(online);
        jg_buf_printf(&sql, " AND online = $%d", n);
    }
    jg_video_device_scope(req, &sql, p, &n);
    return jg_video_page(req, resp, &sql, p, n, "gb_id", page, size);
}

jg_rc jg_video_page(jg_req *req, jg_resp *resp, jg_buf *sql, jg_value *params, int n, const char *order,
                    int64_t page, int64_t size)
{
    params[n++] = JG_VINT(size + 1);
    params[n++] = JG_VINT((page - 1) * size);
    jg_buf_printf(sql, " ORDER BY %s LIMIT $%d OFFSET $%d", order, n - 1, n);
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, sql->data, params, n, &rows);
    jg_buf_free(sql);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    return jg_resp_page(req, resp, rows, page, size);
}

int jg_video_device_scope(jg_req *req, jg_buf *sql, jg_value *params, int *n)
{
    jg_buf cond;
    jg_buf_init(&cond, 1024);
    int visible = jg_video_scope(req, &cond, params, n);
    if (!visible)
        jg_buf_puts(sql, " AND 1 = 0");
    else if (cond.len > 0)
        jg_buf_printf(
            sql,
            " AND EXISTS (SELECT 1 FROM video_channel c LEFT JOIN project pr ON pr.id = c.project_id "
            "WHERE c.device_gb_id = d.gb_id%s)",
            cond.data);
    jg_buf_free(&cond);
    return visible;
}

struct bind_args {
    jg_req *req;
    int64_t channel_id, project_id; /* project_id 0: unbind */
    int has_point;
    double longitude, latitude;
    int64_t changed;
};

static json_t *binding_json(jg_rows *rows)
{
    if (rows == NULL || jg_rows_count(rows) == 0)
        return json_null();
    json_t *row = jg_json_row(rows, 0);
    return row;
}

static jg_rc bind_tx(jg_conn *c, void *ud)
{
    struct bind_args *a = ud;
    jg_value key[1] = {JG_VINT(a->channel_id)};
    static const char select[] =
        "SELECT project_id, site_longitude, site_latitude FROM video_channel WHERE id = $1";
    jg_rows *before;
    jg_rc rc = jg_db_query(c, select, key, 1, &before);
    if (rc != JG_OK)
        return rc;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    jg_value p[5] = {a->project_id > 0 ? JG_VINT(a->project_id) : JG_VNULL,
                     a->has_point ? JG_VREAL(a->longitude) : JG_VNULL,
                     a->has_point ? JG_VREAL(a->latitude) : JG_VNULL,
                     a->project_id > 0 ? JG_VTEXT(now) : JG_VNULL, JG_VINT(a->channel_id)};
    rc = jg_db_exec(c,
                    "UPDATE video_channel SET project_id = $1, site_longitude = $2, site_latitude = $3, "
                    "bound_at = $4 WHERE id = $5",
                    p, 5, &a->changed);
    jg_rows *after = NULL;
    if (rc == JG_OK)
        rc = jg_db_query(c, select, key, 1, &after);
    if (rc == JG_OK) {
        char rid[32];
        snprintf(rid, sizeof(rid), "%lld", (long long)a->channel_id);
        rc = jg_audit_req(c, a->req, a->project_id > 0 ? "video.bind" : "video.unbind", "video_channel", rid,
                          jg_audit_change(binding_json(before), binding_json(after)));
    }
    jg_rows_free(before);
    if (after != NULL)
        jg_rows_free(after);
    return rc;
}

/* The channel as the list shows it, answered as one row. */
static jg_rc answer_channel(jg_req *req, jg_resp *resp, int64_t id)
{
    jg_value p[1] = {JG_VINT(id)};
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db, CHANNEL_COLUMNS " WHERE c.id = $1", p, 1, &rows);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    return jg_resp_row(req, resp, rows);
}

static int number_in(json_t *v, double lo, double hi, double *out)
{
    if (!json_is_number(v))
        return 0;
    *out = json_number_value(v);
    return isfinite(*out) && *out >= lo && *out <= hi;
}

/* PUT /api/v1/video/channels/{id}/project {"project_id", "longitude", "latitude"}: bind (or move)
 * a channel in scope to a project in scope. */
jg_rc jg_video_put_project(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    }
    static const char *const allowed[] = {"project_id", "longitude", "latitude", NULL};
    jg_field_unknown(body, allowed, fields);
    struct bind_args a = {.req = req, .channel_id = ch.id};
    json_t *pid = json_object_get(body, "project_id");
    if (!json_is_integer(pid) || json_integer_value(pid) < 1)
        jg_field_error(fields, "project_id", "请选择项目");
    else
        a.project_id = json_integer_value(pid);
    json_t *lon = json_object_get(body, "longitude"), *lat = json_object_get(body, "latitude");
    int has_lon = lon != NULL && !json_is_null(lon), has_lat = lat != NULL && !json_is_null(lat);
    if (has_lon && !number_in(lon, 73, 136, &a.longitude))
        jg_field_error(fields, "longitude", "经度须为 73 到 136 之间的数");
    if (has_lat && !number_in(lat, 3, 54, &a.latitude))
        jg_field_error(fields, "latitude", "纬度须为 3 到 54 之间的数");
    if (has_lon != has_lat)
        jg_field_error(fields, has_lon ? "latitude" : "longitude", "经度与纬度须同时给出");
    a.has_point = has_lon && has_lat;
    if (a.project_id > 0) {
        /* The project must be in the caller's scope too: no binding a camera to someone else's site. */
        jg_buf sql;
        jg_buf_init(&sql, 2048);
        jg_value p[8] = {JG_VINT(a.project_id)};
        int n = 1;
        jg_buf_puts(&sql, "SELECT id FROM project WHERE id = $1");
        jg_rows *rows = NULL;
        jg_rc rc = jg_scope_sql(req->principal, &project_scope, &sql, p, &n, req->arena);
        if (rc == JG_OK)
            rc = jg_db_read(req->app->db, sql.data, p, n, &rows);
        jg_buf_free(&sql);
        if (rc != JG_OK && rc != JG_DENIED) {
            json_decref(fields);
            return jg_resp_error(req, resp, rc, NULL);
        }
        if (rows == NULL || jg_rows_count(rows) == 0)
            jg_field_error(fields, "project_id", "项目不存在或不在数据权限范围内");
        if (rows != NULL)
            jg_rows_free(rows);
    }
    if (jg_resp_fields(req, resp, "绑定信息无效", fields) != JG_OK)
        return JG_OK;
    jg_rc rc = jg_db_tx(req->app->db, bind_tx, &a);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    return answer_channel(req, resp, ch.id);
}

/* DELETE /api/v1/video/channels/{id}/project: unbind (the channel then leaves every scope but
 * the province's). */
jg_rc jg_video_delete_project(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    struct bind_args a = {.req = req, .channel_id = ch.id};
    jg_rc rc = jg_db_tx(req->app->db, bind_tx, &a);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    return answer_channel(req, resp, ch.id);
}
