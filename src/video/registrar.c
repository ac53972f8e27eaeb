/* The registrar: REGISTER with digest authentication, lockout after repeated failures, and the
 * device's address taken from the packet (NAT), never from its Contact.
 *
 *     REGISTER without Authorization           -> 401 WWW-Authenticate: Digest realm, nonce, qop
 *     nonce expired, or replayed (nc not new)  -> 401 ... stale=true
 *     wrong response, unknown password          -> 403; the Nth failure in a row locks the ID
 *     ID locked                                 -> 403 until the lock ends
 *     right response, Expires > 0               -> 200 Contact, Expires, Date: yyyy-MM-ddTHH:mm:ss.SSS
 *     right response, Expires: 0                -> 200; the device is offline (unregistered)
 */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <openssl/crypto.h>
#include <osipparser2/osip_port.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NONCE_TTL_S 300
#define DEFAULT_EXPIRES 3600
#define MAX_EXPIRES 86400
#define MAX_LOCK_ENTRIES 100000
#define AUTH_EVENTS_PER_S 50

/* "Date: 2024-05-06T14:03:08.123": local time of the platform (Beijing, UTC+8), as devices expect. */
static void gb_date(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t t = ts.tv_sec + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    char text[96]; /* room for any int, which the compiler cannot rule out */
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
    jg_strlcpy(out, text, outlen); /* 23 characters in practice */
}

static void challenge(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer, const char *id,
                      int stale)
{
    char nonce[JG_NONCE_LEN + 1];
    if (jg_digest_nonce_make(svc->nonce_secret, id, (int64_t)time(NULL), nonce) != JG_OK) {
        jg_vsvc_respond(svc, req, peer, 500, NULL);
        return;
    }
    osip_message_t *r = NULL;
    jg_vsvc_respond(svc, req, peer, 401, &r);
    if (r == NULL)
        return;
    char h[256];
    snprintf(h, sizeof(h), "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=MD5%s", svc->realm,
             nonce, stale ? ", stale=true" : "");
    osip_message_set_www_authenticate(r, h);
    jg_vsvc_send_msg(svc, peer, r);
}

static jg_vlock *lock_of(jg_vsvc *svc, const char *id)
{
    return jg_vtab_get(&svc->locks, id);
}

static int locked(jg_vsvc *svc, const char *id)
{
    jg_vlock *l = lock_of(svc, id);
    return l != NULL && l->locked_until_us > svc->now_us;
}

/* auth_failed events are rate-limited: a flood of made-up IDs must not flood the database. */
static int event_allowed(jg_vsvc *svc)
{
    if (svc->now_us - svc->events_window_us >= 1000000) {
        svc->events_window_us = svc->now_us;
        svc->events_in_window = 0;
    }
    return ++svc->events_in_window <= AUTH_EVENTS_PER_S;
}

static void peer_text(const jg_vpeer *peer, char *out, size_t outlen)
{
    char ip[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &peer->addr.sin_addr, ip, sizeof(ip));
    snprintf(out, outlen, "%s %s:%d", peer->transport == JG_VT_TCP ? "tcp" : "udp", ip,
             ntohs(peer->addr.sin_port));
}

static void failed(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer, const char *id,
                   const char *why)
{
    char at[32], where[64];
    jg_vsvc_now_iso(at);
    peer_text(peer, where, sizeof(where));
    jg_vlock *l = lock_of(svc, id);
    if (l == NULL && svc->locks.count < MAX_LOCK_ENTRIES) {
        l = jg_xcalloc(1, sizeof(*l));
        snprintf(l->gb_id, sizeof(l->gb_id), "%s", id);
        jg_vtab_put(&svc->locks, l->gb_id, l);
    }
    int64_t lock_us = (int64_t)svc->cfg->video_register_lock_s * 1000000;
    if (l != NULL) {
        if (svc->now_us - l->last_us > lock_us)
            l->failures = 0; /* failures long ago do not add up */
        l->failures++;
        l->last_us = svc->now_us;
    }
    jg_warn("video: REGISTER of %s from %s refused: %s", id, where, why);
    if (event_allowed(svc))
        jg_vstore_event(svc->store, id, "auth_failed", where, at);
    if (l != NULL && l->failures >= svc->cfg->video_register_max_failures) {
        l->locked_until_us = svc->now_us + lock_us;
        l->failures = 0;
        jg_warn("video: device %s locked out for %ld s after %ld failed logins", id,
                svc->cfg->video_register_lock_s, svc->cfg->video_register_max_failures);
        jg_vstore_event(svc->store, id, "locked", where, at);
    }
    jg_vsvc_respond(svc, req, peer, 403, NULL);
}

