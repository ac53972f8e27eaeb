/* Demo data at provincial scale, the registry half: enterprises with qualifications, persons
 * (ID numbers and phones sealed as the server seals them) with certificates. See seed_scale.c. */
#include "platform/seed_scale_int.h"

#include "platform/idcheck.h"
#include "platform/sealed.h"

#include "base/arena.h"
#include "base/buf.h"
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* Enterprise kinds by index: i % 20 of these. */
static const int kind_of_slot[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5};
static const char *const kind_codes[] = {"contractor", "supervisor_firm", "owner",
                                         "designer",   "surveyor",        "lab"};

/* The i-th UTF-8 character (3 bytes: CJK) of s, into out (4 bytes). */
static const char *cjk(const char *s, long i, char out[4])
{
    memcpy(out, s + 3 * i, 3);
    out[3] = '\0';
    return out;
}

/* Surnames with their frequency in Fujian (per mille, approximate). */
static const struct {
    const char *name;
    int weight;
} surnames[] = {
    {"陈", 110}, {"林", 90}, {"黄", 60}, {"张", 45}, {"李", 45}, {"王", 35}, {"吴", 35}, {"刘", 30},
    {"蔡", 25},  {"杨", 25}, {"郑", 25}, {"许", 20}, {"谢", 20}, {"何", 15}, {"郭", 15}, {"洪", 15},
    {"曾", 15},  {"邱", 12}, {"罗", 12}, {"苏", 12}, {"庄", 12}, {"江", 10}, {"叶", 10}, {"周", 10},
    {"游", 8},   {"施", 8},  {"詹", 7},  {"沈", 7},  {"彭", 6},  {"卢", 6},  {"赖", 6},  {"魏", 5},
    {"徐", 5},   {"朱", 5},  {"潘", 5},  {"方", 5},  {"傅", 5},  {"连", 4},  {"柯", 4},  {"余", 4},
};
static const char *const men[] = {"建华", "志强", "国平", "文斌", "晓东", "明辉", "少华", "俊杰",
                                  "金水", "春生", "荣华", "家豪", "建平", "志明", "国强", "永福",
                                  "清泉", "海波", "文华", "德胜", "伟",   "斌",   "勇",   "涛",
                                  "鹏",   "强",   "杰",   "峰",   "辉",   "鑫"};
static const char *const women[] = {"丽娟", "秀英", "海燕", "淑贞", "雅婷", "玉兰", "美玲",
                                    "惠珍", "秀琴", "丽华", "晓燕", "婷婷", "丽萍", "雪梅",
                                    "秀芳", "燕",   "芳",   "静",   "琳",   "艳"};
/* Trade names (字号) are a character of each list: 100 x 100 names, so that the enterprises of
 * one kind (fewer than 10,000 at province scale) never share one. */
static const char trade1[] =
    "恒鑫宏宇华泰永盛建安鸿源中天福瑞金鼎海晟隆兴长城正大信达顺通联合新世纪远航东方南北辰西岭开元博创美嘉"
    "禾万家百千禧龙腾凤鸣祥云丰振昌卓越明珠夏成图益广厦筑梦磐石基业聚力国志伟立诚德润锦乾坤泓森川磊晶阳辉";
static const char trade2[] =
    "达泰源兴盛发丰利成信和安隆昌通顺祥瑞华泽宇辰晟鑫荣茂恒嘉益德誉康乐润鹏程锦坤乾元泓涛峰岳森林川海磊晶"
    "阳辉明光启越拓展远航创新合力同心诚实守正立本固基景宏业精工骏驰腾飞凯旋豪杰俊彦智慧文博雅颂弘毅强胜捷";
static const char *const streets[] = {"五一中路", "湖东路", "八一七北路", "工业路", "湖滨南路", "丰泽街",
                                      "胜利路",   "延平路", "新华路",     "东大路", "江滨大道", "华林路"};
/* The alphabet of GB 32100 codes (no I O S V Z). */
static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static const char *person_name(jg_arena *a, uint64_t *st, int male)
{
    int sum = 0;
    for (long i = 0; i < COUNT(surnames); i++)
        sum += surnames[i].weight;
    int x = (int)(next(st) % (uint64_t)sum);
    const char *sn = surnames[0].name;
    for (long i = 0; i < COUNT(surnames); i++) {
        if (x < surnames[i].weight) {
            sn = surnames[i].name;
            break;
        }
        x -= surnames[i].weight;
    }
    return jg_arena_printf(a, "%s%s", sn, male ? PICK(st, men) : PICK(st, women));
}

