/* Sensitive fields at rest: a value SM4-sealed for its column, its blind index for equality
 * search, and its masked form for lists — made together so no caller forgets one. */
#ifndef JG_SEALED_H
#define JG_SEALED_H
#include "crypto/crypto.h"

#define JG_SEALED_MAX 32 /* longest value sealed this way: ID numbers (18), phones (11) */

typedef struct {
    char enc[JG_SM4_TOKEN_SIZE(JG_SEALED_MAX)]; /* jg_sm4_seal(key, context, value) */
    char bidx[JG_SM4_INDEX_LEN + 1];            /* jg_sm4_blind_index(key, field, value) */
    char mask[JG_SEALED_MAX + 1];               /* 3501**********1234, or 138****0003 for field "phone" */
} jg_sealed;

/* Seal value (at most JG_SEALED_MAX bytes, already normalised) under key for column context
 * ("person.id_number", "app_user.phone" …), with its blind index for field ("id_number",
 * "phone": the same field in two tables gives the same index). JG_TOOLARGE for a longer value,
 * JG_ERR if OpenSSL fails. */
jg_rc jg_sealed_make(const unsigned char key[JG_SM4_KEY_LEN], const char *context, const char *field,
                     const char *value, jg_sealed *out);

#endif
