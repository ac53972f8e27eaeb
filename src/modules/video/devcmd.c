/* The platform side of device commands, device status, alarms and positions (issue 8):
 *
 *   POST /api/v1/video/channels/{id}/control {"cmd": record|stop_record|guard|reset_guard|iframe}
 *   POST /api/v1/video/devices/{gb_id}/reboot                  (TeleBoot)
 *   POST /api/v1/video/devices/{gb_id}/status/refresh          (DeviceStatus asked now)
 *   GET  /api/v1/video/alarms?device_gb_id=&priority=&since=&until=&page=&size=
 *   GET  /api/v1/video/channels/{id}/positions?limit=
 *
 * Commands go to `jianguan video` as signed control requests (/ctl/cmd, control.c's
 * jg_video_ctl_call), which answers when the device's MANSCDP <Response> arrives: 200 with
 * "result": "OK" (or "accepted" when the device took the command with a SIP 200 but reported no
 * result; a reboot is always that), 502 device_refused for Result ERROR or an error response, 504
 * when the device does not answer. Commands are video.control and audited (video.control /
 * video.reboot) once the video service had them, with the outcome.
 *
 * Scope: a channel through jg_video_channel_of, a device through jg_video_device_scope (a device
 * is visible when one of its channels is), alarms through their device. */
#include "base/text.h"
#include "base/timeutil.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const channel_cmds[] = {"record", "stop_record", "guard", "reset_guard", "iframe", NULL};

struct audit_args {
    jg_req *req;
    const char *action, *entity, *record_id;
    json_t *detail;
};

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    struct audit_args *a = ud;
    json_incref(a->detail);
    return jg_audit_req(c, a->req, a->action, a->entity, a->record_id, a->detail);
}

/* The outcome of a command as the audit and the answer name it. */
static const char *outcome(jg_rc rc, long status, json_t *answer)
{
    if (rc != JG_OK)
        return rc == JG_TIMEOUT ? "timeout" : "unavailable";
    if (status == 200)
        return json_string_value(json_object_get(answer, "result")) != NULL
                   ? json_string_value(json_object_get(answer, "result"))
                   : "OK";
    if (status == 502)
        return "refused";
    if (status == 504)
        return "timeout";
    return "failed";
}

/* Send cmd to target of device (ctl /ctl/cmd), audit the attempt, answer. */
static jg_rc run_cmd(jg_req *req, jg_resp *resp, const char *device, const char *target, const char *cmd,
                     const char *action, const char *entity, const char *record_id, json_int_t channel_id)
{
    char args[160];
    snprintf(args, sizeof(args), "device=%s&channel=%s&cmd=%s", device, target, cmd);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "cmd", args, 10, &status, &answer);
    if (rc == JG_OK && (status == 200 || status == 502 || status == 504)) {
        /* the video service sent it: audited whatever the device did */
        struct audit_args a = {req, action, entity, record_id,
                               json_pack("{s:s, s:s, s:s, s:s}", "device_gb_id", device, "gb_id", target,
                                         "cmd", cmd, "outcome", outcome(rc, status, answer))};
        jg_rc arc = jg_db_tx(req->app->db, audit_tx, &a);
        json_decref(a.detail);
        if (arc != JG_OK) {
            json_decref(answer);
            return jg_resp_error(req, resp, arc, NULL);
        }
    }
    if (rc != JG_OK || status != 200 || answer == NULL)
        return jg_video_ctl_failed(req, resp, rc, status, answer);
    json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "device_gb_id", device, "gb_id", target, "cmd", cmd,
                            "result", outcome(rc, status, answer));
    if (channel_id > 0)
        json_object_set_new(out, "channel_id", json_integer(channel_id));
    json_t *st = json_object_get(answer, "status");
    if (st != NULL)
        json_object_set(out, "device_status", st);
    json_decref(answer);
    return jg_resp_json(req, resp, 200, out);
}

