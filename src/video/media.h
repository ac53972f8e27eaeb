/* The media path of jianguan video without sockets: SDP offers and answers (sdp.c), RTP
 * packets, RFC 4571 framing and a reorder window (rtp.c), the MPEG-PS demuxer (ps.c) and the
 * HTTP-FLV muxer (flv.c). Pure functions over bytes, so unit tests and fuzz targets drive them
 * directly; media.c wires them to sockets.
 *
 *     RTP (UDP or TCP) -> jg_rtp_reorder -> jg_ps -> access units -> jg_flv -> viewers
 */
#ifndef JG_VIDEO_MEDIA_H
#define JG_VIDEO_MEDIA_H
#include "base/buf.h"
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

/* ---- SDP (sdp.c) ---- */

/* RTP transports of a stream (jg_sdp_offer.tcp): TCP passive = the device connects to us, TCP
 * active = we connect to the device (RFC 4145 a=setup, RFC 4571 framing either way). */
enum { JG_RTP_UDP = 0, JG_RTP_TCP_PASSIVE = 1, JG_RTP_TCP_ACTIVE = 2 };

/* The offer a platform sends in an INVITE for live view (GB/T 28181-2016 appendix G). */
typedef struct {
    const char *session;   /* "Play" */
    const char *origin_id; /* the platform's 20-digit ID (o=) */
    const char *ip;        /* where RTP goes (c=) */
    int port;              /* m= port */
    int tcp;               /* JG_RTP_*: 0 RTP/AVP over UDP; 1 TCP/RTP/AVP, we are passive (the device
                            * connects); 2 TCP/RTP/AVP, we are active (port 9, we connect to its answer) */
    const char *ssrc;      /* 10 digits, y= (last line) */
    /* Playback (session "Playback"): u=CHANNEL:0 and t=START END (Unix seconds); NULL/0 for Play. */
    const char *uri_channel;
    long long start, end;
    /* Download (session "Download", with u= and t= as for Playback): a=downloadspeed:N; 0 for none. */
    int download_speed;
} jg_sdp_offer;

/* Write the offer into out (NUL-terminated); its length, or 0 if it does not fit. */
size_t jg_sdp_offer_build(const jg_sdp_offer *o, char *out, size_t outlen);

/* MANSRTSP (GB/T 28181 appendix B), the body of an INFO that controls a playback:
 *   pause  "PAUSE RTSP/1.0\r\nCSeq: N\r\nPauseTime: now\r\n\r\n"
 *   resume "PLAY RTSP/1.0\r\nCSeq: N\r\nRange: npt=now-\r\n\r\n"
 *   seek   "PLAY RTSP/1.0\r\nCSeq: N\r\nRange: npt=SECONDS-\r\n\r\n"  (from the playback's start)
 *   speed  "PLAY RTSP/1.0\r\nCSeq: N\r\nScale: X\r\n\r\n"  (0.25, 0.5, 1, 2 or 4) */
typedef enum { JG_RTSP_PAUSE, JG_RTSP_RESUME, JG_RTSP_SEEK, JG_RTSP_SPEED } jg_rtsp_op;
/* Write the body into out; its length, or 0 for a bad value (seek < 0, an unknown scale) or no room. */
size_t jg_mansrtsp_build(jg_rtsp_op op, long cseq, double value, char *out, size_t outlen);
/* What a device reads from such a body: op, and value (seconds for seek, scale for speed). JG_INVALID
 * if it is none of the four. */
jg_rc jg_mansrtsp_parse(const char *s, size_t n, jg_rtsp_op *op, double *value);

enum { JG_SDP_SETUP_NONE = 0, JG_SDP_SETUP_ACTIVE = 1, JG_SDP_SETUP_PASSIVE = 2 };

/* What matters in a device's answer. */
typedef struct {
    char session[32];
    char ip[64];   /* c= (media level over session level) */
    int port;      /* first m=video port */
    int tcp;       /* proto TCP/RTP/AVP */
    int setup;     /* JG_SDP_SETUP_* */
    char ssrc[16]; /* y= as sent ("" if none) */
    int ps_pt;     /* payload type mapped to PS/90000, or 96 when no rtpmap names it */
    /* What an offer asks of a device (gbsim): t= (0 0 for live) and a=downloadspeed (0 if absent). */
    long long t_start, t_end;
    int download_speed;
} jg_sdp_answer;

