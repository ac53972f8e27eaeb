/* XLSX export of business records: GET /api/v1/records/{entity}/export.xlsx?filter=&sort=
 *
 * The same filter, sort and data scope as the list, rendered by jg_record_json (so sensitive values
 * are masked unless the caller may reveal them, secret fields are left out). The workbook is written
 * by libxlsxwriter in constant_memory mode to a temporary file under data_dir/tmp, reading the rows
 * in pages of EXPORT_PAGE, then sent from that file (unlinked as soon as it is open: nothing is left
 * behind, whatever happens to the download). Memory stays flat:
 *   - sort absent, "id" or "-id": pages by keyset on id, up to the newest id when it started;
 *   - any other sort: the sorted ids are read first (8 bytes a row), then the rows page by page.
 * Formula injection: text is only ever written with worksheet_write_string (no formula call is
 * made anywhere here), so "=1+1" or "@SUM(A1)" is a string cell that no spreadsheet evaluates, and
 * the value is kept exactly (unlike CSV, where src/base/csv.c must prefix an apostrophe).
 * libxlsxwriter 1.1.4 (Debian 12) has no quotePrefix format, so editing such a cell by hand in Excel
 * later would make it a formula: that is the user's own act, not the export's. */
#include "engine/entity/records.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/entity/filter.h"
#include "platform/dict.h"
#include "platform/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#define EXPORT_PAGE 1000
#define LABEL_CACHE 256       /* distinct (field, code) enum labels remembered */
#define XLSX_MAX_STRING 32767 /* characters in one cell (Excel's limit) */
#define SHANGHAI_OFFSET_S (8 * 3600)

enum col_kind { COL_ID, COL_STATE, COL_CREATED, COL_UPDATED, COL_FIELD };

struct col {
    enum col_kind kind;
    const jg_field *f; /* COL_FIELD */
};

struct label {
    const jg_field *f;
    char *code, *label; /* in the export's arena */
};

/* One export: everything lives until export() returns. */
struct xport {
    jg_req *req;
    const jg_record_kind *k;
    jg_conn *c; /* a read connection for the whole export */
    jg_arena *a;
    const char *where; /* " WHERE r.state <> 'deleted' AND <scope> AND (<filter>)" */
    jg_value *p;       /* its values, then room for a page's */
    int n;
    struct col *cols;
    int ncols;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *money, *decimal[7], *date, *datetime;
    struct label labels[LABEL_CACHE];
    int nlabels;
    uint32_t row; /* next worksheet row */
};

/* ---- columns ---- */

static int col_used(const struct xport *x, enum col_kind kind, const jg_field *f)
{
    for (int i = 0; i < x->ncols; i++)
        if (x->cols[i].kind == kind && x->cols[i].f == f)
            return 1;
    return 0;
}

static void col_add(struct xport *x, enum col_kind kind, const jg_field *f)
{
    if (kind == COL_FIELD && (f == NULL || f->data_class == JG_CLASS_SECRET))
        return;
    if (!col_used(x, kind, f))
        x->cols[x->ncols++] = (struct col){kind, f};
}

/* 编号, the definition's list columns, the other fields that lists may show, then 状态, 创建时间 and
 * 修改时间 where the list columns did not place them. Secret fields never. */
static void columns(struct xport *x)
{
    const jg_entity *e = x->k->e;
    x->cols = jg_arena_alloc(x->a, sizeof(struct col) * (size_t)(e->nfields + 4));
    col_add(x, COL_ID, NULL);
    json_t *list = json_object_get(json_object_get(e->doc, "list"), "columns");
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *name = json_string_value(v);
        if (name == NULL)
            continue;
        if (strcmp(name, "state") == 0)
            col_add(x, COL_STATE, NULL);
        else if (strcmp(name, "created_at") == 0)
            col_add(x, COL_CREATED, NULL);
        else if (strcmp(name, "updated_at") == 0)
            col_add(x, COL_UPDATED, NULL);
        else if (strcmp(name, "id") != 0)
            col_add(x, COL_FIELD, jg_entity_field(e, name));
    }
    for (int f = 0; f < e->nfields; f++)
        col_add(x, COL_FIELD, &e->fields[f]);
    col_add(x, COL_STATE, NULL);
    col_add(x, COL_CREATED, NULL);
    col_add(x, COL_UPDATED, NULL);
}

