/* Demo data for the enterprise and person registries: 40 enterprises over the cities with valid
 * GB 32100 credit codes and qualifications (some expired), 200 persons with valid GB 11643 ID
 * numbers for their region and certificates (some expired), and project parties. */
#include "platform/seed_int.h"

#include "base/arena.h"
#include "base/buf.h"
#include "platform/idcheck.h"
#include "platform/sealed.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define NPERSONS 200
#define MAX_ENTERPRISES 48
#define ROWS_PER_INSERT 100

/* splitmix64, as in seed.c: the same rows on every machine. */
static uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#define PICK(st, list) (list[next(st) % (sizeof(list) / sizeof(list[0]))])

struct enterprise {
    const char *name, *kinds, *org_code, *legal_rep, *address;
    char code[19];
    int64_t id;
};

struct person {
    const char *name;
    char id_number[19], phone[12];
    int enterprise; /* index into the enterprises */
    jg_sealed id_sealed, phone_sealed;
    int64_t id;
};

struct gen {
    const jg_region *regions;
    int nregions;
    const unsigned char *key;
    const char *now;
    jg_arena *a;
    struct enterprise ent[MAX_ENTERPRISES];
    int nent;
    struct person per[NPERSONS];
};

static const char *const surnames[] = {"陈", "林", "黄", "张", "李", "王", "吴", "刘", "蔡", "杨",
                                       "郑", "许", "谢", "何", "郭", "洪", "曾", "邱", "罗", "苏"};
static const char *const men[] = {"建华", "志强", "国平", "文斌", "晓东", "明辉", "少华",
                                  "伟",   "斌",   "俊杰", "金水", "春生", "荣华", "家豪"};
static const char *const women[] = {"丽娟", "秀英", "海燕", "淑贞", "雅婷",
                                    "芳",   "静",   "玉兰", "美玲", "惠珍"};
static const char *const streets[] = {"五一中路", "湖东路", "八一七北路", "工业路", "湖滨南路", "丰泽街",
                                      "胜利路",   "延平路", "新华路",     "东大路", "江滨大道", "华林路"};
static const char *const phone_prefixes[] = {"135", "136", "137", "138", "139", "150", "151", "152", "158",
                                             "159", "180", "186", "187", "188", "189", "133", "177", "199"};
/* The alphabet of GB 32100 codes (no I O S V Z). */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const jg_region *region(const struct gen *g, const char *code)
{
    for (int i = 0; i < g->nregions; i++)
        if (strcmp(g->regions[i].code, code) == 0)
            return &g->regions[i];
    return NULL;
}

/* 91 (an enterprise registered with 市场监管) | the region as six digits | a GB 11714
 * organisation code (8 characters and its check character) | the GB 32100 check character. */
static void credit_code(uint64_t *st, const char *org_code, char out[19])
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    char body[9];
    body[0] = 'M';
    body[1] = 'A';
    for (int i = 2; i < 8; i++)
        body[i] = credit_alphabet[next(st) % 31];
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (body[i] <= '9' ? body[i] - '0' : body[i] - 'A' + 10) * w[i];
    int c = 11 - sum % 11;
    body[8] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    snprintf(out, 19, "91%-6.6s%.9s", org_code, body);
    for (int i = 2; i < 8; i++) /* a city (3501) is 350100 in a credit code */
        if (out[i] == ' ')
            out[i] = '0';
    out[17] = jg_idcheck_credit_check(out);
    out[18] = '\0';
}

static void add(struct gen *g, uint64_t *st, const char *name, const char *kinds, const char *org_code)
{
    struct enterprise *e = &g->ent[g->nent++];
    const jg_region *r = region(g, org_code);
    e->name = name;
    e->kinds = kinds;
    e->org_code = org_code;
    e->legal_rep =
        jg_arena_printf(g->a, "%s%s", PICK(st, surnames), next(st) % 4 ? PICK(st, men) : PICK(st, women));
    e->address = jg_arena_printf(g->a, "%s%s%d号", r != NULL ? r->name : "", PICK(st, streets),
                                 1 + (int)(next(st) % 300));
    credit_code(st, org_code, e->code);
}