/* Parse an SDP body of n bytes (not NUL-terminated). JG_INVALID unless it has v=0 and one
 * m=video line with a port in [1, 65535] and an RTP proto. Lines may end in CRLF or LF. */
jg_rc jg_sdp_parse(const char *s, size_t n, jg_sdp_answer *out);

/* ---- RTP (rtp.c) ---- */

typedef struct {
    int pt, marker;
    uint16_t seq;
    uint32_t ts, ssrc;
    const uint8_t *payload; /* inside the packet given to jg_rtp_parse */
    size_t len;
} jg_rtp_pkt;

/* Parse an RTP packet of n bytes (version 2, CSRCs, extension and padding honoured). JG_INVALID
 * for anything else. */
jg_rc jg_rtp_parse(const uint8_t *p, size_t n, jg_rtp_pkt *out);

/* RFC 4571 over TCP: the size (2 + length) of the first whole frame in n bytes at s, 0 if more
 * bytes are needed. A zero length is a frame of its own (2 bytes). */
size_t jg_rtp_tcp_frame(const uint8_t *s, size_t n);

#define JG_RTP_WINDOW 64

/* Payloads come out in sequence order; discontinuity is 1 on the first payload after packets
 * were lost (the demuxer then drops its partial frame). */
typedef void (*jg_rtp_deliver_fn)(void *ud, const uint8_t *payload, size_t len, int discontinuity);

typedef struct {
    uint8_t *data;
    size_t len;
    uint16_t seq;
    int used, marker;
} jg_rtp_slot;

/* A reorder window of JG_RTP_WINDOW packets: a missing packet is waited for until
 * JG_RTP_WINDOW / 4 later ones have arrived, then counted lost. */
typedef struct {
    int started, gap;
    uint16_t next; /* the sequence number expected */
    int held;
    jg_rtp_slot slot[JG_RTP_WINDOW];
    uint64_t received, lost, late;
    int marker; /* the RTP marker bit of the payload being delivered (read it in the callback) */
} jg_rtp_reorder;

void jg_rtp_reorder_init(jg_rtp_reorder *r);
/* Take one packet (copied if it must wait) and deliver what is in order. */
void jg_rtp_reorder_push(jg_rtp_reorder *r, const jg_rtp_pkt *p, jg_rtp_deliver_fn fn, void *ud);
void jg_rtp_reorder_free(jg_rtp_reorder *r);

/* ---- MPEG-PS (ps.c) ---- */

enum { JG_CODEC_NONE = 0, JG_CODEC_H264, JG_CODEC_H265, JG_CODEC_AAC, JG_CODEC_G711A, JG_CODEC_G711U };

/* One access unit: a whole video frame (Annex B, start codes kept) or one audio PES payload. */
typedef struct {
    int codec;
    int video;
    int64_t pts, dts; /* 90 kHz, 33 bits as sent; dts = pts when the PES had no DTS */
    const uint8_t *data;
    size_t len;
} jg_frame;

typedef void (*jg_ps_frame_fn)(void *ud, const jg_frame *f);

#define JG_PS_MAX_FRAME (4 * 1024 * 1024)

