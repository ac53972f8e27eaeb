/* MPEG-TS muxing (ts.c) and HLS segmenting (hls.c) for the media node, without sockets: frames
 * from the PS demuxer (media.h) become 188-byte TS packets, cut into segments at key frames,
 * listed in a live m3u8 with a sliding window. Cloud recording (record.c) writes the same TS.
 *
 *     jg_frame (Annex B H.264/H.265, ADTS AAC) -> jg_ts -> packets -> jg_hls segments -> m3u8
 */
#ifndef JG_VIDEO_HLS_H
#define JG_VIDEO_HLS_H
#include "base/buf.h"
#include "base/rc.h"
#include "video/media.h"

#include <stddef.h>
#include <stdint.h>

/* ---- MPEG-TS (ts.c) ---- */

#define JG_TS_PACKET 188
#define JG_TS_PID_PMT 0x1000
#define JG_TS_PID_VIDEO 0x100
#define JG_TS_PID_AUDIO 0x101
#define JG_TS_PCR_LEAD 9000 /* PCR runs 100 ms ahead of the DTS it goes with (T-STD buffering) */

typedef struct {
    int video_codec; /* JG_CODEC_H264 / JG_CODEC_H265 */
    int audio;       /* 1: an AAC (ADTS) stream on JG_TS_PID_AUDIO is announced in the PMT */
    uint8_t cc_pat, cc_pmt, cc_video, cc_audio;
    /* Parameter sets last seen in the stream: put before a key frame that lacks them, so every
     * segment decodes on its own. */
    uint8_t vps[256], sps[256], pps[256];
    size_t vps_len, sps_len, pps_len;
    /* Output timestamps only grow: a step back or a leap of more than 5 s (a device restarting its
     * clock, a file looping) continues one frame later. */
    int have_last;
    int64_t offset, last_in, last_out, last_step;
} jg_ts;

void jg_ts_init(jg_ts *t, int video_codec, int audio);
/* Append PAT and PMT (two packets). JG_TOOLARGE if out is full. */
jg_rc jg_ts_tables(jg_ts *t, jg_buf *out);
/* Append one frame as a PES in TS packets: video on JG_TS_PID_VIDEO with a PCR (and the random
 * access indicator on key frames; an AUD and the parameter sets are added where missing), AAC on
 * JG_TS_PID_AUDIO. *dts_out (may be NULL) receives the frame's output DTS (90 kHz, monotonic).
 * JG_INVALID for a frame of another codec or without NAL units, JG_TOOLARGE if out is full. */
jg_rc jg_ts_frame(jg_ts *t, const jg_frame *f, jg_buf *out, int64_t *dts_out);
/* 1 if the Annex B frame holds an IDR (H.264 type 5) or IRAP (H.265 types 16-21) picture. */
int jg_ts_is_key(int codec, const uint8_t *p, size_t n);
/* The CRC-32 of PSI sections (MPEG-2, polynomial 0x04C11DB7, not reflected, initial ~0). */
uint32_t jg_ts_crc32(const uint8_t *p, size_t n);

/* ---- HLS (hls.c) ---- */

#define JG_HLS_KEEP 8                     /* segments kept; the playlist lists the newest window */
#define JG_HLS_SEG_MAX (16 * 1024 * 1024) /* a segment growing past this is dropped */

typedef struct {
    uint64_t seq;
    int64_t duration; /* 90 kHz */
    uint8_t *data;
    size_t len;
} jg_hls_seg;

typedef struct {
    jg_ts ts;
    int target_s, window;
    jg_hls_seg seg[JG_HLS_KEEP]; /* ring by seq % JG_HLS_KEEP; data NULL when empty */
    uint64_t next_seq;           /* the seq the open segment gets */
    jg_buf cur;                  /* the open segment */
    int open;
    int64_t cur_start, cur_last; /* output DTS of its first and latest video frame */
    uint64_t done;               /* segments completed */
} jg_hls;

/* target_s: the wanted segment duration (segments are cut at the first key frame after it);
 * window: segments listed in the playlist (at most JG_HLS_KEEP - 2). */
void jg_hls_init(jg_hls *h, int video_codec, int audio, int target_s, int window);
/* Feed one frame (video or audio). 1 when it completed a segment, else 0. Frames before the
 * first key frame are dropped. */
int jg_hls_frame(jg_hls *h, const jg_frame *f);
/* The live playlist: EXT-X-TARGETDURATION, EXT-X-MEDIA-SEQUENCE, and per segment its EXTINF and
 * "PREFIXSEQ.ts?QUERY" (prefix: relative path, e.g. "CHANNEL/"; query: the signed parameters,
 * appended as given; "" for none). 0 segments: nothing is written and JG_NOTFOUND returned. */
jg_rc jg_hls_playlist(const jg_hls *h, const char *prefix, const char *query, jg_buf *out);
/* A segment still kept, or NULL. */
const jg_hls_seg *jg_hls_segment(const jg_hls *h, uint64_t seq);
void jg_hls_free(jg_hls *h);

#endif
