/* INVITE dialogs of the video service in process, without sockets (invite.c): the request a
 * GB device expects (Request-URI at the channel, Subject, Contact, SDP), retransmission over UDP
 * until a provisional answer, ACK to the Contact of the 200 with the device's To tag, BYE with the
 * next CSeq, CANCEL while ringing, a BYE from the device answered 200 (and 481 for an unknown
 * dialog), the 10 s answer timeout, and the SDP answer parsed by the platform. */
#include "base/config.h"
#include "base/mem.h"
#include "db/migrate.h"
#include "video/video.h"
#include "video/video_int.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define DEV "35010200001180000001"
#define CH "35010200001310000001"

static const unsigned char KEY[32] = "video unit test field key 32 by";
static char *sent[64];
static int nsent;

static void capture(jg_vsvc *svc, const jg_vpeer *peer, const char *data, size_t len)
{
    (void)svc;
    (void)peer;
    assert_true(nsent < 64);
    sent[nsent++] = jg_xstrndup(data, len);
}

static void clear_sent(void)
{
    for (int i = 0; i < nsent; i++)
        free(sent[i]);
    nsent = 0;
}

static int count_sent(const char *prefix)
{
    int n = 0;
    for (int i = 0; i < nsent; i++)
        n += strncmp(sent[i], prefix, strlen(prefix)) == 0;
    return n;
}

static const char *last_sent(const char *prefix)
{
    for (int i = nsent - 1; i >= 0; i--)
        if (strncmp(sent[i], prefix, strlen(prefix)) == 0)
            return sent[i];
    return NULL;
}

/* The value of header name (up to CRLF) in msg, into out. */
static void header(const char *msg, const char *name, char *out, size_t outlen)
{
    char key[64];
    snprintf(key, sizeof(key), "\r\n%s: ", name);
    const char *p = strstr(msg, key);
    assert_non_null(p);
    p += strlen(key);
    const char *e = strstr(p, "\r\n");
    snprintf(out, outlen, "%.*s", (int)(e - p), p);
}

typedef struct {
    tmpdb t;
    jg_db *db;
    jg_config cfg;
    jg_vsvc svc;
    jg_vpeer dev;
} fixture;

static int setup(void **state)
{
    fixture *f = jg_xcalloc(1, sizeof(*f));
    tmpdb_make(&f->t);
    f->db = tmpdb_open(&f->t, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(f->db, &applied), JG_OK);
    char err[128];
    assert_int_equal(jg_config_load(&f->cfg, "/dev/null", err, sizeof(err)), JG_OK);
    assert_int_equal(jg_config_set(&f->cfg, "video_sip_listen", "127.0.0.1:5060"), JG_OK);
    assert_int_equal(jg_vsvc_init(&f->svc, &f->cfg, f->db, KEY, capture), JG_OK);
    /* A device registered over UDP from 10.1.2.3:5080 that sent its REGISTER to 10.0.0.1:5060. */
    jg_vdev *d = jg_vsvc_device_new(&f->svc, DEV);
    d->registered = d->online = 1;
    d->transport = JG_VT_UDP;
    d->addr.sin_family = AF_INET;
    inet_pton(AF_INET, "10.1.2.3", &d->addr.sin_addr);
    d->addr.sin_port = htons(5080);
    snprintf(d->local, sizeof(d->local), "10.0.0.1:5060");
    memset(&f->dev, 0, sizeof(f->dev));
    f->dev.transport = JG_VT_UDP;
    f->dev.addr = d->addr;
    f->svc.now_us = 1000000;
    clear_sent();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    jg_vinvite_close_all(&f->svc);
    jg_vsvc_exit(&f->svc);
    jg_db_close(f->db);
    jg_config_free(&f->cfg);
    tmpdir_remove(f->t.dir);
    clear_sent();
    free(f);
    return 0;
}

/* The device's answer to the INVITE inv: code, with an SDP body for a 200. */
static void answer(fixture *f, const char *inv, int code, const char *body)
{
    char via[256], from[256], to[256], callid[256], cseq[64], msg[4096];
    header(inv, "Via", via, sizeof(via));
    header(inv, "From", from, sizeof(from));
    header(inv, "To", to, sizeof(to));
    header(inv, "Call-ID", callid, sizeof(callid));
    header(inv, "CSeq", cseq, sizeof(cseq));
    int n =
        snprintf(msg, sizeof(msg),
                 "SIP/2.0 %d X\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=devtag1\r\nCall-ID: %s\r\nCSeq: %s\r\n"
                 "Contact: <sip:" CH "@10.1.2.3:5099>\r\n%sContent-Length: %zu\r\n\r\n%s",
                 code, via, from, to, callid, cseq, body != NULL ? "Content-Type: APPLICATION/SDP\r\n" : "",
                 body != NULL ? strlen(body) : 0, body != NULL ? body : "");
    jg_vsvc_handle(&f->svc, msg, (size_t)n, &f->dev);
}