static const char *col_label(const struct col *c)
{
    switch (c->kind) {
    case COL_ID:
        return "编号";
    case COL_STATE:
        return "状态";
    case COL_CREATED:
        return "创建时间";
    case COL_UPDATED:
        return "修改时间";
    default:
        return c->f->label;
    }
}

/* ---- cells ---- */

/* Text as a string cell: worksheet_write_string writes a string (an inline string in
 * constant_memory mode) whatever its first character, never a formula. */
static lxw_error put_text(struct xport *x, uint16_t col, const char *s)
{
    if (jg_utf8_chars(s) > XLSX_MAX_STRING)
        s = "（内容过长，未导出）";
    return worksheet_write_string(x->ws, x->row, col, s, NULL);
}

/* "2026-05-01T08:30:00.123Z" (UTC) as Beijing time; a date "2026-05-01" as is. 0 when s is neither. */
static int parse_time(const char *s, int is_date, lxw_datetime *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (is_date) {
        if (sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3)
            return 0;
        *out = (lxw_datetime){y, mo, d, 0, 0, 0};
        return 1;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
        return 0;
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm) + SHANGHAI_OFFSET_S;
    struct tm l;
    gmtime_r(&t, &l);
    *out = (lxw_datetime){l.tm_year + 1900, l.tm_mon + 1, l.tm_mday, l.tm_hour, l.tm_min, l.tm_sec};
    return 1;
}

static lxw_error put_time(struct xport *x, uint16_t col, const char *s, int is_date)
{
    lxw_datetime dt;
    if (!parse_time(s, is_date, &dt))
        return put_text(x, col, s);
    return worksheet_write_datetime(x->ws, x->row, col, &dt, is_date ? x->date : x->datetime);
}

/* The label of enum code of f, from a small cache of the export, else the dictionary; the code
 * itself when the dictionary has no such item. */
static jg_rc enum_label(struct xport *x, const jg_field *f, const char *code, jg_arena *page,
                        const char **out)
{
    for (int i = 0; i < x->nlabels; i++)
        if (x->labels[i].f == f && strcmp(x->labels[i].code, code) == 0) {
            *out = x->labels[i].label;
            return JG_OK;
        }
    int keep = x->nlabels < LABEL_CACHE;
    const char *label;
    jg_rc rc = jg_dict_label(x->c, f->dict, code, keep ? x->a : page, &label);
    if (rc == JG_NOTFOUND) {
        label = code;
        rc = JG_OK;
    }
    if (rc != JG_OK)
        return rc;
    if (keep)
        x->labels[x->nlabels++] = (struct label){f, jg_arena_strdup(x->a, code), (char *)label};
    *out = label;
    return JG_OK;
}

static lxw_error put_field(struct xport *x, uint16_t col, const jg_field *f, json_t *v, jg_arena *page,
                           jg_rc *rc)
{
    if (v == NULL || json_is_null(v))
        return LXW_NO_ERROR;
    const char *s = json_string_value(v);
    if (f->data_class >= JG_CLASS_SENSITIVE) /* masked or revealed, as jg_record_json chose */
        return s != NULL ? put_text(x, col, s) : LXW_NO_ERROR;
    switch (f->type) {
    case JG_FIELD_MONEY:
    case JG_FIELD_DECIMAL: {
        /* Doubles hold integers below 2^53 exactly: fen up to 90 trillion yuan. */
        lxw_format *fmt =
            f->type == JG_FIELD_MONEY ? x->money : x->decimal[f->scale >= 0 && f->scale <= 6 ? f->scale : 2];
        return s != NULL ? worksheet_write_number(x->ws, x->row, col, strtod(s, NULL), fmt) : LXW_NO_ERROR;
    }
    case JG_FIELD_INTEGER:
    case JG_FIELD_REF:
    case JG_FIELD_ENTERPRISE:
    case JG_FIELD_PERSON: {
        json_int_t i = json_integer_value(v);
        if (i > -(1LL << 53) && i < (1LL << 53))
            return worksheet_write_number(x->ws, x->row, col, (double)i, NULL);
        char buf[32];
        snprintf(buf, sizeof(buf), "%lld", (long long)i);
        return worksheet_write_string(x->ws, x->row, col, buf, NULL);
    }
    case JG_FIELD_BOOLEAN:
        return worksheet_write_string(x->ws, x->row, col, json_is_true(v) ? "是" : "否", NULL);
    case JG_FIELD_DATE:
    case JG_FIELD_DATETIME:
        return s != NULL ? put_time(x, col, s, f->type == JG_FIELD_DATE) : LXW_NO_ERROR;
    case JG_FIELD_ENUM: {
        const char *label = s;
        if (s != NULL)
            *rc = enum_label(x, f, s, page, &label);
        return label != NULL ? put_text(x, col, label) : LXW_NO_ERROR;
    }
    default:
        break;
    }
    if (s != NULL)
        return put_text(x, col, s);
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY); /* files, geo, json */
    lxw_error err = text != NULL ? put_text(x, col, text) : LXW_NO_ERROR;
    free(text);
    return err;
}

