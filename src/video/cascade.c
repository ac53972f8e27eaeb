/* Cascade (级联): `jianguan video` as a lower platform of one or more upper platforms
 * (video_upper). For each: REGISTER with digest authentication (the 401 challenge answered),
 * refreshed before expiry; MANSCDP Keepalive every keepalive interval; a new registration with
 * backoff after a refusal, a lost registration (401/403/404 to a keepalive: the upper restarted)
 * or keepalives going unanswered. Requests from a registered upper (From = its ID, from its
 * address): Catalog queries answered with the channels shared with it (video_share, or every
 * channel with share=all) in chunks carrying SumNum, DeviceInfo, Keepalive; an INVITE for a
 * shared channel relayed: the device's stream (media.c, the same upstream as local viewers) hands
 * its RTP packets here, and they go to the address of the upper's SDP with its SSRC (RTP/PS over
 * UDP); BYE both ways. Runs on the event loop like the rest of service.c; the catalog answer and
 * an INVITE read the database on the loop (an upper asks rarely). */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "crypto/crypto.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <iconv.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <osipparser2/osip_port.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define T1_US 500000LL
#define T2_US 4000000LL
#define REG_TIMEOUT_US (64 * T1_US)
#define BACKOFF_MAX_S 300
#define KEEPALIVE_MISSES 3       /* keepalives unanswered in a row before registering again */
#define CATALOG_CHUNK 4          /* items per Catalog response MESSAGE: small UDP datagrams */
#define CATALOG_BURST 50         /* Catalog response MESSAGEs sent at once ... */
#define CATALOG_PACE_US 100000LL /* ... every 100 ms: 2,000 channels a second */

#define SUB_MAX_S 3600                   /* the longest catalog subscription granted */
#define RECORDS_WAIT_US (30 * 1000000LL) /* a relayed RecordInfo query is forgotten after this */

enum { UP_IDLE = 0, UP_REGISTERING = 1, UP_REGISTERED = 2 };

/* A request (NOTIFY, MESSAGE) sent over UDP and not answered yet: retransmitted (T1 doubling to T2)
 * for 32 s (RFC 3261 17.1.2). */
typedef struct jg_vpending {
    struct jg_vpending *next;
    long cseq;
    char *wire;
    size_t len;
    struct sockaddr_in dst;
    int64_t next_us, interval_us, deadline_us;
} jg_vpending;
/* requests awaiting an answer per list (a subscription's NOTIFYs, an upper's MESSAGEs); beyond, sent once */
#define PENDING_MAX 256

/* An upper platform's Catalog SUBSCRIBE (one per upper: a new one replaces it). We are the
 * notifier: NOTIFY in its dialog when a shared channel's device goes online or offline (ON/OFF)
 * and when video_share rows of the upper are added or removed (ADD/DEL). */
typedef struct {
    int active;
    char call_id[160];
    char from_hdr[256], to_hdr[256]; /* the upper's From, our To (with our tag): NOTIFY swaps them */
    char target[192];                /* the upper's Contact: the NOTIFY's Request-URI */
    char event[64];                  /* the Event header, echoed (Catalog;id=...) */
    struct sockaddr_in dst;          /* the SUBSCRIBE's source (the upper's address): NOTIFYs go there */
    int64_t expires_us;
    long cseq;
    int64_t next_poll_us;
    /* the shares seen at the last poll: their count and newest created_at, and the sorted IDs */
    int64_t share_count;
    char share_newest[40];
    char (*shared)[JG_GBID_LEN + 1];
    int nshared;
    uint64_t stat_notifies;
    jg_vpending *pending; /* UDP: NOTIFYs awaiting their answer */
    int npending;
    jg_manscdp_item *q; /* items waiting to be notified (paced: notify_pump) */
    int qn, qpos, qcap;
    int64_t q_next_us;
} jg_vcsub;

typedef struct jg_vupper {
    jg_vupper_cfg c;
    struct sockaddr_in addr;
    char local_ip[64]; /* our address as the upper sees it (the port is the SIP listener's) */
    int state;
    char call_id[96], from_tag[24];
    long cseq;
    int64_t next_reg_us;    /* when to send the next REGISTER (UP_IDLE or refresh) */
    int64_t reg_expires_us; /* end of the current registration */
    int failures;           /* refusals and timeouts in a row: the backoff */
    /* the REGISTER in flight: its CSeq, wire form (retransmitted), timers */
    long reg_cseq;
    jg_buf reg_wire;
    int64_t reg_next_us, reg_interval_us, reg_deadline_us;
    int reg_auth_sent; /* the REGISTER in flight answered a challenge */
    int challenges;    /* 401s met since the last success */
    /* the last challenge */
    char realm[64], nonce[128], opaque[128], qop[16];
    unsigned long nc;
    /* keepalives */
    int64_t next_keepalive_us;
    long keepalive_cseq; /* in flight, 0 when answered */
    int keepalive_misses;
    uint64_t stat_keepalives, stat_registers, stat_catalogs;
    jg_vcsub sub;
    jg_vconn *conn; /* transport=tcp: the connection (loop.c owns it), NULL until the next send */
    /* the catalog answer being sent, paced (catalog_pump) */
    jg_manscdp_item *cat_items;
    int cat_n, cat_pos;
    int64_t cat_sn, cat_next_us;
    jg_vpending *msgs; /* UDP: MESSAGEs (answers, catalog chunks) awaiting their 200 */
    int nmsgs;
} jg_vupper;

/* A RecordInfo query of an upper relayed to the device under our own SN: the device's answers
 * go back under the upper's SN with the shared channel's ID. */
typedef struct jg_vrecq {
    struct jg_vrecq *next;
    jg_vupper *u;
    int64_t sn, upper_sn;
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    struct sockaddr_in dst; /* where the query came from: the answers go there */
    int64_t deadline_us;
    int control; /* a DeviceControl (sent as the upper wrote it: sn is the upper's), else RecordInfo */
} jg_vrecq;

/* An upper platform's INVITE for a shared channel: we are its UAS; the device's stream (media.c)
 * hands us its RTP packets, which go to the address of the upper's SDP with its SSRC. */
typedef struct jg_vrelay {
    struct jg_vrelay *next;
    jg_vupper *u;
    char call_id[160];
    char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
    char from_hdr[256], to_hdr[256]; /* the upper's From, our To (with our tag): BYE swaps them */
    char target[192];                /* the upper's Contact: our BYE's Request-URI */
    uint32_t ssrc;                   /* the upper's y=, 0: the device's kept */
    struct sockaddr_in dst;
    int fd;
    int tcp;       /* RFC 4571 frames over TCP: we connect to the upper, or it connects to us */
    int lfd;       /* the upper connects (its a=setup:active): our listener until then, else -1 */
    uint8_t *pend; /* TCP: the frame not yet written in full (frames are dropped whole) */
    size_t pend_len, pend_off;
    uint64_t dropped;
    jg_vstream *stream;
    long cseq;
    uint64_t packets;
    int playback; /* s=Playback or s=Download: the device's recordings; INFO (MANSRTSP) is passed on */
    struct sockaddr_in sig; /* the INVITE's source: our BYE and MediaStatus go there */
    /* UDP: our 200, retransmitted (T1 doubling to T2) until the ACK, for 32 s (RFC 3261 13.3.1.4) */
    char *ok_wire;
    size_t ok_len;
    int64_t ok_next_us, ok_interval_us, ok_deadline_us;
} jg_vrelay;

struct jg_vcascade {
    jg_vupper *uppers;
    int n;
    jg_vrelay *relays;
    jg_vrecq *recqs;
};

static void cascade_timers(jg_vsvc *svc);
static void sub_free(jg_vcsub *s);

/* ---- configuration ---- */

static int parse_long(const char *s, long lo, long hi, long *out)
{
    int64_t v;
    if (jg_parse_int64(s, lo, hi, &v) != JG_OK)
        return 0;
    *out = (long)v;
    return 1;
}

jg_rc jg_vcascade_parse(const char *spec, jg_vupper_cfg **out, int *n, char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    err[0] = '\0';
    if (spec == NULL)
        return JG_OK;
    char *copy = jg_xstrdup(spec), *save = NULL;
    jg_vupper_cfg *v = NULL;
    int count = 0;
    jg_rc rc = JG_OK;
    for (char *e = strtok_r(copy, ", \t\n", &save); e != NULL; e = strtok_r(NULL, ", \t\n", &save)) {
        jg_vupper_cfg u;
        memset(&u, 0, sizeof(u));
        u.expires_s = 3600;
        u.keepalive_s = 60;
        char *psave = NULL, *head = strtok_r(e, ";", &psave);
        char *at = head != NULL ? strchr(head, '@') : NULL;
        char *colon = at != NULL ? strrchr(at, ':') : NULL;
        long port = 0;
        if (at == NULL || colon == NULL || (size_t)(at - head) != JG_GBID_LEN ||
            (size_t)(colon - at - 1) >= sizeof(u.host) || colon == at + 1 ||
            !parse_long(colon + 1, 1, 65535, &port)) {
            snprintf(err, errlen, "video_upper: an entry must be ID@HOST:PORT (20-digit ID)");
            rc = JG_INVALID;
            break;
        }
        snprintf(u.id, sizeof(u.id), "%.*s", JG_GBID_LEN, head);
        snprintf(u.host, sizeof(u.host), "%.*s", (int)(colon - at - 1), at + 1);
        u.port = (int)port;
        if (!jg_gbid_valid(u.id)) {
            snprintf(err, errlen, "video_upper: %s is not a 20-digit GB ID", u.id);
            rc = JG_INVALID;
            break;
        }
        for (char *p = strtok_r(NULL, ";", &psave); p != NULL && rc == JG_OK;
             p = strtok_r(NULL, ";", &psave)) {
            char *eq = strchr(p, '=');
            if (eq == NULL) {
                rc = JG_INVALID;
                break;
            }
            *eq = '\0';
            const char *val = eq + 1;
            if (strcmp(p, "password") == 0 && strlen(val) < sizeof(u.password))
                snprintf(u.password, sizeof(u.password), "%s", val);
            else if (strcmp(p, "expires") == 0 && parse_long(val, 60, 86400, &u.expires_s))
                ;
            else if (strcmp(p, "keepalive") == 0 && parse_long(val, 1, 3600, &u.keepalive_s))
                ;
            else if (strcmp(p, "share") == 0 && (strcmp(val, "all") == 0 || strcmp(val, "table") == 0))
                u.share_all = strcmp(val, "all") == 0;
            else if (strcmp(p, "transport") == 0 &&
                     (strcasecmp(val, "udp") == 0 || strcasecmp(val, "tcp") == 0))
                u.tcp = strcasecmp(val, "tcp") == 0;
            else
                rc = JG_INVALID;
        }
        if (rc != JG_OK) {
            snprintf(err, errlen,
                     "video_upper: %s: parameters are password=, expires=60..86400, keepalive=1..3600, "
                     "share=all|table, transport=udp|tcp",
                     u.id);
            break;
        }
        v = jg_xrealloc(v, (size_t)(count + 1) * sizeof(*v));
        v[count++] = u;
    }
    OPENSSL_cleanse(copy, strlen(spec));
    free(copy);
    if (rc != JG_OK) {
        if (v != NULL)
            OPENSSL_cleanse(v, (size_t)count * sizeof(*v));
        free(v);
        return rc;
    }
    *out = v;
    *n = count;
    return JG_OK;
}

