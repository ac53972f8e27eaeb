/* Sealed, indexed and masked sensitive values. */
#include "platform/sealed.h"

#include "platform/idcheck.h"

#include <string.h>

jg_rc jg_sealed_make(const unsigned char key[JG_SM4_KEY_LEN], const char *context, const char *field,
                     const char *value, jg_sealed *out)
{
    size_t n = strlen(value);
    memset(out, 0, sizeof(*out));
    if (n > JG_SEALED_MAX)
        return JG_TOOLARGE;
    jg_rc rc = jg_sm4_seal(key, context, value, n, out->enc, sizeof(out->enc));
    if (rc == JG_OK)
        rc = jg_sm4_blind_index(key, field, value, n, out->bidx);
    if (strcmp(field, "phone") == 0 && jg_idcheck_phone(value))
        jg_idcheck_mask_phone(value, out->mask);
    else
        jg_idcheck_mask(value, out->mask);
    return rc;
}
