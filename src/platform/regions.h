/* Fujian's administrative tree (GB/T 2260, defs/platform/divisions.csv) and the supervising
 * departments of each region: reference data every installation has, loaded by `migrate`. */
#ifndef JG_REGIONS_H
#define JG_REGIONS_H
#include "db/db.h"

typedef struct {
    char code[8]; /* 35, 3501, 350102: GB/T 2260 without trailing "00" pairs */
    char name[64];
    char parent[8];    /* "" for the province */
    const char *level; /* province | city | county */
    int hidden;        /* kept for data, not offered in pickers (金门县) */
} jg_region;

/* The province, its cities (平潭综合实验区 as the tenth) and counties, parents first, into *out
 * (caller frees with free()). Returns the count. Never fails: the list is compiled in. */
int jg_regions_load(jg_region **out);
/* Insert what is missing of the regions and of their departments — 住建厅/局 (bureau) and
 * 质安总站/监督站 (station) — in one transaction. Safe to run again. */
jg_rc jg_regions_sync(jg_db *db);

#endif
