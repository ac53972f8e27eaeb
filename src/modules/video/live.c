/* The platform side of live view: GET /api/v1/video/channels/{id}/live answers a signed,
 * expiring HTTP-FLV URL on the media node of `jianguan video`.
 *
 * Scope: the channel is read in the caller's data scope through its project (channels.c); an
 * unbound channel only by province scope.
 *
 * The URL signature must match src/video/liveurl.c (this layer may not include src/video):
 *   key = HMAC-SM3(field_key, "jianguan video live url v1")
 *   sig = hex HMAC-SM3(key, "live/DEVICE/CHANNEL/EXP")
 * tests/api/video_live.test.mjs plays a URL made here through the media node.
 *
 * Several media nodes (src/video/nodes.c): the URL's base is the node the signalling service
 * places the stream on, asked with a signed control request GET /ctl/place?device=&channel= to
 * video_media_listen (as control.c does); when it cannot answer, video_media_url (or
 * http://video_media_listen) as before. tests/api/video_nodes.test.mjs. */
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "http/http.h"
#include "modules/video/video_api.h"
#include "platform/identity.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* A signed control request GET what?args to the signalling service (control.c): its JSON answer
 * when the status is 200, else NULL. A short timeout: a live URL must not wait long. */
static json_t *ctl_get(jg_req *req, const char *what, const char *args)
{
    long status = 0;
    json_t *j = NULL;
    if (jg_video_ctl_call(req, what, args, 3, &status, &j) != JG_OK || status != 200) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The media node's base URL for device/channel from the signalling service's placement, into base.
 * JG_OK, or JG_UNAVAILABLE when it did not answer one (the caller falls back to the configured one). */
static jg_rc placed_base(jg_req *req, const char *device, const char *channel, char *base, size_t baselen)
{
    char args[96];
    snprintf(args, sizeof(args), "device=%s&channel=%s", device, channel);
    json_t *j = ctl_get(req, "place", args);
    const char *u = json_string_value(json_object_get(j, "url"));
    jg_rc rc = JG_UNAVAILABLE;
    if (u != NULL && (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
        strlen(u) < baselen) {
        jg_strlcpy(base, u, baselen);
        rc = JG_OK;
    }
    json_decref(j);
    return rc;
}

/* GET /api/v1/video/nodes: the media nodes as the signalling service knows them. */
static jg_rc get_nodes(jg_req *req, jg_resp *resp)
{
    json_t *j = ctl_get(req, "node/list", "v=1");
    if (j == NULL)
        return jg_resp_error(req, resp, JG_UNAVAILABLE, "视频服务不可用");
    return jg_resp_json(req, resp, 200, j);
}

static void sign(jg_req *req, const char *device, const char *channel, long long exp, char out[65])
{
    unsigned char key[32], mac[32];
    char msg[128];
    int n = snprintf(msg, sizeof(msg), "live/%s/%s/%lld", device, channel, exp);
    jg_video_key(req, "jianguan video live url v1", key);
    if (jg_hmac_sm3(key, sizeof(key), msg, (size_t)n, mac) != JG_OK)
        memset(mac, 0, sizeof(mac));
    jg_crypto_hex_encode(mac, sizeof(mac), out);
}

static jg_rc get_live(jg_req *req, jg_resp *resp)
{
    jg_video_channel ch;
    if (jg_video_channel_of(req, resp, &ch) != JG_OK)
        return JG_OK;
    int64_t id = ch.id;
    const char *device = ch.device, *channel = ch.channel, *name = ch.name;
    int online = ch.online;
    if (!online)
        return jg_resp_error(req, resp, JG_CONFLICT, "设备不在线，无法点播");
    const jg_config *cfg = req->app->cfg;
    long long exp = (long long)time(NULL) + cfg->video_live_url_ttl_s;
    char sig[65], base[512], url[1024], expires_at[40];
    sign(req, device, channel, exp, sig);
    if (placed_base(req, device, channel, base, sizeof(base)) != JG_OK) { /* else: the node it is placed on */
        if (cfg->video_media_url[0] != '\0')
            snprintf(base, sizeof(base), "%s", cfg->video_media_url);
        else
            snprintf(base, sizeof(base), "http://%s", cfg->video_media_listen);
    }
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        base[--bl] = '\0';
    snprintf(url, sizeof(url), "%s/live/%s/%s.flv?exp=%lld&sig=%s", base, device, channel, exp, sig);
    char hls[1024], snap[1024]; /* the same signature opens HLS and snapshots (src/video/README.md) */
    snprintf(hls, sizeof(hls), "%s/live/%s/%s.m3u8?exp=%lld&sig=%s", base, device, channel, exp, sig);
    snprintf(snap, sizeof(snap), "%s/live/%s/%s.jpg?exp=%lld&sig=%s", base, device, channel, exp, sig);
    jg_time_iso_offset(cfg->video_live_url_ttl_s, expires_at, sizeof(expires_at));
    json_t *out = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "channel_id", (json_int_t)id,
                            "device_gb_id", device, "gb_id", channel, "name", name, "protocol", "http-flv",
                            "url", url, "expires_at", expires_at);
    json_object_set_new(out, "hls_url", json_string(hls));
    json_object_set_new(out, "snapshot_url", json_string(snap));
    jg_video_set_ws_url(out, url);
    return jg_resp_json(req, resp, 200, out);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/video/channels/{id}/live", get_live, JG_ROUTE_AUTH,
     "Live view of a video channel: a signed, expiring HTTP-FLV URL on the media node", "video",
     "video.view"},
    {"POST", "/api/v1/video/channels/{id}/ptz", jg_video_post_ptz, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "PTZ of a video channel: pan, tilt, zoom, focus, iris and presets (DeviceControl PTZCmd), audited",
     "video", "video.control"},
    {"GET", "/api/v1/video/channels/{id}/records", jg_video_get_records, JG_ROUTE_AUTH,
     "Recordings on the device of a video channel between start and end (RecordInfo)", "video", "video.view"},
    {"GET", "/api/v1/video/channels/{id}/playback", jg_video_get_playback, JG_ROUTE_AUTH,
     "Playback of a channel's recordings between start and end: a signed, expiring HTTP-FLV URL", "video",
     "video.view"},
    {"POST", "/api/v1/video/channels/{id}/playback/control", jg_video_post_playback_control,
     JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Pause, resume, seek or change the speed of a running playback (MANSRTSP INFO)", "video", "video.view"},
    {"POST", "/api/v1/video/channels/{id}/downloads", jg_video_post_download, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Download a channel's recordings between start and end from the device (s=Download), audited: 202 with "
     "its id",
     "video", "video.view"},
    {"GET", "/api/v1/video/downloads/{id}", jg_video_get_download, JG_ROUTE_AUTH,
     "State, bytes and progress of a download; once done, a signed URL of the MPEG-TS file", "video",
     "video.view"},
    {"DELETE", "/api/v1/video/downloads/{id}", jg_video_delete_download, JG_ROUTE_AUTH,
     "Cancel a download (who asked it, or video.control): the stream stopped and the file removed, audited",
     "video", "video.view"},
    {"GET", "/api/v1/video/channels/{id}/record-plan", jg_video_get_record_plan, JG_ROUTE_AUTH,
     "A channel's cloud recording plan and its indexed segments", "video", "video.control"},
    {"PUT", "/api/v1/video/channels/{id}/record-plan", jg_video_put_record_plan,
     JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Set a channel's cloud recording plan (enabled, segment_s, retention_days), audited", "video",
     "video.control"},
    {"DELETE", "/api/v1/video/channels/{id}/record-plan", jg_video_delete_record_plan, JG_ROUTE_AUTH,
     "Remove a channel's cloud recording plan (recording stops), audited", "video", "video.control"},
    {"GET", "/api/v1/video/record-plans", jg_video_list_record_plans, JG_ROUTE_AUTH,
     "Cloud recording plans of the channels in the caller's data scope, paged", "video", "video.control"},
    {"GET", "/api/v1/video/nodes", get_nodes, JG_ROUTE_AUTH,
     "Media nodes of the video service: URL, liveness, streams placed, reported load (bytes/s, CPU)", "video",
     "video.control"},
    {"GET", "/api/v1/video/devices/{gb_id}", jg_video_get_device, JG_ROUTE_AUTH,
     "A video device's registration, keepalive and catalog state", "video", "video.view"},
    {"GET", "/api/v1/video/devices", jg_video_list_devices, JG_ROUTE_AUTH,
     "Video devices with a channel in the caller's data scope (province: all), paged", "video", "video.view"},
    {"GET", "/api/v1/video/channels", jg_video_list_channels, JG_ROUTE_AUTH,
     "Video channels in the caller's data scope (through their project; unbound: province only), paged",
     "video", "video.view"},
    {"GET", "/api/v1/video/tree", jg_video_get_tree, JG_ROUTE_AUTH,
     "The video wall's tree: cities with channels in scope, or (region=) the projects of a region", "video",
     "video.view"},
    {"PUT", "/api/v1/video/channels/{id}/project", jg_video_put_project, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "Bind a video channel to a project (construction site) with the site's coordinates, audited", "video",
     "video.control"},
    {"DELETE", "/api/v1/video/channels/{id}/project", jg_video_delete_project, JG_ROUTE_AUTH,
     "Unbind a video channel from its project, audited", "video", "video.control"},
    {NULL},
};

const jg_module jg_module_video = {"video", routes, NULL, NULL};