static void make_enterprises(struct gen *g)
{
    static const char *const firms[] = JG_SEED_FIRMS;
    static const char *const cities[] = {"3501", "3502", "3503", "3504", "3505",
                                         "3506", "3507", "3508", "3509"};
    uint64_t st = 0x656E746572707269ULL;
    add(g, &st, JG_SEED_CONTRACTOR, "contractor", JG_SEED_GULOU);
    add(g, &st, JG_SEED_CONTRACTOR2, "contractor,crane_owner", "350104");
    for (size_t i = 0; i < sizeof(firms) / sizeof(firms[0]); i++)
        add(g, &st, jg_arena_printf(g->a, JG_SEED_CONTRACTOR_FMT, firms[i]),
            i % 3 == 0 ? "contractor,crane_owner" : "contractor", cities[i % 9]);
    for (size_t i = 0; i < sizeof(firms) / sizeof(firms[0]); i++)
        add(g, &st, jg_arena_printf(g->a, JG_SEED_SUPERVISOR_FMT, firms[i]),
            i % 4 == 1 ? "supervisor_firm,cost_consultant" : "supervisor_firm", cities[(i + 4) % 9]);
    for (int i = 0; i < g->nregions; i++)
        if (strcmp(g->regions[i].level, "city") == 0)
            add(g, &st, jg_arena_printf(g->a, JG_SEED_OWNER_FMT, g->regions[i].name), "owner",
                g->regions[i].code);
    static const struct {
        const char *name, *kinds, *org;
    } others[] = {
        {"福建省建筑工程质量检测中心有限公司", "lab", "3501"},
        {"厦门市建设工程质量检测中心有限公司", "lab", "3502"},
        {"泉州市建设工程检测有限公司", "lab", "3505"},
        {"福州榕城混凝土有限公司", "concrete_plant,lab", "3501"},
        {"厦门鹭岛商品混凝土有限公司", "concrete_plant", "3502"},
        {"漳州闽南混凝土有限公司", "concrete_plant", "3506"},
        {"福建华审工程造价咨询有限公司", "cost_consultant", "3501"},
        {"厦门正信工程造价咨询有限公司", "cost_consultant", "3502"},
        {"福建安消消防技术服务有限公司", "fire_service", "3501"},
        {"厦门鹭安消防检测有限公司", "fire_service", "3502"},
        {"福建八闽起重设备租赁有限公司", "crane_owner", "3501"},
        {"泉州宏达机械设备租赁有限公司", "crane_owner", "3505"},
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]) && g->nent < MAX_ENTERPRISES; i++)
        add(g, &st, others[i].name, others[i].kinds, others[i].org);
}

/* The county an ID number of someone from org_code's region starts with. */
static const char *home_county(const struct gen *g, uint64_t *st, const char *org_code)
{
    if (strlen(org_code) == 6)
        return org_code;
    int n = 0;
    for (int i = 0; i < g->nregions; i++)
        n += strcmp(g->regions[i].parent, org_code) == 0 && !g->regions[i].hidden;
    if (n == 0)
        return JG_SEED_GULOU;
    int k = (int)(next(st) % (uint64_t)n);
    for (int i = 0; i < g->nregions; i++)
        if (strcmp(g->regions[i].parent, org_code) == 0 && !g->regions[i].hidden && k-- == 0)
            return g->regions[i].code;
    return JG_SEED_GULOU;
}

