/* The media transport of a new stream (issue 8): a live URL's transport= wins, then the device's
 * own video_device.media_transport, then the node's video_media_transport. The device's value
 * reaches the service from its row at start (load_devices) and through the settings poll, in a real
 * SQLite database. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "video/media.h"
#include "video_testutil.h"

#define DEV "35010200001320000001"

static int setup(void **state)
{
    return video_setup(state, NULL);
}

static int setup_tcp_node(void **state)
{
    static const char *const extra[] = {"video_media_transport", "tcp", NULL};
    return video_setup(state, extra);
}

/* Run the settings poll now. */
static void poll(fixture *f)
{
    f->svc.now_us += (f->cfg.video_keepalive_flush_s + 1) * 1000000LL;
    jg_vsvc_tick(&f->svc);
}

static void precedence(void **state)
{
    fixture *f = *state;
    jg_vdev *d = jg_vsvc_device_new(&f->svc, DEV);
    /* Nothing set: the node's (udp by default). */
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_UDP);
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, ""), JG_RTP_UDP);
    assert_int_equal(jg_vmedia_transport_of(&f->svc, NULL, NULL), JG_RTP_UDP);
    /* The device's own wins over the node's. */
    snprintf(d->media_transport, sizeof(d->media_transport), "tcp");
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_TCP_PASSIVE);
    snprintf(d->media_transport, sizeof(d->media_transport), "tcp-active");
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, ""), JG_RTP_TCP_ACTIVE);
    /* The URL's wins over both. */
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, "udp"), JG_RTP_UDP);
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, "tcp"), JG_RTP_TCP_PASSIVE);
    /* Anything else asked is UDP, as before. */
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, "sctp"), JG_RTP_UDP);
}

static void node_default_tcp(void **state)
{
    fixture *f = *state;
    jg_vdev *d = jg_vsvc_device_new(&f->svc, DEV);
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_TCP_PASSIVE);
    assert_int_equal(jg_vmedia_transport_of(&f->svc, NULL, NULL), JG_RTP_TCP_PASSIVE);
    /* A device behind a network that passes UDP only: its own udp wins over the node's tcp. */
    snprintf(d->media_transport, sizeof(d->media_transport), "udp");
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_UDP);
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, "tcp-active"), JG_RTP_TCP_ACTIVE);
}

static void from_the_database(void **state)
{
    fixture *f = *state;
    /* A row set up before the device registered: the settings poll brings it into memory. */
    db_exec_on_writer(
        f->db,
        "INSERT INTO video_device (gb_id, media_transport, settings_at, created_at, updated_at) "
        "VALUES ('" DEV "', 'tcp', '2999-01-01T00:00:01.000Z', '2026-01-01T00:00:00.000Z', "
        "'2026-01-01T00:00:00.000Z')",
        JG_OK);
    poll(f);
    jg_vdev *d = jg_vsvc_device(&f->svc, DEV);
    assert_non_null(d);
    assert_string_equal(d->media_transport, "tcp");
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_TCP_PASSIVE);
    /* Changed: picked up by the next poll. */
    db_exec_on_writer(f->db,
                      "UPDATE video_device SET media_transport = 'tcp-active', "
                      "settings_at = '2999-01-01T00:00:02.000Z' WHERE gb_id = '" DEV "'",
                      JG_OK);
    poll(f);
    assert_string_equal(jg_vsvc_device(&f->svc, DEV)->media_transport, "tcp-active");
    /* Read at start too. */
    jg_vsvc_exit(&f->svc);
    assert_int_equal(jg_vsvc_init(&f->svc, &f->cfg, f->db, KEY, capture), JG_OK);
    d = jg_vsvc_device(&f->svc, DEV);
    assert_non_null(d);
    assert_string_equal(d->media_transport, "tcp-active");
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_TCP_ACTIVE);
    /* Back to NULL: the node's again. */
    db_exec_on_writer(f->db,
                      "UPDATE video_device SET media_transport = NULL, "
                      "settings_at = '2999-01-01T00:00:03.000Z' WHERE gb_id = '" DEV "'",
                      JG_OK);
    poll(f);
    d = jg_vsvc_device(&f->svc, DEV);
    assert_string_equal(d->media_transport, "");
    assert_int_equal(jg_vmedia_transport_of(&f->svc, d, NULL), JG_RTP_UDP);
    /* A value the service does not know (written around the API): the node's, never garbage. */
    db_exec_on_writer(f->db,
                      "UPDATE video_device SET media_transport = 'quic', "
                      "settings_at = '2999-01-01T00:00:04.000Z' WHERE gb_id = '" DEV "'",
                      JG_OK);
    poll(f);
    assert_string_equal(jg_vsvc_device(&f->svc, DEV)->media_transport, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(precedence, setup, video_teardown),
        cmocka_unit_test_setup_teardown(node_default_tcp, setup_tcp_node, video_teardown),
        cmocka_unit_test_setup_teardown(from_the_database, setup, video_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
