/* jianguan_video.h — the video API of the 建设工程监管平台 for C integrators (issue 8).
 *
 * The platform's video API is plain HTTPS + JSON; this header documents the calls and gives the
 * two pieces every client needs and gets wrong most easily: the paths, and the canonical request an
 * app client signs. Use any HTTP library (sdk/c/example.c uses libcurl, and OpenSSL 3 for SM3).
 *
 * AUTHENTICATION (docs/api/README.md, "App clients")
 *   An app client (created by the 安全管理员: POST /api/v1/app-clients) has an app key, a secret of
 *   64 hex digits and a role with a data scope (e.g. inspector of 350102: the channels of 鼓楼's
 *   sites). Every request carries
 *     X-App-Key: <key>
 *     X-Timestamp: <Unix seconds>            (within ±signature_window_s, 300 s)
 *     X-Nonce: <16-64 of [A-Za-z0-9_-]>      (fresh for every request)
 *     X-Signature: hex(HMAC-SM3(secret as its 64 ASCII characters, canonical request))
 *   canonical request = METHOD \n PATH \n QUERY \n TIMESTAMP \n NONCE \n hex(SM3(body))
 *   with PATH and QUERY percent-encoded per RFC 3986 (upper-case hex; '/' kept in PATH) and the
 *   query's key=value pairs sorted by key (jgv_canonical below does it for ASCII parameters).
 *   401 signature_invalid | timestamp_out_of_window | replayed; 403 forbidden (role lacks the
 *   permission).
 *
 * ERRORS: {"error":{"code","message","fields"?}}, message in Chinese. 404 for a channel or device
 * outside the caller's data scope (as if absent); 409 device offline; 503 the video service is
 * down; 504 the device did not answer; 502 device_refused.
 *
 * TIMES are Beijing time "YYYY-MM-DDTHH:MM:SS" (the devices' clocks). IDs: channel ids are the
 * platform's integers (field "id" of the channel list); devices are named by 20-digit GB IDs.
 *
 * CALLS (permission video.view unless noted; lists answer {"items","page","size","has_more"})
 *   GET  /api/v1/video/devices?online=&page=&size=           devices with a channel in scope
 *   GET  /api/v1/video/devices/{gb_id}                       registration and catalog state
 *   GET  /api/v1/video/channels?project_id=&unbound=1&device_gb_id=&org_code=&online=&keyword=
 *        &page=&size=                                        channels in scope: id, device_gb_id,
 *        gb_id, name, status, ptz_type, online, project_id, project_name, org_code,
 *        site_longitude, site_latitude, bound_at
 *   GET  /api/v1/video/tree[?region=3501]                    cities, or a city's projects
 *   GET  /api/v1/video/channels/{id}/live                    {"url","expires_at",…}: HTTP-FLV,
 *        signed, valid video_live_url_ttl_s to start (play with ffmpeg, VLC, mpegts.js)
 *   POST /api/v1/video/channels/{id}/ptz  (video.control)    {"command","speed"?,"zoom_speed"?,
 *        "preset"?} → {"ptz_cmd":"A50F01…"} once the device accepted it
 *   GET  /api/v1/video/channels/{id}/records?start=&end=     RecordInfo: {"items":[{"start_time",
 *        "end_time","type",…}],"complete"}
 *   GET  /api/v1/video/channels/{id}/playback?start=&end=    {"url",…}: HTTP-FLV of the recordings
 *   POST /api/v1/video/channels/{id}/playback/control        {"start","end","action":"pause"|
 *        "resume"|"seek"|"speed","value"?}
 *   PUT  /api/v1/video/channels/{id}/project  (video.control) {"project_id","longitude"?,
 *        "latitude"?}; DELETE the same path unbinds
 *   Snapshots are not offered yet.
 */
