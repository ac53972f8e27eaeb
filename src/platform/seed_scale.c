/* Demo data at provincial scale (`seed-demo --scale county|city|province --seed N`): enterprises,
 * persons with certificates and 项目报监 records (e_registration with its units, persons, hazards and
 * contracts), deterministic by the seed. Placed over the cities by their population (2020 census)
 * and within a city by the kind of county; see docs/demo-data.md. */
#include "platform/seed.h"

#include "platform/idcheck.h"
#include "platform/keys.h"
#include "platform/regions.h"
#include "platform/sealed.h"
#include "platform/seed_scale_int.h"

#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/crypto.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVINCE_ENTERPRISES 20000L
#define PROVINCE_PERSONS 200000L
#define PROVINCE_PROJECTS 100000L
#define PROJECTS_PER_TX 2000

/* Cities by resident population in the 2020 census (万人); 福州 without 平潭. */
static const struct {
    const char *code;
    int weight;
} city_weights[] = {
    {"3501", 793}, {"3502", 516}, {"3503", 321}, {"3504", 249}, {"3505", 878},
    {"3506", 505}, {"3507", 268}, {"3508", 272}, {"3509", 315}, {"350128", 36},
};

static const char *const places[] = {"东湖", "西河", "南山", "北岭", "金港", "江滨", "滨海",
                                     "龙湖", "青山", "凤凰", "紫阳", "白鹭", "文山", "闽江",
                                     "锦绣", "翠苑", "新城", "园区", "湖滨", "海西"};
static const char *const buildings[] = {"安置房",     "商住楼",     "住宅小区",   "中学教学楼",
                                        "小学综合楼", "医院门诊楼", "产业园厂房", "商业综合体",
                                        "办公楼",     "体育中心",   "保障性住房", "物流仓储中心"};
static const char *const phases[] = {"", "", "（一期）", "（二期）", "（三期）", "一标段", "二标段"};
const jg_region *jg_scale_find_region(const struct scale *s, const char *code)
{
    for (int i = 0; i < s->nregions; i++)
        if (strcmp(s->regions[i].code, code) == 0)
            return &s->regions[i];
    return NULL;
}

/* Weights within a city: 区 3, county-level 市 2, 县 1 (by the GB/T 2260 code's fifth digit). */
static int county_weight(const char *code)
{
    return code[4] == '0' ? 3 : code[4] == '8' ? 2 : 1;
}

static void build_counties(struct scale *s)
{
    s->counties = jg_xcalloc((size_t)s->nregions, sizeof(*s->counties));
    for (long c = 0; c < COUNT(city_weights); c++) {
        const char *city = city_weights[c].code;
        int sum = 0;
        for (int i = 0; i < s->nregions; i++)
            if (strcmp(s->regions[i].parent, city) == 0 && !s->regions[i].hidden)
                sum += county_weight(s->regions[i].code);
        for (int i = 0; i < s->nregions; i++) {
            const jg_region *r = &s->regions[i];
            int own = sum == 0 && strcmp(r->code, city) == 0; /* 平潭: a city without counties */
            if (!own && (strcmp(r->parent, city) != 0 || r->hidden))
                continue;
            uint64_t w = own ? (uint64_t)city_weights[c].weight * 1000
                             : (uint64_t)city_weights[c].weight * 1000 * (uint64_t)county_weight(r->code) /
                                   (uint64_t)sum;
            s->total += w;
            s->counties[s->ncounties++] = (struct county){r, city, s->total};
        }
    }
}

const struct county *jg_scale_pick_county(const struct scale *s, uint64_t *st)
{
    uint64_t x = next(st) % s->total;
    int lo = 0, hi = s->ncounties - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s->counties[mid].cum > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return &s->counties[lo];
}

/* A name without its administrative suffix: 福州市 -> 福州, 晋江市 -> 晋江, 鼓楼区 -> 鼓楼. */
const char *jg_scale_short_name(jg_arena *a, const char *name)
{
    size_t n = strlen(name);
    if (strcmp(name, "平潭综合实验区") == 0)
        return "平潭";
    if (n > 6 && (strcmp(name + n - 3, "市") == 0 || strcmp(name + n - 3, "区") == 0 ||
                  strcmp(name + n - 3, "县") == 0))
        n -= 3;
    return jg_arena_printf(a, "%.*s", (int)n, name);
}

