/* Subscriptions to devices (GB/T 28181-2016 9.7, 9.11, 9.12): when a device registers afresh, the
 * platform sends a SUBSCRIBE for each kind in video_subscribe, its body a MANSCDP <Query>:
 *
 *     kind       Event     body
 *     catalog    Catalog   <Query><CmdType>Catalog</CmdType>...             catalog changes (NOTIFY)
 *     alarm      presence  <Query><CmdType>Alarm</CmdType>... priorities    alarms (NOTIFY)
 *     position   presence  <Query><CmdType>MobilePosition</CmdType>...<Interval>  positions (NOTIFY)
 *
 * with Expires: video_subscribe_expires_s. The 2xx makes a dialog (the device's To tag); the
 * subscription is refreshed in that dialog (same Call-ID, From tag, To tag, next CSeq) at 80% of
 * the Expires the device granted, and ended with Expires: 0 at shutdown. An unanswered SUBSCRIBE is
 * retransmitted over UDP each second for 8 s; a refused or unanswered one (many devices answer
 * 489 or 501 to what they do not do) is tried again after JG_VSUB_RETRY_S, the wait doubling with
 * each failure in a row up to an hour (sub_later). NOTIFYs arrive like
 * MESSAGEs (catalog.c: from the registered address, answered 200, the body dispatched as a
 * MANSCDP notification); a Subscription-State of terminated ends the subscription here.
 *
 * Each change of state (active, refused, unanswered, terminated) is written to video_subscription
 * through the writer, not each refresh; a fresh registration or the end of one clears the device's
 * rows, so the platform API can tell why a device's alarms do not arrive.
 *
 * Call-IDs are "sub<kind>x<random>x<device ID>", so a response finds its device without a table.
 * Everything runs on the event loop. */
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { SUB_SENDING = 0, SUB_ACTIVE, SUB_IDLE };

typedef struct jg_vsub {
    int kind; /* index into kinds[] */
    int state;
    char call_id[128], from_tag[24], to_tag[80];
    long cseq;
    long expires_s;   /* asked for (0: un-SUBSCRIBE) */
    jg_buf wire;      /* the SUBSCRIBE awaiting its response (SUB_SENDING) */
    int64_t next_us;  /* SUB_SENDING: next retransmission; SUB_ACTIVE: refresh; SUB_IDLE: try again */
    int64_t until_us; /* SUB_SENDING: give up */
    int failures;     /* refused or unanswered in a row: the wait before the next try doubles */
    long granted_s;   /* the Expires of the active state last recorded (0: none) */
} jg_vsub;

static const struct {
    const char *name;  /* in video_subscribe */
    const char *query; /* CmdType of the body */
    const char *event; /* Event header */
} kinds[JG_VSUB_KINDS] = {{"catalog", "Catalog", "Catalog"},
                          {"alarm", "Alarm", "presence"},
                          {"position", "MobilePosition", "presence"}};

#define SECOND_US 1000000LL
#define SEND_FOR_US (8 * SECOND_US)

/* s of d is state now (video_subscription, through the writer); code: the SIP status of a refusal,
 * retry_s: when it is tried again (not active). */
static void sub_record(jg_vsvc *svc, const jg_vdev *d, const jg_vsub *s, const char *state, int code,
                       int retry_s)
{
    char at[32], retry_at[32];
    jg_vsvc_now_iso(at);
    if (retry_s > 0)
        jg_time_iso_offset(retry_s, retry_at, sizeof(retry_at));
    jg_vsub_state st = {kinds[s->kind].name, state,       retry_s > 0 ? retry_at : NULL, code,
                        s->failures,         s->granted_s};
    jg_vstore_subscription(svc->store, d->gb_id, &st, at);
}

/* d's subscriptions ended (its registration did, or a fresh one begins): their rows go. */
static void subs_cleared(jg_vsvc *svc, const jg_vdev *d)
{
    char at[32];
    jg_vsvc_now_iso(at);
    jg_vstore_subscription(svc->store, d->gb_id, NULL, at);
}

/* s of d failed (why: refused with code, unanswered, terminated, or failed to be sent): idle, tried
 * again after JG_VSUB_RETRY_S, doubling with each failure in a row up to an hour, so devices that do
 * not support an event are not asked every minute; recorded; returns the wait in seconds. */
