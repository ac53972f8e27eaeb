/* Cascade in process: two video services (a lower platform with video_upper, and the upper
 * platform, each over its own SQLite database) wired to each other through their send hooks,
 * so every message goes through the real parser, registrar and catalog code of the other. Also
 * the video_upper parser and the MANSCDP bodies a lower platform sends. */
#include "base/config.h"
#include "base/mem.h"
#include "db/migrate.h"
#include "video/video.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define UPPER "35000000002000000001"
#define LOWER "35010000002000000009"
#define DEVICE "35010200001320000001"

static const unsigned char KEY[32] = "video unit test field key 32 by";

typedef struct {
    tmpdb t;
    jg_db *db;
    jg_config cfg;
    jg_vsvc svc;
    int port;
} node;

/* Messages in flight between the two nodes. */
typedef struct {
    jg_vsvc *to;
    int from_port;
    char *data;
    size_t len;
} wire;

static wire queue[4096];
static int qhead, qtail;
static node *nodes[2];
#define LOWER_PORT 15061
static int drop_to_upper;      /* drop what the lower sends (the upper is down) */
static int drop_catalog_chunk; /* drop the next catalog chunk the lower sends (UDP loss), once */
static int dropped;
static int sent_invite_answer;
static int last_status;          /* of the last response to an INVITE */
static int catalog_sent;         /* Catalog response MESSAGEs the lower sent */
static int notify_sent;          /* NOTIFYs the lower sent */
static char last_response[2048]; /* the last response the lower sent */

static void deliver(jg_vsvc *svc, const jg_vpeer *peer, const char *data, size_t len)
{
    int from_port = svc->listen_port;
    node *to = NULL;
    for (int i = 0; i < 2; i++)
        if (nodes[i] != NULL && ntohs(peer->addr.sin_port) == nodes[i]->port)
            to = nodes[i];
    if (drop_to_upper && from_port == LOWER_PORT)
        dropped++;
    if (from_port == LOWER_PORT && strncmp(data, "NOTIFY ", 7) == 0)
        notify_sent++;
    if (from_port == LOWER_PORT && strncmp(data, "SIP/2.0 ", 8) == 0)
        snprintf(last_response, sizeof(last_response), "%.*s", (int)len, data);
    if (from_port == LOWER_PORT && strncmp(data, "MESSAGE ", 8) == 0 &&
        strstr(data, "<CmdType>Catalog</CmdType>") != NULL)
        catalog_sent++;
    int lost = drop_catalog_chunk && from_port == LOWER_PORT && strncmp(data, "MESSAGE ", 8) == 0 &&
               strstr(data, "<CmdType>Catalog</CmdType>") != NULL;
    if (lost)
        drop_catalog_chunk = 0;
    if (to == NULL || (drop_to_upper && from_port == LOWER_PORT) || lost)
        return;
    assert_true(qtail < 4096);
    queue[qtail++] = (wire){&to->svc, from_port, jg_xstrndup(data, len), len};
}

/* Deliver everything queued (and what it causes). Returns how many messages went. */
static int pump(void)
{
    int n = 0;
    while (qhead < qtail) {
        wire w = queue[qhead++];
        jg_vpeer p;
        memset(&p, 0, sizeof(p));
        p.transport = JG_VT_UDP;
        p.addr.sin_family = AF_INET;
        inet_pton(AF_INET, "127.0.0.1", &p.addr.sin_addr);
        p.addr.sin_port = htons((uint16_t)w.from_port);
        if (strncmp(w.data, "SIP/2.0 488", 11) == 0)
            sent_invite_answer = 488;
        if (strncmp(w.data, "SIP/2.0 ", 8) == 0 && strstr(w.data, "INVITE\r\n") != NULL)
            last_status = (int)strtol(w.data + 8, NULL, 10);
        jg_vsvc_handle(w.to, w.data, w.len, &p);
        free(w.data);
        n++;
    }
    qhead = qtail = 0;
    return n;
}

