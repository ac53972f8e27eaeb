/* The 三员 accounts from the command line: how an installation gets its first administrators,
 * and the break-glass reset for them (no API may change a 三员 account). */
#ifndef JG_ADMIN_CLI_H
#define JG_ADMIN_CLI_H
#include "db/db.h"
#include "platform/password.h"

#define JG_ADMIN_USERNAME_MAX 64

/* For role (platform_admin | security_admin | auditor): create its account (named admin,
 * secadmin or auditor) when no active account holds the role, else give the first one a new
 * password; either way with a random initial password that must be changed at the next login,
 * the name's login failures cleared and the account's sessions ended, audited as "admin_password"
 * by the command line. Writes the account's name and the password. JG_INVALID for another role. */
jg_rc jg_admin_password(jg_db *db, const char *data_dir, const char *role,
                        char username[JG_ADMIN_USERNAME_MAX + 1], char password[JG_PASSWORD_INITIAL_LEN + 1]);

#endif
