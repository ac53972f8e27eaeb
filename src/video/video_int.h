/* Internals of jianguan video shared by its files: the service, its devices, the writer.
 *
 * Threads: one event-loop thread owns every structure below except the writer's queue; the
 * writer thread (store.c) turns queued jobs into batched database transactions.
 *
 * Device states (in memory; `online` is what the database shows):
 *
 *     state         how it is entered                         leaves to
 *     unknown       never registered since start, not in db   registered (REGISTER + digest)
 *     registered    200 to an authenticated REGISTER          offline (keepalive timeout,
 *     + online                                                expiry, Expires: 0)
 *     offline       interval x count without keepalive,       online (keepalive while the
 *                   registration expired, or Expires: 0        registration holds, REGISTER)
 */
#ifndef JG_VIDEO_INT_H
#define JG_VIDEO_INT_H
#include "base/buf.h"
#include "base/config.h"
#include "db/db.h"
#include "video/digest.h"
#include "video/gbid.h"
#include "video/manscdp.h"
#include "video/media.h"
#include "video/sip.h"

#include <netinet/in.h>
#include <stdint.h>

/* ---- string-keyed hash table (table.c) ---- */

typedef struct jg_vtab_node {
    struct jg_vtab_node *next;
    const char *key; /* owned by the value */
    void *value;
} jg_vtab_node;

typedef struct {
    jg_vtab_node **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
} jg_vtab;

/* Empty table. Cannot fail (aborts on out-of-memory, as everywhere). */
void jg_vtab_init(jg_vtab *t);
/* Free the table's nodes, not the values. */
void jg_vtab_free(jg_vtab *t);
/* The value under key, or NULL. */
void *jg_vtab_get(const jg_vtab *t, const char *key);
/* Insert value under key (a string inside value that outlives the entry). Key must be absent. */
void jg_vtab_put(jg_vtab *t, const char *key, void *value);
/* Remove key; returns its value or NULL. */
void *jg_vtab_del(jg_vtab *t, const char *key);
/* Call fn on every value; fn may not change the table. */
void jg_vtab_each(const jg_vtab *t, void (*fn)(void *value, void *ud), void *ud);

/* ---- writer thread (store.c) ---- */

typedef struct jg_vstore jg_vstore;

/* Start the writer on db; at most max_jobs wait in its queue (more are dropped and counted). */
jg_vstore *jg_vstore_start(jg_db *db, size_t max_jobs);
/* Write everything queued, stop the thread, free. NULL is a no-op. */
void jg_vstore_stop(jg_vstore *s);
/* Block until every job queued so far is written (tests, shutdown). */
void jg_vstore_sync(jg_vstore *s);
/* Jobs dropped because the queue was full, and transactions that failed. */
void jg_vstore_counters(jg_vstore *s, uint64_t *dropped, uint64_t *failed);

void jg_vstore_registered(jg_vstore *s, const char *gb_id, const char *transport, const char *address,
                          int port, const char *at, const char *expires_at);
void jg_vstore_offline(jg_vstore *s, const char *gb_id, const char *reason, const char *at, int unregistered);
void jg_vstore_online(jg_vstore *s, const char *gb_id, const char *detail, const char *at);
void jg_vstore_event(jg_vstore *s, const char *gb_id, const char *kind, const char *detail, const char *at);
/* n keepalive times: ids[i] (20 digits) seen at ats[i]; both arrays are copied. */
void jg_vstore_keepalives(jg_vstore *s, const char (*ids)[JG_GBID_LEN + 1], const char (*ats)[32], size_t n);
void jg_vstore_device_info(jg_vstore *s, const char *gb_id, const jg_manscdp_msg *m, const char *at);
/* Upsert the n items (copied) of a catalog reported by device gb_id. */
void jg_vstore_channels(jg_vstore *s, const char *gb_id, const jg_manscdp_item *items, int n, const char *at);
/* The state of a catalog round: "querying" (tries sent so far), "complete" (sum written as
 * catalog_sum) or "incomplete" (gave up); got = distinct channels received, sum = SumNum or -1. */
void jg_vstore_catalog(jg_vstore *s, const char *gb_id, const char *state, int tries, int64_t got,
                       int64_t sum, const char *at);

/* ---- devices and the service (service.c, registrar.c, catalog.c) ---- */

enum { JG_VT_UDP = 0, JG_VT_TCP = 1 };

