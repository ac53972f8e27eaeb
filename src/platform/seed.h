/* Demo data: the administrative tree, demo accounts and generated projects. */
#ifndef JG_SEED_H
#define JG_SEED_H
#include "db/db.h"

#include <stdio.h>

typedef struct {
    const char *username, *password, *display_name, *role, *org_code, *kind;
} jg_demo_account;

/* The demo accounts, terminated by an entry with username == NULL. Static; cannot fail. */
extern const jg_demo_account jg_demo_accounts[];

/* Insert what is missing of the regions, the demo accounts, the enterprise and person registries
 * and nprojects generated projects (deterministic: the same n gives the same rows). Sensitive
 * fields are sealed with the field key in data_dir/keys/field.key (made when missing). Safe to
 * run again. */
jg_rc jg_seed_demo(jg_db *db, const char *data_dir, long nprojects);
/* Print the demo accounts as a Markdown table (username | password | role | org_code). */
void jg_seed_print_accounts(FILE *out);

#endif
