/* The video service in process, without sockets: subscriptions to a device (SUBSCRIBE Catalog,
 * Alarm, MobilePosition with Event and Expires, retransmitted over UDP, refreshed in their dialog,
 * tried again after a refusal, ended by the device's NOTIFY or with Expires: 0 at exit), NOTIFY and
 * MESSAGE notifications (catalog events applied, alarms stored and answered, positions kept and
 * bounded), DeviceStatus stored; state checked in a real SQLite database. */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "video_testutil.h"

#define DEV "35010200001320000001"
#define DEV2 "35010200001320000002"

static int setup(void **state)
{
    static const char *const extra[] = {"video_subscribe", "catalog, alarm,position",
                                        "video_subscribe_expires_s", "10", NULL};
    return video_setup(state, extra);
}

/* The captured requests whose start line begins with prefix and that contain what, newest last. */
static int count_sent(const char *prefix, const char *what)
{
    int n = 0;
    for (int i = 0; i < nsent; i++)
        n += strncmp(sent[i], prefix, strlen(prefix)) == 0 && strstr(sent[i], what) != NULL;
    return n;
}

static const char *sent_with(const char *prefix, const char *what)
{
    for (int i = nsent - 1; i >= 0; i--)
        if (strncmp(sent[i], prefix, strlen(prefix)) == 0 && strstr(sent[i], what) != NULL)
            return sent[i];
    return NULL;
}

/* The value of header name in msg ("" if none), into out. */
static void header(const char *msg, const char *name, char *out, size_t outlen)
{
    char key[64];
    snprintf(key, sizeof(key), "\r\n%s: ", name);
    const char *p = strstr(msg, key);
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(key);
    size_t n = strcspn(p, "\r");
    snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), p);
}

/* Answer the captured request req from the device (to_tag, Expires when > 0). */
static void answer(fixture *f, const char *req, int code, const char *to_tag, int expires)
{
    osip_message_t *m = NULL, *r = NULL;
    assert_int_equal(jg_sip_parse(req, strlen(req), &m), JG_OK);
    assert_int_equal(jg_sip_response(m, code, "127.0.0.1", 5060, to_tag, &r), JG_OK);
    if (expires > 0) {
        char e[16];
        snprintf(e, sizeof(e), "%d", expires);
        osip_message_set_expires(r, e);
    }
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    assert_int_equal(jg_sip_serialize(r, &b), JG_OK);
    osip_message_free(m);
    osip_message_free(r);
    jg_vpeer p = peer_at("10.0.0.7", 5070);
    jg_vsvc_handle(&f->svc, b.data, b.len, &p);
    jg_buf_free(&b);
}

/* A request from the device (NOTIFY or MESSAGE) with a MANSCDP body; extra headers may be "". */
static void from_device(fixture *f, const char *method, const char *call_id, int cseq, const char *extra,
                        const char *body)
{
    char msg[8192];
    int n =
        snprintf(msg, sizeof(msg),
                 "%s sip:" PLATFORM "@3500000000 SIP/2.0\r\n"
                 "Via: SIP/2.0/UDP 10.0.0.7:5070;rport;branch=z9hG4bK%d\r\n"
                 "From: <sip:" DEV "@3501020000>;tag=dev1\r\nTo: <sip:" PLATFORM "@3500000000>;tag=p1\r\n"
                 "Call-ID: %s\r\nCSeq: %d %s\r\n%s"
                 "Content-Type: Application/MANSCDP+xml\r\nMax-Forwards: 70\r\nContent-Length: %zu\r\n\r\n%s",
                 method, rand(), call_id, cseq, method, extra, strlen(body), body);
    jg_vpeer p = peer_at("10.0.0.7", 5070);
    f->svc.now_us += 1000;
    jg_vsvc_handle(&f->svc, msg, (size_t)n, &p);
}

static void tick(fixture *f, int64_t us)
{
    f->svc.now_us += us;
    f->svc.last_scan_us = 0; /* the device scan (subscriptions) runs at this tick */
    jg_vsvc_tick(&f->svc);
}

