/* Unit tests for the parsers and helpers of src/video: SIP digest (RFC 2617 vector), nonces, GB IDs,
 * SSRCs, MANSCDP (Catalog chunks, GB2312 names, unescaped &, UTF-8 devices, hostile input), SIP
 * parsing, responses with received/rport, and TCP framing. */
#include "video/digest.h"
#include "video/gbid.h"
#include "video/manscdp.h"
#include "video/sip.h"

#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* RFC 2617 section 3.5: the response for Mufasa at testrealm@host.com. */
static void digest_rfc2617_vector(void **state)
{
    (void)state;
    char out[JG_DIGEST_HEX_LEN + 1];
    assert_int_equal(jg_digest_response("Mufasa", "testrealm@host.com", "Circle Of Life", "GET",
                                        "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "00000001",
                                        "0a4f113b", "auth", out),
                     JG_OK);
    assert_string_equal(out, "6629fae49393a05397450978507c4ef1");
    /* RFC 2069 section 2.4 (no qop): MD5(HA1:nonce:HA2), password "CircleOfLife". */
    assert_int_equal(jg_digest_response("Mufasa", "testrealm@host.com", "CircleOfLife", "GET",
                                        "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", NULL, NULL,
                                        NULL, out),
                     JG_OK);
    assert_string_equal(out, "1949323746fe6a43ef61f9606e7febea");
    assert_int_equal(jg_digest_response(NULL, "r", "p", "GET", "/", "n", NULL, NULL, NULL, out), JG_INVALID);
    assert_int_equal(jg_digest_response("u", "r", "p", "GET", "/", "n", NULL, NULL, "auth", out), JG_INVALID);
}

static void nonces(void **state)
{
    (void)state;
    unsigned char secret[JG_NONCE_SECRET_LEN], other[JG_NONCE_SECRET_LEN];
    memset(secret, 1, sizeof(secret));
    memset(other, 2, sizeof(other));
    const char *id = "35010200001320000001";
    char n[JG_NONCE_LEN + 1];
    assert_int_equal(jg_digest_nonce_make(secret, id, 1700000000, n), JG_OK);
    assert_int_equal(strlen(n), JG_NONCE_LEN);
    assert_int_equal(jg_digest_nonce_check(secret, id, n, 1700000000, 300), JG_OK);
    assert_int_equal(jg_digest_nonce_check(secret, id, n, 1700000300, 300), JG_OK);
    assert_int_equal(jg_digest_nonce_check(secret, id, n, 1700000301, 300), JG_TIMEOUT);
    assert_int_equal(jg_digest_nonce_check(secret, id, n, 1699999000, 300), JG_INVALID); /* from the future */
    assert_int_equal(jg_digest_nonce_check(other, id, n, 1700000000, 300), JG_INVALID);
    assert_int_equal(jg_digest_nonce_check(secret, "35010200001320000002", n, 1700000000, 300), JG_INVALID);
    char bad[JG_NONCE_LEN + 1];
    memcpy(bad, n, sizeof(bad));
    bad[JG_NONCE_LEN - 1] = bad[JG_NONCE_LEN - 1] == '0' ? '1' : '0';
    assert_int_equal(jg_digest_nonce_check(secret, id, bad, 1700000000, 300), JG_INVALID);
    bad[JG_NONCE_LEN - 1] = '\0';
    assert_int_equal(jg_digest_nonce_check(secret, id, bad, 1700000000, 300), JG_INVALID);
    assert_int_equal(jg_digest_nonce_check(secret, id, NULL, 1700000000, 300), JG_INVALID);
    assert_int_equal(
        jg_digest_nonce_check(secret, id, "zzzzzzzz00000000000000000000000000000000", 1700000000, 300),
        JG_INVALID);
}

