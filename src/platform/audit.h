/* The audit log (等保三级): an append-only table whose rows form an HMAC-SM3 hash chain.
 *
 * hash(n) = HMAC-SM3(key, hash(n-1) | 0x1f | at | 0x1f | user_id | ... | detail), hex; hash(0) = "".
 * audit_head holds the newest hash; updating it first makes concurrent writers take turns. */
#ifndef JG_AUDIT_H
#define JG_AUDIT_H
#include "db/db.h"

#include <stdint.h>

#define JG_AUDIT_KEY_LEN 32

typedef struct {
    int64_t user_id;                                                  /* 0: nobody logged in */
    const char *username, *ip, *action, *entity, *record_id, *detail; /* NULL allowed; detail is JSON */
} jg_audit_entry;

/* Append e to the chain on c, inside the caller's write transaction (JG_BUSY when another
 * writer got there first: the transaction is retried). */
jg_rc jg_audit_append(jg_conn *c, const unsigned char key[JG_AUDIT_KEY_LEN], const jg_audit_entry *e);
/* Walk the whole chain. JG_OK if intact (*rows = rows checked); JG_CONFLICT if a row was
 * changed, removed or inserted behind the server's back (*first_bad = the first row whose hash
 * does not follow, or -1 when only audit_head disagrees). */
jg_rc jg_audit_verify(jg_db *db, const unsigned char key[JG_AUDIT_KEY_LEN], int64_t *rows,
                      int64_t *first_bad);

#endif