static void subscriptions(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200 OK", 14);
    /* One SUBSCRIBE of each kind to the device's address, a new dialog each. */
    assert_int_equal(count_sent("SUBSCRIBE sip:" DEV "@10.0.0.7:5070 SIP/2.0", "Expires: 10\r\n"), 3);
    const char *cat = sent_with("SUBSCRIBE", "Event: Catalog\r\n");
    const char *alarm = sent_with("SUBSCRIBE", "<CmdType>Alarm</CmdType>");
    const char *pos = sent_with("SUBSCRIBE", "<CmdType>MobilePosition</CmdType>");
    assert_non_null(cat);
    assert_non_null(alarm);
    assert_non_null(pos);
    assert_non_null(strstr(alarm, "Event: presence\r\n"));
    assert_non_null(strstr(pos, "<Interval>5</Interval>"));
    assert_non_null(strstr(cat, "Contact: <sip:" PLATFORM "@"));
    assert_non_null(strstr(cat, "Content-Type: Application/MANSCDP+xml"));
    /* ... and a DeviceStatus query. */
    assert_non_null(sent_with("MESSAGE", "<CmdType>DeviceStatus</CmdType>"));
    char cat_call[160], alarm_call[160], to[160], cseq[32];
    header(cat, "Call-ID", cat_call, sizeof(cat_call));
    header(alarm, "Call-ID", alarm_call, sizeof(alarm_call));
    assert_string_not_equal(cat_call, alarm_call);
    char *cat_copy = jg_xstrdup(cat), *alarm_copy = jg_xstrdup(alarm);
    /* The device takes the catalog one for 10 s and refuses alarms; positions go unanswered. */
    answer(f, cat_copy, 200, "devtag", 10);
    answer(f, alarm_copy, 489, "x", 0);
    jg_vdev *d = jg_vsvc_device(&f->svc, DEV);
    assert_int_equal(jg_vsub_active(d), 1);
    /* Their states are recorded for the platform API: the granted Expires, the refusal's status. */
    assert_int_equal(scalar(f,
                            "SELECT COUNT(*) FROM video_subscription WHERE device_gb_id = '" DEV "' AND "
                            "kind = 'catalog' AND state = 'active' AND granted_s = 10 AND retry_at IS NULL"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription WHERE device_gb_id = '" DEV "' AND "
                               "kind = 'alarm' AND state = 'refused' AND code = 489 AND failures = 1 AND "
                               "retry_at > at"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription WHERE kind = 'position'"), 0);
    /* Unanswered over UDP: sent again each second, the same request. */
    clear_sent();
    tick(f, 1100000);
    assert_int_equal(count_sent("SUBSCRIBE", "<CmdType>MobilePosition</CmdType>"), 1);
    assert_int_equal(count_sent("SUBSCRIBE", "<CmdType>Catalog</CmdType>"), 0);
    /* At 80% of 10 s the catalog subscription is refreshed in its dialog: same Call-ID, the device's
     * tag, the next CSeq. */
    clear_sent();
    tick(f, 7000000);
    const char *re = sent_with("SUBSCRIBE", "Event: Catalog\r\n");
    assert_non_null(re);
    char re_call[160];
    header(re, "Call-ID", re_call, sizeof(re_call));
    header(re, "To", to, sizeof(to));
    header(re, "CSeq", cseq, sizeof(cseq));
    assert_string_equal(re_call, cat_call);
    assert_non_null(strstr(to, "tag=devtag"));
    assert_string_equal(cseq, "2 SUBSCRIBE");
    answer(f, re, 200, "devtag", 10);
    assert_int_equal(jg_vsub_active(d), 1);
    /* The positions went unanswered for 8 s. */
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription WHERE kind = 'position' AND "
                               "state = 'unanswered' AND code IS NULL AND failures = 1"),
                     1);
    /* The refused alarm subscription is tried again after JG_VSUB_RETRY_S, in a new dialog. */
    clear_sent();
    tick(f, (int64_t)JG_VSUB_RETRY_S * 1000000);
    const char *again = sent_with("SUBSCRIBE", "<CmdType>Alarm</CmdType>");
    assert_non_null(again);
    char again_call[160];
    header(again, "Call-ID", again_call, sizeof(again_call));
    assert_string_not_equal(again_call, alarm_call);
    assert_null(strstr(again, "tag=devtag"));
    answer(f, again, 200, "devtag2", 3600);
    /* (the catalog subscription came due for its refresh in that minute too) */
    const char *cat_again = sent_with("SUBSCRIBE", "Event: Catalog\r\n");
    assert_non_null(cat_again);
    assert_non_null(strstr(cat_again, "CSeq: 3 SUBSCRIBE"));
    answer(f, cat_again, 200, "devtag", 10);
    assert_int_equal(jg_vsub_active(d), 2);
    /* The device ends the catalog subscription with a NOTIFY: answered 200, no longer active. */
    clear_sent();
    from_device(f, "NOTIFY", cat_call, 7,
                "Event: Catalog\r\nSubscription-State: terminated;reason=timeout\r\n",
                "<Notify><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>" DEV "</DeviceID><SumNum>0</SumNum>"
                "</Notify>");
    assert_memory_equal(sent[0], "SIP/2.0 200 OK", 14);
    assert_int_equal(jg_vsub_active(d), 1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription WHERE kind = 'catalog' AND "
                               "state = 'terminated'"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription WHERE kind = 'alarm' AND "
                               "state = 'active' AND granted_s = 10 AND failures = 0 AND code IS NULL"),
                     1);
    /* At exit the active one (alarm) ends with Expires: 0 in its dialog. */
    clear_sent();
    jg_vsvc_exit(&f->svc);
    assert_int_equal(count_sent("SUBSCRIBE", "Expires: 0\r\n"), 1);
    const char *bye = sent_with("SUBSCRIBE", "Expires: 0\r\n");
    assert_non_null(strstr(bye, "tag=devtag2"));
    assert_non_null(strstr(bye, again_call));
    /* teardown exits again: a no-op the second time */
    assert_int_equal(jg_vsvc_init(&f->svc, &f->cfg, f->db, KEY, capture), JG_OK);
    free(cat_copy);
    free(alarm_copy);
}

