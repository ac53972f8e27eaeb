/* Downloads of a device's recordings (s=Download) through the platform API:
 *
 *   POST /api/v1/video/channels/{id}/downloads {start, end, speed}   202 with the download's id
 *   GET  /api/v1/video/downloads/{id}                                state, bytes, progress; once
 *                                                                     done, a signed URL of the file
 *   DELETE /api/v1/video/downloads/{id}                              cancel: the stream stopped, the
 *                                                                     file removed (who asked it, or
 *                                                                     video.control)
 *
 * The serve process holds no SIP state: it checks the caller (video.view, the channel in scope
 * through jg_video_channel_of), validates the range (at most video_download_max_s) and speed, and
 * asks the media node with a signed control request (GET /ctl/download, see control.c and
 * src/video/download.h), which INVITEs the device and writes the file. A row of video_download
 * (0023) remembers the download for the status route, whose scope is the channel's; the state
 * itself is the node's (/ctl/download_status). The request is audited (video.download).
 *
 * The signatures must match src/video (this layer may not include it):
 *   ctl_key = HMAC-SM3(field_key, "jianguan video control v1"), sig over the target up to "&sig="
 *   url_key = HMAC-SM3(field_key, "jianguan video live url v1"), sig = HMAC-SM3(url_key,
 *   "download/ID/EXP") for GET /download/ID.ts?exp=&sig= on the media node.
 * The control request, keys and CST time parsing are control.c's. */
#include "base/log.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CST_OFFSET_S (8 * 3600)

/* The video service's error message, or def. */
static void node_message(json_t *answer, const char *def, char *out, size_t outlen)
{
    const char *m = json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
    jg_strlcpy(out, m != NULL && m[0] != '\0' ? m : def, outlen);
}

static void cst_text(int64_t secs, char out[24])
{
    time_t t = (time_t)(secs + CST_OFFSET_S);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
}

struct create_args {
    jg_req *req;
    const jg_video_channel *ch;
    const char *id;
    int64_t s0, s1;
    int speed;
};

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct create_args *a = ud;
    char now[40];
    jg_time_iso_now(now, sizeof(now));
    const jg_principal *who = a->req->principal;
    int64_t user = who != NULL ? who->user_id : 0;
    jg_value p[] = {
        JG_VTEXT(a->id), JG_VINT(a->ch->id), JG_VTEXT(a->ch->device), JG_VTEXT(a->ch->channel),
        JG_VINT(a->s0),  JG_VINT(a->s1),     JG_VINT(a->speed),       user > 0 ? JG_VINT(user) : JG_VNULL,
        JG_VTEXT(now)};
    jg_rc rc = jg_db_exec(
        c,
        "INSERT INTO video_download (download_id, channel_id, device_gb_id, channel_gb_id, "
        "start_at, end_at, speed, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        p, 9, NULL);
    if (rc != JG_OK)
        return rc;
    char rid[32];
    snprintf(rid, sizeof(rid), "%lld", (long long)a->ch->id);
    return jg_audit_req(c, a->req, "video.download", "video_channel", rid,
                        json_pack("{s:s, s:s, s:s, s:I, s:I, s:i}", "download_id", a->id, "device_gb_id",
                                  a->ch->device, "gb_id", a->ch->channel, "start", (json_int_t)a->s0, "end",
                                  (json_int_t)a->s1, "speed", a->speed));
}

