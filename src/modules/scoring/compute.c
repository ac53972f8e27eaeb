/* The scorer (scoring_int.h): gathers the facts of the ledger with SQL, lets the scoring rules decide
 * the numbers, and stores the results with their explanations.
 *
 * For one subject (an enterprise or a person), one role it held and one period:
 *   ledger rows --(SQL: points of a clause in one inspection added up)--> facts.lines
 *   score.project(lines)            -> projects {P: {score, clauses}}
 *   score.company | score.person | score.chief_supervisor (projects with city and domain)
 *                                   -> {score, total, projects, by_city, by_domain}
 *   credit.contractor_default (a contractor's quarter, per domain) -> credit_score
 *   credit.supervisor_default (a supervising firm's quarter, per domain) -> credit_score
 * score_subject gets one row for the subject's whole period (area "35") and, for units, one per city. */
#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "engine/rule/rule.h"
#include "modules/scoring/scoring_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { R_PROJECT, R_COMPANY, R_PERSON, R_CHIEF, R_CREDIT, R_PCREDIT, R_SCREDIT, NRULES };
static const char *const rule_codes[NRULES] = {"score.project",
                                               "score.company",
                                               "score.person",
                                               "score.chief_supervisor",
                                               "credit.contractor_default",
                                               "credit.person_default",
                                               "credit.supervisor_default"};

#define BUDGET_SCALE 20 /* one evaluation scores all projects of a subject: more than a clause rule */
#define BATCH_ROWS 64   /* rows of one multi-row INSERT */
#define SUBJECT_COLS 11
#define CREDIT_COLS 9

typedef struct {
    char *src;
    json_t *params;
    char key[2 * JG_SM3_LEN + 40];
    int64_t version;
} srule;

/* Rows computed and waiting to be written (in multi-row INSERTs of BATCH_ROWS). Text values live
 * in arena; the rows stay until batch_reset, so a transaction retried writes them again. */
typedef struct {
    const char *head; /* INSERT INTO t (cols) VALUES */
    int ncols, nrows, cap;
    jg_value *v; /* cap * ncols */
    jg_arena *arena;
} batch;

/* One line of the facts: a clause found in one inspection of a project, the ledger's rows of it
 * added up (row: the first of them in the gathered rows; city and domain: the least of them). */
struct gline {
    int row;
    int64_t points; /* tenths */
    const char *city, *domain;
};

struct jg_scorer {
    jg_rule_vm *vm;
    jg_rule_limits lim;
    srule rules[NRULES];
    char now[32];
    batch subj, cred;
    struct gline *lines; /* the current job's lines (compute) */
    int lines_cap;
    /* the facts of one subject as columns (score_one), cap entries each */
    const char **col_text[4];
    double *col_num;
    int col_cap;
};

