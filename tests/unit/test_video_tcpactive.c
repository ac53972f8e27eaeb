/* Unit tests for RTP over TCP active (we connect to the device): the offer (TCP/RTP/AVP on the
 * discard port with a=setup:active, RFC 4145) and the device's answer (a=setup:passive with its own
 * c= and m= port), as sdp.c builds and parses them. */
#include "video/media.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void offer_active(void **state)
{
    (void)state;
    char out[1024];
    jg_sdp_offer o = {
        "Play", "35000000002000000001", "10.0.0.5", 9, JG_RTP_TCP_ACTIVE, "0000000007", NULL, 0, 0, 0};
    size_t n = jg_sdp_offer_build(&o, out, sizeof(out));
    assert_true(n > 0);
    assert_non_null(strstr(out, "c=IN IP4 10.0.0.5\r\n"));
    assert_non_null(strstr(out, "m=video 9 TCP/RTP/AVP 96 98 99\r\n"));
    assert_non_null(strstr(out, "a=setup:active\r\na=connection:new\r\n"));
    assert_null(strstr(out, "a=setup:passive"));
    assert_string_equal(out + n - strlen("y=0000000007\r\n"), "y=0000000007\r\n"); /* y= still last */
    /* What a device reads from it (gbsim does this): TCP, we are the active side. */
    jg_sdp_answer a;
    assert_int_equal(jg_sdp_parse(out, n, &a), JG_OK);
    assert_int_equal(a.tcp, 1);
    assert_int_equal(a.setup, JG_SDP_SETUP_ACTIVE);
    assert_int_equal(a.port, 9);
    /* Passive and UDP offers are unchanged. */
    o.tcp = JG_RTP_TCP_PASSIVE;
    o.port = 30000;
    assert_true(jg_sdp_offer_build(&o, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "a=setup:passive\r\n"));
    assert_null(strstr(out, "a=setup:active"));
    o.tcp = JG_RTP_UDP;
    assert_true(jg_sdp_offer_build(&o, out, sizeof(out)) > 0);
    assert_null(strstr(out, "a=setup:"));
    assert_null(strstr(out, "a=connection:"));
    /* Cut short: 0, never a truncated offer. */
    o.tcp = JG_RTP_TCP_ACTIVE;
    assert_int_equal(jg_sdp_offer_build(&o, out, 200), 0);
}

static void answer_passive(void **state)
{
    (void)state;
    /* A device answering our active offer: it listens on 127.0.1.1:40123 (media-level c=). */
    const char *ans = "v=0\r\no=34020000001320000001 0 0 IN IP4 192.168.1.64\r\ns=Play\r\n"
                      "c=IN IP4 192.168.1.64\r\nt=0 0\r\nm=video 40123 TCP/RTP/AVP 96\r\n"
                      "c=IN IP4 127.0.1.1\r\na=sendonly\r\na=setup:passive\r\na=connection:new\r\n"
                      "a=rtpmap:96 PS/90000\r\ny=0100000007\r\n";
    jg_sdp_answer a;
    assert_int_equal(jg_sdp_parse(ans, strlen(ans), &a), JG_OK);
    assert_int_equal(a.tcp, 1);
    assert_int_equal(a.setup, JG_SDP_SETUP_PASSIVE);
    assert_string_equal(a.ip, "127.0.1.1");
    assert_int_equal(a.port, 40123);
    assert_string_equal(a.ssrc, "0100000007");
    /* LF only, session-level c= only, setup before rtpmap. */
    const char *lf = "v=0\no=x 0 0 IN IP4 10.1.2.3\ns=Play\nc=IN IP4 10.1.2.3\nt=0 0\n"
                     "m=video 6000 TCP/RTP/AVP 96\na=setup:passive\na=rtpmap:96 PS/90000\n";
    assert_int_equal(jg_sdp_parse(lf, strlen(lf), &a), JG_OK);
    assert_string_equal(a.ip, "10.1.2.3");
    assert_int_equal(a.port, 6000);
    assert_int_equal(a.setup, JG_SDP_SETUP_PASSIVE);
    /* a=setup outside the video section is not the video's. */
    const char *sess =
        "v=0\r\ns=Play\r\na=setup:passive\r\nc=IN IP4 10.1.2.3\r\nm=video 6000 TCP/RTP/AVP 96\r\n";
    assert_int_equal(jg_sdp_parse(sess, strlen(sess), &a), JG_OK);
    assert_int_equal(a.setup, JG_SDP_SETUP_NONE);
    /* No port to connect to: refused. */
    const char *zero = "v=0\r\nc=IN IP4 10.1.2.3\r\nm=video 0 TCP/RTP/AVP 96\r\na=setup:passive\r\n";
    assert_int_equal(jg_sdp_parse(zero, strlen(zero), &a), JG_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offer_active),
        cmocka_unit_test(answer_passive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