/* ---- bulk INSERT: head VALUES (...), (...) tail, at most MAX_PARAMS values a statement ---- */

void jg_scale_bulk_init(struct bulk *b, jg_arena *a, const char *head, int cols, const char *tail)
{
    b->head = head;
    b->tail = tail;
    b->cols = cols;
    b->rows = 0;
    b->max_rows = MAX_PARAMS / cols;
    b->v = jg_arena_alloc(a, sizeof(jg_value) * (size_t)(b->max_rows * cols));
}

jg_rc jg_scale_bulk_flush(struct bulk *b, jg_conn *c)
{
    if (b->rows == 0)
        return JG_OK;
    jg_buf sql;
    jg_buf_init(&sql, 8u << 20);
    jg_buf_puts(&sql, b->head);
    for (int r = 0; r < b->rows; r++) {
        jg_buf_puts(&sql, r ? ", (" : " VALUES (");
        for (int k = 0; k < b->cols; k++)
            jg_buf_printf(&sql, k ? ", $%d" : "$%d", 1 + r * b->cols + k);
        jg_buf_puts(&sql, ")");
    }
    jg_buf_puts(&sql, b->tail);
    jg_rc rc = sql.overflowed ? JG_TOOLARGE : jg_db_exec(c, sql.data, b->v, b->rows * b->cols, NULL);
    jg_buf_free(&sql);
    b->rows = 0;
    return rc;
}

/* The values of a new row; flushes first when the statement is full. NULL if that failed. */
jg_value *jg_scale_bulk_row(struct bulk *b, jg_conn *c, jg_rc *rc)
{
    if (b->rows == b->max_rows && (*rc = jg_scale_bulk_flush(b, c)) != JG_OK)
        return NULL;
    return b->v + (size_t)(b->rows++ * b->cols);
}

/* The ids of the n rows inserted after id `after` (sql: NEW_IDS_SQL), in order, into ids. */
jg_rc jg_scale_new_ids(jg_conn *c, const char *sql, int64_t after, long n, int64_t *ids)
{
    jg_value p[] = {JG_VINT(after)};
    jg_rows *r;
    jg_rc rc = jg_db_query(c, sql, p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != n) {
        jg_error("seed: %d new rows, expected %ld (%s)", jg_rows_count(r), n, sql);
        rc = JG_ERR;
    }
    for (long i = 0; rc == JG_OK && i < n; i++)
        ids[i] = jg_rows_int(r, (int)i, 0);
    jg_rows_free(r);
    return rc;
}

/* The largest id of a table (sql: MAX_ID_SQL), 0 when empty. */
jg_rc jg_scale_max_id(jg_conn *c, const char *sql, int64_t *out)
{
    jg_rows *r;
    jg_rc rc = jg_db_query(c, sql, NULL, 0, &r);
    if (rc == JG_OK) {
        *out = jg_rows_int(r, 0, 0);
        jg_rows_free(r);
    }
    return rc;
}

/* ---- 项目报监 records ---- */

/* Kinds of project (dictionary project_kind) and how often they occur, in per cent. */
static const struct {
    const char *code;
    int weight;
} project_kinds[] = {
    {"building", 62}, {"road", 10},          {"bridge", 4}, {"drainage", 5},     {"water_supply", 3},
    {"landscape", 6}, {"utility_tunnel", 2}, {"gas", 2},    {"rail_transit", 1}, {"other", 5},
};

static const char *municipal_name(const char *kind)
{
    static const struct {
        const char *kind, *name;
    } names[] = {{"road", "道路工程"},          {"bridge", "大桥工程"},
                 {"drainage", "污水管网工程"},  {"water_supply", "供水管网工程"},
                 {"landscape", "公园景观工程"}, {"utility_tunnel", "综合管廊工程"},
                 {"gas", "燃气管道工程"},       {"rail_transit", "地铁站点工程"},
                 {"other", "配套工程"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].kind, kind) == 0)
            return names[i].name;
    return "工程";
}

const char *jg_scale_date(jg_arena *a, long day)
{
    int y, m, d;
    jg_scale_day_to_date(day, &y, &m, &d);
    return jg_arena_printf(a, "%04d-%02d-%02d", y, m, d);
}
#define date_of jg_scale_date