int jg_scoring_period_kind(const char *p)
{
    if (p == NULL)
        return 0;
    for (int i = 0; i < 4; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    if (p[4] == '\0')
        return 2;
    return p[4] == 'Q' && p[5] >= '1' && p[5] <= '4' && p[6] == '\0' ? 1 : 0;
}

int jg_scoring_quarter(const char *date, char *out, size_t outlen)
{
    if (date == NULL || !jg_time_valid_date(date))
        return 0;
    int month = (date[5] - '0') * 10 + (date[6] - '0');
    snprintf(out, outlen, "%.4sQ%d", date, (month - 1) / 3 + 1);
    return 1;
}

/* The first and last quarter of a period: itself for a quarter, Q1..Q4 for a year. */
static void period_range(const char *period, char lo[8], char hi[8])
{
    if (jg_scoring_period_kind(period) == 2) {
        snprintf(lo, 8, "%.4sQ1", period);
        snprintf(hi, 8, "%.4sQ4", period);
    } else {
        snprintf(lo, 8, "%.6s", period);
        snprintf(hi, 8, "%.6s", period);
    }
}

static jg_rc load_rule(jg_conn *c, const char *code, srule *r)
{
    static const char sql[] = "SELECT v.params, v.code, v.sm3, v.version FROM rule r JOIN rule_version v"
                              " ON v.rule_id = r.id AND v.version = r.current_version"
                              " WHERE r.code = $1 AND r.state = 'running'";
    jg_rows *rows = NULL;
    jg_value p[] = {JG_VTEXT(code)};
    jg_rc rc = jg_db_query(c, sql, p, 1, &rows);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(rows) == 0) {
        jg_rows_free(rows);
        return JG_NOTFOUND;
    }
    const char *pt = jg_rows_text(rows, 0, 0);
    unsigned char h[JG_SM3_LEN];
    char hex[2 * JG_SM3_LEN + 1];
    rc = jg_sm3(pt, strlen(pt), h);
    for (int i = 0; rc == JG_OK && i < JG_SM3_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    if (rc == JG_OK) {
        /* The rule API's key form (code SM3 / params SM3): the same version shares one cached chunk. */
        snprintf(r->key, sizeof(r->key), "%s/%.32s", jg_rows_text(rows, 0, 2), hex);
        r->params = json_loads(pt, 0, NULL);
        r->src = strdup(jg_rows_text(rows, 0, 1));
        r->version = jg_rows_int(rows, 0, 3);
        if (r->params == NULL || r->src == NULL)
            rc = JG_NOMEM;
    }
    jg_rows_free(rows);
    return rc;
}

jg_rc jg_scorer_open(jg_conn *c, const jg_config *cfg, jg_scorer **out, char *why, size_t whylen)
{
    *out = NULL;
    jg_scorer *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return JG_NOMEM;
    s->vm = jg_rule_vm_thread();
    s->lim.budget = cfg->rule_budget * BUDGET_SCALE;
    s->lim.memory = (size_t)cfg->rule_memory_bytes * 4;
    s->lim.time_ms = cfg->rule_time_ms * BUDGET_SCALE;
    s->subj.head = "INSERT INTO score_subject (subject_kind, subject_id, role, period, area, score, total,"
                   " projects, explanation, rule_versions, computed_at) VALUES ";
    s->subj.ncols = SUBJECT_COLS;
    s->cred.head =
        "INSERT INTO credit_score (subject_kind, subject_id, role, domain, period, score, explanation,"
        " rule_version, computed_at) VALUES ";
    s->cred.ncols = CREDIT_COLS;
    s->subj.arena = jg_arena_new();
    s->cred.arena = jg_arena_new();
    jg_time_iso_now(s->now, sizeof(s->now));
    jg_rc rc = s->vm == NULL || s->subj.arena == NULL || s->cred.arena == NULL ? JG_NOMEM : JG_OK;
    for (int i = 0; rc == JG_OK && i < NRULES; i++) {
        rc = load_rule(c, rule_codes[i], &s->rules[i]);
        if (rc == JG_NOTFOUND)
            snprintf(why, whylen, "记分规则“%s”不存在或未启用，无法计算记分", rule_codes[i]);
    }
    if (rc != JG_OK) {
        jg_scorer_free(s);
        return rc;
    }
    *out = s;
    return JG_OK;
}

void jg_scorer_free(jg_scorer *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < NRULES; i++) {
        free(s->rules[i].src);
        json_decref(s->rules[i].params);
    }
    jg_arena_free(s->subj.arena);
    jg_arena_free(s->cred.arena);
    free(s->subj.v);
    free(s->cred.v);
    free(s->lines);
    for (int k = 0; k < 4; k++)
        free(s->col_text[k]);
    free(s->col_num);
    free(s);
}

/* --- batched inserts ---------------------------------------------------------------------------- */

/* Write b's rows on c, BATCH_ROWS per statement; the rows are kept (batch_reset drops them). */
static jg_rc write_batch(jg_conn *c, const batch *b)
{
    jg_rc rc = JG_OK;
    for (int from = 0; rc == JG_OK && from < b->nrows; from += BATCH_ROWS) {
        int rows = b->nrows - from < BATCH_ROWS ? b->nrows - from : BATCH_ROWS;
        jg_buf sql;
        jg_buf_init(&sql, 64 * 1024);
        jg_buf_puts(&sql, b->head);
        int n = 0;
        for (int r = 0; r < rows; r++) {
            jg_buf_puts(&sql, r > 0 ? ", (" : "(");
            for (int k = 0; k < b->ncols; k++)
                jg_buf_printf(&sql, "%s$%d", k > 0 ? ", " : "", ++n);
            jg_buf_puts(&sql, ")");
        }
        rc = sql.data == NULL ? JG_NOMEM : jg_db_exec(c, sql.data, b->v + (size_t)from * b->ncols, n, NULL);
        jg_buf_free(&sql);
    }
    return rc;
}

static jg_rc batch_reset(batch *b)
{
    b->nrows = 0;
    jg_arena_free(b->arena);
    b->arena = jg_arena_new();
    return b->arena == NULL ? JG_NOMEM : JG_OK;
}

/* Add one row of b->ncols values (text copied). */
static jg_rc add_row(batch *b, const jg_value *v)
{
    if (b->nrows == b->cap) {
        int cap = b->cap > 0 ? 2 * b->cap : 256;
        jg_value *nv = realloc(b->v, sizeof(jg_value) * (size_t)cap * (size_t)b->ncols);
        if (nv == NULL)
            return JG_NOMEM;
        b->v = nv;
        b->cap = cap;
    }
    jg_value *dst = b->v + (size_t)b->nrows * b->ncols;
    for (int k = 0; k < b->ncols; k++) {
        dst[k] = v[k];
        if (v[k].type == JG_V_TEXT) {
            dst[k].s = jg_arena_strdup(b->arena, v[k].s);
            if (dst[k].s == NULL)
                return JG_NOMEM;
        }
    }
    b->nrows++;
    return JG_OK;
}

