/* Demo data: accounts and generated projects, placed in the regions of platform/regions.h (the
 * registries and project parties: seed_registry.c). */
#include "platform/seed.h"

#include "platform/dict.h"
#include "platform/keys.h"
#include "platform/regions.h"
#include "platform/roles.h"
#include "platform/sealed.h"
#include "platform/seed_int.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const jg_demo_account jg_demo_accounts[] = {
    {"admin", "Jg@demo2026", "系统管理员", "platform_admin", "35", "admin"},
    {"secadmin", "Jg@demo2026", "安全管理员", "security_admin", "35", "admin"},
    {"auditor", "Jg@demo2026", "审计员", "auditor", "35", "admin"},
    {"province", "Jg@demo2026", "省住建厅管理员", "province_admin", "35", "government"},
    {"fuzhou", "Jg@demo2026", "福州市建设工程质量安全监督站", "inspector", "3501", "government"},
    {"gulou", "Jg@demo2026", "鼓楼区监督员", "inspector", "350102", "government"},
    {"xiamen", "Jg@demo2026", "厦门市建设工程质量安全监督站", "inspector", "3502", "government"},
    {"gulou_chief", "Jg@demo2026", "鼓楼区监督站站长", "station_chief", "350102", "government"},
    {"fuzhou_clerk", "Jg@demo2026", "福州市窗口受理员", "clerk", "3501", "government"},
    {"expert", "Jg@demo2026", "评审专家", "expert", "35", "expert"},
    {"contractor", "Jg@demo2026", "福建榕建工程有限公司", "enterprise_admin", "350102", "enterprise"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

struct seed {
    jg_region *regions;
    int nregions;
    long nprojects;
    char now[32];
    unsigned char field_key[JG_SM4_KEY_LEN]; /* seals ID numbers and phones, as the server does */
};

/* Phones of a few demo accounts, for SMS login: sealed, blind-indexed and masked as in production. */
static const struct {
    const char *username, *phone;
} demo_phones[] = {
    {"fuzhou", "13800000002"},
    {"gulou", "13800000003"},
    {"xiamen", "13800000004"},
    {"contractor", "13800000008"},
};

/* Give the accounts of demo_phones their phone, unless they have one already. */
static jg_rc set_phones(jg_conn *c, void *ud)
{
    struct seed *s = ud;
    for (size_t i = 0; i < sizeof(demo_phones) / sizeof(demo_phones[0]); i++) {
        const char *phone = demo_phones[i].phone;
        jg_sealed sp;
        jg_rc rc = jg_sealed_make(s->field_key, "app_user.phone", "phone", phone, &sp);
        jg_value p[] = {JG_VTEXT(sp.enc), JG_VTEXT(sp.bidx), JG_VTEXT(sp.mask),
                        JG_VTEXT(demo_phones[i].username)};
        if (rc == JG_OK)
            rc = jg_db_exec(c,
                            "UPDATE app_user SET phone_enc = $1, phone_bidx = $2, phone_mask = $3"
                            " WHERE username = $4 AND phone_bidx IS NULL",
                            p, 4, NULL);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static jg_rc insert_accounts(jg_conn *c, void *ud)
{
    struct seed *s = ud;
    for (const jg_demo_account *a = jg_demo_accounts; a->username != NULL; a++) {
        jg_rows *have;
        jg_value who[] = {JG_VTEXT(a->username)};
        jg_rc rc = jg_db_query(c, "SELECT id FROM app_user WHERE username = $1", who, 1, &have);
        if (rc != JG_OK)
            return rc;
        int exists = jg_rows_count(have) > 0;
        jg_rows_free(have);
        if (exists)
            continue;
        char hash[JG_PASSWORD_HASH_MAX];
        rc = jg_password_hash(a->password, JG_PASSWORD_ITERATIONS, hash, sizeof(hash));
        if (rc != JG_OK)
            return rc;
        /* Demo passwords are published, so they are not "initial" ones that must be changed.
         * Government staff work at their region's supervision station. */
        jg_value p[] = {JG_VTEXT(a->username), JG_VTEXT(hash),        JG_VTEXT(a->display_name),
                        JG_VTEXT(a->role),     JG_VTEXT(a->org_code), JG_VTEXT(a->kind),
                        JG_VTEXT(s->now)};
        rc = jg_db_exec(c,
                        "INSERT INTO app_user (username, password_hash, display_name, role, org_code, kind,"
                        " department_id, must_change_password, password_changed_at, created_at, updated_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM department WHERE $6 = 'government'"
                        " AND code = $5 || '-station'), 0, $7, $7, $7)",
                        p, 7, NULL);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

/* splitmix64: a small deterministic generator, so demo data is the same on every machine. */
static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const char *pick(uint64_t *st, const char *const *list, size_t n)
{
    return list[next(st) % n];
}
#define PICK(st, list) pick(st, list, sizeof(list) / sizeof(list[0]))

static const char *const places[] = {"东湖", "西河", "南山", "北岭", "金港", "江滨", "榕城", "海峡",
                                     "滨海", "龙湖", "青山", "凤凰", "紫阳", "白鹭", "丝路", "闽江"};
static const char *const kinds[] = {"安置房",   "商住楼",   "中学教学楼", "医院门诊楼", "产业园厂房",
                                    "市政道路", "跨江大桥", "污水处理厂", "体育中心",   "商业综合体"};
static const char *const phases[] = {"", "（一期）", "（二期）", "（三期）"};
static const char *const firms[] = JG_SEED_FIRMS;

#define BATCH 400
#define PROJECT_COLS 14

struct batch {
    struct seed *s;
    long first, count; /* project numbers [first, first + count) */
};

static const char *const statuses[] = {"under_construction", "under_construction", "under_construction",
                                       "under_construction", "under_construction", "under_construction",
                                       "registered",         "suspended",          "completed",
                                       "completed"};

/* Fill the PROJECT_COLS values of project number k; text goes into the arena. */
static void make_project(struct seed *s, long k, jg_arena *a, jg_value *v)
{
    uint64_t st = 0x6A69616E6775616EULL ^ (uint64_t)k * 0x9E3779B97F4A7C15ULL;
    const jg_region *county;
    /* A few 鼓楼 projects built by the demo contractor or its rival (enterprise data scope). */
    int demo = k < 400 && k % 8 == 3;
    do
        county = &s->regions[next(&st) % (uint64_t)s->nregions];
    while (strcmp(county->level, "county") != 0 || county->hidden ||
           (demo && strcmp(county->code, JG_SEED_GULOU) != 0));
    const char *place = PICK(&st, places), *kind = PICK(&st, kinds);
    int year = 2016 + (int)(next(&st) % 11);
    int month = 1 + (int)(next(&st) % 12), day = 1 + (int)(next(&st) % 28);
    if (year == 2026 && month > 10) /* no registrations dated after the demo data was made */
        month = 10;
    const char *firm = PICK(&st, firms);
    v[0] = JG_VTEXT(jg_arena_printf(a, "BJ%s%04d%07ld", county->code, year, k + 1));
    v[1] = JG_VTEXT(jg_arena_printf(a, "%s%s%s%s", county->name, place, kind, PICK(&st, phases)));
    v[2] = JG_VTEXT(county->code);
    v[3] = JG_VTEXT(jg_arena_printf(a, "%s%s路%d号", county->name, place, 1 + (int)(next(&st) % 300)));
    v[5] = JG_VTEXT(demo ? (k % 16 == 3 ? JG_SEED_CONTRACTOR : JG_SEED_CONTRACTOR2)
                         : jg_arena_printf(a, JG_SEED_CONTRACTOR_FMT, firm));
    v[6] = JG_VTEXT(jg_arena_printf(a, JG_SEED_SUPERVISOR_FMT, PICK(&st, firms)));
    v[7] = JG_VTEXT(PICK(&st, statuses));
    v[8] = JG_VTEXT(jg_arena_printf(a, "%04d-%02d-%02d", year, month, day));
    v[9] = JG_VREAL((double)(1000 + next(&st) % 199000) + (double)(next(&st) % 100) / 100.0);
    v[10] = JG_VREAL((double)(500 + next(&st) % 499500) + (double)(next(&st) % 100) / 100.0);
    v[11] = JG_VTEXT(s->now);
    v[12] = JG_VTEXT(s->now);
    v[13] = JG_VINT(1);
    /* Half are built for the city's own development group, an owner in the registry. */
    const jg_region *city = county;
    for (int i = 0; i < s->nregions; i++)
        if (strcmp(s->regions[i].code, county->parent) == 0)
            city = &s->regions[i];
    v[4] = JG_VTEXT(next(&st) % 2 ? jg_arena_printf(a, JG_SEED_OWNER_FMT, city->name)
                                  : jg_arena_printf(a, "%s%s建设发展有限公司", county->name, place));
}

static jg_rc insert_projects(jg_conn *c, void *ud)
{
    struct batch *b = ud;
    jg_arena *a = jg_arena_new();
    jg_value *p = jg_arena_alloc(a, sizeof(jg_value) * PROJECT_COLS * (size_t)b->count);
    jg_buf sql;
    jg_buf_init(&sql, 1 << 20);
    jg_buf_puts(&sql, "INSERT INTO project (code, name, org_code, address, owner_name, contractor_name,"
                      " supervisor_firm_name, status, registered_on, area_m2, cost_wan, created_at,"
                      " updated_at, version) VALUES ");
    for (long i = 0; i < b->count; i++) {
        make_project(b->s, b->first + i, a, p + i * PROJECT_COLS);
        jg_buf_puts(&sql, i ? ", (" : "(");
        for (int col = 0; col < PROJECT_COLS; col++)
            jg_buf_printf(&sql, "%s$%ld", col ? ", " : "", i * PROJECT_COLS + col + 1);
        jg_buf_puts(&sql, ")");
    }
    jg_buf_puts(&sql, " ON CONFLICT (code) DO NOTHING");
    jg_rc rc = jg_db_exec(c, sql.data, p, (int)(PROJECT_COLS * b->count), NULL);
    jg_buf_free(&sql);
    jg_arena_free(a);
    return rc;
}

jg_rc jg_seed_demo(jg_db *db, const char *data_dir, long nprojects)
{
    struct seed s = {0};
    s.nregions = jg_regions_load(&s.regions);
    int counties = 0;
    for (int i = 0; i < s.nregions; i++)
        counties += strcmp(s.regions[i].level, "county") == 0;
    if (counties == 0) { /* the embedded division list is missing: nothing to place projects in */
        jg_error("seed: no county in the embedded division list");
        free(s.regions);
        return JG_ERR;
    }
    s.nprojects = nprojects;
    jg_time_iso_now(s.now, sizeof(s.now));
    jg_rc rc = jg_keys_secret(data_dir, "field.key", s.field_key, sizeof(s.field_key));
    if (rc == JG_OK)
        rc = jg_regions_sync(db);
    if (rc == JG_OK)
        rc = jg_roles_sync(db); /* the accounts' roles */
    if (rc == JG_OK)
        rc = jg_dict_sync(db);
    if (rc == JG_OK)
        rc = jg_db_tx(db, insert_accounts, &s);
    if (rc == JG_OK)
        rc = jg_db_tx(db, set_phones, &s);
    for (long first = 0; rc == JG_OK && first < nprojects; first += BATCH) {
        struct batch b = {&s, first, nprojects - first < BATCH ? nprojects - first : BATCH};
        rc = jg_db_tx(db, insert_projects, &b);
        if (first > 0 && first % 100000 == 0)
            jg_info("seeded %ld projects", first);
    }
    if (rc == JG_OK)
        rc = jg_seed_registry(db, s.regions, s.nregions, s.field_key, s.now);
    if (rc == JG_OK)
        rc = jg_seed_parties(db, s.now);
    if (rc == JG_OK)
        rc = jg_seed_scoring(db, s.now);
    OPENSSL_cleanse(s.field_key, sizeof(s.field_key));
    free(s.regions);
    return rc;
}

void jg_seed_print_accounts(FILE *out)
{
    fprintf(out, "| username | password | role | org_code |\n|---|---|---|---|\n");
    for (const jg_demo_account *a = jg_demo_accounts; a->username != NULL; a++)
        fprintf(out, "| %s | %s | %s | %s |\n", a->username, a->password, a->role, a->org_code);
}
