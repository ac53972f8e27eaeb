/* The video service in process, without sockets: REGISTER through digest authentication, replays,
 * lockout, per-device passwords (SM4 sealed, picked up by the settings poll), keepalives and their
 * timeout, catalogs in chunks, unregistering, garbage; state checked in a real SQLite database. */

#include <iconv.h>
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
    return video_setup(state, NULL);
}

static void register_ok(void **state)
{
    fixture *f = *state;
    const char *r = register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL);
    assert_memory_equal(r, "SIP/2.0 200 OK", 14);
    assert_non_null(strstr(r, "Expires: 3600"));
    assert_non_null(strstr(r, "Contact: <sip:" DEV "@192.168.1.64:5060>"));
    assert_non_null(strstr(r, "received=10.0.0.7"));
    assert_non_null(strstr(r, "rport=5070"));
    const char *date = strstr(r, "Date: ");
    assert_non_null(date);
    int y, mo, d, h, mi, s, ms;
    char end = 0;
    assert_int_equal(sscanf(date, "Date: %4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &s, &ms, &end),
                     8);
    assert_int_equal(end, '\r');
    assert_int_equal(date[10], '-');
    assert_int_equal(date[16], 'T');
    assert_int_equal(date[25], '.');
    /* DeviceInfo and Catalog queries followed, to the packet's address, then the subscriptions of
     * video_subscribe (catalog,alarm by default) and a DeviceStatus query (subscribe.c). */
    assert_int_equal(nsent, 6);
    assert_non_null(strstr(sent[1], "MESSAGE sip:" DEV "@10.0.0.7:5070 SIP/2.0"));
    assert_non_null(strstr(sent[1], "<CmdType>DeviceInfo</CmdType>"));
    assert_non_null(strstr(sent[2], "<CmdType>Catalog</CmdType>"));
    assert_non_null(strstr(sent[3], "SUBSCRIBE sip:" DEV "@10.0.0.7:5070 SIP/2.0"));
    assert_non_null(strstr(sent[3], "Event: Catalog"));
    assert_non_null(strstr(sent[4], "<CmdType>Alarm</CmdType>"));
    assert_non_null(strstr(sent[5], "<CmdType>DeviceStatus</CmdType>"));
    /* The address is the packet's, not the Contact's. */
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_device WHERE gb_id = '" DEV "' AND online = 1 AND "
                  "address = '10.0.0.7' AND port = 5070 AND transport = 'udp' AND expires_at IS NOT NULL"),
        1);
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_event WHERE device_gb_id = '" DEV "' AND kind = 'online'"), 1);
    /* A refresh sends no new queries and records no new event. */
    r = register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL);
    assert_memory_equal(r, "SIP/2.0 200 OK", 14);
    assert_int_equal(nsent, 1);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_event WHERE device_gb_id = '" DEV "'"), 1);
}

