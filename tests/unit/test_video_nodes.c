/* Unit tests for several media nodes (src/video/nodes.c): the placement choice (least loaded live
 * node, ties by bytes/s then CPU, dead and silent nodes skipped, exclusion), the roles, and the
 * signalling side's table driven in process with a test clock: heartbeats (validated), placements
 * spread and held, a stream's node kept, a silent node declared dead, a restarted node (new boot
 * ID) noticed. The media part is absent here (no streams), as in a signalling process before any
 * viewer; tests/api/video_nodes.test.mjs runs the processes. */
#include "base/config.h"
#include "video/nodes.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cmocka.h>

#define SEC 1000000LL

static jg_vnode mk(const char *id, int streams, int pending, double bps, double cpu, int64_t last_us)
{
    jg_vnode n;
    memset(&n, 0, sizeof(n));
    snprintf(n.id, sizeof(n.id), "%s", id);
    n.streams = streams;
    n.pending = pending;
    n.bps = bps;
    n.cpu = cpu;
    n.last_us = last_us;
    return n;
}

static void pick_least_loaded(void **state)
{
    (void)state;
    int64_t now = 100 * SEC, dead = 3 * SEC;
    assert_int_equal(jg_vnode_pick(NULL, 0, now, dead, NULL), -1);
    jg_vnode ns[4] = {mk("a", 3, 0, 0, 0, now), mk("b", 1, 0, 0, 0, now), mk("c", 2, 0, 0, 0, now),
                      mk("d", 1, 1, 0, 0, now)};
    assert_int_equal(jg_vnode_pick(ns, 4, now, dead, NULL), 1);
    /* placements not yet opened count as load */
    ns[1].pending = 2;
    assert_int_equal(jg_vnode_pick(ns, 4, now, dead, NULL),
                     2); /* b: 3, c: 2, d: 2 -> c, the first of the two */
    ns[2].streams = 3;
    assert_int_equal(jg_vnode_pick(ns, 4, now, dead, NULL), 3);
}

static void pick_ties_and_order(void **state)
{
    (void)state;
    int64_t now = 100 * SEC, dead = 3 * SEC;
    /* equal load: fewer bytes/s wins, then less CPU, then the first */
    jg_vnode ns[3] = {mk("a", 2, 0, 5e6, 10, now), mk("b", 1, 1, 1e6, 90, now), mk("c", 2, 0, 1e6, 20, now)};
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, NULL), 2);
    ns[2].cpu = 95;
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, NULL), 1);
    ns[1].cpu = 95;
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, NULL), 1);
    jg_vnode same[2] = {mk("x", 0, 0, 0, 0, now), mk("y", 0, 0, 0, 0, now)};
    assert_int_equal(jg_vnode_pick(same, 2, now, dead, NULL), 0);
}

static void pick_skips_dead_and_excluded(void **state)
{
    (void)state;
    int64_t now = 100 * SEC, dead = 3 * SEC;
    jg_vnode ns[3] = {mk("a", 0, 0, 0, 0, now - 4 * SEC), mk("b", 5, 0, 0, 0, now), mk("c", 9, 0, 0, 0, now)};
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, NULL), 1); /* a is silent for 4 s */
    ns[0].last_us = now - 3 * SEC;                              /* exactly the limit: still live */
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, NULL), 0);
    ns[0].dead = 1; /* declared dead: stays out until its next heartbeat */
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, NULL), 1);
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, "b"), 2);
    ns[2].last_us = 0;
    assert_int_equal(jg_vnode_pick(ns, 3, now, dead, "b"), -1);
}