/* A SIP-over-TCP connection (loop.c owns them). */
typedef struct jg_vconn {
    int kind; /* the loop's handle kind: first, as in every epoll handle */
    int fd;
    int dead; /* close after the current event */
    struct sockaddr_in peer;
    jg_buf in, out; /* bounded: a peer that floods or stops reading is dropped */
    int64_t last_us;
    char gb_id[JG_GBID_LEN + 1]; /* the device that registered over it, or "" */
    struct jg_vconn *prev, *next;
} jg_vconn;

/* Catalog rounds (catalog.c): a query is sent again when no chunk has arrived for
 * JG_CATALOG_QUIET_S << (tries - 1) seconds before SumNum is reached, JG_CATALOG_TRIES times in all. */
#define JG_CATALOG_TRIES 4
#define JG_CATALOG_QUIET_S 5

typedef struct jg_vdev {
    char gb_id[JG_GBID_LEN + 1];
    int registered; /* a registration holds */
    int deleted;    /* its row is deleted: every REGISTER is refused */
    int online;
    int transport;            /* JG_VT_* of the last REGISTER */
    struct sockaddr_in addr;  /* source of the last REGISTER: where requests go */
    jg_vconn *conn;           /* TCP: the connection it registered over, or NULL */
    char local[64];           /* host:port the device sent its REGISTER to (our address for it) */
    int64_t expires_us;       /* monotonic end of the registration */
    int64_t alive_us;         /* monotonic time of the last keepalive (or REGISTER) */
    int64_t alive_unix_ms;    /* the same as wall-clock time, for the batched write */
    int alive_dirty;          /* alive_unix_ms not yet written */
    int keepalive_interval_s; /* 0: the configured default */
    int keepalive_count;
    jg_charset charset;
    char *password_enc;           /* SM4 token, or NULL for the default password */
    char nonce[JG_NONCE_LEN + 1]; /* last nonce accepted, with its count: replays are refused */
    unsigned long nonce_count;
    int64_t catalog_sn, devinfo_sn;        /* catalog_sn: the latest try's SN, -1 when no round runs */
    int64_t catalog_sum;                   /* SumNum once a chunk told it, else -1 */
    int catalog_got;                       /* distinct channels received in this round */
    int64_t catalog_last_us;               /* the last query or chunk of this round */
    int catalog_tries;                     /* queries sent in this round (JG_CATALOG_TRIES at most) */
    int64_t catalog_sns[JG_CATALOG_TRIES]; /* their SNs: late chunks of an earlier try count too */
    uint64_t *catalog_ids;                 /* open-addressing set of channel ID hashes: duplicates merged */
    size_t catalog_ids_cap, catalog_ids_n;
    uint32_t recent[4]; /* hashes of the last MESSAGEs (Call-ID, CSeq): retransmissions */
    int recent_pos;
} jg_vdev;

/* A device ID with failed digest logins (registrar.c). */
typedef struct {
    char gb_id[JG_GBID_LEN + 1];
    int failures;
    int64_t last_us;
    int64_t locked_until_us;
} jg_vlock;

/* A request the platform sent and awaits a final response to. */
typedef struct jg_vtx {
    struct jg_vtx *prev, *next; /* all transactions, oldest first */
    char key[192];              /* Call-ID and CSeq: how responses find it */
    char gb_id[JG_GBID_LEN + 1];
    char what[16]; /* Catalog, DeviceInfo ... for the log */
    jg_buf wire;   /* retransmitted as is over UDP */
    int64_t next_us, interval_us, deadline_us;
    int64_t sn;
    int notify; /* tell media.c the final response (jg_vmedia_request_done) */
} jg_vtx;

typedef struct jg_vsvc jg_vsvc;

/* Where an inbound message came from. */
typedef struct {
    int transport;
    struct sockaddr_in addr;
    jg_vconn *conn; /* TCP only */
} jg_vpeer;

typedef struct jg_vmedia jg_vmedia;
typedef struct jg_vstream jg_vstream;
typedef struct jg_vcascade jg_vcascade; /* cascade.c: the upper platforms */

