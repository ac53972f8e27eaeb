/* Password policy (等保三级): length and character classes, reuse, expiry. */
#ifndef JG_PASSWORD_H
#define JG_PASSWORD_H
#include "base/rc.h"
#include "db/db.h"

#include <stdint.h>

#define JG_PASSWORD_MIN_LEN 8
#define JG_PASSWORD_MAX_LEN 64
#define JG_PASSWORD_HISTORY 5
#define JG_PASSWORD_INITIAL_LEN 12

/* NULL if password is acceptable by itself, else the Chinese reason: at least 8 and at most 64
 * characters, and at least 3 of the 4 classes (upper case, lower case, digits, other). */
const char *jg_password_weakness(const char *password, const char *username);
/* JG_CONFLICT if password equals user_id's current one or one of the JG_PASSWORD_HISTORY - 1
 * before it, JG_OK if not, JG_NOTFOUND for no such user. Runs PBKDF2 once per stored hash, so
 * call it outside a write transaction. */
jg_rc jg_password_reused(jg_db *db, int64_t user_id, const char *password);
/* A random initial password for username into out: JG_PASSWORD_INITIAL_LEN characters of the
 * policy's four classes, without look-alike characters. JG_ERR only if randomness fails. */
jg_rc jg_password_initial(const char *username, char out[JG_PASSWORD_INITIAL_LEN + 1]);
/* Give user_id the password hash new_hash on c (in the caller's transaction): the old hash goes
 * to password_history and must_change_password is cleared. */
jg_rc jg_password_set(jg_conn *c, int64_t user_id, const char *new_hash);

#endif