/* ---- MANSCDP bodies ---- */

jg_rc jg_manscdp_keepalive(jg_buf *out, int64_t sn, const char *device_id)
{
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Notify>\r\n"
                         "<CmdType>Keepalive</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "<Status>OK</Status>\r\n"
                         "</Notify>\r\n",
                         (long long)sn, device_id);
}

/* One catalog <Item>: every field, or (a notification of ON, OFF, DEL ...) the ID and <Event>. */
static void put_item(jg_buf *out, const jg_manscdp_item *it)
{
    jg_buf_puts(out, "<Item>\r\n<DeviceID>");
    jg_buf_put_markup(out, it->device_id);
    jg_buf_puts(out, "</DeviceID>\r\n");
    if (it->event[0] != '\0') {
        jg_buf_puts(out, "<Event>");
        jg_buf_put_markup(out, it->event);
        jg_buf_puts(out, "</Event>\r\n");
        if (strcmp(it->event, "ADD") != 0 && strcmp(it->event, "UPDATE") != 0) {
            jg_buf_puts(out, "</Item>\r\n");
            return;
        }
    }
    jg_buf_puts(out, "<Name>");
    jg_buf_put_markup(out, it->name);
    jg_buf_puts(out, "</Name>\r\n<Manufacturer>");
    jg_buf_put_markup(out, it->manufacturer);
    jg_buf_puts(out, "</Manufacturer>\r\n<Model>");
    jg_buf_put_markup(out, it->model);
    jg_buf_puts(out, "</Model>\r\n<Owner>");
    jg_buf_put_markup(out, it->owner);
    jg_buf_puts(out, "</Owner>\r\n<CivilCode>");
    jg_buf_put_markup(out, it->civil_code);
    jg_buf_puts(out, "</CivilCode>\r\n<Address>");
    jg_buf_put_markup(out, it->address);
    jg_buf_printf(out, "</Address>\r\n<Parental>%d</Parental>\r\n<ParentID>", it->parental);
    jg_buf_put_markup(out, it->parent_id);
    jg_buf_puts(out, "</ParentID>\r\n<SafetyWay>0</SafetyWay>\r\n<RegisterWay>1</RegisterWay>\r\n"
                     "<Secrecy>0</Secrecy>\r\n<Status>");
    jg_buf_put_markup(out, it->status[0] != '\0' ? it->status : "ON");
    jg_buf_puts(out, "</Status>\r\n");
    if (it->has_position)
        jg_buf_printf(out, "<Longitude>%.6f</Longitude>\r\n<Latitude>%.6f</Latitude>\r\n", it->longitude,
                      it->latitude);
    if (it->ptz_type > 0)
        jg_buf_printf(out, "<Info>\r\n<PTZType>%d</PTZType>\r\n</Info>\r\n", it->ptz_type);
    jg_buf_puts(out, "</Item>\r\n");
}

static jg_rc catalog_body(jg_buf *out, const char *root, int64_t sn, const char *device_id, int64_t sum,
                          const jg_manscdp_item *items, int n)
{
    jg_buf_printf(out,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
                  "<%s>\r\n"
                  "<CmdType>Catalog</CmdType>\r\n"
                  "<SN>%lld</SN>\r\n"
                  "<DeviceID>%s</DeviceID>\r\n"
                  "<SumNum>%lld</SumNum>\r\n"
                  "<DeviceList Num=\"%d\">\r\n",
                  root, (long long)sn, device_id, (long long)sum, n);
    for (int i = 0; i < n; i++)
        put_item(out, &items[i]);
    return jg_buf_printf(out, "</DeviceList>\r\n</%s>\r\n", root);
}

jg_rc jg_manscdp_catalog_response(jg_buf *out, int64_t sn, const char *device_id, int64_t sum,
                                  const jg_manscdp_item *items, int n)
{
    return catalog_body(out, "Response", sn, device_id, sum, items, n);
}

jg_rc jg_manscdp_catalog_notify(jg_buf *out, int64_t sn, const char *device_id, const jg_manscdp_item *items,
                                int n)
{
    return catalog_body(out, "Notify", sn, device_id, n, items, n);
}

jg_rc jg_manscdp_record_response(jg_buf *out, int64_t sn, const char *device_id, const char *name,
                                 int64_t sum, const jg_manscdp_record *recs, int n)
{
    jg_buf_printf(out,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
                  "<Response>\r\n"
                  "<CmdType>RecordInfo</CmdType>\r\n"
                  "<SN>%lld</SN>\r\n"
                  "<DeviceID>%s</DeviceID>\r\n"
                  "<Name>",
                  (long long)sn, device_id);
    jg_buf_put_markup(out, name);
    jg_buf_printf(out, "</Name>\r\n<SumNum>%lld</SumNum>\r\n<RecordList Num=\"%d\">\r\n", (long long)sum, n);
    for (int i = 0; i < n; i++) {
        const jg_manscdp_record *r = &recs[i];
        jg_buf_printf(out, "<Item>\r\n<DeviceID>%s</DeviceID>\r\n<Name>", device_id);
        jg_buf_put_markup(out, r->name);
        jg_buf_puts(out, "</Name>\r\n<FilePath>");
        jg_buf_put_markup(out, r->file_path);
        jg_buf_puts(out, "</FilePath>\r\n<Address>");
        jg_buf_put_markup(out, r->address);
        jg_buf_puts(out, "</Address>\r\n<StartTime>");
        jg_buf_put_markup(out, r->start_time);
        jg_buf_puts(out, "</StartTime>\r\n<EndTime>");
        jg_buf_put_markup(out, r->end_time);
        jg_buf_printf(out, "</EndTime>\r\n<Secrecy>%d</Secrecy>\r\n<Type>", r->secrecy);
        jg_buf_put_markup(out, r->type[0] != '\0' ? r->type : "time");
        jg_buf_puts(out, "</Type>\r\n");
        if (r->file_size >= 0)
            jg_buf_printf(out, "<FileSize>%lld</FileSize>\r\n", (long long)r->file_size);
        jg_buf_puts(out, "</Item>\r\n");
    }
    return jg_buf_puts(out, "</RecordList>\r\n</Response>\r\n");
}

jg_rc jg_manscdp_device_info_response(jg_buf *out, int64_t sn, const char *device_id, int channels)
{
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Response>\r\n"
                         "<CmdType>DeviceInfo</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "<DeviceName>jianguan</DeviceName>\r\n"
                         "<Result>OK</Result>\r\n"
                         "<Manufacturer>jianguan</Manufacturer>\r\n"
                         "<Model>jianguan video</Model>\r\n"
                         "<Firmware>1</Firmware>\r\n"
                         "<Channel>%d</Channel>\r\n"
                         "</Response>\r\n",
                         (long long)sn, device_id, channels);
}

/* ---- requests to an upper platform ---- */

/* Send to u: over its TCP connection (opened when there is none; a failed connection is noticed by
 * the REGISTER's timeout or the connection's end), or over UDP to addr. */
static void send_to_addr(jg_vsvc *svc, jg_vupper *u, const struct sockaddr_in *addr, const char *data,
                         size_t len)
{
    jg_vpeer peer;
    memset(&peer, 0, sizeof(peer));
    peer.transport = JG_VT_UDP;
    peer.addr = *addr;
    if (u->c.tcp) {
        if (u->conn == NULL && svc->connect != NULL) {
            u->conn = svc->connect(svc, &u->addr);
            jg_info("video: cascade: %s a TCP connection to upper platform %s",
                    u->conn != NULL ? "opening" : "cannot open", u->c.id);
        }
        if (u->conn == NULL)
            return;
        peer.transport = JG_VT_TCP;
        peer.addr = u->addr;
        peer.conn = u->conn;
    }
    svc->send(svc, &peer, data, len);
}

static void send_to(jg_vsvc *svc, jg_vupper *u, const char *data, size_t len)
{
    send_to_addr(svc, u, &u->addr, data, len);
}

static void branch_of(jg_vsvc *svc, char *out, size_t outlen)
{
    unsigned char rnd[6];
    char hex[13];
    if (jg_crypto_random(rnd, sizeof(rnd)) != JG_OK)
        memset(rnd, 0, sizeof(rnd));
    jg_crypto_hex_encode(rnd, sizeof(rnd), hex);
    snprintf(out, outlen, "z9hG4bK%s%llx", hex, (unsigned long long)++svc->serial);
}

/* A request to u from our platform ID: REGISTER or MESSAGE. call_id NULL: a new one. */
static jg_rc build_request(jg_vsvc *svc, jg_vupper *u, const char *method, const char *call_id, long cseq,
                           const char *body, size_t body_len, osip_message_t **m)
{
    char uri[128], via[192], from[128], to[128], cid[128], branch[48];
    snprintf(uri, sizeof(uri), "sip:%s@%s:%d", u->c.id, u->c.host, u->c.port);
    branch_of(svc, branch, sizeof(branch));
    snprintf(via, sizeof(via), "SIP/2.0/%s %s:%d;rport;branch=%s", u->c.tcp ? "TCP" : "UDP", u->local_ip,
             svc->listen_port, branch);
    snprintf(from, sizeof(from), "<sip:%s@%s>;tag=%s", svc->cfg->video_sip_id, svc->realm, u->from_tag);
    if (strcmp(method, "REGISTER") == 0)
        snprintf(to, sizeof(to), "<sip:%s@%s>", svc->cfg->video_sip_id, svc->realm);
    else
        snprintf(to, sizeof(to), "<sip:%s@%.10s>", u->c.id, u->c.id);
    if (call_id != NULL)
        snprintf(cid, sizeof(cid), "%s", call_id);
    else
        snprintf(cid, sizeof(cid), "%s-%llx", u->call_id, (unsigned long long)++svc->serial);
    jg_sip_request_args a = {method, uri,     from, to,
                             cid,    cseq,    via,  body != NULL ? "Application/MANSCDP+xml" : NULL,
                             body,   body_len};
    return jg_sip_request(&a, m);
}

static void backoff(jg_vsvc *svc, jg_vupper *u, const char *why)
{
    u->failures++;
    int64_t s = 5LL << (u->failures < 7 ? u->failures - 1 : 6);
    if (s > BACKOFF_MAX_S)
        s = BACKOFF_MAX_S;
    if (u->state == UP_REGISTERED)
        jg_info("video: cascade: registration at upper platform %s lost (%s)", u->c.id, why);
    else
        jg_warn("video: cascade: upper platform %s: %s; registering again in %lld s", u->c.id, why,
                (long long)s);
    u->state = UP_IDLE;
    u->challenges = 0;
    u->reg_cseq = 0;
    u->keepalive_cseq = 0;
    u->next_reg_us = svc->now_us + s * 1000000;
}