/* --- one subject ---------------------------------------------------------------------------------- */

/* One role of one subject: its ledger lines, rows [from, to) of the gathered rows. */
typedef struct {
    const char *kind;
    int64_t id;
    const char *role, *period;
} subject;

/* Evaluate rule which over facts given as C values into res (with the result's JSON text in
 * res->text); why says what failed. */
static jg_rc eval_c(jg_scorer *s, int which, const jg_rule_cfacts *facts, jg_rule_result *res, char *why,
                    size_t whylen)
{
    srule *r = &s->rules[which];
    memset(res, 0, sizeof(*res));
    jg_rc rc =
        jg_rule_eval_c(s->vm, &s->lim, r->key, r->src, strlen(r->src), facts, 1, r->params, s->now, res);
    if (rc == JG_INVALID)
        snprintf(why, whylen, "记分规则“%s”运行失败：%s%s%s", rule_codes[which],
                 res->message != NULL ? res->message : "规则出错", res->detail[0] != '\0' ? "：" : "",
                 res->detail);
    else if (rc == JG_OK && !json_is_object(res->value)) {
        snprintf(why, whylen, "记分规则“%s”的返回值不是对象", rule_codes[which]);
        rc = JG_INVALID;
    }
    return rc;
}

/* Room for n entries in each of s's fact columns. */
static jg_rc columns_room(jg_scorer *s, int n)
{
    if (n <= s->col_cap)
        return JG_OK;
    int cap = n > 2 * s->col_cap ? n : 2 * s->col_cap;
    for (int k = 0; k < 4; k++) {
        const char **t = realloc(s->col_text[k], sizeof(*t) * (size_t)cap);
        if (t == NULL)
            return JG_NOMEM;
        s->col_text[k] = t;
    }
    double *d = realloc(s->col_num, sizeof(*d) * (size_t)cap);
    if (d == NULL)
        return JG_NOMEM;
    s->col_num = d;
    s->col_cap = cap;
    return JG_OK;
}

static double num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
}

static jg_rc store_subject(jg_scorer *s, const subject *sub, const char *area, json_t *value,
                           const char *explanation, const char *versions)
{
    jg_value v[SUBJECT_COLS] = {JG_VTEXT(sub->kind),
                                JG_VINT(sub->id),
                                JG_VTEXT(sub->role),
                                JG_VTEXT(sub->period),
                                JG_VTEXT(area),
                                JG_VREAL(num(value, "score")),
                                JG_VREAL(num(value, "total")),
                                JG_VINT((int64_t)num(value, "projects")),
                                JG_VTEXT(explanation),
                                JG_VTEXT(versions),
                                JG_VTEXT(s->now)};
    return add_row(&s->subj, v);
}

/* Credit of a quarter by rule which (R_CREDIT for contractors, R_SCREDIT for supervising firms,
 * R_PCREDIT for persons), one row per domain of the subject's projects. */
static jg_rc store_credit(jg_scorer *s, int which, const subject *sub, json_t *by_domain, long *credits,
                          char *why, size_t whylen)
{
    const char *domain;
    json_t *d;
    jg_rc rc = JG_OK;
    char ver[64];
    snprintf(ver, sizeof(ver), "%s@%lld", rule_codes[which], (long long)s->rules[which].version);
    json_object_foreach(by_domain, domain, d)
    {
        jg_rule_scalar f[] = {{"domain", domain, 0},
                              {"period", sub->period, 0},
                              {"role", sub->role, 0},
                              {"points", NULL, num(d, "score")}};
        jg_rule_cfacts facts = {.scalars = f, .nscalars = 4};
        jg_rule_result res;
        rc = eval_c(s, which, &facts, &res, why, whylen);
        if (rc == JG_OK) {
            /* the explanation: {"value":...,"explain":[...]} as the sandbox wrote it */
            jg_value v[CREDIT_COLS] = {
                JG_VTEXT(sub->kind), JG_VINT(sub->id),      JG_VTEXT(sub->role),
                JG_VTEXT(domain),    JG_VTEXT(sub->period), JG_VREAL(num(res.value, "score")),
                JG_VTEXT(res.text),  JG_VTEXT(ver),         JG_VTEXT(s->now)};
            rc = add_row(&s->cred, v);
            if (rc == JG_OK)
                (*credits)++;
        }
        jg_rule_result_clear(&res);
        if (rc != JG_OK)
            break;
    }
    return rc;
}

/* Columns of the gathered rows. */
enum { G_SUBJECT, G_ROLE, G_PROJECT, G_CLAUSE, G_INSPECTION, G_CITY, G_DOMAIN, G_POINTS };