static void node_open(node *nd, const char *id, int port, const char *password, const char *upper)
{
    memset(nd, 0, sizeof(*nd));
    tmpdb_make(&nd->t);
    nd->db = tmpdb_open(&nd->t, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(nd->db, &applied), JG_OK);
    char err[128], listen[32];
    assert_int_equal(jg_config_load(&nd->cfg, "/dev/null", err, sizeof(err)), JG_OK);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    assert_int_equal(jg_config_set(&nd->cfg, "video_sip_listen", listen), JG_OK);
    assert_int_equal(jg_config_set(&nd->cfg, "video_sip_id", id), JG_OK);
    assert_int_equal(jg_config_set(&nd->cfg, "video_sip_password", password), JG_OK);
    if (upper != NULL)
        assert_int_equal(jg_config_set(&nd->cfg, "video_upper", upper), JG_OK);
    nd->port = port;
}

static void node_start(node *nd)
{
    assert_int_equal(jg_vsvc_init(&nd->svc, &nd->cfg, nd->db, KEY, deliver), JG_OK);
}

static void node_close(node *nd)
{
    jg_vsvc_exit(&nd->svc);
    jg_db_close(nd->db);
    jg_config_free(&nd->cfg);
    tmpdir_remove(nd->t.dir);
}

static jg_rc exec_tx(jg_conn *c, void *ud)
{
    return jg_db_exec(c, ud, NULL, 0, NULL);
}

static void exec_sql(jg_db *db, const char *sql)
{
    assert_int_equal(jg_db_tx(db, exec_tx, (void *)sql), JG_OK);
}

/* Advance both clocks by us and run their timers. */
static void advance(node *lower, node *upper, int64_t us)
{
    lower->svc.now_us += us;
    upper->svc.now_us += us;
    jg_vsvc_tick(&lower->svc);
    jg_vsvc_tick(&upper->svc);
}

static int64_t count_of(jg_db *db, const char *sql)
{
    jg_rows *r = NULL;
    assert_int_equal(jg_db_read(db, sql, NULL, 0, &r), JG_OK);
    int64_t v = jg_rows_int(r, 0, 0);
    jg_rows_free(r);
    return v;
}

static void seed_channels(node *lower)
{
    /* 6 channels of one device; 5 shared with the upper platform (one name needs escaping). */
    exec_sql(lower->db, "INSERT INTO video_device (gb_id, settings_at, created_at, updated_at) VALUES "
                        "('" DEVICE "', '2026-01-01', '2026-01-01', '2026-01-01')");
    for (int i = 1; i <= 6; i++) {
        char sql[512];
        snprintf(
            sql, sizeof(sql),
            "INSERT INTO video_channel (device_gb_id, gb_id, name, status, longitude, latitude, created_at, "
            "updated_at) VALUES ('" DEVICE "', '3501020000131000000%d', '工地 %d 号 & 塔吊', 'ON', 119.3, "
            "26.08, '2026-01-01', '2026-01-01')",
            i, i);
        exec_sql(lower->db, sql);
        if (i <= 5) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO video_share (upper_id, channel_gb_id, created_at) VALUES ('" UPPER
                     "', '3501020000131000000%d', '2026-01-01')",
                     i);
            exec_sql(lower->db, sql);
        }
    }
}

/* The upper holds the lower's catalog, complete, with n channels (after its writer caught up). */
static void assert_catalog_at_upper(node *upper, int64_t n)
{
    jg_vstore_sync(upper->svc.store);
    assert_int_equal(count_of(upper->db, "SELECT catalog_sum FROM video_device WHERE gb_id = '" LOWER
                                         "' AND catalog_state = 'complete'"),
                     n);
    assert_int_equal(
        count_of(upper->db, "SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '" LOWER "'"), n);
}

/* The upper and a lower with the seeded channels (seed_channels) registering to it (expires
 * 120 s, keepalive 20 s), their clocks in step; pair_close ends both. */
static void pair_open(node *lower, node *upper)
{
    nodes[0] = lower;
    nodes[1] = upper;
    node_open(upper, UPPER, 15060, "upper-pw", NULL);
    node_start(upper);
    node_open(lower, LOWER, LOWER_PORT, "",
              UPPER "@127.0.0.1:15060;password=upper-pw;expires=120;keepalive=20");
    seed_channels(lower);
    node_start(lower);
    upper->svc.now_us = lower->svc.now_us;
}