typedef struct {
    jg_ps_frame_fn fn;
    void *ud;
    uint8_t *in; /* bytes not parsed yet */
    size_t in_len, in_cap;
    uint8_t *au; /* video elementary stream not yet cut into frames */
    size_t au_len, au_cap;
    size_t scan;    /* where the search for the next start code resumes */
    int au_vcl;     /* the frame being gathered has a slice already */
    int au_open;    /* the bytes in au start at a NAL boundary (0 after a loss until a PTS) */
    int drop_first; /* the first frame after a loss may lack its beginning */
    int codec;      /* of the video stream: from the PSM, else guessed once */
    struct {
        size_t off; /* where the PES payload begins in au */
        int64_t pts, dts;
        int used;
    } tsq[16]; /* PES timestamps not yet given to a frame */
    int ntsq;
    int64_t last_dts, last_pts, frame_dur;
    int have_last;
    int video_type, audio_type; /* PSM stream types (0x1B, 0x24, 0x0F, 0x90, 0x91), 0 if none */
    int have_psm;
    int synced; /* a pack header was seen since the start or the last loss */
    uint64_t frames, dropped, resyncs;
    /* Frames cut at the RTP marker bit (jg_ps_marker). */
    size_t feed_start; /* where the bytes of the current jg_ps_feed begin in au */
    int feed_mid_cut;  /* a frame began inside them (not at their start) */
    int au_key;        /* the frame being gathered has an IDR/IRAP slice */
    size_t mark_at;    /* passive check: a marker said the frame ends here in au */
    int mark_pending, mark_key, mark_key_ok, mark_check;
    int mark_trust; /* markers confirmed so far; JG_PS_MARK_TRUST (with a key frame) to act on them */
    int mark_off;   /* a marker proved wrong: never again for this stream */
    uint64_t mark_flushes;
} jg_ps;

#define JG_PS_MARK_TRUST 3

void jg_ps_init(jg_ps *d, jg_ps_frame_fn fn, void *ud);
/* Feed n bytes of the PS stream (any split); complete frames are passed to fn. */
void jg_ps_feed(jg_ps *d, const uint8_t *p, size_t n);
/* The payload just fed came in an RTP packet with the marker bit (the last packet of a frame, as
 * cameras send one frame per pack). Once JG_PS_MARK_TRUST markers (one of them on a key frame) were
 * seen to end a frame exactly (the next frame began right after), the frame gathered is passed on
 * at once instead of when the next frame's first bytes arrive, provided the packet ended a PES,
 * the frame began at or before the packet's start and no frame start is left unscanned. A marker
 * that proves wrong (a frame going on after it) stops this for the stream; a stream without
 * markers is cut as before. */
void jg_ps_marker(jg_ps *d);
/* Bytes were lost: drop the partial frame and unparsed bytes, resynchronise on the next pack. */
void jg_ps_reset(jg_ps *d);
void jg_ps_free(jg_ps *d);
/* Guess the codec of an Annex B video frame without a PSM (H.265 by its first NAL header). */
int jg_ps_guess_video(const uint8_t *p, size_t n);

/* ---- FLV (flv.c) ---- */

/* H.264 is FLV codec 7 (AVC); H.265 is codec id 12 with the AVC packet layout and an
 * HEVCDecoderConfigurationRecord, the convention of flv.js/mpegts.js forks and of Chinese
 * media servers (ZLMediaKit, SRS, Nginx-rtmp forks). */
#define JG_FLV_CODEC_AVC 7
#define JG_FLV_CODEC_HEVC 12

typedef struct {
    int codec; /* JG_CODEC_H264 / H265, 0 until the first frame */
    uint8_t vps[256], sps[256], pps[256];
    size_t vps_len, sps_len, pps_len;
    int config_sent; /* the sequence header for the current parameter sets was produced */
    int have_base;
    int64_t base_dts; /* 90 kHz dts of time 0 */
    int64_t last_dts;
    int64_t last_step; /* the last regular DTS step, 90 kHz */
} jg_flv;

void jg_flv_init(jg_flv *m);
/* The 13 bytes of the file header (signature, video flag, first PreviousTagSize 0). */
void jg_flv_header(uint8_t out[13]);
/* Turn one video frame into FLV tags appended to out: the sequence header when the parameter
 * sets are new or changed (*config_at is then its offset in out, else -1), then the frame's tag
 * (*key set for an IDR/IRAP frame). JG_INVALID when the frame has no NAL units or arrives before
 * the parameter sets (nothing appended), JG_TOOLARGE if out is full. */
jg_rc jg_flv_video(jg_flv *m, const jg_frame *f, jg_buf *out, long *config_at, int *key);
/* Rewrite the timestamp of the tag at tag (its 11-byte header) to ms. */
void jg_flv_set_ts(uint8_t *tag, uint32_t ms);
/* The timestamp of the tag at tag. */
uint32_t jg_flv_get_ts(const uint8_t *tag);

#endif