static void gb_ids(void **state)
{
    (void)state;
    assert_true(jg_gbid_valid("35010200001320000001"));
    assert_false(jg_gbid_valid("3501020000132000000"));   /* 19 */
    assert_false(jg_gbid_valid("350102000013200000012")); /* 21 */
    assert_false(jg_gbid_valid("3501020000132000000a"));
    assert_false(jg_gbid_valid(""));
    assert_false(jg_gbid_valid(NULL));
    assert_true(jg_gbid_valid_n("35010200001320000001xyz", 20));
    assert_int_equal(jg_gbid_type("35010200001320000001"), 132);
    assert_int_equal(jg_gbid_type("35000000002000000001"), 200);
    assert_int_equal(jg_gbid_type("x"), -1);
    char realm[JG_GB_REALM_LEN + 1];
    assert_int_equal(jg_gbid_realm("35000000002000000001", realm), JG_OK);
    assert_string_equal(realm, "3500000000");
    assert_int_equal(jg_gbid_realm("3500", realm), JG_INVALID);
    assert_string_equal(realm, "");
}

static void ssrcs(void **state)
{
    (void)state;
    char s[11];
    /* 0 live | digits 4-8 of 35010200002000000001 = "10200" | sequence 0042 */
    assert_int_equal(jg_ssrc_make(0, "35010200002000000001", 42, s), JG_OK);
    assert_string_equal(s, "0102000042");
    assert_int_equal(jg_ssrc_make(1, "35010200002000000001", 9999, s), JG_OK);
    assert_string_equal(s, "1102009999");
    assert_int_equal(jg_ssrc_make(2, "35010200002000000001", 1, s), JG_INVALID);
    assert_int_equal(jg_ssrc_make(0, "35010200002000000001", 10000, s), JG_INVALID);
    assert_int_equal(jg_ssrc_make(0, "350102", 1, s), JG_INVALID);
    uint32_t v;
    int h, seq;
    assert_int_equal(jg_ssrc_parse("1102009999", &v, &h, &seq), JG_OK);
    assert_int_equal(v, 1102009999u);
    assert_int_equal(h, 1);
    assert_int_equal(seq, 9999);
    assert_int_equal(jg_ssrc_parse("4294967295", &v, &h, &seq), JG_OK); /* a device's own y= */
    assert_int_equal(h, -1);
    assert_int_equal(jg_ssrc_parse("4294967296", &v, &h, &seq), JG_INVALID);
    assert_int_equal(jg_ssrc_parse("12a", &v, &h, &seq), JG_INVALID);
    assert_int_equal(jg_ssrc_parse("", &v, &h, &seq), JG_INVALID);

    jg_ssrc_pool *p = malloc(sizeof(*p));
    jg_ssrc_pool_init(p);
    int a, b;
    assert_int_equal(jg_ssrc_pool_take(p, 0, &a), JG_OK);
    assert_int_equal(jg_ssrc_pool_take(p, 0, &b), JG_OK);
    assert_int_not_equal(a, b);
    assert_int_equal(jg_ssrc_pool_claim(p, 0, a), JG_CONFLICT);
    assert_int_equal(jg_ssrc_pool_claim(p, 1, a), JG_OK); /* history and live are separate */
    jg_ssrc_pool_release(p, 0, a);
    assert_int_equal(jg_ssrc_pool_claim(p, 0, a), JG_OK);
    /* All 10,000 without a collision, then none. */
    jg_ssrc_pool_init(p);
    unsigned char seen[JG_SSRC_SEQ_MAX] = {0};
    for (int i = 0; i < JG_SSRC_SEQ_MAX; i++) {
        assert_int_equal(jg_ssrc_pool_take(p, 0, &a), JG_OK);
        assert_false(seen[a]);
        seen[a] = 1;
    }
    assert_int_equal(jg_ssrc_pool_take(p, 0, &a), JG_CONFLICT);
    jg_ssrc_pool_release(p, 0, 5000);
    assert_int_equal(jg_ssrc_pool_take(p, 0, &a), JG_OK);
    assert_int_equal(a, 5000);
    free(p);
}

