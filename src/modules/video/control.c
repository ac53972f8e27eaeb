/* The platform side of device control: PTZ and presets, record queries, playback URLs and
 * playback control, and a device's state. The serve process holds no SIP state, so it asks the
 * video process through a signed control request to the media node's listener
 * (GET http://video_media_listen/ctl/WHAT?ARGS&exp=E&sig=S, answered in JSON), checked there
 * without a database. The signature must match src/video/liveurl.c (this layer may not include
 * src/video):
 *   ctl_key = HMAC-SM3(field_key, "jianguan video control v1")
 *   sig     = hex HMAC-SM3(ctl_key, the request target from "/ctl/" up to "&sig=")
 *   playback URLs: key = HMAC-SM3(field_key, "jianguan video live url v1"),
 *                  sig = hex HMAC-SM3(key, "playback/DEVICE/CHANNEL/START/END/EXP")
 *
 * Times in the API are the devices' own: China Standard Time (UTC+8, no daylight saving),
 * "YYYY-MM-DDTHH:MM:SS"; the SDP of a playback carries them as Unix seconds.
 *
 * Scope: every route reads its channel through jg_video_channel_of (channels.c), in the caller's
 * data scope through the channel's project; a device is visible when one of its channels is. */
#include "base/log.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CTL_EXP_S 60
#define CTL_MAX_ANSWER (4 * 1024 * 1024)
#define CST_OFFSET_S (8 * 3600)

void jg_video_key(jg_req *req, const char *label, unsigned char out[32])
{
    if (jg_hmac_sm3(jg_identity_field_key(req), 32, label, strlen(label), out) != JG_OK)
        memset(out, 0, 32);
}

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    jg_buf *b = ud;
    return jg_buf_append(b, data, size * n) == JG_OK ? size * n : 0;
}

jg_rc jg_video_ctl_call(jg_req *req, const char *what, const char *args, long timeout_s, long *status,
                        json_t **answer)
{
    *status = 0;
    *answer = NULL;
    unsigned char key[32];
    jg_video_key(req, "jianguan video control v1", key);
    char target[1024], sig[65], url[1300], host[128];
    int n = snprintf(target, sizeof(target), "/ctl/%s?%s&exp=%lld", what, args,
                     (long long)time(NULL) + CTL_EXP_S);
    if (n < 0 || (size_t)n >= sizeof(target))
        return JG_INVALID;
    unsigned char mac[32];
    if (jg_hmac_sm3(key, sizeof(key), target, (size_t)n, mac) != JG_OK)
        return JG_ERR;
    jg_crypto_hex_encode(mac, sizeof(mac), sig);
    const char *listen = req->app->cfg->video_media_listen;
    jg_strlcpy(host, listen, sizeof(host));
    if (strncmp(host, "0.0.0.0:", 8) == 0)
        snprintf(host, sizeof(host), "127.0.0.1:%s", listen + 8);
    snprintf(url, sizeof(url), "http://%s%s&sig=%s", host, target, sig);
    CURL *h = curl_easy_init();
    if (h == NULL)
        return JG_NOMEM;
    jg_buf b;
    jg_buf_init(&b, CTL_MAX_ANSWER);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 3L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode c = curl_easy_perform(h);
    jg_rc rc = JG_OK;
    if (c != CURLE_OK) {
        jg_warn("video control %s: the video service did not answer (%s)", what, curl_easy_strerror(c));
        rc = c == CURLE_OPERATION_TIMEDOUT ? JG_TIMEOUT : JG_UNAVAILABLE;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
        if (b.len > 0)
            *answer = json_loadb(b.data, b.len, 0, NULL);
    }
    curl_easy_cleanup(h);
    jg_buf_free(&b);
    return rc;
}

