/* Handlers of the video module's routes outside live.c (control.c, channels.c); the route table is
 * in live.c. */
#ifndef JG_MODULES_VIDEO_API_H
#define JG_MODULES_VIDEO_API_H
#include "base/buf.h"
#include "db/db.h"
#include "http/http.h"

/* The channel of a route's {id}, read in the caller's data scope (channels.c). */
typedef struct {
    int64_t id;
    char device[32], channel[32], name[256];
    int online;
} jg_video_channel;

/* JG_OK with *ch filled, or the error already answered (404 also outside the caller's scope). */
jg_rc jg_video_channel_of(jg_req *req, jg_resp *resp, jg_video_channel *ch);
/* The active device of the route's {gb_id} in the caller's scope: JG_OK with *gb (the route's
 * parameter) and *online (may be NULL), or the 404 already answered and JG_NOTFOUND. */
jg_rc jg_video_device_of(jg_req *req, jg_resp *resp, const char **gb, int *online);
/* Append " AND ..." restricting video_channel c LEFT JOIN project pr to the caller's scope (room for
 * 4 more params), " AND 1 = 0" when the caller may see no channel; 1 when some channel may be seen. */
int jg_video_scope(jg_req *req, jg_buf *sql, jg_value *params, int *n);
/* As jg_video_scope for video_device d: a device with a channel in scope (province: every device). */
int jg_video_device_scope(jg_req *req, jg_buf *sql, jg_value *params, int *n);
/* Run the scoped sql (freed here) for one row: JG_OK with *rows, or the error answered (404 with
 * missing when no row is in scope). */
jg_rc jg_video_read_one(jg_req *req, jg_resp *resp, jg_buf *sql, jg_value *params, int n, const char *missing,
                        jg_rows **rows);

jg_rc jg_video_list_channels(jg_req *req, jg_resp *resp);
jg_rc jg_video_get_tree(jg_req *req, jg_resp *resp);
jg_rc jg_video_list_devices(jg_req *req, jg_resp *resp);
jg_rc jg_video_put_project(jg_req *req, jg_resp *resp);
jg_rc jg_video_delete_project(jg_req *req, jg_resp *resp);

jg_rc jg_video_post_ptz(jg_req *req, jg_resp *resp);
jg_rc jg_video_get_records(jg_req *req, jg_resp *resp);
jg_rc jg_video_get_playback(jg_req *req, jg_resp *resp);
jg_rc jg_video_post_playback_control(jg_req *req, jg_resp *resp);
jg_rc jg_video_get_device(jg_req *req, jg_resp *resp);

/* A page of the query in sql (params[0..n), room for 2 more) ordered by order: the answer of a
 * paged list (jg_resp_page). Frees sql. */
jg_rc jg_video_page(jg_req *req, jg_resp *resp, jg_buf *sql, jg_value *params, int n, const char *order,
                    int64_t page, int64_t size);

/* control.c: out.ws_url, the WebSocket-FLV form of the HTTP-FLV url (ws://, or wss:// for https): the
 * same bytes in WebSocket binary frames, for mpegts.js. */
void jg_video_set_ws_url(json_t *out, const char *url);

/* control.c: key = HMAC-SM3(field key, label), the keys shared with src/video/liveurl.c
 * ("jianguan video control v1", "jianguan video live url v1"). */
void jg_video_key(jg_req *req, const char *label, unsigned char out[32]);
/* "YYYY-MM-DDTHH:MM:SS" in China Standard Time as Unix seconds, or -1. */
int64_t jg_video_cst_seconds(const char *s);
/* control.c: a signed control request to the video process (GET /ctl/what?args&exp=&sig=): *status
 * its HTTP status, *answer its JSON (NULL if none); JG_UNAVAILABLE / JG_TIMEOUT when unreachable. */
jg_rc jg_video_ctl_call(jg_req *req, const char *what, const char *args, long timeout_s, long *status,
                        json_t **answer);
/* Answer a failed control request (takes answer): 504, 502 device_refused, 409, 400, 503. */
jg_rc jg_video_ctl_failed(jg_req *req, jg_resp *resp, jg_rc rc, long status, json_t *answer);

/* download.c: downloads from devices (s=Download); record_plan.c: cloud recording plans. */
jg_rc jg_video_post_download(jg_req *req, jg_resp *resp);
jg_rc jg_video_get_download(jg_req *req, jg_resp *resp);
jg_rc jg_video_delete_download(jg_req *req, jg_resp *resp);
jg_rc jg_video_get_record_plan(jg_req *req, jg_resp *resp);
jg_rc jg_video_put_record_plan(jg_req *req, jg_resp *resp);
jg_rc jg_video_delete_record_plan(jg_req *req, jg_resp *resp);
jg_rc jg_video_list_record_plans(jg_req *req, jg_resp *resp);

#endif
