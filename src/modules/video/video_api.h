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

#endif