#define DAY_2016 19723L /* days from 1962-01-01 to 2016-01-01 */
#define DAYS_DEMO 4383L /* 2016-01-01 .. 2027-12-31: projects planned to start and finish */

static void make_project(const struct scale *s, jg_arena *a, long k, struct proj *p)
{
    uint64_t st = rng(s, 8, k);
    memset(p, 0, sizeof(*p));
    p->co = jg_scale_pick_county(s, &st);
    int sum = 0;
    for (long q = 0; q < COUNT(project_kinds); q++)
        sum += project_kinds[q].weight;
    int x = (int)(next(&st) % (uint64_t)sum);
    long q = 0;
    while (x >= project_kinds[q].weight)
        x -= project_kinds[q++].weight;
    p->kind = project_kinds[q].code;
    /* Its project manager and chief supervisor lead one project an era, so that their projects
     * never overlap in time (the cross-check of issue 9). */
    long eras = (s->nr + s->npool - 1) / s->npool, era_days = DAYS_DEMO / eras;
    long slot = k % s->npool, era = k / s->npool;
    p->pm = s->pm[slot];
    p->cs = s->cs[(slot * 7919) % s->npool];
    p->length = 180 + (long)(next(&st) % (uint64_t)(era_days - 240));
    p->start = DAY_2016 + era * era_days + 30 + (long)(next(&st) % (uint64_t)(era_days - p->length - 30));
    p->owner = s->owners[next(&st) % (uint64_t)s->nowners];
    for (int tries = 0; tries < 8 && strcmp(jg_scale_ent_county(s, p->owner)->city, p->co->city) != 0;
         tries++)
        p->owner = s->owners[next(&st) % (uint64_t)s->nowners]; /* mostly an owner of the same city */
    p->designer = s->designers[next(&st) % (uint64_t)s->ndesigners];
    p->surveyor = s->surveyors[next(&st) % (uint64_t)s->nsurveyors];
    p->applicant = next(&st) % 3 ? p->owner : p->pm % s->ne;
    /* Drafts: one in six of the last era's projects, and those planned to start more than half a
     * year after the demo's "now"; the others are registered. */
    int late = era == eras - 1 && next(&st) % 6 == 0;
    p->draft = late || p->start > DAY_CUT + 180;
    p->place = PICK(&st, places);
    const char *cname = jg_scale_short_name(a, p->co->r->name);
    p->name =
        strcmp(p->kind, "building") == 0
            ? jg_arena_printf(a, "%s%s%s%s", cname, p->place, PICK(&st, buildings), PICK(&st, phases))
            : jg_arena_printf(a, "%s%s%s%s", cname, p->place, municipal_name(p->kind), PICK(&st, phases));
    p->nunits = 1 + (int)(next(&st) % MAX_UNITS);
    for (int u = 0; u < p->nunits; u++) {
        p->area[u] = 50000 + (int64_t)(next(&st) % 3000000); /* 500.00 .. 30,499.99 m2 in hundredths */
        p->total += p->area[u];
    }
    p->cost = p->total / 100 * (2500 + (int64_t)(next(&st) % 3500)) * 100; /* yuan a m2, in fen */
    p->owner_lead = p->owner + s->ne * (long)(next(&st) % STAFF);
    jg_scale_phone(&st, p->phone);
    p->declared = p->start - 20 - (long)(next(&st) % 20);
    if (p->declared > DAY_CUT) /* planned to start later: declared by now */
        p->declared = DAY_CUT - (long)(next(&st) % 60);
    p->nhazards = (int)(next(&st) % 4);
    p->street = 1 + (int)(next(&st) % 300);
    /* The process: 受理 one to ten working days after the declaration (the time limit is three, so
     * some are late), 补正 asked for one in five (the applicant takes 3-45 days, then 受理 within
     * three), 登记 one to twenty-five working days later (the limit is five: stations wait for
     * papers), the construction permit up to a week after. */
    p->accept_days = 1 + (int)(next(&st) % 10);
    p->returned = next(&st) % 5 == 0;
    p->correct_days = 3 + (int)(next(&st) % 43);
    p->accept2_days = 1 + (int)(next(&st) % 3);
    p->register_days = 1 + (int)(next(&st) % 25);
    p->permit_days = (int)(next(&st) % 8);
    p->reason = (int)(next(&st) % 1000);
    jg_scale_timeline(s, p);
}

/* ---- registration numbers (监督登记号): as registration.issue gives them ---- */

