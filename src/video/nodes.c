/* Several media nodes: the signalling service's node table, placement of new streams on the least
 * loaded live node, and failover when a node falls silent.
 *
 * A node (`jianguan video` with video_role = media, node_client.c) reports every second over the
 * signed control channel: GET /ctl/node/beat?node=ID&url=BASE&ip=RTP_IP&streams=&viewers=&bps=&cpu=
 * to the signalling service's media listener. The table is in memory: a node is known from its
 * first heartbeat and dead after video_node_dead_s without one. With video_role = all the embedded
 * node is in the table too, as "local" (always live); with signal it is not.
 *
 * Placement: the platform asks GET /ctl/place?device=&channel= when it hands out a live URL, and
 * GET /ctl/place?device=&channel=&start=&end= for a playback URL (a playback is its own stream,
 * keyed DEVICE/CHANNEL/START-END). A running stream stays where it is; otherwise the least loaded
 * live node is chosen (streams the signalling service placed on it plus placements not yet opened,
 * then bytes/s, then CPU) and the choice is held for JG_VPLACE_HOLD_US, so viewers asking at the
 * same time land on the same node.
 *
 * Failover: a dead node's streams get BYE; each live one is opened again on the least loaded
 * other node (GET /ctl/node/open on it, or locally for "local"), without a viewer: it idles out
 * after video_live_idle_s unless the player comes back with a new URL from the platform. A dead
 * node's playbacks get BYE and are not reopened (the player asks the platform again). */
#include "video/nodes.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "video/liveurl.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jg_vrole(const jg_config *cfg)
{
    const char *r = cfg->video_role != NULL ? cfg->video_role : "all";
    if (strcmp(r, "media") == 0)
        return JG_VROLE_MEDIA;
    if (strcmp(r, "signal") == 0)
        return JG_VROLE_SIGNAL;
    return JG_VROLE_ALL;
}

void jg_vnodes_key(char out[JG_VKEY_MAX], const char *device, const char *channel, const long long *range)
{
    if (range != NULL)
        snprintf(out, JG_VKEY_MAX, "%.20s/%.20s/%lld-%lld", device, channel, range[0], range[1]);
    else
        snprintf(out, JG_VKEY_MAX, "%.20s/%.20s", device, channel);
}

/* The decimal digits at p (1-18, no sign) into *out; their count, 0 if none or too many. */
static size_t digits(const char *p, long long *out)
{
    size_t n = 0;
    long long x = 0;
    while (p[n] >= '0' && p[n] <= '9' && n < 18)
        x = x * 10 + (p[n++] - '0');
    *out = x;
    return p[n] >= '0' && p[n] <= '9' ? 0 : n;
}

int jg_vnodes_key_parse(const char *key, char device[JG_GBID_LEN + 1], char channel[JG_GBID_LEN + 1],
                        long long range[2])
{
    size_t n = strlen(key);
    if (n < 2 * JG_GBID_LEN + 1 || key[JG_GBID_LEN] != '/')
        return 0;
    for (size_t i = 0; i < 2 * JG_GBID_LEN + 1; i++)
        if (i != JG_GBID_LEN && (key[i] < '0' || key[i] > '9'))
            return 0;
    snprintf(device, JG_GBID_LEN + 1, "%.20s", key);
    snprintf(channel, JG_GBID_LEN + 1, "%.20s", key + JG_GBID_LEN + 1);
    if (n == 2 * JG_GBID_LEN + 1)
        return 1;
    const char *p = key + 2 * JG_GBID_LEN + 1;
    if (*p++ != '/')
        return 0;
    size_t a = digits(p, &range[0]);
    if (a == 0 || p[a] != '-')
        return 0;
    size_t b = digits(p + a + 1, &range[1]);
    return b > 0 && p[a + 1 + b] == '\0' && range[0] < range[1] ? 2 : 0;
}

static int64_t load_of(const jg_vnode *x)
{
    return (int64_t)x->streams + x->pending;
}