static void replay_and_bad_input(void **state)
{
    fixture *f = *state;
    char auth[512];
    const char *r = register_with(f, DEV, "10.0.0.7", "default-pw", 3600, auth);
    assert_memory_equal(r, "SIP/2.0 200 OK", 14);
    /* The same Authorization again (captured and replayed, even from elsewhere): a new challenge. */
    clear_sent();
    send_register(f, DEV, "10.6.6.6", 3600, auth);
    assert_int_equal(nsent, 1);
    assert_memory_equal(sent[0], "SIP/2.0 401", 11);
    assert_non_null(strstr(sent[0], "stale=true"));
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_device WHERE address = '10.6.6.6'"), 0);
    /* A forged nonce: challenged, not counted as a failure. */
    clear_sent();
    send_register(f, DEV, "10.0.0.7", 3600,
                  "Authorization: Digest username=\"" DEV "\", realm=\"3500000000\", "
                  "nonce=\"0000000000000000000000000000000000000000\", uri=\"sip:x\", "
                  "response=\"00000000000000000000000000000000\"\r\n");
    assert_memory_equal(sent[0], "SIP/2.0 401", 11);
    /* Not a GB ID: 400. Garbage: nothing at all. */
    clear_sent();
    send_register(f, "12345", "10.0.0.7", 3600, NULL);
    assert_memory_equal(sent[0], "SIP/2.0 400", 11);
    clear_sent();
    jg_vpeer p = peer_at("10.0.0.9", 1);
    const char *junk[] = {"", "\r\n", "GARBAGE", "SIP/2.0 200 OK\r\n\r\n",
                          "REGISTER sip:a SIP/2.0\r\nVia: x\r\n\r\n"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        jg_vsvc_handle(&f->svc, junk[i], strlen(junk[i]), &p);
    assert_int_equal(nsent, 0);
    assert_true(f->svc.stat_bad >= 4);
}

static void wrong_password_locks_out(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++) {
        const char *r = register_with(f, DEV, "10.0.0.7", "wrong", 3600, NULL);
        assert_memory_equal(r, "SIP/2.0 403", 11);
    }
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_event WHERE device_gb_id = '" DEV "' AND kind = 'auth_failed'"),
        5);
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_event WHERE device_gb_id = '" DEV "' AND kind = 'locked'"), 1);
    /* Locked: even the right password is refused, without a challenge. */
    clear_sent();
    send_register(f, DEV, "10.0.0.7", 3600, NULL);
    assert_memory_equal(sent[0], "SIP/2.0 403", 11);
    /* Another device is not affected. */
    assert_memory_equal(register_with(f, DEV2, "10.0.0.8", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    /* Ten minutes later it may try again. */
    f->svc.now_us += 601LL * 1000000;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
}

static void per_device_password(void **state)
{
    fixture *f = *state;
    /* Set before the device is ever seen: the settings poll brings it into memory. */
    assert_int_equal(jg_video_device_set_password(f->db, KEY, DEV, "own-secret"), JG_OK);
    assert_int_equal(db_scalar(f->db, "SELECT COUNT(*) FROM video_device WHERE password_enc LIKE 'v1.%'"), 1);
    assert_int_equal(
        db_scalar(f->db, "SELECT COUNT(*) FROM video_device WHERE password_enc LIKE '%own-secret%'"), 0);
    f->svc.now_us += (f->cfg.video_keepalive_flush_s + 1) * 1000000LL;
    jg_vsvc_tick(&f->svc);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 403", 11);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "own-secret", 3600, NULL), "SIP/2.0 200", 11);
    /* Changed while it is in memory: the settings poll picks it up. */
    assert_int_equal(jg_video_device_set_password(f->db, KEY, DEV, "newer-secret"), JG_OK);
    f->svc.now_us += (f->cfg.video_keepalive_flush_s + 1) * 1000000LL;
    jg_vsvc_tick(&f->svc);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "own-secret", 3600, NULL), "SIP/2.0 403", 11);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "newer-secret", 3600, NULL), "SIP/2.0 200", 11);
    /* Cleared: the default applies again. */
    assert_int_equal(jg_video_device_set_password(f->db, KEY, DEV, NULL), JG_OK);
    f->svc.now_us += (f->cfg.video_keepalive_flush_s + 1) * 1000000LL;
    jg_vsvc_tick(&f->svc);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    assert_int_equal(jg_video_device_set_password(f->db, KEY, "123", "x"), JG_INVALID);
    /* Deleted: refused, and offline at once. */
    db_exec_on_writer(f->db,
                      "UPDATE video_device SET status = 'deleted', settings_at = '2999-01-01T00:00:00.000Z' "
                      "WHERE gb_id = '" DEV "'",
                      JG_OK);
    f->svc.now_us += (f->cfg.video_keepalive_flush_s + 1) * 1000000LL;
    jg_vsvc_tick(&f->svc);
    assert_int_equal(scalar(f, "SELECT online FROM video_device WHERE gb_id = '" DEV "'"), 0);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 403", 11);
}

static void send_message(fixture *f, const char *id, const char *ip, const char *body, size_t blen, int cseq)
{
    char msg[8192];
    int n = snprintf(msg, sizeof(msg),
                     "MESSAGE sip:" PLATFORM "@3500000000 SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:5070;rport;branch=z9hG4bKm%d\r\n"
                     "From: <sip:%s@3501020000>;tag=m1\r\nTo: <sip:" PLATFORM "@3500000000>\r\n"
                     "Call-ID: msg-%d\r\nCSeq: %d MESSAGE\r\nContent-Type: Application/MANSCDP+xml\r\n"
                     "Max-Forwards: 70\r\nContent-Length: %zu\r\n\r\n",
                     ip, cseq, id, cseq, cseq, blen);
    memcpy(msg + n, body, blen);
    jg_vpeer p = peer_at(ip, 5070);
    clear_sent();
    jg_vsvc_handle(&f->svc, msg, (size_t)n + blen, &p);
}