static void pair_close(node *lower, node *upper)
{
    nodes[0] = NULL;
    node_close(lower);
    pump();
    node_close(upper);
    nodes[1] = NULL;
}

static void register_catalog_keepalive(void **state)
{
    (void)state;
    node lower, upper;
    pair_open(&lower, &upper);

    /* REGISTER, 401, REGISTER with the digest, 200; the upper then asks for the catalog. */
    jg_vsvc_tick(&lower.svc);
    assert_true(pump() >= 4);
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);
    jg_vdev *d = jg_vsvc_device(&upper.svc, LOWER);
    assert_non_null(d);
    assert_true(d->registered && d->online);
    /* the catalog arrived in chunks (SumNum 5, 4 a message) and was merged */
    assert_catalog_at_upper(&upper, 5);
    assert_int_equal(count_of(upper.db, "SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '" LOWER
                                        "' AND gb_id = '35010200001310000006'"),
                     0);
    jg_rows *r = NULL;
    assert_int_equal(jg_db_read(upper.db,
                                "SELECT name, status, parent_id FROM video_channel WHERE gb_id = "
                                "'35010200001310000003'",
                                NULL, 0, &r),
                     JG_OK);
    assert_int_equal(jg_rows_count(r), 1);
    assert_string_equal(jg_rows_text(r, 0, 0), "工地 3 号 & 塔吊");
    assert_string_equal(jg_rows_text(r, 0, 1), "ON");
    assert_string_equal(jg_rows_text(r, 0, 2), LOWER);
    jg_rows_free(r);

    /* Keepalives keep the lower online at the upper; its keepalive time moves. */
    int64_t before = d->alive_us;
    advance(&lower, &upper, 21LL * 1000000);
    assert_true(pump() >= 2);
    assert_true(d->alive_us > before);

    /* The registration is refreshed before it expires (3/4 of 120 s). */
    for (int i = 0; i < 5; i++) {
        advance(&lower, &upper, 21LL * 1000000);
        pump();
    }
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);
    assert_true(d->registered && d->online);

    /* INVITEs from the upper (the relay itself runs in tests/api/video_cascade.test.mjs). */
    sent_invite_answer = 0;
    char invite[1024];
    int n =
        snprintf(invite, sizeof(invite),
                 "INVITE sip:35010200001310000001@127.0.0.1:15061 SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 127.0.0.1:15060;rport;branch=z9hG4bKinv1\r\n"
                 "From: <sip:" UPPER "@3500000000>;tag=i1\r\nTo: <sip:35010200001310000001@3501000000>\r\n"
                 "Call-ID: inv-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
    jg_vpeer p;
    memset(&p, 0, sizeof(p));
    p.transport = JG_VT_UDP;
    p.addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &p.addr.sin_addr);
    p.addr.sin_port = htons(15060);
    jg_vsvc_handle(&lower.svc, invite, (size_t)n, &p);
    pump();
    assert_int_equal(sent_invite_answer, 488); /* no SDP offer */
    /* With an offer: an unshared channel is 404; a shared one whose stream cannot start (no media
     * node in this test, the device offline) is refused too, never 200. */
    const char *sdp = "v=0\r\no=x 0 0 IN IP4 127.0.0.1\r\ns=Play\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                      "m=video 30000 RTP/AVP 96\r\na=rtpmap:96 PS/90000\r\ny=0350001234\r\n";
    const char *chans[] = {"35010200001310000006", "35010200001310000001"};
    const int want[] = {404, 480};
    for (int i = 0; i < 2; i++) {
        n = snprintf(invite, sizeof(invite),
                     "INVITE sip:%s@127.0.0.1:15061 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:15060;rport;branch=z9hG4bKinv2%d\r\n"
                     "From: <sip:" UPPER "@3500000000>;tag=i2\r\nTo: <sip:%s@3501000000>\r\n"
                     "Call-ID: inv-2%d\r\nCSeq: 1 INVITE\r\nContent-Type: APPLICATION/SDP\r\n"
                     "Max-Forwards: 70\r\nContent-Length: %zu\r\n\r\n%s",
                     chans[i], i, chans[i], i, strlen(sdp), sdp);
        last_status = 0;
        jg_vsvc_handle(&lower.svc, invite, (size_t)n, &p);
        pump();
        assert_int_equal(last_status, want[i]);
    }

    /* The upper restarts (forgets the lower): the next keepalive is refused, the lower registers again. */
    node_close(&upper);
    node_open(&upper, UPPER, 15060, "upper-pw", NULL);
    node_start(&upper);
    upper.svc.now_us = lower.svc.now_us;
    assert_null(jg_vsvc_device(&upper.svc, LOWER));
    for (int i = 0; i < 3; i++) {
        advance(&lower, &upper, 21LL * 1000000);
        pump();
    }
    d = jg_vsvc_device(&upper.svc, LOWER);
    assert_non_null(d);
    assert_true(d->registered);
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);

    /* Stopping unregisters (Expires: 0 goes out). */
    nodes[0] = NULL;
    node_close(&lower);
    assert_int_equal(qtail - qhead, 1);
    assert_non_null(strstr(queue[qhead].data, "Expires: 0"));
    pump();
    node_close(&upper);
    nodes[1] = NULL;
}

