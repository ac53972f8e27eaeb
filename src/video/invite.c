/* INVITE dialogs for live view: the platform calls a device's channel with an SDP offer,
 * retransmits over UDP until a response (RFC 3261 timer A), ACKs the 200 (adopting the
 * device's SDP answer), and ends the call with BYE (CANCEL while it rings). A BYE from the
 * device ends the stream. Dialogs live on the event loop with the rest of the service. */
#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "crypto/crypto.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T1_US 500000LL
#define T2_US 4000000LL
#define INVITE_TIMEOUT_US 10000000LL /* a device that has not answered in 10 s will not */
#define INFO_TIMEOUT_US 8000000LL    /* INFO (playback control) unanswered this long is given up */

void jg_vsvc_local_ip(const jg_vsvc *svc, const char *device, char *out, size_t outlen)
{
    const jg_vdev *d = device != NULL ? jg_vtab_get(&svc->devices, device) : NULL;
    char host[80];
    if (d != NULL && d->local[0] != '\0')
        snprintf(host, sizeof(host), "%s", d->local);
    else
        snprintf(host, sizeof(host), "%s",
                 strcmp(svc->listen_host, "0.0.0.0") == 0 ? "127.0.0.1" : svc->listen_host);
    char *colon = strchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    snprintf(out, outlen, "%s", host);
}

static void local_hostport(const jg_vsvc *svc, const jg_vdev *d, char *out, size_t outlen)
{
    if (d->local[0] != '\0')
        snprintf(out, outlen, "%s", d->local);
    else
        snprintf(out, outlen, "%s:%d",
                 strcmp(svc->listen_host, "0.0.0.0") == 0 ? "127.0.0.1" : svc->listen_host, svc->listen_port);
}

static void rand_hex(char *out, size_t bytes)
{
    unsigned char r[16];
    if (bytes > sizeof(r))
        bytes = sizeof(r);
    if (jg_crypto_random(r, bytes) != JG_OK)
        memset(r, 0x5a, sizeof(r));
    jg_crypto_hex_encode(r, bytes, out);
}

static void unlink_dialog(jg_vsvc *svc, jg_vdialog *dl)
{
    if (dl->prev != NULL)
        dl->prev->next = dl->next;
    else
        svc->dialogs = dl->next;
    if (dl->next != NULL)
        dl->next->prev = dl->prev;
    jg_buf_free(&dl->wire);
    jg_buf_free(&dl->info);
    free(dl);
}

/* Build and send an in-dialog request (ACK, BYE, CANCEL, INFO with a body of type ctype) for dl. */
static void send_in_dialog_body(jg_vsvc *svc, jg_vdialog *dl, const char *method, long cseq, int same_branch,
                                const char *ctype, const char *body, jg_buf *keep)
{
    jg_vdev *d = jg_vsvc_device(svc, dl->device);
    if (d == NULL)
        return;
    char local[80], via[256], to[256], branch[80];
    local_hostport(svc, d, local, sizeof(local));
    if (same_branch)
        snprintf(branch, sizeof(branch), "%s", dl->branch);
    else {
        char r[17];
        rand_hex(r, 8);
        snprintf(branch, sizeof(branch), "z9hG4bK%s", r);
    }
    snprintf(via, sizeof(via), "SIP/2.0/%s %s;rport;branch=%s", d->transport == JG_VT_TCP ? "TCP" : "UDP",
             local, branch);
    if (dl->to_tag[0] != '\0')
        snprintf(to, sizeof(to), "%s;tag=%s", dl->to_hdr, dl->to_tag);
    else
        snprintf(to, sizeof(to), "%s", dl->to_hdr);
    jg_sip_request_args a = {method, dl->target, dl->from_hdr, to,   dl->call_id,
                             cseq,   via,        ctype,        body, body != NULL ? strlen(body) : 0};
    osip_message_t *m = NULL;
    if (jg_sip_request(&a, &m) != JG_OK) {
        jg_warn("video: cannot build %s for %s", method, dl->channel);
        return;
    }
    jg_vpeer peer;
    jg_vsvc_peer_of(d, &peer);
    if (keep != NULL) {
        keep->len = 0;
        if (jg_sip_serialize(m, keep) != JG_OK)
            keep->len = 0;
    }
    jg_vsvc_send_msg(svc, &peer, m);
}