/* A device that keeps refusing a subscription is asked again after 60, 120, 240 s ... (at most an
 * hour), not every minute; an accepted one starts the count again. */
static void refusals_back_off(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200 OK", 14);
    char *alarm = jg_xstrdup(sent_with("SUBSCRIBE", "<CmdType>Alarm</CmdType>"));
    answer(f, alarm, 489, "x", 0);
    free(alarm);
    int64_t waits[] = {JG_VSUB_RETRY_S, 2 * JG_VSUB_RETRY_S, 4 * JG_VSUB_RETRY_S};
    for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
        clear_sent();
        tick(f, (waits[i] - 2) * 1000000); /* not yet */
        assert_null(sent_with("SUBSCRIBE", "<CmdType>Alarm</CmdType>"));
        tick(f, 2 * 1000000);
        const char *again = sent_with("SUBSCRIBE", "<CmdType>Alarm</CmdType>");
        assert_non_null(again);
        alarm = jg_xstrdup(again);
        answer(f, alarm, i + 1 < sizeof(waits) / sizeof(waits[0]) ? 489 : 200, "devtag", 3600);
        free(alarm);
    }
    jg_vdev *d = jg_vsvc_device(&f->svc, DEV);
    assert_true(jg_vsub_active(d) >= 1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription WHERE kind = 'alarm' AND "
                               "state = 'active' AND failures = 0"),
                     1);
    /* The registration ends (Expires: 0): so do its subscriptions, and their rows go. */
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 0, NULL), "SIP/2.0 200 OK", 14);
    tick(f, 1000);
    assert_int_equal(jg_vsub_active(d), 0);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_subscription"), 0);
}

/* A restarted service subscribes the devices still registered (loaded from the database). */
static void restart_resubscribes(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200 OK", 14);
    jg_vsvc_exit(&f->svc);
    clear_sent();
    assert_int_equal(jg_vsvc_init(&f->svc, &f->cfg, f->db, KEY, capture), JG_OK);
    assert_int_equal(count_sent("SUBSCRIBE", ""), 0);
    tick(f, 1000);
    assert_int_equal(count_sent("SUBSCRIBE sip:" DEV "@10.0.0.7:5070 SIP/2.0", "Expires: 10\r\n"), 3);
    tick(f, 1000);
    assert_int_equal(count_sent("SUBSCRIBE", ""), 3); /* not again while they wait for their answers */
}