/* An INVITE dialog for one stream (invite.c). The platform is the UAC: INVITE, ACK, BYE. */
enum { JG_DLG_CALLING = 0, JG_DLG_CONFIRMED = 1 };
typedef struct jg_vdialog {
    struct jg_vdialog *prev, *next;
    int state;
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    char call_id[128], from_tag[24], to_tag[80], branch[64];
    char target[160]; /* Request-URI of ACK and BYE: the 200's Contact, else the INVITE's */
    char to_hdr[128], from_hdr[128];
    long cseq;
    jg_buf wire; /* the INVITE, retransmitted over UDP until a response */
    jg_buf info; /* the INFO awaiting its response (info_cseq > 0), retransmitted over UDP */
    long info_cseq;
    int64_t info_next_us, info_interval_us, info_deadline_us;
    int64_t next_us, interval_us, deadline_us;
    jg_vstream *stream;
} jg_vdialog;

/* Send an INVITE for channel of device with the SDP offer body; the outcome arrives through
 * jg_vmedia_answered / jg_vmedia_failed. NULL (nothing sent) if the device is not online. */
jg_vdialog *jg_vinvite_start(jg_vsvc *svc, const char *device, const char *channel, const char *ssrc,
                             const char *sdp, jg_vstream *stream);
/* Send INFO with a MANSRTSP body (playback control) in the confirmed dialog dl; JG_CONFLICT while
 * it is still calling. */
jg_rc jg_vinvite_info(jg_vsvc *svc, jg_vdialog *dl, const char *mansrtsp);
/* Send BYE (or CANCEL while still calling) and free the dialog. */
void jg_vinvite_bye(jg_vsvc *svc, jg_vdialog *dl);
/* A response to one of our INVITEs: 1 if consumed. */
int jg_vinvite_on_response(jg_vsvc *svc, const osip_message_t *resp);
/* A BYE from a device: 1 if it ended one of our dialogs (answered 200). */
int jg_vinvite_on_bye(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer);
/* Retransmit INVITEs over UDP and time out the unanswered ones. */
void jg_vinvite_tick(jg_vsvc *svc);
/* Free every dialog (BYE sent for the confirmed ones). */
void jg_vinvite_close_all(jg_vsvc *svc);
/* Our IPv4 address as the device sees it (its REGISTER's destination), into out. */
void jg_vsvc_local_ip(const jg_vsvc *svc, const char *device, char *out, size_t outlen);

/* media.c: the media node inside the video process (HTTP-FLV listener, RTP receivers). */
typedef struct jg_vmh {
    int kind; /* JG_VH_MEDIA: first, as in every epoll handle of loop.c */
    int fd;
    void (*on_event)(struct jg_vmh *h, uint32_t events);
    void *owner;
} jg_vmh;
#define JG_VH_MEDIA 100

/* Open the media listener on cfg->video_media_listen, registering its sockets with ep.
 * JG_UNAVAILABLE if it cannot listen. */
jg_rc jg_vmedia_open(jg_vsvc *svc, int ep);
void jg_vmedia_close(jg_vsvc *svc);
/* Timers: idle streams, streams without RTP, waiting viewers. */
void jg_vmedia_tick(jg_vsvc *svc);
void jg_vmedia_answered(jg_vsvc *svc, jg_vstream *s, const jg_sdp_answer *a);
void jg_vmedia_failed(jg_vsvc *svc, jg_vstream *s, int code);
/* The final response (or 408) to a MESSAGE sent with notify: the control request waiting for it. */
void jg_vmedia_request_done(jg_vsvc *svc, const char *gb_id, int64_t sn, int code);
/* A RecordInfo reply from d: its records go to the platform API's query with the same SN. */
void jg_vmedia_records(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m);
/* A MediaStatus notification from d: 121 (the end of a file) ends the channel's playbacks. */
void jg_vmedia_media_status(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m);
/* The device ended the stream (BYE) or the dialog is gone. */
void jg_vmedia_ended(jg_vsvc *svc, jg_vstream *s);
/* The stream of device/channel for an upper platform's relay (opened over UDP if none runs): its
 * RTP packets go to jg_vcascade_relay_packet, its end to jg_vcascade_relay_gone. One relay per
 * stream; NULL if the device is not online or the stream is relayed already. */
jg_vstream *jg_vmedia_relay_open(jg_vsvc *svc, const char *device, const char *channel, void *relay);
/* The relay left s (BYE from the upper platform): it idles out like a stream without viewers. */
void jg_vmedia_relay_close(jg_vsvc *svc, jg_vstream *s);
/* Cloud recording (record.c): hold the live stream of device/channel for recorder rec (opened if
 * none runs; its frames go to jg_vrecord_frame, its end to jg_vrecord_gone). NULL if the device is
 * not online or the stream is recorded already. */