static void send_in_dialog(jg_vsvc *svc, jg_vdialog *dl, const char *method, long cseq, int same_branch)
{
    send_in_dialog_body(svc, dl, method, cseq, same_branch, NULL, NULL, NULL);
}

jg_rc jg_vinvite_info(jg_vsvc *svc, jg_vdialog *dl, const char *mansrtsp)
{
    if (dl->state != JG_DLG_CONFIRMED)
        return JG_CONFLICT;
    dl->cseq++;
    /* One INFO at a time is retransmitted: a newer one replaces the one still unanswered. */
    if (dl->info.max == 0)
        jg_buf_init(&dl->info, JG_SIP_MAX_MESSAGE);
    send_in_dialog_body(svc, dl, "INFO", dl->cseq, 0, "Application/MANSRTSP", mansrtsp, &dl->info);
    jg_vdev *d = jg_vsvc_device(svc, dl->device);
    dl->info_cseq = dl->info.len > 0 ? dl->cseq : 0;
    dl->info_interval_us = T1_US;
    dl->info_next_us = d != NULL && d->transport == JG_VT_UDP ? svc->now_us + T1_US : INT64_MAX;
    dl->info_deadline_us = svc->now_us + INFO_TIMEOUT_US;
    return JG_OK;
}

jg_vdialog *jg_vinvite_start(jg_vsvc *svc, const char *device, const char *channel, const char *ssrc,
                             const char *sdp, jg_vstream *stream)
{
    jg_vdev *d = jg_vsvc_device(svc, device);
    if (d == NULL || !d->registered || !d->online)
        return NULL;
    jg_vdialog *dl = jg_xcalloc(1, sizeof(*dl));
    snprintf(dl->device, sizeof(dl->device), "%s", device);
    snprintf(dl->channel, sizeof(dl->channel), "%s", channel);
    char local[80], host[80], ip[INET_ADDRSTRLEN] = "", via[192], contact[160], subject[96], r[25];
    local_hostport(svc, d, local, sizeof(local));
    jg_vsvc_local_ip(svc, device, host, sizeof(host));
    inet_ntop(AF_INET, &d->addr.sin_addr, ip, sizeof(ip));
    rand_hex(r, 12);
    snprintf(dl->call_id, sizeof(dl->call_id), "%s@%s", r, host);
    rand_hex(dl->from_tag, 6);
    rand_hex(r, 8);
    snprintf(dl->branch, sizeof(dl->branch), "z9hG4bK%s", r);
    /* The channel is addressed at the device's registered address (GB/T 28181 9.2.2.1). */
    snprintf(dl->target, sizeof(dl->target), "sip:%s@%s:%d", channel, ip, ntohs(d->addr.sin_port));
    snprintf(dl->from_hdr, sizeof(dl->from_hdr), "<sip:%s@%s>;tag=%s", svc->cfg->video_sip_id, svc->realm,
             dl->from_tag);
    snprintf(dl->to_hdr, sizeof(dl->to_hdr), "<sip:%s@%s>", channel, svc->realm);
    snprintf(via, sizeof(via), "SIP/2.0/%s %s;rport;branch=%s", d->transport == JG_VT_TCP ? "TCP" : "UDP",
             local, dl->branch);
    dl->cseq = 1;
    jg_sip_request_args a = {"INVITE", dl->target, dl->from_hdr,      dl->to_hdr, dl->call_id,
                             dl->cseq, via,        "APPLICATION/SDP", sdp,        strlen(sdp)};
    osip_message_t *m = NULL;
    if (jg_sip_request(&a, &m) != JG_OK) {
        free(dl);
        return NULL;
    }
    snprintf(contact, sizeof(contact), "<sip:%s@%s>", svc->cfg->video_sip_id, local);
    snprintf(subject, sizeof(subject), "%s:%s,%s:0", channel, ssrc, svc->cfg->video_sip_id);
    osip_message_set_contact(m, contact);
    osip_message_set_header(m, "Subject", subject);
    jg_buf_init(&dl->wire, JG_SIP_MAX_MESSAGE);
    jg_rc rc = jg_sip_serialize(m, &dl->wire);
    osip_message_free(m);
    if (rc != JG_OK) {
        jg_buf_free(&dl->wire);
        free(dl);
        return NULL;
    }
    jg_vpeer peer;
    jg_vsvc_peer_of(d, &peer);
    svc->send(svc, &peer, dl->wire.data, dl->wire.len);
    svc->stat_invites++;
    dl->interval_us = T1_US;
    dl->next_us = d->transport == JG_VT_UDP ? svc->now_us + T1_US : INT64_MAX;
    dl->deadline_us = svc->now_us + INVITE_TIMEOUT_US;
    dl->stream = stream;
    dl->next = svc->dialogs;
    if (svc->dialogs != NULL)
        svc->dialogs->prev = dl;
    svc->dialogs = dl;
    jg_info("video: INVITE %s of device %s (ssrc %s)", channel, device, ssrc);
    return dl;
}