static void send_register(jg_vsvc *svc, jg_vupper *u, int with_auth)
{
    osip_message_t *m = NULL;
    long cseq = ++u->cseq;
    if (build_request(svc, u, "REGISTER", u->call_id, cseq, NULL, 0, &m) != JG_OK) {
        backoff(svc, u, "cannot build a REGISTER");
        return;
    }
    char contact[160], expires[16];
    snprintf(contact, sizeof(contact), "<sip:%s@%s:%d>", svc->cfg->video_sip_id, u->local_ip,
             svc->listen_port);
    snprintf(expires, sizeof(expires), "%ld", u->c.expires_s);
    osip_message_set_contact(m, contact);
    osip_message_set_expires(m, expires);
    u->reg_auth_sent = 0;
    if (with_auth && u->nonce[0] != '\0') {
        char uri[128], resp[JG_DIGEST_HEX_LEN + 1], nc[16], cnonce[17];
        unsigned char rnd[8];
        if (jg_crypto_random(rnd, sizeof(rnd)) != JG_OK)
            memset(rnd, 0, sizeof(rnd));
        jg_crypto_hex_encode(rnd, sizeof(rnd), cnonce);
        snprintf(uri, sizeof(uri), "sip:%s@%s:%d", u->c.id, u->c.host, u->c.port);
        snprintf(nc, sizeof(nc), "%08lx", ++u->nc);
        const char *qop = u->qop[0] != '\0' ? "auth" : NULL;
        if (jg_digest_response(svc->cfg->video_sip_id, u->realm, u->c.password, "REGISTER", uri, u->nonce, nc,
                               cnonce, qop, resp) == JG_OK) {
            char auth[768];
            int k =
                snprintf(auth, sizeof(auth),
                         "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\", "
                         "algorithm=MD5",
                         svc->cfg->video_sip_id, u->realm, u->nonce, uri, resp);
            if (qop != NULL)
                k += snprintf(auth + k, sizeof(auth) - (size_t)k, ", qop=auth, nc=%s, cnonce=\"%s\"", nc,
                              cnonce);
            if (u->opaque[0] != '\0')
                snprintf(auth + k, sizeof(auth) - (size_t)k, ", opaque=\"%s\"", u->opaque);
            osip_message_set_authorization(m, auth);
            u->reg_auth_sent = 1;
        }
    }
    u->reg_wire.len = 0;
    jg_rc rc = jg_sip_serialize(m, &u->reg_wire);
    osip_message_free(m);
    if (rc != JG_OK) {
        backoff(svc, u, "cannot serialise a REGISTER");
        return;
    }
    send_to(svc, u, u->reg_wire.data, u->reg_wire.len);
    u->stat_registers++;
    u->reg_cseq = cseq;
    u->reg_interval_us = T1_US;
    u->reg_next_us = svc->now_us + T1_US;
    u->reg_deadline_us = svc->now_us + REG_TIMEOUT_US;
    if (u->state == UP_IDLE)
        u->state = UP_REGISTERING;
}

/* ---- requests awaiting their answer over UDP ---- */

/* Keep the request (its CSeq and wire form, sent to dst) in *list for retransmission, unless the
 * list holds PENDING_MAX already (then it was sent once). */
static void pending_add(jg_vsvc *svc, jg_vpending **list, int *n, long cseq, const jg_buf *wire,
                        const struct sockaddr_in *dst)
{
    if (*n >= PENDING_MAX)
        return;
    jg_vpending *p = jg_xcalloc(1, sizeof(*p));
    p->cseq = cseq;
    p->wire = jg_xstrndup(wire->data, wire->len);
    p->len = wire->len;
    p->dst = *dst;
    p->interval_us = T1_US;
    p->next_us = svc->now_us + T1_US;
    p->deadline_us = svc->now_us + REG_TIMEOUT_US;
    p->next = *list;
    *list = p;
    (*n)++;
}

/* A final answer to cseq: its request leaves the list. */
static void pending_answered(jg_vpending **list, int *n, long cseq)
{
    for (jg_vpending **pp = list; *pp != NULL; pp = &(*pp)->next) {
        if ((*pp)->cseq == cseq) {
            jg_vpending *p = *pp;
            *pp = p->next;
            (*n)--;
            free(p->wire);
            free(p);
            return;
        }
    }
}

/* Send again what is due (T1 doubling to T2); drop what is past its deadline, logged as what. */
static void pending_tick(jg_vsvc *svc, jg_vupper *u, jg_vpending **list, int *n, const char *what)
{
    for (jg_vpending **pp = list; *pp != NULL;) {
        jg_vpending *p = *pp;
        if (svc->now_us >= p->deadline_us) {
            jg_info("video: cascade: %s %ld to upper platform %s never answered", what, p->cseq, u->c.id);
            *pp = p->next;
            (*n)--;
            free(p->wire);
            free(p);
            continue;
        }
        if (svc->now_us >= p->next_us) {
            send_to_addr(svc, u, &p->dst, p->wire, p->len);
            p->interval_us = p->interval_us * 2 < T2_US ? p->interval_us * 2 : T2_US;
            p->next_us = svc->now_us + p->interval_us;
        }
        pp = &p->next;
    }
}

static void pending_free(jg_vpending **list, int *n)
{
    while (*list != NULL) {
        jg_vpending *p = *list;
        *list = p->next;
        free(p->wire);
        free(p);
    }
    *n = 0;
}

/* A MESSAGE to u at dst (the source of the request it answers; NULL: u's address). Over UDP it is
 * sent again until answered, but for keepalives (cseq_out set), which count their own misses. */
static void send_message_to(jg_vsvc *svc, jg_vupper *u, const struct sockaddr_in *dst, const char *body,
                            size_t len, long *cseq_out)
{
    long cseq = ++u->cseq;
    osip_message_t *m = NULL;
    if (build_request(svc, u, "MESSAGE", NULL, cseq, body, len, &m) != JG_OK)
        return;
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    if (jg_sip_serialize(m, &b) == JG_OK) {
        send_to_addr(svc, u, dst != NULL ? dst : &u->addr, b.data, b.len);
        if (cseq_out != NULL)
            *cseq_out = cseq;
        else if (!u->c.tcp)
            pending_add(svc, &u->msgs, &u->nmsgs, cseq, &b, dst != NULL ? dst : &u->addr);
    }
    jg_buf_free(&b);
    osip_message_free(m);
}

static void send_message(jg_vsvc *svc, jg_vupper *u, const char *body, size_t len, long *cseq_out)
{
    send_message_to(svc, u, NULL, body, len, cseq_out);
}

/* ---- life cycle ---- */

/* Resolve host (a name or an IPv4 address) into addr, and find our address toward it. */
static int resolve(jg_vsvc *svc, jg_vupper *u)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    char port[8];
    snprintf(port, sizeof(port), "%d", u->c.port);
    if (getaddrinfo(u->c.host, port, &hints, &res) != 0 || res == NULL)
        return 0;
    memcpy(&u->addr, res->ai_addr, sizeof(u->addr));
    freeaddrinfo(res);
    char ip[64] = "";
    if (strcmp(svc->listen_host, "0.0.0.0") != 0) {
        snprintf(ip, sizeof(ip), "%s", svc->listen_host);
    } else {
        /* The source address the kernel would pick toward the upper platform. */
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in me;
        socklen_t len = sizeof(me);
        if (fd >= 0 && connect(fd, (const struct sockaddr *)&u->addr, sizeof(u->addr)) == 0 &&
            getsockname(fd, (struct sockaddr *)&me, &len) == 0)
            inet_ntop(AF_INET, &me.sin_addr, ip, sizeof(ip));
        if (fd >= 0)
            close(fd);
        if (ip[0] == '\0')
            snprintf(ip, sizeof(ip), "127.0.0.1");
    }
    snprintf(u->local_ip, sizeof(u->local_ip), "%s", ip);
    return 1;
}

jg_rc jg_vcascade_init(jg_vsvc *svc)
{
    svc->cascade = NULL;
    jg_vupper_cfg *cfgs = NULL;
    int n = 0;
    char err[256];
    jg_rc rc = jg_vcascade_parse(svc->cfg->video_upper, &cfgs, &n, err, sizeof(err));
    if (rc != JG_OK) {
        jg_error("%s", err);
        return rc;
    }
    if (n == 0)
        return JG_OK;
    jg_vcascade *c = jg_xcalloc(1, sizeof(*c));
    c->uppers = jg_xcalloc((size_t)n, sizeof(*c->uppers));
    c->n = n;
    svc->cascade = c;
    for (int i = 0; i < n; i++) {
        jg_vupper *u = &c->uppers[i];
        u->c = cfgs[i];
        jg_buf_init(&u->reg_wire, JG_SIP_MAX_MESSAGE);
        unsigned char rnd[8];
        char hex[17];
        if (jg_crypto_random(rnd, sizeof(rnd)) != JG_OK)
            memset(rnd, 0, sizeof(rnd));
        jg_crypto_hex_encode(rnd, sizeof(rnd), hex);
        snprintf(u->from_tag, sizeof(u->from_tag), "%.12s", hex);
        if (!resolve(svc, u)) {
            jg_error("video_upper: cannot resolve %s", u->c.host);
            OPENSSL_cleanse(cfgs, (size_t)n * sizeof(*cfgs));
            free(cfgs);
            jg_vcascade_exit(svc);
            return JG_INVALID;
        }
        char ip[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &u->addr.sin_addr, ip, sizeof(ip));
        snprintf(u->call_id, sizeof(u->call_id), "casc%s@%s", hex, ip);
        u->next_reg_us = svc->now_us;
        jg_info("video: cascade: upper platform %s at %s:%d (expires %ld s, keepalive %ld s, share %s)",
                u->c.id, ip, u->c.port, u->c.expires_s, u->c.keepalive_s, u->c.share_all ? "all" : "table");
    }
    OPENSSL_cleanse(cfgs, (size_t)n * sizeof(*cfgs));
    free(cfgs);
    return JG_OK;
}

static void relay_free(jg_vcascade *c, jg_vrelay *r)
{
    for (jg_vrelay **p = &c->relays; *p != NULL; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            break;
        }
    }
    if (r->fd >= 0)
        close(r->fd);
    if (r->lfd >= 0)
        close(r->lfd);
    free(r->pend);
    free(r->ok_wire);
    free(r);
}

void jg_vcascade_unregister(jg_vsvc *svc)
{
    jg_vcascade *c = svc->cascade;
    for (int i = 0; c != NULL && i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        if (u->state == UP_REGISTERED && svc->send != NULL) {
            long keep = u->c.expires_s;
            u->c.expires_s = 0; /* unregister */
            send_register(svc, u, 1);
            u->c.expires_s = keep;
            u->state = UP_IDLE;
            u->reg_cseq = 0;
        }
    }
}

void jg_vcascade_conn_closed(jg_vsvc *svc, jg_vconn *conn)
{
    jg_vcascade *c = svc->cascade;
    for (int i = 0; c != NULL && i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        if (u->conn != conn)
            continue;
        u->conn = NULL;
        if (u->state != UP_IDLE || u->reg_cseq != 0) {
            u->reg_cseq = 0;
            backoff(svc, u, "its TCP connection closed");
        }
    }
}

void jg_vcascade_exit(jg_vsvc *svc)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL)
        return;
    while (c->relays != NULL) {
        if (c->relays->stream != NULL)
            jg_vmedia_relay_close(svc, c->relays->stream);
        relay_free(c, c->relays);
    }
    while (c->recqs != NULL) {
        jg_vrecq *q = c->recqs;
        c->recqs = q->next;
        free(q);
    }
    jg_vcascade_unregister(svc);
    for (int i = 0; i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        jg_buf_free(&u->reg_wire);
        sub_free(&u->sub);
        pending_free(&u->msgs, &u->nmsgs);
        free(u->cat_items);
        OPENSSL_cleanse(&u->c, sizeof(u->c));
    }
    free(c->uppers);
    free(c);
    svc->cascade = NULL;
}

