/* GB/T 28181 identifiers: 20-digit device and platform IDs, realms, and media SSRCs.
 *
 * A GB ID (GB/T 28181-2016 appendix D) is 20 decimal digits:
 *
 *     digits  1-8   center code: province 2, city 2, county 2, grassroots unit 2 (GB/T 2260)
 *             9-10  industry code
 *             11-13 type: 111-130 front-end devices (111 DVR, 118 NVR, 131 camera, 132 IPC ...),
 *                   200 central signalling server (a platform), 215 business group, 216 virtual org
 *             14    network flag (2016; 2011 counts it as the serial's first digit)
 *             15-20 serial
 *
 * The SIP realm (domain) of a platform is the first 10 digits of its ID.
 *
 * An SSRC (appendix F) is 10 decimal digits, sent as text in SDP `y=` and as a 32-bit number in
 * RTP:
 *
 *     digit 1      0 live view, 1 history (playback, download)
 *     digits 2-6   digits 4-8 of the platform ID (the domain)
 *     digits 7-10  sequence 0000-9999, unique among the streams of one media node
 */
#ifndef JG_VIDEO_GBID_H
#define JG_VIDEO_GBID_H
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

#define JG_GBID_LEN 20
#define JG_GB_REALM_LEN 10
#define JG_SSRC_SEQ_MAX 10000

/* 1 if s (NUL-terminated) is exactly 20 decimal digits, else 0. Cannot fail. */
int jg_gbid_valid(const char *s);
/* 1 if the n bytes at s are exactly 20 decimal digits, else 0. Cannot fail. */
int jg_gbid_valid_n(const char *s, size_t n);
/* The 3-digit type code (digits 11-13) of a valid ID, or -1 if id is not valid. Cannot fail. */
int jg_gbid_type(const char *id);
/* Copy the realm (first 10 digits) of a valid platform ID into out (11 bytes). JG_INVALID if id is
 * not a valid ID (out then holds ""). */
jg_rc jg_gbid_realm(const char *id, char out[JG_GB_REALM_LEN + 1]);

/* Compose the SSRC text (10 digits, 11 bytes with NUL) for a stream: history 0 for live view, 1
 * for playback/download; platform_id a valid 20-digit ID; seq in [0, 9999]. JG_INVALID otherwise. */
jg_rc jg_ssrc_make(int history, const char *platform_id, int seq, char out[11]);
/* Parse SSRC text (1-10 digits, as a device may answer in `y=`) into its 32-bit value and, when
 * it has the standard 10 digits, whether it is a history stream and its sequence (else -1).
 * JG_INVALID for anything else, or a value beyond 2^32-1. */
jg_rc jg_ssrc_parse(const char *text, uint32_t *value, int *history, int *seq);

/* Allocator of SSRC sequences for one media node: each of live and history has 10,000 slots. */
typedef struct {
    uint8_t used[2][JG_SSRC_SEQ_MAX / 8];
    int next[2];
    int count[2];
} jg_ssrc_pool;

/* Empty pool. Cannot fail. */
void jg_ssrc_pool_init(jg_ssrc_pool *p);
/* Take a free sequence for history (0/1), round-robin so a just-freed one is reused last.
 * JG_CONFLICT when all 10,000 are taken. */
jg_rc jg_ssrc_pool_take(jg_ssrc_pool *p, int history, int *seq);
/* Mark a sequence taken (one the device chose). JG_CONFLICT if it is taken already, JG_INVALID
 * if out of range. */
jg_rc jg_ssrc_pool_claim(jg_ssrc_pool *p, int history, int seq);
/* Give a sequence back. Releasing a free one is a no-op. */
void jg_ssrc_pool_release(jg_ssrc_pool *p, int history, int seq);

#endif