/* UTF-8 to GB18030 (as devices send "GB2312"). */
static size_t gb(const char *utf8, char *out, size_t outlen)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char *in = (char *)utf8, *o = out;
    size_t left = strlen(utf8), room = outlen;
    assert_true(iconv(cd, &in, &left, &o, &room) != (size_t)-1);
    iconv_close(cd);
    return (size_t)(o - out);
}

static const char CHUNK1[] =
    "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
    "<Response>\r\n<CmdType>Catalog</CmdType>\r\n<SN>17430</SN>\r\n<DeviceID>35010200001180000001</"
    "DeviceID>\r\n"
    "<SumNum>3</SumNum>\r\n<DeviceList Num=\"2\">\r\n"
    "<Item><DeviceID>35010200001310000001</DeviceID><Name>东门 塔吊&amp;料场</Name>"
    "<Manufacturer>海康威视</Manufacturer><Model>DS-2CD</Model><Owner>Owner</Owner><CivilCode>350102</"
    "CivilCode>"
    "<Address>鼓楼区 A&B 工地</Address><Parental>0</Parental><ParentID>35010200001180000001</ParentID>"
    "<Status>ON</Status><Longitude>119.2965</Longitude><Latitude>26.0745</Latitude>"
    "<Info><PTZType>1</PTZType></Info></Item>\r\n"
    "<Item><DeviceID>35010200001310000002</DeviceID><Name>北门</Name><Status>OFF</Status>"
    "<Longitude>0</Longitude><Latitude>0</Latitude></Item>\r\n"
    "</DeviceList>\r\n</Response>\r\n";

static void catalog_chunks_gb2312(void **state)
{
    (void)state;
    char body[4096];
    size_t n = gb(CHUNK1, body, sizeof(body));
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(body, n, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_RESPONSE);
    assert_string_equal(m.cmd_type, "Catalog");
    assert_int_equal(m.sn, 17430);
    assert_string_equal(m.device_id, "35010200001180000001");
    assert_int_equal(m.sum_num, 3);
    assert_int_equal(m.item_total, 2);
    assert_int_equal(m.item_count, 2);
    const jg_manscdp_item *a = &m.items[0], *b = &m.items[1];
    assert_string_equal(a->device_id, "35010200001310000001");
    assert_string_equal(a->name, "东门 塔吊&料场");
    assert_string_equal(a->manufacturer, "海康威视");
    assert_string_equal(a->address, "鼓楼区 A&B 工地"); /* the unescaped & survived */
    assert_string_equal(a->civil_code, "350102");
    assert_string_equal(a->parent_id, "35010200001180000001");
    assert_string_equal(a->status, "ON");
    assert_true(a->has_position);
    assert_true(a->longitude > 119.29 && a->longitude < 119.30);
    assert_true(a->latitude > 26.07 && a->latitude < 26.08);
    assert_int_equal(a->ptz_type, 1);
    assert_string_equal(b->name, "北门");
    assert_string_equal(b->status, "OFF");
    assert_false(b->has_position); /* 0,0 means unknown */
    jg_manscdp_msg_free(&m);

    /* The second chunk of the same answer. */
    const char *chunk2 =
        "<?xml version=\"1.0\" encoding=\"GB2312\"?><Response><CmdType>Catalog</CmdType><SN>17430</SN>"
        "<DeviceID>35010200001180000001</DeviceID><SumNum>3</SumNum><DeviceList Num=\"1\">"
        "<Item><DeviceID>35010200001310000003</DeviceID><Name>西门</Name></Item>"
        "</DeviceList></Response>";
    n = gb(chunk2, body, sizeof(body));
    assert_int_equal(jg_manscdp_parse(body, n, JG_CHARSET_GB18030, &m), JG_OK);
    assert_int_equal(m.sum_num, 3);
    assert_int_equal(m.item_count, 1);
    assert_string_equal(m.items[0].name, "西门");
    jg_manscdp_msg_free(&m);
}

