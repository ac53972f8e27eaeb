/* Cloud recording plans (云录像计划) through the platform API:
 *
 *   GET    /api/v1/video/channels/{id}/record-plan   the channel's plan (configured: false if none)
 *   PUT    /api/v1/video/channels/{id}/record-plan   {enabled, segment_s, retention_days}
 *   DELETE /api/v1/video/channels/{id}/record-plan   remove it (recording stops)
 *   GET    /api/v1/video/record-plans                 the plans of channels in scope, paged
 *
 * Rows of video_record_plan (0021) are read by `jianguan video` (src/video/record.c) every
 * video_keepalive_flush_s: an enabled plan holds the channel's stream and writes TS segments of
 * segment_s seconds, kept retention_days (NULL: video_record_days), all the time or (schedule, 0023)
 * only inside weekly windows [{"days":[1..7],"start":"HH:MM","end":"HH:MM"}] in Beijing time.
 *
 * Scope: the channel through jg_video_channel_of (404 outside); permission video.control for all
 * four routes. Every change is one transaction with its audit (video.record_plan, before/after). */
#include "base/buf.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT_MIN 2
#define SEGMENT_MAX 3600
#define SEGMENT_DEFAULT 600
#define RETENTION_MAX 3650

#define PLAN_COLUMNS "p.id, p.enabled, p.segment_s, p.retention_days, p.created_at, p.updated_at, p.schedule"
#define WINDOWS_MAX 28

/* The plan as the API shows it, from a row of PLAN_COLUMNS at col (NULL rows: not configured). */
static json_t *plan_json(const jg_video_channel *ch, const jg_rows *rows, int col)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "channel_id", (json_int_t)ch->id, "device_gb_id",
                          ch->device, "gb_id", ch->channel, "name", ch->name);
    int have = rows != NULL && jg_rows_count(rows) > 0;
    json_object_set_new(o, "configured", json_boolean(have));
    json_object_set_new(o, "enabled", json_boolean(have && jg_rows_int(rows, 0, col + 1) != 0));
    json_object_set_new(o, "segment_s", json_integer(have ? jg_rows_int(rows, 0, col + 2) : SEGMENT_DEFAULT));
    json_object_set_new(o, "retention_days",
                        have && jg_rows_type(rows, 0, col + 3) != JG_V_NULL
                            ? json_integer(jg_rows_int(rows, 0, col + 3))
                            : json_null());
    json_object_set_new(o, "created_at", have ? json_string(jg_rows_text(rows, 0, col + 4)) : json_null());
    json_object_set_new(o, "updated_at", have ? json_string(jg_rows_text(rows, 0, col + 5)) : json_null());
    json_t *sched = have && jg_rows_type(rows, 0, col + 6) != JG_V_NULL
                        ? json_loads(jg_rows_text(rows, 0, col + 6), 0, NULL)
                        : NULL;
    json_object_set_new(o, "schedule", sched != NULL ? sched : json_null());
    return o;
}

/* Only what the audit needs: NULL when there is no plan. */
static json_t *audit_json(const jg_rows *rows)
{
    if (rows == NULL || jg_rows_count(rows) == 0)
        return NULL;
    json_t *o = json_pack("{s:b, s:I}", "enabled", jg_rows_int(rows, 0, 1) != 0, "segment_s",
                          (json_int_t)jg_rows_int(rows, 0, 2));
    json_object_set_new(o, "retention_days",
                        jg_rows_type(rows, 0, 3) != JG_V_NULL ? json_integer(jg_rows_int(rows, 0, 3))
                                                              : json_null());
    json_t *sched =
        jg_rows_type(rows, 0, 6) != JG_V_NULL ? json_loads(jg_rows_text(rows, 0, 6), 0, NULL) : NULL;
    json_object_set_new(o, "schedule", sched != NULL ? sched : json_null());
    return o;
}

static const char select_plan[] =
    "SELECT " PLAN_COLUMNS " FROM video_record_plan p WHERE p.device_gb_id = $1 AND p.channel_gb_id = $2";

struct plan_args {
    jg_req *req;
    const jg_video_channel *ch;
    int remove;                             /* DELETE */
    int enabled, segment_s, retention_days; /* retention_days 0: NULL */
    const char *schedule;                   /* normalised JSON text, NULL: all the time */
    int existed;
};