static jg_rc post_control(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    json_t *body = req->json;
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    json_t *fields = json_object();
    static const char *const allowed[] = {"cmd", NULL};
    jg_field_unknown(body, allowed, fields);
    const char *cmd = json_string_value(json_object_get(body, "cmd"));
    int known = 0;
    for (size_t i = 0; cmd != NULL && channel_cmds[i] != NULL; i++)
        known |= strcmp(cmd, channel_cmds[i]) == 0;
    if (!known)
        jg_field_error(fields, "cmd", "须为 record、stop_record、guard、reset_guard 或 iframe");
    if (jg_resp_fields(req, resp, "控制命令无效", fields) != JG_OK)
        return JG_OK;
    if (!ch.online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法控制");
    char rid[32];
    snprintf(rid, sizeof(rid), "%lld", (long long)ch.id);
    return run_cmd(req, resp, ch.device, ch.channel, cmd, "video.control", "video_channel", rid,
                   (json_int_t)ch.id);
}

static jg_rc post_reboot(jg_req *req, jg_resp *resp)
{
    const char *gb;
    int online;
    if (jg_video_device_of(req, resp, &gb, &online) != JG_OK)
        return JG_OK;
    if (!online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法远程启动");
    return run_cmd(req, resp, gb, gb, "reboot", "video.reboot", "video_device", gb, 0);
}

static jg_rc post_status_refresh(jg_req *req, jg_resp *resp)
{
    const char *gb;
    int online;
    if (jg_video_device_of(req, resp, &gb, &online) != JG_OK)
        return JG_OK;
    if (!online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法查询状态");
    long status = 0;
    json_t *answer = NULL;
    char args[160];
    snprintf(args, sizeof(args), "device=%s&channel=%s&cmd=status", gb, gb);
    jg_rc rc = jg_video_ctl_call(req, "cmd", args, 10, &status, &answer);
    if (rc != JG_OK || status != 200 || answer == NULL)
        return jg_video_ctl_failed(req, resp, rc, status, answer);
    json_t *out = json_pack("{s:s, s:O}", "device_gb_id", gb, "device_status",
                            json_object_get(answer, "status") != NULL ? json_object_get(answer, "status")
                                                                      : json_null());
    json_decref(answer);
    return jg_resp_json(req, resp, 200, out);
}

/* "YYYY-MM-DDTHH:MM:SS" with an optional ".mmm" and "Z" (UTC, as received_at is written). */
static int utc_time_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 19 || n > 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    for (size_t i = 0; i < 19; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

static jg_rc get_alarms(jg_req *req, jg_resp *resp)
{
    json_t *fields = json_object();
    const char *ps = jg_req_query(req, "page"), *ss = jg_req_query(req, "size");
    const char *device = jg_req_query(req, "device_gb_id"), *pr = jg_req_query(req, "priority");
    const char *since = jg_req_query(req, "since"), *until = jg_req_query(req, "until");
    int64_t page = 1, size = 50, priority = 0;
    if (ps != NULL && jg_parse_int64(ps, 1, 10000, &page) != JG_OK)
        jg_field_error(fields, "page", "页码须为 1 到 10000 的整数");
    if (ss != NULL && jg_parse_int64(ss, 1, 200, &size) != JG_OK)
        jg_field_error(fields, "size", "每页条数须为 1 到 200 的整数");
    if (pr != NULL && jg_parse_int64(pr, 1, 4, &priority) != JG_OK)
        jg_field_error(fields, "priority", "报警级别须为 1 到 4");
    if (device != NULL && (strlen(device) != 20 || strspn(device, "0123456789") != 20))
        jg_field_error(fields, "device_gb_id", "设备编号须为 20 位数字");
    if (since != NULL && !utc_time_ok(since))
        jg_field_error(fields, "since", "时间格式须为 YYYY-MM-DDTHH:MM:SSZ（UTC）");
    if (until != NULL && !utc_time_ok(until))
        jg_field_error(fields, "until", "时间格式须为 YYYY-MM-DDTHH:MM:SSZ（UTC）");
    if (jg_resp_fields(req, resp, "查询条件不正确", fields) != JG_OK)
        return JG_OK;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[16];
    int n = 0;
    jg_buf_puts(&sql, "SELECT a.id, a.device_gb_id, d.name AS device_name, a.gb_id, "
                      "(SELECT MAX(c.name) FROM video_channel c WHERE c.device_gb_id = a.device_gb_id AND "
                      "c.gb_id = a.gb_id) AS channel_name, a.priority, a.method, a.alarm_type, a.alarm_time, "
                      "a.description, a.longitude, a.latitude, a.received_at "
                      "FROM video_alarm a JOIN video_device d ON d.gb_id = a.device_gb_id WHERE 1 = 1");
    if (device != NULL) {
        p[n++] = JG_VTEXT(device);
        jg_buf_printf(&sql, " AND a.device_gb_id = $%d", n);
    }
    if (priority > 0) {
        p[n++] = JG_VINT(priority);
        jg_buf_printf(&sql, " AND a.priority = $%d", n);
    }
    if (since != NULL) {
        p[n++] = JG_VTEXT(since);
        jg_buf_printf(&sql, " AND a.received_at >= $%d", n);
    }
    if (until != NULL) {
        p[n++] = JG_VTEXT(until);
        jg_buf_printf(&sql, " AND a.received_at < $%d", n);
    }
    jg_video_device_scope(req, &sql, p, &n);
    return jg_video_page(req, resp, &sql, p, n, "a.received_at DESC, a.id DESC", page, size);
}

static jg_rc get_positions(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    const char *ls = jg_req_query(req, "limit");
    int64_t limit = 100;
    if (ls != NULL && jg_parse_int64(ls, 1, 1000, &limit) != JG_OK) {
        json_t *fields = json_object();
        jg_field_error(fields, "limit", "条数须为 1 到 1000 的整数");
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    }
    jg_value p[] = {JG_VTEXT(ch.device), JG_VTEXT(ch.channel), JG_VINT(limit)};
    jg_rows *rows;
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT at, longitude, latitude, speed, direction, altitude, received_at "
                   "FROM video_position WHERE device_gb_id = $1 AND gb_id = $2 ORDER BY id DESC LIMIT $3",
                   p, 3, &rows);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    json_t *out = json_pack("{s:I, s:s, s:s, s:o}", "channel_id", (json_int_t)ch.id, "device_gb_id",
                            ch.device, "gb_id", ch.channel, "items", jg_json_rows(rows));
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200, out);
}

static const jg_route routes[] = {
    {"POST", "/api/v1/video/channels/{id}/control", post_control, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "DeviceControl of a video channel: start/stop recording on the device, set/reset guard, a key frame "
     "now; the device's result reported, audited",
     "video", "video.control"},
    {"POST", "/api/v1/video/devices/{gb_id}/reboot", post_reboot, JG_ROUTE_AUTH,
     "Reboot a video device (DeviceControl TeleBoot), audited", "video", "video.control"},
    {"POST", "/api/v1/video/devices/{gb_id}/status/refresh", post_status_refresh, JG_ROUTE_AUTH,
     "Ask a video device for its status now (DeviceStatus): online, encoding, recording, time, alarm inputs",
     "video", "video.view"},
    {"GET", "/api/v1/video/alarms", get_alarms, JG_ROUTE_AUTH,
     "Alarms reported by video devices in the caller's data scope, newest first, paged", "video",
     "video.view"},
    {"GET", "/api/v1/video/channels/{id}/positions", get_positions, JG_ROUTE_AUTH,
     "The latest MobilePosition reports of a video channel, newest first", "video", "video.view"},
    {NULL},
};

const jg_module jg_module_video_devcmd = {"video_devcmd", routes, NULL, NULL};
