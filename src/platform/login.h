/* Login failure accounting shared by the ways to log in (password, SMS code): counted per name
 * tried, existing or not, in login_attempt. */
#ifndef JG_LOGIN_H
#define JG_LOGIN_H
#include "crypto/crypto.h"
#include "http/http.h"

#include <stdint.h>

/* The login_attempt key of a name (user name or phone number): SM3 hex of it lower-cased. */
jg_rc jg_login_name_key(const char *name, char out[2 * JG_SM3_LEN + 1]);
/* Failures so far for name_key and whether it is locked now. */
jg_rc jg_login_attempts(jg_db *db, const char *name_key, int *failures, int *locked);
/* Count one failure for name_key (locking it at login_max_failures) and audit "login_failed"
 * (user_id 0 when no account has the name). */
jg_rc jg_login_failed(jg_req *req, const char *name_key, const char *username, int64_t user_id);
/* Clear the failures of name_key (after a successful login, or an administrator's unlock). */
jg_rc jg_login_forget_failures(jg_db *db, const char *name_key);

#endif