jg_vdialog *jg_vinvite_find(jg_vsvc *svc, const osip_message_t *m)
{
    if (m->call_id == NULL || m->call_id->number == NULL)
        return NULL;
    char cid[192];
    snprintf(cid, sizeof(cid), "%s%s%s", m->call_id->number, m->call_id->host != NULL ? "@" : "",
             m->call_id->host != NULL ? m->call_id->host : "");
    for (jg_vdialog *dl = svc->dialogs; dl != NULL; dl = dl->next)
        if (strcmp(dl->call_id, cid) == 0)
            return dl;
    return NULL;
}

int jg_vinvite_on_response(jg_vsvc *svc, const osip_message_t *resp)
{
    int64_t info_cseq = 0;
    jg_vdialog *dl = jg_vinvite_find(svc, resp);
    if (dl == NULL)
        return 0;
    if (resp->cseq != NULL && resp->cseq->method != NULL && strcmp(resp->cseq->method, "INFO") == 0 &&
        resp->status_code >= 200 && resp->cseq->number != NULL && dl->info_cseq > 0 &&
        jg_parse_int64(resp->cseq->number, 1, INT32_MAX, &info_cseq) == JG_OK && info_cseq == dl->info_cseq) {
        if (resp->status_code >= 300)
            jg_warn("video: device %s answered %d to an INFO of %s", dl->device, resp->status_code,
                    dl->channel);
        dl->info_cseq = 0;
        return 1;
    }
    if (resp->cseq == NULL || resp->cseq->method == NULL || strcmp(resp->cseq->method, "INVITE") != 0)
        return 1; /* the answer to our BYE, CANCEL or INFO: nothing to do */
    int code = resp->status_code;
    if (code < 200) {
        dl->next_us = INT64_MAX; /* ringing: stop retransmitting, keep the deadline */
        return 1;
    }
    osip_to_t *to = osip_message_get_to(resp);
    osip_generic_param_t *tag = NULL;
    if (to != NULL && osip_to_get_tag(to, &tag) == 0 && tag != NULL && tag->gvalue != NULL)
        snprintf(dl->to_tag, sizeof(dl->to_tag), "%s", tag->gvalue);
    if (code >= 300) {
        /* ACK for a failure is part of the INVITE transaction: same branch. */
        send_in_dialog(svc, dl, "ACK", dl->cseq, 1);
        if (dl->state == JG_DLG_CALLING) {
            jg_warn("video: device %s answered %d to the INVITE of %s", dl->device, code, dl->channel);
            jg_vstream *s = dl->stream;
            unlink_dialog(svc, dl);
            if (s != NULL)
                jg_vmedia_failed(svc, s, code);
        }
        return 1;
    }
    osip_contact_t *ct = NULL;
    if (osip_message_get_contact(resp, 0, &ct) >= 0 && ct != NULL && ct->url != NULL) {
        char *u = NULL;
        if (osip_uri_to_str(ct->url, &u) == 0 && u != NULL) {
            snprintf(dl->target, sizeof(dl->target), "%s", u);
            osip_free(u);
        }
    }
    send_in_dialog(svc, dl, "ACK", dl->cseq,
                   0); /* ACK for 2xx: a new transaction; also for retransmitted 200s */
    if (dl->state == JG_DLG_CONFIRMED)
        return 1;
    dl->state = JG_DLG_CONFIRMED;
    dl->next_us = INT64_MAX;
    jg_sdp_answer ans;
    size_t blen = 0;
    const char *body = jg_sip_body(resp, &blen);
    if (body == NULL || jg_sdp_parse(body, blen, &ans) != JG_OK) {
        jg_warn("video: device %s answered the INVITE of %s without a usable SDP", dl->device, dl->channel);
        jg_vstream *s = dl->stream;
        dl->stream = NULL;
        jg_vinvite_bye(svc, dl);
        if (s != NULL)
            jg_vmedia_failed(svc, s, 488);
        return 1;
    }
    if (dl->stream != NULL)
        jg_vmedia_answered(svc, dl->stream, &ans);
    return 1;
}