/* A large share (1,000 channels: 250 MESSAGEs) goes out 50 MESSAGEs per 100 ms, not in one burst
 * that would overflow the upper's receive buffer; the upper gets the whole catalog. */
static void catalog_paced(void **state)
{
    (void)state;
    node lower, upper;
    nodes[0] = &lower;
    nodes[1] = &upper;
    node_open(&upper, UPPER, 15060, "upper-pw", NULL);
    node_start(&upper);
    node_open(&lower, LOWER, LOWER_PORT, "",
              UPPER "@127.0.0.1:15060;password=upper-pw;expires=120;keepalive=20");
    exec_sql(lower.db, "INSERT INTO video_device (gb_id, settings_at, created_at, updated_at) VALUES "
                       "('" DEVICE "', '2026-01-01', '2026-01-01', '2026-01-01')");
    exec_sql(lower.db,
             "INSERT INTO video_channel (device_gb_id, gb_id, name, status, created_at, updated_at) "
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
             "SELECT '" DEVICE "', '350102000013' || printf('%08d', i), 'ch ' || i, 'ON', "
             "'2026-01-01', '2026-01-01' FROM n");
    exec_sql(lower.db, "INSERT INTO video_share (upper_id, channel_gb_id, created_at) "
                       "SELECT '" UPPER "', gb_id, '2026-01-01' FROM video_channel");
    node_start(&lower);
    upper.svc.now_us = lower.svc.now_us;
    jg_vsvc_tick(&lower.svc);
    catalog_sent = 0;
    pump();
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);
    assert_int_equal(catalog_sent, 50); /* the first burst only */
    int total = catalog_sent;
    for (int i = 0; i < 8; i++) {
        catalog_sent = 0;
        advance(&lower, &upper, 50000); /* half the pace: nothing more yet */
        pump();
        assert_int_equal(catalog_sent, 0);
        advance(&lower, &upper, 50000);
        pump();
        assert_true(catalog_sent <= 50);
        total += catalog_sent;
    }
    assert_int_equal(total, 250);
    jg_vstore_sync(upper.svc.store);
    assert_int_equal(count_of(upper.db, "SELECT catalog_sum FROM video_device WHERE gb_id = '" LOWER
                                        "' AND catalog_state = 'complete'"),
                     1000);
    assert_int_equal(
        count_of(upper.db, "SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '" LOWER "'"), 1000);
    pair_close(&lower, &upper);
}

/* A catalog chunk lost over UDP is sent again (T1, 500 ms) until the upper answers it; answered
 * MESSAGEs are not sent again. */
