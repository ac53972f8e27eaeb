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

/* The last DeviceStatus of gb_id as JSON text (video_device.status_json). */
void jg_vstore_status(jg_vstore *s, const char *gb_id, const char *json, const char *at);
/* An Alarm notification of device gb_id (a video_alarm row). */
void jg_vstore_alarm(jg_vstore *s, const char *gb_id, const jg_manscdp_msg *m, const char *at);
/* A MobilePosition of device gb_id (for m->device_id): a video_position row (the newest
 * JG_POSITION_KEEP of each ID are kept) and the latest position on the device or channel. No-op
 * without a position. */
#define JG_POSITION_KEEP 1000
void jg_vstore_position(jg_vstore *s, const char *gb_id, const jg_manscdp_msg *m, const char *at);
/* The state of one of device gb_id's subscriptions (a video_subscription row): kind catalog, alarm
 * or position; state "active" (granted_s), "refused" (code, the SIP status), "unanswered",
 * "terminated" (by the device) or "failed" (not sent); failures in a row and retry_at when not
 * active. st NULL: the device's subscriptions ended (its rows go). */
typedef struct jg_vsub_state {
    const char *kind, *state, *retry_at;
    int code, failures;
    long granted_s;
} jg_vsub_state;
void jg_vstore_subscription(jg_vstore *s, const char *gb_id, const jg_vsub_state *st, const char *at);
/* Delete device events and alarms from before the UTC time before (ISO 8601), a batch at a time. */
void jg_vstore_purge(jg_vstore *s, const char *before);
/* A catalog notification's event (ON OFF VLOST DEFECT ADD DEL UPDATE) for channel of device gb_id:
 * the channel's status set to status (NULL: unchanged) and a video_event row channel_<event>. */
void jg_vstore_channel_event(jg_vstore *s, const char *gb_id, const char *channel, const char *event,
                             const char *status, const char *name, const char *at);

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

/* Subscriptions a device is sent (subscribe.c): Catalog, Alarm, MobilePosition. */
#define JG_VSUB_KINDS 3
struct jg_vsub;

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
    char media_transport[12];     /* video_device.media_transport: udp|tcp|tcp-active, "": the node's */
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
    struct jg_vsub *subs[JG_VSUB_KINDS]; /* subscribe.c: Catalog, Alarm, MobilePosition; NULL: none */
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
/* The dialog of a message by its Call-ID, or NULL. */
jg_vdialog *jg_vinvite_find(jg_vsvc *svc, const osip_message_t *m);
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
/* A MediaStatus notification from d: 121 (the end of a file) ends the playback of dl, the dialog
 * it was sent in; sent outside any dialog, it ends every playback of the channel it names. */
void jg_vmedia_media_status(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m, const jg_vdialog *dl);
/* The device ended the stream (BYE) or the dialog is gone. */
void jg_vmedia_ended(jg_vsvc *svc, jg_vstream *s);
/* The RTP transport (JG_RTP_*) of a new stream of device d (NULL: unknown): asked (a live URL's
 * transport=; NULL or "": none) wins, then d's media_transport, then video_media_transport. Anything
 * but tcp and tcp-active is UDP. Logged at debug. */
int jg_vmedia_transport_of(const jg_vsvc *svc, const jg_vdev *d, const char *asked);
/* The stream of device/channel for an upper platform's relay (opened with jg_vmedia_transport_of's
 * choice if none runs): its RTP packets go to jg_vcascade_relay_packet, its end to
 * jg_vcascade_relay_gone. One relay per
 * stream; NULL if the device is not online or the stream is relayed already. */
jg_vstream *jg_vmedia_relay_open(jg_vsvc *svc, const char *device, const char *channel, void *relay);
/* The relay left s (BYE from the upper platform): it idles out like a stream without viewers. */
void jg_vmedia_relay_close(jg_vsvc *svc, jg_vstream *s);
/* The playback (s=Playback over [start, end), Unix seconds) of device/channel for an upper platform's
 * relay, opened if none of that range runs; NULL as jg_vmedia_relay_open. */
jg_vstream *jg_vmedia_relay_playback_open(jg_vsvc *svc, const char *device, const char *channel,
                                          long long start, long long end, void *relay);
/* The same for s=Download of [start, end) at speed (a stream of its own, never shared). */
jg_vstream *jg_vmedia_relay_download_open(jg_vsvc *svc, const char *device, const char *channel,
                                          long long start, long long end, int speed, void *relay);
/* INFO with a MANSRTSP body in the device's dialog of the relayed playback s; JG_CONFLICT while the
 * device has not answered (or s is live). */