static const char *SDP_OFFER =
    "v=0\r\no=35000000002000000001 0 0 IN IP4 10.0.0.1\r\ns=Play\r\nc=IN IP4 10.0.0.1\r\n"
    "t=0 0\r\nm=video 30000 RTP/AVP 96 98 99\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\n"
    "y=0000000001\r\n";
static const char *SDP_ANSWER =
    "v=0\r\no=" CH " 0 0 IN IP4 10.1.2.3\r\ns=Play\r\nc=IN IP4 10.1.2.3\r\nt=0 0\r\n"
    "m=video 15060 RTP/AVP 96\r\na=sendonly\r\na=rtpmap:96 PS/90000\r\ny=0000000001\r\n";

static void invite_ack_bye(void **state)
{
    fixture *f = *state;
    jg_vdialog *dl = jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL);
    assert_non_null(dl);
    const char *inv = last_sent("INVITE ");
    assert_non_null(inv);
    assert_true(strncmp(inv, "INVITE sip:" CH "@10.1.2.3:5080 SIP/2.0\r\n", 48) == 0);
    char h[256];
    header(inv, "Subject", h, sizeof(h));
    assert_string_equal(h, CH ":0000000001,35000000002000000001:0");
    header(inv, "Contact", h, sizeof(h));
    assert_string_equal(h, "<sip:35000000002000000001@10.0.0.1:5060>");
    header(inv, "To", h, sizeof(h));
    assert_string_equal(h, "<sip:" CH "@3500000000>");
    header(inv, "Content-Type", h, sizeof(h));
    assert_string_equal(h, "APPLICATION/SDP");
    assert_non_null(strstr(inv, "\r\n\r\nv=0\r\n"));
    assert_non_null(strstr(inv, "y=0000000001\r\n"));
    /* UDP: retransmitted after T1, then 2 T1 ... until a provisional answer. */
    f->svc.now_us += 500000;
    jg_vinvite_tick(&f->svc);
    assert_int_equal(count_sent("INVITE "), 2);
    f->svc.now_us += 500000; /* the next is due after 1 s */
    jg_vinvite_tick(&f->svc);
    assert_int_equal(count_sent("INVITE "), 2);
    answer(f, inv, 100, NULL);
    f->svc.now_us += 2000000;
    jg_vinvite_tick(&f->svc);
    assert_int_equal(count_sent("INVITE "), 2);
    answer(f, inv, 200, SDP_ANSWER);
    assert_int_equal(dl->state, JG_DLG_CONFIRMED);
    const char *ack = last_sent("ACK ");
    assert_non_null(ack);
    assert_true(strncmp(ack, "ACK sip:" CH "@10.1.2.3:5099 SIP/2.0", 36) == 0); /* the 200's Contact */
    header(ack, "To", h, sizeof(h));
    assert_non_null(strstr(h, "tag=devtag1"));
    header(ack, "CSeq", h, sizeof(h));
    assert_string_equal(h, "1 ACK");
    /* A retransmitted 200 is ACKed again, nothing else. */
    answer(f, inv, 200, SDP_ANSWER);
    assert_int_equal(count_sent("ACK "), 2);
    /* Confirmed dialogs are not timed out. */
    f->svc.now_us += 60000000;
    jg_vinvite_tick(&f->svc);
    assert_ptr_equal(f->svc.dialogs, dl);
    jg_vinvite_bye(&f->svc, dl);
    const char *bye = last_sent("BYE ");
    assert_non_null(bye);
    header(bye, "CSeq", h, sizeof(h));
    assert_string_equal(h, "2 BYE");
    assert_null(f->svc.dialogs);
}

/* INFO with MANSRTSP in a confirmed dialog: to the 200's Contact, CSeq counting on, retransmitted
 * over UDP until answered, given up after 8 s; refused while still calling. */