static void notifications(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200 OK", 14);
    /* A catalog answer with three channels, then a notification with events. */
    from_device(f, "MESSAGE", "cat-1", 1, "",
                "<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>" DEV "</DeviceID><SumNum>3</SumNum>"
                "<DeviceList Num=\"3\"><Item><DeviceID>35010200001310000001</DeviceID><Name>A</Name>"
                "<Status>ON</Status></Item><Item><DeviceID>35010200001310000002</DeviceID><Name>B</Name>"
                "<Status>ON</Status></Item><Item><DeviceID>35010200001310000003</DeviceID><Name>C</Name>"
                "<Status>ON</Status></Item></DeviceList></Response>");
    clear_sent();
    from_device(f, "NOTIFY", "n-1", 2, "Event: Catalog\r\nSubscription-State: active\r\n",
                "<Notify><CmdType>Catalog</CmdType><SN>2</SN><DeviceID>" DEV "</DeviceID><SumNum>5</SumNum>"
                "<DeviceList Num=\"5\">"
                "<Item><DeviceID>35010200001310000001</DeviceID><Event>VLOST</Event></Item>"
                "<Item><DeviceID>35010200001310000002</DeviceID><Event>del</Event></Item>"
                "<Item><DeviceID>35010200001310000003</DeviceID><Name>C2</Name><Status>OFF</Status>"
                "<Event>UPDATE</Event></Item>"
                "<Item><DeviceID>35010200001310000004</DeviceID><Name>D</Name><Status>ON</Status>"
                "<Event>ADD</Event></Item>"
                "<Item><DeviceID>bad</DeviceID><Event>ADD</Event></Item></DeviceList></Notify>");
    assert_memory_equal(sent[0], "SIP/2.0 200 OK", 14);
    /* The same NOTIFY again (a retransmission): answered, not applied twice. */
    from_device(
        f, "NOTIFY", "n-1", 2, "Event: Catalog\r\nSubscription-State: active\r\n",
        "<Notify><CmdType>Catalog</CmdType><SN>2</SN><DeviceID>" DEV "</DeviceID><DeviceList Num=\"1\">"
        "<Item><DeviceID>35010200001310000001</DeviceID><Event>ON</Event></Item></DeviceList></Notify>");
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE gb_id = '35010200001310000001' AND "
                               "status = 'VLOST' AND name = 'A'"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE gb_id = '35010200001310000002' AND "
                               "status = 'DEL'"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE gb_id = '35010200001310000003' AND "
                               "status = 'OFF' AND name = 'C2'"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '" DEV "'"), 4);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_event WHERE device_gb_id = '" DEV "' AND kind IN "
                               "('channel_vlost', 'channel_del', 'channel_update', 'channel_add')"),
                     4);
    /* An alarm by MESSAGE: stored, answered with a <Response> echoing its SN to the device. */
    clear_sent();
    from_device(f, "MESSAGE", "al-1", 3, "",
                "<Notify><CmdType>Alarm</CmdType><SN>777</SN><DeviceID>35010200001340000001</DeviceID>"
                "<AlarmPriority>2</AlarmPriority><AlarmMethod>2</AlarmMethod><AlarmTime>2026-11-26T09:00:00"
                "</AlarmTime><Info><AlarmType>5</AlarmType></Info></Notify>");
    assert_memory_equal(sent[0], "SIP/2.0 200 OK", 14);
    const char *resp = sent_with("MESSAGE sip:" DEV "@10.0.0.7:5070", "<CmdType>Alarm</CmdType>");
    assert_non_null(resp);
    assert_non_null(strstr(resp, "<SN>777</SN>"));
    assert_non_null(strstr(resp, "<DeviceID>35010200001340000001</DeviceID>"));
    assert_non_null(strstr(resp, "<Result>OK</Result>"));
    assert_int_equal(scalar(f,
                            "SELECT COUNT(*) FROM video_alarm WHERE device_gb_id = '" DEV "' AND gb_id = "
                            "'35010200001340000001' AND priority = 2 AND method = 2 AND alarm_type = '5' AND "
                            "alarm_time = '2026-11-26T09:00:00' AND longitude IS NULL"),
                     1);
    /* An alarm without a valid DeviceID is not stored (nor answered). */
    from_device(f, "MESSAGE", "al-2", 4, "", "<Notify><CmdType>Alarm</CmdType><SN>778</SN></Notify>");
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_alarm"), 1);
    /* A position by NOTIFY: history and the channel's latest; the device's own position too. */
    from_device(f, "NOTIFY", "pos-1", 5, "Event: presence\r\nSubscription-State: active\r\n",
                "<Notify><CmdType>MobilePosition</CmdType><SN>9</SN><DeviceID>35010200001310000001</DeviceID>"
                "<Time>2026-11-26T09:00:01</Time><Longitude>119.1</Longitude><Latitude>26.1</Latitude>"
                "<Speed>3</Speed></Notify>");
    from_device(f, "NOTIFY", "pos-1", 6, "Event: presence\r\nSubscription-State: active\r\n",
                "<Notify><CmdType>MobilePosition</CmdType><SN>10</SN><DeviceID>" DEV "</DeviceID>"
                "<Longitude>119.2</Longitude><Latitude>26.2</Latitude></Notify>");
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_position WHERE gb_id = '35010200001310000001' AND "
                               "speed = 3 AND direction IS NULL AND at = '2026-11-26T09:00:01'"),
                     1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE gb_id = '35010200001310000001' AND "
                               "pos_longitude = 119.1 AND pos_at IS NOT NULL"),
                     1);
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_device WHERE gb_id = '" DEV "' AND pos_latitude = 26.2"), 1);
    /* The history is bounded: the newest JG_POSITION_KEEP of an ID stay. */
    jg_manscdp_msg m;
    memset(&m, 0, sizeof(m));
    snprintf(m.device_id, sizeof(m.device_id), "35010200001310000002");
    m.has_position = 1;
    m.speed = m.direction = m.altitude = NAN;
    for (int i = 0; i < JG_POSITION_KEEP + 5; i++) {
        m.longitude = 100 + i * 0.01;
        m.latitude = 20;
        jg_vstore_position(f->svc.store, DEV, &m, "2026-11-26T09:00:00.000Z");
    }
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_position WHERE gb_id = '35010200001310000002'"),
                     JG_POSITION_KEEP);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_position WHERE gb_id = '35010200001310000002' AND "
                               "longitude < 100.045"),
                     0);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_position WHERE gb_id = '35010200001310000001'"),
                     1);
    /* DeviceStatus: stored as JSON on the device. */
    from_device(f, "MESSAGE", "st-1", 7, "",
                "<Response><CmdType>DeviceStatus</CmdType><SN>11</SN><DeviceID>" DEV "</DeviceID>"
                "<Result>OK</Result><Online>ONLINE</Online><Status>OK</Status><Encode>ON</Encode>"
                "<Record>ON</Record><DeviceTime>2026-11-26T09:00:00</DeviceTime></Response>");
    assert_int_equal(scalar(f,
                            "SELECT COUNT(*) FROM video_device WHERE gb_id = '" DEV "' AND status_json LIKE "
                            "'%\"online\":\"ONLINE\"%' AND status_json LIKE '%\"record\":\"ON\"%' AND "
                            "status_at IS NOT NULL"),
                     1);
    /* A NOTIFY from an address the device did not register from: 403, nothing applied. */
    static const char ebody[] =
        "<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>35010200001340000009</DeviceID></Notify>";
    char msg[1024];
    int n = snprintf(
        msg, sizeof(msg),
        "NOTIFY sip:" PLATFORM "@3500000000 SIP/2.0\r\nVia: SIP/2.0/UDP 10.6.6.6:5070;branch=z9hG4bKx\r\n"
        "From: <sip:" DEV "@3501020000>;tag=e\r\nTo: <sip:" PLATFORM "@3500000000>\r\nCall-ID: evil\r\n"
        "CSeq: 1 NOTIFY\r\nContent-Type: Application/MANSCDP+xml\r\nContent-Length: %zu\r\n\r\n%s",
        sizeof(ebody) - 1, ebody);
    jg_vpeer evil = peer_at("10.6.6.6", 5070);
    clear_sent();
    jg_vsvc_handle(&f->svc, msg, (size_t)n, &evil);
    assert_int_equal(nsent, 1);
    assert_memory_equal(sent[0], "SIP/2.0 403", 11);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_alarm"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(subscriptions, setup, video_teardown),
        cmocka_unit_test_setup_teardown(refusals_back_off, setup, video_teardown),
        cmocka_unit_test_setup_teardown(restart_resubscribes, setup, video_teardown),
        cmocka_unit_test_setup_teardown(notifications, setup, video_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