/* Score sub over lines [from, to) of s->lines (same subject and role, ordered by project). */
static jg_rc score_one(jg_scorer *s, const subject *sub, const jg_rows *rows, int from, int to,
                       jg_scoring_counts *counts, char *why, size_t whylen)
{
    const struct gline *ln = s->lines;
    /* Facts as columns: a few arrays instead of a table per line, pushed straight into the
     * sandbox from the gathered rows. */
    jg_rule_result pr, ar;
    memset(&pr, 0, sizeof(pr));
    memset(&ar, 0, sizeof(ar));
    jg_rc rc = columns_room(s, to - from);
    int n = 0;
    for (int i = from; rc == JG_OK && i < to; i++, n++) {
        s->col_text[0][n] = jg_rows_text(rows, ln[i].row, G_PROJECT);
        s->col_text[1][n] = jg_rows_text(rows, ln[i].row, G_CLAUSE);
        s->col_text[2][n] = jg_rows_text(rows, ln[i].row, G_INSPECTION);
        s->col_num[n] = (double)ln[i].points / 10.0;
    }
    jg_rule_column lcols[] = {{"project", s->col_text[0], NULL},
                              {"clause", s->col_text[1], NULL},
                              {"inspection", s->col_text[2], NULL},
                              {"points", NULL, s->col_num}};
    jg_rule_cfacts lfacts = {.table = "lines", .cols = lcols, .ncols = 4, .rows = n};
    if (rc == JG_OK)
        rc = eval_c(s, R_PROJECT, &lfacts, &pr, why, whylen);
    /* The projects (each once, in order) with their scores from score.project. */
    json_t *scored = json_object_get(pr.value, "projects");
    n = 0;
    for (int i = from; rc == JG_OK && i < to; i++) {
        const char *pid = jg_rows_text(rows, ln[i].row, G_PROJECT);
        if (i > from && strcmp(pid, s->col_text[0][n - 1]) == 0)
            continue;
        s->col_text[0][n] = pid;
        s->col_text[1][n] = ln[i].city;
        s->col_text[2][n] = ln[i].domain;
        s->col_num[n++] = num(json_object_get(scored, pid), "score");
    }
    jg_rule_column pcols[] = {{"project", s->col_text[0], NULL},
                              {"city", s->col_text[1], NULL},
                              {"domain", s->col_text[2], NULL},
                              {"score", NULL, s->col_num}};
    jg_rule_cfacts pfacts = {.table = "projects", .cols = pcols, .ncols = 4, .rows = n};
    int which = strcmp(sub->kind, "enterprise") == 0         ? R_COMPANY
                : strcmp(sub->role, "chief_supervisor") == 0 ? R_CHIEF
                                                             : R_PERSON;
    if (rc == JG_OK)
        rc = eval_c(s, which, &pfacts, &ar, why, whylen);
    if (rc == JG_OK) {
        char versions[160];
        snprintf(versions, sizeof(versions), "%s@%lld,%s@%lld", rule_codes[R_PROJECT],
                 (long long)s->rules[R_PROJECT].version, rule_codes[which],
                 (long long)s->rules[which].version);
        /* {"projects":{"value","explain"},"subject":{"value","explain"}} from the texts the sandbox
         * wrote: no JSON tree of the explanations is made or dumped */
        jg_buf ex;
        jg_buf_init(&ex, (size_t)1 << 30);
        if (jg_buf_puts(&ex, "{\"projects\":") != JG_OK || jg_buf_puts(&ex, pr.text) != JG_OK ||
            jg_buf_puts(&ex, ",\"subject\":") != JG_OK || jg_buf_puts(&ex, ar.text) != JG_OK ||
            jg_buf_puts(&ex, "}") != JG_OK)
            rc = JG_NOMEM;
        if (rc == JG_OK)
            rc = store_subject(s, sub, "35", ar.value, ex.data, versions);
        jg_buf_free(&ex);
        counts->scores++;
        const char *city;
        json_t *cv;
        /* Rankings by city are of units; a person's cities are in the explanation only. */
        json_t *by_city = which == R_COMPANY ? json_object_get(ar.value, "by_city") : NULL;
        json_object_foreach(by_city, city, cv)
        {
            if (rc != JG_OK)
                break;
            json_t *cex = json_pack("{s:s, s:O}", "area", city, "value", cv);
            char *ctext = cex != NULL ? dump(cex) : NULL;
            rc = ctext == NULL ? JG_NOMEM : store_subject(s, sub, city, cv, ctext, versions);
            free(ctext);
            json_decref(cex);
            counts->scores++;
        }
        json_t *by_domain = json_object_get(ar.value, "by_domain");
        /* Credit is quarterly: contractors by credit.contractor_default, supervising firms by
         * credit.supervisor_default (an assumed, configurable formula: theirs is not public), persons
         * by credit.person_default. */
        int credit = which != R_COMPANY                          ? R_PCREDIT
                     : strcmp(sub->role, "contractor") == 0      ? R_CREDIT
                     : strcmp(sub->role, "supervisor_firm") == 0 ? R_SCREDIT
                                                                 : -1;
        if (rc == JG_OK && credit >= 0 && jg_scoring_period_kind(sub->period) == 1 &&
            json_is_object(by_domain))
            rc = store_credit(s, credit, sub, by_domain, &counts->credits, why, whylen);
        counts->subjects++;
    }
    jg_rule_result_clear(&pr);
    jg_rule_result_clear(&ar);
    return rc;
}

