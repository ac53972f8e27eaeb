/* Device commands beyond PTZ and what devices report on their own (GB/T 28181-2016 A.2):
 *
 * - DeviceControl TeleBoot, RecordCmd, GuardCmd, IFameCmd sent for the platform API's control
 *   requests (/ctl/cmd, media.c); the device answers the MESSAGE with 200 and then, except for
 *   TeleBoot (it reboots), a <Response> with <Result>OK|ERROR</Result> and the same SN.
 * - DeviceStatus: asked at registration and on request; stored as JSON on video_device.
 * - Alarm notifications (MESSAGE or NOTIFY): stored in video_alarm and answered with a <Response>
 *   Result OK (devices repeat an alarm until it is answered).
 * - MobilePosition notifications: stored in video_position (bounded per ID) and as the latest
 *   position on the device or channel. */
#include "base/log.h"
#include "base/mem.h"
#include "video/video_int.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int jg_vdevcmd_send(jg_vsvc *svc, jg_vdev *d, const char *target, const char *cmd, int64_t *sn,
                    int *want_result)
{
    int64_t s = ++svc->sn;
    jg_buf body;
    jg_buf_init(&body, 4096);
    jg_rc rc;
    const char *what = "DeviceControl";
    if (strcmp(cmd, "status") == 0) {
        what = "DeviceStatus";
        rc = jg_manscdp_query(&body, "DeviceStatus", s, target);
    } else {
        rc = jg_manscdp_device_control(&body, s, target, cmd);
    }
    if (rc != JG_OK) {
        jg_buf_free(&body);
        return rc == JG_INVALID ? 400 : 503;
    }
    rc = jg_vsvc_request(svc, d, target, what, s, body.data, body.len, 1);
    jg_buf_free(&body);
    if (rc != JG_OK)
        return 503;
    if (strcmp(cmd, "status") == 0) /* asked of every device at registration: not a line each */
        jg_debug("video: %s %s to %s/%s (SN %lld)", what, cmd, d->gb_id, target, (long long)s);
    else
        jg_info("video: %s %s to %s/%s (SN %lld)", what, cmd, d->gb_id, target, (long long)s);
    *sn = s;
    *want_result = strcmp(cmd, "reboot") != 0;
    return 0;
}

char *jg_vdevcmd_status_json(const jg_manscdp_msg *m)
{
    json_t *states = json_array();
    for (int i = 0; i < m->alarm_state_count; i++)
        json_array_append_new(states, json_pack("{s:s, s:s}", "gb_id", m->alarm_states[i].device_id,
                                                "duty_status", m->alarm_states[i].duty_status));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "result", m->result, "online",
                          m->online, "status", m->status, "reason", m->reason, "encode", m->encode, "record",
                          m->record, "device_time", m->device_time, "alarm_states", states);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text != NULL ? text : jg_xstrdup("{}");
}

static void device_status(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    char at[32];
    jg_vsvc_now_iso(at);
    if (strcmp(m->device_id, d->gb_id) == 0) {
        char *json = jg_vdevcmd_status_json(m);
        jg_vstore_status(svc->store, d->gb_id, json, at);
        free(json);
    }
    jg_vmedia_response(svc, d, m);
}

static void alarm(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    char at[32];
    jg_vsvc_now_iso(at);
    if (!jg_gbid_valid(m->device_id)) {
        jg_debug("video: alarm from %s without a valid DeviceID", d->gb_id);
        return;
    }
    jg_info("video: alarm from %s for %s: priority %d, method %d, type %s", d->gb_id, m->device_id,
            m->alarm_priority, m->alarm_method, m->alarm_type);
    jg_vstore_alarm(svc->store, d->gb_id, m, at);
    /* Answered, or the device sends it again. */
    jg_buf body;
    jg_buf_init(&body, 4096);
    int64_t cseq = ++svc->sn;
    if (jg_manscdp_result(&body, "Alarm", m->sn, m->device_id) == JG_OK)
        jg_vsvc_request(svc, d, d->gb_id, "Alarm", cseq, body.data, body.len, 0);
    jg_buf_free(&body);
}

static void position(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    if (!jg_gbid_valid(m->device_id) || !m->has_position) {
        jg_debug("video: MobilePosition from %s without a valid DeviceID or position", d->gb_id);
        return;
    }
    char at[32];
    jg_vsvc_now_iso(at);
    jg_vstore_position(svc->store, d->gb_id, m, at);
}

int jg_vdevcmd_message(jg_vsvc *svc, jg_vdev *d, const jg_manscdp_msg *m)
{
    if (strcasecmp(m->cmd_type, "DeviceStatus") == 0 && m->kind == JG_MANSCDP_RESPONSE)
        device_status(svc, d, m);
    else if (strcasecmp(m->cmd_type, "DeviceControl") == 0 && m->kind == JG_MANSCDP_RESPONSE)
        jg_vmedia_response(svc, d, m);
    else if (strcasecmp(m->cmd_type, "Alarm") == 0 && m->kind == JG_MANSCDP_NOTIFY)
        alarm(svc, d, m);
    else if (strcasecmp(m->cmd_type, "MobilePosition") == 0 && m->kind == JG_MANSCDP_NOTIFY)
        position(svc, d, m);
    else
        return 0;
    return 1;
}