jg_rc jg_vmedia_relay_info(jg_vsvc *svc, jg_vstream *s, const char *mansrtsp);
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
    /* loop.c: a new outgoing SIP-over-TCP connection to addr (non-blocking connect; its input is
     * dispatched like an accepted one's), or NULL; NULL in unit tests. Cascade to upper platforms. */
    jg_vconn *(*connect)(jg_vsvc *svc, const struct sockaddr_in *addr);
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
    int64_t sn;                                         /* MANSCDP SN and CSeq source */
    uint64_t serial;                                    /* tags, branches, Call-IDs */
    int64_t now_us;                                     /* monotonic, set per event */
    int64_t last_scan_us, last_flush_us, last_purge_us; /* last_purge_us 0: at the first tick */
    char settings_at[32];                               /* settings_at of the newest settings change read */
    int64_t events_window_us;                           /* auth_failed events: at most this many per second */
    int events_in_window;
    uint64_t stat_registers, stat_keepalives, stat_bad;
    jg_ssrc_pool ssrc_pool;
    jg_vdialog *dialogs;
    jg_vmedia *media;
    uint64_t stat_invites;
    jg_vcascade *cascade; /* NULL without video_upper */
    /* subscribe.c: subscriptions started in the current second (JG_VSUB_STARTS_PER_S at most) */
    int64_t sub_window_us;
    int sub_started;
    /* nodes.c: media nodes (signalling) or heartbeats (media role) */
    struct jg_vnodes *nodes;
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

/* ---- subscribe.c: SUBSCRIBE dialogs to devices, NOTIFY ---- */

/* d registered afresh: send the configured subscriptions (video_subscribe) and a DeviceStatus query. */
void jg_vsub_registered(jg_vsvc *svc, jg_vdev *d);
/* Once a second per device: retransmit unanswered SUBSCRIBEs over UDP, refresh at 80% of Expires,
 * try failed ones again after JG_VSUB_RETRY_S (doubling with each failure in a row, at most an hour),
 * forget them when the registration is gone. */
#define JG_VSUB_RETRY_S 60
/* Devices registered before the process started (loaded from the database) are subscribed by this
 * check too, JG_VSUB_STARTS_PER_S subscriptions a second at most. */
#define JG_VSUB_STARTS_PER_S 2000
void jg_vsub_check(jg_vsvc *svc, jg_vdev *d);
/* A response to one of our SUBSCRIBEs: 1 if consumed. */
int jg_vsub_on_response(jg_vsvc *svc, const osip_message_t *resp);
/* A NOTIFY from d (accepted by catalog.c): Subscription-State terminated ends its subscription (it
 * is sent again after JG_VSUB_RETRY_S). */
void jg_vsub_notified(jg_vsvc *svc, jg_vdev *d, const osip_message_t *req);
/* Shutdown: un-SUBSCRIBE (Expires: 0) every active subscription and free them all. */
void jg_vsub_exit(jg_vsvc *svc);
/* How many subscriptions of d are active (tests). */
int jg_vsub_active(const jg_vdev *d);

/* ---- devcmd.c: device commands, DeviceStatus, alarms, positions ---- */

/* Send DeviceControl cmd (jg_manscdp_device_control's names) or "status" (a DeviceStatus query) to
 * target (a channel, or the device) of d: 0 with *sn (and *want_result: 1 when the device's
 * <Response> is awaited, 0 for reboot, answered by the SIP 200), 400 for an unknown cmd, 503 when it
 * could not be sent. */
int jg_vdevcmd_send(jg_vsvc *svc, jg_vdev *d, const char *target, const char *cmd, int64_t *sn,
                    int *want_result);
/* The DeviceStatus fields of m as JSON text (malloc'd; the caller frees it). */
char *jg_vdevcmd_status_json(const jg_manscdp_msg *m);
/* DeviceStatus and DeviceControl responses, Alarm and MobilePosition notifications from d: stored,
 * answered (Alarm), handed to the control request waiting (jg_vmedia_response). 1 if handled. */
int jg_vdevcmd_message(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m);
/* media.c: a <Response> (DeviceControl, DeviceStatus) for the control request with its SN. */
void jg_vmedia_response(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m);

/* ---- cascade.c: this platform as a lower platform of upper platforms (video_upper) ---- */

