/* Login sessions kept in the database, so several server nodes share them.
 *
 * The cookie carries 32 random bytes (base64url); the database keeps only their SM3 hash, so a
 * copy of the session table cannot be used to log in. Each session has its own CSRF token. */
#ifndef JG_SESSION_H
#define JG_SESSION_H
#include "base/arena.h"
#include "db/db.h"

#include <stdint.h>

#define JG_SESSION_TOKEN_LEN 43 /* base64url of 32 bytes, without padding */
#define JG_SESSION_CSRF_LEN 64  /* hex of 32 bytes */

/* Who is calling, as a session says. Strings live in the arena given to jg_session_lookup. */
typedef struct {
    int64_t session_id, user_id;
    int64_t department_id, enterprise_id, person_id; /* 0 when the user has none */
    const char *username, *display_name, *role, *kind, *org_code, *csrf_token;
    const char *scope;       /* the role's data scope: department | region | province | enterprise | none */
    const char *permissions; /* the role's permission codes, a JSON array of strings */
    int must_change_password;
} jg_principal;

/* 1 when p's role holds permission. */
int jg_principal_can(const jg_principal *p, const char *permission);

typedef struct {
    int idle_s;             /* a session unused this long ends */
    int absolute_s;         /* and any session ends this long after login */
    int password_max_age_s; /* a password older than this must be changed before anything else */
} jg_session_limits;

/* Create a session for user_id on connection c (in the caller's transaction). Writes the cookie
 * value to token (JG_SESSION_TOKEN_LEN + 1 bytes) and the CSRF token to csrf
 * (JG_SESSION_CSRF_LEN + 1 bytes). */
jg_rc jg_session_create(jg_conn *c, int64_t user_id, const char *ip, const jg_session_limits *limits,
                        char *token, char *csrf);
/* Find the live session for a cookie value: JG_OK with *out (arena-allocated), or JG_UNAUTHORIZED
 * when there is none, it was revoked, or it passed a limit. Refreshes last_seen_at at most once a
 * minute. JG_UNAVAILABLE when the database is down. */
jg_rc jg_session_lookup(jg_db *db, const char *token, const jg_session_limits *limits, jg_arena *a,
                        jg_principal **out);
/* End a session (logout). */
jg_rc jg_session_revoke(jg_db *db, int64_t session_id);

#endif