static void roles(void **state)
{
    (void)state;
    jg_config cfg;
    char err[256];
    assert_int_equal(jg_config_load(&cfg, "/dev/null", err, sizeof(err)), JG_OK);
    assert_string_equal(cfg.video_role, "all");
    assert_int_equal(jg_vrole(&cfg), JG_VROLE_ALL);
    assert_int_equal(jg_config_set(&cfg, "video_role", "media"), JG_OK);
    assert_int_equal(jg_vrole(&cfg), JG_VROLE_MEDIA);
    assert_int_equal(jg_config_set(&cfg, "video_role", "signal"), JG_OK);
    assert_int_equal(jg_vrole(&cfg), JG_VROLE_SIGNAL);
    assert_int_not_equal(jg_config_set(&cfg, "video_role", "both"), JG_OK);
    assert_int_equal(cfg.video_node_dead_s, 3);
    jg_config_free(&cfg);
}

/* ---- the signalling side's table, in process ---- */

typedef struct {
    jg_config cfg;
    jg_vsvc svc;
    int ep;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char err[256];
    assert_int_equal(jg_config_load(&f->cfg, "/dev/null", err, sizeof(err)), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_role", "signal"), JG_OK);
    f->svc.cfg = &f->cfg;
    f->svc.now_us = 1000 * SEC;
    f->ep = epoll_create1(0);
    assert_int_equal(jg_vnodes_open(&f->svc, f->ep), JG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    jg_vnodes_close(&f->svc);
    close(f->ep);
    jg_config_free(&f->cfg);
    free(f);
    return 0;
}

static int beat(fixture *f, const char *id, const char *boot, const char *url)
{
    const char *message = "";
    return jg_vnodes_beat(&f->svc, id, boot, url, "127.0.0.1", 0, 0, 0, 0, &message);
}

static void table_placement(void **state)
{
    fixture *f = *state;
    jg_vsvc *svc = &f->svc;
    char url[256], node[40];
    const char *dev = "35010200001180000001";
    const char *ch[4] = {"35010200001310000001", "35010200001310000002", "35010200001310000003",
                         "35010200001310000004"};
    /* no node yet (role signal: the embedded one is not a candidate) */
    assert_false(jg_vnodes_place(svc, dev, ch[0], NULL, url, sizeof(url), node, sizeof(node)));
    /* heartbeats are checked: URL scheme and characters, RTP address, the reserved ID */
    const char *message = "";
    assert_false(jg_vnodes_beat(svc, "a", "1", "ftp://x", "127.0.0.1", 0, 0, 0, 0, &message));
    assert_false(jg_vnodes_beat(svc, "a", "1", "http://x/&y", "127.0.0.1", 0, 0, 0, 0, &message));
    assert_false(jg_vnodes_beat(svc, "a", "1", "http://127.0.0.1:1", "not-ip", 0, 0, 0, 0, &message));
    assert_false(jg_vnodes_beat(svc, "local", "1", "http://127.0.0.1:1", "127.0.0.1", 0, 0, 0, 0, &message));
    assert_null(jg_vnodes_find(svc, "a"));
    assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
    assert_true(beat(f, "b", "2", "http://127.0.0.1:9002"));
    assert_non_null(jg_vnodes_find(svc, "a"));
    /* four new streams: a, b, a, b (placements count until their streams open) */
    const char *want[4] = {"a", "b", "a", "b"};
    for (int i = 0; i < 4; i++) {
        assert_true(jg_vnodes_place(svc, dev, ch[i], NULL, url, sizeof(url), node, sizeof(node)));
        assert_string_equal(node, want[i]);
        assert_string_equal(url, strcmp(node, "a") == 0 ? "http://127.0.0.1:9001" : "http://127.0.0.1:9002");
    }
    /* asked again: the same node */
    assert_true(jg_vnodes_place(svc, dev, ch[1], NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
    /* a placement forgotten (its stream ended without opening): the next goes to the lighter node */
    jg_vnodes_placed(svc, dev, ch[1], NULL);
    jg_vnodes_placed(svc, dev, ch[3], NULL);
    assert_true(
        jg_vnodes_place(svc, dev, "35010200001310000005", NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
    /* placements expire after JG_VPLACE_HOLD_US */
    svc->now_us += JG_VPLACE_HOLD_US + SEC;
    assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
    assert_true(beat(f, "b", "2", "http://127.0.0.1:9002"));
    jg_vnodes_tick(svc);
    assert_true(jg_vnodes_place(svc, dev, ch[0], NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "a");
    assert_true(jg_vnodes_place(svc, dev, ch[1], NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
}

static void table_dead_and_restart(void **state)
{
    fixture *f = *state;
    jg_vsvc *svc = &f->svc;
    char url[256], node[40];
    const char *dev = "35010200001180000001";
    assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
    assert_true(beat(f, "b", "2", "http://127.0.0.1:9002"));
    /* b stays silent past video_node_dead_s (3 s) while a reports */
    for (int i = 0; i < 4; i++) {
        svc->now_us += SEC;
        assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
        jg_vnodes_tick(svc);
    }
    assert_null(jg_vnodes_find(svc, "b"));
    assert_non_null(jg_vnodes_find(svc, "a"));
    for (int i = 0; i < 3; i++) {
        char ch[21];
        snprintf(ch, sizeof(ch), "3501020000131000010%d", i);
        assert_true(jg_vnodes_place(svc, dev, ch, NULL, url, sizeof(url), node, sizeof(node)));
        assert_string_equal(node, "a");
    }
    /* b reports again: live, and the lighter one */
    assert_true(beat(f, "b", "2", "http://127.0.0.1:9002"));
    assert_non_null(jg_vnodes_find(svc, "b"));
    assert_true(
        jg_vnodes_place(svc, dev, "35010200001310000200", NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
    /* a new boot ID under the same node ID is a restart: still live afterwards, with its new URL */
    assert_true(beat(f, "b", "3", "http://127.0.0.1:9003"));
    const jg_vnode *b = jg_vnodes_find(svc, "b");
    assert_non_null(b);
    assert_string_equal(b->url, "http://127.0.0.1:9003");
    assert_string_equal(b->boot, "3");
}

/* Role all: the embedded node ("local", always live, at video_media_url) takes its share. */
static void table_role_all(void **state)
{
    fixture *f = *state;
    jg_vsvc *svc = &f->svc;
    jg_vnodes_close(svc);
    assert_int_equal(jg_config_set(&f->cfg, "video_role", "all"), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_media_url", "http://media.example:8090/"), JG_OK);
    assert_int_equal(jg_vnodes_open(svc, f->ep), JG_OK);
    char url[256], node[40];
    const char *dev = "35010200001180000001";
    /* alone: every stream on the embedded node, at the URL the platform always used */
    assert_true(
        jg_vnodes_place(svc, dev, "35010200001310000001", NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "local");
    assert_string_equal(url, "http://media.example:8090");
    svc->now_us += 3600 * SEC; /* the embedded node is never silent */
    jg_vnodes_tick(svc);
    assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
    /* the first placement expired: both empty, the embedded node first (joined first), then a */
    assert_true(
        jg_vnodes_place(svc, dev, "35010200001310000002", NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "local");
    assert_true(
        jg_vnodes_place(svc, dev, "35010200001310000003", NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "a");
    assert_string_equal(url, "http://127.0.0.1:9001");
    const char *message = "";
    assert_false(jg_vnodes_beat(svc, "local", "9", "http://127.0.0.1:9", "127.0.0.1", 0, 0, 0, 0, &message));
}

/* Stream keys: live DEVICE/CHANNEL, a playback DEVICE/CHANNEL/START-END; anything else refused. */
static void keys(void **state)
{
    (void)state;
    char key[JG_VKEY_MAX], dev[JG_GBID_LEN + 1], ch[JG_GBID_LEN + 1];
    long long r[2] = {1764028800, 1764032400}, got[2] = {0, 0};
    jg_vnodes_key(key, "35010200001180000001", "35010200001310000001", NULL);
    assert_string_equal(key, "35010200001180000001/35010200001310000001");
    assert_int_equal(jg_vnodes_key_parse(key, dev, ch, got), 1);
    assert_string_equal(dev, "35010200001180000001");
    assert_string_equal(ch, "35010200001310000001");
    jg_vnodes_key(key, "35010200001180000001", "35010200001310000001", r);
    assert_string_equal(key, "35010200001180000001/35010200001310000001/1764028800-1764032400");
    assert_int_equal(jg_vnodes_key_parse(key, dev, ch, got), 2);
    assert_string_equal(ch, "35010200001310000001");
    assert_true(got[0] == r[0] && got[1] == r[1]);
    static const char *const bad[] = {
        "",
        "35010200001180000001",
        "35010200001180000001/3501020000131000000",                        /* a short channel */
        "3501020000118000000x/35010200001310000001",                       /* not digits */
        "35010200001180000001-35010200001310000001",                       /* no slash */
        "35010200001180000001/35010200001310000001/",                      /* no range */
        "35010200001180000001/35010200001310000001/5",                     /* no end */
        "35010200001180000001/35010200001310000001/5-",                    /* an empty end */
        "35010200001180000001/35010200001310000001/-5",                    /* an empty start */
        "35010200001180000001/35010200001310000001/9-5",                   /* backwards */
        "35010200001180000001/35010200001310000001/5-5",                   /* empty */
        "35010200001180000001/35010200001310000001/5-9x",                  /* trailing */
        "35010200001180000001/35010200001310000001/1-1234567890123456789", /* too long */
        "35010200001180000001/35010200001310000001/dl-abc",                /* a download */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(jg_vnodes_key_parse(bad[i], dev, ch, got), 0);
}

/* A playback is its own stream: placed by its range, held like a live placement, independent of the
 * channel's live stream and of other ranges. */
static void table_playback(void **state)
{
    fixture *f = *state;
    jg_vsvc *svc = &f->svc;
    char url[256], node[40];
    const char *dev = "35010200001180000001", *ch = "35010200001310000001";
    long long r1[2] = {1764028800, 1764032400}, r2[2] = {1764032400, 1764036000};
    assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
    assert_true(beat(f, "b", "2", "http://127.0.0.1:9002"));
    assert_true(jg_vnodes_place(svc, dev, ch, NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "a");
    /* the channel's live stream is placed on a: its playback is another stream, on b */
    assert_true(jg_vnodes_place(svc, dev, ch, r1, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
    assert_string_equal(url, "http://127.0.0.1:9002");
    /* asked again for the same range: the same node; another range: the lighter one again */
    assert_true(jg_vnodes_place(svc, dev, ch, r1, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
    assert_true(jg_vnodes_place(svc, dev, ch, r2, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "a");
    /* the playback's placement forgotten (its stream opened elsewhere or failed): b is lighter */
    jg_vnodes_placed(svc, dev, ch, r1);
    assert_true(
        jg_vnodes_place(svc, dev, "35010200001310000002", NULL, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "b");
    /* placements of playbacks expire like live ones */
    svc->now_us += JG_VPLACE_HOLD_US + SEC;
    assert_true(beat(f, "a", "1", "http://127.0.0.1:9001"));
    assert_true(beat(f, "b", "2", "http://127.0.0.1:9002"));
    jg_vnodes_tick(svc);
    assert_true(jg_vnodes_place(svc, dev, ch, r2, url, sizeof(url), node, sizeof(node)));
    assert_string_equal(node, "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pick_least_loaded),
        cmocka_unit_test(pick_ties_and_order),
        cmocka_unit_test(pick_skips_dead_and_excluded),
        cmocka_unit_test(roles),
        cmocka_unit_test(keys),
        cmocka_unit_test_setup_teardown(table_playback, setup, teardown),
        cmocka_unit_test_setup_teardown(table_placement, setup, teardown),
        cmocka_unit_test_setup_teardown(table_dead_and_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(table_role_all, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