/* A registered project: its series (station, year of issue), day of issue and number k. */
struct issued {
    int series;
    long day, k;
};

static int issued_cmp(const void *x, const void *y)
{
    const struct issued *a = x, *b = y;
    if (a->series != b->series)
        return a->series < b->series ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return a->k < b->k ? -1 : a->k > b->k;
}

static int issue_year(const struct proj *p)
{
    int y, m, d;
    jg_scale_day_to_date(p->registered_on, &y, &m, &d);
    return y;
}

/* "<station>-<year>-" (src/modules/registration: series of e_registration have no prefix). */
static const char *series_name(jg_arena *a, const char *org, int year)
{
    return jg_arena_printf(a, "%.6s-%04d-", org, year);
}

static const char *registration_no(const struct scale *s, jg_arena *a, const struct proj *p, long k)
{
    return jg_arena_printf(a, "%s%05d", series_name(a, p->co->r->code, issue_year(p)), (int)s->regno[k]);
}

struct numbering {
    struct scale *s;
    struct issued *v;
    long n;
};

/* Take each series' numbers from registration_counter (one upsert a series, as next_number does
 * one a registration), so that what the station issues next follows on. */
static jg_rc reserve_tx(jg_conn *c, void *ud)
{
    struct numbering *t = ud;
    jg_arena *a = jg_arena_new();
    jg_rc rc = JG_OK;
    for (long i = 0, j; rc == JG_OK && i < t->n; i = j) {
        for (j = i; j < t->n && t->v[j].series == t->v[i].series; j++)
            ;
        const struct county *co = &t->s->counties[t->v[i].series / 64];
        jg_value p[] = {JG_VTEXT(series_name(a, co->r->code, 2010 + t->v[i].series % 64)), JG_VINT(j - i)};
        jg_rows *r;
        rc = jg_db_query(c,
                         "INSERT INTO registration_counter (series, last_no) VALUES ($1, $2)"
                         " ON CONFLICT (series) DO UPDATE SET last_no = registration_counter.last_no + $2"
                         " RETURNING last_no",
                         p, 2, &r);
        if (rc != JG_OK)
            break;
        int64_t base = jg_rows_int(r, 0, 0) - (j - i);
        jg_rows_free(r);
        for (long q = i; q < j; q++)
            t->s->regno[t->v[q].k] = (int32_t)(base + 1 + (q - i));
    }
    jg_arena_free(a);
    return rc;
}

/* Number the registered projects per station and year of issue, in the order of issue. */
static jg_rc number_projects(struct scale *s)
{
    s->regno = jg_xcalloc((size_t)s->nr, sizeof(int32_t));
    struct numbering t = {s, jg_xcalloc((size_t)s->nr, sizeof(struct issued)), 0};
    jg_arena *a = jg_arena_new();
    for (long k = 0; k < s->nr; k++) {
        if (k % PROJECTS_PER_TX == 0) {
            jg_arena_free(a);
            a = jg_arena_new();
        }
        struct proj p;
        make_project(s, a, k, &p);
        OPENSSL_cleanse(p.phone, sizeof(p.phone));
        if (p.state == ST_REGISTERED)
            t.v[t.n++] =
                (struct issued){(int)(p.co - s->counties) * 64 + issue_year(&p) - 2010, p.registered_on, k};
    }
    jg_arena_free(a);
    qsort(t.v, (size_t)t.n, sizeof(*t.v), issued_cmp);
    jg_rc rc = jg_db_tx(s->db, reserve_tx, &t);
    free(t.v);
    return rc;
}

struct ptx {
    struct scale *s;
    long first, count;
};

