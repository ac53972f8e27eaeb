/* Unit tests for the MANSCDP additions of issue 8 (src/video/manscdp.c): DeviceControl builders
 * (TeleBoot, RecordCmd, GuardCmd, IFameCmd), subscription queries and the Alarm response; parsers
 * of DeviceStatus (Alarmstatus items), Alarm (2016 <Info><AlarmType> and 2011 top-level AlarmType,
 * GB18030 text with a stray '&', positions) and MobilePosition, and the faults devices show: 0,0 for
 * an unknown position, out-of-range numbers, too many alarm inputs, UTF-8 sent as GB2312, a
 * truncated GB18030 sequence. */
#include "video/manscdp.h"

#include <iconv.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* UTF-8 text to GB18030 into out (NUL-terminated); returns its length. */
static size_t to_gb(const char *utf8, char *out, size_t outlen)
{
    iconv_t cd = iconv_open("GB18030", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char *in = (char *)utf8, *o = out;
    size_t left = strlen(utf8), room = outlen - 1;
    assert_true(iconv(cd, &in, &left, &o, &room) != (size_t)-1);
    iconv_close(cd);
    *o = '\0';
    return (size_t)(o - out);
}

static jg_rc parse(const char *text, jg_charset cs, jg_manscdp_msg *m)
{
    return jg_manscdp_parse(text, strlen(text), cs, m);
}

static void device_control_builders(void **state)
{
    (void)state;
    static const struct {
        const char *cmd, *element;
    } cases[] = {{"reboot", "<TeleBoot>Boot</TeleBoot>"},
                 {"record", "<RecordCmd>Record</RecordCmd>"},
                 {"stop_record", "<RecordCmd>StopRecord</RecordCmd>"},
                 {"guard", "<GuardCmd>SetGuard</GuardCmd>"},
                 {"reset_guard", "<GuardCmd>ResetGuard</GuardCmd>"},
                 {"iframe", "<IFameCmd>Send</IFameCmd>"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jg_buf b;
        jg_buf_init(&b, 4096);
        assert_int_equal(jg_manscdp_device_control(&b, 42, "35010200001310000001", cases[i].cmd), JG_OK);
        assert_non_null(strstr(b.data, cases[i].element));
        assert_non_null(strstr(b.data, "<Control>\r\n<CmdType>DeviceControl</CmdType>\r\n<SN>42</SN>\r\n"
                                       "<DeviceID>35010200001310000001</DeviceID>\r\n"));
        /* What we send parses back as a Control with the same SN. */
        jg_manscdp_msg m;
        assert_int_equal(jg_manscdp_parse(b.data, b.len, JG_CHARSET_AUTO, &m), JG_OK);
        assert_int_equal(m.kind, JG_MANSCDP_CONTROL);
        assert_string_equal(m.cmd_type, "DeviceControl");
        assert_int_equal(m.sn, 42);
        jg_manscdp_msg_free(&m);
        jg_buf_free(&b);
    }
    jg_buf b;
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_device_control(&b, 1, "35010200001310000001", "selfdestruct"), JG_INVALID);
    assert_int_equal(jg_manscdp_device_control(&b, 1, "35010200001310000001", NULL), JG_INVALID);
    assert_int_equal(jg_manscdp_device_control(&b, 1, "35010200001310000001", "Reboot"), JG_INVALID);
    assert_int_equal(b.len, 0);
    jg_buf_free(&b);
}

static void subscribe_queries(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_subscribe_query(&b, "Catalog", 7, "35010200001180000001", 5), JG_OK);
    assert_non_null(strstr(b.data, "<Query>\r\n<CmdType>Catalog</CmdType>\r\n<SN>7</SN>\r\n"
                                   "<DeviceID>35010200001180000001</DeviceID>\r\n</Query>"));
    jg_buf_free(&b);
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_subscribe_query(&b, "Alarm", 8, "35010200001180000001", 5), JG_OK);
    assert_non_null(strstr(b.data, "<CmdType>Alarm</CmdType>"));
    assert_non_null(strstr(b.data, "<StartAlarmPriority>1</StartAlarmPriority>"));
    assert_non_null(strstr(b.data, "<EndAlarmPriority>4</EndAlarmPriority>"));
    assert_non_null(strstr(b.data, "<AlarmMethod>0</AlarmMethod>"));
    jg_buf_free(&b);
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_subscribe_query(&b, "MobilePosition", 9, "35010200001180000001", 30), JG_OK);
    assert_non_null(strstr(b.data, "<CmdType>MobilePosition</CmdType>"));
    assert_non_null(strstr(b.data, "<Interval>30</Interval>"));
    jg_buf_free(&b);
    jg_buf_init(&b, 4096);
    assert_int_equal(jg_manscdp_subscribe_query(&b, "Keepalive", 9, "35010200001180000001", 30), JG_INVALID);
    assert_int_equal(jg_manscdp_result(&b, "Alarm", 1234, "35010200001310000001"), JG_OK);
    assert_non_null(strstr(b.data, "<Response>\r\n<CmdType>Alarm</CmdType>\r\n<SN>1234</SN>\r\n"
                                   "<DeviceID>35010200001310000001</DeviceID>\r\n<Result>OK</Result>\r\n"
                                   "</Response>"));
    jg_buf_free(&b);
}

