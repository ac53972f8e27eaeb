/* Channels shared with upper platforms (cascade, 级联): the video_share rows (0020_video_share.sql)
 * that `jianguan video` reads when an upper platform (a video_upper entry with share=table) asks
 * for its catalog or INVITEs a channel, and that it watches to NOTIFY a catalog subscription.
 *
 * Routes (video.control held by a province-scope role: a share crosses every region):
 *   GET    /api/v1/video/uppers/{upper_id}/shares?page=&size=   the shared channels, paged
 *   PUT    /api/v1/video/uppers/{upper_id}/shares {"channels": [...]}   share (idempotent)
 *   DELETE /api/v1/video/uppers/{upper_id}/shares {"channels": [...]}   stop sharing
 * The upper's ID is any 20-digit GB ID (serve does not read video_upper: an operator may prepare
 * the shares before the entry is configured); a channel must be known (video_channel). Writes are
 * one transaction with their audit row (video.share / video.unshare, entity video_upper, the
 * channels added or removed before and after). */
#include "base/buf.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "http/http.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>

#define SHARE_MAX_CHANNELS 1000 /* channels in one PUT or DELETE */
#define GBID_LEN 20

static int gbid_ok(const char *s)
{
    if (s == NULL || strlen(s) != GBID_LEN)
        return 0;
    for (int i = 0; i < GBID_LEN; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* The upper's ID from the path, and the caller at province scope: JG_OK, or the error answered. */
static jg_rc share_caller(jg_req *req, jg_resp *resp, const char **upper)
{
    const jg_principal *who = req->principal;
    if (who == NULL || who->scope == NULL || strcmp(who->scope, "province") != 0)
        return jg_resp_error(req, resp, JG_DENIED, "共享通道给上级平台须由省级视频管理人员操作");
    *upper = jg_req_param(req, "upper_id");
    if (!gbid_ok(*upper)) {
        json_t *fields = json_object();
        jg_field_error(fields, "upper_id", "上级平台编号须为 20 位数字");
        jg_resp_fields(req, resp, "上级平台编号无效", fields);
        return JG_INVALID;
    }
    return JG_OK;
}

/* GET /api/v1/video/uppers/{upper_id}/shares?page=&size= */
static jg_rc get_shares(jg_req *req, jg_resp *resp)
{
    const char *upper;
    if (share_caller(req, resp, &upper) != JG_OK)
        return JG_OK;
    json_t *fields = json_object();
    const char *ps = jg_req_query(req, "page"), *ss = jg_req_query(req, "size");
    int64_t page = 1, size = 50;
    if (ps != NULL && jg_parse_int64(ps, 1, 10000, &page) != JG_OK)
        jg_field_error(fields, "page", "页码须为 1 到 10000 的整数");
    if (ss != NULL && jg_parse_int64(ss, 1, 500, &size) != JG_OK)
        jg_field_error(fields, "size", "每页条数须为 1 到 500 的整数");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_OK;
    jg_value p[] = {JG_VTEXT(upper), JG_VINT(size + 1), JG_VINT((page - 1) * size)};
    jg_rows *rows;
    /* A channel reported by two devices is one shared channel: the first device names it. */
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT s.channel_gb_id, s.created_at, "
                   "(SELECT MIN(c.device_gb_id) FROM video_channel c WHERE c.gb_id = s.channel_gb_id) "
                   "AS device_gb_id, "
                   "(SELECT c.name FROM video_channel c WHERE c.gb_id = s.channel_gb_id "
                   "ORDER BY c.device_gb_id LIMIT 1) AS name, "
                   "(SELECT c.status FROM video_channel c WHERE c.gb_id = s.channel_gb_id "
                   "ORDER BY c.device_gb_id LIMIT 1) AS status "
                   "FROM video_share s WHERE s.upper_id = $1 ORDER BY s.channel_gb_id LIMIT $2 OFFSET $3",
                   p, 3, &rows);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    return jg_resp_page(req, resp, rows, page, size);
}

struct share_args {
    jg_req *req;
    const char *upper;
    const char **channels;
    int n;
    int add;         /* 1: share, 0: stop sharing */
    json_t *changed; /* the channels added or removed */
    int64_t total;   /* shares of the upper afterwards */
    jg_refusal refusal;
};

static jg_rc count_shares(jg_conn *c, const char *upper, int64_t *out)
{
    jg_value p[] = {JG_VTEXT(upper)};
    jg_rows *r;
    jg_rc rc = jg_db_query(c, "SELECT COUNT(*) FROM video_share WHERE upper_id = $1", p, 1, &r);
    if (rc == JG_OK) {
        *out = jg_rows_int(r, 0, 0);
        jg_rows_free(r);
    }
    return rc;
}

static jg_rc share_tx(jg_conn *c, void *ud)
{
    struct share_args *a = ud;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    int64_t before = 0;
    jg_rc rc = count_shares(c, a->upper, &before);
    for (int i = 0; i < a->n && rc == JG_OK; i++) {
        int64_t changes = 0;
        if (a->add) {
            jg_value p[] = {JG_VTEXT(a->upper), JG_VTEXT(a->channels[i]), JG_VTEXT(now)};
            jg_rows *r;
            rc = jg_db_query(c, "SELECT 1 FROM video_channel WHERE gb_id = $1 LIMIT 1", p + 1, 1, &r);
            if (rc != JG_OK)
                break;
            int known = jg_rows_count(r) > 0;
            jg_rows_free(r);
            if (!known) {
                char msg[96];
                snprintf(msg, sizeof(msg), "没有通道 %s", a->channels[i]);
                rc = jg_refuse(&a->refusal, JG_INVALID, "channels", jg_arena_strdup(a->req->arena, msg));
                break;
            }
            rc = jg_db_exec(
                c,
                "INSERT INTO video_share (upper_id, channel_gb_id, created_at) VALUES ($1, $2, $3) "
                "ON CONFLICT (upper_id, channel_gb_id) DO NOTHING",
                p, 3, &changes);
        } else {
            jg_value p[] = {JG_VTEXT(a->upper), JG_VTEXT(a->channels[i])};
            rc = jg_db_exec(c, "DELETE FROM video_share WHERE upper_id = $1 AND channel_gb_id = $2", p, 2,
                            &changes);
        }
        if (rc == JG_OK && changes > 0)
            json_array_append_new(a->changed, json_string(a->channels[i]));
    }
    if (rc == JG_OK)
        rc = count_shares(c, a->upper, &a->total);
    if (rc == JG_OK && json_array_size(a->changed) > 0) {
        json_t *b = json_pack("{s:I}", "shared", (json_int_t)before);
        json_t *after =
            json_pack("{s:I, s:O}", "shared", (json_int_t)a->total, a->add ? "added" : "removed", a->changed);
        rc = jg_audit_req(c, a->req, a->add ? "video.share" : "video.unshare", "video_upper", a->upper,
                          jg_audit_change(b, after));
    }
    return rc;
}

/* PUT and DELETE: {"channels": [20-digit IDs, distinct, 1..SHARE_MAX_CHANNELS]}. */
static jg_rc change_shares(jg_req *req, jg_resp *resp, int add)
{
    const char *upper;
    if (share_caller(req, resp, &upper) != JG_OK)
        return JG_OK;
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    }
    static const char *const allowed[] = {"channels", NULL};
    jg_field_unknown(body, allowed, fields);
    json_t *list = json_object_get(body, "channels");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    struct share_args a = {.req = req, .upper = upper, .add = add};
    if (n == 0 || n > SHARE_MAX_CHANNELS) {
        jg_field_error(fields, "channels", "请给出 1 到 1000 个通道编号");
    } else {
        a.channels = jg_arena_alloc(req->arena, n * sizeof(*a.channels));
        for (size_t i = 0; i < n; i++) {
            const char *id = json_string_value(json_array_get(list, i));
            if (!gbid_ok(id)) {
                jg_field_error(fields, "channels", "通道编号须为 20 位数字");
                break;
            }
            int dup = 0;
            for (int k = 0; k < a.n && !dup; k++)
                dup = strcmp(a.channels[k], id) == 0;
            if (dup) {
                jg_field_error(fields, "channels", "通道编号重复");
                break;
            }
            a.channels[a.n++] = id;
        }
    }
    if (jg_resp_fields(req, resp, add ? "共享信息无效" : "取消共享信息无效", fields) != JG_OK)
        return JG_OK;
    a.changed = json_array();
    jg_rc rc = jg_db_tx(req->app->db, share_tx, &a);
    if (rc != JG_OK) {
        json_decref(a.changed);
        return jg_resp_refusal(req, resp, rc, &a.refusal);
    }
    json_t *out = json_pack("{s:s, s:o, s:I}", "upper_id", upper, add ? "added" : "removed", a.changed,
                            "total", (json_int_t)a.total);
    return jg_resp_json(req, resp, 200, out);
}

static jg_rc put_shares(jg_req *req, jg_resp *resp)
{
    return change_shares(req, resp, 1);
}

static jg_rc delete_shares(jg_req *req, jg_resp *resp)
{
    return change_shares(req, resp, 0);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/video/uppers/{upper_id}/shares", get_shares, JG_ROUTE_AUTH,
     "The channels shared with an upper platform (cascade), paged; province scope", "video", "video.control"},
    {"PUT", "/api/v1/video/uppers/{upper_id}/shares", put_shares, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Share channels with an upper platform (cascade catalog and INVITE), audited; province scope", "video",
     "video.control"},
    {"DELETE", "/api/v1/video/uppers/{upper_id}/shares", delete_shares, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Stop sharing channels with an upper platform, audited; province scope", "video", "video.control"},
    {NULL},
};

const jg_module jg_module_video_share = {"video_share", routes, NULL, NULL};