static int sub_later(jg_vsvc *svc, const jg_vdev *d, jg_vsub *s, const char *why, int code)
{
    int wait = JG_VSUB_RETRY_S << (s->failures < 6 ? s->failures : 6);
    if (wait > 3600)
        wait = 3600;
    s->failures++;
    s->state = SUB_IDLE;
    s->call_id[0] = '\0';
    s->next_us = svc->now_us + (int64_t)wait * SECOND_US;
    s->granted_s = 0;
    sub_record(svc, d, s, why, code, wait);
    return wait;
}

static int configured(const char *list, const char *kind)
{
    size_t k = strlen(kind);
    for (const char *p = list; p != NULL && *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e != '\0' && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == k && strncasecmp(p, kind, k) == 0)
            return 1;
        p = e;
    }
    return 0;
}

static void sub_free(jg_vsub *s)
{
    if (s == NULL)
        return;
    jg_buf_free(&s->wire);
    free(s);
}

/* Build and send the SUBSCRIBE of s to d (new dialog when s has no To tag), kept in s->wire. */
static jg_rc sub_send(jg_vsvc *svc, jg_vdev *d, jg_vsub *s, long expires)
{
    char local[80], ip[INET_ADDRSTRLEN] = "", uri[128], via[192], from[128], to[192], contact[160];
    if (d->local[0] != '\0')
        snprintf(local, sizeof(local), "%s", d->local);
    else
        snprintf(local, sizeof(local), "%s:%d",
                 strcmp(svc->listen_host, "0.0.0.0") == 0 ? "127.0.0.1" : svc->listen_host, svc->listen_port);
    inet_ntop(AF_INET, &d->addr.sin_addr, ip, sizeof(ip));
    char rhex[17];
    unsigned char rnd[8];
    if (jg_crypto_random(rnd, sizeof(rnd)) != JG_OK)
        memset(rnd, 0, sizeof(rnd));
    jg_crypto_hex_encode(rnd, sizeof(rnd), rhex);
    if (s->call_id[0] == '\0') {
        char host[80];
        snprintf(host, sizeof(host), "%s", local);
        char *colon = strchr(host, ':');
        if (colon != NULL)
            *colon = '\0';
        snprintf(s->call_id, sizeof(s->call_id), "sub%dx%sx%s@%s", s->kind, rhex, d->gb_id, host);
        snprintf(s->from_tag, sizeof(s->from_tag), "%llx", (unsigned long long)++svc->serial * 2654435761ULL);
        s->to_tag[0] = '\0';
        s->cseq = 0;
    }
    s->cseq++;
    s->expires_s = expires;
    snprintf(uri, sizeof(uri), "sip:%s@%s:%d", d->gb_id, ip, ntohs(d->addr.sin_port));
    snprintf(via, sizeof(via), "SIP/2.0/%s %s;rport;branch=z9hG4bK%s%llx",
             d->transport == JG_VT_TCP ? "TCP" : "UDP", local, rhex, (unsigned long long)++svc->serial);
    snprintf(from, sizeof(from), "<sip:%s@%s>;tag=%s", svc->cfg->video_sip_id, svc->realm, s->from_tag);
    if (s->to_tag[0] != '\0')
        snprintf(to, sizeof(to), "<sip:%s@%s>;tag=%s", d->gb_id, svc->realm, s->to_tag);
    else
        snprintf(to, sizeof(to), "<sip:%s@%s>", d->gb_id, svc->realm);
    snprintf(contact, sizeof(contact), "<sip:%s@%s>", svc->cfg->video_sip_id, local);
    jg_buf body;
    jg_buf_init(&body, 4096);
    jg_rc rc = jg_manscdp_subscribe_query(&body, kinds[s->kind].query, ++svc->sn, d->gb_id,
                                          (int)svc->cfg->video_position_interval_s);
    jg_sip_request_args a = {
        "SUBSCRIBE", uri, from, to, s->call_id, s->cseq, via, "Application/MANSCDP+xml", body.data, body.len};
    osip_message_t *m = NULL;
    if (rc == JG_OK)
        rc = jg_sip_request(&a, &m);
    jg_buf_free(&body);
    if (rc != JG_OK) {
        jg_warn("video: cannot build the %s SUBSCRIBE for %s", kinds[s->kind].name, d->gb_id);
        return rc;
    }
    char e[24];
    snprintf(e, sizeof(e), "%ld", expires);
    osip_message_set_header(m, "Event", kinds[s->kind].event);
    osip_message_set_expires(m, e);
    osip_message_set_contact(m, contact);
    jg_buf_free(&s->wire);
    jg_buf_init(&s->wire, JG_SIP_MAX_MESSAGE);
    rc = jg_sip_serialize(m, &s->wire);
    osip_message_free(m);
    if (rc != JG_OK)
        return rc;
    jg_vpeer peer;
    jg_vsvc_peer_of(d, &peer);
    svc->send(svc, &peer, s->wire.data, s->wire.len);
    s->state = SUB_SENDING;
    s->next_us = svc->now_us + SECOND_US;
    s->until_us = svc->now_us + SEND_FOR_US;
    return JG_OK;
}