static const char *state_label(const jg_entity *e, const char *state)
{
    for (int i = 0; state != NULL && i < e->nstates; i++)
        if (strcmp(e->states[i].name, state) == 0)
            return e->states[i].label;
    return state;
}

/* One record (row i of rows) as a worksheet row. */
static jg_rc put_row(struct xport *x, const jg_rows *rows, int i, jg_arena *page)
{
    json_t *o;
    jg_rc rc = jg_record_json(x->req, x->c, x->k, rows, i, 0, &o);
    if (rc != JG_OK)
        return rc;
    lxw_error err = LXW_NO_ERROR;
    for (int c = 0; c < x->ncols && err == LXW_NO_ERROR && rc == JG_OK; c++) {
        const struct col *cl = &x->cols[c];
        uint16_t col = (uint16_t)c;
        switch (cl->kind) {
        case COL_ID:
            err = worksheet_write_number(x->ws, x->row, col,
                                         (double)json_integer_value(json_object_get(o, "id")), NULL);
            break;
        case COL_STATE: {
            const char *label = state_label(x->k->e, json_string_value(json_object_get(o, "state")));
            err = label != NULL ? put_text(x, col, label) : LXW_NO_ERROR;
            break;
        }
        case COL_CREATED:
        case COL_UPDATED: {
            const char *at =
                json_string_value(json_object_get(o, cl->kind == COL_CREATED ? "created_at" : "updated_at"));
            err = at != NULL ? put_time(x, col, at, 0) : LXW_NO_ERROR;
            break;
        }
        default:
            err = put_field(x, col, cl->f, json_object_get(o, cl->f->name), page, &rc);
        }
    }
    json_decref(o);
    x->row++;
    if (rc == JG_OK && err != LXW_NO_ERROR) {
        jg_error("xlsx export: %s", lxw_strerror(err));
        rc = JG_ERR;
    }
    return rc;
}

/* Write rows in the order of the query. The request's arena is swapped for a page arena while
 * jg_record_json runs: it allocates the opened and masked forms of sensitive values there, which
 * must not pile up over a million rows. */
static jg_rc put_rows(struct xport *x, const jg_rows *rows, const int *order, int count)
{
    jg_arena *page = jg_arena_new(), *saved = x->req->arena;
    x->req->arena = page;
    jg_rc rc = JG_OK;
    for (int i = 0; i < count && rc == JG_OK; i++)
        rc = put_row(x, rows, order != NULL ? order[i] : i, page);
    x->req->arena = saved;
    jg_arena_free(page);
    return rc;
}

/* ---- reading ---- */

/* "SELECT <columns> FROM <table> r <where><tail>" (an arena string). The table name comes from the
 * definition, never the request; values are bound. */
static char *over_table(struct xport *x, const char *columns, const char *tail)
{
    jg_buf b;
    jg_buf_init(&b, 262144);
    jg_buf_puts(&b, "SELECT ");
    jg_buf_puts(&b, columns);
    jg_buf_puts(&b, " FROM ");
    jg_buf_puts(&b, x->k->e->table);
    jg_buf_puts(&b, " r");
    jg_buf_puts(&b, x->where);
    jg_buf_puts(&b, tail);
    char *sql = jg_arena_strdup(x->a, b.data);
    jg_buf_free(&b);
    return sql;
}

/* Keyset pages on id, up to the newest id when the export started (last): ascending ids in
 * (after, last], or descending (newest first) below after. At most limit rows. */