jg_rc jg_video_post_download(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    json_t *body = req->json, *fields = json_object();
    if (!json_is_object(body)) {
        json_decref(fields);
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    }
    static const char *const allowed[] = {"start", "end", "speed", NULL};
    jg_field_unknown(body, allowed, fields);
    const char *start = json_string_value(json_object_get(body, "start"));
    const char *end = json_string_value(json_object_get(body, "end"));
    const jg_config *cfg = req->app->cfg;
    int64_t s0 = jg_video_cst_seconds(start), s1 = jg_video_cst_seconds(end);
    if (s0 < 0)
        jg_field_error(fields, "start", "时间格式须为 YYYY-MM-DDTHH:MM:SS（北京时间）");
    if (s1 < 0)
        jg_field_error(fields, "end", "时间格式须为 YYYY-MM-DDTHH:MM:SS（北京时间）");
    if (s0 >= 0 && s1 >= 0 && s1 <= s0)
        jg_field_error(fields, "end", "结束时间须晚于开始时间");
    if (s0 >= 0 && s1 > s0 && s1 - s0 > cfg->video_download_max_s) {
        char msg[96];
        snprintf(msg, sizeof(msg), "下载时间段过长，最长 %ld 秒", cfg->video_download_max_s);
        jg_field_error(fields, "end", msg);
    }
    json_t *sp = json_object_get(body, "speed");
    int speed = 4;
    if (sp != NULL && !json_is_null(sp)) {
        json_int_t x = json_is_integer(sp) ? json_integer_value(sp) : 0;
        if (x != 1 && x != 2 && x != 4 && x != 8 && x != 16)
            jg_field_error(fields, "speed", "下载倍速须为 1、2、4、8 或 16");
        else
            speed = (int)x;
    }
    if (jg_resp_fields(req, resp, "下载参数无效", fields) != JG_OK)
        return JG_OK;
    if (!ch.online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法下载");
    unsigned char r[16];
    char id[33], args[256];
    if (jg_crypto_random(r, sizeof(r)) != JG_OK)
        return jg_resp_error(req, resp, JG_ERR, NULL);
    jg_crypto_hex_encode(r, sizeof(r), id);
    snprintf(args, sizeof(args), "device=%s&channel=%s&id=%s&start=%lld&end=%lld&speed=%d", ch.device,
             ch.channel, id, (long long)s0, (long long)s1, speed);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "download", args, 5, &status, &answer);
    if (rc != JG_OK || status == 0) {
        json_decref(answer);
        return jg_resp_error(req, resp, JG_UNAVAILABLE, "视频服务不可用");
    }
    if (status != 202) {
        char text[256];
        node_message(answer, "视频服务无法开始下载", text, sizeof(text));
        json_decref(answer);
        if (status == 429) {
            jg_resp_status_error(req, resp, 429, "rate_limited", text, NULL);
            return JG_OK;
        }
        if (status == 400)
            return jg_resp_error(req, resp, JG_INVALID, text);
        if (status == 404)
            return jg_resp_error(req, resp, JG_CONFLICT, text);
        return jg_resp_error(req, resp, JG_UNAVAILABLE, text);
    }
    json_decref(answer);
    struct create_args a = {req, &ch, id, s0, s1, speed};
    rc = jg_db_tx(req->app->db, create_tx, &a);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    jg_info("video: download %s of %s/%s asked", id, ch.device, ch.channel);
    char t0[24], t1[24];
    cst_text(s0, t0);
    cst_text(s1, t1);
    return jg_resp_json(req, resp, 202,
                        json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:I}", "id", id,
                                  "channel_id", (json_int_t)ch.id, "device_gb_id", ch.device, "gb_id",
                                  ch.channel, "start", t0, "end", t1, "speed", speed, "state", "running",
                                  "progress", 0, "bytes", (json_int_t)0));
}

/* The download {id} in the caller's scope (through its channel): one row of
 * download_id, channel_id, device_gb_id, channel_gb_id, start_at, end_at, speed, created_at,
 * cancelled_at, user_id; else the 404 is answered and JG_NOTFOUND returned. */