static void keepalive(fixture *f, const char *ip, int cseq)
{
    const char *ka =
        "<?xml version=\"1.0\" encoding=\"GB2312\"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN>"
        "<DeviceID>" DEV "</DeviceID><Status>OK</Status></Notify>";
    send_message(f, DEV, ip, ka, strlen(ka), cseq);
}

static void keepalives_and_timeout(void **state)
{
    fixture *f = *state;
    keepalive(f, "10.0.0.7", 1);
    assert_memory_equal(sent[0], "SIP/2.0 403", 11); /* not registered */
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    keepalive(f, "10.0.0.7", 2);
    assert_memory_equal(sent[0], "SIP/2.0 200", 11);
    keepalive(f, "10.9.9.9", 3);
    assert_memory_equal(sent[0], "SIP/2.0 403", 11); /* not from its address */
    /* Within interval x count (10 s x 3): still online. */
    f->svc.now_us += 29LL * 1000000;
    jg_vsvc_tick(&f->svc);
    assert_int_equal(scalar(f, "SELECT online FROM video_device WHERE gb_id = '" DEV "'"), 1);
    f->svc.now_us += 2LL * 1000000;
    jg_vsvc_tick(&f->svc);
    assert_int_equal(scalar(f, "SELECT online FROM video_device WHERE gb_id = '" DEV "'"), 0);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_event WHERE kind = 'offline' AND detail = "
                               "'keepalive_timeout'"),
                     1);
    /* A keepalive while the registration holds brings it back. */
    keepalive(f, "10.0.0.7", 4);
    assert_memory_equal(sent[0], "SIP/2.0 200", 11);
    assert_int_equal(scalar(f, "SELECT online FROM video_device WHERE gb_id = '" DEV "'"), 1);
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_event WHERE kind = 'online' AND detail = 'keepalive'"), 1);
    /* Keepalive times are written in batches. */
    jg_vsvc_flush_keepalives(&f->svc);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_device WHERE last_keepalive_at IS NOT NULL"), 1);
    /* Unregister. */
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 0, NULL), "SIP/2.0 200", 11);
    assert_non_null(strstr(sent[0], "Expires: 0"));
    assert_int_equal(scalar(f, "SELECT online FROM video_device WHERE gb_id = '" DEV "'"), 0);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_event WHERE detail = 'unregistered'"), 1);
    keepalive(f, "10.0.0.7", 5);
    assert_memory_equal(sent[0], "SIP/2.0 403", 11);
}

static void registration_expires(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 20, NULL), "SIP/2.0 200", 11);
    for (int i = 0; i < 3; i++) {
        f->svc.now_us += 8LL * 1000000;
        keepalive(f, "10.0.0.7", 10 + i);
        jg_vsvc_tick(&f->svc);
    }
    assert_int_equal(scalar(f, "SELECT online FROM video_device WHERE gb_id = '" DEV "'"), 0);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_event WHERE detail = 'registration_expired'"), 1);
}

static size_t gb(const char *utf8, char *out, size_t outlen)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    char *in = (char *)utf8, *o = out;
    size_t left = strlen(utf8), room = outlen;
    assert_true(iconv(cd, &in, &left, &o, &room) != (size_t)-1);
    iconv_close(cd);
    return (size_t)(o - out);
}