static void lost_catalog_chunk_sent_again(void **state)
{
    (void)state;
    node lower, upper;
    pair_open(&lower, &upper);
    drop_catalog_chunk = 1;
    catalog_sent = 0;
    jg_vsvc_tick(&lower.svc);
    pump();
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);
    assert_int_equal(drop_catalog_chunk, 0); /* one chunk was lost */
    assert_int_equal(catalog_sent, 2);       /* 5 channels, 4 a message */
    jg_vstore_sync(upper.svc.store);
    assert_int_equal(count_of(upper.db, "SELECT COUNT(*) FROM video_device WHERE gb_id = '" LOWER
                                        "' AND catalog_state = 'complete'"),
                     0);
    advance(&lower, &upper, 400000); /* before T1: nothing yet */
    pump();
    assert_int_equal(catalog_sent, 2);
    advance(&lower, &upper, 200000);
    pump();
    assert_int_equal(catalog_sent, 3); /* the lost one only: the other was answered */
    assert_catalog_at_upper(&upper, 5);
    for (int i = 0; i < 10; i++) { /* answered: never again */
        advance(&lower, &upper, 1000000);
        pump();
    }
    assert_int_equal(catalog_sent, 3);
    pair_close(&lower, &upper);
}

/* A catalog SUBSCRIBE from the upper: 200 with the Expires granted (at most 3600), NOTIFY OFF/ON
 * for the shared channels of a device changing state (not the unshared sixth), a refresh keeps it,
 * and past its expiry nothing is sent; a SUBSCRIBE for another event gets 489. */
static void subscription_expiry(void **state)
{
    (void)state;
    node lower, upper;
    nodes[0] = &lower;
    nodes[1] = &upper;
    node_open(&upper, UPPER, 15060, "upper-pw", NULL);
    node_start(&upper);
    node_open(&lower, LOWER, LOWER_PORT, "",
              UPPER "@127.0.0.1:15060;password=upper-pw;expires=3600;keepalive=20");
    seed_channels(&lower);
    node_start(&lower);
    upper.svc.now_us = lower.svc.now_us;
    jg_vsvc_tick(&lower.svc);
    pump();
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);

    jg_vpeer p;
    memset(&p, 0, sizeof(p));
    p.transport = JG_VT_UDP;
    p.addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &p.addr.sin_addr);
    p.addr.sin_port = htons(15060);
    const char *body = "<?xml version=\"1.0\"?>\r\n<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>9</SN>\r\n"
                       "<DeviceID>" LOWER "</DeviceID>\r\n</Query>\r\n";
    char msg[2048];
    const char *events[] = {"Catalog", "presence"};
    const long expires[] = {7200, 200, 60};
    const char *call_ids[] = {"sub-u1", "sub-u1", "sub-u2"};
    /* 7200 asked: 3600 granted; then a refresh for 200 s; then presence: 489 */
    for (int i = 0; i < 3; i++) {
        int n = snprintf(
            msg, sizeof(msg),
            "SUBSCRIBE sip:" LOWER "@127.0.0.1:15061 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:15060;rport;branch=z9hG4bKsub%d\r\n"
            "From: <sip:" UPPER "@3500000000>;tag=s1\r\nTo: <sip:" LOWER "@3501000000>\r\n"
            "Call-ID: %s\r\nCSeq: %d SUBSCRIBE\r\nEvent: %s\r\nExpires: %ld\r\n"
            "Contact: <sip:" UPPER "@127.0.0.1:15060>\r\n"
            "Content-Type: Application/MANSCDP+xml\r\nMax-Forwards: 70\r\nContent-Length: %zu\r\n\r\n%s",
            i, call_ids[i], i + 1, events[i == 2], expires[i], i == 2 ? (size_t)0 : strlen(body),
            i == 2 ? "" : body);
        last_response[0] = '\0';
        jg_vsvc_handle(&lower.svc, msg, (size_t)n, &p);
        pump();
        if (i == 0) {
            assert_non_null(strstr(last_response, "SIP/2.0 200"));
            assert_non_null(strstr(last_response, "Expires: 3600"));
        } else if (i == 1) {
            assert_non_null(strstr(last_response, "SIP/2.0 200"));
            assert_non_null(strstr(last_response, "Expires: 200"));
        } else {
            assert_non_null(strstr(last_response, "SIP/2.0 489"));
        }
    }
    /* The device (5 of its 6 channels shared) goes offline: one NOTIFY of 4 and one of 1. */
    advance(&lower, &upper, 100000); /* the first share poll */
    pump();
    notify_sent = 0;
    jg_vcascade_device_state(&lower.svc, DEVICE, 0);
    assert_int_equal(notify_sent, 2);
    pump(); /* the upper answers them: nothing is retransmitted */
    notify_sent = 0;
    advance(&lower, &upper, 2000000);
    pump();
    assert_int_equal(notify_sent, 0);
    /* 600 channels shared at once: ADD at the next poll, 150 NOTIFYs paced 50 per 100 ms. */
    exec_sql(lower.db,
             "INSERT INTO video_channel (device_gb_id, gb_id, name, status, created_at, updated_at) "
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 600) "
             "SELECT '" DEVICE "', '350102000013' || printf('%08d', 1000 + i), 'ch ' || i, 'ON', "
             "'2026-01-02', '2026-01-02' FROM n");
    exec_sql(lower.db, "INSERT INTO video_share (upper_id, channel_gb_id, created_at) SELECT '" UPPER
                       "', gb_id, '2026-01-02' FROM video_channel WHERE gb_id LIKE '3501020000130000%'");
    notify_sent = 0;
    for (int i = 0; i < 40 && notify_sent == 0; i++) {
        advance(&lower, &upper, 1000000);
        pump();
    }
    assert_int_equal(notify_sent, 50);
    int total = notify_sent;
    for (int i = 0; i < 4; i++) {
        notify_sent = 0;
        advance(&lower, &upper, 100000);
        pump();
        assert_true(notify_sent <= 50);
        total += notify_sent;
    }
    assert_int_equal(total, 150);
    /* A share removed: DEL at the next poll. */
    exec_sql(lower.db, "DELETE FROM video_share WHERE channel_gb_id = '35010200001310000005'");
    notify_sent = 0;
    for (int i = 0; i < 40 && notify_sent == 0; i++) {
        advance(&lower, &upper, 1000000);
        pump();
    }
    assert_int_equal(notify_sent, 1);
    /* Past the 200 s granted by the refresh: the subscription is gone, nothing more is sent. */
    for (int i = 0; i < 10; i++) {
        advance(&lower, &upper, 20000000);
        pump();
    }
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 1);
    notify_sent = 0;
    jg_vcascade_device_state(&lower.svc, DEVICE, 1);
    pump();
    assert_int_equal(notify_sent, 0);
    pair_close(&lower, &upper);
}