static jg_rc read_keyset(struct xport *x, int desc, int64_t last, int64_t limit)
{
    int64_t after = desc ? last + 1 : 0, done = 0;
    char *sql = jg_arena_printf(x->a, "%s%s AND r.id %s $%d AND r.id %s $%d ORDER BY r.id%s LIMIT %d",
                                x->k->select, x->where, desc ? "<" : ">", x->n + 1,
                                desc ? ">=" : "<=", x->n + 2, desc ? " DESC" : "", EXPORT_PAGE);
    for (;;) {
        x->p[x->n] = JG_VINT(after);
        x->p[x->n + 1] = JG_VINT(desc ? 1 : last);
        jg_rows *r;
        jg_rc rc = jg_db_query(x->c, sql, x->p, x->n + 2, &r);
        if (rc != JG_OK)
            return rc;
        int got = jg_rows_count(r), count = got;
        if (done + count > limit)
            count = (int)(limit - done);
        rc = put_rows(x, r, NULL, count);
        if (count > 0)
            after = jg_rows_int(r, count - 1, 0);
        jg_rows_free(r);
        done += count;
        if (rc != JG_OK || got < EXPORT_PAGE || done >= limit)
            return rc;
    }
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Any other sort: the ids in order first, then the rows page by page (each page read by id, in id
 * order, and written in the sorted order). */
static jg_rc read_sorted(struct xport *x, const char *order, int64_t limit)
{
    char *sql = over_table(x, "r.id", jg_arena_printf(x->a, "%s LIMIT $%d", order, x->n + 1));
    x->p[x->n] = JG_VINT(limit);
    jg_rows *r;
    jg_rc rc = jg_db_query(x->c, sql, x->p, x->n + 1, &r);
    if (rc != JG_OK)
        return rc;
    int total = jg_rows_count(r);
    int64_t *ids = jg_xmalloc(sizeof(int64_t) * ((size_t)total + 1));
    for (int i = 0; i < total; i++)
        ids[i] = jg_rows_int(r, i, 0);
    jg_rows_free(r);
    jg_buf q;
    jg_buf_init(&q, 262144); /* the select, the largest where (about 60 KiB) and 1000 ids */
    int64_t page_ids[EXPORT_PAGE];
    int pos[EXPORT_PAGE];
    for (int start = 0; start < total && rc == JG_OK; start += EXPORT_PAGE) {
        int count = total - start < EXPORT_PAGE ? total - start : EXPORT_PAGE;
        jg_buf_free(&q);
        jg_buf_init(&q, 262144);
        jg_buf_printf(&q, "%s%s AND r.id IN (", x->k->select, x->where);
        for (int i = 0; i < count; i++) {
            x->p[x->n + i] = JG_VINT(ids[start + i]);
            jg_buf_printf(&q, "%s$%d", i > 0 ? ", " : "", x->n + 1 + i);
        }
        jg_buf_puts(&q, ") ORDER BY r.id");
        rc = jg_db_query(x->c, q.data, x->p, x->n + count, &r);
        if (rc != JG_OK)
            break;
        int got = jg_rows_count(r), m = 0;
        for (int i = 0; i < got; i++)
            page_ids[i] = jg_rows_int(r, i, 0);
        for (int i = 0; i < count; i++) { /* a row deleted meanwhile is left out */
            int64_t *hit = bsearch(&ids[start + i], page_ids, (size_t)got, sizeof(int64_t), cmp_id);
            if (hit != NULL)
                pos[m++] = (int)(hit - page_ids);
        }
        rc = put_rows(x, r, pos, m);
        jg_rows_free(r);
    }
    jg_buf_free(&q);
    free(ids);
    return rc;
}

/* ---- the workbook ---- */

static void formats(struct xport *x)
{
    x->bold = workbook_add_format(x->wb);
    format_set_bold(x->bold);
    x->money = workbook_add_format(x->wb);
    format_set_num_format(x->money, "#,##0.00");
    static const char *const scaled[] = {"0", "0.0", "0.00", "0.000", "0.0000", "0.00000", "0.000000"};
    for (int i = 0; i < 7; i++) {
        x->decimal[i] = workbook_add_format(x->wb);
        format_set_num_format(x->decimal[i], scaled[i]);
    }
    x->date = workbook_add_format(x->wb);
    format_set_num_format(x->date, "yyyy-mm-dd");
    x->datetime = workbook_add_format(x->wb);
    format_set_num_format(x->datetime, "yyyy-mm-dd hh:mm:ss");
}

/* Write the workbook to path: the header, then the records. */
static jg_rc build(struct xport *x, const char *path, const char *tmpdir, const char *sort, const char *order,
                   int64_t last, int64_t limit)
{
    lxw_workbook_options opt = {.constant_memory = LXW_TRUE, .tmpdir = (char *)tmpdir, .use_zip64 = LXW_TRUE};
    x->wb = workbook_new_opt(path, &opt);
    if (x->wb == NULL)
        return JG_ERR;
    x->ws = workbook_add_worksheet(x->wb, NULL);
    formats(x);
    jg_rc rc = x->ws != NULL ? JG_OK : JG_ERR;
    for (int c = 0; c < x->ncols && rc == JG_OK; c++) {
        worksheet_set_column(x->ws, (lxw_col_t)c, (lxw_col_t)c, x->cols[c].kind == COL_ID ? 10 : 18, NULL);
        if (worksheet_write_string(x->ws, 0, (lxw_col_t)c, col_label(&x->cols[c]), x->bold) != LXW_NO_ERROR)
            rc = JG_ERR;
    }
    x->row = 1;
    if (rc == JG_OK && limit > 0) {
        if (sort == NULL || *sort == '\0' || strcmp(sort, "-id") == 0 || strcmp(sort, "id") == 0)
            rc = read_keyset(x, sort == NULL || *sort != 'i', last, limit);
        else
            rc = read_sorted(x, order, limit);
    }
    lxw_error err = workbook_close(x->wb); /* frees it, whatever happened */
    x->wb = NULL;
    if (rc == JG_OK && err != LXW_NO_ERROR) {
        jg_error("xlsx export: %s", lxw_strerror(err));
        rc = JG_ERR;
    }
    return rc;
}

struct audit_ctx {
    jg_req *req;
    const char *entity;
    json_t *detail;
};

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    struct audit_ctx *a = ud;
    return jg_audit_req(c, a->req, "record_export", a->entity, NULL, json_incref(a->detail));
}

