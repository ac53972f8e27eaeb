/* libFuzzer driver for inbound SIP: TCP framing, libosip2 parsing with our checks, and the
 * helpers the registrar reads (From user, CSeq, Expires, body, response building). */
#include "video/sip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > JG_SIP_MAX_MESSAGE)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    long frame = jg_sip_frame(text, size);
    if (frame > (long)size)
        abort();
    osip_message_t *m = NULL;
    if (jg_sip_parse(text, size, &m) == JG_OK) {
        (void)jg_sip_from_user(m);
        (void)jg_sip_cseq(m);
        (void)jg_sip_expires(m, 3600);
        size_t n = 0;
        (void)jg_sip_body(m, &n);
        (void)jg_sip_is_manscdp(m);
        if (MSG_IS_REQUEST(m)) {
            osip_message_t *r = NULL;
            if (jg_sip_response(m, 200, "10.0.0.1", 5060, "t", &r) == JG_OK) {
                jg_buf b;
                jg_buf_init(&b, JG_SIP_MAX_MESSAGE);
                (void)jg_sip_serialize(r, &b);
                jg_buf_free(&b);
                osip_message_free(r);
            }
        }
        osip_message_free(m);
    }
    free(text);
    return 0;
}
