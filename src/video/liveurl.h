/* Signed live-view URLs shared by the platform API (which hands them out) and the media node
 * of jianguan video (which checks them). Both derive the same URL key from the deployment's SM4
 * field key (data_dir/keys/field.key), so no extra secret is configured. */
#ifndef JG_VIDEO_LIVEURL_H
#define JG_VIDEO_LIVEURL_H

#include <stddef.h>

#define JG_LIVEURL_SIG_LEN 64

/* The URL key: HMAC-SM3(field_key, "jianguan video live url v1"). */
void jg_liveurl_key(const unsigned char field_key[32], unsigned char out[32]);
/* sig = hex HMAC-SM3(url_key, "live/DEVICE/CHANNEL/EXP"), 64 hex digits and a NUL. */
void jg_liveurl_sign(const unsigned char url_key[32], const char *device, const char *channel, long long exp,
                     char out[JG_LIVEURL_SIG_LEN + 1]);
/* 1 if sig matches (constant time) and exp (Unix seconds) is not past now, else 0. */
int jg_liveurl_check(const unsigned char url_key[32], const char *device, const char *channel, long long exp,
                     const char *sig, long long now);
/* Write base "/live/DEVICE/CHANNEL.flv?exp=EXP&sig=SIG" into out; 0 if it does not fit. */
size_t jg_liveurl_build(const unsigned char url_key[32], const char *base, const char *device,
                        const char *channel, long long exp, char *out, size_t outlen);

/* Playback URLs: sig = hex HMAC-SM3(url_key, "playback/DEVICE/CHANNEL/START/END/EXP") with START
 * and END as Unix seconds; the URL is base "/playback/DEVICE/CHANNEL.flv?start=&end=&exp=&sig=". */
void jg_playurl_sign(const unsigned char url_key[32], const char *device, const char *channel,
                     long long start, long long end, long long exp, char out[JG_LIVEURL_SIG_LEN + 1]);
int jg_playurl_check(const unsigned char url_key[32], const char *device, const char *channel,
                     long long start, long long end, long long exp, const char *sig, long long now);

/* Control requests from the platform API to the media node's listener (PTZ, record queries,
 * playback control): GET /ctl/WHAT?ARGS&exp=EXP&sig=SIG where sig = hex HMAC-SM3(ctl_key, the
 * request target from "/ctl/" up to "&sig="), ctl_key = HMAC-SM3(field_key, "jianguan video control v1"). */
void jg_ctl_key(const unsigned char field_key[32], unsigned char out[32]);
void jg_ctl_sign(const unsigned char ctl_key[32], const char *text, size_t len,
                 char out[JG_LIVEURL_SIG_LEN + 1]);
/* 1 if target ("/ctl/...&exp=E&sig=S", up to a space or its end) is signed and not expired. */
int jg_ctl_check(const unsigned char ctl_key[32], const char *target, long long now);

#endif