static const char *const phone_prefixes[] = {"135", "136", "137", "138", "139", "150", "151", "152", "158",
                                             "159", "180", "186", "187", "188", "189", "133", "177", "199"};

void jg_scale_phone(uint64_t *st, char out[12])
{
    snprintf(out, 12, "%s%08d", PICK(st, phone_prefixes), (int)(next(st) % 100000000));
}

/* ---- enterprises ---- */

int jg_scale_ent_kind(long e)
{
    return kind_of_slot[e % 20];
}

/* The county of enterprise e (deterministic). */
const struct county *jg_scale_ent_county(const struct scale *s, long e)
{
    uint64_t st = rng(s, 1, e);
    return jg_scale_pick_county(s, &st);
}

/* The credit code of enterprise e: 91, its county, a GB 11714 code MA + six characters unique to e
 * and its check character, then the GB 32100 check character. */
void jg_scale_ent_code(const struct scale *s, long e, char out[19])
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    uint64_t x = ((uint64_t)e * 7919u + s->seed * 104729u) % 887503681u; /* 31^6: unique for e < 31^6 */
    char body[9] = "MA";
    for (int i = 7; i >= 2; i--, x /= 31)
        body[i] = credit_alphabet[x % 31];
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (body[i] <= '9' ? body[i] - '0' : body[i] - 'A' + 10) * w[i];
    int c = 11 - sum % 11;
    body[8] = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    snprintf(out, 19, "91%.6s%.8s%c", jg_scale_ent_county(s, e)->r->code, body, body[8]);
    out[17] = jg_idcheck_credit_check(out);
    out[18] = '\0';
}

static const char *ent_name(const struct scale *s, jg_arena *a, long e)
{
    static const char *const contractor[] = {"建设工程有限公司", "建筑工程有限公司", "建设集团有限公司",
                                             "建工集团有限公司", "市政工程有限公司", "建设发展有限公司"};
    static const char *const owner[] = {"房地产开发有限公司", "置业有限公司", "城市建设投资有限公司",
                                        "实业有限公司", "开发建设有限公司"};
    static const char *const other[] = {"工程监理有限公司", "", "建筑设计研究院有限公司",
                                        "岩土工程勘察有限公司", "建设工程检测有限公司"};
    uint64_t st = rng(s, 2, e);
    long rank = 0;
    for (long k = 0; k < e % 20; k++)
        rank += kind_of_slot[k] == jg_scale_ent_kind(e);
    long slots = 0;
    for (long k = 0; k < 20; k++)
        slots += kind_of_slot[k] == jg_scale_ent_kind(e);
    rank += e / 20 * slots; /* the rank of e among enterprises of its kind */
    /* unique among the enterprises of a kind (rank < 10000); kinds start at different names */
    long t = (rank * 7919 + (long)(s->seed % 10000) + jg_scale_ent_kind(e) * 3571L) % 10000;
    char c1[4], c2[4];
    const struct county *co = jg_scale_ent_county(s, e);
    const jg_region *city = jg_scale_find_region(s, co->city);
    const char *where =
        jg_scale_short_name(a, next(&st) % 3 ? (city != NULL ? city->name : co->r->name) : co->r->name);
    int k = jg_scale_ent_kind(e);
    const char *suffix = k == K_CONTRACTOR ? PICK(&st, contractor)
                         : k == K_OWNER    ? PICK(&st, owner)
                                           : other[k == K_SUPERVISOR ? 0 : k - 1];
    return jg_arena_printf(a, "%s%s%s%s", where, cjk(trade1, t / 100, c1), cjk(trade2, t % 100, c2), suffix);
}

