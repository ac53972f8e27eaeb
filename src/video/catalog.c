/* MESSAGE (and NOTIFY of subscriptions) from devices: MANSCDP Keepalive, Catalog (in chunks until
 * SumNum), DeviceInfo, catalog notifications with their events, and (devcmd.c) DeviceStatus,
 * DeviceControl answers, Alarm and MobilePosition. Every accepted request is answered 200 before it
 * is acted on. */
#include "base/log.h"
#include "base/mem.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* FNV-1a of Call-ID and CSeq: how a retransmitted MESSAGE is recognised. */
static uint32_t request_hash(const osip_message_t *req)
{
    uint32_t h = 2166136261u;
    const char *parts[] = {req->call_id->number, req->call_id->host != NULL ? req->call_id->host : "",
                           req->cseq->number};
    for (size_t i = 0; i < 3; i++) {
        for (const char *p = parts[i]; *p != '\0'; p++) {
            h ^= (unsigned char)*p;
            h *= 16777619u;
        }
        h ^= 0xff;
        h *= 16777619u;
    }
    return h;
}

static int seen_before(jg_vdev *d, uint32_t h)
{
    for (int i = 0; i < 4; i++)
        if (d->recent[i] == h)
            return 1;
    d->recent[d->recent_pos] = h;
    d->recent_pos = (d->recent_pos + 1) % 4;
    return 0;
}

static void keepalive(jg_vsvc *svc, jg_vdev *d)
{
    svc->stat_keepalives++;
    if (!d->online) {
        jg_info("video: device %s is back (keepalive)", d->gb_id);
        jg_vsvc_device_online(svc, d, "keepalive");
    }
}

/* Keep the items with a valid channel ID; returns how many are left at the front of items. */
static int valid_items(jg_manscdp_item *items, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (!jg_gbid_valid(items[i].device_id))
            continue;
        if (k != i)
            items[k] = items[i];
        k++;
    }
    return k;
}

/* FNV-1a 64 of a channel ID; 0 is kept for empty slots. */
static uint64_t id_hash(const char *id)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = id; *p != '\0'; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return h != 0 ? h : 1;
}

/* Add h to d's ID set; 1 if it was not there. */
static int id_add(jg_vdev *d, uint64_t h)
{
    if ((d->catalog_ids_n + 1) * 2 > d->catalog_ids_cap) {
        size_t cap = d->catalog_ids_cap != 0 ? d->catalog_ids_cap * 2 : 64;
        uint64_t *t = jg_xcalloc(cap, sizeof(*t));
        for (size_t i = 0; i < d->catalog_ids_cap; i++) {
            uint64_t v = d->catalog_ids[i];
            if (v == 0)
                continue;
            size_t k = (size_t)v & (cap - 1);
            while (t[k] != 0)
                k = (k + 1) & (cap - 1);
            t[k] = v;
        }
        free(d->catalog_ids);
        d->catalog_ids = t;
        d->catalog_ids_cap = cap;
    }
    size_t k = (size_t)h & (d->catalog_ids_cap - 1);
    while (d->catalog_ids[k] != 0) {
        if (d->catalog_ids[k] == h)
            return 0;
        k = (k + 1) & (d->catalog_ids_cap - 1);
    }
    d->catalog_ids[k] = h;
    d->catalog_ids_n++;
    return 1;
}

void jg_vmsg_catalog_end(jg_vdev *d)
{
    free(d->catalog_ids);
    d->catalog_ids = NULL;
    d->catalog_ids_cap = d->catalog_ids_n = 0;
    d->catalog_sn = -1;
}

static void catalog_state(jg_vsvc *svc, jg_vdev *d, const char *state)
{
    char at[32];
    jg_vsvc_now_iso(at);
    jg_vstore_catalog(svc->store, d->gb_id, state, d->catalog_tries, d->catalog_got, d->catalog_sum, at);
}

static void catalog_ask(jg_vsvc *svc, jg_vdev *d)
{
    int64_t sn = -1;
    jg_vsvc_query(svc, d, "Catalog", &sn);
    if (sn < 0) {
        jg_warn("video: cannot ask %s for its catalog", d->gb_id);
        catalog_state(svc, d, "incomplete");
        jg_vmsg_catalog_end(d);
        return;
    }
    d->catalog_sn = sn;
    d->catalog_sns[d->catalog_tries++] = sn;
    d->catalog_last_us = svc->now_us;
    catalog_state(svc, d, "querying");
}

