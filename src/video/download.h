/* Downloads of a device's recordings (s=Download, GB/T 28181-2016 9.9) on the media node: the
 * platform API asks for one with a signed control request, the node INVITEs the device with
 * s=Download, u=, t=START END and a=downloadspeed:N, writes the stream (demuxed from PS) as
 * MPEG-TS to video_download_dir/ID.ts while it arrives, and ends it at MediaStatus 121 or the
 * device's BYE. The finished file is served at /download/ID.ts?exp=&sig= (attachment).
 *
 *   GET /ctl/download?device=&channel=&id=&start=&end=&speed=     start (202), 429 when
 *                                                                   video_download_max run already
 *   GET /ctl/download_status?device=&channel=&id=                  state, bytes, progress
 *   GET /download/ID.ts?exp=E&sig=S   sig = hex HMAC-SM3(url_key, "download/ID/EXP"), url_key as
 *                                      for live URLs (liveurl.h)
 */
#ifndef JG_VIDEO_DOWNLOAD_H
#define JG_VIDEO_DOWNLOAD_H
#include "video/video_int.h"

#include <jansson.h>

#define JG_DOWNLOAD_ID_MIN 16
#define JG_DOWNLOAD_ID_MAX 32

typedef struct jg_vdownload jg_vdownload;

/* The node's downloads (the directory is created at the first one). */
jg_vdownload *jg_vdownload_new(jg_vsvc *svc);
/* Streams are freed first (their end reaches jg_vdownload_gone); then this. NULL is a no-op. */
void jg_vdownload_free(jg_vdownload *dl);
/* Every second or so: files past video_download_keep_h go (on disk and in memory). */
void jg_vdownload_tick(jg_vdownload *dl);

/* 1 if id is 16 to 32 lower-case hex digits. */
int jg_vdownload_id_valid(const char *id);

/* The control requests: the HTTP status and *answer (JSON; {"error":{code,message}} for errors). */
int jg_vdownload_ctl_start(jg_vdownload *dl, const char *device, const char *channel, const char *query,
                           json_t **answer);
int jg_vdownload_ctl_status(jg_vdownload *dl, const char *device, const char *channel, const char *query,
                            json_t **answer);
/* Cancel: the stream stopped (BYE) and the file removed, partial or finished; 404 when the node has
 * neither the job nor its file. */
int jg_vdownload_ctl_cancel(jg_vdownload *dl, const char *device, const char *channel, const char *query,
                            json_t **answer);

/* GET /download/ID.ts?exp=&sig=: 200 with the file's path and size when signed, unexpired and done;
 * else the status (403 bad signature, 404 unknown or not finished) and a message. */
int jg_vdownload_file(jg_vdownload *dl, const unsigned char url_key[32], const char *id, const char *query,
                      char *path, size_t pathlen, long long *size, const char **message);

/* The signature of a download URL (also made by the platform API, src/modules/video/download.c). */
void jg_vdownload_sign(const unsigned char url_key[32], const char *id, long long exp, char out[65]);

/* Hooks from media.c: a frame of the download's stream, and its end (ended: MediaStatus 121 or the
 * device's BYE, i.e. the device finished sending). */
void jg_vdownload_frame(jg_vsvc *svc, void *job, const jg_frame *f);
void jg_vdownload_gone(jg_vsvc *svc, void *job, int ended);

/* media.c: open a stream of device/channel with s=Download over [start, end) at speed for job
 * (its frames go to jg_vdownload_frame, its end to jg_vdownload_gone). NULL with *status (404
 * device offline, 503) and *message set. */
jg_vstream *jg_vmedia_download_open(jg_vsvc *svc, const char *device, const char *channel, long long start,
                                    long long end, int speed, const char *id, void *job, int *status,
                                    const char **message);
/* Stop the download's stream (BYE); jg_vdownload_gone is not called. */
void jg_vmedia_download_close(jg_vsvc *svc, jg_vstream *s);
jg_vdownload *jg_vmedia_downloads(jg_vsvc *svc);

#endif
