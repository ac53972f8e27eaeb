/* MANSCDP (GB/T 28181 Application/MANSCDP+xml): parse the messages devices send, build the
 * queries the platform sends.
 *
 * A message is one root element naming its kind, with CmdType, SN and DeviceID first:
 *
 *     <?xml version="1.0" encoding="GB2312"?>
 *     <Response>                                 Query | Response | Notify | Control
 *       <CmdType>Catalog</CmdType>               Keepalive, Catalog, DeviceInfo, DeviceStatus ...
 *       <SN>17430</SN>                           matches a Response to its Query
 *       <DeviceID>35010200001320000001</DeviceID>
 *       <SumNum>8</SumNum>                       Catalog: items in all chunks together
 *       <DeviceList Num="4">                     Catalog: items in this chunk
 *         <Item><DeviceID/><Name/><Manufacturer/><Model/><Owner/><CivilCode/><Address/>
 *               <Parental/><ParentID/><Status>ON</Status><Longitude/><Latitude/>
 *               <Info><PTZType/></Info></Item>
 *       </DeviceList>
 *     </Response>
 *
 * Devices declare GB2312 and usually send GB18030-compatible bytes; some send UTF-8 while
 * declaring GB2312, and many leave `&` unescaped in Address or Name. The body is therefore
 * decoded before libxml2 sees it: as UTF-8 when the device is marked UTF-8 or the declaration
 * says UTF-8, else from GB18030 through iconv (falling back to UTF-8 when the bytes are not
 * GB18030 but are valid UTF-8); the declaration is dropped and a stray `&` becomes `&amp;`.
 * External entities and DTDs are never loaded. */
#ifndef JG_VIDEO_MANSCDP_H
#define JG_VIDEO_MANSCDP_H
#include "base/buf.h"
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

#define JG_MANSCDP_MAX_BODY (64 * 1024) /* larger bodies are refused */
#define JG_MANSCDP_MAX_ITEMS 512        /* items kept from one message; more are counted, not kept */
#define JG_MANSCDP_TEXT 128             /* text fields are cut at a UTF-8 boundary to fit */

typedef enum { JG_MANSCDP_QUERY, JG_MANSCDP_RESPONSE, JG_MANSCDP_NOTIFY, JG_MANSCDP_CONTROL } jg_manscdp_kind;

/* How to decode a device's XML: JG_CHARSET_AUTO follows the declaration (GB18030 unless UTF-8). */
typedef enum { JG_CHARSET_AUTO, JG_CHARSET_GB18030, JG_CHARSET_UTF8 } jg_charset;

typedef struct {
    char device_id[24]; /* 20 digits expected; checked by the caller (jg_gbid_valid) */
    char name[JG_MANSCDP_TEXT];
    char manufacturer[64];
    char model[64];
    char owner[64];
    char civil_code[24];
    char address[JG_MANSCDP_TEXT];
    int parental;
    char parent_id[64];
    char status[16]; /* ON | OFF as sent (some devices send Online/OK) */
    int has_position;
    double longitude, latitude;
    int ptz_type;   /* 0 unknown */
    char event[16]; /* catalog notifications: ON OFF VLOST DEFECT ADD DEL UPDATE, else "" */
} jg_manscdp_item;

/* A RecordInfo item: one recording of a channel. Times are as the device sends them (local time,
 * "2026-11-25T08:00:00"); Type is kept as sent: time | alarm | manual, and Dahua's "all". */
typedef struct {
    char device_id[24];
    char name[JG_MANSCDP_TEXT];
    char file_path[JG_MANSCDP_TEXT];
    char address[JG_MANSCDP_TEXT];
    char start_time[32], end_time[32];
    int secrecy;
    char type[16];
    char recorder_id[24];
    int64_t file_size; /* bytes, -1 when absent */
} jg_manscdp_record;

/* A DeviceStatus <Alarmstatus> item: the guard state of one alarm input. */
#define JG_MANSCDP_MAX_ALARM_STATES 16
typedef struct {
    char device_id[24];
    char duty_status[16]; /* ONDUTY | OFFDUTY | ALARM as sent */
} jg_manscdp_alarm_state;

typedef struct {
    jg_manscdp_kind kind;
    char cmd_type[32];
    int64_t sn; /* -1 when absent */
    char device_id[24];
    char status[16]; /* Keepalive <Status> */
    char result[16]; /* <Result> OK | ERROR */
    int64_t sum_num; /* Catalog <SumNum>, -1 when absent */
    int item_total;  /* <Item>s in the message, including those not kept */
    int item_count;  /* kept in items[] */
    jg_manscdp_item *items;
    /* DeviceInfo */
    char device_name[JG_MANSCDP_TEXT];
    char manufacturer[64];
    char model[64];
    char firmware[64];
    int64_t channel; /* -1 when absent */
    /* RecordInfo: <Name>, <SumNum> in sum_num, <RecordList> items */
    char name[JG_MANSCDP_TEXT];
    int record_total; /* <Item>s in the RecordList, including those not kept */
    int record_count; /* kept in records[] */
    jg_manscdp_record *records;
    /* MediaStatus: <NotifyType> (121: the end of a file), -1 when absent */
    int64_t notify_type;
    /* DeviceStatus (the Keepalive/DeviceStatus <Status> is in status): <Online> ONLINE | OFFLINE,
     * <Reason>, <Encode> and <Record> ON | OFF, <DeviceTime>, <Alarmstatus> items (DeviceID and
     * DutyStatus ONDUTY | OFFDUTY | ALARM; JG_MANSCDP_MAX_ALARM_STATES kept, alarm_state_total counted) */
    char online[16];
    char reason[64];
    char encode[8], record[8];
    char device_time[32];
    int alarm_state_total, alarm_state_count;
    jg_manscdp_alarm_state alarm_states[JG_MANSCDP_MAX_ALARM_STATES];
    /* Alarm (Notify): <AlarmPriority> 1-4 and <AlarmMethod> 1-7 (-1 when absent), <AlarmTime>,
     * <AlarmDescription>, <AlarmType> (2016: inside <Info>; also read at the top level) */
    int alarm_priority, alarm_method;
    char alarm_time[32];
    char alarm_description[JG_MANSCDP_TEXT];
    char alarm_type[16];
    /* Alarm and MobilePosition: <Longitude>/<Latitude> (has_position: both present, in range and
     * not 0,0); MobilePosition: <Time>, <Speed> km/h, <Direction> degrees, <Altitude> m (NAN absent) */
    int has_position;
    double longitude, latitude;
    char time[32];
    double speed, direction, altitude;
} jg_manscdp_msg;