static void catalog_in_chunks(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    const char *q = strstr(sent[2], "<SN>");
    assert_non_null(q);
    long sn = strtol(q + 4, NULL, 10);
    char utf[4096], body[4096];
    size_t blen = 0;
    for (int chunk = 0; chunk < 3; chunk++) {
        int n = snprintf(
            utf, sizeof(utf),
            "<?xml version=\"1.0\" encoding=\"GB2312\"?><Response><CmdType>Catalog</CmdType><SN>%ld</SN>"
            "<DeviceID>" DEV "</DeviceID><SumNum>5</SumNum><DeviceList Num=\"2\">",
            sn);
        for (int i = chunk * 2; i < chunk * 2 + 2 && i < 5; i++)
            n += snprintf(utf + n, sizeof(utf) - (size_t)n,
                          "<Item><DeviceID>3501020000131000000%d</DeviceID><Name>通道%d</Name>"
                          "<Address>仓山 A&B</Address><Status>ON</Status></Item>",
                          i, i);
        snprintf(utf + n, sizeof(utf) - (size_t)n, "</DeviceList></Response>");
        blen = gb(utf, body, sizeof(body));
        send_message(f, DEV, "10.0.0.7", body, blen, 100 + chunk);
        assert_memory_equal(sent[0], "SIP/2.0 200", 11);
        if (chunk < 2)
            assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_device WHERE catalog_sum IS NOT NULL"), 0);
    }
    /* A retransmission of the last chunk is answered and not counted again. */
    send_message(f, DEV, "10.0.0.7", body, blen, 102);
    assert_memory_equal(sent[0], "SIP/2.0 200", 11);
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '" DEV "'"), 5);
    assert_int_equal(
        scalar(f, "SELECT COUNT(*) FROM video_channel WHERE name = '通道3' AND address = '仓山 A&B'"), 1);
    assert_int_equal(scalar(f, "SELECT catalog_sum FROM video_device WHERE gb_id = '" DEV "'"), 5);
    /* DeviceInfo. */
    const char *info =
        "<?xml version=\"1.0\"?><Response><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceID>" DEV
        "</DeviceID><DeviceName>NVR</DeviceName><Result>OK</Result><Manufacturer>Hik</Manufacturer>"
        "<Model>M1</Model><Firmware>F1</Firmware><Channel>5</Channel></Response>";
    send_message(f, DEV, "10.0.0.7", info, strlen(info), 200);
    assert_int_equal(scalar(f,
                            "SELECT COUNT(*) FROM video_device WHERE manufacturer = 'Hik' AND model = 'M1' "
                            "AND firmware = 'F1' AND channel_count = 5 AND name = 'NVR'"),
                     1);
    /* Not MANSCDP, unreadable MANSCDP. */
    jg_vpeer p = peer_at("10.0.0.7", 5070);
    const char *plain =
        "MESSAGE sip:" PLATFORM "@3500000000 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.7:5070;branch=z9\r\n"
        "From: <sip:" DEV "@3501020000>;tag=x\r\nTo: <sip:" PLATFORM "@3500000000>\r\n"
        "Call-ID: p1\r\nCSeq: 1 MESSAGE\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi";
    clear_sent();
    jg_vsvc_handle(&f->svc, plain, strlen(plain), &p);
    assert_memory_equal(sent[0], "SIP/2.0 415", 11);
    send_message(f, DEV, "10.0.0.7", "<Response>", 10, 300);
    assert_memory_equal(sent[0], "SIP/2.0 400", 11);
}

/* The SN of the newest Catalog query sent, or -1. */
static long last_catalog_sn(void)
{
    for (int i = nsent - 1; i >= 0; i--) {
        if (strncmp(sent[i], "MESSAGE ", 8) != 0 || strstr(sent[i], "<CmdType>Catalog</CmdType>") == NULL)
            continue;
        const char *q = strstr(sent[i], "<SN>");
        return q != NULL ? strtol(q + 4, NULL, 10) : -1;
    }
    return -1;
}

/* One chunk of a 5-channel catalog: items first..first+count-1. */
static void catalog_chunk(fixture *f, long sn, int first, int count, int cseq)
{
    char utf[4096], body[4096];
    int n = snprintf(utf, sizeof(utf),
                     "<?xml version=\"1.0\" encoding=\"GB2312\"?><Response><CmdType>Catalog</CmdType>"
                     "<SN>%ld</SN><DeviceID>" DEV "</DeviceID><SumNum>5</SumNum><DeviceList Num=\"%d\">",
                     sn, count);
    for (int i = first; i < first + count; i++)
        n += snprintf(utf + n, sizeof(utf) - (size_t)n,
                      "<Item><DeviceID>3501020000131000000%d</DeviceID><Name>通道%d</Name><Status>ON</Status>"
                      "</Item>",
                      i, i);
    snprintf(utf + n, sizeof(utf) - (size_t)n, "</DeviceList></Response>");
    size_t blen = gb(utf, body, sizeof(body));
    send_message(f, DEV, "10.0.0.7", body, blen, cseq);
    assert_memory_equal(sent[0], "SIP/2.0 200", 11);
}

static const char *catalog_row =
    "SELECT catalog_state || ' ' || catalog_tries || ' ' || COALESCE(catalog_got, -1) "
    "|| ' ' || COALESCE(catalog_sum, -1) FROM video_device WHERE gb_id = '" DEV "'";

static void catalog_row_is(fixture *f, const char *want)
{
    jg_vstore_sync(f->svc.store);
    jg_rows *r = NULL;
    assert_int_equal(jg_db_read(f->db, catalog_row, NULL, 0, &r), JG_OK);
    assert_int_equal(jg_rows_count(r), 1);
    assert_string_equal(jg_rows_text(r, 0, 0), want);
    jg_rows_free(r);
}