static void wrong_password_backs_off(void **state)
{
    (void)state;
    node lower, upper;
    nodes[0] = &lower;
    nodes[1] = &upper;
    node_open(&upper, UPPER, 15060, "upper-pw", NULL);
    node_start(&upper);
    node_open(&lower, LOWER, LOWER_PORT, "", UPPER "@127.0.0.1:15060;password=wrong");
    node_start(&lower);
    upper.svc.now_us = lower.svc.now_us;
    jg_vsvc_tick(&lower.svc);
    int n = pump();
    assert_int_equal(n, 4); /* REGISTER, 401, REGISTER with a wrong digest, 403 */
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 0);
    /* Nothing is sent during the backoff (5 s) */
    advance(&lower, &upper, 4LL * 1000000);
    assert_int_equal(pump(), 0);
    advance(&lower, &upper, 2LL * 1000000);
    assert_true(pump() > 0);
    assert_int_equal(jg_vcascade_registered(&lower.svc, UPPER), 0);

    /* An upper that does not answer: the REGISTER is retransmitted, then given up (backoff). */
    drop_to_upper = 1;
    dropped = 0;
    advance(&lower, &upper, 600LL * 1000000);
    assert_int_equal(dropped, 1);
    for (int i = 0; i < 20; i++)
        advance(&lower, &upper, 1000000);
    int retransmitted = dropped;
    assert_true(retransmitted >= 5); /* 0.5, 1, 2, 4, 4 ... s */
    for (int i = 0; i < 15; i++)
        advance(&lower, &upper, 1000000);
    int at_deadline = dropped;
    for (int i = 0; i < 4; i++) /* backed off: quiet for a while */
        advance(&lower, &upper, 1000000);
    assert_int_equal(dropped, at_deadline);
    assert_int_equal(pump(), 0);
    drop_to_upper = 0;
    node_close(&lower);
    node_close(&upper);
    nodes[0] = nodes[1] = NULL;
}