jg_rc jg_video_ctl_failed(jg_req *req, jg_resp *resp, jg_rc rc, long status, json_t *answer)
{
    const char *message = json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
    char text[256];
    jg_strlcpy(text, message != NULL ? message : "", sizeof(text));
    json_decref(answer);
    if (rc == JG_TIMEOUT || status == 504)
        return jg_resp_error(req, resp, JG_TIMEOUT, text[0] != '\0' ? text : "设备未及时响应");
    if (rc != JG_OK || status == 0)
        return jg_resp_error(req, resp, JG_UNAVAILABLE, "视频服务不可用");
    if (status == 404)
        return jg_resp_error(req, resp, JG_CONFLICT, text[0] != '\0' ? text : "设备不在线");
    if (status == 400)
        return jg_resp_error(req, resp, JG_INVALID, text[0] != '\0' ? text : "请求无效");
    if (status == 409)
        return jg_resp_error(req, resp, JG_CONFLICT, text[0] != '\0' ? text : "状态冲突");
    if (status == 502) {
        jg_resp_status_error(req, resp, 502, "device_refused", text[0] != '\0' ? text : "设备拒绝了请求",
                             NULL);
        return JG_OK;
    }
    return jg_resp_error(req, resp, JG_UNAVAILABLE, text[0] != '\0' ? text : "视频服务不可用");
}

/* An integer member of body in lo..hi, or def when absent; a field error otherwise. */
static int int_field(json_t *body, const char *name, int lo, int hi, int def, json_t *fields)
{
    json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v))
        return def;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char msg[64];
        snprintf(msg, sizeof(msg), "须为 %d 到 %d 的整数", lo, hi);
        jg_field_error(fields, name, msg);
        return def;
    }
    return (int)json_integer_value(v);
}

static const char *const ptz_commands[] = {
    "stop",        "left",          "right",   "up",        "down",     "upleft",   "upright",   "downleft",
    "downright",   "zoomin",        "zoomout", "focusnear", "focusfar", "irisopen", "irisclose", "preset_set",
    "preset_call", "preset_delete", NULL};

struct audit_args {
    jg_req *req;
    const char *record_id;
    json_t *detail;
};

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    struct audit_args *a = ud;
    json_incref(a->detail);
    return jg_audit_req(c, a->req, "video.ptz", "video_channel", a->record_id, a->detail);
}

jg_rc jg_video_post_ptz(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    json_t *body = req->json, *fields = json_object();
    static const char *const allowed[] = {"command", "speed", "zoom_speed", "preset", NULL};
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    }
    jg_field_unknown(body, allowed, fields);
    const char *command = json_string_value(json_object_get(body, "command"));
    int known = 0;
    for (size_t i = 0; command != NULL && ptz_commands[i] != NULL; i++)
        known |= strcmp(command, ptz_commands[i]) == 0;
    if (!known)
        jg_field_error(fields, "command", "云台命令无效");
    int speed = int_field(body, "speed", 0, 255, 128, fields);
    int zoom = int_field(body, "zoom_speed", 0, 15, 8, fields);
    int preset = int_field(body, "preset", 1, 255, 0, fields);
    if (known && strncmp(command, "preset_", 7) == 0 && preset == 0)
        jg_field_error(fields, "preset", "预置位命令须给出预置位号（1-255）");
    if (jg_resp_fields(req, resp, "云台命令无效", fields) != JG_OK)
        return JG_OK;
    if (!ch.online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法控制");
    char args[256];
    snprintf(args, sizeof(args), "device=%s&channel=%s&command=%s&speed=%d&zoom=%d&preset=%d", ch.device,
             ch.channel, command, speed, zoom, preset);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "ptz", args, 5, &status, &answer);
    if (rc != JG_OK || status != 200 || answer == NULL)
        return jg_video_ctl_failed(req, resp, rc, status, answer);
    char rid[32];
    snprintf(rid, sizeof(rid), "%lld", (long long)ch.id);
    struct audit_args a = {req, rid,
                           json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:O}", "device_gb_id", ch.device,
                                     "gb_id", ch.channel, "command", command, "speed", speed, "zoom_speed",
                                     zoom, "preset", preset, "ptz_cmd", json_object_get(answer, "ptz_cmd"))};
    rc = jg_db_tx(req->app->db, audit_tx, &a);
    json_decref(a.detail);
    if (rc != JG_OK) {
        json_decref(answer);
        return jg_resp_error(req, resp, rc, NULL);
    }
    json_object_set_new(answer, "channel_id", json_integer(ch.id));
    json_object_del(answer, "sn");
    return jg_resp_json(req, resp, 200, answer);
}