/* A chunk lost on the way: the catalog is asked for again after 5 quiet seconds, the answers of
 * both tries are merged without counting a channel twice; a device that never completes its
 * catalog is given up on after 4 queries, with the backoff doubling. */
static void catalog_retried(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    long sn1 = last_catalog_sn();
    assert_true(sn1 > 0);
    catalog_row_is(f, "querying 1 0 -1");
    catalog_chunk(f, sn1, 0, 2, 100); /* chunk 2 (items 2, 3) is lost */
    catalog_chunk(f, sn1, 4, 1, 102);
    catalog_row_is(f, "querying 1 0 -1");
    /* 5 s without a chunk: not yet; past it: the query again, with a new SN. */
    clear_sent();
    f->svc.now_us += 5LL * 1000000;
    jg_vsvc_tick(&f->svc);
    assert_true(last_catalog_sn() <= sn1); /* at most the UDP retransmission of the first query */
    f->svc.now_us += 1100000;
    jg_vsvc_tick(&f->svc);
    long sn2 = last_catalog_sn();
    assert_true(sn2 > sn1);
    catalog_row_is(f, "querying 2 3 -1");
    /* The device answers the whole catalog again: 2 new channels, 3 duplicates. A late chunk of the
     * first try is welcome too, but it completes the catalog before the second try's last chunk. */
    catalog_chunk(f, sn2, 0, 2, 200);
    catalog_row_is(f, "querying 2 3 -1");
    catalog_chunk(f, sn1, 2, 2, 101);
    catalog_row_is(f, "complete 2 5 5");
    catalog_chunk(f, sn2, 4, 1, 202); /* after completion: upserted, not counted */
    assert_int_equal(scalar(f, "SELECT COUNT(*) FROM video_channel WHERE device_gb_id = '" DEV "'"), 5);
    catalog_row_is(f, "complete 2 5 5");

    /* Never complete: queries at +5 s, +10 s, +20 s of silence, then given up after +40 s. */
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 0, NULL), "SIP/2.0 200", 11);
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    long sn = last_catalog_sn();
    catalog_chunk(f, sn, 0, 2, 300);
    int64_t waits[] = {5, 10, 20};
    for (int i = 0; i < 3; i++) {
        clear_sent();
        f->svc.now_us += waits[i] * 1000000 - 500000;
        jg_vsvc_tick(&f->svc);
        assert_true(last_catalog_sn() <= sn);
        f->svc.now_us += 1000000;
        jg_vsvc_tick(&f->svc);
        assert_true(last_catalog_sn() > sn);
        sn = last_catalog_sn();
        /* keep the registration and the keepalives alive */
        keepalive(f, "10.0.0.7", 310 + i);
    }
    catalog_row_is(f, "querying 4 2 5"); /* catalog_sum: the last complete one */
    clear_sent();
    f->svc.now_us += 41LL * 1000000;
    jg_vsvc_tick(&f->svc);
    assert_true(last_catalog_sn() <= sn);
    catalog_row_is(f, "incomplete 4 2 5");
}

static void restart_keeps_registrations(void **state)
{
    fixture *f = *state;
    assert_memory_equal(register_with(f, DEV, "10.0.0.7", "default-pw", 3600, NULL), "SIP/2.0 200", 11);
    jg_vsvc_exit(&f->svc);
    assert_int_equal(jg_vsvc_init(&f->svc, &f->cfg, f->db, KEY, capture), JG_OK);
    keepalive(f, "10.0.0.7", 1);
    assert_memory_equal(sent[0], "SIP/2.0 200", 11); /* still registered after the restart */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(register_ok, setup, video_teardown),
        cmocka_unit_test_setup_teardown(replay_and_bad_input, setup, video_teardown),
        cmocka_unit_test_setup_teardown(wrong_password_locks_out, setup, video_teardown),
        cmocka_unit_test_setup_teardown(per_device_password, setup, video_teardown),
        cmocka_unit_test_setup_teardown(keepalives_and_timeout, setup, video_teardown),
        cmocka_unit_test_setup_teardown(registration_expires, setup, video_teardown),
        cmocka_unit_test_setup_teardown(catalog_in_chunks, setup, video_teardown),
        cmocka_unit_test_setup_teardown(catalog_retried, setup, video_teardown),
        cmocka_unit_test_setup_teardown(restart_keeps_registrations, setup, video_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
