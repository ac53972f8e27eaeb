/* libFuzzer driver for the MANSCDP parser: charset decoding (GB18030 through iconv, UTF-8), the
 * repair of stray '&', and the libxml2 walk (Catalog items, RecordInfo replies with their
 * RecordList, MediaStatus, DeviceStatus with its Alarmstatus, Alarm, MobilePosition, and the status
 * JSON of devcmd.c), under each charset a device may be marked with.
 * The first byte picks the charset; the rest is the body of a MESSAGE. */
#include "video/manscdp.h"
#include "video/video_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > JG_MANSCDP_MAX_BODY + 1)
        return 0;
    jg_charset cs = (jg_charset)(data[0] % 3);
    jg_manscdp_msg m;
    jg_rc rc = jg_manscdp_parse((const char *)data + 1, size - 1, cs, &m);
    if (rc == JG_OK) {
        if (m.item_count > JG_MANSCDP_MAX_ITEMS || m.item_count > m.item_total || m.cmd_type[0] == '\0')
            abort();
        for (int i = 0; i < m.item_count; i++)
            if (strlen(m.items[i].name) >= JG_MANSCDP_TEXT || strlen(m.items[i].address) >= JG_MANSCDP_TEXT)
                abort();
        if (m.record_count > JG_MANSCDP_MAX_ITEMS || m.record_count > m.record_total ||
            (m.record_count > 0 && m.records == NULL) || strlen(m.name) >= JG_MANSCDP_TEXT)
            abort();
        for (int i = 0; i < m.record_count; i++) {
            const jg_manscdp_record *r = &m.records[i];
            if (strlen(r->file_path) >= JG_MANSCDP_TEXT || strlen(r->start_time) >= sizeof(r->start_time) ||
                strlen(r->type) >= sizeof(r->type) || strlen(r->device_id) >= sizeof(r->device_id))
                abort();
            /* what the media node does with a record's times */
            (void)jg_manscdp_time_valid(r->start_time);
        }
        /* DeviceStatus, Alarm, MobilePosition (devcmd.c): bounded, and the status JSON always made */
        if (m.alarm_state_count > JG_MANSCDP_MAX_ALARM_STATES || m.alarm_state_count > m.alarm_state_total ||
            strlen(m.alarm_description) >= JG_MANSCDP_TEXT || strlen(m.alarm_type) >= sizeof(m.alarm_type) ||
            strlen(m.device_time) >= sizeof(m.device_time) || strlen(m.online) >= sizeof(m.online))
            abort();
        if (m.has_position &&
            (!(m.longitude >= -180 && m.longitude <= 180) || !(m.latitude >= -90 && m.latitude <= 90)))
            abort();
        for (int i = 0; i < m.alarm_state_count; i++)
            if (strlen(m.alarm_states[i].duty_status) >= sizeof(m.alarm_states[i].duty_status))
                abort();
        char *json = jg_vdevcmd_status_json(&m);
        if (json == NULL || json[0] != '{')
            abort();
        free(json);
    }
    jg_manscdp_msg_free(&m);
    return 0;
}