/* "YYYY-MM-DDTHH:MM:SS" in China Standard Time as Unix seconds, or -1. */
int64_t jg_video_cst_seconds(const char *s)
{
    int y, mo, d, h, mi, se;
    char tail;
    if (s == NULL || strlen(s) != 19 || s[10] != 'T' ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6)
        return -1;
    if (y < 1970 || y > 2100 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return -1;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* 2026-02-30 normalised to March */
        return -1;
    return (int64_t)t - CST_OFFSET_S;
}

/* start and end of a time range (query or body): both valid, start before end, at most max_s apart. */
static int time_range(const char *start, const char *end, int64_t max_s, int64_t *s0, int64_t *s1,
                      json_t *fields)
{
    *s0 = jg_video_cst_seconds(start);
    *s1 = jg_video_cst_seconds(end);
    if (*s0 < 0)
        jg_field_error(fields, "start", "时间格式须为 YYYY-MM-DDTHH:MM:SS（北京时间）");
    if (*s1 < 0)
        jg_field_error(fields, "end", "时间格式须为 YYYY-MM-DDTHH:MM:SS（北京时间）");
    if (*s0 >= 0 && *s1 >= 0 && *s1 <= *s0)
        jg_field_error(fields, "end", "结束时间须晚于开始时间");
    else if (*s0 >= 0 && *s1 >= 0 && *s1 - *s0 > max_s)
        jg_field_error(fields, "end", "时间段过长");
    return *s0 >= 0 && *s1 > *s0 && *s1 - *s0 <= max_s;
}

jg_rc jg_video_get_records(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    const char *start = jg_req_query(req, "start"), *end = jg_req_query(req, "end");
    json_t *fields = json_object();
    int64_t s0, s1;
    time_range(start, end, 31LL * 86400, &s0, &s1, fields);
    if (jg_resp_fields(req, resp, "查询时间段无效", fields) != JG_OK)
        return JG_OK;
    if (!ch.online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法查询录像");
    char args[256];
    snprintf(args, sizeof(args), "device=%s&channel=%s&start=%s&end=%s", ch.device, ch.channel, start, end);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "records", args, 15, &status, &answer);
    if (rc != JG_OK || status != 200 || answer == NULL)
        return jg_video_ctl_failed(req, resp, rc, status, answer);
    json_object_set_new(answer, "channel_id", json_integer(ch.id));
    return jg_resp_json(req, resp, 200, answer);
}

jg_rc jg_video_get_playback(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    const char *start = jg_req_query(req, "start"), *end = jg_req_query(req, "end");
    json_t *fields = json_object();
    int64_t s0, s1;
    time_range(start, end, 86400, &s0, &s1, fields);
    if (jg_resp_fields(req, resp, "回放时间段无效", fields) != JG_OK)
        return JG_OK;
    if (!ch.online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法回放");
    const jg_config *cfg = req->app->cfg;
    long long exp = (long long)time(NULL) + cfg->video_live_url_ttl_s;
    unsigned char key[32], mac[32];
    jg_video_key(req, "jianguan video live url v1", key);
    char msg[160], sig[65], base[512], home[512], url[1024], rec[1024], expires_at[40];
    int n = snprintf(msg, sizeof(msg), "playback/%s/%s/%lld/%lld/%lld", ch.device, ch.channel, (long long)s0,
                     (long long)s1, exp);
    if (jg_hmac_sm3(key, sizeof(key), msg, (size_t)n, mac) != JG_OK)
        return jg_resp_error(req, resp, JG_ERR, NULL);
    jg_crypto_hex_encode(mac, sizeof(mac), sig);
    /* The media node the signalling service places this playback on (src/video/nodes.c, as live.c
     * does for live), else the configured media URL (home: the signalling service's own listener,
     * where cloud recordings are served). */
    if (cfg->video_media_url[0] != '\0')
        snprintf(home, sizeof(home), "%s", cfg->video_media_url);
    else
        snprintf(home, sizeof(home), "http://%s", cfg->video_media_listen);
    size_t hl = strlen(home);
    while (hl > 0 && home[hl - 1] == '/')
        home[--hl] = '\0';
    char args[160];
    snprintf(args, sizeof(args), "device=%s&channel=%s&start=%lld&end=%lld", ch.device, ch.channel,
             (long long)s0, (long long)s1);
    long pstatus = 0;
    json_t *placed = NULL;
    const char *pu = NULL;
    if (jg_video_ctl_call(req, "place", args, 3, &pstatus, &placed) == JG_OK && pstatus == 200)
        pu = json_string_value(json_object_get(placed, "url"));
    if (pu != NULL && (strncmp(pu, "http://", 7) == 0 || strncmp(pu, "https://", 8) == 0) &&
        strlen(pu) < sizeof(base))
        snprintf(base, sizeof(base), "%s", pu);
    else
        snprintf(base, sizeof(base), "%s", home);
    json_decref(placed);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        base[--bl] = '\0';
    snprintf(url, sizeof(url), "%s/playback/%s/%s.flv?start=%lld&end=%lld&exp=%lld&sig=%s", base, ch.device,
             ch.channel, (long long)s0, (long long)s1, exp, sig);
    jg_time_iso_offset(cfg->video_live_url_ttl_s, expires_at, sizeof(expires_at));
    json_t *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "channel_id", (json_int_t)ch.id,
                            "device_gb_id", ch.device, "gb_id", ch.channel, "name", ch.name, "start", start,
                            "end", end, "protocol", "http-flv", "url", url, "expires_at", expires_at);
    jg_video_set_ws_url(out, url);
    /* Cloud recordings stay on the signalling service: with media nodes, `url` may name a node. */
    snprintf(rec, sizeof(rec), "%s/record/%s/%s.m3u8?start=%lld&end=%lld&exp=%lld&sig=%s", home, ch.device,
             ch.channel, (long long)s0, (long long)s1, exp, sig);
    json_object_set_new(out, "record_url", json_string(rec));
    return jg_resp_json(req, resp, 200, out);
}

void jg_video_set_ws_url(json_t *out, const char *url)
{
    char ws[1100];
    if (strncmp(url, "https://", 8) == 0)
        snprintf(ws, sizeof(ws), "wss://%s", url + 8);
    else if (strncmp(url, "http://", 7) == 0)
        snprintf(ws, sizeof(ws), "ws://%s", url + 7);
    else
        snprintf(ws, sizeof(ws), "%s", url);
    json_object_set_new(out, "ws_url", json_string(ws));
}

jg_rc jg_video_post_playback_control(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    }
    static const char *const allowed[] = {"start", "end", "action", "value", NULL};
    jg_field_unknown(body, allowed, fields);
    const char *start = json_string_value(json_object_get(body, "start"));
    const char *end = json_string_value(json_object_get(body, "end"));
    const char *action = json_string_value(json_object_get(body, "action"));
    int64_t s0, s1;
    time_range(start, end, 86400, &s0, &s1, fields);
    int seek = action != NULL && strcmp(action, "seek") == 0,
        speed = action != NULL && strcmp(action, "speed") == 0;
    if (action == NULL || (!seek && !speed && strcmp(action, "pause") != 0 && strcmp(action, "resume") != 0))
        jg_field_error(fields, "action", "须为 pause、resume、seek 或 speed");
    json_t *value = json_object_get(body, "value");
    double x = json_is_number(value) ? json_number_value(value) : -1;
    if (seek && !(x >= 0 && x <= 86400))
        jg_field_error(fields, "value", "跳转位置须为从回放开始起的秒数");
    if (speed && x != 0.25 && x != 0.5 && x != 1 && x != 2 && x != 4)
        jg_field_error(fields, "value", "倍速须为 0.25、0.5、1、2 或 4");
    if (jg_resp_fields(req, resp, "回放控制无效", fields) != JG_OK)
        return JG_OK;
    char args[256], vtext[32] = "";
    if (seek)
        snprintf(vtext, sizeof(vtext), "%lld", (long long)x);
    else if (speed)
        snprintf(vtext, sizeof(vtext), "%g", x);
    snprintf(args, sizeof(args), "device=%s&channel=%s&start=%lld&end=%lld&action=%s&value=%s", ch.device,
             ch.channel, (long long)s0, (long long)s1, action, vtext);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "playback", args, 5, &status, &answer);
    if (status == 404 && rc == JG_OK) {
        json_decref(answer);
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有正在进行的回放");
    }
    if (rc != JG_OK || status != 200 || answer == NULL)
        return jg_video_ctl_failed(req, resp, rc, status, answer);
    json_decref(answer);
    return jg_resp_json(
        req, resp, 200,
        json_pack("{s:I, s:s, s:s}", "channel_id", (json_int_t)ch.id, "action", action, "value", vtext));
}