static jg_rc insert_enterprises(struct scale *s, jg_conn *c)
{
    int64_t before;
    jg_rc rc = jg_scale_max_id(c, MAX_ID_SQL("enterprise"), &before);
    jg_arena *a = jg_arena_new();
    struct bulk b;
    jg_scale_bulk_init(
        &b, a,
        "INSERT INTO enterprise (credit_code, name, kinds, org_code, legal_rep, address, status,"
        " created_at, updated_at, version)",
        10, "");
    for (long e = 0; rc == JG_OK && e < s->ne; e++) {
        jg_value *v = jg_scale_bulk_row(&b, c, &rc);
        if (v == NULL)
            break;
        uint64_t st = rng(s, 3, e);
        char *code = jg_arena_alloc(a, 19);
        jg_scale_ent_code(s, e, code);
        const struct county *co = jg_scale_ent_county(s, e);
        int year = 1995 + (int)(next(&st) % 28);
        const char *created = jg_arena_printf(a, "%04d-%02d-%02d" CREATED_AT_TIME, year,
                                              1 + (int)(next(&st) % 12), 1 + (int)(next(&st) % 28));
        v[0] = JG_VTEXT(code);
        v[1] = JG_VTEXT(ent_name(s, a, e));
        v[2] = JG_VTEXT(kind_codes[jg_scale_ent_kind(e)]);
        v[3] = JG_VTEXT(co->r->code);
        v[4] = JG_VTEXT(person_name(a, &st, next(&st) % 5 != 0));
        v[5] = JG_VTEXT(
            jg_arena_printf(a, "%s%s%d号", co->r->name, PICK(&st, streets), 1 + (int)(next(&st) % 300)));
        v[6] = JG_VTEXT("active");
        v[7] = JG_VTEXT(created);
        v[8] = JG_VTEXT(created);
        v[9] = JG_VINT(1);
    }
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&b, c);
    if (rc == JG_OK)
        rc = jg_scale_new_ids(c, NEW_IDS_SQL("enterprise"), before, s->ne, s->ent_id);
    jg_arena_free(a);
    return rc;
}

/* A date of the issue year, and the date `years` later, into the arena. */
static void dates(jg_arena *a, uint64_t *st, int year, int years, const char **issued, const char **expires)
{
    int month = 1 + (int)(next(st) % 12), day = 1 + (int)(next(st) % 28);
    *issued = jg_arena_printf(a, "%04d-%02d-%02d", year, month, day);
    *expires = jg_arena_printf(a, "%04d-%02d-%02d", year + years, month, day);
}

static jg_rc insert_qualifications(struct scale *s, jg_conn *c)
{
    static const struct {
        const char *category, *grades[3];
    } quals[] = {
        {"施工总承包·建筑工程", {"特级", "一级", "二级"}},
        {"工程监理·房屋建筑工程", {"甲级", "甲级", "乙级"}},
        {NULL, {NULL, NULL, NULL}},
        {"工程设计·建筑行业（建筑工程）", {"甲级", "乙级", "乙级"}},
        {"工程勘察·岩土工程", {"甲级", "乙级", "乙级"}},
        {"建设工程质量检测·主体结构及装饰装修", {"不分等级", "不分等级", "不分等级"}},
    };
    jg_arena *a = jg_arena_new();
    struct bulk b;
    jg_scale_bulk_init(&b, a,
                       "INSERT INTO enterprise_qualification (enterprise_id, category, grade, certificate_no,"
                       " issued_on, expires_on, status, created_at, updated_at)",
                       9, "");
    jg_rc rc = JG_OK;
    for (long e = 0; rc == JG_OK && e < s->ne; e++) {
        int k = jg_scale_ent_kind(e);
        if (quals[k].category == NULL)
            continue;
        uint64_t st = rng(s, 4, e);
        const char *issued, *expires; /* valid five years; every fourth has expired */
        dates(a, &st, e % 4 == 0 ? 2019 + (int)(next(&st) % 2) : 2022 + (int)(next(&st) % 4), 5, &issued,
              &expires);
        jg_value *v = jg_scale_bulk_row(&b, c, &rc);
        if (v == NULL)
            break;
        v[0] = JG_VINT(s->ent_id[e]);
        v[1] = JG_VTEXT(quals[k].category);
        v[2] = JG_VTEXT(quals[k].grades[next(&st) % 3]);
        v[3] = JG_VTEXT(jg_arena_printf(a, "D%d%08ld", 135 + k, e));
        v[4] = JG_VTEXT(issued);
        v[5] = JG_VTEXT(expires);
        v[6] = JG_VTEXT("active");
        v[7] = JG_VTEXT(jg_arena_printf(a, "%s" CREATED_AT_TIME, issued));
        v[8] = v[7];
    }
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&b, c);
    jg_arena_free(a);
    return rc;
}