static jg_rc insert_records(struct scale *s, jg_conn *c, jg_arena *a, const struct proj *ps, long first,
                            long n)
{
    struct bulk b;
    jg_scale_bulk_init(
        &b, a,
        "INSERT INTO e_registration (state, created_at, updated_at, version, project_name, project_kind,"
        " org_code, address, applicant_id, owner_id, contractor_id, supervisor_firm_id, designer_id,"
        " surveyor_id, total_area, cost, planned_start_on, planned_finish_on, permit_no, permit_on,"
        " contact_name, contact_phone, contact_phone__bidx, contact_phone__mask, received_on,"
        " registration_no, issued_on)",
        27, "");
    jg_rc rc = JG_OK;
    for (long i = 0; rc == JG_OK && i < n; i++) {
        const struct proj *p = &ps[i];
        struct pinfo lead;
        jg_scale_person_info(s, a, p->owner_lead, &lead);
        char *enc = jg_arena_alloc(a, JG_SM4_TOKEN_SIZE(11)), *bidx = jg_arena_alloc(a, JG_SM4_INDEX_LEN + 1);
        char *mask = jg_arena_alloc(a, 12);
        /* Sealed as the records API seals a sensitive field (records.c: jg_record_seal). */
        rc = jg_sm4_seal(s->key, "e_registration.contact_phone", p->phone, 11, enc, JG_SM4_TOKEN_SIZE(11));
        if (rc == JG_OK)
            rc = jg_sm4_blind_index(s->key, "e_registration.contact_phone", p->phone, 11, bidx);
        jg_idcheck_mask_phone(p->phone, mask);
        jg_value *v = rc == JG_OK ? jg_scale_bulk_row(&b, c, &rc) : NULL;
        if (v == NULL)
            break;
        const char *start = date_of(a, p->start);
        static const char *const states[] = {"draft", "submitted", "accepted", "returned", "registered"};
        const int registered = p->state == ST_REGISTERED;
        /* Versions and the last change as the process leaves them (run.c: a state or a stamp
         * moves the version on): submitted 3, returned 4, resubmitted 5, accepted 4 (6 after a
         * return), registered 6 (8). */
        int version = p->state == ST_DRAFT ? 1 : 3;
        long last = p->declared;
        if (p->returned_on >= 0)
            version++, last = p->returned_on;
        if (p->resubmitted_on >= 0)
            version++, last = p->resubmitted_on;
        if (p->accepted_on >= 0)
            version++, last = p->accepted_on;
        if (registered)
            version += 2, last = p->registered_on;
        v[0] = JG_VTEXT(states[p->state]);
        v[1] = JG_VTEXT(jg_arena_printf(a, "%s" CREATED_AT_TIME, date_of(a, p->declared)));
        v[2] =
            last == p->declared ? v[1] : JG_VTEXT(jg_arena_printf(a, "%s" CREATED_AT_TIME, date_of(a, last)));
        v[3] = JG_VINT(version);
        v[4] = JG_VTEXT(p->name);
        v[5] = JG_VTEXT(p->kind);
        v[6] = JG_VTEXT(p->co->r->code);
        v[7] = JG_VTEXT(jg_arena_printf(a, "%s%s路%d号", p->co->r->name, p->place, p->street));
        v[8] = JG_VINT(s->ent_id[p->applicant]);
        v[9] = JG_VINT(s->ent_id[p->owner]);
        v[10] = JG_VINT(s->ent_id[p->pm % s->ne]);
        v[11] = JG_VINT(s->ent_id[p->cs % s->ne]);
        v[12] = JG_VINT(s->ent_id[p->designer]);
        v[13] = JG_VINT(s->ent_id[p->surveyor]);
        v[14] = JG_VINT(p->total);
        v[15] = JG_VINT(p->cost);
        v[16] = JG_VTEXT(start);
        v[17] = JG_VTEXT(date_of(a, p->start + p->length));
        /* 施工许可证号: county, permit date, project number (unique by the number). */
        v[18] = !registered
                    ? JG_VNULL
                    : JG_VTEXT(jg_arena_printf(a, "%.6s%.4s%.2s%.2s%07ld%02d", p->co->r->code, start,
                                               start + 5, start + 8, first + i, (int)(s->seed % 100)));
        v[19] = !registered ? JG_VNULL : JG_VTEXT(date_of(a, p->registered_on + p->permit_days));
        v[20] = JG_VTEXT(lead.name);
        v[21] = JG_VTEXT(enc);
        v[22] = JG_VTEXT(bidx);
        v[23] = JG_VTEXT(mask);
        /* What registration.receive and registration.issue stamp: the day of (first) receipt, the
         * station's number and the day of issue. */
        v[24] = p->state == ST_DRAFT ? JG_VNULL : JG_VTEXT(date_of(a, p->declared));
        v[25] = registered ? JG_VTEXT(registration_no(s, a, p, first + i)) : JG_VNULL;
        v[26] = registered ? JG_VTEXT(date_of(a, p->registered_on)) : JG_VNULL;
        OPENSSL_cleanse(&lead, sizeof(lead));
    }
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&b, c);
    return rc;
}