/* A new subscription of kind for d (replacing any): sent now. */
static void sub_start(jg_vsvc *svc, jg_vdev *d, int kind)
{
    sub_free(d->subs[kind]);
    jg_vsub *s = jg_xcalloc(1, sizeof(*s));
    s->kind = kind;
    jg_buf_init(&s->wire, JG_SIP_MAX_MESSAGE);
    d->subs[kind] = s;
    if (sub_send(svc, d, s, svc->cfg->video_subscribe_expires_s) != JG_OK)
        sub_later(svc, d, s, "failed", 0);
}

void jg_vsub_registered(jg_vsvc *svc, jg_vdev *d)
{
    subs_cleared(svc, d); /* the states of the last registration go */
    for (int k = 0; k < JG_VSUB_KINDS; k++) {
        if (configured(svc->cfg->video_subscribe, kinds[k].name)) {
            /* a fresh registration: the old dialog (if any) is gone with the device's restart */
            sub_free(d->subs[k]);
            d->subs[k] = NULL;
            sub_start(svc, d, k);
        }
    }
    int64_t sn;
    int want;
    jg_vdevcmd_send(svc, d, d->gb_id, "status", &sn, &want);
}

void jg_vsub_check(jg_vsvc *svc, jg_vdev *d)
{
    if (svc->now_us - svc->sub_window_us >= SECOND_US) {
        svc->sub_window_us = svc->now_us;
        svc->sub_started = 0;
    }
    int ended = 0;
    for (int k = 0; k < JG_VSUB_KINDS; k++) {
        jg_vsub *s = d->subs[k];
        if (s == NULL && d->registered && d->online && svc->sub_started < JG_VSUB_STARTS_PER_S &&
            configured(svc->cfg->video_subscribe, kinds[k].name)) {
            /* registered before this process started (loaded from the database): subscribe now */
            svc->sub_started++;
            sub_start(svc, d, k);
            continue;
        }
        if (s == NULL)
            continue;
        if (!d->registered) {
            sub_free(s);
            d->subs[k] = NULL;
            ended = 1;
            continue;
        }
        if (svc->now_us < s->next_us)
            continue;
        if (s->state == SUB_SENDING && svc->now_us >= s->until_us) {
            int wait = sub_later(svc, d, s, "unanswered", 0);
            jg_log(s->failures == 1 ? JG_LOG_INFO : JG_LOG_DEBUG,
                   "video: %s subscription of %s not answered; again in %d s", kinds[k].name, d->gb_id, wait);
        } else if (s->state == SUB_SENDING) {
            if (d->transport == JG_VT_UDP) {
                jg_vpeer peer;
                jg_vsvc_peer_of(d, &peer);
                svc->send(svc, &peer, s->wire.data, s->wire.len);
            }
            s->next_us = svc->now_us + SECOND_US;
        } else if (s->state == SUB_ACTIVE) {
            jg_debug("video: refreshing the %s subscription of %s", kinds[k].name, d->gb_id);
            if (sub_send(svc, d, s, svc->cfg->video_subscribe_expires_s) != JG_OK)
                s->next_us = svc->now_us + SECOND_US;
        } else {
            s->call_id[0] = '\0'; /* a new dialog */
            if (sub_send(svc, d, s, svc->cfg->video_subscribe_expires_s) != JG_OK)
                sub_later(svc, d, s, "failed", 0);
        }
    }
    if (ended) /* the registration ended: so did its subscriptions */
        subs_cleared(svc, d);
}