/* ---- persons: person j works for enterprise j % ne in staff slot j / ne ---- */

/* Days since 1962-01-01 to a date (proleptic Gregorian). */
void jg_scale_day_to_date(long d, int *y, int *m, int *dd)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = 1962;
    for (;;) {
        int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        if (d < 365 + leap)
            break;
        d -= 365 + leap;
        year++;
    }
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int month = 0;
    while (d >= mdays[month] + (month == 1 && leap)) {
        d -= mdays[month] + (month == 1 && leap);
        month++;
    }
    *y = year, *m = month + 1, *dd = (int)d + 1;
}

#define BIRTH_DAYS 14245 /* 1962-01-01 .. 2000-12-31 */

void jg_scale_person_info(const struct scale *s, jg_arena *a, long j, struct pinfo *p)
{
    uint64_t st = rng(s, 5, j);
    p->male = next(&st) % 10 < 8; /* the trade is mostly men */
    p->name = person_name(a, &st, p->male);
    /* Born in a county of the employer's city; (birth date, sequence) is unique to j. */
    const struct county *co = jg_scale_ent_county(s, j % s->ne);
    const char *home = co->r->code;
    if (next(&st) % 4 == 0) /* one in four from elsewhere in the province */
        home = jg_scale_pick_county(s, &st)->r->code;
    long day = ((j / 500) * 7919L + (long)(s->seed % BIRTH_DAYS)) % BIRTH_DAYS; /* 7919 is prime to 14245 */
    int y, m, d;
    jg_scale_day_to_date(day, &y, &m, &d);
    snprintf(p->id_number, sizeof(p->id_number), "%.6s%04d%02d%02d%03d", home, y, m, d,
             (int)(j % 500) * 2 + p->male); /* the 17th digit is odd for men */
    p->id_number[17] = jg_idcheck_resident_check(p->id_number);
    p->id_number[18] = '\0';
    p->phone[0] = '\0';
    if (j % 10 != 9) /* a few have no phone on file */
        jg_scale_phone(&st, p->phone);
}

static jg_rc insert_persons(struct scale *s, jg_conn *c)
{
    int64_t before;
    jg_rc rc = jg_scale_max_id(c, MAX_ID_SQL("person"), &before);
    jg_arena *a = jg_arena_new();
    struct bulk b;
    jg_scale_bulk_init(
        &b, a,
        "INSERT INTO person (name, id_number_enc, id_number_bidx, id_number_mask, phone_enc,"
        " phone_bidx, phone_mask, gender, enterprise_id, status, created_at, updated_at, version)",
        13, "");
    jg_sealed *sealed = jg_arena_alloc(a, sizeof(jg_sealed) * 2 * (size_t)b.max_rows);
    for (long j = 0; rc == JG_OK && j < s->np; j++) {
        if (b.rows == b.max_rows && (rc = jg_scale_bulk_flush(&b, c)) != JG_OK)
            break;
        struct pinfo p;
        jg_scale_person_info(s, a, j, &p);
        jg_sealed *idn = &sealed[2 * b.rows], *ph = idn + 1;
        rc = jg_sealed_make(s->key, "person.id_number", "id_number", p.id_number, idn);
        if (rc == JG_OK && p.phone[0] != '\0')
            rc = jg_sealed_make(s->key, "person.phone", "phone", p.phone, ph);
        int phone = p.phone[0] != '\0', male = p.male;
        const char *name = p.name;
        OPENSSL_cleanse(&p, sizeof(p));
        jg_value *v = rc == JG_OK ? jg_scale_bulk_row(&b, c, &rc) : NULL;
        if (v == NULL)
            break;
        uint64_t st = rng(s, 6, j);
        const char *created =
            jg_arena_printf(a, "%04d-%02d-%02d" CREATED_AT_TIME, 2016 + (int)(next(&st) % 9),
                            1 + (int)(next(&st) % 12), 1 + (int)(next(&st) % 28));
        v[0] = JG_VTEXT(name);
        v[1] = JG_VTEXT(idn->enc);
        v[2] = JG_VTEXT(idn->bidx);
        v[3] = JG_VTEXT(idn->mask);
        v[4] = phone ? JG_VTEXT(ph->enc) : JG_VNULL;
        v[5] = phone ? JG_VTEXT(ph->bidx) : JG_VNULL;
        v[6] = phone ? JG_VTEXT(ph->mask) : JG_VNULL;
        v[7] = JG_VTEXT(male ? "M" : "F");
        v[8] = JG_VINT(s->ent_id[j % s->ne]);
        v[9] = JG_VTEXT("active");
        v[10] = JG_VTEXT(created);
        v[11] = JG_VTEXT(created);
        v[12] = JG_VINT(1);
    }
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&b, c);
    OPENSSL_cleanse(sealed, sizeof(jg_sealed) * 2 * (size_t)b.max_rows);
    if (rc == JG_OK)
        rc = jg_scale_new_ids(c, NEW_IDS_SQL("person"), before, s->np, s->person_id);
    jg_arena_free(a);
    return rc;
}