/* PTZCmd (GB/T 28181 A.3): the standard's own example, each byte's role, the checksum, presets. */
static void ptz_commands(void **state)
{
    (void)state;
    char hex[JG_PTZ_HEX_LEN + 1];
    static const struct {
        const char *command;
        int speed, zoom, preset;
        const char *want;
    } ok[] = {
        {"up", 250, 0, 0, "A50F010800FA00B7"}, /* the example in the standard */
        {"down", 1, 0, 0, "A50F0104000100BA"},
        {"left", 128, 0, 0, "A50F010280000037"},
        {"right", 255, 0, 0, "A50F0101FF0000B5"},
        {"upleft", 16, 0, 0, "A50F010A101000DF"},
        {"downright", 16, 0, 0, "A50F0105101000DA"},
        {"zoomin", 200, 8, 0, "A50F011000008045"}, /* pan/tilt speed not sent for a zoom */
        {"zoomout", 0, 15, 0, "A50F01200000F0C5"},
        {"stop", 99, 9, 9, "A50F0100000000B5"},
        {"focusfar", 32, 0, 0, "A50F014120200036"},
        {"irisclose", 1, 0, 0, "A50F0148010100FF"},
        {"preset_set", 128, 0, 3, "A50F018100030039"},
        {"preset_call", 0, 0, 255, "A50F018200FF0036"},
        {"preset_delete", 0, 0, 1, "A50F018300010039"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(jg_ptz_build(ok[i].command, ok[i].speed, ok[i].zoom, ok[i].preset, hex), JG_OK);
        assert_string_equal(hex, ok[i].want);
        /* The last byte is the sum of the others mod 256. */
        unsigned sum = 0, b = 0;
        for (int k = 0; k < 7; k++) {
            sscanf(hex + 2 * k, "%2x", &b);
            sum += b;
        }
        sscanf(hex + 14, "%2x", &b);
        assert_int_equal(sum & 0xFF, b);
    }
    assert_int_equal(jg_ptz_build("spin", 1, 1, 1, hex), JG_INVALID);
    assert_int_equal(jg_ptz_build(NULL, 1, 1, 1, hex), JG_INVALID);
    assert_int_equal(jg_ptz_build("up", 256, 0, 0, hex), JG_INVALID);
    assert_int_equal(jg_ptz_build("up", -1, 0, 0, hex), JG_INVALID);
    assert_int_equal(jg_ptz_build("zoomin", 0, 16, 0, hex), JG_INVALID);
    assert_int_equal(jg_ptz_build("preset_call", 0, 0, 0, hex), JG_INVALID);
    assert_int_equal(jg_ptz_build("preset_set", 0, 0, 256, hex), JG_INVALID);
    jg_buf b;
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_ptz(&b, 42, "35010200001310000001", "A50F010800FA00B7"), JG_OK);
    assert_non_null(strstr(b.data, "<Control>"));
    assert_non_null(strstr(b.data, "<CmdType>DeviceControl</CmdType>"));
    assert_non_null(strstr(b.data, "<SN>42</SN>"));
    assert_non_null(strstr(b.data, "<DeviceID>35010200001310000001</DeviceID>"));
    assert_non_null(strstr(b.data, "<PTZCmd>A50F010800FA00B7</PTZCmd>"));
    /* What we send parses as a Control message. */
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_CONTROL);
    assert_string_equal(m.cmd_type, "DeviceControl");
    jg_manscdp_msg_free(&m);
    jg_buf_free(&b);
}