int jg_vinvite_on_bye(jg_vsvc *svc, const osip_message_t *req, const jg_vpeer *peer)
{
    jg_vdialog *dl = jg_vinvite_find(svc, req);
    if (dl == NULL)
        return 0;
    jg_vsvc_respond(svc, req, peer, 200, NULL);
    jg_info("video: device %s ended the stream of %s (BYE)", dl->device, dl->channel);
    jg_vstream *s = dl->stream;
    unlink_dialog(svc, dl);
    if (s != NULL)
        jg_vmedia_ended(svc, s);
    return 1;
}

void jg_vinvite_bye(jg_vsvc *svc, jg_vdialog *dl)
{
    if (dl->state == JG_DLG_CONFIRMED)
        send_in_dialog(svc, dl, "BYE", dl->cseq + 1, 0);
    else
        send_in_dialog(svc, dl, "CANCEL", dl->cseq, 1);
    unlink_dialog(svc, dl);
}

void jg_vinvite_tick(jg_vsvc *svc)
{
    jg_vdialog *dl = svc->dialogs;
    while (dl != NULL) {
        jg_vdialog *next = dl->next;
        if (dl->state == JG_DLG_CALLING && svc->now_us >= dl->deadline_us) {
            jg_warn("video: no answer from %s to the INVITE of %s", dl->device, dl->channel);
            jg_vstream *s = dl->stream;
            jg_vinvite_bye(svc, dl);
            if (s != NULL)
                jg_vmedia_failed(svc, s, 408);
        } else if (dl->info_cseq > 0 && svc->now_us >= dl->info_deadline_us) {
            jg_warn("video: no answer from %s to an INFO of %s", dl->device, dl->channel);
            dl->info_cseq = 0;
        } else if (dl->info_cseq > 0 && svc->now_us >= dl->info_next_us) {
            jg_vdev *d = jg_vsvc_device(svc, dl->device);
            if (d != NULL && d->transport == JG_VT_UDP) {
                jg_vpeer peer;
                jg_vsvc_peer_of(d, &peer);
                svc->send(svc, &peer, dl->info.data, dl->info.len);
            }
            dl->info_interval_us = dl->info_interval_us * 2 < T2_US ? dl->info_interval_us * 2 : T2_US;
            dl->info_next_us = svc->now_us + dl->info_interval_us;
        } else if (dl->state == JG_DLG_CALLING && svc->now_us >= dl->next_us) {
            jg_vdev *d = jg_vsvc_device(svc, dl->device);
            if (d != NULL && d->transport == JG_VT_UDP) {
                jg_vpeer peer;
                jg_vsvc_peer_of(d, &peer);
                svc->send(svc, &peer, dl->wire.data, dl->wire.len);
            }
            dl->interval_us = dl->interval_us * 2 < T2_US ? dl->interval_us * 2 : T2_US;
            dl->next_us = svc->now_us + dl->interval_us;
        }
        dl = next;
    }
}

void jg_vinvite_close_all(jg_vsvc *svc)
{
    while (svc->dialogs != NULL)
        jg_vinvite_bye(svc, svc->dialogs);
}