void jg_vreg_expire_locks(jg_vsvc *svc)
{
    int64_t lock_us = (int64_t)svc->cfg->video_register_lock_s * 1000000;
    /* Collect first: the table may not change while it is walked. */
    size_t n = 0, cap = svc->locks.count;
    if (cap == 0)
        return;
    jg_vlock **gone = jg_xcalloc(cap, sizeof(*gone));
    for (size_t b = 0; b < svc->locks.nbuckets; b++) {
        for (jg_vtab_node *x = svc->locks.buckets[b]; x != NULL; x = x->next) {
            jg_vlock *l = x->value;
            if (l->locked_until_us <= svc->now_us && svc->now_us - l->last_us > lock_us && n < cap)
                gone[n++] = l;
        }
    }
    for (size_t i = 0; i < n; i++) {
        jg_vtab_del(&svc->locks, gone[i]->gb_id);
        free(gone[i]);
    }
    free(gone);
}

/* The password for device id: its own (opened with the field key) or the default. The loop never
 * waits for the database here: every device row is in memory (loaded at start, new and changed
 * rows by the settings poll). Returns 0 and sets *d_out (NULL for a device never seen) when there
 * is a password; -1 when the device has no usable one or is deleted. */
static int password_for(jg_vsvc *svc, const char *id, jg_vdev **d_out, char *out, size_t outlen)
{
    jg_vdev *d = jg_vsvc_device(svc, id);
    *d_out = d;
    if (d != NULL && d->deleted)
        return -1;
    const char *token = d != NULL ? d->password_enc : NULL;
    if (token != NULL) {
        size_t n = 0;
        if (!svc->have_field_key ||
            jg_sm4_open(svc->field_key, "video_device.password", token, out, outlen - 1, &n) != JG_OK) {
            jg_error("video: the password of device %s does not open with this installation's field key", id);
            return -1;
        }
        out[n] = '\0';
        return 0;
    }
    if (svc->cfg->video_sip_password[0] == '\0')
        return -1;
    snprintf(out, outlen, "%s", svc->cfg->video_sip_password);
    return 0;
}

/* The device record for a successful registration, created if new; NULL when full. */
static jg_vdev *device_for(jg_vsvc *svc, const char *id, jg_vdev *d)
{
    if (d != NULL)
        return d;
    if ((long)svc->devices.count >= svc->cfg->video_max_devices)
        return NULL;
    return jg_vsvc_device_new(svc, id);
}

static unsigned long parse_nc(const char *s)
{
    unsigned long v = 0;
    for (int i = 0; s[i] != '\0' && i < 8; i++) {
        int c = tolower((unsigned char)s[i]);
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (x < 0)
            return 0;
        v = v << 4 | (unsigned long)x;
    }
    return v;
}

static void accept_register(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer, jg_vdev *d,
                            long expires)
{
    char at[32], date[32];
    jg_vsvc_now_iso(at);
    char ip[INET_ADDRSTRLEN] = "";
    inet_ntop(AF_INET, &peer->addr.sin_addr, ip, sizeof(ip));
    int port = ntohs(peer->addr.sin_port);
    osip_message_t *r = NULL;
    if (expires == 0) {
        jg_vsvc_respond(svc, req, peer, 200, &r);
        if (r != NULL) {
            gb_date(date, sizeof(date));
            osip_message_set_header(r, "Date", date);
            osip_message_set_expires(r, "0");
            jg_vsvc_send_msg(svc, peer, r);
        }
        jg_info("video: device %s unregistered (%s:%d)", d->gb_id, ip, port);
        if (d->registered || d->online)
            jg_vsvc_device_offline(svc, d, "unregistered", 1);
        d->registered = 0;
        return;
    }
    int fresh = !d->registered || !d->online;
    d->registered = 1;
    d->transport = peer->transport;
    d->addr = peer->addr;
    d->conn = peer->transport == JG_VT_TCP ? peer->conn : NULL;
    if (d->conn != NULL)
        snprintf(d->conn->gb_id, sizeof(d->conn->gb_id), "%s", d->gb_id);
    d->expires_us = svc->now_us + (int64_t)expires * 1000000;
    d->alive_us = svc->now_us;
    /* Our address as the device sees it: the host:port of its Request-URI. */
    const osip_uri_t *u = req->req_uri;
    if (u != NULL && u->host != NULL)
        snprintf(d->local, sizeof(d->local), "%s:%s", u->host, u->port != NULL ? u->port : "5060");
    char expires_at[32];
    jg_time_iso_offset(expires, expires_at, sizeof(expires_at));
    jg_vstore_registered(svc->store, d->gb_id, peer->transport == JG_VT_TCP ? "tcp" : "udp", ip, port, at,
                         expires_at);
    svc->stat_registers++;

    jg_vsvc_respond(svc, req, peer, 200, &r);
    if (r != NULL) {
        osip_contact_t *c = NULL;
        if (osip_message_get_contact(req, 0, &c) >= 0 && c != NULL) {
            char *text = NULL;
            if (osip_contact_to_str(c, &text) == 0 && text != NULL) {
                osip_message_set_contact(r, text);
                osip_free(text);
            }
        }
        char e[16];
        snprintf(e, sizeof(e), "%ld", expires);
        osip_message_set_expires(r, e);
        gb_date(date, sizeof(date));
        osip_message_set_header(r, "Date", date);
        jg_vsvc_send_msg(svc, peer, r);
    }
    if (fresh) {
        char detail[64];
        snprintf(detail, sizeof(detail), "%s %s:%d", peer->transport == JG_VT_TCP ? "tcp" : "udp", ip, port);
        jg_info("video: device %s registered from %s for %ld s", d->gb_id, detail, expires);
        d->online = 0; /* so that device_online records the change */
        jg_vsvc_device_online(svc, d, detail);
        jg_vsvc_query(svc, d, "DeviceInfo", &d->devinfo_sn);
        jg_vmsg_catalog_start(svc, d);
        jg_vsub_registered(svc, d); /* subscriptions and DeviceStatus (subscribe.c) */
    } else {
        jg_debug("video: device %s refreshed its registration (%ld s)", d->gb_id, expires);
    }
}