static const char RECORDS[] =
    "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
    "<Response>\r\n<CmdType>RecordInfo</CmdType>\r\n<SN>77</SN>\r\n<DeviceID>35010200001310000001</"
    "DeviceID>\r\n"
    "<Name>东门</Name>\r\n<SumNum>3</SumNum>\r\n<RecordList Num=\"2\">\r\n"
    "<Item><DeviceID>35010200001310000001</DeviceID><Name>东门</Name><FilePath>/a/1.mp4</FilePath>"
    "<Address>鼓楼区 "
    "A&B</Address><StartTime>2026-11-25T08:00:00</StartTime><EndTime>2026-11-25T09:00:00</EndTime>"
    "<Secrecy>0</Secrecy><Type>time</Type><RecorderID>35010200001180000001</RecorderID>"
    "<FileSize>1048576</FileSize></Item>\r\n"
    /* Dahua: Type all on an item, no FileSize */
    "<Item><DeviceID>35010200001310000001</DeviceID><Name>东门</Name><StartTime>2026-11-25T09:00:00</"
    "StartTime>"
    "<EndTime>2026-11-25T10:00:00</EndTime><Secrecy>1</Secrecy><Type>all</Type></Item>\r\n"
    "</RecordList>\r\n</Response>\r\n";

static void record_info(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 4096);
    assert_int_equal(
        jg_manscdp_record_query(&b, 9, "35010200001310000001", "2026-11-25T08:00:00", "2026-11-25T18:00:00"),
        JG_OK);
    assert_non_null(strstr(b.data, "<CmdType>RecordInfo</CmdType>"));
    assert_non_null(strstr(b.data, "<StartTime>2026-11-25T08:00:00</StartTime>"));
    assert_non_null(strstr(b.data, "<EndTime>2026-11-25T18:00:00</EndTime>"));
    assert_non_null(strstr(b.data, "<Type>all</Type>"));
    jg_buf_free(&b);
    assert_true(jg_manscdp_time_valid("2026-11-25T08:00:00"));
    assert_false(jg_manscdp_time_valid("2026-11-25 08:00:00"));
    assert_false(jg_manscdp_time_valid("2026-13-25T08:00:00"));
    assert_false(jg_manscdp_time_valid("2026-11-25T24:00:00"));
    assert_false(jg_manscdp_time_valid("2026-11-25T08:00:00Z"));
    assert_false(jg_manscdp_time_valid("2026-11-2aT08:00:00"));
    assert_false(jg_manscdp_time_valid(NULL));

    char body[4096];
    size_t n = gb(RECORDS, body, sizeof(body));
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(body, n, JG_CHARSET_AUTO, &m), JG_OK);
    assert_string_equal(m.cmd_type, "RecordInfo");
    assert_int_equal(m.sn, 77);
    assert_int_equal(m.sum_num, 3);
    assert_string_equal(m.name, "东门");
    assert_int_equal(m.record_total, 2);
    assert_int_equal(m.record_count, 2);
    assert_int_equal(m.item_count, 0);
    const jg_manscdp_record *r = &m.records[0];
    assert_string_equal(r->device_id, "35010200001310000001");
    assert_string_equal(r->file_path, "/a/1.mp4");
    assert_string_equal(r->address, "鼓楼区 A&B");
    assert_string_equal(r->start_time, "2026-11-25T08:00:00");
    assert_string_equal(r->end_time, "2026-11-25T09:00:00");
    assert_string_equal(r->type, "time");
    assert_string_equal(r->recorder_id, "35010200001180000001");
    assert_int_equal(r->file_size, 1048576);
    assert_int_equal(r->secrecy, 0);
    r = &m.records[1];
    assert_string_equal(r->type, "all");
    assert_int_equal(r->file_size, -1);
    assert_int_equal(r->secrecy, 1);
    jg_manscdp_msg_free(&m);
    assert_null(m.records);

    const char *status = "<?xml version=\"1.0\"?><Notify><CmdType>MediaStatus</CmdType><SN>5</SN>"
                         "<DeviceID>35010200001310000001</DeviceID><NotifyType>121</NotifyType></Notify>";
    assert_int_equal(jg_manscdp_parse(status, strlen(status), JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_NOTIFY);
    assert_string_equal(m.cmd_type, "MediaStatus");
    assert_int_equal(m.notify_type, 121);
    jg_manscdp_msg_free(&m);
    assert_int_equal(jg_manscdp_parse(CHUNK1, strlen(CHUNK1), JG_CHARSET_UTF8, &m), JG_OK);
    assert_int_equal(m.notify_type, -1);
    assert_int_equal(m.record_count, 0);
    jg_manscdp_msg_free(&m);
}

