/* libFuzzer driver for the SDP answer parser (a device's 200 to our INVITE) and the MANSRTSP
 * parser (the INFO bodies of playback control, as gbsim and devices read them). */
#include "video/media.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    jg_sdp_answer a;
    if (jg_sdp_parse((const char *)data, size, &a) == JG_OK) {
        if (a.port < 1 || a.port > 65535 || strlen(a.ssrc) > 10 || a.ps_pt < 0 || a.ps_pt > 127)
            abort();
        /* what a device reads from a download offer: a speed of 0 (none) to 64, a range in order */
        if (a.download_speed < 0 || a.download_speed > 64 || a.t_start < 0 || a.t_end < a.t_start)
            abort();
        if (a.setup < JG_SDP_SETUP_NONE || a.setup > JG_SDP_SETUP_PASSIVE || strlen(a.ip) >= sizeof(a.ip))
            abort();
        /* a TCP active offer to the address answered parses back as one (port 9, a=setup:active) */
        char offer[1024];
        jg_sdp_offer o = {
            "Play", "35000000002000000001", a.ip, 9, JG_RTP_TCP_ACTIVE, "0000000001", NULL, 0, 0, 0};
        jg_sdp_answer b;
        size_t n = jg_sdp_offer_build(&o, offer, sizeof(offer));
        if (n == 0 || jg_sdp_parse(offer, n, &b) != JG_OK || !b.tcp || b.setup != JG_SDP_SETUP_ACTIVE ||
            b.port != 9)
            abort();
    }
    jg_rtsp_op op;
    double v = 0;
    if (jg_mansrtsp_parse((const char *)data, size, &op, &v) == JG_OK) {
        if ((op == JG_RTSP_SEEK && !(v >= 0 && v < 1e7)) || (op == JG_RTSP_SPEED && !(v > 0 && v <= 64)))
            abort();
        char out[128];
        if ((op == JG_RTSP_SEEK || op == JG_RTSP_PAUSE || op == JG_RTSP_RESUME) &&
            jg_mansrtsp_build(op, 1, v, out, sizeof(out)) == 0)
            abort(); /* what parses can be built again */
    }
    return 0;
}