#ifndef JIANGUAN_VIDEO_H
#define JIANGUAN_VIDEO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JGV_PATH_DEVICES "/api/v1/video/devices"
#define JGV_PATH_DEVICE_FMT "/api/v1/video/devices/%s"
#define JGV_PATH_CHANNELS "/api/v1/video/channels"
#define JGV_PATH_TREE "/api/v1/video/tree"
#define JGV_PATH_LIVE_FMT "/api/v1/video/channels/%lld/live"
#define JGV_PATH_PTZ_FMT "/api/v1/video/channels/%lld/ptz"
#define JGV_PATH_RECORDS_FMT "/api/v1/video/channels/%lld/records"
#define JGV_PATH_PLAYBACK_FMT "/api/v1/video/channels/%lld/playback"
#define JGV_PATH_PLAYBACK_CONTROL_FMT "/api/v1/video/channels/%lld/playback/control"
#define JGV_PATH_PROJECT_FMT "/api/v1/video/channels/%lld/project"

/* hex(SM3("")): the body hash of a request without a body. */
#define JGV_EMPTY_BODY_SM3 "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b"

/* RFC 3986 percent-encoding of s into out (room for 3 × strlen(s) + 1); keep_slash for paths. */
static inline void jgv_enc(const char *s, int keep_slash, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
            *out++ = (char)c;
        } else {
            *out++ = '%';
            *out++ = hex[c >> 4];
            *out++ = hex[c & 15];
        }
    }
    *out = '\0';
}

static inline int jgv_pair_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t kx = strcspn(x, "="), ky = strcspn(y, "=");
    int r = strncmp(x, y, kx < ky ? kx : ky);
    return r != 0 ? r : (kx > ky) - (kx < ky);
}

/* The canonical request of an app client into out (outlen bytes): method, a path without escapes,
 * a query of at most 16 "key=value" pairs joined by '&' whose keys and values are plain ASCII
 * without escapes (enough for the video API: ids, digits, times), timestamp, nonce and the hex SM3
 * of the body. 0, or -1 if it does not fit. Pairs with the same key keep their order (qsort is
 * not stable, so do not repeat a key). */
static inline int jgv_canonical(const char *method, const char *path, const char *query,
                                const char *timestamp, const char *nonce, const char *body_sm3_hex, char *out,
                                size_t outlen)
{
    char epath[1024], q[1024], eq[3072];
    const char *pairs[16];
    size_t npairs = 0;
    if (strlen(path) >= sizeof(epath) / 3 || strlen(query) >= sizeof(q))
        return -1;
    jgv_enc(path, 1, epath);
    snprintf(q, sizeof(q), "%s", query);
    for (char *p = q; *p != '\0' && npairs < 16;) {
        pairs[npairs++] = p;
        char *amp = strchr(p, '&');
        if (amp == NULL)
            break;
        *amp = '\0';
        p = amp + 1;
    }
    qsort(pairs, npairs, sizeof(pairs[0]), jgv_pair_cmp);
    size_t used = 0;
    eq[0] = '\0';
    for (size_t i = 0; i < npairs; i++) {
        char key[256], val[512], ek[768], ev[1536];
        size_t kl = strcspn(pairs[i], "=");
        if (kl >= sizeof(key) || strlen(pairs[i]) - kl >= sizeof(val))
            return -1;
        memcpy(key, pairs[i], kl);
        key[kl] = '\0';
        snprintf(val, sizeof(val), "%s", pairs[i][kl] == '=' ? pairs[i] + kl + 1 : "");
        jgv_enc(key, 0, ek);
        jgv_enc(val, 0, ev);
        int n = snprintf(eq + used, sizeof(eq) - used, "%s%s=%s", i ? "&" : "", ek, ev);
        if (n < 0 || (size_t)n >= sizeof(eq) - used)
            return -1;
        used += (size_t)n;
    }
    int n =
        snprintf(out, outlen, "%s\n%s\n%s\n%s\n%s\n%s", method, epath, eq, timestamp, nonce, body_sm3_hex);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

#endif