static void parse_config(void **state)
{
    (void)state;
    jg_vupper_cfg *u = NULL;
    int n = 0;
    char err[256];
    assert_int_equal(jg_vcascade_parse("", &u, &n, err, sizeof(err)), JG_OK);
    assert_int_equal(n, 0);
    assert_int_equal(jg_vcascade_parse(UPPER "@10.0.0.1:5060;password=p;expires=600;keepalive=30;share=all, "
                                             "35000000002000000002@upper.example:5070;transport=TCP",
                                       &u, &n, err, sizeof(err)),
                     JG_OK);
    assert_int_equal(n, 2);
    assert_string_equal(u[0].id, UPPER);
    assert_string_equal(u[0].host, "10.0.0.1");
    assert_int_equal(u[0].port, 5060);
    assert_string_equal(u[0].password, "p");
    assert_int_equal(u[0].expires_s, 600);
    assert_int_equal(u[0].keepalive_s, 30);
    assert_int_equal(u[0].share_all, 1);
    assert_int_equal(u[0].tcp, 0);
    assert_string_equal(u[1].host, "upper.example");
    assert_int_equal(u[1].tcp, 1);
    assert_int_equal(u[1].expires_s, 3600);
    assert_int_equal(u[1].share_all, 0);
    free(u);
    const char *bad[] = {"3500000000200000000@1.2.3.4:5060",
                         UPPER "@1.2.3.4",
                         UPPER "@1.2.3.4:0",
                         UPPER "@1.2.3.4:5060;expires=5",
                         UPPER "@1.2.3.4:5060;transport=sctp",
                         UPPER "@1.2.3.4:5060;share=some",
                         UPPER "@1.2.3.4:5060;x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(jg_vcascade_parse(bad[i], &u, &n, err, sizeof(err)), JG_INVALID);
        assert_null(u);
        assert_true(strstr(err, "video_upper") != NULL);
    }
}

static void bodies(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 65536);
    jg_manscdp_item items[2];
    memset(items, 0, sizeof(items));
    snprintf(items[0].device_id, sizeof(items[0].device_id), "35010200001310000001");
    snprintf(items[0].name, sizeof(items[0].name), "A<&>\"B");
    items[0].has_position = 1;
    items[0].longitude = 119.5;
    items[0].latitude = 26.25;
    items[0].ptz_type = 1;
    snprintf(items[1].device_id, sizeof(items[1].device_id), "35010200001310000002");
    assert_int_equal(jg_manscdp_catalog_response(&b, 77, LOWER, 9, items, 2), JG_OK);
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_RESPONSE);
    assert_string_equal(m.cmd_type, "Catalog");
    assert_int_equal(m.sn, 77);
    assert_int_equal(m.sum_num, 9);
    assert_int_equal(m.item_count, 2);
    assert_string_equal(m.items[0].name, "A<&>\"B");
    assert_int_equal(m.items[0].has_position, 1);
    assert_int_equal(m.items[0].ptz_type, 1);
    assert_string_equal(m.items[1].status, "ON");
    jg_manscdp_msg_free(&m);

    b.len = 0;
    assert_int_equal(jg_manscdp_keepalive(&b, 5, LOWER), JG_OK);
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_NOTIFY);
    assert_string_equal(m.cmd_type, "Keepalive");
    assert_string_equal(m.device_id, LOWER);
    assert_string_equal(m.status, "OK");
    jg_manscdp_msg_free(&m);

    b.len = 0;
    assert_int_equal(jg_manscdp_device_info_response(&b, 6, LOWER, 12), JG_OK);
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_string_equal(m.cmd_type, "DeviceInfo");
    assert_int_equal(m.channel, 12);
    assert_string_equal(m.result, "OK");
    jg_manscdp_msg_free(&m);
    jg_buf_free(&b);
}

/* The catalog NOTIFY (ON/OFF/DEL: the ID and the event; ADD: every field) and the RecordInfo answer
 * to an upper platform, read back by our own parser as a device's would be. */