static void charsets(void **state)
{
    (void)state;
    /* A device marked UTF-8 that still declares GB2312. */
    const char *utf =
        "<?xml version=\"1.0\" encoding=\"GB2312\"?><Response><CmdType>DeviceInfo</CmdType><SN>7</SN>"
        "<DeviceID>35010200001180000001</DeviceID><DeviceName>工地录像机</DeviceName>"
        "<Result>OK</Result><Manufacturer>大华</Manufacturer><Model>NVR</Model>"
        "<Firmware>V2</Firmware><Channel>16</Channel></Response>";
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(utf, strlen(utf), JG_CHARSET_UTF8, &m), JG_OK);
    assert_string_equal(m.device_name, "工地录像机");
    assert_string_equal(m.manufacturer, "大华");
    assert_string_equal(m.firmware, "V2");
    assert_int_equal(m.channel, 16);
    assert_string_equal(m.result, "OK");
    jg_manscdp_msg_free(&m);
    /* Declared UTF-8: taken as UTF-8 without marking. */
    const char *decl =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Notify><CmdType>Keepalive</CmdType><SN>1</SN>"
        "<DeviceID>35010200001180000001</DeviceID><Status>正常</Status></Notify>";
    assert_int_equal(jg_manscdp_parse(decl, strlen(decl), JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_NOTIFY);
    assert_string_equal(m.status, "正常");
    jg_manscdp_msg_free(&m);
    /* GB2312 bytes read as GB18030 by default, not as UTF-8. */
    char body[512];
    size_t n = gb("<Notify><CmdType>Keepalive</CmdType><Status>正常</Status></Notify>", body, sizeof(body));
    assert_int_equal(jg_manscdp_parse(body, n, JG_CHARSET_AUTO, &m), JG_OK);
    assert_string_equal(m.status, "正常");
    assert_int_equal(m.sn, -1);
    jg_manscdp_msg_free(&m);
    /* ...and refused when the device is marked UTF-8 (invalid UTF-8). */
    assert_int_equal(jg_manscdp_parse(body, n, JG_CHARSET_UTF8, &m), JG_INVALID);
    jg_manscdp_msg_free(&m);
}

static void hostile_xml(void **state)
{
    (void)state;
    jg_manscdp_msg m;
    const char *cases[] = {
        "",
        "not xml",
        "<Response><CmdType>Catalog</CmdType>",      /* unterminated */
        "<Other><CmdType>Catalog</CmdType></Other>", /* unknown root */
        "<Response><SN>1</SN></Response>",           /* no CmdType */
        "<!DOCTYPE r [<!ENTITY a \"aaaa\">]><Response><CmdType>&a;</CmdType></Response>",
        "<?xml version=\"1.0\"?><!DOCTYPE r SYSTEM "
        "\"file:///etc/passwd\"><Response><CmdType>x</CmdType></Response>",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(jg_manscdp_parse(cases[i], strlen(cases[i]), JG_CHARSET_AUTO, &m), JG_INVALID);
        jg_manscdp_msg_free(&m);
    }
    /* A NUL inside is refused; too large is refused before parsing. */
    const char nul[] = "<Notify><CmdType>Keep\0alive</CmdType></Notify>";
    assert_int_equal(jg_manscdp_parse(nul, sizeof(nul) - 1, JG_CHARSET_UTF8, &m), JG_INVALID);
    jg_manscdp_msg_free(&m);
    char *big = malloc(JG_MANSCDP_MAX_BODY + 1);
    memset(big, ' ', JG_MANSCDP_MAX_BODY + 1);
    assert_int_equal(jg_manscdp_parse(big, JG_MANSCDP_MAX_BODY + 1, JG_CHARSET_AUTO, &m), JG_TOOLARGE);
    free(big);
    /* Long names are cut at a character boundary; numeric references are kept. */
    jg_buf b;
    jg_buf_init(&b, 8192);
    jg_buf_puts(&b, "<Response><CmdType>Catalog</CmdType><DeviceList><Item><Name>");
    for (int i = 0; i < 100; i++)
        jg_buf_puts(&b, "长");
    jg_buf_puts(&b, "</Name><Address>&#x4E1C;&#19996;&lt;&unknown;</Address></Item></DeviceList></Response>");
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_UTF8, &m), JG_OK);
    assert_int_equal(strlen(m.items[0].name), 126); /* 42 characters of 3 bytes fit in 127 */
    assert_string_equal(m.items[0].address, "东东<&unknown;");
    jg_manscdp_msg_free(&m);
    jg_buf_free(&b);
}

