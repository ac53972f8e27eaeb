/* Image captcha (图形验证码) for the login: issued by GET /api/v1/auth/captcha, checked once by
 * the login (and anything else that wants proof of a human).
 *
 * Table captcha (migration 0003), one row per picture handed out:
 *
 *     token_hash   SM3 hex of the captcha_id the client holds (32 random bytes, base64url)
 *     answer_hash  SM3 hex of token_hash ":" ANSWER (the letters upper-cased)
 *     expires_at   issue time + captcha_ttl_s, ISO-8601 UTC
 *     used         1 once a check has spent it, whether the answer was right or not
 *
 * Neither the id nor the answer is stored in the clear, and each picture gets one try. */
#ifndef JG_CAPTCHA_H
#define JG_CAPTCHA_H
#include "base/config.h"
#include "http/http.h"

/* The longest captcha_id looked up (they are 43 characters). */
#define JG_CAPTCHA_ID_MAX 64

/* 1 when a login for a name that has failed `failures` times must carry a captcha under cfg's
 * `captcha` setting (off, after_failure, always). Cannot fail. */
int jg_captcha_needed(const jg_config *cfg, int failures);

/* Spend the captcha captcha_id (in one UPDATE, so only one of concurrent checks can) and compare
 * answer with it, case-insensitively. JG_OK if it existed, was unspent, had not expired and the
 * answer matches; JG_DENIED otherwise (NULLs included), the captcha being spent all the same; a
 * database error as such. */
jg_rc jg_captcha_check(jg_req *req, const char *captcha_id, const char *answer);

#endif