/* "attachment; filename=\"registration-20261125.xlsx\"; filename*=UTF-8''<label>-20261125.xlsx"; the
 * import template (template set): "registration-template.xlsx" and "<label>-导入模板.xlsx". */
static const char *disposition(jg_req *req, const jg_entity *e, int template)
{
    char day[16], compact[9];
    jg_time_business_date((int64_t)time(NULL), day, sizeof(day));
    snprintf(compact, sizeof(compact), "%.4s%.2s%.2s", day, day + 5, day + 8);
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_buf_printf(&b, "attachment; filename=\"%s-%s.xlsx\"; filename*=UTF-8''", e->name,
                  template ? "template" : compact);
    char *label = jg_arena_printf(req->arena, "%s-%s.xlsx", e->label, template ? "导入模板" : compact);
    for (const unsigned char *s = (const unsigned char *)label; *s != '\0'; s++) /* RFC 5987 attr-char */
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~", *s))
            jg_buf_append(&b, s, 1);
        else
            jg_buf_printf(&b, "%%%02X", *s);
    const char *out = jg_arena_strdup(req->arena, b.data);
    jg_buf_free(&b);
    return out;
}

/* The filter and sort of the request as SQL over k (the list's rules): x->where with its values,
 * *order; or the 400 answered and JG_INVALID. */
static jg_rc conditions(struct xport *x, jg_resp *resp, const char **order)
{
    x->p = jg_arena_alloc(x->req->arena, sizeof(jg_value) * (JG_RECORD_MAX_PARAMS + EXPORT_PAGE + 2));
    x->n = 0;
    return jg_record_conditions(x->req, resp, x->k, json_object(), x->p, &x->n, &x->where, order);
}

/* How many records match, and the newest id. */
static jg_rc count_rows(struct xport *x, int64_t *count, int64_t *last)
{
    char *sql = over_table(x, "count(*), COALESCE(MAX(r.id), 0)", "");
    jg_rows *r;
    jg_rc rc = jg_db_query(x->c, sql, x->p, x->n, &r);
    if (rc != JG_OK)
        return rc;
    *count = jg_rows_int(r, 0, 0);
    *last = jg_rows_int(r, 0, 1);
    jg_rows_free(r);
    return JG_OK;
}

