/* Per-device settings of GB/T 28181 devices (issue 8):
 *
 *   PUT /api/v1/video/devices/{gb_id}/settings
 *       {"media_transport": "udp"|"tcp"|"tcp-active"|null, "charset": "GB18030"|"UTF-8"|null,
 *        "keepalive_interval_s": 5..3600|null, "keepalive_count": 1..10|null,
 *        "password": "8..64 bytes"|null}                        (every field optional)
 *
 * A field left out is left as it is; null restores the node's default (video_media_transport, the
 * charset guessed from the XML, video_keepalive_*, video_sip_password). The row is updated in one
 * transaction with settings_at bumped: `jianguan video` polls rows with a newer settings_at every
 * video_keepalive_flush_s (src/video/service.c poll_settings), so a change reaches the service
 * within that time. The password is sealed with SM4 under the field key (context
 * "video_device.password", as jg_video_device_set_password in src/video/service.c seals it: this
 * layer may not include src/video); it is never logged, audited or returned, only whether one is set.
 *
 * video.control; the device must be in the caller's scope (jg_video_device_scope: a device with a
 * channel in scope), else 404. Audited as video.device.settings with before/after. */
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PASSWORD_CONTEXT "video_device.password"
#define PASSWORD_MIN 8
#define PASSWORD_MAX 64

static const char *const transports[] = {"udp", "tcp", "tcp-active", NULL};
static const char *const charsets[] = {"GB18030", "UTF-8", NULL};