/* The certificate of person j (kind NULL: none) and its number. */
const char *jg_scale_person_cert(const struct scale *s, jg_arena *a, long j, const char **kind,
                                 const char **specialty)
{
    int k = jg_scale_ent_kind(j % s->ne), slot = (int)(j / s->ne);
    *kind = NULL;
    *specialty = "";
    const char *prefix = "";
    if (k == K_CONTRACTOR && slot < 3)
        *kind = "registered_constructor", *specialty = slot == 2 ? "市政公用工程" : "建筑工程",
        prefix = "闽135";
    else if (k == K_CONTRACTOR && slot < 5)
        *kind = "safety_c", prefix = "闽建安C";
    else if (k == K_SUPERVISOR && slot < 9)
        *kind = "registered_supervisor", *specialty = "房屋建筑工程", prefix = "35";
    else if (k == K_DESIGNER && slot < 3)
        *kind = "other", *specialty = "一级注册建筑师", prefix = "JZ35";
    else if (k == K_SURVEYOR && slot < 3)
        *kind = "other", *specialty = "注册土木工程师（岩土）", prefix = "YT35";
    else if (k == K_LAB)
        *kind = "other", *specialty = "检测试验员", prefix = "JC35";
    /* The number: unique to j within a seed (7919 is prime to 10^9). */
    long no = (long)(((uint64_t)j * 7919u + s->seed * 104729u) % 1000000000u);
    return *kind == NULL ? "" : jg_arena_printf(a, "%s%09ld", prefix, no);
}

static jg_rc insert_certificates(struct scale *s, jg_conn *c)
{
    jg_arena *a = jg_arena_new();
    struct bulk b;
    jg_scale_bulk_init(
        &b, a,
        "INSERT INTO person_certificate (person_id, kind, certificate_no, specialty, issued_on,"
        " expires_on, status, created_at, updated_at)",
        9, "");
    jg_rc rc = JG_OK;
    for (long j = 0; rc == JG_OK && j < s->np; j++) {
        const char *kind, *specialty, *no = jg_scale_person_cert(s, a, j, &kind, &specialty);
        if (kind == NULL)
            continue;
        uint64_t st = rng(s, 7, j);
        const char *issued, *expires; /* valid three years; one in six issued 2020-21, expired */
        dates(a, &st, j % 6 == 0 ? 2020 + (int)(next(&st) % 2) : 2024 + (int)(next(&st) % 2), 3, &issued,
              &expires);
        jg_value *v = jg_scale_bulk_row(&b, c, &rc);
        if (v == NULL)
            break;
        v[0] = JG_VINT(s->person_id[j]);
        v[1] = JG_VTEXT(kind);
        v[2] = JG_VTEXT(no);
        v[3] = JG_VTEXT(specialty);
        v[4] = JG_VTEXT(issued);
        v[5] = JG_VTEXT(expires);
        v[6] = JG_VTEXT("active");
        v[7] = JG_VTEXT(jg_arena_printf(a, "%s" CREATED_AT_TIME, issued));
        v[8] = v[7];
        if (b.rows == b.max_rows && (rc = jg_scale_bulk_flush(&b, c)) != JG_OK)
            break;
    }
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&b, c);
    jg_arena_free(a);
    return rc;
}

jg_rc jg_scale_registry_tx(jg_conn *c, void *ud)
{
    struct scale *s = ud;
    jg_rc rc = insert_enterprises(s, c);
    if (rc == JG_OK)
        rc = insert_qualifications(s, c);
    if (rc == JG_OK)
        rc = insert_persons(s, c);
    if (rc == JG_OK)
        rc = insert_certificates(s, c);
    return rc;
}