/* One entry of video_upper: ID@HOST:PORT;password=P;expires=S;keepalive=S;share=all|table. */
typedef struct {
    char id[JG_GBID_LEN + 1];
    char host[64];
    int port;
    char password[65];
    long expires_s, keepalive_s;
    int share_all; /* every channel; else those in video_share for this ID */
    int tcp;       /* transport=tcp: SIP over one kept TCP connection (RFC 3261 framing) */
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
/* A TCP connection closed: an upper platform's is reconnected at its next REGISTER (with backoff). */
void jg_vcascade_conn_closed(jg_vsvc *svc, jg_vconn *conn);
/* Unregister (Expires: 0) from every upper platform where registered, while connections are open. */
void jg_vcascade_unregister(jg_vsvc *svc);
/* 1 if registered at the upper platform upper_id now. */
int jg_vcascade_registered(const jg_vsvc *svc, const char *upper_id);
/* MANSCDP bodies a lower platform sends. */
jg_rc jg_manscdp_keepalive(jg_buf *out, int64_t sn, const char *device_id);
jg_rc jg_manscdp_catalog_response(jg_buf *out, int64_t sn, const char *device_id, int64_t sum,
                                  const jg_manscdp_item *items, int n);
jg_rc jg_manscdp_device_info_response(jg_buf *out, int64_t sn, const char *device_id, int channels);
/* A catalog <Notify> of n items, each with its <Event> (ON, OFF, DEL: the ID only; ADD: every field). */
jg_rc jg_manscdp_catalog_notify(jg_buf *out, int64_t sn, const char *device_id, const jg_manscdp_item *items,
                                int n);
/* A RecordInfo <Response> for device_id (the shared channel) with n of sum records, each under device_id. */
jg_rc jg_manscdp_record_response(jg_buf *out, int64_t sn, const char *device_id, const char *name,
                                 int64_t sum, const jg_manscdp_record *recs, int n);
/* A RecordInfo reply from d: 1 if it answers an upper platform's query (relayed there), else 0. */
int jg_vcascade_records(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m);
/* A DeviceControl <Response> from d: 1 if it answers an upper platform's DeviceControl (passed up). */
int jg_vcascade_control_answer(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m);
/* Device gb_id went online (1) or offline (0): NOTIFY ON/OFF to the uppers subscribed to the catalog
 * for its shared channels. */
void jg_vcascade_device_state(jg_vsvc *svc, const char *gb_id, int online);

/* ---- nodes.c, node_client.c: several media nodes (src/video/README.md, "Media nodes") ---- */

enum { JG_VROLE_ALL = 0, JG_VROLE_SIGNAL = 1, JG_VROLE_MEDIA = 2 };
#define JG_VNODE_ID_MAX 32
#define JG_VNODE_URL_MAX 200

/* A media node as the signalling service knows it (the embedded one is "local"). */
typedef struct {
    char id[JG_VNODE_ID_MAX + 1];
    char url[JG_VNODE_URL_MAX + 1]; /* base URL viewers (and the signalling service) reach it at */
    char rtp_ip[64];                /* where devices send RTP */
    char boot[24];                  /* the node process's random start ID: a new one is a restart */
    int64_t last_us;                /* monotonic time of its last heartbeat */
    int dead;                       /* silent for video_node_dead_s: its streams were moved */
    int streams;                    /* streams the signalling service placed on it (filled before a pick) */
    int pending;                    /* placements handed out whose stream has not opened yet */
    long rep_streams, viewers;      /* its last report */
    double bps, cpu;
} jg_vnode;

/* The least loaded live node of nodes[0..n): not dead, heard from within dead_us of now_us, not
 * named exclude (may be NULL); load = streams + pending, then bytes/s, then CPU, then order. Its
 * index, or -1 when none is live. */
int jg_vnode_pick(const jg_vnode *nodes, int n, int64_t now_us, int64_t dead_us, const char *exclude);
/* The role in cfg->video_role. */
int jg_vrole(const jg_config *cfg);
/* Set up svc->nodes after the media listener (ep: the loop's epoll). JG_INVALID for a media role
 * without video_node_id, video_node_url or video_signalling_url. */
jg_rc jg_vnodes_open(jg_vsvc *svc, int ep);
void jg_vnodes_close(jg_vsvc *svc);
/* Heartbeats (media role), dead nodes and their streams moved (signalling), requests timed out. */
void jg_vnodes_tick(jg_vsvc *svc);
/* Signalling: a heartbeat from a node (known from its first one); 0 (with a message) when its
 * parameters are not acceptable. */
int jg_vnodes_beat(jg_vsvc *svc, const char *id, const char *boot, const char *url, const char *rtp_ip,
                   long streams, long viewers, double bps, double cpu, const char **message);
/* Signalling: node id (with its boot ID) is stopping: its streams move now. 0 if unknown. */
int jg_vnodes_left(jg_vsvc *svc, const char *id, const char *boot);
/* Media role, at SIGTERM before the media node closes: streams ending now send no BYE request (the
 * signalling service moves them); jg_vnodes_close then tells it we leave (waiting 1 s at most). */
void jg_vnodes_stop(jg_vsvc *svc);
/* Signalling: the node table as JSON ({"role", "nodes": [...]}), a new reference (a json_t *). */
void *jg_vnodes_json(jg_vsvc *svc);
/* Signalling: the node id when it is live, else NULL. */
const jg_vnode *jg_vnodes_find(jg_vsvc *svc, const char *id);
/* Signalling: where the stream of device/channel (range: a playback's [start, end), else NULL) is or
 * goes: the node's base URL into url (a placement is reserved for a while). 0 when no node is live. */
int jg_vnodes_place(jg_vsvc *svc, const char *device, const char *channel, const long long *range, char *url,
                    size_t urllen, char *node, size_t nodelen);
/* Signalling: a stream of device/channel (range as above) opened (on node) or ended: placements forget
 * it. */
void jg_vnodes_placed(jg_vsvc *svc, const char *device, const char *channel, const long long *range);
/* The base URL of the embedded node: video_media_url, else http://video_media_listen. */
void jg_vnodes_local_url(const jg_vsvc *svc, char *out, size_t outlen);
/* Media role: ask the signalling service to INVITE device/channel (range: s=Playback of [start, end),
 * else NULL: live) to ip:port with ssrc; the answer goes to jg_vmedia_node_result(key, token). */
void jg_vnodes_invite(jg_vsvc *svc, const char *key, uint64_t token, const char *device, const char *channel,
                      const long long *range, const char *ip, int port, int tcp, const char *ssrc);
/* Media role: the stream of device/channel (range as above) ended here: the signalling service BYEs. */
void jg_vnodes_bye(jg_vsvc *svc, const char *device, const char *channel, const long long *range);
/* Media role: the base URL devices' RTP address is taken from (video_media_ip, else the node URL's host). */
void jg_vnodes_rtp_ip(const jg_vsvc *svc, char *out, size_t outlen);

/* The asynchronous HTTP client on the loop (node_client.c): GET base+target with "&exp=&sig="
 * appended (signed as a control request); cb gets the status (0: no answer) and the body; ctx is
 * copied. */
typedef void (*jg_vhttp_cb)(jg_vsvc *svc, const char *ctx, int status, const char *body);
void jg_vhttp_get(jg_vsvc *svc, const char *base, const char *target, const char *ctx, jg_vhttp_cb cb,
                  int timeout_ms);

/* media.c, for nodes.c */
/* The answer of the signalling service to a node's INVITE request (status 200: ssrc it settled on). */
void jg_vmedia_node_result(jg_vsvc *svc, const char *key, uint64_t token, int status, const char *ssrc);
/* Streams (here), their viewers and RTP bytes received so far. */
void jg_vmedia_load(jg_vsvc *svc, long *streams, long *viewers, uint64_t *bytes);
/* Signalling: streams placed on node id (proxies); local streams with id "local". */
int jg_vmedia_node_streams(jg_vsvc *svc, const char *id);
/* Signalling: the node holding device/channel's stream (range: a playback's, else NULL: live) (its
 * ID, "local" for the embedded one), or NULL. */
const char *jg_vmedia_stream_node(jg_vsvc *svc, const char *device, const char *channel,
                                  const long long *range);
/* Signalling: node id is dead: BYE to each of its streams; the live ones' device/channel into
 * devs/chans (at most max; tcp[] their transports). Their count. */
int jg_vmedia_node_lost(jg_vsvc *svc, const char *id, char (*devs)[JG_GBID_LEN + 1],
                        char (*chans)[JG_GBID_LEN + 1], int *tcp, int max);
/* Open device/channel here without a viewer (idles out after video_live_idle_s unless one comes). */
int jg_vmedia_open_held(jg_vsvc *svc, const char *device, const char *channel, int tcp);
/* Media role: streams the signalling service no longer holds for this node (keys, JSON array) end;
 * playbacks it lists in paused (JSON array of keys) are paused here (no RTP timeout), others not. */
void jg_vmedia_node_sync(jg_vsvc *svc, const void *keys_json, const void *paused_json);

/* The GB18030/UTF-8 choice stored in video_device.charset. */
jg_charset jg_vcharset_parse(const char *s);

#endif