void jg_vmsg_catalog_start(jg_vsvc *svc, jg_vdev *d)
{
    jg_vmsg_catalog_end(d);
    d->catalog_got = 0;
    d->catalog_sum = -1;
    d->catalog_tries = 0;
    catalog_ask(svc, d);
}

/* 1 if sn belongs to one of the tries of the running round. */
static int catalog_sn_of_round(const jg_vdev *d, int64_t sn)
{
    if (d->catalog_sn < 0 || sn < 0)
        return 0;
    for (int i = 0; i < d->catalog_tries; i++)
        if (d->catalog_sns[i] == sn)
            return 1;
    return 0;
}

/* A catalog notification (subscription, GB/T 28181-2016 9.7.3): each item's <Event> is applied to
 * its channel: ON, OFF, VLOST (video lost), DEFECT (fault) and DEL set the channel's status (DEL
 * keeps the row, marked DEL: its project binding, shares and recordings refer to it; an ADD brings it
 * back), ADD and UPDATE (and items without an event) are upserted like catalog answers. Every event
 * is recorded as a video_event channel_<event> with the channel's ID and name. */
static void catalog_notify(jg_vsvc *svc, jg_vdev *d, jg_manscdp_msg *m, const char *at)
{
    static const char *const status_events[] = {"ON", "OFF", "VLOST", "DEFECT", "DEL"};
    static const char *const upsert_events[] = {"ADD", "UPDATE"};
    int n = valid_items(m->items, m->item_count);
    int k = 0; /* items to upsert, moved to the front */
    for (int i = 0; i < n; i++) {
        jg_manscdp_item *it = &m->items[i];
        const char *event = NULL, *status = NULL;
        for (size_t e = 0; e < sizeof(status_events) / sizeof(status_events[0]); e++)
            if (strcasecmp(it->event, status_events[e]) == 0)
                event = status = status_events[e];
        for (size_t e = 0; e < sizeof(upsert_events) / sizeof(upsert_events[0]); e++)
            if (strcasecmp(it->event, upsert_events[e]) == 0)
                event = upsert_events[e];
        if (status == NULL) {
            if (k != i)
                m->items[k] = *it;
            k++;
        }
        if (event != NULL)
            jg_vstore_channel_event(svc->store, d->gb_id, it->device_id, event, status, it->name, at);
    }
    jg_debug("video: catalog notification from %s: %d items, %d upserted", d->gb_id, n, k);
    jg_vstore_channels(svc->store, d->gb_id, m->items, k, at);
}

static void catalog(jg_vsvc *svc, jg_vdev *d, jg_manscdp_msg *m)
{
    char at[32];
    jg_vsvc_now_iso(at);
    if (m->kind == JG_MANSCDP_NOTIFY) {
        catalog_notify(svc, d, m, at);
        return;
    }
    int counted = m->kind == JG_MANSCDP_RESPONSE && catalog_sn_of_round(d, m->sn);
    int fresh = 0;
    if (counted) {
        /* Distinct IDs, whatever try they came from; items past JG_MANSCDP_MAX_ITEMS count as new. */
        for (int i = 0; i < m->item_count; i++)
            fresh += id_add(d, id_hash(m->items[i].device_id));
        fresh += m->item_total - m->item_count;
    }
    int n = valid_items(m->items, m->item_count);
    if (n < m->item_total)
        jg_debug("video: catalog of %s: %d of %d items kept (bad IDs or too many)", d->gb_id, n,
                 m->item_total);
    jg_vstore_channels(svc->store, d->gb_id, m->items, n, at);
    if (m->kind != JG_MANSCDP_RESPONSE)
        return; /* a notification (catalog subscription): an update, not part of a query */
    if (!counted) {
        jg_debug("video: catalog of %s with SN %lld outside a query", d->gb_id, (long long)m->sn);
        return;
    }
    if (m->sum_num >= 0)
        d->catalog_sum = m->sum_num;
    d->catalog_got += fresh;
    d->catalog_last_us = svc->now_us;
    if (d->catalog_sum >= 0 && d->catalog_got >= d->catalog_sum) {
        jg_info("video: catalog of %s complete: %lld channels (%d %s)", d->gb_id, (long long)d->catalog_sum,
                d->catalog_tries, d->catalog_tries == 1 ? "query" : "queries");
        catalog_state(svc, d, "complete");
        jg_vmsg_catalog_end(d);
    }
}