/* Person number slot `slot` of enterprise e (STAFF a firm). */
#define STAFFER(s, e, slot) ((e) + (s)->ne * (long)(slot))

static jg_rc add_person(struct scale *s, jg_conn *c, jg_arena *a, struct bulk *b, int64_t parent, int seq,
                        const char *party, long j, const char *role)
{
    jg_rc rc = JG_OK;
    jg_value *v = jg_scale_bulk_row(b, c, &rc);
    if (v == NULL)
        return rc;
    const char *kind, *specialty, *no = jg_scale_person_cert(s, a, j, &kind, &specialty);
    v[0] = JG_VINT(parent);
    v[1] = JG_VINT(seq);
    v[2] = JG_VTEXT(party);
    v[3] = JG_VINT(s->person_id[j]);
    v[4] = JG_VTEXT(role);
    v[5] = kind != NULL ? JG_VTEXT(no) : JG_VNULL;
    return JG_OK;
}

static jg_rc insert_children(struct scale *s, jg_conn *c, jg_arena *a, const struct proj *ps,
                             const int64_t *ids, long n)
{
    static const char *const structures[] = {
        "frame", "frame_shear_wall", "shear_wall", "frame_core_tube", "masonry", "steel", "steel_concrete"};
    static const char *const uses[] = {"residential", "residential", "public", "industrial", "other"};
    static const struct {
        const char *kind, *text;
    } hazards[] = {
        {"foundation_pit", "基坑开挖深度%d米，采用支护桩加内支撑"},
        {"formwork", "高大模板支撑体系，搭设高度%d米"},
        {"lifting", "塔式起重机安装拆卸，起重量%d吨"},
        {"scaffolding", "附着式升降脚手架，架体高度%d米"},
        {"curtain_wall", "建筑幕墙安装，施工高度%d米"},
        {"steel_structure", "钢结构安装，跨度%d米"},
        {"precast_install", "装配式混凝土预制构件安装，单件重量%d吨"},
    };
    struct bulk units, persons, haz, contracts;
    jg_scale_bulk_init(
        &units, a,
        "INSERT INTO e_registration__units (parent_id, seq, unit_name, structure_type, unit_use,"
        " floors_above, floors_below, height, area)",
        9, "");
    jg_scale_bulk_init(
        &persons, a,
        "INSERT INTO e_registration__persons (parent_id, seq, party_role, person_id, person_role,"
        " certificate_no)",
        6, "");
    jg_scale_bulk_init(
        &haz, a,
        "INSERT INTO e_registration__hazards (parent_id, seq, hazard_kind, description, beyond_scale,"
        " planned_on)",
        6, "");
    jg_scale_bulk_init(
        &contracts, a,
        "INSERT INTO e_registration__contracts (parent_id, seq, contract_kind, contract_no, amount,"
        " signed_on)",
        6, "");
    jg_rc rc = JG_OK;
    for (long i = 0; rc == JG_OK && i < n; i++) {
        const struct proj *p = &ps[i];
        uint64_t st = rng(s, 9, ids[i] ^ (int64_t)p->start); /* the children's own draws */
        int building = strcmp(p->kind, "building") == 0;
        for (int u = 0; rc == JG_OK && u < p->nunits; u++) {
            jg_value *v = jg_scale_bulk_row(&units, c, &rc);
            if (v == NULL)
                break;
            int above = building ? 2 + (int)(next(&st) % 32) : 0;
            v[0] = JG_VINT(ids[i]);
            v[1] = JG_VINT(u + 1);
            v[2] = JG_VTEXT(building ? jg_arena_printf(a, "%d#楼", u + 1)
                                     : jg_arena_printf(a, "第%d标段", u + 1));
            v[3] = JG_VTEXT(building ? PICK(&st, structures) : "other");
            v[4] = JG_VTEXT(building ? PICK(&st, uses) : "other");
            v[5] = JG_VINT(above);
            v[6] = JG_VINT(building ? (int)(next(&st) % 3) : 0);
            v[7] = JG_VINT(building ? (int64_t)above * 300 + 150 : 0); /* metres in hundredths */
            v[8] = JG_VINT(p->area[u]);
        }
        /* The parties' persons: owner's lead, the contractor's manager, technical lead, safety and
         * quality officers, the chief and a supervising engineer, the design and survey leads. */
        long con = p->pm % s->ne, sup = p->cs % s->ne;
        int seq = 0;
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "owner", p->owner_lead, "owner_lead");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "contractor", p->pm, "project_manager");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "contractor",
                            STAFFER(s, con, 5 + next(&st) % 2), "technical_lead");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "contractor",
                            STAFFER(s, con, 3 + next(&st) % 2), "safety_officer");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "contractor",
                            STAFFER(s, con, 7 + next(&st) % 3), "quality_officer");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "supervisor_firm", p->cs, "chief_supervisor");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "supervisor_firm", STAFFER(s, sup, 9),
                            "supervising_engineer");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "designer",
                            STAFFER(s, p->designer, next(&st) % 3), "design_lead");
        if (rc == JG_OK)
            rc = add_person(s, c, a, &persons, ids[i], ++seq, "surveyor",
                            STAFFER(s, p->surveyor, next(&st) % 3), "survey_lead");
        for (int h = 0; rc == JG_OK && h < p->nhazards; h++) {
            jg_value *v = jg_scale_bulk_row(&haz, c, &rc);
            if (v == NULL)
                break;
            long hk = (long)(next(&st) % (uint64_t)COUNT(hazards));
            int size = 5 + (int)(next(&st) % 20);
            v[0] = JG_VINT(ids[i]);
            v[1] = JG_VINT(h + 1);
            v[2] = JG_VTEXT(hazards[hk].kind);
            v[3] = JG_VTEXT(jg_arena_printf(a, hazards[hk].text, size));
            v[4] = JG_VINT(size >= 15);
            v[5] = JG_VTEXT(date_of(a, p->start + 30 + (long)(next(&st) % (uint64_t)(p->length - 60))));
        }
        static const char *const ckinds[] = {"施工总承包合同", "建设工程监理合同"};
        for (int k = 0; rc == JG_OK && k < 2; k++) {
            jg_value *v = jg_scale_bulk_row(&contracts, c, &rc);
            if (v == NULL)
                break;
            v[0] = JG_VINT(ids[i]);
            v[1] = JG_VINT(k + 1);
            v[2] = JG_VTEXT(ckinds[k]);
            v[3] = JG_VTEXT(jg_arena_printf(a, "%s-%s-%06lld", k ? "JL" : "SG", date_of(a, p->declared),
                                            (long long)ids[i]));
            v[4] = JG_VINT(k ? p->cost / 100 * (1 + (int64_t)(next(&st) % 2)) : p->cost);
            v[5] = JG_VTEXT(date_of(a, p->declared - 10 - (long)(next(&st) % 60)));
        }
    }
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&units, c);
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&persons, c);
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&haz, c);
    if (rc == JG_OK)
        rc = jg_scale_bulk_flush(&contracts, c);
    return rc;
}

