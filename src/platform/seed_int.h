/* What the demo-data generators share (seed.c: accounts and projects; seed_registry.c: the
 * enterprise and person registries, and which enterprises take part in which projects).
 * Not a public API: only src/platform includes it. */
#ifndef JG_SEED_INT_H
#define JG_SEED_INT_H
#include "crypto/crypto.h"
#include "db/db.h"
#include "platform/regions.h"

/* Firms that build and supervise the generated projects: a project's contractor is
 * JG_SEED_CONTRACTOR_FMT and its supervisor JG_SEED_SUPERVISOR_FMT of one of them, and each is an
 * enterprise of the registry under that name. */
#define JG_SEED_FIRMS                                                                                        \
    {                                                                                                        \
        "榕建", "闽安", "海西", "八闽", "鹭岛", "泉港", "武夷", "三山"                                     \
    }
#define JG_SEED_CONTRACTOR_FMT "福建%s建工集团有限公司"
#define JG_SEED_SUPERVISOR_FMT "福建%s工程监理有限公司"
/* The owner enterprise of a city (its name after the format): owner of part of its projects. */
#define JG_SEED_OWNER_FMT "%s城市建设发展集团有限公司"
/* The enterprise of the demo account "contractor", and a second contractor: they build a few
 * projects in 鼓楼 (JG_SEED_GULOU) each, so that neither sees the other's. */
#define JG_SEED_CONTRACTOR "福建榕建工程有限公司"
#define JG_SEED_CONTRACTOR2 "福建闽江建设工程有限公司"
#define JG_SEED_GULOU "350102"
#define JG_SEED_ACCOUNT "contractor"

/* Insert the registry's demo enterprises with qualifications, persons (ID numbers and phones
 * sealed under key, as the server does) with certificates, in one transaction, unless they are
 * there already; then bind the JG_SEED_ACCOUNT account to JG_SEED_CONTRACTOR when it has no
 * enterprise. Deterministic apart from the seals' random IVs. */
jg_rc jg_seed_registry(jg_db *db, const jg_region *regions, int nregions,
                       const unsigned char key[JG_SM4_KEY_LEN], const char *now);
/* Link every project to the registry's enterprises named as its owner, contractor and
 * supervisor (project_party), adding only what is missing. */
jg_rc jg_seed_parties(jg_db *db, const char *now);
/* Insert the demo clause library (2018 and 2025 editions, seed_scoring.c) into e_score_clause, adding
 * only the clauses missing, in one transaction. */
jg_rc jg_seed_scoring(jg_db *db, const char *now);

#endif
