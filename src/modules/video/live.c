/* The platform side of live view: GET /api/v1/video/channels/{id}/live answers a signed,
 * expiring HTTP-FLV URL on the media node of `jianguan video`.
 *
 * Scope: channels are not bound to projects yet (a later step of issue 8), so every channel is
 * readable by a role holding video.view; once channels carry a project, this query gains the
 * project's data scope (jg_scope_sql), as project.c does.
 *
 * The URL signature must match src/video/liveurl.c (this layer may not include src/video):
 *   key = HMAC-SM3(field_key, "jianguan video live url v1")
 *   sig = hex HMAC-SM3(key, "live/DEVICE/CHANNEL/EXP")
 * tests/api/video_live.test.mjs plays a URL made here through the media node. */
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "platform/identity.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void sign(const unsigned char *field_key, const char *device, const char *channel, long long exp,
                 char out[65])
{
    static const char label[] = "jianguan video live url v1";
    unsigned char key[32], mac[32];
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "live/%s/%s/%lld", device, channel, exp);
    if (jg_hmac_sm3(field_key, 32, label, sizeof(label) - 1, key) != JG_OK ||
        jg_hmac_sm3(key, sizeof(key), msg, (size_t)n, mac) != JG_OK)
        memset(mac, 0, sizeof(mac));
    jg_crypto_hex_encode(mac, sizeof(mac), out);
}

static jg_rc get_live(jg_req *req, jg_resp *resp)
{
    int64_t id;
    if (jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这个视频通道");
    jg_value p[1] = {JG_VINT(id)};
    jg_rows *rows;
    jg_rc rc = jg_db_read(req->app->db,
                          "SELECT c.device_gb_id, c.gb_id, c.name, d.online FROM video_channel c "
                          "LEFT JOIN video_device d ON d.gb_id = c.device_gb_id WHERE c.id = $1",
                          p, 1, &rows);
    if (rc != JG_OK)
        return jg_resp_error(req, resp, rc, NULL);
    if (jg_rows_count(rows) == 0) {
        jg_rows_free(rows);
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这个视频通道");
    }
    char device[32], channel[32], name[256];
    jg_strlcpy(device, jg_rows_text(rows, 0, 0), sizeof(device));
    jg_strlcpy(channel, jg_rows_text(rows, 0, 1), sizeof(channel));
    jg_strlcpy(name, jg_rows_text(rows, 0, 2), sizeof(name));
    int online = jg_rows_int(rows, 0, 3) != 0;
    jg_rows_free(rows);
    if (!online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法点播");
    const jg_config *cfg = req->app->cfg;
    long long exp = (long long)time(NULL) + cfg->video_live_url_ttl_s;
    char sig[65], base[512], url[1024], expires_at[40];
    sign(jg_identity_field_key(req), device, channel, exp, sig);
    if (cfg->video_media_url[0] != '\0')
        snprintf(base, sizeof(base), "%s", cfg->video_media_url);
    else
        snprintf(base, sizeof(base), "http://%s", cfg->video_media_listen);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        base[--bl] = '\0';
    snprintf(url, sizeof(url), "%s/live/%s/%s.flv?exp=%lld&sig=%s", base, device, channel, exp, sig);
    jg_time_iso_offset(cfg->video_live_url_ttl_s, expires_at, sizeof(expires_at));
    json_t *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "channel_id", (json_int_t)id,
                            "device_gb_id", device, "gb_id", channel, "name", name, "protocol", "http-flv",
                            "url", url, "expires_at", expires_at);
    return jg_resp_json(req, resp, 200, out);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/video/channels/{id}/live", get_live, JG_ROUTE_AUTH,
     "Live view of a video channel: a signed, expiring HTTP-FLV URL on the media node", "video",
     "video.view"},
    {NULL},
};

const jg_module jg_module_video = {"video", routes, NULL, NULL};