/* Decode len bytes at body (see above) and parse them into *out, which the caller releases with
 * jg_manscdp_msg_free even on failure. JG_TOOLARGE past JG_MANSCDP_MAX_BODY, JG_INVALID when it
 * is not well-formed XML with a known root and a CmdType (nothing is kept then). */
jg_rc jg_manscdp_parse(const char *body, size_t len, jg_charset charset, jg_manscdp_msg *out);
/* Release what jg_manscdp_parse allocated. Cannot fail. */
void jg_manscdp_msg_free(jg_manscdp_msg *m);

/* Decode the body to UTF-8 text without its XML declaration, with stray `&` escaped, into out
 * (a bounded buffer; the caller frees it). JG_INVALID if it decodes under no charset,
 * JG_TOOLARGE if out overflows. Used by jg_manscdp_parse; exposed for tests. */
jg_rc jg_manscdp_decode(const char *body, size_t len, jg_charset charset, jg_buf *out);

/* Append a platform query, e.g. <Query><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>..</DeviceID>
 * </Query>, to out. cmd_type and device_id must be plain ASCII names (asserted by the caller).
 * JG_TOOLARGE if out is full. */
jg_rc jg_manscdp_query(jg_buf *out, const char *cmd_type, int64_t sn, const char *device_id);

/* The 8-byte PTZCmd of GB/T 28181 A.3 as 16 upper-case hex digits into out:
 *     A5 0F 01 | code | data1 | data2 | data3 << 4 (address high 0) | sum of the 7 bytes mod 256
 * command: stop, left, right, up, down, upleft, upright, downleft, downright, zoomin, zoomout
 * (code bits 0x01 right, 0x02 left, 0x04 down, 0x08 up, 0x10 zoom in, 0x20 zoom out; data1 the pan
 * speed, data2 the tilt speed, data3 the zoom speed), focusfar, focusnear, irisopen, irisclose
 * (0x41, 0x42, 0x44, 0x48; data1 the focus speed, data2 the iris speed: speed for both),
 * preset_set, preset_call, preset_delete (0x81, 0x82, 0x83; data2 the preset number).
 * speed 0-255, zoom_speed 0-15, preset 1-255 (only for the preset commands). JG_INVALID for an
 * unknown command or a value out of range. */
#define JG_PTZ_HEX_LEN 16
jg_rc jg_ptz_build(const char *command, int speed, int zoom_speed, int preset, char out[JG_PTZ_HEX_LEN + 1]);

/* Append <Control> DeviceControl with the PTZCmd ptz_hex for device_id (the channel) to out. */
jg_rc jg_manscdp_ptz(jg_buf *out, int64_t sn, const char *device_id, const char *ptz_hex);

/* 1 if s is "YYYY-MM-DDTHH:MM:SS" with plausible fields (the time format of MANSCDP). */
int jg_manscdp_time_valid(const char *s);

/* Append a RecordInfo query for device_id (the channel) between start and end (both checked by
 * jg_manscdp_time_valid by the caller) with <Type>all</Type> to out. */
jg_rc jg_manscdp_record_query(jg_buf *out, int64_t sn, const char *device_id, const char *start,
                              const char *end);

/* DeviceControl commands beyond PTZ (GB/T 28181-2016 A.2.3), by the platform's name:
 *     reboot       <TeleBoot>Boot</TeleBoot>          (the device ID; devices reboot without a Response)
 *     record       <RecordCmd>Record</RecordCmd>      (a channel: start recording on the device)
 *     stop_record  <RecordCmd>StopRecord</RecordCmd>
 *     guard        <GuardCmd>SetGuard</GuardCmd>      (布防)
 *     reset_guard  <GuardCmd>ResetGuard</GuardCmd>    (撤防)
 *     iframe       <IFameCmd>Send</IFameCmd>          (a key frame now; the standard's spelling)
 * Append the <Control> for device_id to out. JG_INVALID for an unknown cmd. */
jg_rc jg_manscdp_device_control(jg_buf *out, int64_t sn, const char *device_id, const char *cmd);

/* The body of a SUBSCRIBE (a <Query>): what is "Catalog", "Alarm" (every priority and method) or
 * "MobilePosition" (interval_s: seconds between positions). JG_INVALID for another what. */
jg_rc jg_manscdp_subscribe_query(jg_buf *out, const char *what, int64_t sn, const char *device_id,
                                 int interval_s);

/* The platform's <Response> to a notification (Alarm): CmdType cmd_type, SN and DeviceID echoed,
 * <Result>OK</Result>. */
jg_rc jg_manscdp_result(jg_buf *out, const char *cmd_type, int64_t sn, const char *device_id);

#endif