static jg_rc projects_tx(jg_conn *c, void *ud)
{
    struct ptx *t = ud;
    jg_arena *a = jg_arena_new();
    struct proj *ps = jg_arena_alloc(a, sizeof(struct proj) * (size_t)t->count);
    int64_t *ids = jg_arena_alloc(a, sizeof(int64_t) * (size_t)t->count);
    for (long i = 0; i < t->count; i++)
        make_project(t->s, a, t->first + i, &ps[i]);
    int64_t before;
    jg_rc rc = jg_scale_max_id(c, MAX_ID_SQL("e_registration"), &before);
    if (rc == JG_OK)
        rc = insert_records(t->s, c, a, ps, t->first, t->count);
    if (rc == JG_OK)
        rc = jg_scale_new_ids(c, NEW_IDS_SQL("e_registration"), before, t->count, ids);
    if (rc == JG_OK)
        rc = insert_children(t->s, c, a, ps, ids, t->count);
    if (rc == JG_OK)
        rc = jg_scale_flows(t->s, c, a, ps, ids, t->count);
    for (long i = 0; i < t->count; i++)
        OPENSSL_cleanse(ps[i].phone, sizeof(ps[i].phone));
    jg_arena_free(a);
    return rc;
}

/* The pools: project managers (registered constructors, slots 0-2 of contractors), chief
 * supervisors (slots 0-8 of supervising firms), owners, designers, surveyors. */