void jg_vcascade_tick(jg_vsvc *svc)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL)
        return;
    cascade_timers(svc);
    for (int i = 0; i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        if (u->reg_cseq != 0) { /* a REGISTER in flight */
            if (svc->now_us >= u->reg_deadline_us) {
                backoff(svc, u, "no answer to REGISTER");
            } else if (svc->now_us >= u->reg_next_us && !u->c.tcp) { /* TCP: no retransmission */
                send_to(svc, u, u->reg_wire.data, u->reg_wire.len);
                u->reg_interval_us = u->reg_interval_us * 2 < T2_US ? u->reg_interval_us * 2 : T2_US;
                u->reg_next_us = svc->now_us + u->reg_interval_us;
            }
            continue;
        }
        if (u->state == UP_REGISTERED && svc->now_us >= u->reg_expires_us) {
            backoff(svc, u, "registration expired");
            continue;
        }
        if (svc->now_us >= u->next_reg_us) {
            send_register(svc, u, u->state == UP_REGISTERED); /* a refresh reuses the last challenge */
            continue;
        }
        if (u->state == UP_REGISTERED && svc->now_us >= u->next_keepalive_us) {
            if (u->keepalive_cseq != 0 && ++u->keepalive_misses >= KEEPALIVE_MISSES) {
                u->failures = 0;
                backoff(svc, u, "keepalives unanswered");
                continue;
            }
            jg_buf b;
            jg_buf_init(&b, 4096);
            jg_manscdp_keepalive(&b, ++svc->sn, svc->cfg->video_sip_id);
            send_message(svc, u, b.data, b.len, &u->keepalive_cseq);
            jg_buf_free(&b);
            u->stat_keepalives++;
            u->next_keepalive_us = svc->now_us + u->c.keepalive_s * 1000000;
        }
    }
}

/* The upper platform whose Call-ID prefix the message carries, or NULL. */
static jg_vupper *upper_of_call(jg_vsvc *svc, const osip_message_t *m)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL || m->call_id == NULL || m->call_id->number == NULL)
        return NULL;
    char full[192];
    snprintf(full, sizeof(full), "%s%s%s", m->call_id->number, m->call_id->host != NULL ? "@" : "",
             m->call_id->host != NULL ? m->call_id->host : "");
    for (int i = 0; i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        const char *at = strchr(u->call_id, '@');
        size_t k = (size_t)(at - u->call_id);
        if (strncmp(full, u->call_id, k) == 0)
            return u;
    }
    return NULL;
}

static void take_challenge(jg_vupper *u, const osip_message_t *resp, int *stale)
{
    osip_www_authenticate_t *w = NULL;
    *stale = 0;
    if (osip_message_get_www_authenticate(resp, 0, &w) < 0 || w == NULL)
        return;
    jg_sip_unquote(osip_www_authenticate_get_realm(w), u->realm, sizeof(u->realm));
    char nonce[128];
    jg_sip_unquote(osip_www_authenticate_get_nonce(w), nonce, sizeof(nonce));
    if (strcmp(nonce, u->nonce) != 0)
        u->nc = 0;
    snprintf(u->nonce, sizeof(u->nonce), "%s", nonce);
    jg_sip_unquote(osip_www_authenticate_get_opaque(w), u->opaque, sizeof(u->opaque));
    char qop[64];
    jg_sip_unquote(osip_www_authenticate_get_qop_options(w), qop, sizeof(qop));
    snprintf(u->qop, sizeof(u->qop), "%s", strstr(qop, "auth") != NULL ? "auth" : "");
    char st[16];
    jg_sip_unquote(osip_www_authenticate_get_stale(w), st, sizeof(st));
    *stale = strcasecmp(st, "true") == 0;
}

/* A response to one of our NOTIFYs (in an upper's subscription dialog): 1 if it was one. */
static int notify_answered(jg_vsvc *svc, const osip_message_t *resp)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL || resp->cseq == NULL || resp->cseq->method == NULL ||
        strcmp(resp->cseq->method, "NOTIFY") != 0 || resp->call_id == NULL || resp->call_id->number == NULL)
        return 0;
    char cid[160];
    snprintf(cid, sizeof(cid), "%s%s%s", resp->call_id->number, resp->call_id->host != NULL ? "@" : "",
             resp->call_id->host != NULL ? resp->call_id->host : "");
    for (int i = 0; i < c->n; i++) {
        jg_vcsub *s = &c->uppers[i].sub;
        if (!s->active || strcmp(s->call_id, cid) != 0)
            continue;
        if (resp->status_code < 200)
            return 1;
        pending_answered(&s->pending, &s->npending, jg_sip_cseq(resp));
        if (resp->status_code >= 300) { /* 481: the upper forgot the subscription */
            jg_info("video: cascade: upper platform %s answered a NOTIFY %d: its catalog subscription ends",
                    c->uppers[i].c.id, resp->status_code);
            sub_free(s);
        }
        return 1;
    }
    return 0;
}

int jg_vcascade_on_response(jg_vsvc *svc, const osip_message_t *resp)
{
    if (notify_answered(svc, resp))
        return 1;
    jg_vupper *u = upper_of_call(svc, resp);
    if (u == NULL)
        return 0;
    long cseq = jg_sip_cseq(resp);
    if (resp->status_code < 200)
        return 1;
    if (strcmp(resp->cseq->method, "REGISTER") == 0) {
        if (cseq != u->reg_cseq || u->reg_cseq == 0)
            return 1; /* a late answer to an earlier REGISTER */
        u->reg_cseq = 0;
        if (resp->status_code == 401 || resp->status_code == 407) {
            int stale = 0;
            take_challenge(u, resp, &stale);
            /* The first challenge of an attempt is answered (a refresh may meet a new nonce);
             * a second one that is not stale means our credentials are wrong. */
            if (u->nonce[0] == '\0' || (++u->challenges > 1 && !stale)) {
                u->challenges = 0;
                backoff(svc, u, "the upper platform refused our credentials (401)");
                return 1;
            }
            send_register(svc, u, 1);
            return 1;
        }
        if (resp->status_code >= 300) {
            char why[64];
            snprintf(why, sizeof(why), "REGISTER answered %d", resp->status_code);
            backoff(svc, u, why);
            return 1;
        }
        long exp = jg_sip_expires(resp, u->c.expires_s);
        if (exp <= 0 || exp > u->c.expires_s * 2)
            exp = u->c.expires_s;
        int was = u->state;
        u->state = UP_REGISTERED;
        u->failures = 0;
        u->challenges = 0;
        u->reg_expires_us = svc->now_us + (int64_t)exp * 1000000;
        /* Refresh at 3/4 of the lifetime (at least 10 s before its end). */
        int64_t refresh = (int64_t)exp * 750000;
        if ((int64_t)exp * 1000000 - refresh < 10000000)
            refresh = (int64_t)exp * 1000000 - 10000000;
        if (refresh < 1000000)
            refresh = 1000000;
        u->next_reg_us = svc->now_us + refresh;
        if (was != UP_REGISTERED) {
            jg_info("video: cascade: registered at upper platform %s for %ld s", u->c.id, exp);
            u->keepalive_misses = 0;
            u->keepalive_cseq = 0;
            u->next_keepalive_us = svc->now_us + u->c.keepalive_s * 1000000;
        }
        return 1;
    }
    if (strcmp(resp->cseq->method, "MESSAGE") == 0 && cseq != u->keepalive_cseq)
        pending_answered(&u->msgs, &u->nmsgs, cseq);
    if (strcmp(resp->cseq->method, "MESSAGE") == 0 && cseq == u->keepalive_cseq) {
        u->keepalive_cseq = 0;
        u->keepalive_misses = 0;
        if (resp->status_code >= 400 && u->state == UP_REGISTERED) {
            /* The upper platform no longer knows us (restarted, or expired us): register again. */
            u->failures = 0;
            char why[64];
            snprintf(why, sizeof(why), "keepalive answered %d", resp->status_code);
            backoff(svc, u, why);
            u->next_reg_us = svc->now_us;
        }
    }
    return 1;
}

/* ---- requests from an upper platform ---- */

static jg_vupper *upper_of_request(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL)
        return NULL;
    const char *from = jg_sip_from_user(req);
    for (int i = 0; i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        if (strcmp(from, u->c.id) == 0 && u->addr.sin_addr.s_addr == peer->addr.sin_addr.s_addr)
            return u;
    }
    return NULL;
}

/* The channels shared with u, one item per channel ID (sorted), into *out (free it): their count,
 * or -1 when the database cannot be read. */
static int read_shared(jg_vsvc *svc, jg_vupper *u, jg_manscdp_item **out)
{
    *out = NULL;
    jg_value p[] = {JG_VTEXT(u->c.id), JG_VINT(u->c.share_all ? 1 : 0)};
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_read(svc->db,
                   "SELECT c.gb_id, c.name, c.manufacturer, c.model, c.owner, c.civil_code, c.address, "
                   "c.status, c.longitude, c.latitude, c.ptz_type FROM video_channel c "
                   "WHERE $2 = 1 OR c.gb_id IN (SELECT channel_gb_id FROM video_share WHERE upper_id = $1) "
                   "ORDER BY c.gb_id, c.device_gb_id",
                   p, 2, &r);
    if (rc != JG_OK) {
        jg_warn("video: cascade: cannot read the channels shared with %s (%s)", u->c.id, jg_rc_name(rc));
        return -1;
    }
    int total = jg_rows_count(r);
    /* A channel reported by two devices is one channel upstream: the first row wins. */
    jg_manscdp_item *items = jg_xcalloc((size_t)(total > 0 ? total : 1), sizeof(*items));
    int n = 0;
    for (int i = 0; i < total; i++) {
        const char *id = jg_rows_text(r, i, 0);
        if (id == NULL || (n > 0 && strcmp(items[n - 1].device_id, id) == 0))
            continue;
        jg_manscdp_item *it = &items[n++];
        jg_strlcpy(it->device_id, id, sizeof(it->device_id));
        jg_strlcpy(it->name, jg_rows_text(r, i, 1) != NULL ? jg_rows_text(r, i, 1) : "", sizeof(it->name));
        jg_strlcpy(it->manufacturer, jg_rows_text(r, i, 2) != NULL ? jg_rows_text(r, i, 2) : "",
                   sizeof(it->manufacturer));
        jg_strlcpy(it->model, jg_rows_text(r, i, 3) != NULL ? jg_rows_text(r, i, 3) : "", sizeof(it->model));
        jg_strlcpy(it->owner, jg_rows_text(r, i, 4) != NULL ? jg_rows_text(r, i, 4) : "", sizeof(it->owner));
        jg_strlcpy(it->civil_code, jg_rows_text(r, i, 5) != NULL ? jg_rows_text(r, i, 5) : "",
                   sizeof(it->civil_code));
        jg_strlcpy(it->address, jg_rows_text(r, i, 6) != NULL ? jg_rows_text(r, i, 6) : "",
                   sizeof(it->address));
        jg_strlcpy(it->status, jg_rows_text(r, i, 7) != NULL ? jg_rows_text(r, i, 7) : "",
                   sizeof(it->status));
        jg_strlcpy(it->parent_id, svc->cfg->video_sip_id, sizeof(it->parent_id));
        if (jg_rows_type(r, i, 8) != JG_V_NULL && jg_rows_type(r, i, 9) != JG_V_NULL) {
            it->has_position = 1;
            it->longitude = jg_rows_real(r, i, 8);
            it->latitude = jg_rows_real(r, i, 9);
        }
        it->ptz_type = jg_rows_type(r, i, 10) != JG_V_NULL ? (int)jg_rows_int(r, i, 10) : 0;
    }
    jg_rows_free(r);
    *out = items;
    return n;
}

