/* Internals shared by nodes.c (the node table, placement, failover) and node_client.c (the loop's
 * HTTP client, a media node's heartbeats and requests). See src/video/README.md, "Media nodes". */
#ifndef JG_VIDEO_NODES_H
#define JG_VIDEO_NODES_H
#include "video/video_int.h"

#define JG_VNODES_MAX 64             /* media nodes the signalling service keeps */
#define JG_VPLACES_MAX 4096          /* placements handed out and not yet opened */
#define JG_VPLACE_HOLD_US 15000000LL /* how long such a placement counts */

/* A stream's key: DEVICE/CHANNEL (live) or DEVICE/CHANNEL/START-END (a playback, Unix seconds). */
#define JG_VKEY_MAX 96

typedef struct {
    char key[JG_VKEY_MAX]; /* a stream's key */
    char node[JG_VNODE_ID_MAX + 1];
    int64_t until_us;
} jg_vplace;

typedef struct jg_vhreq jg_vhreq; /* node_client.c: one HTTP request in flight */
typedef struct jg_vnodes jg_vnodes;

struct jg_vnodes {
    jg_vsvc *svc;
    int ep;
    int role;
    unsigned char ctl_key[32];
    /* signalling */
    jg_vnode nodes[JG_VNODES_MAX];
    int n;
    jg_vplace *places;
    int nplaces;
    int64_t last_check_us;
    /* media role */
    char rtp_ip[64];
    char boot[24]; /* random per process: the signalling service sees a restart */
    int64_t last_beat_us;
    int beat_inflight, beat_failing;
    int stopping; /* SIGTERM: no BYE requests; a leave request at close */
    uint64_t last_bytes;
    int64_t last_load_us, last_cpu_us;
    double bps, cpu;
    /* the HTTP client */
    jg_vhreq *reqs, *grave;
};

/* nodes.c: the key of device/channel (range: a playback's [start, end), else NULL) into out. */
void jg_vnodes_key(char out[JG_VKEY_MAX], const char *device, const char *channel, const long long *range);
/* The parts of a key made by jg_vnodes_key: 1 live, 2 a playback (range filled), 0 not a key. */
int jg_vnodes_key_parse(const char *key, char device[JG_GBID_LEN + 1], char channel[JG_GBID_LEN + 1],
                        long long range[2]);

/* node_client.c */
void jg_vnodes_client_tick(jg_vsvc *svc);
void jg_vnodes_client_close(jg_vsvc *svc);
void jg_vnodes_heartbeat(jg_vsvc *svc);
/* Tell the signalling service this node leaves, and wait (1 s at most) for the answer. */
void jg_vnodes_send_leave(jg_vsvc *svc);

#endif
