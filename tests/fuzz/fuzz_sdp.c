/* libFuzzer driver for the SDP answer parser (a device's 200 to our INVITE). */
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
    }
    return 0;
}