/* Build the workbook in a temporary file of data_dir/tmp and answer with it (*fd, unlinked). */
static jg_rc produce(struct xport *x, const char *order, int64_t last, int64_t limit, int *fd, uint64_t *size)
{
    const jg_config *cfg = x->req->app->cfg;
    char *tmpdir = jg_arena_printf(x->a, "%s/tmp", cfg->data_dir);
    if (mkdir(tmpdir, 0700) != 0 && errno != EEXIST) {
        jg_error("xlsx export: cannot create %s: %s", tmpdir, strerror(errno));
        return JG_ERR;
    }
    char *path = jg_arena_printf(x->a, "%s/export-XXXXXX", tmpdir);
    int tmp = mkstemp(path);
    if (tmp < 0) {
        jg_error("xlsx export: cannot create a file in %s: %s", tmpdir, strerror(errno));
        return JG_ERR;
    }
    close(tmp); /* libxlsxwriter opens it by name */
    jg_rc rc = build(x, path, tmpdir, jg_req_query(x->req, "sort"), order, last, limit);
    *fd = rc == JG_OK ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    unlink(path);
    struct stat st;
    if (rc == JG_OK && (*fd < 0 || fstat(*fd, &st) != 0)) {
        jg_error("xlsx export: cannot reopen the workbook: %s", strerror(errno));
        rc = JG_ERR;
    }
    if (rc != JG_OK && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    if (rc == JG_OK)
        *size = (uint64_t)st.st_size;
    return rc;
}

/* GET /api/v1/records/{entity}/export.xlsx?filter=&sort= (listed in records.c's route table) */
jg_rc jg_record_export(jg_req *req, jg_resp *resp)
{
    struct xport x = {.req = req};
    x.k = jg_record_kind_of(req, resp, "read");
    if (x.k == NULL)
        return JG_DENIED;
    const char *order;
    jg_rc rc = conditions(&x, resp, &order);
    if (rc != JG_OK)
        return rc;
    rc = jg_db_acquire(req->app->db, 0, &x.c);
    if (rc != JG_OK)
        return rc;
    x.a = jg_arena_new();
    int64_t count = 0, last = 0;
    rc = count_rows(&x, &count, &last);
    long max = req->app->cfg->max_export_rows;
    if (rc == JG_OK && count > max) {
        char *msg =
            jg_arena_printf(req->arena, "符合条件的记录有 %lld 条，超过单次导出上限 %ld 条，请缩小筛选范围",
                            (long long)count, max);
        rc = jg_resp_error(req, resp, JG_INVALID, msg);
    }
    if (rc == JG_OK) { /* audited before the file is built */
        const char *ftext = jg_req_query(req, "filter"), *sort = jg_req_query(req, "sort");
        struct audit_ctx a = {
            req, x.k->e->name,
            json_pack("{s:s?, s:s?, s:I}", "filter", ftext, "sort", sort, "rows", (json_int_t)count)};
        rc = jg_db_tx(req->app->db, audit_tx, &a);
        json_decref(a.detail);
    }
    int fd = -1;
    uint64_t size = 0;
    columns(&x);
    if (rc == JG_OK)
        rc = produce(&x, order, last, count, &fd, &size);
    jg_db_release(x.c);
    jg_arena_free(x.a);
    if (rc != JG_OK)
        return rc;
    resp->status = 200;
    resp->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    resp->fd = fd;
    resp->fd_size = size;
    jg_resp_header(req, resp, "Content-Disposition", disposition(req, x.k->e, 0));
    return JG_OK;
}

/* GET /api/v1/records/{entity}/import-template.xlsx (routed by records_import.c): the export's
 * workbook with the importable fields as its columns and no rows. */
jg_rc jg_record_import_template(jg_req *req, jg_resp *resp)
{
    struct xport x = {.req = req};
    x.k = jg_record_kind_of(req, resp, "create");
    if (x.k == NULL)
        return JG_DENIED;
    const jg_entity *e = x.k->e;
    x.a = jg_arena_new();
    x.cols = jg_arena_alloc(x.a, sizeof(struct col) * (size_t)(e->nfields + 1));
    for (int f = 0; f < e->nfields; f++)
        if (jg_record_importable(&e->fields[f]))
            x.cols[x.ncols++] = (struct col){COL_FIELD, &e->fields[f]};
    int fd = -1;
    uint64_t size = 0;
    jg_rc rc = produce(&x, "", 0, 0, &fd, &size); /* no rows: nothing is read */
    jg_arena_free(x.a);
    if (rc != JG_OK)
        return rc;
    resp->status = 200;
    resp->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    resp->fd = fd;
    resp->fd_size = size;
    jg_resp_header(req, resp, "Content-Disposition", disposition(req, e, 1));
    return JG_OK;
}