/* Send the next CATALOG_BURST chunks of the catalog answer in progress; the rest at the next
 * CATALOG_PACE_US: a burst of 10,000 datagrams (40,000 channels) would overflow the upper's UDP
 * receive buffer, and over TCP the connection's bounded output. */
static void catalog_pump(jg_vsvc *svc, jg_vupper *u)
{
    jg_buf b;
    jg_buf_init(&b, JG_MANSCDP_MAX_BODY);
    int n = u->cat_n;
    for (int sent = 0; sent < CATALOG_BURST; sent++) { /* an empty catalog is one message with SumNum 0 */
        int k = n - u->cat_pos < CATALOG_CHUNK ? n - u->cat_pos : CATALOG_CHUNK;
        b.len = 0;
        jg_manscdp_catalog_response(&b, u->cat_sn, svc->cfg->video_sip_id, n, u->cat_items + u->cat_pos, k);
        send_message(svc, u, b.data, b.len, NULL);
        u->cat_pos += k;
        if (u->cat_pos >= n)
            break;
    }
    jg_buf_free(&b);
    if (u->cat_pos < n) {
        u->cat_next_us = svc->now_us + CATALOG_PACE_US;
        return;
    }
    free(u->cat_items);
    u->cat_items = NULL;
    u->stat_catalogs++;
    jg_info("video: cascade: catalog of %d shared channels sent to upper platform %s", n, u->c.id);
}

static void answer_catalog(jg_vsvc *svc, jg_vupper *u, int64_t sn)
{
    jg_manscdp_item *items = NULL;
    int n = read_shared(svc, u, &items);
    if (n < 0)
        return;
    if (u->cat_items != NULL)
        jg_info("video: cascade: upper platform %s asked for the catalog again: the answer starts over",
                u->c.id);
    free(u->cat_items); /* a new query replaces an answer still in progress */
    u->cat_items = items;
    u->cat_n = n;
    u->cat_pos = 0;
    u->cat_sn = sn;
    catalog_pump(svc, u);
}

static void answer_device_info(jg_vsvc *svc, jg_vupper *u, int64_t sn)
{
    jg_value p[] = {JG_VTEXT(u->c.id), JG_VINT(u->c.share_all ? 1 : 0)};
    jg_rows *r = NULL;
    int channels = 0;
    if (jg_db_read(svc->db,
                   "SELECT COUNT(DISTINCT c.gb_id) FROM video_channel c WHERE $2 = 1 OR c.gb_id IN "
                   "(SELECT channel_gb_id FROM video_share WHERE upper_id = $1)",
                   p, 2, &r) == JG_OK &&
        jg_rows_count(r) == 1)
        channels = (int)jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_manscdp_device_info_response(&b, sn, svc->cfg->video_sip_id, channels);
    send_message(svc, u, b.data, b.len, NULL);
    jg_buf_free(&b);
}

/* ---- relays ---- */

static jg_vrelay *relay_of(jg_vcascade *c, const osip_message_t *m)
{
    char cid[160];
    snprintf(cid, sizeof(cid), "%s%s%s", m->call_id->number, m->call_id->host != NULL ? "@" : "",
             m->call_id->host != NULL ? m->call_id->host : "");
    for (jg_vrelay *r = c->relays; r != NULL; r = r->next)
        if (strcmp(r->call_id, cid) == 0)
            return r;
    return NULL;
}

/* The device reporting channel when it is shared with u, into device; 0 if none. */
static int shared_device(jg_vsvc *svc, jg_vupper *u, const char *channel, char device[JG_GBID_LEN + 1])
{
    jg_value p[] = {JG_VTEXT(channel), JG_VTEXT(u->c.id), JG_VINT(u->c.share_all ? 1 : 0)};
    jg_rows *r = NULL;
    int found = 0;
    if (jg_db_read(svc->db,
                   "SELECT c.device_gb_id FROM video_channel c WHERE c.gb_id = $1 AND ($3 = 1 OR EXISTS "
                   "(SELECT 1 FROM video_share s WHERE s.upper_id = $2 AND s.channel_gb_id = c.gb_id)) "
                   "ORDER BY c.device_gb_id",
                   p, 3, &r) == JG_OK) {
        for (int i = 0; i < jg_rows_count(r) && !found; i++) {
            const char *d = jg_rows_text(r, i, 0);
            jg_vdev *dev = d != NULL ? jg_vsvc_device(svc, d) : NULL;
            if (dev != NULL && dev->online) {
                jg_strlcpy(device, d, JG_GBID_LEN + 1);
                found = 1;
            }
        }
        if (!found && jg_rows_count(r) > 0)
            found = -1; /* shared, but its device is offline */
    }
    jg_rows_free(r);
    return found;
}