void jg_vreg_handle(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer)
{
    const char *id = jg_sip_from_user(req);
    if (!jg_gbid_valid(id)) {
        jg_debug("video: REGISTER with a From that is no 20-digit GB ID");
        jg_vsvc_respond(svc, req, peer, 400, NULL);
        return;
    }
    if (locked(svc, id)) {
        jg_debug("video: REGISTER of locked-out device %s", id);
        jg_vsvc_respond(svc, req, peer, 403, NULL);
        return;
    }
    long expires = jg_sip_expires(req, DEFAULT_EXPIRES);
    if (expires < 0) {
        jg_vsvc_respond(svc, req, peer, 400, NULL);
        return;
    }
    if (expires > MAX_EXPIRES)
        expires = MAX_EXPIRES;
    osip_authorization_t *auth = NULL;
    if (osip_message_get_authorization(req, 0, &auth) < 0 || auth == NULL) {
        challenge(svc, req, peer, id, 0);
        return;
    }
    char username[64], realm[64], nonce[64], uri[256], response[64], cnonce[128], nc[16], qop[16];
    jg_sip_unquote(auth->username, username, sizeof(username));
    jg_sip_unquote(auth->realm, realm, sizeof(realm));
    jg_sip_unquote(auth->nonce, nonce, sizeof(nonce));
    jg_sip_unquote(auth->uri, uri, sizeof(uri));
    jg_sip_unquote(auth->response, response, sizeof(response));
    jg_sip_unquote(auth->cnonce, cnonce, sizeof(cnonce));
    jg_sip_unquote(auth->nonce_count, nc, sizeof(nc));
    jg_sip_unquote(auth->message_qop, qop, sizeof(qop));
    if (username[0] == '\0' || uri[0] == '\0' || strlen(response) != JG_DIGEST_HEX_LEN) {
        challenge(svc, req, peer, id, 0);
        return;
    }
    jg_rc nrc = jg_digest_nonce_check(svc->nonce_secret, id, nonce, (int64_t)time(NULL), NONCE_TTL_S);
    if (nrc != JG_OK) {
        challenge(svc, req, peer, id, nrc == JG_TIMEOUT);
        return;
    }
    if (qop[0] != '\0' && strcmp(qop, "auth") != 0) {
        challenge(svc, req, peer, id, 0);
        return;
    }
    unsigned long count = qop[0] != '\0' ? parse_nc(nc) : 1;
    jg_vdev *d = NULL;
    char password[72];
    if (password_for(svc, id, &d, password, sizeof(password)) != 0) {
        failed(svc, req, peer, id, "no password for it, or it is deleted");
        return;
    }
    if (d != NULL && strcmp(d->nonce, nonce) == 0 && count <= d->nonce_count) {
        OPENSSL_cleanse(password, sizeof(password));
        challenge(svc, req, peer, id, 1); /* a replay, or a device reusing a nonce: ask afresh */
        return;
    }
    char expect[JG_DIGEST_HEX_LEN + 1];
    /* The hash covers the username the device used (some use a configured name, not their ID). */
    jg_rc rc = jg_digest_response(username, svc->realm, password, "REGISTER", uri, nonce, nc, cnonce,
                                  qop[0] != '\0' ? qop : NULL, expect);
    OPENSSL_cleanse(password, sizeof(password));
    for (char *p = response; *p != '\0'; p++)
        *p = (char)tolower((unsigned char)*p);
    if (rc != JG_OK || jg_crypto_equal(expect, response, JG_DIGEST_HEX_LEN) != JG_OK) {
        failed(svc, req, peer, id, "wrong digest response (password)");
        return;
    }
    jg_vlock *l = jg_vtab_del(&svc->locks, id);
    free(l);
    d = device_for(svc, id, d);
    if (d == NULL) {
        jg_warn("video: REGISTER of %s refused: video_max_devices (%ld) reached", id,
                svc->cfg->video_max_devices);
        jg_vsvc_respond(svc, req, peer, 503, NULL);
        return;
    }
    memcpy(d->nonce, nonce, JG_NONCE_LEN); /* checked: exactly JG_NONCE_LEN */
    d->nonce[JG_NONCE_LEN] = '\0';
    d->nonce_count = count;
    accept_register(svc, req, peer, d, expires);
}