jg_vstream *jg_vmedia_record_open(jg_vsvc *svc, const char *device, const char *channel, void *rec);
void jg_vmedia_record_close(jg_vsvc *svc, jg_vstream *s);
typedef struct jg_vrecord jg_vrecord;
jg_vrecord *jg_vmedia_recorder(jg_vsvc *svc);
/* record.c */
jg_vrecord *jg_vrecord_new(jg_vsvc *svc);
void jg_vrecord_free(jg_vrecord *r);
void jg_vrecord_tick(jg_vrecord *r);
void jg_vrecord_sweep(jg_vrecord *r);
const char *jg_vrecord_root(const jg_vrecord *r);
void jg_vrecord_frame(jg_vsvc *svc, void *rec, const jg_frame *f);
void jg_vrecord_gone(jg_vsvc *svc, void *rec);
/* Rows (id, duration_ms, path, bytes) of the segments of device/channel overlapping [start, end). */
jg_rc jg_vrecord_segments(jg_vrecord *r, const char *device, const char *channel, long long start,
                          long long end, int64_t only_id, jg_rows **out);
/* cascade.c: an RTP packet of a relayed stream (its SSRC checked), and the stream's end. */
void jg_vcascade_relay_packet(jg_vsvc *svc, void *relay, const uint8_t *p, size_t n);
void jg_vcascade_relay_gone(jg_vsvc *svc, void *relay);

/* Sends len bytes to peer; the service's own sends UDP/TCP, tests capture. */
typedef void (*jg_vsend_fn)(jg_vsvc *svc, const jg_vpeer *peer, const char *data, size_t len);

struct jg_vsvc {
    const jg_config *cfg;
    jg_db *db;
    jg_vstore *store;
    jg_vsend_fn send;
    void *send_ud;
    unsigned char field_key[32];
    int have_field_key;
    unsigned char nonce_secret[JG_NONCE_SECRET_LEN];
    char realm[JG_GB_REALM_LEN + 1];
    char listen_host[64];
    int listen_port;
    jg_vtab devices;
    jg_vtab locks;
    jg_vtab txs;
    jg_vtx *tx_head, *tx_tail;
    size_t tx_count;
    int64_t sn;      /* MANSCDP SN and CSeq source */
    uint64_t serial; /* tags, branches, Call-IDs */
    int64_t now_us;  /* monotonic, set per event */
    int64_t last_scan_us, last_flush_us;
    char settings_at[32];     /* settings_at of the newest settings change read */
    int64_t events_window_us; /* auth_failed events: at most this many per second */
    int events_in_window;
    uint64_t stat_registers, stat_keepalives, stat_bad;
    jg_ssrc_pool ssrc_pool;
    jg_vdialog *dialogs;
    jg_vmedia *media;
    uint64_t stat_invites;
    jg_vcascade *cascade; /* NULL without video_upper */
};

/* Initialise svc over cfg and db (the writer is started, devices are loaded); field_key may be
 * NULL. JG_INVALID for a bad platform ID, JG_UNAVAILABLE if the devices cannot be read. */
jg_rc jg_vsvc_init(jg_vsvc *svc, const jg_config *cfg, jg_db *db, const unsigned char *field_key,
                   jg_vsend_fn send);
/* Flush, stop the writer, free. */
void jg_vsvc_exit(jg_vsvc *svc);
/* Handle one inbound message of len bytes from peer. Garbage is counted and dropped. */
void jg_vsvc_handle(jg_vsvc *svc, const char *data, size_t len, const jg_vpeer *peer);
/* Run the timers due at svc->now_us: retransmissions, keepalive and registration timeouts,
 * and every video_keepalive_flush_s the batched keepalive write and the settings poll. */
void jg_vsvc_tick(jg_vsvc *svc);
/* Queue the keepalive times not yet written. */
void jg_vsvc_flush_keepalives(jg_vsvc *svc);
/* A TCP connection is gone: forget it in the device that used it. */
void jg_vsvc_conn_closed(jg_vsvc *svc, jg_vconn *conn, const char *gb_id);

/* Helpers shared by the handlers (service.c). */
void jg_vsvc_respond(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer, int code,
                     osip_message_t **keep);
