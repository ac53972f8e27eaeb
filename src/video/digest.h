/* SIP digest authentication (RFC 2617 with MD5, as GB/T 28181 devices use it) and the
 * registrar's stateless nonces.
 *
 *     HA1      = MD5(username ":" realm ":" password)
 *     HA2      = MD5(method ":" digest-uri)
 *     response = MD5(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2)     qop=auth
 *              = MD5(HA1 ":" nonce ":" HA2)                                without qop (RFC 2069)
 *
 * A nonce is 40 hex digits: the issue time (unix seconds, 8 digits), a random salt (8 digits) and
 * the first 24 digits of HMAC-SM3(secret, time salt ":" device ID). The registrar keeps no state
 * per challenge: a nonce proves itself, and expires after a TTL. Replays within the TTL are
 * caught per device by the nonce-count (registrar.c). */
#ifndef JG_VIDEO_DIGEST_H
#define JG_VIDEO_DIGEST_H
#include "base/rc.h"

#include <stdint.h>

#define JG_DIGEST_HEX_LEN 32
#define JG_NONCE_LEN 40
#define JG_NONCE_SECRET_LEN 32

/* Compute the response (32 lower-case hex digits and NUL) into out. qop NULL or "" selects the
 * RFC 2069 form (nc and cnonce then unused). Any argument NULL other than those: JG_INVALID.
 * JG_ERR (logged) if OpenSSL fails. */
jg_rc jg_digest_response(const char *username, const char *realm, const char *password, const char *method,
                         const char *uri, const char *nonce, const char *nc, const char *cnonce,
                         const char *qop, char out[JG_DIGEST_HEX_LEN + 1]);
/* Issue a nonce for device_id at now_s into out (41 bytes). JG_ERR only if OpenSSL fails. */
jg_rc jg_digest_nonce_make(const unsigned char secret[JG_NONCE_SECRET_LEN], const char *device_id,
                           int64_t now_s, char out[JG_NONCE_LEN + 1]);
/* Check a nonce presented by device_id at now_s: JG_OK if we issued it for that device at most
 * ttl_s seconds ago, JG_TIMEOUT if we did but it is older (answer 401 stale=true), JG_INVALID if
 * we did not (malformed, forged, another device's, from the future). */
jg_rc jg_digest_nonce_check(const unsigned char secret[JG_NONCE_SECRET_LEN], const char *device_id,
                            const char *nonce, int64_t now_s, int64_t ttl_s);

#endif