static const char by_enterprise[] =
    "SELECT enterprise_id, enterprise_role, project_id, clause_code, inspection_no, city_code, domain, points"
    " FROM score_point WHERE enterprise_id >= $1 AND enterprise_id <= $2 AND period >= $3 AND period <= $4"
    " AND enterprise_role IS NOT NULL"
    " ORDER BY enterprise_id, enterprise_role, project_id, clause_code, inspection_no";
static const char by_person[] =
    "SELECT person_id, person_role, project_id, clause_code, inspection_no, city_code, domain, points"
    " FROM score_point WHERE person_id >= $1 AND person_id <= $2 AND period >= $3 AND period <= $4"
    " AND person_role IS NOT NULL"
    " ORDER BY person_id, person_role, project_id, clause_code, inspection_no";

/* The ledger lines of subjects of kind in [lo, hi] for period, on c (or a read connection of db). */
static jg_rc gather(jg_db *db, jg_conn *c, const char *kind, int64_t lo, int64_t hi, const char *period,
                    jg_rows **rows)
{
    char plo[8], phi[8];
    period_range(period, plo, phi);
    jg_value p[] = {JG_VINT(lo), JG_VINT(hi), JG_VTEXT(plo), JG_VTEXT(phi)};
    const char *sql = strcmp(kind, "person") == 0 ? by_person : by_enterprise;
    return c != NULL ? jg_db_query(c, sql, p, 4, rows) : jg_db_read(db, sql, p, 4, rows);
}

/* 1 when gathered rows a and b are of the same subject and role (and, when whole, the same project,
 * clause and inspection: one line). */
static int same(const jg_rows *rows, int a, int b, int whole)
{
    if (jg_rows_int(rows, a, G_SUBJECT) != jg_rows_int(rows, b, G_SUBJECT) ||
        strcmp(jg_rows_text(rows, a, G_ROLE), jg_rows_text(rows, b, G_ROLE)) != 0)
        return 0;
    for (int k = G_PROJECT; whole && k <= G_INSPECTION; k++)
        if (strcmp(jg_rows_text(rows, a, k), jg_rows_text(rows, b, k)) != 0)
            return 0;
    return 1;
}

/* Score every subject of the gathered rows into s's batches. The rows come in index order (subject,
 * role, project, clause, inspection), one per ledger row; adding them up into lines here is cheaper
 * than a GROUP BY (SQLite's aggregate step took five times the index scan's time). */
static jg_rc compute(jg_scorer *s, const jg_rows *rows, const char *kind, const char *period,
                     jg_scoring_counts *counts, char *why, size_t whylen)
{
    int n = jg_rows_count(rows), nl = 0;
    if (n > s->lines_cap) {
        struct gline *nv = realloc(s->lines, sizeof(*nv) * (size_t)n);
        if (nv == NULL)
            return JG_NOMEM;
        s->lines = nv;
        s->lines_cap = n;
    }
    for (int i = 0; i < n; i++) {
        const char *city = jg_rows_text(rows, i, G_CITY), *domain = jg_rows_text(rows, i, G_DOMAIN);
        struct gline *l = nl > 0 ? &s->lines[nl - 1] : NULL;
        if (l != NULL && same(rows, l->row, i, 1)) {
            l->points += jg_rows_int(rows, i, G_POINTS);
            if (city != NULL && (l->city == NULL || strcmp(city, l->city) < 0))
                l->city = city;
            if (domain != NULL && (l->domain == NULL || strcmp(domain, l->domain) < 0))
                l->domain = domain;
        } else {
            s->lines[nl++] = (struct gline){i, jg_rows_int(rows, i, G_POINTS), city, domain};
        }
    }
    jg_rc rc = JG_OK;
    for (int from = 0; rc == JG_OK && from < nl;) {
        int to = from + 1;
        while (to < nl && same(rows, s->lines[from].row, s->lines[to].row, 0))
            to++;
        int r = s->lines[from].row;
        subject sub = {.kind = kind,
                       .id = jg_rows_int(rows, r, G_SUBJECT),
                       .role = jg_rows_text(rows, r, G_ROLE),
                       .period = period};
        rc = score_one(s, &sub, rows, from, to, counts, why, whylen);
        from = to;
    }
    return rc;
}