static int one_of(const char *s, const char *const *list)
{
    for (size_t i = 0; s != NULL && list[i] != NULL; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* The settings of row 0 of r (gb_id, media_transport, charset, keepalive_interval_s,
 * keepalive_count, password_set) as the API shows them. */
static json_t *settings_json(jg_rows *r)
{
    const char *mt = jg_rows_text(r, 0, 1), *cs = jg_rows_text(r, 0, 2);
    json_t *out = json_object();
    json_object_set_new(out, "gb_id", json_string(jg_rows_text(r, 0, 0)));
    json_object_set_new(out, "media_transport", mt != NULL && mt[0] != '\0' ? json_string(mt) : json_null());
    json_object_set_new(out, "charset", cs != NULL && cs[0] != '\0' ? json_string(cs) : json_null());
    json_object_set_new(out, "keepalive_interval_s",
                        jg_rows_text(r, 0, 3) != NULL ? json_integer(jg_rows_int(r, 0, 3)) : json_null());
    json_object_set_new(out, "keepalive_count",
                        jg_rows_text(r, 0, 4) != NULL ? json_integer(jg_rows_int(r, 0, 4)) : json_null());
    json_object_set_new(out, "password_set", json_boolean(jg_rows_int(r, 0, 5) != 0));
    return out;
}

#define SETTINGS_SQL                                                                                         \
    "SELECT gb_id, media_transport, charset, keepalive_interval_s, keepalive_count, "                        \
    "CASE WHEN password_enc IS NULL THEN 0 ELSE 1 END AS password_set FROM video_device WHERE gb_id = $1"

struct change {
    jg_req *req;
    const char *gb;
    json_t *body;      /* the validated request */
    const char *token; /* the sealed password, or NULL */
    json_t *after;     /* out: the settings after the change */
};

static jg_rc change_tx(jg_conn *c, void *ud)
{
    struct change *ch = ud;
    jg_value one[] = {JG_VTEXT(ch->gb)};
    jg_rows *r = NULL;
    jg_rc rc = jg_db_query(c, SETTINGS_SQL, one, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_NOTFOUND;
    }
    json_t *before = settings_json(r);
    jg_rows_free(r);

    char at[32];
    jg_time_iso_now(at, sizeof(at));
    jg_value p[8];
    int n = 0;
    jg_buf sql;
    jg_buf_init(&sql, 512);
    p[n++] = JG_VTEXT(ch->gb);
    p[n++] = JG_VTEXT(at);
    jg_buf_puts(&sql, "UPDATE video_device SET settings_at = $2, updated_at = $2");
    json_t *v;
    if ((v = json_object_get(ch->body, "media_transport")) != NULL) {
        p[n++] = json_is_null(v) ? JG_VNULL : JG_VTEXT(json_string_value(v));
        jg_buf_printf(&sql, ", media_transport = $%d", n);
    }
    if ((v = json_object_get(ch->body, "charset")) != NULL) {
        p[n++] = JG_VTEXT(json_is_null(v) ? "" : json_string_value(v)); /* '': guessed from the XML */
        jg_buf_printf(&sql, ", charset = $%d", n);
    }
    if ((v = json_object_get(ch->body, "keepalive_interval_s")) != NULL) {
        p[n++] = json_is_null(v) ? JG_VNULL : JG_VINT(json_integer_value(v));
        jg_buf_printf(&sql, ", keepalive_interval_s = $%d", n);
    }
    if ((v = json_object_get(ch->body, "keepalive_count")) != NULL) {
        p[n++] = json_is_null(v) ? JG_VNULL : JG_VINT(json_integer_value(v));
        jg_buf_printf(&sql, ", keepalive_count = $%d", n);
    }
    if (json_object_get(ch->body, "password") != NULL) {
        p[n++] = ch->token != NULL ? JG_VTEXT(ch->token) : JG_VNULL;
        jg_buf_printf(&sql, ", password_enc = $%d", n);
    }
    jg_buf_puts(&sql, " WHERE gb_id = $1");
    rc = jg_db_exec(c, sql.data, p, n, NULL);
    jg_buf_free(&sql);
    if (rc == JG_OK)
        rc = jg_db_query(c, SETTINGS_SQL, one, 1, &r);
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    json_t *after = settings_json(r);
    jg_rows_free(r);
    json_t *detail = json_object();
    json_object_set(detail, "before", before);
    json_object_set(detail, "after", after);
    json_object_set_new(detail, "password_changed",
                        json_boolean(json_object_get(ch->body, "password") != NULL));
    json_decref(before);
    rc = jg_audit_req(c, ch->req, "video.device.settings", "video_device", ch->gb, detail);
    if (rc != JG_OK) {
        json_decref(after);
        return rc;
    }
    json_decref(ch->after); /* a retried transaction */
    ch->after = after;
    return JG_OK;
}

/* Field errors of the body into fields. */
static void validate(json_t *body, json_t *fields)
{
    static const char *const allowed[] = {"media_transport", "charset",  "keepalive_interval_s",
                                          "keepalive_count", "password", NULL};
    jg_field_unknown(body, allowed, fields);
    json_t *v = json_object_get(body, "media_transport");
    if (v != NULL && !json_is_null(v) && !one_of(json_string_value(v), transports))
        jg_field_error(
            fields, "media_transport",
            "传输方式须为 udp（UDP）、tcp（TCP被动）、tcp-active（TCP主动）或 null（跟随平台默认）");
    v = json_object_get(body, "charset");
    if (v != NULL && !json_is_null(v) && !one_of(json_string_value(v), charsets))
        jg_field_error(fields, "charset", "字符集须为 GB18030（兼容 GB2312）、UTF-8 或 null（自动识别）");
    v = json_object_get(body, "keepalive_interval_s");
    if (v != NULL && !json_is_null(v) &&
        (!json_is_integer(v) || json_integer_value(v) < 5 || json_integer_value(v) > 3600))
        jg_field_error(fields, "keepalive_interval_s",
                       "心跳周期须为 5 到 3600 秒的整数，或 null（跟随平台默认）");
    v = json_object_get(body, "keepalive_count");
    if (v != NULL && !json_is_null(v) &&
        (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 10))
        jg_field_error(fields, "keepalive_count", "心跳超时次数须为 1 到 10 的整数，或 null（跟随平台默认）");
    v = json_object_get(body, "password");
    if (v != NULL && !json_is_null(v)) {
        const char *pw = json_string_value(v);
        size_t len = pw != NULL ? strlen(pw) : 0;
        int printable = pw != NULL;
        for (size_t i = 0; printable && i < len; i++)
            printable = (unsigned char)pw[i] >= 0x20 && pw[i] != 0x7f;
        if (pw == NULL || len < PASSWORD_MIN || len > PASSWORD_MAX)
            jg_field_error(fields, "password", "设备密码须为 8 到 64 个字符，或 null（恢复平台默认密码）");
        else if (!printable)
            jg_field_error(fields, "password", "设备密码不能含控制字符");
    }
}

static jg_rc put_settings(jg_req *req, jg_resp *resp)
{
    const char *gb;
    if (jg_video_device_of(req, resp, &gb, NULL) != JG_OK)
        return JG_OK;
    json_t *body = req->json;
    if (!json_is_object(body))
        return jg_resp_error(req, resp, JG_INVALID, "请求体须为 JSON 对象");
    if (json_object_size(body) == 0) /* nothing to change: no write, no audit row */
        return jg_resp_error(req, resp, JG_INVALID, "请至少填写一项设置");
    json_t *fields = json_object();
    validate(body, fields);
    if (jg_resp_fields(req, resp, "设备设置无效", fields) != JG_OK)
        return JG_OK;
    char token[JG_SM4_TOKEN_SIZE(PASSWORD_MAX)];
    const char *pw = json_string_value(json_object_get(body, "password"));
    if (pw != NULL) {
        jg_rc rc =
            jg_sm4_seal(jg_identity_field_key(req), PASSWORD_CONTEXT, pw, strlen(pw), token, sizeof(token));
        if (rc != JG_OK)
            return jg_resp_error(req, resp, rc, NULL);
    }
    struct change ch = {req, gb, body, pw != NULL ? token : NULL, NULL};
    jg_rc rc = jg_db_tx(req->app->db, change_tx, &ch);
    OPENSSL_cleanse(token, sizeof(token));
    if (rc != JG_OK) {
        json_decref(ch.after);
        return jg_resp_error(req, resp, rc, rc == JG_NOTFOUND ? "没有这个视频设备" : NULL);
    }
    return jg_resp_json(req, resp, 200, ch.after);
}

static const jg_route routes[] = {
    {"PUT", "/api/v1/video/devices/{gb_id}/settings", put_settings, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Per-device settings of a video device: media transport (UDP / TCP passive / TCP active), charset, "
     "keepalive overrides, digest password (never returned); audited",
     "video", "video.control"},
    {NULL},
};

const jg_module jg_module_video_settings = {"video_settings", routes, NULL, NULL};
