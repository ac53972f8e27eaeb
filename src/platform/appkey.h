/* App keys: other systems (national and provincial platforms exchanging data) call the API with
 * an HMAC-SM3 request signature instead of a session. The identity hook calls
 * jg_appkey_authenticate when a request carries X-App-Key.
 *
 * A signed request carries four headers:
 *
 *     X-App-Key    the client's key, app_client.app_key: 1-64 characters [A-Za-z0-9_-]
 *     X-Timestamp  Unix seconds (1-12 decimal digits), within +-signature_window_s of the server
 *     X-Nonce      16-64 characters [A-Za-z0-9_-], never used twice by a key within the window
 *     X-Signature  64 hex digits: HMAC-SM3(secret, canonical request)
 *
 * The secret is the 64 lower-case hex digits shown once when the client is created or rotated;
 * those 64 ASCII characters are the HMAC key (not the 32 bytes they spell). The canonical
 * request is six lines joined by "\n", without a final newline:
 *
 *     METHOD      as sent, e.g. GET
 *     PATH        the path as the server decodes it, then encoded as below with '/' kept
 *     QUERY       the query parameters as the server decodes them ('+' is a space, %XX a byte),
 *                 each as enc(key) "=" enc(value), sorted by enc(key) in byte order (pairs with
 *                 the same key keep the order they were sent in), joined by "&"; "" for none
 *     TIMESTAMP   X-Timestamp exactly as sent
 *     NONCE       X-Nonce exactly as sent
 *     BODYHASH    hex(SM3(body bytes)), lower case; SM3 of nothing for an empty body
 *
 * enc() is RFC 3986 percent-encoding of the UTF-8 bytes: A-Z a-z 0-9 - . _ ~ stay, every other
 * byte becomes %XX with upper-case hex. The canonical request is therefore plain ASCII, and
 * binds exactly what the handlers read, however a proxy or client library re-encodes the URL. */
#ifndef JG_APPKEY_H
#define JG_APPKEY_H
#include "base/buf.h"
#include "http/http.h"
#include "platform/session.h"

#include <stddef.h>
#include <stdint.h>

#define JG_APPKEY_MAX_KEY 64
#define JG_APPKEY_NONCE_MIN 16
#define JG_APPKEY_NONCE_MAX 64
#define JG_APPKEY_SECRET_HEX 64 /* 32 random bytes in hex */
#define JG_APPKEY_SIG_HEX 64
/* The SM4 context binding a sealed secret to app_client.secret_enc. */
#define JG_APPKEY_SECRET_CONTEXT "app_client.secret"
/* Largest canonical request accepted: the query and path are bounded by the server's header
 * limits, and encoding at most triples them. */
#define JG_APPKEY_CANONICAL_MAX (256u * 1024)

/* 1 if s is 1-64 characters of [A-Za-z0-9_-] (an app key), else 0. Cannot fail. */
int jg_appkey_key_ok(const char *s);
/* 1 if s is 16-64 characters of [A-Za-z0-9_-] (a nonce), else 0. Cannot fail. */
int jg_appkey_nonce_ok(const char *s);
/* Parse X-Timestamp: 1-12 decimal digits, nothing else. JG_INVALID otherwise. */
jg_rc jg_appkey_parse_timestamp(const char *s, int64_t *out);
/* Append enc(n bytes at s) to out (see above); keep_slash leaves '/' as it is (for the path).
 * JG_TOOLARGE if out would pass its maximum. */
jg_rc jg_appkey_encode(jg_buf *out, const char *s, size_t n, int keep_slash);
/* Write the canonical request of these parts to out (initialised by the caller, appended to).
 * query is the decoded pairs in the order sent. JG_TOOLARGE if out would pass its maximum,
 * JG_ERR (logged) if SM3 fails. The caller frees out. */
jg_rc jg_appkey_canonical(jg_buf *out, const char *method, const char *path, const jg_kv *query, int nquery,
                          const char *timestamp, const char *nonce, const void *body, size_t body_len);
/* HMAC-SM3 of len bytes at canonical under the NUL-terminated secret, as 64 lower-case hex
 * digits and a NUL into out. JG_ERR (logged) only if OpenSSL fails. */
jg_rc jg_appkey_sign(const char *secret, const char *canonical, size_t len, char out[JG_APPKEY_SIG_HEX + 1]);

/* Verify the signed request req (it carries X-App-Key): headers, time window, signature, nonce.
 * On JG_OK *out is the client as a principal (arena-allocated; user_id 0, username "app:KEY",
 * kind "app", role, scope and permissions of its role, org_code and enterprise_id of the
 * client). Otherwise resp holds the answer: 401 signature_invalid (malformed headers, unknown
 * or disabled key, wrong signature: the same answer for each), 401 timestamp_out_of_window,
 * 401 replayed, 403 forbidden for the session routes under /api/v1/auth/ other than
 * GET /api/v1/auth/me, or the database's error. */
jg_rc jg_appkey_authenticate(jg_req *req, jg_resp *resp, jg_principal **out);

#endif