/* Replace on c the stored scores of subjects of kind in [lo, hi] for period by s's batches. */
static jg_rc replace(jg_scorer *s, jg_conn *c, const char *kind, int64_t lo, int64_t hi, const char *period)
{
    jg_value del[] = {JG_VTEXT(kind), JG_VINT(lo), JG_VINT(hi), JG_VTEXT(period)};
    jg_rc rc = jg_db_exec(c,
                          "DELETE FROM score_subject WHERE subject_kind = $1 AND subject_id >= $2"
                          " AND subject_id <= $3 AND period = $4",
                          del, 4, NULL);
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "DELETE FROM credit_score WHERE subject_kind = $1 AND subject_id >= $2"
                        " AND subject_id <= $3 AND period = $4",
                        del, 4, NULL);
    if (rc == JG_OK)
        rc = write_batch(c, &s->subj);
    if (rc == JG_OK)
        rc = write_batch(c, &s->cred);
    return rc;
}

static jg_rc reset(jg_scorer *s)
{
    jg_rc a = batch_reset(&s->subj), b = batch_reset(&s->cred);
    return a != JG_OK ? a : b;
}

jg_rc jg_scorer_run(jg_scorer *s, jg_conn *c, const char *kind, int64_t lo, int64_t hi, const char *period,
                    jg_scoring_counts *counts, char *why, size_t whylen)
{
    jg_rows *rows = NULL;
    jg_rc rc = gather(NULL, c, kind, lo, hi, period, &rows);
    if (rc == JG_OK)
        rc = compute(s, rows, kind, period, counts, why, whylen);
    jg_rows_free(rows);
    if (rc == JG_OK)
        rc = replace(s, c, kind, lo, hi, period);
    jg_rc r2 = reset(s);
    return rc != JG_OK ? rc : r2;
}

/* --- full recomputation ------------------------------------------------------------------------------ */

/* The full recomputation is a list of jobs (a kind, a period, a range of subject ids), done by
 * WORKERS threads: each gathers a job's lines on a read connection, scores them with its own
 * scorer (its thread's sandbox), and replaces the job's stored scores in one write transaction.
 * On SQLite the writes queue on the single writer while the other thread computes. */
#define CHUNK_SUBJECTS 500 /* subjects of one job */
#define WORKERS 2

typedef struct {
    char kind[12], period[8];
    int64_t lo, hi;
} job;

typedef struct {
    jg_db *db;
    const jg_config *cfg;
    int64_t mark; /* the ledger's highest id before any job read it */
    pthread_mutex_t mu;
    pthread_cond_t more; /* a job was added, planning ended or a job failed */
    int planned;         /* every job is in jobs */
    job *jobs;
    int njobs, cap, next;
    jg_rows *ids[2]; /* subject ids of the ledger: enterprises, persons (subjects()) */
    jg_rc rc;        /* the first failure */
    char why[384];
    jg_scoring_counts counts;
} pool;