static void many_items_bounded(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    jg_buf_puts(&b, "<Response><CmdType>Catalog</CmdType><SumNum>600</SumNum><DeviceList>");
    for (int i = 0; i < 600; i++)
        jg_buf_printf(&b, "<Item><DeviceID>350102000013100%05d</DeviceID></Item>", i);
    jg_buf_puts(&b, "</DeviceList></Response>");
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_UTF8, &m), JG_OK);
    assert_int_equal(m.item_total, 600);
    assert_int_equal(m.item_count, JG_MANSCDP_MAX_ITEMS);
    assert_string_equal(m.items[JG_MANSCDP_MAX_ITEMS - 1].device_id, "35010200001310000511");
    jg_manscdp_msg_free(&m);
    jg_buf_free(&b);
}

static void query_builder(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_query(&b, "Catalog", 42, "35010200001180000001"), JG_OK);
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_QUERY);
    assert_string_equal(m.cmd_type, "Catalog");
    assert_int_equal(m.sn, 42);
    assert_string_equal(m.device_id, "35010200001180000001");
    assert_non_null(strstr(b.data, "encoding=\"GB2312\""));
    jg_manscdp_msg_free(&m);
    jg_buf_free(&b);
}

static const char REGISTER[] = "REGISTER sip:35000000002000000001@3500000000 SIP/2.0\r\n"
                               "Via: SIP/2.0/UDP 192.168.1.64:5060;rport;branch=z9hG4bK1\r\n"
                               "From: <sip:35010200001320000001@3501020000>;tag=a1\r\n"
                               "To: <sip:35010200001320000001@3501020000>\r\n"
                               "Call-ID: c1@192.168.1.64\r\n"
                               "CSeq: 1 REGISTER\r\n"
                               "Contact: <sip:35010200001320000001@192.168.1.64:5060>;expires=1800\r\n"
                               "Max-Forwards: 70\r\n"
                               "Content-Length: 0\r\n\r\n";

static void sip_parse_and_respond(void **state)
{
    (void)state;
    osip_message_t *m = NULL;
    assert_int_equal(jg_sip_parse(REGISTER, strlen(REGISTER), &m), JG_OK);
    assert_string_equal(jg_sip_from_user(m), "35010200001320000001");
    assert_int_equal(jg_sip_cseq(m), 1);
    assert_int_equal(jg_sip_expires(m, 3600), 1800); /* from the Contact parameter */
    size_t blen = 1;
    assert_null(jg_sip_body(m, &blen));
    assert_int_equal(blen, 0);
    osip_message_t *r = NULL;
    assert_int_equal(jg_sip_response(m, 200, "10.0.0.9", 40000, "t9", &r), JG_OK);
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    assert_int_equal(jg_sip_serialize(r, &b), JG_OK);
    assert_non_null(strstr(b.data, "SIP/2.0 200 OK\r\n"));
    assert_non_null(strstr(b.data, "received=10.0.0.9"));
    assert_non_null(strstr(b.data, "rport=40000"));
    assert_non_null(strstr(b.data, ";tag=t9"));
    assert_non_null(strstr(b.data, "Call-ID: c1@192.168.1.64"));
    assert_non_null(strstr(b.data, "Content-Length: 0"));
    /* The response parses back. */
    osip_message_t *back = NULL;
    assert_int_equal(jg_sip_parse(b.data, b.len, &back), JG_OK);
    assert_int_equal(back->status_code, 200);
    osip_message_free(back);
    osip_message_free(r);
    osip_message_free(m);
    jg_buf_free(&b);

    /* Missing mandatory headers, garbage. */
    const char *bad[] = {
        "", "hello", "REGISTER sip:x SIP/2.0\r\n\r\n",
        "REGISTER sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nFrom: <sip:a@b>\r\nTo: <sip:a@b>\r\n"
        "CSeq: 1 REGISTER\r\n\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(jg_sip_parse(bad[i], strlen(bad[i]), &m), JG_INVALID);
        assert_null(m);
    }
}

