/* Shared state and helpers of the identity modules (login, captcha, SMS login, app keys, user and
 * role administration, audit queries). Not a public API: only src/platform includes it. */
#ifndef JG_IDENTITY_INT_H
#define JG_IDENTITY_INT_H
#include "crypto/crypto.h"
#include "http/http.h"
#include "platform/audit.h"
#include "platform/session.h"

#include <pthread.h>
#include <stdint.h>

#define JG_MAX_USERNAME 64
#define JG_MAX_PASSWORD_BYTES 128
#define JG_MAX_CIPHER_HEX (2 * (64 + 32 + JG_MAX_PASSWORD_BYTES) + 2)
#define JG_RATE_SLOTS 1024

/* Per-IP counts of auth requests in the current minute (per server node). */
struct jg_rate_slot {
    char ip[48];
    int64_t minute;
    int count;
};

typedef struct {
    jg_sm2_key *login_key;
    char login_pub[JG_SM2_PUB_HEX_LEN + 1];
    unsigned char audit_key[JG_AUDIT_KEY_LEN];
    unsigned char field_key[JG_SM4_KEY_LEN]; /* seals sensitive fields (ID numbers, phones, secrets) */
    jg_session_limits limits;
    pthread_mutex_t rate_mu;
    struct jg_rate_slot rate[JG_RATE_SLOTS];
    char decoy_hash[JG_PASSWORD_HASH_MAX]; /* verified against for unknown users: same timing */
} jg_identity;

static inline jg_identity *jg_identity_of(const jg_req *req)
{
    return req->app->identity;
}

/* 1 when the client address of req may make another auth request this minute; else answers 429. */
int jg_identity_rate_ok(jg_req *req, jg_resp *resp);
/* Decrypt an SM2 (C1C3C2 hex) password into out (JG_MAX_PASSWORD_BYTES + 1): UTF-8, no NUL. */
jg_rc jg_identity_decrypt_password(jg_identity *id, const char *cipher, char *out);
/* Append one audit row in its own transaction, for req's client address. */
jg_rc jg_identity_audit(jg_req *req, int64_t user_id, const char *username, const char *action,
                        const char *entity, const char *record_id, const char *detail);
/* Log user_id in: new session (ending the user's others when single_session is on), audit
 * "login" with method (password, sms), cookie, and the {"user","csrf_token"} answer. */
jg_rc jg_identity_login_user(jg_req *req, jg_resp *resp, int64_t user_id, const char *username,
                             const char *method);

#endif