static jg_rc make_persons(struct gen *g)
{
    for (int i = 0; i < NPERSONS; i++) {
        struct person *p = &g->per[i];
        uint64_t st = 0x706572736F6E7300ULL ^ (uint64_t)i * 0x9E3779B97F4A7C15ULL;
        p->enterprise = i % g->nent;
        int male = (int)(next(&st) % 2);
        p->name =
            jg_arena_printf(g->a, "%s%s", PICK(&st, surnames), male ? PICK(&st, men) : PICK(&st, women));
        const char *county = home_county(g, &st, g->ent[p->enterprise].org_code);
        int year = 1965 + (int)(next(&st) % 36), month = 1 + (int)(next(&st) % 12),
            day = 1 + (int)(next(&st) % 28);
        snprintf(p->id_number, sizeof(p->id_number), "%.6s%04d%02d%02d%03d", county, year, month, day,
                 (int)(next(&st) % 500) * 2 + male); /* the 17th digit is odd for men */
        p->id_number[17] = jg_idcheck_resident_check(p->id_number);
        p->id_number[18] = '\0';
        if (i % 10 != 9) /* a few have no phone on file */
            snprintf(p->phone, sizeof(p->phone), "%s%08d", PICK(&st, phone_prefixes),
                     (int)(next(&st) % 100000000));
        jg_rc rc = jg_sealed_make(g->key, "person.id_number", "id_number", p->id_number, &p->id_sealed);
        if (rc == JG_OK && p->phone[0] != '\0')
            rc = jg_sealed_make(g->key, "person.phone", "phone", p->phone, &p->phone_sealed);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

/* INSERT head VALUES (row), (row)... where each row is `cols` fresh placeholders followed by
 * row_tail; $1 is shared (the time now) and vals[0] holds it. */
static jg_rc insert_rows(jg_conn *c, const char *head, const char *row_tail, int cols, int rows,
                         const jg_value *vals, const char *tail)
{
    jg_buf sql;
    jg_buf_init(&sql, 1 << 20);
    jg_buf_puts(&sql, head);
    for (int r = 0; r < rows; r++) {
        jg_buf_puts(&sql, r ? ", (" : " VALUES (");
        for (int k = 0; k < cols; k++)
            jg_buf_printf(&sql, "$%d, ", 2 + r * cols + k);
        jg_buf_printf(&sql, "%s)", row_tail);
    }
    jg_buf_puts(&sql, tail);
    jg_rc rc = sql.overflowed ? JG_TOOLARGE : jg_db_exec(c, sql.data, vals, 1 + rows * cols, NULL);
    jg_buf_free(&sql);
    return rc;
}

static jg_rc insert_enterprises(struct gen *g, jg_conn *c)
{
    jg_value *v = jg_arena_alloc(g->a, sizeof(jg_value) * (size_t)(1 + 6 * g->nent));
    v[0] = JG_VTEXT(g->now);
    for (int i = 0; i < g->nent; i++) {
        const struct enterprise *e = &g->ent[i];
        jg_value *r = v + 1 + 6 * i;
        r[0] = JG_VTEXT(e->code);
        r[1] = JG_VTEXT(e->name);
        r[2] = JG_VTEXT(e->kinds);
        r[3] = JG_VTEXT(e->org_code);
        r[4] = JG_VTEXT(e->legal_rep);
        r[5] = JG_VTEXT(e->address);
    }
    jg_rc rc =
        insert_rows(c,
                    "INSERT INTO enterprise (credit_code, name, kinds, org_code, legal_rep, address, status,"
                    " created_at, updated_at, version)",
                    "'active', $1, $1, 1", 6, g->nent, v, " ON CONFLICT (credit_code) DO NOTHING");
    if (rc != JG_OK)
        return rc;
    jg_rows *r;
    rc = jg_db_query(c, "SELECT id, credit_code FROM enterprise", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    for (int k = 0; k < jg_rows_count(r); k++)
        for (int i = 0; i < g->nent; i++)
            if (strcmp(g->ent[i].code, jg_rows_text(r, k, 1)) == 0)
                g->ent[i].id = jg_rows_int(r, k, 0);
    jg_rows_free(r);
    for (int i = 0; i < g->nent; i++)
        if (g->ent[i].id == 0)
            return JG_ERR;
    return JG_OK;
}

/* A date of the issue year given, month and day from st, and the date years later. */
static void dates(struct gen *g, uint64_t *st, int year, int years, const char **issued, const char **expires)
{
    int month = 1 + (int)(next(st) % 12), day = 1 + (int)(next(st) % 28);
    *issued = jg_arena_printf(g->a, "%04d-%02d-%02d", year, month, day);
    *expires = jg_arena_printf(g->a, "%04d-%02d-%02d", year + years, month, day);
}

static jg_rc insert_qualifications(struct gen *g, jg_conn *c)
{
    static const struct {
        const char *kind, *category, *grades[3];
    } quals[] = {
        {"contractor", "施工总承包·建筑工程", {"特级", "一级", "二级"}},
        {"contractor", "施工总承包·市政公用工程", {"一级", "二级", "三级"}},
        {"supervisor_firm", "工程监理·房屋建筑工程", {"甲级", "甲级", "乙级"}},
        {"lab", "建设工程质量检测·主体结构及装饰装修", {"不分等级", "不分等级", "不分等级"}},
        {"concrete_plant", "专业承包·预拌混凝土", {"不分等级", "不分等级", "不分等级"}},
        {"cost_consultant", "工程造价咨询", {"甲级", "乙级", "乙级"}},
        {"fire_service", "消防技术服务·消防设施维护保养检测", {"一级", "二级", "二级"}},
        {"crane_owner", "专业承包·起重设备安装工程", {"一级", "二级", "三级"}},
    };
    int max = g->nent * (int)(sizeof(quals) / sizeof(quals[0]));
    jg_value *v = jg_arena_alloc(g->a, sizeof(jg_value) * (size_t)(1 + 6 * max));
    v[0] = JG_VTEXT(g->now);
    int n = 0;
    uint64_t st = 0x7175616C69667900ULL;
    for (int i = 0; i < g->nent; i++) {
        char kinds[128];
        snprintf(kinds, sizeof(kinds), ",%s,", g->ent[i].kinds);
        for (size_t q = 0; q < sizeof(quals) / sizeof(quals[0]); q++) {
            char word[40];
            snprintf(word, sizeof(word), ",%s,", quals[q].kind);
            if (strstr(kinds, word) == NULL)
                continue;
            /* Every fourth was issued long enough ago to have expired. */
            const char *issued, *expires;
            dates(g, &st, n % 4 == 0 ? 2019 + (int)(next(&st) % 2) : 2022 + (int)(next(&st) % 3), 5, &issued,
                  &expires);
            jg_value *r = v + 1 + 6 * n++;
            r[0] = JG_VINT(g->ent[i].id);
            r[1] = JG_VTEXT(quals[q].category);
            r[2] = JG_VTEXT(quals[q].grades[next(&st) % 3]);
            r[3] = JG_VTEXT(jg_arena_printf(g->a, "D%s%06d", "135", (int)(next(&st) % 1000000)));
            r[4] = JG_VTEXT(issued);
            r[5] = JG_VTEXT(expires);
        }
    }
    return insert_rows(c,
                       "INSERT INTO enterprise_qualification (enterprise_id, category, grade, certificate_no,"
                       " issued_on, expires_on, status, created_at, updated_at)",
                       "'active', $1, $1", 6, n, v, "");
}

static jg_rc insert_persons(struct gen *g, jg_conn *c)
{
    jg_value *v = jg_arena_alloc(g->a, sizeof(jg_value) * (1 + 9 * ROWS_PER_INSERT));
    v[0] = JG_VTEXT(g->now);
    jg_rc rc = JG_OK;
    for (int first = 0; rc == JG_OK && first < NPERSONS; first += ROWS_PER_INSERT) {
        int rows = NPERSONS - first < ROWS_PER_INSERT ? NPERSONS - first : ROWS_PER_INSERT;
        for (int i = 0; i < rows; i++) {
            const struct person *p = &g->per[first + i];
            int phone = p->phone[0] != '\0';
            jg_value *r = v + 1 + 9 * i;
            r[0] = JG_VTEXT(p->name);
            r[1] = JG_VTEXT(p->id_sealed.enc);
            r[2] = JG_VTEXT(p->id_sealed.bidx);
            r[3] = JG_VTEXT(p->id_sealed.mask);
            r[4] = phone ? JG_VTEXT(p->phone_sealed.enc) : JG_VNULL;
            r[5] = phone ? JG_VTEXT(p->phone_sealed.bidx) : JG_VNULL;
            r[6] = phone ? JG_VTEXT(p->phone_sealed.mask) : JG_VNULL;
            r[7] = JG_VTEXT((p->id_number[16] - '0') % 2 == 1 ? "M" : "F"); /* odd 17th digit: male */
            r[8] = JG_VINT(g->ent[p->enterprise].id);
        }
        rc = insert_rows(
            c,
            "INSERT INTO person (name, id_number_enc, id_number_bidx, id_number_mask, phone_enc,"
            " phone_bidx, phone_mask, gender, enterprise_id, status, created_at, updated_at, version)",
            "'active', $1, $1, 1", 9, rows, v, " ON CONFLICT (id_number_bidx) DO NOTHING");
    }
    if (rc != JG_OK)
        return rc;
    jg_rows *r;
    rc = jg_db_query(c, "SELECT id, id_number_bidx FROM person", NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    for (int k = 0; k < jg_rows_count(r); k++)
        for (int i = 0; i < NPERSONS; i++)
            if (strcmp(g->per[i].id_sealed.bidx, jg_rows_text(r, k, 1)) == 0)
                g->per[i].id = jg_rows_int(r, k, 0);
    jg_rows_free(r);
    return JG_OK;
}

/* The certificates a person of an enterprise of these kinds holds (k-th of at most two). */
static void certificate_of(const char *kinds, int i, int k, uint64_t *st, const char **kind,
                           const char **specialty, const char **prefix)
{
    static const char *const constructor_specialties[] = {"建筑工程", "市政公用工程", "机电工程"};
    *kind = NULL;
    *specialty = "";
    *prefix = "";
    int contractor = strncmp(kinds, "contractor", 10) == 0;
    if (contractor && i % 3 == 0) { /* a project manager: registered constructor with a B certificate */
        *kind = k == 0 ? "registered_constructor" : "safety_b";
        *specialty = k == 0 ? PICK(st, constructor_specialties) : "";
        *prefix = k == 0 ? "闽135" : "闽建安B";
    } else if (k > 0) {
        return;
    } else if (contractor) {
        *kind = "safety_c", *prefix = "闽建安C";
    } else if (strncmp(kinds, "supervisor_firm", 15) == 0) {
        *kind = "registered_supervisor", *specialty = "房屋建筑工程", *prefix = "35";
    } else if (strncmp(kinds, "cost_consultant", 15) == 0) {
        *kind = "registered_cost_engineer", *specialty = "土木建筑工程", *prefix = "建造1";
    } else if (strncmp(kinds, "fire_service", 12) == 0) {
        *kind = "registered_fire_engineer", *specialty = "一级", *prefix = "XF35";
    } else if (strncmp(kinds, "crane_owner", 11) == 0) {
        *kind = "special_operation", *specialty = "建筑起重机械司机（塔式起重机）", *prefix = "闽T";
    } else if (strncmp(kinds, "lab", 3) == 0 || strncmp(kinds, "concrete_plant", 14) == 0) {
        *kind = "other", *specialty = "检测试验员", *prefix = "JC35";
    }
}

static jg_rc insert_certificates(struct gen *g, jg_conn *c)
{
    jg_value *v = jg_arena_alloc(g->a, sizeof(jg_value) * (1 + 6 * ROWS_PER_INSERT));
    v[0] = JG_VTEXT(g->now);
    uint64_t st = 0x6365727469666963ULL;
    jg_rc rc = JG_OK;
    int rows = 0;
    for (int i = 0; rc == JG_OK && i < NPERSONS; i++) {
        const struct person *p = &g->per[i];
        for (int k = 0; k < 2 && p->id != 0; k++) {
            const char *kind, *specialty, *prefix, *issued, *expires;
            certificate_of(g->ent[p->enterprise].kinds, i, k, &st, &kind, &specialty, &prefix);
            if (kind == NULL)
                continue;
            /* Valid three years: one person in six holds one issued in 2020 or 2021, expired. */
            dates(g, &st, i % 6 == 0 ? 2020 + (int)(next(&st) % 2) : 2024 + (int)(next(&st) % 2), 3, &issued,
                  &expires);
            jg_value *r = v + 1 + 6 * rows++;
            r[0] = JG_VINT(p->id);
            r[1] = JG_VTEXT(kind);
            r[2] = JG_VTEXT(jg_arena_printf(g->a, "%s%08d", prefix, (int)(next(&st) % 100000000)));
            r[3] = JG_VTEXT(specialty);
            r[4] = JG_VTEXT(issued);
            r[5] = JG_VTEXT(expires);
        }
        if (rows > ROWS_PER_INSERT - 2 || (i == NPERSONS - 1 && rows > 0)) {
            rc = insert_rows(c,
                             "INSERT INTO person_certificate (person_id, kind, certificate_no, specialty,"
                             " issued_on, expires_on, status, created_at, updated_at)",
                             "'active', $1, $1", 6, rows, v, "");
            rows = 0;
        }
    }
    return rc;
}

/* Link projects to the enterprises named as their parties; what is there already stays. */
static jg_rc parties_tx(jg_conn *c, void *ud)
{
    static const char *const sql[] = {
        "INSERT INTO project_party (project_id, enterprise_id, role, created_at)"
        " SELECT p.id, e.id, 'owner', $1 FROM project p JOIN enterprise e ON e.name = p.owner_name"
        " WHERE p.owner_name <> '' ON CONFLICT (enterprise_id, project_id, role) DO NOTHING",
        "INSERT INTO project_party (project_id, enterprise_id, role, created_at)"
        " SELECT p.id, e.id, 'contractor', $1 FROM project p JOIN enterprise e ON e.name = p.contractor_name"
        " WHERE p.contractor_name <> '' ON CONFLICT (enterprise_id, project_id, role) DO NOTHING",
        "INSERT INTO project_party (project_id, enterprise_id, role, created_at)"
        " SELECT p.id, e.id, 'supervisor_firm', $1 FROM project p JOIN enterprise e"
        " ON e.name = p.supervisor_firm_name WHERE p.supervisor_firm_name <> ''"
        " ON CONFLICT (enterprise_id, project_id, role) DO NOTHING",
    };
    jg_value now[] = {JG_VTEXT((const char *)ud)};
    jg_rc rc = JG_OK;
    for (size_t i = 0; rc == JG_OK && i < sizeof(sql) / sizeof(sql[0]); i++)
        rc = jg_db_exec(c, sql[i], now, 1, NULL);
    return rc;
}

static jg_rc registry_tx(jg_conn *c, void *ud)
{
    struct gen *g = ud;
    jg_rows *r;
    jg_value first[] = {JG_VTEXT(g->ent[0].code)};
    jg_rc rc = jg_db_query(c, "SELECT id FROM enterprise WHERE credit_code = $1", first, 1, &r);
    if (rc != JG_OK)
        return rc;
    int seeded = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (!seeded) {
        for (int i = 0; i < g->nent; i++)
            g->ent[i].id = 0;
        for (int i = 0; i < NPERSONS; i++)
            g->per[i].id = 0;
        rc = insert_enterprises(g, c);
        if (rc == JG_OK)
            rc = insert_qualifications(g, c);
        if (rc == JG_OK)
            rc = insert_persons(g, c);
        if (rc == JG_OK)
            rc = insert_certificates(g, c);
    }
    jg_value bind[] = {JG_VTEXT(g->ent[0].code), JG_VTEXT(JG_SEED_ACCOUNT)};
    if (rc == JG_OK)
        rc = jg_db_exec(
            c,
            "UPDATE app_user SET enterprise_id = (SELECT id FROM enterprise WHERE credit_code = $1)"
            " WHERE username = $2 AND enterprise_id IS NULL",
            bind, 2, NULL);
    return rc;
}

jg_rc jg_seed_registry(jg_db *db, const jg_region *regions, int nregions,
                       const unsigned char key[JG_SM4_KEY_LEN], const char *now)
{
    jg_arena *a = jg_arena_new();
    struct gen *g = jg_arena_zalloc(a, sizeof(*g));
    g->regions = regions;
    g->nregions = nregions;
    g->key = key;
    g->now = now;
    g->a = a;
    make_enterprises(g);
    jg_rc rc = make_persons(g);
    if (rc == JG_OK)
        rc = jg_db_tx(db, registry_tx, g);
    OPENSSL_cleanse(g->per, sizeof(g->per)); /* the plain ID numbers and phones */
    jg_arena_free(a);
    return rc;
}

jg_rc jg_seed_parties(jg_db *db, const char *now)
{
    return jg_db_tx(db, parties_tx, (void *)now);
}