void jg_vsvc_send_msg(jg_vsvc *svc, const jg_vpeer *peer, osip_message_t *m);
void jg_vsvc_now_iso(char out[32]);
jg_vdev *jg_vsvc_device(jg_vsvc *svc, const char *gb_id);
/* A new device record for gb_id, in the table. */
jg_vdev *jg_vsvc_device_new(jg_vsvc *svc, const char *gb_id);
void jg_vsvc_device_online(jg_vsvc *svc, jg_vdev *d, const char *detail);
void jg_vsvc_device_offline(jg_vsvc *svc, jg_vdev *d, const char *reason, int unregistered);
void jg_vsvc_query(jg_vsvc *svc, jg_vdev *d, const char *cmd_type, int64_t *sn_out);
/* Send a MESSAGE with the MANSCDP body to device d, addressed to to_id (the device or one of its
 * channels), as a transaction retransmitted over UDP; what names it in the log, sn is its CSeq.
 * notify: its final response code (408 when none came) goes to jg_vmedia_request_done. */
jg_rc jg_vsvc_request(jg_vsvc *svc, jg_vdev *d, const char *to_id, const char *what, int64_t sn,
                      const char *body, size_t body_len, int notify);
void jg_vsvc_peer_of(const jg_vdev *d, jg_vpeer *peer);
/* The device was heard from now (keepalive or any MESSAGE). */
void jg_vsvc_alive(jg_vsvc *svc, jg_vdev *d);

/* registrar.c */
void jg_vreg_handle(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer);
/* Forget lockouts that have ended. */
void jg_vreg_expire_locks(jg_vsvc *svc);

/* catalog.c: MESSAGE with MANSCDP from a device. */
void jg_vmsg_handle(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer);
/* Start a catalog round for d (the first query). */
void jg_vmsg_catalog_start(jg_vsvc *svc, jg_vdev *d);
/* Ask again for catalogs that stopped arriving before SumNum; give up after JG_CATALOG_TRIES. */
void jg_vmsg_check_catalog(jg_vsvc *svc, jg_vdev *d);
/* Free what a catalog round holds (the ID set). */
void jg_vmsg_catalog_end(jg_vdev *d);

/* ---- cascade.c: this platform as a lower platform of upper platforms (video_upper) ---- */

/* One entry of video_upper: ID@HOST:PORT;password=P;expires=S;keepalive=S;share=all|table. */
typedef struct {
    char id[JG_GBID_LEN + 1];
    char host[64];
    int port;
    char password[65];
    long expires_s, keepalive_s;
    int share_all; /* every channel; else those in video_share for this ID */
} jg_vupper_cfg;

/* Parse video_upper into *out (n entries, free() it; it holds passwords). JG_INVALID with a
 * message in err for a malformed entry. "" or NULL: none. */
jg_rc jg_vcascade_parse(const char *spec, jg_vupper_cfg **out, int *n, char *err, size_t errlen);
/* Set up svc->cascade from cfg->video_upper (registrations start at the next tick). */
jg_rc jg_vcascade_init(jg_vsvc *svc);
/* Unregister (Expires: 0) where registered, free. */
void jg_vcascade_exit(jg_vsvc *svc);
/* REGISTER (and its retransmissions, refreshes, backoff) and keepalives due at svc->now_us. */
void jg_vcascade_tick(jg_vsvc *svc);
/* A response to one of our requests to an upper platform: 1 if consumed. */
int jg_vcascade_on_response(jg_vsvc *svc, const osip_message_t *resp);
/* A request from an upper platform (its ID, its address): 1 if handled. */
int jg_vcascade_on_request(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer);
/* 1 if registered at the upper platform upper_id now. */
int jg_vcascade_registered(const jg_vsvc *svc, const char *upper_id);
/* MANSCDP bodies a lower platform sends. */
jg_rc jg_manscdp_keepalive(jg_buf *out, int64_t sn, const char *device_id);
jg_rc jg_manscdp_catalog_response(jg_buf *out, int64_t sn, const char *device_id, int64_t sum,
                                  const jg_manscdp_item *items, int n);
jg_rc jg_manscdp_device_info_response(jg_buf *out, int64_t sn, const char *device_id, int channels);

/* The GB18030/UTF-8 choice stored in video_device.charset. */
jg_charset jg_vcharset_parse(const char *s);

#endif