static void on_invite(jg_vsvc *svc, jg_vupper *u, const osip_message_t *req, const jg_vpeer *peer)
{
    jg_vcascade *c = svc->cascade;
    jg_vrelay *again = relay_of(c, req);
    if (again != NULL) { /* a retransmission: the 200 again while no ACK came */
        if (again->ok_wire != NULL)
            send_to_addr(svc, u, &again->sig, again->ok_wire, again->ok_len);
        return;
    }
    const char *channel = req->req_uri->username != NULL ? req->req_uri->username : "";
    size_t len = 0;
    const char *body = jg_sip_body(req, &len);
    jg_sdp_answer o;
    memset(&o, 0, sizeof(o));
    if (body == NULL || jg_sdp_parse(body, len, &o) != JG_OK) {
        jg_info("video: cascade: INVITE from %s for %s refused: no SDP offer", u->c.id, channel);
        jg_vsvc_respond(svc, req, peer, 488, NULL);
        return;
    }
    /* s=Play (live), or s=Playback or s=Download (at a=downloadspeed) with its t= range. */
    int download = strcasecmp(o.session, "Download") == 0;
    int playback = download || strcasecmp(o.session, "Playback") == 0;
    if ((playback && (o.t_start <= 0 || o.t_end <= o.t_start)) ||
        (!playback && strcasecmp(o.session, "Play") != 0)) {
        jg_info("video: cascade: INVITE from %s for %s refused: s=%s%s", u->c.id, channel, o.session,
                playback ? " without a time range" : " is not offered");
        jg_vsvc_respond(svc, req, peer, 488, NULL);
        return;
    }
    char device[JG_GBID_LEN + 1] = "";
    int found = jg_gbid_valid(channel) ? shared_device(svc, u, channel, device) : 0;
    if (found <= 0) {
        jg_info("video: cascade: INVITE from %s for %s refused: %s", u->c.id, channel,
                found < 0 ? "its device is offline" : "not shared with it");
        jg_vsvc_respond(svc, req, peer, found < 0 ? 480 : 404, NULL);
        return;
    }
    jg_vrelay *r = jg_xcalloc(1, sizeof(*r));
    r->u = u;
    r->fd = r->lfd = -1;
    r->sig = peer->addr;
    snprintf(r->call_id, sizeof(r->call_id), "%s%s%s", req->call_id->number,
             req->call_id->host != NULL ? "@" : "", req->call_id->host != NULL ? req->call_id->host : "");
    jg_strlcpy(r->device, device, sizeof(r->device));
    jg_strlcpy(r->channel, channel, sizeof(r->channel));
    r->dst.sin_family = AF_INET;
    r->dst.sin_port = htons((uint16_t)o.port);
    char *end = NULL;
    unsigned long y = o.ssrc[0] != '\0' ? strtoul(o.ssrc, &end, 10) : 0;
    r->ssrc = end != NULL && *end == '\0' && y <= 0xFFFFFFFFUL ? (uint32_t)y : 0;
    struct sockaddr_in me;
    memset(&me, 0, sizeof(me));
    me.sin_family = AF_INET;
    inet_pton(AF_INET, u->local_ip, &me.sin_addr);
    socklen_t mlen = sizeof(me);
    r->tcp = o.tcp;
    int upper_connects = o.tcp && o.setup == JG_SDP_SETUP_ACTIVE;
    int fd = socket(AF_INET, (r->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (upper_connects)
        r->lfd = fd;
    else
        r->fd = fd;
    if (inet_pton(AF_INET, o.ip, &r->dst.sin_addr) != 1 || fd < 0 ||
        bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 || (upper_connects && listen(fd, 1) != 0) ||
        (r->tcp && !upper_connects && connect(fd, (const struct sockaddr *)&r->dst, sizeof(r->dst)) != 0 &&
         errno != EINPROGRESS) ||
        getsockname(fd, (struct sockaddr *)&me, &mlen) != 0) {
        jg_warn("video: cascade: cannot set up a relay of %s to %s:%d", channel, o.ip, o.port);
        jg_vsvc_respond(svc, req, peer, 500, NULL);
        if (fd >= 0)
            close(fd);
        free(r);
        return;
    }
    r->next = c->relays;
    c->relays = r;
    r->playback = playback;
    int speed = o.download_speed < 1 ? 1 : o.download_speed > 16 ? 16 : o.download_speed;
    r->stream = download   ? jg_vmedia_relay_download_open(svc, device, channel, o.t_start, o.t_end, speed, r)
                : playback ? jg_vmedia_relay_playback_open(svc, device, channel, o.t_start, o.t_end, r)
                           : jg_vmedia_relay_open(svc, device, channel, r);
    if (r->stream == NULL) {
        jg_info(
            "video: cascade: INVITE from %s for %s refused: the stream cannot start or is relayed already",
            u->c.id, channel);
        jg_vsvc_respond(svc, req, peer, 486, NULL);
        relay_free(c, r);
        return;
    }
    osip_message_t *resp = NULL;
    jg_vsvc_respond(svc, req, peer, 200, &resp);
    if (resp == NULL) {
        jg_vmedia_relay_close(svc, r->stream);
        relay_free(c, r);
        return;
    }
    char sdp[512], contact[160], *from = NULL, *to = NULL;
    snprintf(sdp, sizeof(sdp),
             "v=0\r\no=%s 0 0 IN IP4 %s\r\ns=%s\r\nc=IN IP4 %s\r\nt=%lld %lld\r\n"
             "m=video %d %s 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\n%sy=%s\r\n",
             channel, u->local_ip,
             download   ? "Download"
             : playback ? "Playback"
                        : "Play",
             u->local_ip, playback ? o.t_start : 0LL, playback ? o.t_end : 0LL, ntohs(me.sin_port),
             r->tcp ? "TCP/RTP/AVP" : "RTP/AVP",
             !r->tcp          ? ""
             : upper_connects ? "a=setup:passive\r\na=connection:new\r\n"
                              : "a=setup:active\r\na=connection:new\r\n",
             o.ssrc[0] != '\0' ? o.ssrc : "0000000000");
    snprintf(contact, sizeof(contact), "<sip:%s@%s:%d>", svc->cfg->video_sip_id, u->local_ip,
             svc->listen_port);
    osip_message_set_contact(resp, contact);
    osip_message_set_content_type(resp, "APPLICATION/SDP");
    osip_message_set_body(resp, sdp, strlen(sdp));
    if (osip_from_to_str(req->from, &from) == 0 && osip_to_to_str(resp->to, &to) == 0) {
        jg_strlcpy(r->from_hdr, from, sizeof(r->from_hdr));
        jg_strlcpy(r->to_hdr, to, sizeof(r->to_hdr));
    }
    osip_free(from);
    osip_free(to);
    osip_contact_t *ct = NULL;
    char *uri = NULL;
    if (osip_message_get_contact(req, 0, &ct) >= 0 && ct != NULL && ct->url != NULL &&
        osip_uri_to_str(ct->url, &uri) == 0)
        jg_strlcpy(r->target, uri, sizeof(r->target));
    else
        snprintf(r->target, sizeof(r->target), "sip:%s@%s:%d", u->c.id, u->c.host, u->c.port);
    osip_free(uri);
    r->cseq = jg_sip_cseq(req) + 1;
    jg_buf ok;
    jg_buf_init(&ok, JG_SIP_MAX_MESSAGE);
    if (jg_sip_serialize(resp, &ok) == JG_OK) {
        svc->send(svc, peer, ok.data, ok.len);
        if (peer->transport == JG_VT_UDP) {
            r->ok_wire = jg_xstrndup(ok.data, ok.len);
            r->ok_len = ok.len;
            r->ok_interval_us = T1_US;
            r->ok_next_us = svc->now_us + T1_US;
            r->ok_deadline_us = svc->now_us + REG_TIMEOUT_US;
        }
    }
    jg_buf_free(&ok);
    osip_message_free(resp);
    char ip[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &r->dst.sin_addr, ip, sizeof(ip));
    jg_info("video: cascade: relaying %s%s (device %s) to upper platform %s at %s:%d (%s)", channel,
            playback ? " playback" : "", device, u->c.id, ip, o.port,
            !r->tcp          ? "UDP"
            : upper_connects ? "TCP passive: it connects to us"
                             : "TCP active");
}

/* Write what is pending of the current TCP frame: 1 when nothing is left. */
static int tcp_flush(jg_vrelay *r)
{
    while (r->pend_off < r->pend_len) {
        ssize_t k = send(r->fd, r->pend + r->pend_off, r->pend_len - r->pend_off, MSG_NOSIGNAL);
        if (k <= 0)
            return 0; /* still connecting, full, or broken: the stream's end or the upper's BYE ends it */
        r->pend_off += (size_t)k;
    }
    r->pend_off = r->pend_len = 0;
    return 1;
}

void jg_vcascade_relay_packet(jg_vsvc *svc, void *relay, const uint8_t *p, size_t n)
{
    (void)svc;
    jg_vrelay *r = relay;
    static uint8_t buf[65536]; /* the event loop's thread only; TCP-framed packets may be large */
    if (n < 12 || n > sizeof(buf))
        return;
    memcpy(buf, p, n);
    if (r->ssrc != 0) {
        buf[8] = (uint8_t)(r->ssrc >> 24);
        buf[9] = (uint8_t)(r->ssrc >> 16);
        buf[10] = (uint8_t)(r->ssrc >> 8);
        buf[11] = (uint8_t)r->ssrc;
    }
    if (!r->tcp) {
        if (sendto(r->fd, buf, n, 0, (const struct sockaddr *)&r->dst, sizeof(r->dst)) == (ssize_t)n)
            r->packets++;
        return;
    }
    /* TCP passive: the upper's connection, once it came (packets before it are dropped). */
    if (r->lfd >= 0) {
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        int fd = accept4(r->lfd, (struct sockaddr *)&from, &flen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0 && from.sin_addr.s_addr != r->dst.sin_addr.s_addr) { /* not from the offer's c= */
            close(fd);
            fd = -1;
        }
        if (fd < 0) {
            r->dropped++;
            return;
        }
        close(r->lfd);
        r->lfd = -1;
        r->fd = fd;
        jg_info("video: cascade: upper platform %s connected for the RTP of %s", r->u->c.id, r->channel);
    }
    /* TCP: a frame starts only when the previous one is out in full; else this packet is dropped. */
    if (r->pend == NULL)
        r->pend = jg_xmalloc(sizeof(buf) + 2);
    if (!tcp_flush(r) || n > 65535) {
        r->dropped++;
        return;
    }
    r->pend[0] = (uint8_t)(n >> 8);
    r->pend[1] = (uint8_t)n;
    memcpy(r->pend + 2, buf, n);
    r->pend_len = n + 2;
    r->pend_off = 0;
    tcp_flush(r);
    r->packets++;
}

/* A request to the upper platform in the relay's dialog (our To becomes the From), to the INVITE's source. */
static void send_in_dialog(jg_vsvc *svc, jg_vrelay *r, const char *method, const char *body, size_t len)
{
    jg_vupper *u = r->u;
    if (r->to_hdr[0] == '\0')
        return;
    char via[192], branch[48];
    branch_of(svc, branch, sizeof(branch));
    snprintf(via, sizeof(via), "SIP/2.0/%s %s:%d;rport;branch=%s", u->c.tcp ? "TCP" : "UDP", u->local_ip,
             svc->listen_port, branch);
    jg_sip_request_args a = {
        method,     r->target, r->to_hdr, r->from_hdr,
        r->call_id, r->cseq++, via,       body != NULL ? "Application/MANSCDP+xml" : NULL,
        body,       len};
    osip_message_t *m = NULL;
    if (jg_sip_request(&a, &m) != JG_OK)
        return;
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    if (jg_sip_serialize(m, &b) == JG_OK)
        send_to_addr(svc, u, &r->sig, b.data, b.len);
    jg_buf_free(&b);
    osip_message_free(m);
}

void jg_vcascade_relay_gone(jg_vsvc *svc, void *relay)
{
    jg_vrelay *r = relay;
    r->stream = NULL;
    jg_vupper *u = r->u;
    if (r->playback && r->packets > 0) {
        /* The end of the recording (or the device's BYE): MediaStatus 121 in the dialog first, as a
         * device sends it. */
        jg_buf b;
        jg_buf_init(&b, 1024);
        jg_buf_printf(
            &b,
            "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>MediaStatus</CmdType>\r\n"
            "<SN>%lld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<NotifyType>121</NotifyType>\r\n</Notify>\r\n",
            (long long)++svc->sn, r->channel);
        send_in_dialog(svc, r, "MESSAGE", b.data, b.len);
        jg_buf_free(&b);
    }
    send_in_dialog(svc, r, "BYE", NULL, 0);
    jg_info("video: cascade: the stream of %s ended; BYE to upper platform %s (%llu RTP packets relayed)",
            r->channel, u->c.id, (unsigned long long)r->packets);
    relay_free(svc->cascade, r);
}

/* ---- control, RecordInfo and catalog subscriptions from an upper platform ---- */

/* The text of <tag> in a MANSCDP body (decoded), into out; 0 if absent. */
static int body_tag(const char *body, size_t len, const char *tag, char *out, size_t outlen)
{
    jg_buf text;
    jg_buf_init(&text, JG_MANSCDP_MAX_BODY);
    int found = 0;
    char open[48], close[48];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    if (jg_manscdp_decode(body, len, JG_CHARSET_AUTO, &text) == JG_OK && jg_buf_puts(&text, "") == JG_OK) {
        const char *a = strstr(text.data, open);
        const char *b = a != NULL ? strstr(a, close) : NULL;
        if (b != NULL) {
            a += strlen(open);
            while (a < b && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' || b[-1] == '\n'))
                b--;
            snprintf(out, outlen, "%.*s", (int)(b - a), a);
            found = 1;
        }
    }
    jg_buf_free(&text);
    return found;
}

/* DeviceControl (PTZ, presets ...) for a shared channel: the upper's body goes to the device as is
 * (the channel keeps its ID upstream), as a transaction retransmitted over UDP. */
static void relay_control(jg_vsvc *svc, jg_vupper *u, const jg_vpeer *peer, int64_t sn, const char *channel,
                          const char *device, const char *body, size_t len)
{
    jg_vdev *d = jg_vsvc_device(svc, device);
    if (d == NULL)
        return;
    jg_rc rc = jg_vsvc_request(svc, d, channel, "DeviceControl", ++svc->sn, body, len, 0);
    if (rc == JG_OK && sn >= 0) { /* the device's <Response> (same SN) goes back up */
        jg_vrecq *q = jg_xcalloc(1, sizeof(*q));
        q->u = u;
        q->control = 1;
        q->sn = q->upper_sn = sn;
        q->dst = peer->addr;
        jg_strlcpy(q->device, device, sizeof(q->device));
        jg_strlcpy(q->channel, channel, sizeof(q->channel));
        q->deadline_us = svc->now_us + RECORDS_WAIT_US;
        q->next = svc->cascade->recqs;
        svc->cascade->recqs = q;
    }
    jg_info("video: cascade: DeviceControl from upper platform %s for %s relayed to device %s%s", u->c.id,
            channel, device, rc == JG_OK ? "" : " (not sent)");
}

/* RecordInfo for a shared channel: asked of the device under our SN; the answers go back to u. */
static void relay_records(jg_vsvc *svc, jg_vupper *u, const jg_vpeer *peer, const jg_manscdp_msg *m,
                          const char *channel, const char *device, const char *body, size_t len)
{
    char start[40] = "", end[40] = "";
    jg_vdev *d = jg_vsvc_device(svc, device);
    if (d == NULL || !body_tag(body, len, "StartTime", start, sizeof(start)) ||
        !body_tag(body, len, "EndTime", end, sizeof(end)) || !jg_manscdp_time_valid(start) ||
        !jg_manscdp_time_valid(end)) {
        jg_info("video: cascade: RecordInfo from upper platform %s for %s without a valid time range",
                u->c.id, channel);
        return;
    }
    jg_vrecq *q = jg_xcalloc(1, sizeof(*q));
    q->u = u;
    q->sn = ++svc->sn;
    q->upper_sn = m->sn;
    q->dst = peer->addr;
    jg_strlcpy(q->device, device, sizeof(q->device));
    jg_strlcpy(q->channel, channel, sizeof(q->channel));
    q->deadline_us = svc->now_us + RECORDS_WAIT_US;
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_manscdp_record_query(&b, q->sn, channel, start, end);
    if (jg_vsvc_request(svc, d, channel, "RecordInfo", q->sn, b.data, b.len, 0) == JG_OK) {
        q->next = svc->cascade->recqs;
        svc->cascade->recqs = q;
        jg_info("video: cascade: RecordInfo from upper platform %s for %s (%s to %s) relayed to device %s",
                u->c.id, channel, start, end, device);
    } else {
        free(q);
    }
    jg_buf_free(&b);
}

int jg_vcascade_records(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL)
        return 0;
    for (jg_vrecq *q = c->recqs; q != NULL; q = q->next) {
        if (q->control || q->sn != m->sn || strcmp(q->device, d->gb_id) != 0)
            continue;
        jg_buf b;
        jg_buf_init(&b, JG_MANSCDP_MAX_BODY);
        int64_t sum = m->sum_num >= 0 ? m->sum_num : m->record_count;
        /* Chunks of CATALOG_CHUNK records: small UDP datagrams, as the catalog. */
        int i = 0;
        do {
            int k = m->record_count - i < CATALOG_CHUNK ? m->record_count - i : CATALOG_CHUNK;
            b.len = 0;
            jg_manscdp_record_response(&b, q->upper_sn, q->channel, m->name[0] != '\0' ? m->name : q->channel,
                                       sum, m->records + i, k);
            send_message_to(svc, q->u, &q->dst, b.data, b.len, NULL);
            i += k;
        } while (i < m->record_count);
        jg_buf_free(&b);
        jg_debug("video: cascade: %d records of %s sent to upper platform %s", m->record_count, q->channel,
                 q->u->c.id);
        return 1;
    }
    return 0;
}

int jg_vcascade_control_answer(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL || m->kind != JG_MANSCDP_RESPONSE || strcasecmp(m->cmd_type, "DeviceControl") != 0)
        return 0;
    for (jg_vrecq **pp = &c->recqs; *pp != NULL; pp = &(*pp)->next) {
        jg_vrecq *q = *pp;
        if (!q->control || q->sn != m->sn || strcmp(q->device, d->gb_id) != 0 ||
            strcmp(q->channel, m->device_id) != 0)
            continue;
        jg_buf b;
        jg_buf_init(&b, 1024);
        jg_buf_printf(&b,
                      "<?xml version=\"1.0\" "
                      "encoding=\"GB2312\"?>\r\n<Response>\r\n<CmdType>DeviceControl</CmdType>\r\n"
                      "<SN>%lld</SN>\r\n<DeviceID>%s</DeviceID>\r\n<Result>%s</Result>\r\n</Response>\r\n",
                      (long long)q->upper_sn, q->channel, strcasecmp(m->result, "OK") == 0 ? "OK" : "ERROR");
        send_message_to(svc, q->u, &q->dst, b.data, b.len, NULL);
        jg_buf_free(&b);
        *pp = q->next;
        free(q);
        return 1;
    }
    return 0;
}

static void sub_free(jg_vcsub *s)
{
    pending_free(&s->pending, &s->npending);
    free(s->shared);
    free(s->q);
    memset(s, 0, sizeof(*s));
}

/* A NOTIFY of the catalog subscription of u with items (chunks of CATALOG_CHUNK). */
/* Send NOTIFYs for the first items (CATALOG_CHUNK each, at most CATALOG_BURST of them): the number
 * of items sent. */
static int send_notifies(jg_vsvc *svc, jg_vupper *u, const jg_manscdp_item *items, int n)
{
    jg_vcsub *s = &u->sub;
    if (n > CATALOG_CHUNK * CATALOG_BURST)
        n = CATALOG_CHUNK * CATALOG_BURST;
    int64_t left = (s->expires_us - svc->now_us) / 1000000;
    char state[48];
    snprintf(state, sizeof(state), "active;expires=%lld", (long long)(left > 0 ? left : 0));
    jg_buf body, wire;
    jg_buf_init(&body, JG_MANSCDP_MAX_BODY);
    jg_buf_init(&wire, JG_SIP_MAX_MESSAGE);
    for (int i = 0; i < n; i += CATALOG_CHUNK) {
        int k = n - i < CATALOG_CHUNK ? n - i : CATALOG_CHUNK;
        body.len = 0;
        wire.len = 0;
        jg_manscdp_catalog_notify(&body, ++svc->sn, svc->cfg->video_sip_id, items + i, k);
        char via[192], branch[48];
        branch_of(svc, branch, sizeof(branch));
        snprintf(via, sizeof(via), "SIP/2.0/%s %s:%d;rport;branch=%s", u->c.tcp ? "TCP" : "UDP", u->local_ip,
                 svc->listen_port, branch);
        jg_sip_request_args a = {"NOTIFY",   s->target, s->to_hdr, s->from_hdr,
                                 s->call_id, ++s->cseq, via,       "Application/MANSCDP+xml",
                                 body.data,  body.len};
        osip_message_t *m = NULL;
        if (jg_sip_request(&a, &m) != JG_OK)
            break;
        osip_message_set_header(m, "Event", s->event[0] != '\0' ? s->event : "Catalog");
        osip_message_set_header(m, "Subscription-State", state);
        if (jg_sip_serialize(m, &wire) == JG_OK) {
            send_to_addr(svc, u, &s->dst, wire.data, wire.len);
            s->stat_notifies++;
            if (!u->c.tcp)
                pending_add(svc, &s->pending, &s->npending, s->cseq, &wire, &s->dst);
        }
        osip_message_free(m);
    }
    jg_buf_free(&body);
    jg_buf_free(&wire);
    return n;
}

/* Send what is queued for u's subscription, paced like the catalog answer. */
static void notify_pump(jg_vsvc *svc, jg_vupper *u)
{
    jg_vcsub *s = &u->sub;
    s->qpos += send_notifies(svc, u, s->q + s->qpos, s->qn - s->qpos);
    if (s->qpos < s->qn) {
        s->q_next_us = svc->now_us + CATALOG_PACE_US;
        return;
    }
    s->qn = s->qpos = 0;
}

/* Queue NOTIFYs of items (their <Event> set) for u's subscription; the first burst goes at once. */
static void sub_notify(jg_vsvc *svc, jg_vupper *u, const jg_manscdp_item *items, int n)
{
    jg_vcsub *s = &u->sub;
    int waiting = s->qpos < s->qn;
    if (s->qn + n > s->qcap) {
        s->qcap = (s->qn + n) * 2;
        s->q = jg_xrealloc(s->q, (size_t)s->qcap * sizeof(*s->q));
    }
    memcpy(s->q + s->qn, items, (size_t)n * sizeof(*items));
    s->qn += n;
    if (!waiting)
        notify_pump(svc, u);
}

static void on_subscribe(jg_vsvc *svc, jg_vupper *u, const osip_message_t *req, const jg_vpeer *peer)
{
    jg_vcsub *s = &u->sub;
    osip_header_t *ev = NULL;
    osip_message_header_get_byname(req, "event", 0, &ev);
    const char *event = ev != NULL && ev->hvalue != NULL ? ev->hvalue : "";
    size_t len = 0;
    const char *body = jg_sip_body(req, &len);
    jg_manscdp_msg m;
    memset(&m, 0, sizeof(m));
    int ok = body != NULL && jg_manscdp_parse(body, len, JG_CHARSET_AUTO, &m) == JG_OK &&
             strcasecmp(m.cmd_type, "Catalog") == 0;
    if (!ok && strncasecmp(event, "Catalog", 7) != 0) {
        jg_manscdp_msg_free(&m);
        jg_vsvc_respond(svc, req, peer, 489, NULL); /* Bad Event: only the catalog is offered */
        return;
    }
    int64_t sn = ok ? m.sn : 0;
    jg_manscdp_msg_free(&m);
    long want = jg_sip_expires(req, SUB_MAX_S);
    if (want < 0 || want > SUB_MAX_S)
        want = SUB_MAX_S;
    char cid[160];
    snprintf(cid, sizeof(cid), "%s%s%s", req->call_id->number, req->call_id->host != NULL ? "@" : "",
             req->call_id->host != NULL ? req->call_id->host : "");
    int refresh = s->active && strcmp(s->call_id, cid) == 0;
    osip_message_t *resp = NULL;
    jg_vsvc_respond(svc, req, peer, 200, &resp);
    if (resp == NULL)
        return;
    char expires[16], contact[160];
    snprintf(expires, sizeof(expires), "%ld", want);
    snprintf(contact, sizeof(contact), "<sip:%s@%s:%d>", svc->cfg->video_sip_id, u->local_ip,
             svc->listen_port);
    osip_message_set_expires(resp, expires);
    osip_message_set_contact(resp, contact);
    jg_buf rb;
    jg_buf_init(&rb, 4096);
    jg_manscdp_result(&rb, "Catalog", sn, svc->cfg->video_sip_id);
    osip_message_set_content_type(resp, "Application/MANSCDP+xml");
    osip_message_set_body(resp, rb.data, rb.len);
    jg_buf_free(&rb);
    if (want == 0) {
        sub_free(s);
        jg_vsvc_send_msg(svc, peer, resp);
        jg_info("video: cascade: upper platform %s ended its catalog subscription", u->c.id);
        return;
    }
    if (!refresh) {
        sub_free(s);
        char *from = NULL, *to = NULL, *uri = NULL;
        if (osip_from_to_str(req->from, &from) == 0 && osip_to_to_str(resp->to, &to) == 0) {
            jg_strlcpy(s->from_hdr, from, sizeof(s->from_hdr));
            jg_strlcpy(s->to_hdr, to, sizeof(s->to_hdr));
        }
        osip_free(from);
        osip_free(to);
        osip_contact_t *ct = NULL;
        if (osip_message_get_contact(req, 0, &ct) >= 0 && ct != NULL && ct->url != NULL &&
            osip_uri_to_str(ct->url, &uri) == 0)
            jg_strlcpy(s->target, uri, sizeof(s->target));
        else
            snprintf(s->target, sizeof(s->target), "sip:%s@%s:%d", u->c.id, u->c.host, u->c.port);
        osip_free(uri);
        jg_strlcpy(s->call_id, cid, sizeof(s->call_id));
        jg_strlcpy(s->event, event[0] != '\0' ? event : "Catalog", sizeof(s->event));
        s->cseq = 0;
        s->dst = peer->addr;
        s->share_count = -1; /* the first poll takes the shares as they are, without notifying */
        s->next_poll_us = svc->now_us;
        s->active = 1;
    }
    s->expires_us = svc->now_us + (int64_t)want * 1000000;
    jg_vsvc_send_msg(svc, peer, resp);
    jg_info("video: cascade: upper platform %s %s the catalog for %ld s", u->c.id,
            refresh ? "renewed its subscription to" : "subscribed to", want);
}

void jg_vcascade_device_state(jg_vsvc *svc, const char *gb_id, int online)
{
    jg_vcascade *c = svc->cascade;
    if (c == NULL)
        return;
    for (int i = 0; i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        if (!u->sub.active || u->state != UP_REGISTERED)
            continue;
        jg_value p[] = {JG_VTEXT(gb_id), JG_VTEXT(u->c.id), JG_VINT(u->c.share_all ? 1 : 0)};
        jg_rows *r = NULL;
        if (jg_db_read(
                svc->db,
                "SELECT DISTINCT c.gb_id FROM video_channel c WHERE c.device_gb_id = $1 AND ($3 = 1 OR "
                "EXISTS (SELECT 1 FROM video_share s WHERE s.upper_id = $2 AND s.channel_gb_id = c.gb_id)) "
                "ORDER BY c.gb_id",
                p, 3, &r) != JG_OK)
            continue;
        int n = jg_rows_count(r);
        if (n > 0) {
            jg_manscdp_item *items = jg_xcalloc((size_t)n, sizeof(*items));
            for (int k = 0; k < n; k++) {
                jg_strlcpy(items[k].device_id, jg_rows_text(r, k, 0), sizeof(items[k].device_id));
                jg_strlcpy(items[k].event, online ? "ON" : "OFF", sizeof(items[k].event));
            }
            sub_notify(svc, u, items, n);
            free(items);
            jg_info("video: cascade: NOTIFY %s for %d channels of device %s to upper platform %s",
                    online ? "ON" : "OFF", n, gb_id, u->c.id);
        }
        jg_rows_free(r);
    }
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Shares added or removed since the last poll: NOTIFY ADD (every field) and DEL. A cheap check
 * first (the upper's share count and newest created_at); the IDs are read only when it moved. */
static void sub_poll_shares(jg_vsvc *svc, jg_vupper *u)
{
    jg_vcsub *s = &u->sub;
    if (u->c.share_all)
        return; /* every channel: catalog changes are the devices' (ON/OFF only) */
    jg_value p[] = {JG_VTEXT(u->c.id)};
    jg_rows *r = NULL;
    if (jg_db_read(svc->db, "SELECT COUNT(*), MAX(created_at) FROM video_share WHERE upper_id = $1", p, 1,
                   &r) != JG_OK)
        return;
    int64_t count = jg_rows_int(r, 0, 0);
    char newest[40];
    jg_strlcpy(newest, jg_rows_text(r, 0, 1) != NULL ? jg_rows_text(r, 0, 1) : "", sizeof(newest));
    jg_rows_free(r);
    if (count == s->share_count && strcmp(newest, s->share_newest) == 0)
        return;
    int first = s->share_count < 0;
    s->share_count = count;
    jg_strlcpy(s->share_newest, newest, sizeof(s->share_newest));
    jg_manscdp_item *items = NULL;
    int n = read_shared(svc, u, &items); /* sorted by ID, one item per ID */
    if (n < 0)
        return;
    char(*now)[JG_GBID_LEN + 1] = jg_xcalloc((size_t)(n > 0 ? n : 1), sizeof(*now));
    for (int i = 0; i < n; i++)
        jg_strlcpy(now[i], items[i].device_id, sizeof(now[i]));
    if (!first) {
        /* ADD: in now, not in shared; DEL: in shared, not in now (both sorted). */
        int nch = 0;
        jg_manscdp_item *ch = jg_xcalloc((size_t)(n + s->nshared + 1), sizeof(*ch));
        int i = 0, k = 0;
        while (i < n || k < s->nshared) {
            int c = i >= n ? 1 : k >= s->nshared ? -1 : strcmp(now[i], s->shared[k]);
            if (c < 0) {
                ch[nch] = items[i];
                jg_strlcpy(ch[nch++].event, "ADD", sizeof(ch[0].event));
                i++;
            } else if (c > 0) {
                jg_strlcpy(ch[nch].device_id, s->shared[k], sizeof(ch[0].device_id));
                jg_strlcpy(ch[nch++].event, "DEL", sizeof(ch[0].event));
                k++;
            } else {
                i++;
                k++;
            }
        }
        if (nch > 0) {
            sub_notify(svc, u, ch, nch);
            jg_info("video: cascade: NOTIFY of %d share changes (ADD/DEL) to upper platform %s", nch,
                    u->c.id);
        }
        free(ch);
    }
    qsort(now, (size_t)n, sizeof(*now), id_cmp);
    free(s->shared);
    s->shared = now;
    s->nshared = n;
    free(items);
}

/* Subscriptions ending, shares polled (every video_keepalive_flush_s), RecordInfo queries forgotten. */
static void cascade_timers(jg_vsvc *svc)
{
    jg_vcascade *c = svc->cascade;
    for (int i = 0; i < c->n; i++) {
        jg_vupper *u = &c->uppers[i];
        pending_tick(svc, u, &u->msgs, &u->nmsgs, "MESSAGE");
        if (u->cat_items != NULL && (u->state != UP_REGISTERED)) {
            free(u->cat_items); /* registration lost: the upper asks again after registering */
            u->cat_items = NULL;
        } else if (u->cat_items != NULL && svc->now_us >= u->cat_next_us) {
            catalog_pump(svc, u);
        }
        if (!u->sub.active)
            continue;
        if (svc->now_us >= u->sub.expires_us || u->state != UP_REGISTERED) {
            jg_info("video: cascade: the catalog subscription of upper platform %s ended (%s)", u->c.id,
                    u->state != UP_REGISTERED ? "not registered" : "expired");
            sub_free(&u->sub);
            continue;
        }
        pending_tick(svc, u, &u->sub.pending, &u->sub.npending, "NOTIFY");
        if (u->sub.qpos < u->sub.qn && svc->now_us >= u->sub.q_next_us)
            notify_pump(svc, u);
        if (svc->now_us >= u->sub.next_poll_us) {
            sub_poll_shares(svc, u);
            long every = svc->cfg->video_keepalive_flush_s > 0 ? svc->cfg->video_keepalive_flush_s : 30;
            u->sub.next_poll_us = svc->now_us + (int64_t)every * 1000000;
        }
    }
    for (jg_vrelay *r = c->relays; r != NULL; r = r->next) {
        if (r->ok_wire == NULL)
            continue;
        if (svc->now_us >= r->ok_deadline_us) {
            jg_info("video: cascade: no ACK from upper platform %s for %s", r->u->c.id, r->channel);
            free(r->ok_wire);
            r->ok_wire = NULL;
        } else if (svc->now_us >= r->ok_next_us) {
            send_to_addr(svc, r->u, &r->sig, r->ok_wire, r->ok_len);
            r->ok_interval_us = r->ok_interval_us * 2 < T2_US ? r->ok_interval_us * 2 : T2_US;
            r->ok_next_us = svc->now_us + r->ok_interval_us;
        }
    }
    for (jg_vrecq **p = &c->recqs; *p != NULL;) {
        jg_vrecq *q = *p;
        if (svc->now_us >= q->deadline_us) {
            *p = q->next;
            free(q);
        } else {
            p = &q->next;
        }
    }
}

/* INFO (MANSRTSP: pause, resume, seek, scale) in a relayed playback's dialog: checked, then passed
 * on as sent to the device's dialog of the stream. */
static void on_info(jg_vsvc *svc, jg_vupper *u, const osip_message_t *req, const jg_vpeer *peer)
{
    jg_vrelay *r = relay_of(svc->cascade, req);
    size_t len = 0;
    const char *body = jg_sip_body(req, &len);
    jg_rtsp_op op;
    double value = 0;
    if (r == NULL || r->stream == NULL) {
        jg_vsvc_respond(svc, req, peer, 481, NULL);
        return;
    }
    if (!r->playback || body == NULL || len >= 1024 || jg_mansrtsp_parse(body, len, &op, &value) != JG_OK) {
        jg_vsvc_respond(svc, req, peer, r->playback ? 400 : 405, NULL);
        return;
    }
    char text[1024];
    memcpy(text, body, len);
    text[len] = '\0';
    jg_rc rc = jg_vmedia_relay_info(svc, r->stream, text);
    jg_vsvc_respond(svc, req, peer, rc == JG_OK ? 200 : 491, NULL); /* 491: the device has not answered yet */
    jg_info("video: cascade: INFO from upper platform %s for the playback of %s%s", u->c.id, r->channel,
            rc == JG_OK ? " passed on" : " refused: the device has not answered yet");
}

int jg_vcascade_on_request(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer)
{
    jg_vupper *u = upper_of_request(svc, req, peer);
    if (u == NULL)
        return 0;
    const char *method = req->sip_method;
    if (strcmp(method, "ACK") == 0) {
        jg_vrelay *r = relay_of(svc->cascade, req);
        if (r != NULL && r->ok_wire != NULL) { /* the 200 arrived: no more retransmissions */
            free(r->ok_wire);
            r->ok_wire = NULL;
        }
        return 1;
    }
    if (u->state != UP_REGISTERED) {
        jg_vsvc_respond(svc, req, peer, 403, NULL);
        return 1;
    }
    if (strcmp(method, "INVITE") == 0) {
        on_invite(svc, u, req, peer);
        return 1;
    }
    if (strcmp(method, "BYE") == 0) {
        jg_vrelay *r = relay_of(svc->cascade, req);
        jg_vsvc_respond(svc, req, peer, r != NULL ? 200 : 481, NULL);
        if (r != NULL) {
            jg_info("video: cascade: upper platform %s ends its view of %s (%llu RTP packets relayed, %llu "
                    "dropped)",
                    u->c.id, r->channel, (unsigned long long)r->packets, (unsigned long long)r->dropped);
            if (r->stream != NULL)
                jg_vmedia_relay_close(svc, r->stream);
            relay_free(svc->cascade, r);
        }
        return 1;
    }
    if (strcmp(method, "SUBSCRIBE") == 0) {
        on_subscribe(svc, u, req, peer);
        return 1;
    }
    if (strcmp(method, "INFO") == 0) {
        on_info(svc, u, req, peer);
        return 1;
    }
    if (strcmp(method, "MESSAGE") != 0) {
        jg_vsvc_respond(svc, req, peer, strcmp(method, "OPTIONS") == 0 ? 200 : 501, NULL);
        return 1;
    }
    size_t len = 0;
    const char *body = jg_sip_body(req, &len);
    if (body == NULL || !jg_sip_is_manscdp(req)) {
        jg_vsvc_respond(svc, req, peer, 415, NULL);
        return 1;
    }
    jg_manscdp_msg m;
    if (jg_manscdp_parse(body, len, JG_CHARSET_AUTO, &m) != JG_OK) {
        jg_manscdp_msg_free(&m);
        jg_vsvc_respond(svc, req, peer, 400, NULL);
        return 1;
    }
    int control = m.kind == JG_MANSCDP_CONTROL && strcasecmp(m.cmd_type, "DeviceControl") == 0;
    int records = m.kind == JG_MANSCDP_QUERY && strcasecmp(m.cmd_type, "RecordInfo") == 0;
    if (control || records) {
        /* For a shared channel only (404), whose device is online (480). */
        char device[JG_GBID_LEN + 1] = "";
        int found = jg_gbid_valid(m.device_id) ? shared_device(svc, u, m.device_id, device) : 0;
        if (found <= 0) {
            jg_info("video: cascade: %s from %s for %s refused: %s", m.cmd_type, u->c.id, m.device_id,
                    found < 0 ? "its device is offline" : "not shared with it");
            jg_vsvc_respond(svc, req, peer, found < 0 ? 480 : 404, NULL);
        } else {
            jg_vsvc_respond(svc, req, peer, 200, NULL);
            if (control)
                relay_control(svc, u, peer, m.sn, m.device_id, device, body, len);
            else
                relay_records(svc, u, peer, &m, m.device_id, device, body, len);
        }
        jg_manscdp_msg_free(&m);
        return 1;
    }
    jg_vsvc_respond(svc, req, peer, 200, NULL);
    if (m.kind == JG_MANSCDP_QUERY && strcasecmp(m.cmd_type, "Catalog") == 0)
        answer_catalog(svc, u, m.sn);
    else if (m.kind == JG_MANSCDP_QUERY && strcasecmp(m.cmd_type, "DeviceInfo") == 0)
        answer_device_info(svc, u, m.sn);
    else
        jg_debug("video: cascade: %s from upper platform %s not handled", m.cmd_type, u->c.id);
    jg_manscdp_msg_free(&m);
    return 1;
}

int jg_vcascade_registered(const jg_vsvc *svc, const char *upper_id)
{
    const jg_vcascade *c = svc->cascade;
    for (int i = 0; c != NULL && i < c->n; i++)
        if (strcmp(c->uppers[i].c.id, upper_id) == 0)
            return c->uppers[i].state == UP_REGISTERED;
    return 0;
}