jg_rc jg_video_get_device(jg_req *req, jg_resp *resp)
{
    const char *gb = jg_req_param(req, "gb_id");
    int ok = gb != NULL && strlen(gb) == 20;
    for (size_t i = 0; ok && i < 20; i++)
        ok = gb[i] >= '0' && gb[i] <= '9';
    if (!ok)
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这个视频设备");
    jg_value p[8] = {JG_VTEXT(gb)};
    int n = 1;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_buf_puts(&sql, "SELECT gb_id, name, transport, address, port, online, registered_at, expires_at, "
                      "last_keepalive_at, manufacturer, model, firmware, channel_count, catalog_state, "
                      "catalog_tries, catalog_got, catalog_sum, catalog_at, "
                      "(SELECT COUNT(*) FROM video_channel c WHERE c.device_gb_id = d.gb_id) AS channels, "
                      "status_json, status_at, pos_longitude, pos_latitude, pos_at, media_transport, charset "
                      "FROM video_device d WHERE gb_id = $1 AND status = 'active'");
    jg_video_device_scope(req, &sql, p, &n);
    jg_rows *rows;
    jg_rc rc = jg_video_read_one(req, resp, &sql, p, n, "没有这个视频设备", &rows);
    if (rc != JG_OK)
        return rc;
    /* The last DeviceStatus (src/video/devcmd.c) as an object, null before the first. */
    json_t *out = jg_json_row(rows, 0);
    const char *status = jg_rows_text(rows, 0, 19);
    json_object_del(out, "status_json");
    json_object_set_new(out, "device_status", status != NULL ? json_loads(status, 0, NULL) : json_null());
    if (json_object_get(out, "device_status") == NULL)
        json_object_set_new(out, "device_status", json_null());
    jg_rows_free(rows);
    /* The platform's subscriptions to it (src/video/subscribe.c), in the order of video_subscribe. */
    jg_value q[] = {JG_VTEXT(gb)};
    rc = jg_db_read(req->app->db,
                    "SELECT kind, state, granted_s, code, failures, retry_at, at FROM video_subscription "
                    "WHERE device_gb_id = $1 ORDER BY CASE kind WHEN 'catalog' THEN 1 WHEN 'alarm' THEN 2 "
                    "ELSE 3 END",
                    q, 1, &rows);
    if (rc != JG_OK) {
        json_decref(out);
        return jg_resp_error(req, resp, rc, NULL);
    }
    json_object_set_new(out, "subscriptions", jg_json_rows(rows));
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200, out);
}