static jg_rc plan_tx(jg_conn *c, void *ud)
{
    struct plan_args *a = ud;
    jg_value key[] = {JG_VTEXT(a->ch->device), JG_VTEXT(a->ch->channel)};
    jg_rows *before = NULL, *after = NULL;
    jg_rc rc = jg_db_query(c, select_plan, key, 2, &before);
    if (rc != JG_OK)
        return rc;
    a->existed = jg_rows_count(before) > 0;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    if (a->remove) {
        rc = jg_db_exec(c, "DELETE FROM video_record_plan WHERE device_gb_id = $1 AND channel_gb_id = $2",
                        key, 2, NULL);
    } else {
        jg_value p[] = {JG_VTEXT(a->ch->device),
                        JG_VTEXT(a->ch->channel),
                        JG_VINT(a->enabled),
                        JG_VINT(a->segment_s),
                        a->retention_days > 0 ? JG_VINT(a->retention_days) : JG_VNULL,
                        JG_VTEXT(now),
                        a->schedule != NULL ? JG_VTEXT(a->schedule) : JG_VNULL};
        if (a->existed)
            rc = jg_db_exec(c,
                            "UPDATE video_record_plan SET enabled = $3, segment_s = $4, retention_days = $5, "
                            "updated_at = $6, schedule = $7 WHERE device_gb_id = $1 AND channel_gb_id = $2",
                            p, 7, NULL);
        else
            rc = jg_db_exec(
                c,
                "INSERT INTO video_record_plan (device_gb_id, channel_gb_id, enabled, segment_s, "
                "retention_days, created_at, updated_at, schedule) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
                p, 7, NULL);
    }
    if (rc == JG_OK)
        rc = jg_db_query(c, select_plan, key, 2, &after);
    if (rc == JG_OK && (a->existed || !a->remove)) {
        char rid[32];
        snprintf(rid, sizeof(rid), "%lld", (long long)a->ch->id);
        json_t *detail = jg_audit_change(audit_json(before), audit_json(after));
        json_object_set_new(detail, "device_gb_id", json_string(a->ch->device));
        json_object_set_new(detail, "gb_id", json_string(a->ch->channel));
        rc = jg_audit_req(c, a->req, a->remove ? "video.record_plan.delete" : "video.record_plan",
                          "video_channel", rid, detail);
    }
    jg_rows_free(before);
    if (after != NULL)
        jg_rows_free(after);
    return rc;
}

/* "HH:MM" from 00:00 to 24:00 as minutes, or -1. */
static int minutes(const char *t)
{
    if (t == NULL || strlen(t) != 5 || t[2] != ':' || t[0] < '0' || t[0] > '9' || t[1] < '0' || t[1] > '9' ||
        t[3] < '0' || t[3] > '5' || t[4] < '0' || t[4] > '9')
        return -1;
    int m = ((t[0] - '0') * 10 + (t[1] - '0')) * 60 + (t[3] - '0') * 10 + (t[4] - '0');
    return m <= 24 * 60 ? m : -1;
}

/* The schedule of a PUT (null: all the time) checked and normalised (days sorted, unique) as JSON
 * text in the arena; NULL with a field error, or NULL for null. */
static const char *schedule_text(jg_req *req, json_t *v, json_t *fields)
{
    if (v == NULL || json_is_null(v))
        return NULL;
    if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > WINDOWS_MAX) {
        jg_field_error(fields, "schedule", "录像时段须为 1 到 28 个时段的列表，不填则全天录像");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *w;
    json_array_foreach(v, i, w)
    {
        json_t *days = json_object_get(w, "days");
        const char *start = json_string_value(json_object_get(w, "start"));
        const char *end = json_string_value(json_object_get(w, "end"));
        unsigned mask = 0;
        int ok =
            json_is_object(w) && json_object_size(w) == 3 && json_is_array(days) && json_array_size(days) > 0;
        size_t k;
        json_t *d;
        json_array_foreach(ok ? days : NULL, k, d)
        {
            json_int_t x = json_is_integer(d) ? json_integer_value(d) : 0;
            if (x < 1 || x > 7)
                ok = 0;
            else
                mask |= 1u << (x - 1);
        }
        if (!ok) {
            jg_field_error(fields, "schedule", "每个时段须有 days（1 为周一，7 为周日）、start 与 end");
            break;
        }
        int s0 = minutes(start), s1 = minutes(end);
        if (s0 < 0 || s1 < 0 || s1 <= s0) {
            jg_field_error(fields, "schedule",
                           "时段的 start 与 end 须为 HH:MM（北京时间），且开始早于结束；跨零点请分为两段");
            break;
        }
        json_t *dl = json_array();
        for (int day = 1; day <= 7; day++)
            if (mask & (1u << (day - 1)))
                json_array_append_new(dl, json_integer(day));
        json_array_append_new(out, json_pack("{s:o, s:s, s:s}", "days", dl, "start", start, "end", end));
    }
    char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(out);
    const char *r = text != NULL ? jg_arena_strdup(req->arena, text) : NULL;
    free(text);
    return r;
}

