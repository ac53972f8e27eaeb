/* The SMS gateway adapter: one JSON POST per message to the configured HTTP(S) gateway.
 *
 *     POST sms_gateway_url
 *     Authorization: Bearer <sms_gateway_token>        (only when the token is set)
 *     Content-Type: application/json
 *
 *     {"phone":"13800000003","template":"login_code","params":{"code":"123456","minutes":5}}
 *
 * Any 2xx answer is success; the answer's body is read and ignored. */
#ifndef JG_SMS_GATEWAY_H
#define JG_SMS_GATEWAY_H
#include "base/config.h"
#include "base/rc.h"

/* Initialise libcurl for the process; call once at start, before any thread sends. JG_ERR
 * (logged) if libcurl cannot start. Pair with jg_sms_cleanup(). */
jg_rc jg_sms_init(void);
/* Release what jg_sms_init() set up, after the last send. Cannot fail. */
void jg_sms_cleanup(void);

/* Send the login code to phone through cfg's gateway, saying it is valid for ttl_minutes.
 * Blocks for at most 5 s; follows no redirects; HTTPS peers are verified against the system CAs.
 * JG_UNAVAILABLE when the gateway is not configured, cannot be reached, times out or answers
 * anything but 2xx (logged without the code or the token); JG_ERR if the request cannot be built.
 * Safe to call from several threads at once. */
jg_rc jg_sms_send(const jg_config *cfg, const char *phone, const char *code, int ttl_minutes);

#endif
