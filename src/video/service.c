/* The signalling service without its sockets: dispatch of inbound SIP, responses, the requests
 * the platform sends (with their UDP retransmissions), device state and timers. loop.c feeds it
 * from epoll; tests feed it directly. */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "video/video.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <osipparser2/osip_port.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T1_US 500000LL
#define T2_US 4000000LL
#define TX_TIMEOUT_US (64 * T1_US)
#define WRITER_QUEUE_MAX 500000

jg_charset jg_vcharset_parse(const char *s)
{
    if (s == NULL)
        return JG_CHARSET_AUTO;
    if (strcmp(s, "UTF-8") == 0)
        return JG_CHARSET_UTF8;
    if (strcmp(s, "GB18030") == 0)
        return JG_CHARSET_GB18030;
    return JG_CHARSET_AUTO;
}

void jg_vsvc_now_iso(char out[32])
{
    jg_time_iso_now(out, 32);
}

static int64_t unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso_of_ms(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    jg_strlcpy(out, buf, 32);
}

/* Unix seconds of "YYYY-MM-DDTHH:MM:SS..." (UTC), or -1. */
static int64_t parse_iso(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                            &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

jg_vdev *jg_vsvc_device(jg_vsvc *svc, const char *gb_id)
{
    return jg_vtab_get(&svc->devices, gb_id);
}

jg_vdev *jg_vsvc_device_new(jg_vsvc *svc, const char *gb_id)
{
    jg_vdev *d = jg_xcalloc(1, sizeof(*d));
    snprintf(d->gb_id, sizeof(d->gb_id), "%s", gb_id);
    d->catalog_sn = d->devinfo_sn = -1;
    jg_vtab_put(&svc->devices, d->gb_id, d);
    return d;
}

void jg_vsvc_peer_of(const jg_vdev *d, jg_vpeer *peer)
{
    memset(peer, 0, sizeof(*peer));
    peer->transport = d->transport;
    peer->addr = d->addr;
    peer->conn = d->conn;
}

void jg_vsvc_alive(jg_vsvc *svc, jg_vdev *d)
{
    d->alive_us = svc->now_us;
    d->alive_unix_ms = unix_ms();
    d->alive_dirty = 1;
}

void jg_vsvc_device_online(jg_vsvc *svc, jg_vdev *d, const char *detail)
{
    jg_vsvc_alive(svc, d);
    if (d->online)
        return;
    d->online = 1;
    char at[32];
    jg_vsvc_now_iso(at);
    jg_vstore_online(svc->store, d->gb_id, detail, at);
    jg_vcascade_device_state(svc, d->gb_id, 1); /* NOTIFY ON to subscribed upper platforms */
}

void jg_vsvc_device_offline(jg_vsvc *svc, jg_vdev *d, const char *reason, int unregistered)
{
    if (!d->online && !unregistered)
        return;
    int was_online = d->online;
    if (d->online)
        jg_info("video: device %s offline (%s)", d->gb_id, reason);
    d->online = 0;
    if (was_online)
        jg_vcascade_device_state(svc, d->gb_id, 0); /* NOTIFY OFF to subscribed upper platforms */
    d->alive_dirty = 0;
    char at[32];
    jg_vsvc_now_iso(at);
    jg_vstore_offline(svc->store, d->gb_id, reason, at, unregistered);
}

void jg_vsvc_send_msg(jg_vsvc *svc, const jg_vpeer *peer, osip_message_t *m)
{
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    if (jg_sip_serialize(m, &b) == JG_OK)
        svc->send(svc, peer, b.data, b.len);
    else
        jg_warn("video: cannot serialise a SIP message");
    jg_buf_free(&b);
    osip_message_free(m);
}

void jg_vsvc_respond(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer, int code,
                     osip_message_t **keep)
{
    if (keep != NULL)
        *keep = NULL;
    char ip[INET_ADDRSTRLEN] = "", tag[24];
    inet_ntop(AF_INET, &peer->addr.sin_addr, ip, sizeof(ip));
    snprintf(tag, sizeof(tag), "%llx", (unsigned long long)(++svc->serial * 2654435761ULL));
    osip_message_t *r = NULL;
    if (jg_sip_response(req, code, ip, ntohs(peer->addr.sin_port), tag, &r) != JG_OK)
        return;
    if (keep != NULL)
        *keep = r;
    else
        jg_vsvc_send_msg(svc, peer, r);
}

/* ---- requests the platform sends ---- */

static void tx_unlink(jg_vsvc *svc, jg_vtx *t)
{
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        svc->tx_head = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    else
        svc->tx_tail = t->prev;
    jg_vtab_del(&svc->txs, t->key);
    svc->tx_count--;
    jg_buf_free(&t->wire);
    free(t);
}

/* Our address for d: where it sent its REGISTER, else the listen address. */
static void local_of(const jg_vsvc *svc, const jg_vdev *d, char *out, size_t outlen)
{
    if (d->local[0] != '\0')
        snprintf(out, outlen, "%s", d->local);
    else
        snprintf(out, outlen, "%s:%d",
                 strcmp(svc->listen_host, "0.0.0.0") == 0 ? "127.0.0.1" : svc->listen_host, svc->listen_port);
}

void jg_vsvc_query(jg_vsvc *svc, jg_vdev *d, const char *cmd_type, int64_t *sn_out)
{
    int64_t sn = ++svc->sn;
    jg_buf body;
    jg_buf_init(&body, 4096);
    jg_manscdp_query(&body, cmd_type, sn, d->gb_id);
    if (jg_vsvc_request(svc, d, d->gb_id, cmd_type, sn, body.data, body.len, 0) == JG_OK)
        *sn_out = sn;
    jg_buf_free(&body);
}

jg_rc jg_vsvc_request(jg_vsvc *svc, jg_vdev *d, const char *to_id, const char *what, int64_t sn,
                      const char *body, size_t body_len, int notify)
{
    char local[80], ip[INET_ADDRSTRLEN] = "", uri[128], via[192], from[128], to[128], call_id[128];
    local_of(svc, d, local, sizeof(local));
    inet_ntop(AF_INET, &d->addr.sin_addr, ip, sizeof(ip));
    uint64_t r = ++svc->serial;
    unsigned char rnd[8];
    if (jg_crypto_random(rnd, sizeof(rnd)) != JG_OK)
        memset(rnd, 0, sizeof(rnd));
    char rhex[17];
    jg_crypto_hex_encode(rnd, sizeof(rnd), rhex);
    snprintf(uri, sizeof(uri), "sip:%s@%s:%d", to_id, ip, ntohs(d->addr.sin_port));
    snprintf(via, sizeof(via), "SIP/2.0/%s %s;rport;branch=z9hG4bK%s%llx",
             d->transport == JG_VT_TCP ? "TCP" : "UDP", local, rhex, (unsigned long long)r);
    snprintf(from, sizeof(from), "<sip:%s@%s>;tag=%llx", svc->cfg->video_sip_id, svc->realm,
             (unsigned long long)r);
    snprintf(to, sizeof(to), "<sip:%s@%s>", to_id, svc->realm);
    char host[80];
    snprintf(host, sizeof(host), "%s", local);
    char *colon = strchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    snprintf(call_id, sizeof(call_id), "%s%llx@%s", rhex, (unsigned long long)r, host);
    jg_sip_request_args a = {"MESSAGE", uri,     from, to, call_id, (long)sn, via, "Application/MANSCDP+xml",
                             body,      body_len};
    osip_message_t *m = NULL;
    jg_rc rc = jg_sip_request(&a, &m);
    if (rc != JG_OK) {
        jg_warn("video: cannot build a %s request for %s", what, d->gb_id);
        return rc;
    }
    jg_vtx *t = jg_xcalloc(1, sizeof(*t));
    jg_buf_init(&t->wire, JG_SIP_MAX_MESSAGE);
    rc = jg_sip_serialize(m, &t->wire);
    osip_message_free(m);
    if (rc != JG_OK) {
        jg_buf_free(&t->wire);
        free(t);
        return rc;
    }
    jg_vpeer peer;
    jg_vsvc_peer_of(d, &peer);
    svc->send(svc, &peer, t->wire.data, t->wire.len);
    snprintf(t->key, sizeof(t->key), "%s %lld", call_id, (long long)sn);
    snprintf(t->gb_id, sizeof(t->gb_id), "%s", d->gb_id);
    snprintf(t->what, sizeof(t->what), "%s", what);
    t->sn = sn;
    t->notify = notify;
    t->interval_us = T1_US;
    t->next_us = d->transport == JG_VT_UDP ? svc->now_us + T1_US : INT64_MAX;
    t->deadline_us = svc->now_us + TX_TIMEOUT_US;
    if ((long)svc->tx_count >= 4 * svc->cfg->video_max_devices || jg_vtab_get(&svc->txs, t->key) != NULL) {
        jg_buf_free(&t->wire);
        free(t);
        return JG_OK; /* sent, but not tracked */
    }
    t->prev = svc->tx_tail;
    if (svc->tx_tail != NULL)
        svc->tx_tail->next = t;
    else
        svc->tx_head = t;
    svc->tx_tail = t;
    jg_vtab_put(&svc->txs, t->key, t);
    svc->tx_count++;
    return JG_OK;
}

static void on_response(jg_vsvc *svc, const osip_message_t *resp)
{
    char key[192];
    snprintf(key, sizeof(key), "%s%s%s %s", resp->call_id->number, resp->call_id->host != NULL ? "@" : "",
             resp->call_id->host != NULL ? resp->call_id->host : "", resp->cseq->number);
    jg_vtx *t = jg_vtab_get(&svc->txs, key);
    if (t == NULL)
        return;
    if (resp->status_code < 200) {
        t->next_us = INT64_MAX; /* provisional: stop retransmitting, keep waiting */
        return;
    }
    if (resp->status_code >= 300)
        jg_warn("video: %s query to %s answered %d", t->what, t->gb_id, resp->status_code);
    if (t->notify)
        jg_vmedia_request_done(svc, t->gb_id, t->sn, resp->status_code);
    tx_unlink(svc, t);
}

static void run_transactions(jg_vsvc *svc)
{
    jg_vtx *t = svc->tx_head;
    while (t != NULL) {
        jg_vtx *next = t->next;
        if (svc->now_us >= t->deadline_us) {
            jg_debug("video: no answer from %s to the %s query", t->gb_id, t->what);
            if (t->notify)
                jg_vmedia_request_done(svc, t->gb_id, t->sn, 408);
            tx_unlink(svc, t);
        } else if (svc->now_us >= t->next_us) {
            jg_vdev *d = jg_vsvc_device(svc, t->gb_id);
            if (d != NULL && d->transport == JG_VT_UDP) {
                jg_vpeer peer;
                jg_vsvc_peer_of(d, &peer);
                svc->send(svc, &peer, t->wire.data, t->wire.len);
            }
            t->interval_us = t->interval_us * 2 < T2_US ? t->interval_us * 2 : T2_US;
            t->next_us = svc->now_us + t->interval_us;
        }
        t = next;
    }
}

/* ---- inbound ---- */

void jg_vsvc_handle(jg_vsvc *svc, const char *data, size_t len, const jg_vpeer *peer)
{
    osip_message_t *m = NULL;
    if (jg_sip_parse(data, len, &m) != JG_OK) {
        svc->stat_bad++;
        if (svc->stat_bad <= 10 || svc->stat_bad % 1000 == 0) {
            char ip[INET_ADDRSTRLEN] = "";
            inet_ntop(AF_INET, &peer->addr.sin_addr, ip, sizeof(ip));
            jg_info("video: dropped %zu bytes from %s:%d that are no SIP message (%llu so far)", len, ip,
                    ntohs(peer->addr.sin_port), (unsigned long long)svc->stat_bad);
        }
        return;
    }
    if (!MSG_IS_REQUEST(m)) {
        if (!jg_vinvite_on_response(svc, m) && !jg_vcascade_on_response(svc, m) &&
            !jg_vsub_on_response(svc, m))
            on_response(svc, m);
    } else if (jg_vcascade_on_request(svc, m, peer)) {
        /* from an upper platform (cascade.c) */
    } else if (strcmp(m->sip_method, "REGISTER") == 0) {
        jg_vreg_handle(svc, m, peer);
    } else if (strcmp(m->sip_method, "MESSAGE") == 0 || strcmp(m->sip_method, "NOTIFY") == 0) {
        jg_vmsg_handle(svc, m, peer); /* NOTIFY: of a subscription (subscribe.c) */
    } else if (strcmp(m->sip_method, "OPTIONS") == 0) {
        jg_vsvc_respond(svc, m, peer, 200, NULL);
    } else if (strcmp(m->sip_method, "ACK") == 0) {
        /* nothing: devices do not INVITE the platform */
    } else if (strcmp(m->sip_method, "BYE") == 0 && jg_vinvite_on_bye(svc, m, peer)) {
        /* ended one of our streams */
    } else if (strcmp(m->sip_method, "BYE") == 0 || strcmp(m->sip_method, "CANCEL") == 0) {
        jg_vsvc_respond(svc, m, peer, 481, NULL);
    } else {
        jg_vsvc_respond(svc, m, peer, 501, NULL);
    }
    osip_message_free(m);
}

void jg_vsvc_conn_closed(jg_vsvc *svc, jg_vconn *conn, const char *gb_id)
{
    jg_vdev *d = gb_id[0] != '\0' ? jg_vsvc_device(svc, gb_id) : NULL;
    if (d != NULL && d->conn == conn)
        d->conn = NULL;
    jg_vcascade_conn_closed(svc, conn); /* an upper platform's SIP connection (cascade.c) */
}

/* ---- timers ---- */

struct scan {
    jg_vsvc *svc;
    jg_vdev **gone;
    size_t ngone;
};

static void scan_device(void *value, void *ud)
{
    struct scan *s = ud;
    jg_vsvc *svc = s->svc;
    jg_vdev *d = value;
    int64_t interval =
        d->keepalive_interval_s > 0 ? d->keepalive_interval_s : svc->cfg->video_keepalive_interval_s;
    int64_t count = d->keepalive_count > 0 ? d->keepalive_count : svc->cfg->video_keepalive_count;
    if (d->registered && svc->now_us > d->expires_us) {
        d->registered = 0;
        jg_vsvc_device_offline(svc, d, "registration_expired", 0);
    } else if (d->online && svc->now_us - d->alive_us > interval * count * 1000000) {
        jg_vsvc_device_offline(svc, d, "keepalive_timeout", 0);
    }
    jg_vmsg_check_catalog(svc, d);
    jg_vsub_check(svc, d);
}

struct collect {
    char (*ids)[JG_GBID_LEN + 1];
    char (*ats)[32];
    size_t n, cap;
};

static void collect_alive(void *value, void *ud)
{
    struct collect *c = ud;
    jg_vdev *d = value;
    if (!d->alive_dirty || c->n >= c->cap)
        return;
    d->alive_dirty = 0;
    memcpy(c->ids[c->n], d->gb_id, sizeof(c->ids[0]));
    iso_of_ms(d->alive_unix_ms, c->ats[c->n]);
    c->n++;
}

void jg_vsvc_flush_keepalives(jg_vsvc *svc)
{
    struct collect c = {NULL, NULL, 0, svc->devices.count};
    if (c.cap == 0)
        return;
    c.ids = jg_xcalloc(c.cap, sizeof(*c.ids));
    c.ats = jg_xcalloc(c.cap, sizeof(*c.ats));
    jg_vtab_each(&svc->devices, collect_alive, &c);
    jg_vstore_keepalives(svc->store, (const char(*)[JG_GBID_LEN + 1]) c.ids, (const char(*)[32])c.ats, c.n);
    if (c.n > 0)
        jg_debug("video: %zu keepalive times queued", c.n);
    free(c.ids);
    free(c.ats);
}

static void free_device(jg_vdev *d)
{
    jg_vmsg_catalog_end(d);
    free(d->password_enc);
    free(d);
}

/* video_device.media_transport of row i (column col): udp, tcp or tcp-active, else "" (the node's). */
static const char *media_transport_of_row(jg_rows *r, int i, int col)
{
    const char *t = jg_rows_text(r, i, col);
    if (t == NULL || (strcmp(t, "udp") != 0 && strcmp(t, "tcp") != 0 && strcmp(t, "tcp-active") != 0))
        return "";
    return t;
}

/* Apply settings changed in the database (password, charset, keepalive overrides, media transport,
 * deletion). */
static void poll_settings(jg_vsvc *svc)
{
    jg_value p[] = {JG_VTEXT(svc->settings_at)};
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_read(svc->db,
                   "SELECT gb_id, password_enc, charset, keepalive_interval_s, keepalive_count, status, "
                   /* >=: a change made in the same millisecond as the last one seen is not missed;
                      rows seen before are applied again, which changes nothing. */
                   "settings_at, media_transport FROM video_device "
                   "WHERE settings_at >= $1 ORDER BY settings_at",
                   p, 1, &r);
    if (rc != JG_OK) {
        jg_warn("video: cannot read device settings (%s)", jg_rc_name(rc));
        return;
    }
    for (int i = 0; i < jg_rows_count(r); i++) {
        const char *id = jg_rows_text(r, i, 0);
        snprintf(svc->settings_at, sizeof(svc->settings_at), "%s", jg_rows_text(r, i, 6));
        if (!jg_gbid_valid(id))
            continue;
        jg_vdev *d = jg_vsvc_device(svc, id);
        if (d == NULL)
            d = jg_vsvc_device_new(svc, id); /* set up before it ever registered */
        const char *status = jg_rows_text(r, i, 5);
        if (status != NULL && strcmp(status, "active") != 0) {
            if (!d->deleted)
                jg_info("video: device %s deleted; refusing it from now on", id);
            if (d->registered || d->online)
                jg_vsvc_device_offline(svc, d, "deleted", 1);
            d->registered = 0;
            d->deleted = 1;
            continue;
        }
        const char *tok = jg_rows_text(r, i, 1);
        int changed = d->deleted || (tok == NULL) != (d->password_enc == NULL) ||
                      (tok != NULL && strcmp(tok, d->password_enc) != 0) ||
                      d->charset != jg_vcharset_parse(jg_rows_text(r, i, 2)) ||
                      d->keepalive_interval_s != (int)jg_rows_int(r, i, 3) ||
                      d->keepalive_count != (int)jg_rows_int(r, i, 4) ||
                      strcmp(d->media_transport, media_transport_of_row(r, i, 7)) != 0;
        if (!changed)
            continue;
        d->deleted = 0;
        free(d->password_enc);
        d->password_enc = tok != NULL ? jg_xstrdup(tok) : NULL;
        d->charset = jg_vcharset_parse(jg_rows_text(r, i, 2));
        d->keepalive_interval_s = (int)jg_rows_int(r, i, 3);
        d->keepalive_count = (int)jg_rows_int(r, i, 4);
        snprintf(d->media_transport, sizeof(d->media_transport), "%s", media_transport_of_row(r, i, 7));
        jg_info("video: settings of device %s changed", id);
    }
    jg_rows_free(r);
}

void jg_vsvc_tick(jg_vsvc *svc)
{
    static const int64_t second = 1000000;
    run_transactions(svc);
    jg_vinvite_tick(svc);
    jg_vmedia_tick(svc);
    jg_vnodes_tick(svc);
    jg_vcascade_tick(svc);
    if (svc->now_us - svc->last_scan_us >= second) {
        svc->last_scan_us = svc->now_us;
        struct scan s = {svc, NULL, 0};
        jg_vtab_each(&svc->devices, scan_device, &s);
    }
    if (svc->now_us - svc->last_flush_us >= svc->cfg->video_keepalive_flush_s * second) {
        svc->last_flush_us = svc->now_us;
        jg_vsvc_flush_keepalives(svc);
        poll_settings(svc);
        jg_vreg_expire_locks(svc);
    }
    /* Retention of device events and alarms: at the first tick, then every 10 minutes (signalling). */
    if (jg_vrole(svc->cfg) != JG_VROLE_MEDIA &&
        (svc->last_purge_us == 0 || svc->now_us - svc->last_purge_us >= 600 * second)) {
        svc->last_purge_us = svc->now_us;
        char before[40];
        jg_time_iso_offset(-(int64_t)svc->cfg->video_event_keep_days * 86400, before, sizeof(before));
        jg_vstore_purge(svc->store, before);
    }
}

/* ---- life cycle ---- */

static jg_rc load_devices(jg_vsvc *svc)
{
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_read(svc->db,
                   "SELECT gb_id, password_enc, charset, transport, address, port, online, expires_at, "
                   "keepalive_interval_s, keepalive_count, settings_at, status, media_transport "
                   "FROM video_device",
                   NULL, 0, &r);
    if (rc != JG_OK) {
        jg_error("video: cannot read the devices (%s); has `jianguan migrate` run?", jg_rc_name(rc));
        return JG_UNAVAILABLE;
    }
    int64_t now_s = (int64_t)time(NULL);
    int online = 0, lapsed = 0;
    for (int i = 0; i < jg_rows_count(r); i++) {
        const char *id = jg_rows_text(r, i, 0);
        if (!jg_gbid_valid(id) || jg_vsvc_device(svc, id) != NULL)
            continue;
        jg_vdev *d = jg_vsvc_device_new(svc, id);
        const char *status = jg_rows_text(r, i, 11);
        d->deleted = status != NULL && strcmp(status, "active") != 0;
        const char *tok = jg_rows_text(r, i, 1);
        d->password_enc = tok != NULL ? jg_xstrdup(tok) : NULL;
        d->charset = jg_vcharset_parse(jg_rows_text(r, i, 2));
        const char *tr = jg_rows_text(r, i, 3);
        d->transport = tr != NULL && strcmp(tr, "tcp") == 0 ? JG_VT_TCP : JG_VT_UDP;
        d->addr.sin_family = AF_INET;
        const char *addr = jg_rows_text(r, i, 4);
        if (addr != NULL)
            inet_pton(AF_INET, addr, &d->addr.sin_addr);
        d->addr.sin_port = htons((uint16_t)jg_rows_int(r, i, 5));
        d->keepalive_interval_s = (int)jg_rows_int(r, i, 8);
        d->keepalive_count = (int)jg_rows_int(r, i, 9);
        snprintf(d->media_transport, sizeof(d->media_transport), "%s", media_transport_of_row(r, i, 12));
        const char *sa = jg_rows_text(r, i, 10);
        if (sa != NULL && strcmp(sa, svc->settings_at) > 0)
            snprintf(svc->settings_at, sizeof(svc->settings_at), "%s", sa);
        int64_t exp = parse_iso(jg_rows_text(r, i, 7));
        if (jg_rows_int(r, i, 6) == 1 && !d->deleted) {
            if (exp > now_s) {
                /* Still registered: it gets a full keepalive window from now. */
                d->registered = d->online = 1;
                d->expires_us = svc->now_us + (exp - now_s) * 1000000;
                d->alive_us = svc->now_us;
                online++;
            } else {
                d->online = 1;
                jg_vsvc_device_offline(svc, d, "registration_expired", 0);
                lapsed++;
            }
        }
    }
    jg_info("video: %d devices known, %d still registered, %d lapsed while the service was down",
            jg_rows_count(r), online, lapsed);
    jg_rows_free(r);
    return JG_OK;
}

jg_rc jg_vsvc_init(jg_vsvc *svc, const jg_config *cfg, jg_db *db, const unsigned char *field_key,
                   jg_vsend_fn send)
{
    memset(svc, 0, sizeof(*svc));
    svc->cfg = cfg;
    svc->db = db;
    svc->send = send;
    if (jg_gbid_realm(cfg->video_sip_id, svc->realm) != JG_OK) {
        jg_error("video_sip_id must be a 20-digit GB/T 28181 ID, got \"%s\"", cfg->video_sip_id);
        return JG_INVALID;
    }
    const char *colon = strrchr(cfg->video_sip_listen, ':');
    int64_t port = -1;
    if (colon == NULL || colon == cfg->video_sip_listen ||
        (size_t)(colon - cfg->video_sip_listen) >= sizeof(svc->listen_host) ||
        jg_parse_int64(colon + 1, 0, 65535, &port) != JG_OK) {
        jg_error("video_sip_listen must be host:port, got %s", cfg->video_sip_listen);
        return JG_INVALID;
    }
    snprintf(svc->listen_host, sizeof(svc->listen_host), "%.*s", (int)(colon - cfg->video_sip_listen),
             cfg->video_sip_listen);
    svc->listen_port = (int)port;
    if (field_key != NULL) {
        memcpy(svc->field_key, field_key, sizeof(svc->field_key));
        svc->have_field_key = 1;
    }
    if (jg_crypto_random(svc->nonce_secret, sizeof(svc->nonce_secret)) != JG_OK)
        return JG_ERR;
    jg_sip_init();
    jg_vtab_init(&svc->devices);
    jg_vtab_init(&svc->locks);
    jg_vtab_init(&svc->txs);
    jg_ssrc_pool_init(&svc->ssrc_pool);
    svc->sn = (int64_t)(time(NULL) % 100000) * 1000;
    svc->now_us = jg_time_mono_us();
    svc->last_scan_us = svc->last_flush_us = svc->now_us;
    svc->store = jg_vstore_start(db, WRITER_QUEUE_MAX);
    jg_rc rc = load_devices(svc);
    if (rc != JG_OK) {
        jg_vsvc_exit(svc);
        return rc;
    }
    rc = jg_vrole(cfg) == JG_VROLE_MEDIA ? JG_OK : jg_vcascade_init(svc); /* a media node has no SIP */
    if (rc != JG_OK) {
        jg_vsvc_exit(svc);
        return rc;
    }
    if (cfg->video_sip_password[0] == '\0' && jg_vrole(cfg) != JG_VROLE_MEDIA)
        jg_warn("video: video_sip_password is empty: only devices with their own password can register");
    return JG_OK;
}

static void free_device_cb(void *value, void *ud)
{
    (void)ud;
    free_device(value);
}

static void free_cb(void *value, void *ud)
{
    (void)ud;
    free(value);
}

void jg_vsvc_exit(jg_vsvc *svc)
{
    jg_vcascade_exit(svc);
    jg_vsub_exit(svc);
    if (svc->store != NULL) {
        jg_vsvc_flush_keepalives(svc);
        jg_vstore_stop(svc->store);
        svc->store = NULL;
    }
    while (svc->tx_head != NULL)
        tx_unlink(svc, svc->tx_head);
    if (svc->devices.buckets != NULL) {
        jg_vtab_each(&svc->devices, free_device_cb, NULL);
        jg_vtab_free(&svc->devices);
        jg_vtab_each(&svc->locks, free_cb, NULL);
        jg_vtab_free(&svc->locks);
        jg_vtab_free(&svc->txs);
    }
    OPENSSL_cleanse(svc->field_key, sizeof(svc->field_key));
    OPENSSL_cleanse(svc->nonce_secret, sizeof(svc->nonce_secret));
}

struct setpw {
    const char *gb_id, *token, *at;
};

static jg_rc set_password_tx(jg_conn *c, void *ud)
{
    struct setpw *s = ud;
    jg_value p[] = {JG_VTEXT(s->gb_id), s->token != NULL ? JG_VTEXT(s->token) : JG_VNULL, JG_VTEXT(s->at)};
    return jg_db_exec(c,
                      "INSERT INTO video_device (gb_id, password_enc, settings_at, created_at, updated_at) "
                      "VALUES ($1, $2, $3, $3, $3) ON CONFLICT (gb_id) DO UPDATE SET "
                      "password_enc = excluded.password_enc, settings_at = excluded.settings_at, "
                      "updated_at = excluded.updated_at",
                      p, 3, NULL);
}

jg_rc jg_video_device_set_password(jg_db *db, const unsigned char *field_key, const char *gb_id,
                                   const char *password)
{
    if (!jg_gbid_valid(gb_id) || (password != NULL && (strlen(password) > 64 || password[0] == '\0')))
        return JG_INVALID;
    char token[JG_SM4_TOKEN_SIZE(64)];
    if (password != NULL) {
        jg_rc rc =
            jg_sm4_seal(field_key, "video_device.password", password, strlen(password), token, sizeof(token));
        if (rc != JG_OK)
            return rc;
    }
    char at[32];
    jg_time_iso_now(at, sizeof(at));
    struct setpw s = {gb_id, password != NULL ? token : NULL, at};
    return jg_db_tx(db, set_password_tx, &s);
}