static jg_rc answer_plan(jg_req *req, jg_resp *resp, const jg_video_channel *ch)
{
    jg_value key[] = {JG_VTEXT(ch->device), JG_VTEXT(ch->channel)};
    jg_rows *rows = NULL;
    jg_rc rc = jg_db_read(req->app->db, select_plan, key, 2, &rows);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    json_t *o = plan_json(ch, rows, 0);
    jg_rows_free(rows);
    /* what record.c made of it: the channel's indexed segments */
    rc = jg_db_read(req->app->db,
                    "SELECT COUNT(*), COALESCE(SUM(bytes), 0), MAX(end_at) FROM video_record_segment "
                    "WHERE device_gb_id = $1 AND channel_gb_id = $2",
                    key, 2, &rows);
    if (rc == JG_OK) {
        json_object_set_new(o, "segments", json_integer(jg_rows_int(rows, 0, 0)));
        json_object_set_new(o, "segment_bytes", json_integer(jg_rows_int(rows, 0, 1)));
        json_object_set_new(o, "last_segment_end",
                            jg_rows_type(rows, 0, 2) != JG_V_NULL ? json_integer(jg_rows_int(rows, 0, 2))
                                                                  : json_null());
        jg_rows_free(rows);
    }
    return jg_resp_json(req, resp, 200, o);
}

jg_rc jg_video_get_record_plan(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    return answer_plan(req, resp, &ch);
}

jg_rc jg_video_put_record_plan(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    }
    static const char *const allowed[] = {"enabled", "segment_s", "retention_days", "schedule", NULL};
    jg_field_unknown(body, allowed, fields);
    struct plan_args a = {.req = req, .ch = &ch, .segment_s = SEGMENT_DEFAULT};
    json_t *en = json_object_get(body, "enabled");
    if (!json_is_boolean(en))
        jg_field_error(fields, "enabled", "请选择是否启用云录像（true 或 false）");
    else
        a.enabled = json_is_true(en);
    json_t *seg = json_object_get(body, "segment_s");
    if (seg != NULL && !json_is_null(seg)) {
        if (!json_is_integer(seg) || json_integer_value(seg) < SEGMENT_MIN ||
            json_integer_value(seg) > SEGMENT_MAX)
            jg_field_error(fields, "segment_s", "录像分段时长须为 2 到 3600 秒的整数");
        else
            a.segment_s = (int)json_integer_value(seg);
    }
    json_t *ret = json_object_get(body, "retention_days");
    if (ret != NULL && !json_is_null(ret)) {
        if (!json_is_integer(ret) || json_integer_value(ret) < 1 || json_integer_value(ret) > RETENTION_MAX)
            jg_field_error(fields, "retention_days", "保存天数须为 1 到 3650 的整数，不填则按系统默认");
        else
            a.retention_days = (int)json_integer_value(ret);
    }
    a.schedule = schedule_text(req, json_object_get(body, "schedule"), fields);
    if (jg_resp_fields(req, resp, "录像计划无效", fields) != JG_OK)
        return JG_OK;
    jg_rc rc = jg_db_tx(req->app->db, plan_tx, &a);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    return answer_plan(req, resp, &ch);
}

jg_rc jg_video_delete_record_plan(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    struct plan_args a = {.req = req, .ch = &ch, .remove = 1};
    jg_rc rc = jg_db_tx(req->app->db, plan_tx, &a);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    if (!a.existed)
        return jg_resp_error(req, resp, JG_NOTFOUND, "该通道没有录像计划");
    return answer_plan(req, resp, &ch);
}

/* GET /api/v1/video/record-plans?enabled=&page=&size= */
jg_rc jg_video_list_record_plans(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    int64_t page = 1, size = 50, enabled = -1;
    const char *ps = jg_req_query(req, "page"), *ss = jg_req_query(req, "size"),
               *en = jg_req_query(req, "enabled");
    if (ps != NULL && jg_parse_int64(ps, 1, 10000, &page) != JG_OK)
        jg_field_error(fields, "page", "页码须为 1 到 10000 的整数");
    if (ss != NULL && jg_parse_int64(ss, 1, 200, &size) != JG_OK)
        jg_field_error(fields, "size", "每页条数须为 1 到 200 的整数");
    if (en != NULL && jg_parse_int64(en, 0, 1, &enabled) != JG_OK)
        jg_field_error(fields, "enabled", "须为 0 或 1");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_OK;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[16];
    int n = 0;
    jg_buf_puts(&sql, "SELECT c.id AS channel_id, p.device_gb_id, p.channel_gb_id AS gb_id, c.name, "
                      "c.project_id, pr.name AS project_name, p.enabled, p.segment_s, p.retention_days, "
                      "CASE WHEN p.schedule IS NULL THEN 0 ELSE 1 END AS scheduled, "
                      "p.created_at, p.updated_at FROM video_record_plan p "
                      "JOIN video_channel c ON c.device_gb_id = p.device_gb_id AND c.gb_id = p.channel_gb_id "
                      "LEFT JOIN project pr ON pr.id = c.project_id WHERE 1 = 1");
    if (enabled >= 0) {
        p[n++] = JG_VINT(enabled);
        jg_buf_printf(&sql, " AND p.enabled = $%d", n);
    }
    jg_video_scope(req, &sql, p, &n);
    return jg_video_page(req, resp, &sql, p, n, "p.device_gb_id, p.channel_gb_id", page, size);
}