/* Add a job while the workers may be taking others (they copy theirs out under the mutex). */
static jg_rc add_job(pool *p, const char *kind, const char *period, int64_t lo, int64_t hi)
{
    job j;
    snprintf(j.kind, sizeof(j.kind), "%s", kind);
    snprintf(j.period, sizeof(j.period), "%s", period);
    j.lo = lo;
    j.hi = hi;
    jg_rc rc = JG_OK;
    pthread_mutex_lock(&p->mu);
    if (p->njobs == p->cap) {
        int cap = p->cap > 0 ? 2 * p->cap : 64;
        job *nj = realloc(p->jobs, sizeof(job) * (size_t)cap);
        if (nj == NULL)
            rc = JG_NOMEM;
        else {
            p->jobs = nj;
            p->cap = cap;
        }
    }
    if (rc == JG_OK) {
        p->jobs[p->njobs++] = j;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* The ids of every subject of kind in the ledger, ascending, into *out (read once per kind and
 * shared by the periods: a range with no points in a period costs one empty index range scan). Not
 * filtered by period, so that it is one index-only scan of ix_score_point_*_group (0022). */
static jg_rc subjects(pool *p, const char *kind, jg_rows **out)
{
    int person = strcmp(kind, "person") == 0;
    if (p->ids[person] == NULL) {
        jg_rc rc =
            jg_db_read(p->db,
                       person ? "SELECT DISTINCT person_id FROM score_point WHERE person_id IS NOT NULL"
                                " ORDER BY 1"
                              : "SELECT DISTINCT enterprise_id FROM score_point WHERE enterprise_id IS NOT"
                                " NULL ORDER BY 1",
                       NULL, 0, &p->ids[person]);
        if (rc != JG_OK)
            return rc;
    }
    *out = p->ids[person];
    return JG_OK;
}

/* Jobs for the subjects of kind in period: contiguous ranges of CHUNK_SUBJECTS subjects of the
 * ledger from INT64_MIN up to INT64_MAX, so that stored rows of subjects no longer in the ledger's
 * period go too. */
static jg_rc plan(pool *p, const char *kind, const char *period)
{
    jg_rows *r = NULL;
    jg_rc rc = subjects(p, kind, &r);
    int n = rc == JG_OK ? jg_rows_count(r) : 0;
    int64_t next = INT64_MIN;
    for (int i = 0; rc == JG_OK && next != INT64_MAX; i += CHUNK_SUBJECTS) {
        int64_t hi = i + CHUNK_SUBJECTS < n ? jg_rows_int(r, i + CHUNK_SUBJECTS - 1, 0) : INT64_MAX;
        rc = add_job(p, kind, period, next, hi);
        next = hi == INT64_MAX ? INT64_MAX : hi + 1;
    }
    return rc;
}

typedef struct {
    jg_scorer *s;
    const job *j;
    const pool *p;
    char *why;
    size_t whylen;
} job_tx;

static jg_scoring_hook test_hook;

void jg_scoring_set_test_hook(jg_scoring_hook hook)
{
    test_hook = hook;
}

#define CATCH_UP_MAX 1000 /* ledger rows newer than the mark looked at one by one; more: redo the job */

/* Ledger rows can become effective while a job computes (effective.c, which rescores their subjects
 * in its own write transaction): the job's numbers, from the ledger as it was read, must not
 * overwrite theirs. Write transactions are serialized (SQLite's single writer; on PostgreSQL every
 * write transaction locks audit_head first, jg_db_serialize_writes) and ledger rows are only ever
 * inserted, so every row the job's read did not see has an id above p->mark. Here, in the job's
 * write transaction after its rows are written, the subjects of the job with such rows in its period
 * are scored again from the ledger as this transaction sees it (all of it). */
static jg_rc catch_up(jg_conn *c, job_tx *x)
{
    const job *j = x->j;
    int person = strcmp(j->kind, "person") == 0;
    char plo[8], phi[8];
    period_range(j->period, plo, phi);
    jg_value v[] = {JG_VINT(x->p->mark), JG_VINT(CATCH_UP_MAX)};
    jg_rows *r = NULL;
    jg_rc rc =
        jg_db_query(c,
                    "SELECT enterprise_id, enterprise_role, person_id, person_role, period FROM score_point"
                    " WHERE id > $1 ORDER BY id LIMIT $2",
                    v, 2, &r);
    int n = rc == JG_OK ? jg_rows_count(r) : 0;
    int64_t *ids = n > 0 ? calloc((size_t)n, sizeof(*ids)) : NULL;
    int nids = 0;
    if (n > 0 && ids == NULL)
        rc = JG_NOMEM;
    for (int i = 0; rc == JG_OK && i < n; i++) {
        int col = person ? 2 : 0;
        const char *period = jg_rows_text(r, i, 4);
        if (jg_rows_text(r, i, col) == NULL || jg_rows_text(r, i, col + 1) == NULL ||
            strcmp(period, plo) < 0 || strcmp(period, phi) > 0)
            continue;
        int64_t id = jg_rows_int(r, i, col);
        int seen = id < j->lo || id > j->hi;
        for (int k = 0; !seen && k < nids; k++)
            seen = ids[k] == id;
        if (!seen)
            ids[nids++] = id;
    }
    jg_rows_free(r);
    jg_scorer *s = NULL;
    if (rc == JG_OK && (nids > 0 || n == CATCH_UP_MAX))
        rc = jg_scorer_open(c, x->p->cfg, &s, x->why, x->whylen);
    jg_scoring_counts again = {0, 0, 0}; /* counted by the job already */
    if (rc == JG_OK && n == CATCH_UP_MAX)
        rc = jg_scorer_run(s, c, j->kind, j->lo, j->hi, j->period, &again, x->why, x->whylen);
    for (int k = 0; rc == JG_OK && n < CATCH_UP_MAX && k < nids; k++)
        rc = jg_scorer_run(s, c, j->kind, ids[k], ids[k], j->period, &again, x->why, x->whylen);
    jg_scorer_free(s);
    free(ids);
    return rc;
}

static jg_rc replace_tx(jg_conn *c, void *ud)
{
    job_tx *x = ud;
    jg_rc rc = replace(x->s, c, x->j->kind, x->j->lo, x->j->hi, x->j->period);
    return rc == JG_OK ? catch_up(c, x) : rc;
}

static void fail(pool *p, jg_rc rc, const char *why)
{
    pthread_mutex_lock(&p->mu);
    if (p->rc == JG_OK) {
        p->rc = rc;
        snprintf(p->why, sizeof(p->why), "%s", why);
    }
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->mu);
}

static void *worker(void *ud)
{
    pool *p = ud;
    char why[384] = "";
    jg_scorer *s = NULL;
    jg_conn *c = NULL;
    jg_rc rc = jg_db_acquire(p->db, 0, &c);
    if (rc == JG_OK)
        rc = jg_scorer_open(c, p->cfg, &s, why, sizeof(why));
    jg_db_release(c);
    jg_scoring_counts counts = {0, 0, 0};
    int64_t tg = 0, tc = 0, tw = 0;
    while (rc == JG_OK) {
        job mine_job;
        pthread_mutex_lock(&p->mu);
        while (p->rc == JG_OK && p->next == p->njobs && !p->planned)
            pthread_cond_wait(&p->more, &p->mu);
        int have = p->rc == JG_OK && p->next < p->njobs;
        if (have)
            mine_job = p->jobs[p->next++];
        pthread_mutex_unlock(&p->mu);
        if (!have)
            break;
        const job *j = &mine_job;
        jg_rows *rows = NULL;
        jg_scoring_counts mine = {0, 0, 0};
        int64_t t0 = jg_time_mono_us();
        rc = gather(p->db, NULL, j->kind, j->lo, j->hi, j->period, &rows);
        int64_t t1 = jg_time_mono_us();
        if (rc == JG_OK)
            rc = compute(s, rows, j->kind, j->period, &mine, why, sizeof(why));
        jg_rows_free(rows);
        int64_t t2 = jg_time_mono_us();
        if (rc == JG_OK && test_hook != NULL)
            test_hook(p->db, j->kind, j->period);
        job_tx x = {s, j, p, why, sizeof(why)};
        if (rc == JG_OK)
            rc = jg_db_tx(p->db, replace_tx, &x);
        int64_t t3 = jg_time_mono_us();
        tg += t1 - t0;
        tc += t2 - t1;
        tw += t3 - t2;
        if (rc == JG_OK)
            rc = reset(s);
        counts.subjects += mine.subjects;
        counts.scores += mine.scores;
        counts.credits += mine.credits;
    }
    if (rc != JG_OK)
        fail(p, rc, why);
    jg_log(JG_LOG_INFO, "scoring: worker gather %.2f s, rules %.2f s, writes %.2f s", (double)tg / 1e6,
           (double)tc / 1e6, (double)tw / 1e6);
    pthread_mutex_lock(&p->mu);
    p->counts.subjects += counts.subjects;
    p->counts.scores += counts.scores;
    p->counts.credits += counts.credits;
    pthread_mutex_unlock(&p->mu);
    jg_scorer_free(s);
    return NULL;
}

jg_rc jg_scoring_recompute_all(jg_db *db, const jg_config *cfg, const char *period, jg_scoring_counts *counts,
                               char *why, size_t whylen)
{
    memset(counts, 0, sizeof(*counts));
    pool p = {.db = db, .cfg = cfg, .rc = JG_OK};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.more, NULL);
    static const char *const kinds[] = {"enterprise", "person"};
    jg_rows *m = NULL;
    jg_rc rc = jg_db_read(db, "SELECT COALESCE(MAX(id), 0) FROM score_point", NULL, 0, &m);
    p.mark = rc == JG_OK ? jg_rows_int(m, 0, 0) : 0;
    jg_rows_free(m);
    /* The workers start at once and take the jobs as they are planned here. */
    pthread_t th[WORKERS];
    int started = 0;
    for (int i = 0; rc == JG_OK && i < WORKERS; i++) {
        if (pthread_create(&th[i], NULL, worker, &p) != 0)
            break;
        started++;
    }
    if (rc == JG_OK && started == 0)
        rc = JG_NOMEM;
    if (rc == JG_OK && period != NULL) {
        for (int w = 0; rc == JG_OK && w < 2; w++)
            rc = plan(&p, kinds[w], period);
    } else if (rc == JG_OK) {
        /* Every quarter of the ledger, and every year of them. */
        jg_rows *r = NULL;
        rc = jg_db_read(db, "SELECT DISTINCT period FROM score_point ORDER BY 1", NULL, 0, &r);
        int n = rc == JG_OK ? jg_rows_count(r) : 0;
        for (int i = 0; rc == JG_OK && i < n; i++) {
            const char *q = jg_rows_text(r, i, 0);
            for (int w = 0; rc == JG_OK && w < 2; w++)
                rc = plan(&p, kinds[w], q);
            if (rc == JG_OK && (i + 1 == n || strncmp(q, jg_rows_text(r, i + 1, 0), 4) != 0)) {
                char year[8];
                snprintf(year, sizeof(year), "%.4s", q);
                for (int w = 0; rc == JG_OK && w < 2; w++)
                    rc = plan(&p, kinds[w], year);
            }
        }
        jg_rows_free(r);
    }
    if (rc != JG_OK)
        fail(&p, rc, ""); /* the workers stop after their current job */
    pthread_mutex_lock(&p.mu);
    p.planned = 1;
    pthread_cond_broadcast(&p.more);
    pthread_mutex_unlock(&p.mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (rc == JG_OK)
        rc = p.rc;
    if (p.why[0] != '\0')
        snprintf(why, whylen, "%s", p.why);
    *counts = p.counts;
    free(p.jobs);
    jg_rows_free(p.ids[0]);
    jg_rows_free(p.ids[1]);
    pthread_cond_destroy(&p.more);
    pthread_mutex_destroy(&p.mu);
    return rc;
}