int jg_vnode_pick(const jg_vnode *nodes, int n, int64_t now_us, int64_t dead_us, const char *exclude)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        const jg_vnode *x = &nodes[i];
        if (x->dead || now_us - x->last_us > dead_us || (exclude != NULL && strcmp(x->id, exclude) == 0))
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        const jg_vnode *b = &nodes[best];
        if (load_of(x) != load_of(b)) {
            if (load_of(x) < load_of(b))
                best = i;
        } else if (x->bps != b->bps) {
            if (x->bps < b->bps)
                best = i;
        } else if (x->cpu < b->cpu) {
            best = i;
        }
    }
    return best;
}

void jg_vnodes_local_url(const jg_vsvc *svc, char *out, size_t outlen)
{
    const jg_config *cfg = svc->cfg;
    if (cfg->video_media_url[0] != '\0')
        snprintf(out, outlen, "%s", cfg->video_media_url);
    else
        snprintf(out, outlen, "http://%s", cfg->video_media_listen);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}

/* A base URL a node may report: http(s)://, and nothing a query or a log line could be bent by. */
static int url_ok(const char *u)
{
    size_t n = strlen(u);
    if (n < 8 || n > JG_VNODE_URL_MAX || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (u[i] <= ' ' || u[i] >= 0x7f || strchr("&?#%\"'\\<>", u[i]) != NULL)
            return 0;
    return 1;
}

static int64_t dead_us(const jg_vsvc *svc)
{
    return svc->cfg->video_node_dead_s * 1000000LL;
}

static jg_vnode *node_get(jg_vnodes *ns, const char *id)
{
    for (int i = 0; i < ns->n; i++)
        if (strcmp(ns->nodes[i].id, id) == 0)
            return &ns->nodes[i];
    return NULL;
}

jg_rc jg_vnodes_open(jg_vsvc *svc, int ep)
{
    jg_vnodes *ns = jg_xcalloc(1, sizeof(*ns));
    ns->svc = svc;
    ns->ep = ep;
    ns->role = jg_vrole(svc->cfg);
    svc->nodes = ns;
    if (svc->have_field_key)
        jg_ctl_key(svc->field_key, ns->ctl_key);
    else if (jg_crypto_random(ns->ctl_key, sizeof(ns->ctl_key)) != JG_OK)
        return JG_ERR;
    const jg_config *cfg = svc->cfg;
    unsigned char rnd[8];
    if (jg_crypto_random(rnd, sizeof(rnd)) != JG_OK)
        return JG_ERR;
    jg_crypto_hex_encode(rnd, sizeof(rnd), ns->boot);
    if (ns->role == JG_VROLE_ALL) {
        jg_vnode *l = &ns->nodes[ns->n++];
        snprintf(l->id, sizeof(l->id), "local");
        jg_vnodes_local_url(svc, l->url, sizeof(l->url));
        snprintf(l->rtp_ip, sizeof(l->rtp_ip), "%s", cfg->video_media_ip);
        l->last_us = jg_time_mono_us();
    }
    ns->places = jg_xcalloc(JG_VPLACES_MAX, sizeof(*ns->places));
    if (ns->role != JG_VROLE_MEDIA)
        return JG_OK;
    /* a media node: its identity, its URL and where it reports */
    const char *id = cfg->video_node_id;
    size_t idn = strlen(id);
    int id_ok = idn > 0 && idn <= JG_VNODE_ID_MAX && strcmp(id, "local") != 0;
    for (size_t i = 0; i < idn && id_ok; i++)
        id_ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
                (id[i] >= '0' && id[i] <= '9') || id[i] == '-' || id[i] == '_';
    if (!id_ok) {
        jg_error("video_node_id must be 1-%d letters, digits, - or _ (not \"local\") for video_role=media",
                 JG_VNODE_ID_MAX);
        return JG_INVALID;
    }
    if (!url_ok(cfg->video_node_url) || !url_ok(cfg->video_signalling_url)) {
        jg_error("video_role=media needs video_node_url and video_signalling_url as http://HOST:PORT");
        return JG_INVALID;
    }
    if (cfg->video_media_ip[0] != '\0') {
        snprintf(ns->rtp_ip, sizeof(ns->rtp_ip), "%s", cfg->video_media_ip);
    } else {
        const char *h = strstr(cfg->video_node_url, "://") + 3;
        size_t hl = strcspn(h, ":/");
        snprintf(ns->rtp_ip, sizeof(ns->rtp_ip), "%.*s", (int)(hl < 63 ? hl : 63), h);
    }
    struct in_addr ia;
    if (inet_pton(AF_INET, ns->rtp_ip, &ia) != 1) {
        jg_error("video_role=media: set video_media_ip (devices' RTP goes there); %s is not an IPv4 address",
                 ns->rtp_ip);
        return JG_INVALID;
    }
    jg_info("video: media node %s (%s, RTP to %s) reporting to %s", id, cfg->video_node_url, ns->rtp_ip,
            cfg->video_signalling_url);
    return JG_OK;
}

void jg_vnodes_stop(jg_vsvc *svc)
{
    if (svc->nodes != NULL)
        svc->nodes->stopping = 1;
}

void jg_vnodes_close(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    if (ns == NULL)
        return;
    if (ns->role == JG_VROLE_MEDIA && ns->stopping)
        jg_vnodes_send_leave(svc);
    jg_vnodes_client_close(svc);
    free(ns->places);
    free(ns);
    svc->nodes = NULL;
}

void jg_vnodes_rtp_ip(const jg_vsvc *svc, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", svc->nodes != NULL ? svc->nodes->rtp_ip : "127.0.0.1");
}

static void node_lost(jg_vsvc *svc, jg_vnode *x, const char *why);

int jg_vnodes_beat(jg_vsvc *svc, const char *id, const char *boot, const char *url, const char *rtp_ip,
                   long streams, long viewers, double bps, double cpu, const char **message)
{
    jg_vnodes *ns = svc->nodes;
    struct in_addr ia;
    if (ns == NULL) {
        *message = "不接受媒体节点";
        return 0;
    }
    if (strcmp(id, "local") == 0 || !url_ok(url) || inet_pton(AF_INET, rtp_ip, &ia) != 1) {
        *message = "媒体节点的地址无效";
        return 0;
    }
    jg_vnode *x = node_get(ns, id);
    if (x == NULL) {
        if (ns->n == JG_VNODES_MAX) {
            *message = "媒体节点过多";
            return 0;
        }
        x = &ns->nodes[ns->n++];
        memset(x, 0, sizeof(*x));
        snprintf(x->id, sizeof(x->id), "%s", id);
        jg_info("video: media node %s joined (%s, RTP to %s)", id, url, rtp_ip);
    } else if (x->boot[0] != '\0' && strcmp(x->boot, boot) != 0) {
        /* a new process under the same ID: the streams placed on the old one are gone */
        if (!x->dead)
            node_lost(svc, x, "restarted");
        jg_info("video: media node %s is back after a restart (%s)", id, url);
    } else if (x->dead) {
        jg_info("video: media node %s is back (%s)", id, url);
    } else if (strcmp(x->url, url) != 0) {
        jg_info("video: media node %s moved to %s", id, url);
    }
    snprintf(x->url, sizeof(x->url), "%s", url);
    snprintf(x->boot, sizeof(x->boot), "%s", boot);
    snprintf(x->rtp_ip, sizeof(x->rtp_ip), "%s", rtp_ip);
    x->dead = 0;
    x->last_us = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    x->rep_streams = streams;
    x->viewers = viewers;
    x->bps = bps;
    x->cpu = cpu;
    return 1;
}

const jg_vnode *jg_vnodes_find(jg_vsvc *svc, const char *id)
{
    jg_vnodes *ns = svc->nodes;
    jg_vnode *x = ns != NULL ? node_get(ns, id) : NULL;
    int64_t now = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    return x != NULL && !x->dead && now - x->last_us <= dead_us(svc) ? x : NULL;
}

void *jg_vnodes_json(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    json_t *arr = json_array();
    int64_t now = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    static const char *const role_names[] = {"all", "signal", "media"};
    for (int i = 0; ns != NULL && i < ns->n; i++) {
        const jg_vnode *x = &ns->nodes[i];
        int local = strcmp(x->id, "local") == 0;
        int64_t ago_ms = local ? 0 : (now - x->last_us) / 1000;
        json_array_append_new(
            arr,
            json_pack("{s:s, s:s, s:s, s:b, s:i, s:I, s:I, s:I, s:f, s:f}", "id", x->id, "url", x->url,
                      "rtp_ip", x->rtp_ip, "live", local || (!x->dead && now - x->last_us <= dead_us(svc)),
                      "streams", jg_vmedia_node_streams(svc, x->id), "reported_streams",
                      (json_int_t)x->rep_streams, "viewers", (json_int_t)x->viewers, "last_heartbeat_ms_ago",
                      (json_int_t)ago_ms, "bytes_per_s", x->bps, "cpu_percent", x->cpu));
    }
    return json_pack("{s:s, s:o}", "role", role_names[ns != NULL ? ns->role : 0], "nodes", arr);
}

static jg_vplace *place_get(jg_vnodes *ns, const char *key)
{
    for (int i = 0; i < ns->nplaces; i++)
        if (strcmp(ns->places[i].key, key) == 0)
            return &ns->places[i];
    return NULL;
}

static void place_del(jg_vnodes *ns, jg_vplace *p)
{
    *p = ns->places[--ns->nplaces];
}

static void place_put(jg_vnodes *ns, const char *key, const char *node, int64_t now)
{
    jg_vplace *p = place_get(ns, key);
    if (p == NULL) {
        if (ns->nplaces == JG_VPLACES_MAX)
            return; /* only the spread suffers */
        p = &ns->places[ns->nplaces++];
    }
    snprintf(p->key, sizeof(p->key), "%s", key);
    snprintf(p->node, sizeof(p->node), "%s", node);
    p->until_us = now + JG_VPLACE_HOLD_US;
}

/* Fill each node's streams and pending placements, then pick. */
static int pick(jg_vsvc *svc, const char *exclude)
{
    jg_vnodes *ns = svc->nodes;
    for (int i = 0; i < ns->n; i++) {
        ns->nodes[i].streams = jg_vmedia_node_streams(svc, ns->nodes[i].id);
        ns->nodes[i].pending = 0;
    }
    for (int i = 0; i < ns->nplaces; i++) { /* a placement whose stream opened is counted there */
        char device[JG_GBID_LEN + 1], channel[JG_GBID_LEN + 1];
        long long range[2];
        int kind = jg_vnodes_key_parse(ns->places[i].key, device, channel, range);
        jg_vnode *x = node_get(ns, ns->places[i].node);
        if (x != NULL && kind != 0 &&
            jg_vmedia_stream_node(svc, device, channel, kind == 2 ? range : NULL) == NULL)
            x->pending++;
    }
    int64_t now = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    if (ns->role == JG_VROLE_ALL)
        ns->nodes[0].last_us = now;
    return jg_vnode_pick(ns->nodes, ns->n, now, dead_us(svc), exclude);
}

int jg_vnodes_place(jg_vsvc *svc, const char *device, const char *channel, const long long *range, char *url,
                    size_t urllen, char *node, size_t nodelen)
{
    jg_vnodes *ns = svc->nodes;
    if (ns == NULL)
        return 0;
    char key[JG_VKEY_MAX];
    jg_vnodes_key(key, device, channel, range);
    int64_t now = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    const jg_vnode *x = NULL;
    const char *at = jg_vmedia_stream_node(svc, device, channel, range);
    if (at != NULL) {
        x = node_get(ns, at);
        if (x == NULL && strcmp(at, "local") == 0) { /* a stream on the embedded node (role signal) */
            jg_vnodes_local_url(svc, url, urllen);
            snprintf(node, nodelen, "local");
            return 1;
        }
    }
    if (x == NULL) {
        jg_vplace *p = place_get(ns, key);
        if (p != NULL && p->until_us > now)
            x = jg_vnodes_find(svc, p->node);
        if (x == NULL && ns->role == JG_VROLE_ALL && p != NULL && p->until_us > now &&
            strcmp(p->node, "local") == 0)
            x = &ns->nodes[0];
    }
    if (x == NULL) {
        int i = pick(svc, NULL);
        if (i < 0)
            return 0;
        x = &ns->nodes[i];
        place_put(ns, key, x->id, now);
        if (ns->n > 1 || ns->role != JG_VROLE_ALL)
            jg_info("video: %s goes to media node %s (%d streams, %d placed, %.0f B/s)", key, x->id,
                    x->streams, x->pending, x->bps);
    }
    snprintf(url, urllen, "%s", x->url);
    snprintf(node, nodelen, "%s", x->id);
    return 1;
}

void jg_vnodes_placed(jg_vsvc *svc, const char *device, const char *channel, const long long *range)
{
    jg_vnodes *ns = svc->nodes;
    if (ns == NULL)
        return;
    char key[JG_VKEY_MAX];
    jg_vnodes_key(key, device, channel, range);
    jg_vplace *p = place_get(ns, key);
    if (p != NULL)
        place_del(ns, p);
}

static void opened_cb(jg_vsvc *svc, const char *ctx, int status, const char *body)
{
    (void)svc;
    (void)body;
    if (status != 200)
        jg_warn("video: moving %s failed (%d)", ctx, status);
}

/* Node x stopped reporting (or restarted): its streams go elsewhere. */
static void node_lost(jg_vsvc *svc, jg_vnode *x, const char *why)
{
    jg_vnodes *ns = svc->nodes;
    x->dead = 1;
    enum { MOVE_MAX = 4096 };
    char(*devs)[JG_GBID_LEN + 1] = jg_xmalloc(MOVE_MAX * sizeof(*devs));
    char(*chans)[JG_GBID_LEN + 1] = jg_xmalloc(MOVE_MAX * sizeof(*chans));
    int *tcp = jg_xmalloc(MOVE_MAX * sizeof(*tcp));
    char id[JG_VNODE_ID_MAX + 1];
    snprintf(id, sizeof(id), "%s", x->id);
    if (why != NULL)
        jg_warn("video: media node %s %s; moving its streams", id, why);
    else
        jg_warn("video: media node %s silent for %ld s: it is dead; moving its streams", id,
                svc->cfg->video_node_dead_s);
    int n = jg_vmedia_node_lost(svc, id, devs, chans, tcp, MOVE_MAX);
    int64_t now = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    for (int i = 0; i < n; i++) {
        int k = pick(svc, id);
        char key[JG_VKEY_MAX];
        jg_vnodes_key(key, devs[i], chans[i], NULL);
        if (k < 0) {
            jg_warn("video: no live media node for %s", key);
            continue;
        }
        jg_vnode *to = &ns->nodes[k];
        jg_info("video: %s moves from media node %s to %s", key, id, to->id);
        if (strcmp(to->id, "local") == 0) {
            jg_vmedia_open_held(svc, devs[i], chans[i], tcp[i]);
            continue;
        }
        place_put(ns, key, to->id, now);
        char target[160];
        snprintf(target, sizeof(target), "/ctl/node/open?device=%s&channel=%s&tcp=%d", devs[i], chans[i],
                 tcp[i]);
        jg_vhttp_get(svc, to->url, target, key, opened_cb, 5000);
    }
    free(devs);
    free(chans);
    free(tcp);
}

int jg_vnodes_left(jg_vsvc *svc, const char *id, const char *boot)
{
    jg_vnodes *ns = svc->nodes;
    jg_vnode *x = ns != NULL ? node_get(ns, id) : NULL;
    if (x == NULL || strcmp(x->boot, boot) != 0)
        return 0;
    if (!x->dead)
        node_lost(svc, x, "is stopping");
    return 1;
}

void jg_vnodes_tick(jg_vsvc *svc)
{
    jg_vnodes *ns = svc->nodes;
    if (ns == NULL)
        return;
    jg_vnodes_client_tick(svc);
    int64_t now = svc->now_us != 0 ? svc->now_us : jg_time_mono_us();
    if (ns->role == JG_VROLE_MEDIA) {
        if (now - ns->last_beat_us >= 1000000LL)
            jg_vnodes_heartbeat(svc);
        return;
    }
    if (now - ns->last_check_us < 250000LL)
        return;
    ns->last_check_us = now;
    for (int i = 0; i < ns->nplaces;) {
        if (ns->places[i].until_us <= now)
            place_del(ns, &ns->places[i]);
        else
            i++;
    }
    for (int i = 0; i < ns->n; i++) {
        jg_vnode *x = &ns->nodes[i];
        if (strcmp(x->id, "local") == 0)
            x->last_us = now;
        else if (!x->dead && now - x->last_us > dead_us(svc))
            node_lost(svc, x, NULL);
    }
}