static void sip_request_build(void **state)
{
    (void)state;
    const char *body = "<Query/>";
    jg_sip_request_args a = {"MESSAGE",
                             "sip:35010200001320000001@10.0.0.9:40000",
                             "<sip:35000000002000000001@3500000000>;tag=f1",
                             "<sip:35010200001320000001@3500000000>",
                             "cid@10.0.0.1",
                             7,
                             "SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKx",
                             "Application/MANSCDP+xml",
                             body,
                             strlen(body)};
    osip_message_t *m = NULL;
    assert_int_equal(jg_sip_request(&a, &m), JG_OK);
    jg_buf b;
    jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
    assert_int_equal(jg_sip_serialize(m, &b), JG_OK);
    osip_message_free(m);
    assert_int_equal(jg_sip_parse(b.data, b.len, &m), JG_OK);
    assert_string_equal(m->sip_method, "MESSAGE");
    assert_int_equal(jg_sip_cseq(m), 7);
    assert_true(jg_sip_is_manscdp(m));
    size_t n = 0;
    const char *got = jg_sip_body(m, &n);
    assert_int_equal(n, strlen(body));
    assert_memory_equal(got, body, n);
    osip_message_free(m);
    jg_buf_free(&b);
}

static void tcp_framing(void **state)
{
    (void)state;
    char two[2048];
    snprintf(two, sizeof(two), "%s%s", REGISTER, REGISTER);
    size_t one = strlen(REGISTER);
    assert_int_equal(jg_sip_frame(two, strlen(two)), (long)one);
    assert_int_equal(jg_sip_frame(two, one - 1), 0);
    assert_int_equal(jg_sip_frame("\r\n\r\nREG", 7), 4); /* keepalive ping */
    const char *body = "MESSAGE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nhello";
    assert_int_equal(jg_sip_frame(body, strlen(body)), (long)strlen(body));
    assert_int_equal(jg_sip_frame(body, strlen(body) - 1), 0);
    assert_int_equal(jg_sip_frame("MESSAGE sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", 36), -1); /* no length */
    assert_int_equal(jg_sip_frame("M sip:a@b SIP/2.0\r\nContent-Length: 99999999\r\n\r\n", 47), -1);
    assert_int_equal(jg_sip_frame("M sip:a@b SIP/2.0\r\nContent-Length: x\r\n\r\n", 40), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(digest_rfc2617_vector),
        cmocka_unit_test(nonces),
        cmocka_unit_test(gb_ids),
        cmocka_unit_test(ssrcs),
        cmocka_unit_test(catalog_chunks_gb2312),
        cmocka_unit_test(ptz_commands),
        cmocka_unit_test(record_info),
        cmocka_unit_test(charsets),
        cmocka_unit_test(hostile_xml),
        cmocka_unit_test(many_items_bounded),
        cmocka_unit_test(query_builder),
        cmocka_unit_test(sip_parse_and_respond),
        cmocka_unit_test(sip_request_build),
        cmocka_unit_test(tcp_framing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