static void make_pools(struct scale *s)
{
    long npm = 0, ncs = 0;
    s->pm = jg_xcalloc((size_t)s->np, sizeof(long));
    s->cs = jg_xcalloc((size_t)s->np, sizeof(long));
    s->owners = jg_xcalloc((size_t)s->ne, sizeof(long));
    s->designers = jg_xcalloc((size_t)s->ne, sizeof(long));
    s->surveyors = jg_xcalloc((size_t)s->ne, sizeof(long));
    for (long j = 0; j < s->np; j++) {
        int k = jg_scale_ent_kind(j % s->ne), slot = (int)(j / s->ne);
        if (k == K_CONTRACTOR && slot < 3)
            s->pm[npm++] = j;
        else if (k == K_SUPERVISOR && slot < 9)
            s->cs[ncs++] = j;
    }
    for (long e = 0; e < s->ne; e++) {
        int k = jg_scale_ent_kind(e);
        if (k == K_OWNER)
            s->owners[s->nowners++] = e;
        else if (k == K_DESIGNER)
            s->designers[s->ndesigners++] = e;
        else if (k == K_SURVEYOR)
            s->surveyors[s->nsurveyors++] = e;
    }
    s->npool = npm < ncs ? npm : ncs;
}

static jg_rc already_seeded(struct scale *s, int *yes)
{
    char code[19];
    jg_scale_ent_code(s, 0, code);
    jg_value p[] = {JG_VTEXT(code)};
    jg_rows *r;
    jg_rc rc = jg_db_read(s->db, "SELECT id FROM enterprise WHERE credit_code = $1", p, 1, &r);
    if (rc == JG_OK) {
        *yes = jg_rows_count(r) > 0;
        jg_rows_free(r);
    }
    return rc;
}

jg_rc jg_seed_scale(jg_db *db, const char *data_dir, int divisor, uint64_t seed)
{
    if (divisor < 1 || divisor > 100)
        return JG_INVALID;
    struct scale s = {0};
    s.db = db;
    s.seed = seed;
    s.ne = PROVINCE_ENTERPRISES / divisor;
    s.np = PROVINCE_PERSONS / divisor;
    s.nr = PROVINCE_PROJECTS / divisor;
    s.nregions = jg_regions_load(&s.regions);
    build_counties(&s);
    unsigned char key[JG_SM4_KEY_LEN];
    s.key = key;
    jg_rc rc = s.ncounties > 0 ? jg_keys_secret(data_dir, "field.key", key, sizeof(key)) : JG_ERR;
    int seeded = 0;
    if (rc == JG_OK)
        rc = already_seeded(&s, &seeded);
    if (rc == JG_OK && seeded)
        jg_info("seed: the data of seed %llu at this scale is there already", (unsigned long long)seed);
    if (rc == JG_OK && !seeded) {
        make_pools(&s);
        s.ent_id = jg_xcalloc((size_t)s.ne, sizeof(int64_t));
        s.person_id = jg_xcalloc((size_t)s.np, sizeof(int64_t));
        rc = s.npool > 0 && s.nowners > 0 && s.ndesigners > 0 && s.nsurveyors > 0 ? JG_OK : JG_INVALID;
        if (rc == JG_OK)
            rc = jg_scale_flow_prepare(&s);
        if (rc == JG_OK)
            rc = jg_db_tx(db, jg_scale_registry_tx, &s);
        if (rc == JG_OK)
            rc = number_projects(&s);
        if (rc == JG_OK)
            jg_info("seed: %ld enterprises and %ld persons", s.ne, s.np);
        for (long first = 0; rc == JG_OK && first < s.nr; first += PROJECTS_PER_TX) {
            struct ptx t = {&s, first, s.nr - first < PROJECTS_PER_TX ? s.nr - first : PROJECTS_PER_TX};
            rc = jg_db_tx(db, projects_tx, &t);
            if (rc == JG_OK && (first + t.count) % 20000 == 0)
                jg_info("seed: %ld registrations", first + t.count);
        }
    }
    OPENSSL_cleanse(key, sizeof(key));
    free(s.pm);
    free(s.cs);
    free(s.owners);
    free(s.designers);
    free(s.surveyors);
    free(s.ent_id);
    free(s.person_id);
    free(s.counties);
    free(s.regno);
    free(s.cal_day);
    free(s.cal_kind);
    free(s.regions);
    return rc;
}