static void notify_and_record_bodies(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 65536);
    jg_manscdp_item items[3];
    memset(items, 0, sizeof(items));
    snprintf(items[0].device_id, sizeof(items[0].device_id), "35010200001310000001");
    snprintf(items[0].event, sizeof(items[0].event), "OFF");
    snprintf(items[0].name, sizeof(items[0].name), "not sent for OFF");
    snprintf(items[1].device_id, sizeof(items[1].device_id), "35010200001310000002");
    snprintf(items[1].event, sizeof(items[1].event), "ADD");
    snprintf(items[1].name, sizeof(items[1].name), "东门 A&B");
    snprintf(items[1].status, sizeof(items[1].status), "ON");
    snprintf(items[2].device_id, sizeof(items[2].device_id), "35010200001310000003");
    snprintf(items[2].event, sizeof(items[2].event), "DEL");
    assert_int_equal(jg_manscdp_catalog_notify(&b, 41, LOWER, items, 3), JG_OK);
    assert_null(strstr(b.data, "not sent for OFF"));
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_NOTIFY);
    assert_string_equal(m.cmd_type, "Catalog");
    assert_int_equal(m.sn, 41);
    assert_string_equal(m.device_id, LOWER);
    assert_int_equal(m.sum_num, 3);
    assert_int_equal(m.item_count, 3);
    assert_string_equal(m.items[0].event, "OFF");
    assert_string_equal(m.items[0].name, "");
    assert_string_equal(m.items[1].event, "ADD");
    assert_string_equal(m.items[1].name, "东门 A&B");
    assert_string_equal(m.items[1].status, "ON");
    assert_string_equal(m.items[2].event, "DEL");
    assert_string_equal(m.items[2].device_id, "35010200001310000003");
    jg_manscdp_msg_free(&m);

    /* Items without an event: exactly the catalog answer's form (no <Event>). */
    b.len = 0;
    items[1].event[0] = '\0';
    assert_int_equal(jg_manscdp_catalog_response(&b, 42, LOWER, 1, items + 1, 1), JG_OK);
    assert_null(strstr(b.data, "<Event>"));

    jg_manscdp_record recs[2];
    memset(recs, 0, sizeof(recs));
    snprintf(recs[0].device_id, sizeof(recs[0].device_id), "34020000001320000009"); /* rewritten */
    snprintf(recs[0].name, sizeof(recs[0].name), "录像<1>");
    snprintf(recs[0].start_time, sizeof(recs[0].start_time), "2026-11-25T08:00:00");
    snprintf(recs[0].end_time, sizeof(recs[0].end_time), "2026-11-25T09:00:00");
    snprintf(recs[0].type, sizeof(recs[0].type), "all");
    recs[0].file_size = 1234;
    recs[1] = recs[0];
    recs[1].file_size = -1;
    recs[1].type[0] = '\0';
    b.len = 0;
    assert_int_equal(jg_manscdp_record_response(&b, 9001, "35010200001310000002", "通道", 7, recs, 2), JG_OK);
    assert_null(strstr(b.data, "34020000001320000009"));
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_RESPONSE);
    assert_string_equal(m.cmd_type, "RecordInfo");
    assert_int_equal(m.sn, 9001);
    assert_string_equal(m.device_id, "35010200001310000002");
    assert_string_equal(m.name, "通道");
    assert_int_equal(m.sum_num, 7);
    assert_int_equal(m.record_count, 2);
    assert_string_equal(m.records[0].device_id, "35010200001310000002");
    assert_string_equal(m.records[0].name, "录像<1>");
    assert_string_equal(m.records[0].start_time, "2026-11-25T08:00:00");
    assert_string_equal(m.records[0].type, "all");
    assert_int_equal(m.records[0].file_size, 1234);
    assert_string_equal(m.records[1].type, "time");
    assert_int_equal(m.records[1].file_size, -1);
    jg_manscdp_msg_free(&m);
    jg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_config),
        cmocka_unit_test(bodies),
        cmocka_unit_test(notify_and_record_bodies),
        cmocka_unit_test(register_catalog_keepalive),
        cmocka_unit_test(catalog_paced),
        cmocka_unit_test(lost_catalog_chunk_sent_again),
        cmocka_unit_test(subscription_expiry),
        cmocka_unit_test(wrong_password_backs_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
