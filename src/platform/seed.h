/* Demo data: the administrative tree, demo accounts and generated projects. */
#ifndef JG_SEED_H
#define JG_SEED_H
#include "db/db.h"

#include <stdint.h>
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
/* Demo data at 1/divisor of provincial scale (1: 20,000 enterprises, 200,000 persons with
 * certificates, 100,000 项目报监 records in e_registration with units, persons, hazards and
 * contracts; 10: a city's worth; 100: a county's), deterministic by seed: the same seed gives the
 * same rows apart from the seals' random IVs (blind indexes and masks are the same under the same
 * field key). Records are in the states draft and registered only (no workflow rows). Run after
 * jg_seed_demo; does nothing if the data of this seed and scale is there. JG_INVALID for a divisor
 * outside 1..100. See docs/demo-data.md. */
jg_rc jg_seed_scale(jg_db *db, const char *data_dir, int divisor, uint64_t seed);
/* Print the demo accounts as a Markdown table (username | password | role | org_code). */
void jg_seed_print_accounts(FILE *out);

#endif