void jg_vmsg_check_catalog(jg_vsvc *svc, jg_vdev *d)
{
    if (d->catalog_sn < 0 || d->catalog_tries < 1)
        return;
    int64_t quiet = ((int64_t)JG_CATALOG_QUIET_S * 1000000) << (d->catalog_tries - 1);
    if (svc->now_us - d->catalog_last_us <= quiet)
        return;
    if (d->catalog_tries < JG_CATALOG_TRIES && d->registered) {
        jg_info("video: catalog of %s incomplete (%d of %lld channels): query %d", d->gb_id, d->catalog_got,
                (long long)d->catalog_sum, d->catalog_tries + 1);
        catalog_ask(svc, d);
        return;
    }
    jg_warn("video: catalog of %s incomplete after %d queries: %d of %lld channels", d->gb_id,
            d->catalog_tries, d->catalog_got, (long long)d->catalog_sum);
    catalog_state(svc, d, "incomplete");
    jg_vmsg_catalog_end(d);
}

static void device_info(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    if (m->result[0] != '\0' && strcasecmp(m->result, "OK") != 0) {
        jg_debug("video: DeviceInfo of %s answered %s", d->gb_id, m->result);
        return;
    }
    char at[32];
    jg_vsvc_now_iso(at);
    jg_vstore_device_info(svc->store, d->gb_id, m, at);
    d->devinfo_sn = -1;
}

void jg_vmsg_handle(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer)
{
    const char *id = jg_sip_from_user(req);
    jg_vdev *d = jg_gbid_valid(id) ? jg_vsvc_device(svc, id) : NULL;
    if (d == NULL || !d->registered) {
        jg_debug("video: MESSAGE from unregistered %s", id);
        jg_vsvc_respond(svc, req, peer, 403, NULL);
        return;
    }
    /* Only from the address it registered from: a MESSAGE carries no credentials. The port may
     * change (a new TCP connection), the host may not. */
    if (d->addr.sin_addr.s_addr != peer->addr.sin_addr.s_addr) {
        char ip[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &peer->addr.sin_addr, ip, sizeof(ip));
        jg_debug("video: MESSAGE for %s from %s, not its registered address", id, ip);
        jg_vsvc_respond(svc, req, peer, 403, NULL);
        return;
    }
    size_t len = 0;
    const char *body = jg_sip_body(req, &len);
    if (body == NULL || !jg_sip_is_manscdp(req)) {
        jg_vsvc_respond(svc, req, peer, 415, NULL);
        return;
    }
    if (seen_before(d, request_hash(req))) {
        jg_vsvc_respond(svc, req, peer, 200, NULL); /* retransmission: answer, do not act twice */
        return;
    }
    jg_manscdp_msg m;
    jg_rc rc = jg_manscdp_parse(body, len, d->charset, &m);
    if (rc != JG_OK) {
        svc->stat_bad++;
        jg_debug("video: unreadable MANSCDP from %s (%s)", id, jg_rc_name(rc));
        jg_vsvc_respond(svc, req, peer, 400, NULL);
        jg_manscdp_msg_free(&m);
        return;
    }
    jg_vsvc_respond(svc, req, peer, 200, NULL);
    if (strcmp(req->sip_method, "NOTIFY") == 0)
        jg_vsub_notified(svc, d, req);
    /* Any message shows the device is alive; only a keepalive brings it back online. */
    jg_vsvc_alive(svc, d);
    if (strcasecmp(m.cmd_type, "Keepalive") == 0 && m.kind == JG_MANSCDP_NOTIFY)
        keepalive(svc, d);
    else if (strcasecmp(m.cmd_type, "Catalog") == 0 && m.kind != JG_MANSCDP_QUERY)
        catalog(svc, d, &m);
    else if (strcasecmp(m.cmd_type, "DeviceInfo") == 0 && m.kind == JG_MANSCDP_RESPONSE)
        device_info(svc, d, &m);
    else if (strcasecmp(m.cmd_type, "RecordInfo") == 0 && m.kind == JG_MANSCDP_RESPONSE) {
        if (!jg_vcascade_records(svc, d, &m)) /* an upper platform's query (cascade.c), else the API's */
            jg_vmedia_records(svc, d, &m);
    } else if (strcasecmp(m.cmd_type, "MediaStatus") == 0 && m.kind == JG_MANSCDP_NOTIFY)
        jg_vmedia_media_status(svc, d, &m, jg_vinvite_find(svc, req));
    else if (jg_vcascade_control_answer(svc, d, &m))
        ; /* the answer to an upper platform's DeviceControl, passed up (cascade.c) */
    else if (!jg_vdevcmd_message(svc, d, &m)) /* DeviceStatus, DeviceControl, Alarm, MobilePosition */
        jg_debug("video: %s from %s not handled yet", m.cmd_type, id);
    jg_manscdp_msg_free(&m);
}