static void info_in_dialog(void **state)
{
    fixture *f = *state;
    jg_vdialog *dl = jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL);
    assert_non_null(dl);
    assert_int_equal(jg_vinvite_info(&f->svc, dl, "PAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n"),
                     JG_CONFLICT);
    const char *inv = last_sent("INVITE ");
    answer(f, inv, 200, SDP_ANSWER);
    clear_sent();
    char body[128], h[256];
    assert_true(jg_mansrtsp_build(JG_RTSP_PAUSE, 1, 0, body, sizeof(body)) > 0);
    assert_int_equal(jg_vinvite_info(&f->svc, dl, body), JG_OK);
    const char *info = last_sent("INFO ");
    assert_non_null(info);
    assert_true(strncmp(info, "INFO sip:" CH "@10.1.2.3:5099 SIP/2.0", 37) == 0);
    header(info, "CSeq", h, sizeof(h));
    assert_string_equal(h, "2 INFO");
    header(info, "Content-Type", h, sizeof(h));
    assert_string_equal(h, "Application/MANSRTSP");
    header(info, "To", h, sizeof(h));
    assert_non_null(strstr(h, "tag=devtag1"));
    assert_non_null(strstr(info, "\r\n\r\nPAUSE RTSP/1.0\r\nCSeq: 1\r\nPauseTime: now\r\n\r\n"));
    /* Retransmitted after T1 until the device answers. */
    f->svc.now_us += 500000;
    jg_vinvite_tick(&f->svc);
    assert_int_equal(count_sent("INFO "), 2);
    answer(f, last_sent("INFO "), 200, NULL);
    assert_int_equal(dl->info_cseq, 0);
    f->svc.now_us += 4000000;
    jg_vinvite_tick(&f->svc);
    assert_int_equal(count_sent("INFO "), 2);
    /* Another, never answered: retransmitted, then given up. */
    assert_true(jg_mansrtsp_build(JG_RTSP_SPEED, 2, 2, body, sizeof(body)) > 0);
    assert_int_equal(jg_vinvite_info(&f->svc, dl, body), JG_OK);
    header(last_sent("INFO "), "CSeq", h, sizeof(h));
    assert_string_equal(h, "3 INFO");
    for (int i = 0; i < 20; i++) {
        f->svc.now_us += 500000;
        jg_vinvite_tick(&f->svc);
    }
    int n = count_sent("INFO ");
    assert_true(n >= 5 && n <= 8);
    assert_int_equal(dl->info_cseq, 0);
    f->svc.now_us += 10000000;
    jg_vinvite_tick(&f->svc);
    assert_int_equal(count_sent("INFO "), n);
    jg_vinvite_bye(&f->svc, dl);
    header(last_sent("BYE "), "CSeq", h, sizeof(h));
    assert_string_equal(h, "4 BYE");
}

static void device_bye_and_cancel(void **state)
{
    fixture *f = *state;
    jg_vdialog *dl = jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL);
    assert_non_null(dl);
    char inv[8192];
    snprintf(inv, sizeof(inv), "%s", last_sent("INVITE "));
    answer(f, inv, 200, SDP_ANSWER);
    char callid[256], from[256], to[256], msg[2048];
    header(inv, "Call-ID", callid, sizeof(callid));
    header(inv, "From", from, sizeof(from));
    header(inv, "To", to, sizeof(to));
    /* The device hangs up: 200 and the dialog is gone. */
    int n =
        snprintf(msg, sizeof(msg),
                 "BYE sip:35000000002000000001@10.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP "
                 "10.1.2.3:5080;branch=z9hG4bKb1\r\n"
                 "From: %s;tag=devtag1\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 7 BYE\r\nContent-Length: 0\r\n\r\n",
                 to, from, callid);
    jg_vsvc_handle(&f->svc, msg, (size_t)n, &f->dev);
    assert_non_null(last_sent("SIP/2.0 200 "));
    assert_null(f->svc.dialogs);
    /* Again: no such dialog any more. */
    jg_vsvc_handle(&f->svc, msg, (size_t)n, &f->dev);
    assert_non_null(last_sent("SIP/2.0 481 "));
    /* Hanging up while it rings is a CANCEL. */
    dl = jg_vinvite_start(&f->svc, DEV, CH, "0000000002", SDP_OFFER, NULL);
    answer(f, last_sent("INVITE "), 180, NULL);
    jg_vinvite_bye(&f->svc, dl);
    assert_int_equal(count_sent("CANCEL "), 1);
    assert_null(f->svc.dialogs);
}

static void refusals_and_timeout(void **state)
{
    fixture *f = *state;
    assert_null(jg_vinvite_start(&f->svc, "35010200001180000099", CH, "0000000001", SDP_OFFER, NULL));
    jg_vsvc_device(&f->svc, DEV)->online = 0;
    assert_null(jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL));
    jg_vsvc_device(&f->svc, DEV)->online = 1;
    /* 486 Busy: ACKed in the INVITE transaction, dialog gone. */
    assert_non_null(jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL));
    answer(f, last_sent("INVITE "), 486, NULL);
    assert_int_equal(count_sent("ACK "), 1);
    assert_null(f->svc.dialogs);
    /* A 200 without a usable SDP: ACK, then BYE. */
    assert_non_null(jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL));
    answer(f, last_sent("INVITE "), 200, "v=0\r\n");
    assert_int_equal(count_sent("BYE "), 1);
    assert_null(f->svc.dialogs);
    /* No answer at all: given up after 10 s with a CANCEL. */
    assert_non_null(jg_vinvite_start(&f->svc, DEV, CH, "0000000001", SDP_OFFER, NULL));
    for (int i = 0; i < 100; i++) {
        f->svc.now_us += 100000;
        jg_vinvite_tick(&f->svc);
    }
    assert_int_equal(count_sent("CANCEL "), 1);
    assert_null(f->svc.dialogs);
    assert_true(count_sent("INVITE ") >= 5 && count_sent("INVITE ") <= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(invite_ack_bye, setup, teardown),
        cmocka_unit_test_setup_teardown(info_in_dialog, setup, teardown),
        cmocka_unit_test_setup_teardown(device_bye_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_and_timeout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
