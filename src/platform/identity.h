/* What the other modules need from the identity module: writing the audit chain for a request,
 * and the deployment's field key. The state behind them is in identity_int.h (platform only). */
#ifndef JG_IDENTITY_H
#define JG_IDENTITY_H
#include "crypto/crypto.h"
#include "db/db.h"
#include "http/http.h"

#include <jansson.h>

/* Append to the audit chain, in the caller's write transaction c, what req's logged-in caller did:
 * action on record_id (may be NULL) of entity, with detail (JSON, reference stolen; NULL for
 * none). Never put secrets or sealed values' plaintext in detail. */
jg_rc jg_audit_req(jg_conn *c, jg_req *req, const char *action, const char *entity, const char *record_id,
                   json_t *detail);
/* The detail of a change: {"before": before, "after": after}, references stolen, NULL as null. */
json_t *jg_audit_change(json_t *before, json_t *after);
/* The key (JG_SM4_KEY_LEN bytes) that seals sensitive fields: ID numbers, phones, secrets. */
const unsigned char *jg_identity_field_key(const jg_req *req);

#endif