static jg_rc download_row(jg_req *req, jg_resp *resp, const char **id_out, jg_rows **rows)
{
    const char *id = jg_req_param(req, "id");
    int ok = id != NULL && strlen(id) == 32;
    for (size_t i = 0; ok && i < 32; i++)
        ok = (id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f');
    if (!ok) {
        jg_resp_error(req, resp, JG_NOTFOUND, "没有这个下载");
        return JG_NOTFOUND;
    }
    *id_out = id;
    jg_value p[8] = {JG_VTEXT(id)};
    int n = 1;
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_buf_puts(&sql,
                "SELECT dl.download_id, dl.channel_id, dl.device_gb_id, dl.channel_gb_id, dl.start_at, "
                "dl.end_at, dl.speed, dl.created_at, dl.cancelled_at, dl.user_id FROM video_download dl "
                "JOIN video_channel c ON c.id = dl.channel_id "
                "LEFT JOIN project pr ON pr.id = c.project_id WHERE dl.download_id = $1");
    jg_video_scope(req, &sql, p, &n);
    jg_rc rc = jg_video_read_one(req, resp, &sql, p, n, "没有这个下载", rows);
    return rc != JG_OK ? JG_NOTFOUND : JG_OK;
}

jg_rc jg_video_get_download(jg_req *req, jg_resp *resp)
{
    const char *id = NULL;
    jg_rows *rows;
    if (download_row(req, resp, &id, &rows) != JG_OK)
        return JG_OK;
    char device[32], channel[32], t0[24], t1[24], args[256];
    jg_strlcpy(device, jg_rows_text(rows, 0, 2), sizeof(device));
    jg_strlcpy(channel, jg_rows_text(rows, 0, 3), sizeof(channel));
    cst_text(jg_rows_int(rows, 0, 4), t0);
    cst_text(jg_rows_int(rows, 0, 5), t1);
    json_t *out = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:s}", "id", id, "channel_id",
                            (json_int_t)jg_rows_int(rows, 0, 1), "device_gb_id", device, "gb_id", channel,
                            "start", t0, "end", t1, "speed", (json_int_t)jg_rows_int(rows, 0, 6),
                            "created_at", jg_rows_text(rows, 0, 7));
    const char *cancelled_at = jg_rows_text(rows, 0, 8);
    if (cancelled_at != NULL) { /* the node removed it: nothing to ask */
        json_object_set_new(out, "state", json_string("cancelled"));
        json_object_set_new(out, "cancelled_at", json_string(cancelled_at));
        json_object_set_new(out, "progress", json_null());
        json_object_set_new(out, "bytes", json_null());
        jg_rows_free(rows);
        return jg_resp_json(req, resp, 200, out);
    }
    jg_rows_free(rows);
    snprintf(args, sizeof(args), "device=%s&channel=%s&id=%s", device, channel, id);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "download_status", args, 5, &status, &answer);
    if (rc != JG_OK || status == 0 || (status != 200 && status != 404)) {
        json_decref(answer);
        json_decref(out);
        return jg_resp_error(req, resp, JG_UNAVAILABLE, "视频服务不可用");
    }
    if (status == 404) {
        /* the node no longer has it: the file outlived video_download_keep_h, or the job was lost */
        json_decref(answer);
        json_object_set_new(out, "state", json_string("expired"));
        json_object_set_new(out, "progress", json_null());
        json_object_set_new(out, "bytes", json_null());
        return jg_resp_json(req, resp, 200, out);
    }
    const char *state = json_string_value(json_object_get(answer, "state"));
    json_object_set_new(out, "state", json_string(state != NULL ? state : "failed"));
    json_object_set(out, "progress", json_object_get(answer, "progress"));
    json_object_set(out, "bytes", json_object_get(answer, "bytes"));
    if (json_object_get(answer, "frames") != NULL)
        json_object_set(out, "frames", json_object_get(answer, "frames"));
    if (json_object_get(answer, "reason") != NULL)
        json_object_set(out, "reason", json_object_get(answer, "reason"));
    if (state != NULL && strcmp(state, "done") == 0) {
        const jg_config *cfg = req->app->cfg;
        long long exp = (long long)time(NULL) + cfg->video_live_url_ttl_s;
        unsigned char key[32], mac[32];
        jg_video_key(req, "jianguan video live url v1", key);
        char msg[96], sig[65], base[512], url[1024], expires_at[40];
        int mn = snprintf(msg, sizeof(msg), "download/%s/%lld", id, exp);
        if (jg_hmac_sm3(key, sizeof(key), msg, (size_t)mn, mac) != JG_OK) {
            json_decref(answer);
            json_decref(out);
            return jg_resp_error(req, resp, JG_ERR, NULL);
        }
        jg_crypto_hex_encode(mac, sizeof(mac), sig);
        if (cfg->video_media_url[0] != '\0')
            snprintf(base, sizeof(base), "%s", cfg->video_media_url);
        else
            snprintf(base, sizeof(base), "http://%s", cfg->video_media_listen);
        size_t bl = strlen(base);
        while (bl > 0 && base[bl - 1] == '/')
            base[--bl] = '\0';
        snprintf(url, sizeof(url), "%s/download/%s.ts?exp=%lld&sig=%s", base, id, exp, sig);
        jg_time_iso_offset(cfg->video_live_url_ttl_s, expires_at, sizeof(expires_at));
        json_object_set_new(out, "url", json_string(url));
        json_object_set_new(out, "expires_at", json_string(expires_at));
    }
    json_decref(answer);
    return jg_resp_json(req, resp, 200, out);
}