int jg_vsub_on_response(jg_vsvc *svc, const osip_message_t *resp)
{
    const char *num = resp->call_id->number;
    if (resp->cseq == NULL || resp->cseq->method == NULL || strcmp(resp->cseq->method, "SUBSCRIBE") != 0 ||
        strncmp(num, "sub", 3) != 0)
        return 0;
    size_t n = strlen(num);
    if (n < 3 + JG_GBID_LEN)
        return 1;
    char call_id[160];
    snprintf(call_id, sizeof(call_id), "%s%s%s", num, resp->call_id->host != NULL ? "@" : "",
             resp->call_id->host != NULL ? resp->call_id->host : "");
    jg_vdev *d = jg_vsvc_device(svc, num + n - JG_GBID_LEN);
    jg_vsub *s = NULL;
    for (int k = 0; d != NULL && k < JG_VSUB_KINDS; k++)
        if (d->subs[k] != NULL && strcmp(d->subs[k]->call_id, call_id) == 0)
            s = d->subs[k];
    if (s == NULL || s->state != SUB_SENDING || jg_sip_cseq(resp) != s->cseq)
        return 1; /* a late or repeated response */
    int code = resp->status_code;
    if (code < 200) {
        s->next_us = s->until_us; /* provisional: no more retransmissions, wait for the final */
        return 1;
    }
    if (code >= 300) {
        int wait = sub_later(svc, d, s, "refused", code); /* the first refusal in a row is logged */
        jg_log(s->failures == 1 ? JG_LOG_INFO : JG_LOG_DEBUG,
               "video: %s subscription of %s refused (%d); again in %d s", kinds[s->kind].name, d->gb_id,
               code, wait);
        return 1;
    }
    if (s->to_tag[0] == '\0') {
        osip_generic_param_t *tag = NULL;
        if (resp->to != NULL && osip_to_get_tag(resp->to, &tag) == 0 && tag != NULL && tag->gvalue != NULL)
            snprintf(s->to_tag, sizeof(s->to_tag), "%s", tag->gvalue);
    }
    long granted = jg_sip_expires(resp, s->expires_s);
    if (granted <= 0 || granted > s->expires_s)
        granted = s->expires_s;
    s->state = SUB_ACTIVE;
    s->failures = 0;
    s->next_us = svc->now_us + granted * SECOND_US * 8 / 10;
    if (s->granted_s != granted) { /* newly active (or granted another time): recorded, not each refresh */
        s->granted_s = granted;
        sub_record(svc, d, s, "active", 0, 0);
    }
    jg_debug("video: %s subscription of %s active for %ld s", kinds[s->kind].name, d->gb_id, granted);
    return 1;
}

void jg_vsub_notified(jg_vsvc *svc, jg_vdev *d, const osip_message_t *req)
{
    osip_header_t *h = NULL;
    if (osip_message_header_get_byname(req, "Subscription-State", 0, &h) < 0 || h == NULL ||
        h->hvalue == NULL || strncasecmp(h->hvalue, "terminated", 10) != 0)
        return;
    char call_id[160];
    snprintf(call_id, sizeof(call_id), "%s%s%s", req->call_id->number, req->call_id->host != NULL ? "@" : "",
             req->call_id->host != NULL ? req->call_id->host : "");
    for (int k = 0; k < JG_VSUB_KINDS; k++) {
        jg_vsub *s = d->subs[k];
        if (s != NULL && strcmp(s->call_id, call_id) == 0) {
            jg_info("video: %s subscription of %s terminated by the device; again in %d s", kinds[k].name,
                    d->gb_id, sub_later(svc, d, s, "terminated", 0));
        }
    }
}

int jg_vsub_active(const jg_vdev *d)
{
    int n = 0;
    for (int k = 0; k < JG_VSUB_KINDS; k++)
        n += d->subs[k] != NULL && d->subs[k]->state == SUB_ACTIVE;
    return n;
}

static void unsubscribe(void *value, void *ud)
{
    jg_vsvc *svc = ud;
    jg_vdev *d = value;
    for (int k = 0; k < JG_VSUB_KINDS; k++) {
        jg_vsub *s = d->subs[k];
        if (s != NULL && s->state == SUB_ACTIVE && d->registered)
            sub_send(svc, d, s, 0); /* sent once: nobody waits for the answer at shutdown */
        sub_free(s);
        d->subs[k] = NULL;
    }
}

void jg_vsub_exit(jg_vsvc *svc)
{
    if (svc->devices.buckets != NULL)
        jg_vtab_each(&svc->devices, unsubscribe, svc);
}
