/* libFuzzer driver for the multipart/form-data parser (file uploads). The first line of the input
 * is the Content-Type header, the rest the body. */
#include "base/arena.h"
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const uint8_t *nl = memchr(data, '\n', size);
    if (nl == NULL)
        return 0;
    size_t ctlen = (size_t)(nl - data);
    char *ct = malloc(ctlen + 1);
    memcpy(ct, data, ctlen);
    ct[ctlen] = '\0';
    size_t blen = size - ctlen - 1;
    char *body = malloc(blen + 1); /* own copy, so ASan sees reads past the end */
    memcpy(body, nl + 1, blen);
    jg_arena *a = jg_arena_new();
    jg_part *parts;
    int n;
    if (jg_multipart_parse(ct, body, blen, a, &parts, &n) == JG_OK) {
        if (n < 1 || n > JG_MULTIPART_MAX_PARTS)
            abort();
        for (int i = 0; i < n; i++) {
            if (parts[i].name == NULL || parts[i].data < body || parts[i].data + parts[i].len > body + blen)
                abort();
        }
    }
    jg_arena_free(a);
    free(body);
    free(ct);
    return 0;
}