struct cancel_args {
    jg_req *req;
    const char *id;
    int64_t channel_id;
    char at[40];
};

static jg_rc cancel_tx(jg_conn *c, void *ud)
{
    struct cancel_args *a = ud;
    const jg_principal *who = a->req->principal;
    int64_t user = who != NULL ? who->user_id : 0;
    jg_value p[] = {JG_VTEXT(a->at), user > 0 ? JG_VINT(user) : JG_VNULL, JG_VTEXT(a->id)};
    jg_rc rc = jg_db_exec(c,
                          "UPDATE video_download SET cancelled_at = $1, cancelled_by = $2 "
                          "WHERE download_id = $3 AND cancelled_at IS NULL",
                          p, 3, NULL);
    if (rc != JG_OK)
        return rc;
    char rid[32];
    snprintf(rid, sizeof(rid), "%lld", (long long)a->channel_id);
    return jg_audit_req(c, a->req, "video.download.cancel", "video_channel", rid,
                        json_pack("{s:s}", "download_id", a->id));
}

jg_rc jg_video_delete_download(jg_req *req, jg_resp *resp)
{
    const char *id = NULL;
    jg_rows *rows;
    if (download_row(req, resp, &id, &rows) != JG_OK)
        return JG_OK;
    const jg_principal *who = req->principal;
    int mine = who != NULL && jg_rows_text(rows, 0, 9) != NULL && jg_rows_int(rows, 0, 9) == who->user_id;
    if (!mine && !jg_principal_can(who, "video.control")) {
        jg_rows_free(rows);
        return jg_resp_error(req, resp, JG_DENIED, "只能取消自己发起的下载");
    }
    struct cancel_args a = {req, id, jg_rows_int(rows, 0, 1), ""};
    const char *cancelled_at = jg_rows_text(rows, 0, 8);
    if (cancelled_at != NULL) { /* cancelled before: the same answer */
        json_t *out =
            json_pack("{s:s, s:s, s:s}", "id", id, "state", "cancelled", "cancelled_at", cancelled_at);
        jg_rows_free(rows);
        return jg_resp_json(req, resp, 200, out);
    }
    char args[256];
    snprintf(args, sizeof(args), "device=%s&channel=%s&id=%s", jg_rows_text(rows, 0, 2),
             jg_rows_text(rows, 0, 3), id);
    jg_rows_free(rows);
    long status = 0;
    json_t *answer = NULL;
    jg_rc rc = jg_video_ctl_call(req, "download_cancel", args, 5, &status, &answer);
    json_decref(answer);
    /* 404: the node has neither job nor file (expired, or lost in a restart): nothing left to stop */
    if (rc != JG_OK || (status != 200 && status != 404))
        return jg_resp_error(req, resp, JG_UNAVAILABLE, "视频服务不可用");
    jg_time_iso_now(a.at, sizeof(a.at));
    rc = jg_db_tx(req->app->db, cancel_tx, &a);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    jg_info("video: download %s cancelled", id);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:s, s:s, s:s}", "id", id, "state", "cancelled", "cancelled_at", a.at));
}