static void device_status(void **state)
{
    (void)state;
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Response>\r\n"
        "<CmdType>DeviceStatus</CmdType>\r\n<SN>17</SN>\r\n"
        "<DeviceID>35010200001180000001</DeviceID>\r\n<Result>OK</Result>\r\n"
        "<Online>ONLINE</Online>\r\n<Status>OK</Status>\r\n<Encode>ON</Encode>\r\n"
        "<Record>OFF</Record>\r\n<DeviceTime>2026-11-26T10:00:00</DeviceTime>\r\n"
        "<Alarmstatus Num=\"2\">\r\n"
        "<Item><DeviceID>35010200001340000001</DeviceID><DutyStatus>ONDUTY</DutyStatus></Item>\r\n"
        "<Item><DeviceID>35010200001340000002</DeviceID><DutyStatus>ALARM</DutyStatus></Item>\r\n"
        "</Alarmstatus>\r\n</Response>\r\n";
    jg_manscdp_msg m;
    assert_int_equal(parse(xml, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_RESPONSE);
    assert_string_equal(m.cmd_type, "DeviceStatus");
    assert_string_equal(m.result, "OK");
    assert_string_equal(m.online, "ONLINE");
    assert_string_equal(m.status, "OK");
    assert_string_equal(m.encode, "ON");
    assert_string_equal(m.record, "OFF");
    assert_string_equal(m.device_time, "2026-11-26T10:00:00");
    assert_int_equal(m.alarm_state_total, 2);
    assert_int_equal(m.alarm_state_count, 2);
    assert_string_equal(m.alarm_states[1].device_id, "35010200001340000002");
    assert_string_equal(m.alarm_states[1].duty_status, "ALARM");
    /* <Record> is not <RecordList>: no records. */
    assert_int_equal(m.record_count, 0);
    jg_manscdp_msg_free(&m);

    /* An NVR with 40 alarm inputs: 16 kept, all counted. An offline device says why. */
    char big[8192];
    int n =
        snprintf(big, sizeof(big),
                 "<Response><CmdType>DeviceStatus</CmdType><SN>1</SN><DeviceID>35010200001180000001"
                 "</DeviceID><Online>OFFLINE</Online><Reason>disk error</Reason><Alarmstatus Num=\"40\">");
    for (int i = 0; i < 40; i++)
        n += snprintf(
            big + n, sizeof(big) - (size_t)n,
            "<Item><DeviceID>350102000013400000%02d</DeviceID><DutyStatus>OFFDUTY</DutyStatus></Item>", i);
    snprintf(big + n, sizeof(big) - (size_t)n, "</Alarmstatus></Response>");
    assert_int_equal(parse(big, JG_CHARSET_AUTO, &m), JG_OK);
    assert_string_equal(m.online, "OFFLINE");
    assert_string_equal(m.reason, "disk error");
    assert_int_equal(m.alarm_state_total, 40);
    assert_int_equal(m.alarm_state_count, JG_MANSCDP_MAX_ALARM_STATES);
    assert_string_equal(m.alarm_states[15].device_id, "35010200001340000015");
    jg_manscdp_msg_free(&m);
}

static void alarm_notify_gb18030(void **state)
{
    (void)state;
    /* GB/T 28181-2016: AlarmType inside <Info>; a stray '&' in the description; GB18030 bytes. */
    const char *utf =
        "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n<Notify>\r\n<CmdType>Alarm</CmdType>\r\n"
        "<SN>88</SN>\r\n<DeviceID>35010200001340000001</DeviceID>\r\n"
        "<AlarmPriority>1</AlarmPriority>\r\n<AlarmMethod>5</AlarmMethod>\r\n"
        "<AlarmTime>2026-11-26T10:00:00</AlarmTime>\r\n"
        "<AlarmDescription>塔吊区域 A&B 入侵</AlarmDescription>\r\n"
        "<Longitude>119.296494</Longitude>\r\n<Latitude>26.074508</Latitude>\r\n"
        "<Info><AlarmType>2</AlarmType></Info>\r\n</Notify>\r\n";
    char gb[2048];
    size_t gl = to_gb(utf, gb, sizeof(gb));
    assert_true(gl < strlen(utf)); /* two bytes a Han character instead of three */
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(gb, gl, JG_CHARSET_AUTO, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_NOTIFY);
    assert_string_equal(m.cmd_type, "Alarm");
    assert_int_equal(m.sn, 88);
    assert_string_equal(m.device_id, "35010200001340000001");
    assert_int_equal(m.alarm_priority, 1);
    assert_int_equal(m.alarm_method, 5);
    assert_string_equal(m.alarm_time, "2026-11-26T10:00:00");
    assert_string_equal(m.alarm_description, "塔吊区域 A&B 入侵");
    assert_string_equal(m.alarm_type, "2");
    assert_true(m.has_position);
    assert_true(fabs(m.longitude - 119.296494) < 1e-9);
    assert_true(fabs(m.latitude - 26.074508) < 1e-9);
    jg_manscdp_msg_free(&m);

    /* GB/T 28181-2011: AlarmType at the top level, no position (0,0), no priority; a device marked
     * UTF-8 (video_device.charset) that declares GB2312. (Unmarked, these UTF-8 bytes happen to be
     * valid GB18030 too and would be read as such: the per-device charset is the remedy.) */
    const char *old = "<?xml version=\"1.0\" encoding=\"GB2312\"?><Notify><CmdType>Alarm</CmdType><SN>5</SN>"
                      "<DeviceID>35010200001180000001</DeviceID><AlarmMethod>2</AlarmMethod>"
                      "<AlarmType>1</AlarmType><AlarmDescription>视频丢失</AlarmDescription>"
                      "<Longitude>0</Longitude><Latitude>0</Latitude></Notify>";
    assert_int_equal(parse(old, JG_CHARSET_UTF8, &m), JG_OK);
    assert_string_equal(m.alarm_type, "1");
    assert_int_equal(m.alarm_priority, -1);
    assert_int_equal(m.alarm_method, 2);
    assert_string_equal(m.alarm_description, "视频丢失");
    assert_false(m.has_position);
    jg_manscdp_msg_free(&m);
}

static void mobile_position(void **state)
{
    (void)state;
    const char *xml = "<Notify><CmdType>MobilePosition</CmdType><SN>3</SN>"
                      "<DeviceID>35010200001310000001</DeviceID><Time>2026-11-26T10:00:01</Time>"
                      "<Longitude>119.3</Longitude><Latitude>26.08</Latitude><Speed>12.5</Speed>"
                      "<Direction>90</Direction><Altitude>30.5</Altitude></Notify>";
    jg_manscdp_msg m;
    assert_int_equal(parse(xml, JG_CHARSET_UTF8, &m), JG_OK);
    assert_string_equal(m.cmd_type, "MobilePosition");
    assert_string_equal(m.time, "2026-11-26T10:00:01");
    assert_true(m.has_position);
    assert_true(m.speed == 12.5 && m.direction == 90 && m.altitude == 30.5);
    jg_manscdp_msg_free(&m);

    /* Faults: latitude out of range (no position at all), a speed that is no number, direction
     * past 360, altitude missing: each absent (NAN), never a wrong value. */
    const char *bad = "<Notify><CmdType>MobilePosition</CmdType><SN>4</SN>"
                      "<DeviceID>35010200001310000001</DeviceID><Longitude>119.3</Longitude>"
                      "<Latitude>126.08</Latitude><Speed>fast</Speed><Direction>400</Direction></Notify>";
    assert_int_equal(parse(bad, JG_CHARSET_UTF8, &m), JG_OK);
    assert_false(m.has_position);
    assert_true(isnan(m.speed) && isnan(m.direction) && isnan(m.altitude));
    jg_manscdp_msg_free(&m);
    /* Absent fields in a message of another kind: defaults, not zeros. */
    assert_int_equal(parse("<Notify><CmdType>Keepalive</CmdType><SN>1</SN></Notify>", JG_CHARSET_AUTO, &m),
                     JG_OK);
    assert_int_equal(m.alarm_priority, -1);
    assert_int_equal(m.alarm_method, -1);
    assert_true(isnan(m.speed));
    assert_int_equal(m.alarm_state_count, 0);
    jg_manscdp_msg_free(&m);
}

static void catalog_events(void **state)
{
    (void)state;
    const char *utf =
        "<?xml version=\"1.0\" encoding=\"GB2312\"?><Notify><CmdType>Catalog</CmdType><SN>9</SN>"
        "<DeviceID>35010200001180000001</DeviceID><SumNum>3</SumNum><DeviceList Num=\"3\">"
        "<Item><DeviceID>35010200001310000001</DeviceID><Event>OFF</Event></Item>"
        "<Item><DeviceID>35010200001310000002</DeviceID><Event>VLOST</Event></Item>"
        "<Item><DeviceID>35010200001310000009</DeviceID><Name>新通道</Name><Event>ADD</Event>"
        "<Status>ON</Status></Item></DeviceList></Notify>";
    char gb[2048];
    size_t gl = to_gb(utf, gb, sizeof(gb));
    jg_manscdp_msg m;
    assert_int_equal(jg_manscdp_parse(gb, gl, JG_CHARSET_GB18030, &m), JG_OK);
    assert_int_equal(m.kind, JG_MANSCDP_NOTIFY);
    assert_int_equal(m.item_count, 3);
    assert_string_equal(m.items[0].event, "OFF");
    assert_string_equal(m.items[1].event, "VLOST");
    assert_string_equal(m.items[2].event, "ADD");
    assert_string_equal(m.items[2].name, "新通道");
    jg_manscdp_msg_free(&m);
}

static void hostile(void **state)
{
    (void)state;
    jg_manscdp_msg m;
    /* A GB18030 lead byte at the very end (a truncated character) that is not UTF-8 either. */
    char trunc[256];
    int n = snprintf(trunc, sizeof(trunc), "<Notify><CmdType>Alarm</CmdType><AlarmDescription>x\xB0");
    assert_int_equal(jg_manscdp_parse(trunc, (size_t)n, JG_CHARSET_GB18030, &m), JG_INVALID);
    jg_manscdp_msg_free(&m);
    /* Entities and DTDs are refused, even in an alarm. */
    const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                      "<Notify><CmdType>Alarm</CmdType><AlarmDescription>&e;</AlarmDescription></Notify>";
    assert_int_equal(parse(xxe, JG_CHARSET_AUTO, &m), JG_INVALID);
    jg_manscdp_msg_free(&m);
    /* Overlong text is cut at a character boundary. */
    char lng[4096];
    n = snprintf(lng, sizeof(lng), "<Notify><CmdType>Alarm</CmdType><AlarmDescription>");
    for (int i = 0; i < 100; i++)
        n += snprintf(lng + n, sizeof(lng) - (size_t)n, "报警");
    snprintf(lng + n, sizeof(lng) - (size_t)n, "</AlarmDescription><AlarmType>%s</AlarmType></Notify>",
             "0123456789012345678901234567890123456789");
    assert_int_equal(parse(lng, JG_CHARSET_UTF8, &m), JG_OK);
    assert_true(strlen(m.alarm_description) < JG_MANSCDP_TEXT);
    assert_int_equal(strlen(m.alarm_description) % 3, 0);
    assert_int_equal(strlen(m.alarm_type), sizeof(m.alarm_type) - 1);
    jg_manscdp_msg_free(&m);
    /* Priority that is not a number: absent. */
    assert_int_equal(parse("<Notify><CmdType>Alarm</CmdType><AlarmPriority>high</AlarmPriority></Notify>",
                           JG_CHARSET_AUTO, &m),
                     JG_OK);
    assert_int_equal(m.alarm_priority, -1);
    jg_manscdp_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_control_builders),
        cmocka_unit_test(subscribe_queries),
        cmocka_unit_test(device_status),
        cmocka_unit_test(alarm_notify_gb18030),
        cmocka_unit_test(mobile_position),
        cmocka_unit_test(catalog_events),
        cmocka_unit_test(hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
