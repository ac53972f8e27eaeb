/* Import of business records from XLSX or CSV: POST /api/v1/records/{entity}/import, and the empty
 * workbook to fill in, GET /api/v1/records/{entity}/import-template.xlsx (records_export.c).
 *
 * The first row with cells is the header: each title is a field's label (项目名称, as the export and
 * the template write them) or its name (project_name); the export's own columns 编号, 状态, 创建时间
 * and 修改时间 are ignored, so an export can be imported again. An unknown or repeated title, a
 * title missing in the middle, or a required field (without a default) left out stops the import
 * before any row. Each following row becomes the JSON body of POST /api/v1/records/{entity} (cells
 * converted by the field's type, see cell_json), checked by jg_record_prepare — the same
 * conversion, checks and messages as that POST, and the data scope checked per row — and written
 * by jg_record_insert_many in batches of INSERT_BATCH (a batch is written early when a row holds a
 * unique value, so that its check sees every row before it), inside ONE transaction for the file:
 *   mode=all (default)  any bad row: nothing is written, 400 with the report;
 *   mode=valid          the good rows are written, the bad ones reported;
 *   dry_run=1           everything is checked and then rolled back.
 * A file is never half imported. History: one row per record (action "import"), written in
 * batches; audit: one row for the whole import (counts, file name, size, SM3 of the file). Child
 * tables are not imported. Rows are read one at a time (xlsx_read.c, csv_read.c) and each row's
 * allocations are freed once it is written, so memory stays flat whatever the number of rows. */
#include "engine/entity/records.h"

#include "base/csv_read.h"
#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "engine/entity/xlsx_read.h"
#include "platform/identity.h"

#include <ctype.h>
#include <math.h> /* isfinite, a macro: nothing from libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ERRORS 1000   /* errors listed in a report; past it "errors_truncated" */
#define HISTORY_BATCH 500 /* history rows written by one statement */
#define INSERT_BATCH 100  /* records written by one INSERT (fewer round trips to PostgreSQL) */
#define LOOKUPS 1024      /* remembered label -> code and enterprise name -> id conversions */
#define MAX_COLS 512
#define MAX_CELL_BYTES 131072 /* Excel's 32,767 characters of up to 4 bytes */

/* The export's columns that are not fields (records_export.c, col_label): ignored on import. */
static const char *const SYSTEM_TITLES[] = {"编号", "状态", "创建时间", "修改时间", NULL};

struct lookup {
    char *key, *value; /* value NULL: no match */
};

struct import {
    jg_req *req;
    const jg_record_kind *k;
    jg_conn *c;
    const jg_part *file;
    int csv, valid_only, dry_run, date1904;
    char now[32];
    char sm3[2 * JG_SM3_LEN + 1];
    /* the header */
    int header_done, ncols;
    const jg_field **col_field; /* per column: the field, or NULL (ignored) */
    char **col_title;           /* per column: its title as written */
    json_t *ignored;            /* titles of ignored columns */
    /* the rows */
    int64_t total, valid, imported;
    int64_t rejected_rows;
    json_t *errors; /* [{row, column, message}] up to MAX_ERRORS */
    int truncated, header_bad;
    int64_t ids[HISTORY_BATCH];
    int nids;
    jg_record_new *pending[INSERT_BATCH];  /* checked, not yet written */
    jg_arena *pending_arena[INSERT_BATCH]; /* the arena of each (its row's) */
    int npending;
    jg_record_cache *cache;
    struct lookup lookups[LOOKUPS];
    int nlookups;
    jg_rc fatal;  /* a database failure in a row */
    int finished; /* the transaction function reached its end (a rollback is then on purpose) */
    char err[512];
};

/* ---- the report ---- */

static void report_error(struct import *im, int64_t row, const char *column, const char *message)
{
    if (json_array_size(im->errors) >= MAX_ERRORS) {
        im->truncated = 1;
        return;
    }
    json_array_append_new(im->errors, json_pack("{s:I, s:s?, s:s}", "row", (json_int_t)row, "column", column,
                                                "message", message != NULL ? message : "取值不正确"));
}

/* ---- the header ---- */

/* s without leading and trailing blanks (ASCII and the full-width space U+3000), in a. */
static char *trimmed(jg_arena *a, const char *s, size_t n)
{
    for (;;) {
        if (n > 0 && isspace((unsigned char)s[0])) {
            s++, n--;
        } else if (n >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) {
            s += 3, n -= 3;
        } else if (n > 0 && isspace((unsigned char)s[n - 1])) {
            n--;
        } else if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0) {
            n -= 3;
        } else {
            break;
        }
    }
    return jg_arena_strndup(a, s, n);
}

int jg_record_importable(const jg_field *f)
{
    return f->type != JG_FIELD_FILES;
}

static const jg_field *field_titled(const jg_entity *e, const char *title)
{
    for (int i = 0; i < e->nfields; i++)
        if (jg_record_importable(&e->fields[i]) &&
            (strcmp(e->fields[i].label, title) == 0 || strcmp(e->fields[i].name, title) == 0))
            return &e->fields[i];
    return NULL;
}

/* 1 for a title the import leaves alone: the export's system columns and the fields it does not
 * read (attachments), so that an export imports again. */
static int ignored_title(const jg_entity *e, const char *title)
{
    for (int i = 0; i < e->nfields; i++)
        if (!jg_record_importable(&e->fields[i]) &&
            (strcmp(e->fields[i].label, title) == 0 || strcmp(e->fields[i].name, title) == 0))
            return 1;
    for (int i = 0; SYSTEM_TITLES[i] != NULL; i++)
        if (strcmp(SYSTEM_TITLES[i], title) == 0)
            return 1;
    return 0;
}

/* "A", "B", … "AA": the spreadsheet name of column i (from 0). */
static void column_name(int i, char out[8])
{
    char tmp[8];
    int n = 0;
    for (i++; i > 0 && n < 7; i = (i - 1) / 26)
        tmp[n++] = (char)('A' + (i - 1) % 26);
    for (int j = 0; j < n; j++)
        out[j] = tmp[n - 1 - j];
    out[n] = '\0';
}

static void header(struct import *im, int64_t row, const jg_cell *cells, int ncells)
{
    jg_arena *a = im->req->arena;
    const jg_entity *e = im->k->e;
    im->header_done = 1;
    im->ncols = ncells;
    im->col_field = jg_arena_zalloc(a, sizeof(*im->col_field) * (size_t)ncells);
    im->col_title = jg_arena_zalloc(a, sizeof(*im->col_title) * (size_t)ncells);
    for (int i = 0; i < ncells; i++) {
        char col[8];
        column_name(i, col);
        const char *title = cells[i].text != NULL ? trimmed(a, cells[i].text, cells[i].len) : "";
        im->col_title[i] = (char *)title;
        if (*title == '\0') {
            report_error(im, row, col, jg_arena_printf(a, "第 %s 列缺少标题", col));
            continue;
        }
        const jg_field *f = field_titled(e, title);
        if (f == NULL && ignored_title(e, title)) {
            json_array_append_new(im->ignored, json_string(title));
            continue;
        }
        if (f == NULL) {
            report_error(im, row, title,
                         jg_arena_printf(a, "无法识别的列“%s”：标题应为字段名称，如导入模板所示", title));
            continue;
        }
        for (int j = 0; j < i; j++)
            if (im->col_field[j] == f) {
                report_error(im, row, title, jg_arena_printf(a, "列“%s”重复", title));
                f = NULL;
                break;
            }
        im->col_field[i] = f;
    }
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        int present = 0;
        for (int j = 0; j < ncells && !present; j++)
            present = im->col_field[j] == f;
        if (f->required && f->default_value == NULL && !present)
            report_error(im, row, f->label, jg_arena_printf(a, "缺少必填列“%s”", f->label));
    }
    im->header_bad = json_array_size(im->errors) > 0;
}

/* ---- cells to JSON ---- */

static struct lookup *lookup_find(struct import *im, const char *key)
{
    for (int i = 0; i < im->nlookups; i++)
        if (strcmp(im->lookups[i].key, key) == 0)
            return &im->lookups[i];
    return NULL;
}

static void lookup_put(struct import *im, const char *key, const char *value)
{
    if (im->nlookups >= LOOKUPS)
        return;
    im->lookups[im->nlookups++] = (struct lookup){jg_xstrdup(key), value != NULL ? jg_xstrdup(value) : NULL};
}

/* The value of one row of a lookup query (code by label, id by name) for key, remembered. */
static jg_rc lookup(struct import *im, const char *key, const char *sql, const jg_value *p, int n,
                    const char **out)
{
    struct lookup *l = lookup_find(im, key);
    if (l != NULL) {
        *out = l->value;
        return JG_OK;
    }
    jg_rows *r;
    jg_rc rc = jg_db_query(im->c, sql, p, n, &r);
    if (rc != JG_OK)
        return rc;
    const char *v = jg_rows_count(r) == 1 ? jg_rows_text(r, 0, 0) : NULL; /* ambiguous: no match */
    lookup_put(im, key, v);
    *out = v != NULL ? jg_arena_strdup(im->req->arena, v) : NULL;
    jg_rows_free(r);
    return JG_OK;
}

/* "2026/5/1", "2026.5.1", "2026年5月1日", "2026-5-1" (and a time after a space or T) as
 * "2026-05-01" and the rest; s itself when it is none of these. */
static const char *normal_date(jg_arena *a, const char *s)
{
    int y, m, d, used = 0;
    char sep1[4] = "", sep2[4] = "";
    if (sscanf(s, "%4d%3[-/.]%2d%3[-/.]%2d%n", &y, sep1, &m, sep2, &d, &used) == 5 && strlen(sep1) == 1 &&
        strcmp(sep1, sep2) == 0) {
        /* a date with one separator kind */
    } else if (sscanf(s, "%4d年%2d月%2d日%n", &y, &m, &d, &used) == 3) {
        /* 2026年5月1日 */
    } else {
        return s;
    }
    return jg_arena_printf(a, "%04d-%02d-%02d%s", y, m, d, s + used);
}

/* A date and time without a zone is Beijing time (what the export writes); with one it stays. */
static const char *normal_datetime(jg_arena *a, const char *s)
{
    s = normal_date(a, s);
    size_t n = strlen(s);
    if (n == 10)
        return jg_arena_printf(a, "%sT00:00:00+08:00", s);
    int zoned = n > 10 && (s[n - 1] == 'Z' || s[n - 1] == 'z' || strchr(s + 10, '+') != NULL ||
                           (n > 16 && strchr(s + 16, '-') != NULL));
    return zoned ? s : jg_arena_printf(a, "%s+08:00", s);
}

/* x as a decimal with scale places when it is one (a spreadsheet's 12.34 is 12.3399999…), else NULL. */
static const char *scaled(jg_arena *a, const char *text, int scale)
{
    char *end;
    double x = strtod(text, &end);
    double ax = x < 0 ? -x : x;
    if (*end != '\0' || !isfinite(x) || ax >= 1e15)
        return NULL;
    char *s = jg_arena_printf(a, "%.*f", scale, x);
    double diff = strtod(s, NULL) - x;
    return (diff < 0 ? -diff : diff) <= 1e-9 * (ax > 1.0 ? ax : 1.0) ? s : NULL;
}

/* A whole number in text ("42", "4.2E1", "42.0"): JG_OK with *out. */
static jg_rc whole(const char *text, int64_t *out)
{
    if (jg_parse_int64(text, INT64_MIN, INT64_MAX, out) == JG_OK)
        return JG_OK;
    char *end;
    double x = strtod(text, &end);
    if (*end != '\0' || !isfinite(x) || x >= 9007199254740992.0 || x <= -9007199254740992.0 ||
        x != (double)(int64_t)x)
        return JG_INVALID;
    *out = (int64_t)x;
    return JG_OK;
}

/* The JSON that POST /api/v1/records/{entity} would take for cell c of field f (new reference), or
 * NULL with *message when the cell cannot be one; value.c judges the rest with its own messages. */
static json_t *cell_json(struct import *im, const jg_field *f, const jg_cell *c, const char **message,
                         jg_rc *rc)
{
    jg_arena *a = im->req->arena;
    if (c->type == JG_CELL_ERROR) {
        *message = jg_arena_printf(a, "%s的单元格是错误值（%s）", f->label, c->text);
        return NULL;
    }
    const char *t = trimmed(a, c->text, c->len);
    int64_t i;
    switch (f->type) {
    case JG_FIELD_STRING:
    case JG_FIELD_TEXT:
        return json_stringn(c->text, c->len); /* as written, like the API */
    case JG_FIELD_INTEGER:
        return whole(t, &i) == JG_OK ? json_integer(i) : json_string(t);
    case JG_FIELD_DECIMAL:
    case JG_FIELD_MONEY: {
        if (c->type == JG_CELL_NUMBER) { /* the double nearest the decimal typed in */
            const char *s = scaled(a, t, f->type == JG_FIELD_MONEY ? 2 : f->scale);
            return json_string(s != NULL ? s : t);
        }
        char *plain = jg_arena_strdup(a, t), *o = plain; /* text: "1,234.50" as 1234.50 */
        for (const char *p = t; *p != '\0'; p++)
            if (*p != ',')
                *o++ = *p;
        *o = '\0';
        return json_string(plain);
    }
    case JG_FIELD_DATE:
    case JG_FIELD_DATETIME: {
        int with_time = f->type == JG_FIELD_DATETIME;
        if (c->type == JG_CELL_NUMBER) {
            char buf[32];
            if (jg_xlsx_serial_date(t, im->date1904, with_time, buf, sizeof(buf)) != JG_OK) {
                *message = jg_arena_printf(a, "%s不是有效的日期", f->label);
                return NULL;
            }
            return json_string(with_time ? normal_datetime(a, buf) : buf);
        }
        return json_string(with_time ? normal_datetime(a, t) : normal_date(a, t));
    }
    case JG_FIELD_BOOLEAN:
        if (strcmp(t, "是") == 0 || strcmp(t, "1") == 0 || strcasecmp(t, "true") == 0)
            return json_true();
        if (strcmp(t, "否") == 0 || strcmp(t, "0") == 0 || strcasecmp(t, "false") == 0)
            return json_false();
        return json_string(t);
    case JG_FIELD_ENUM: { /* the code, or the label the export writes */
        const char *code = NULL;
        jg_value p[] = {JG_VTEXT(f->dict), JG_VTEXT(t)};
        *rc = lookup(im, jg_arena_printf(a, "enum:%s:%s", f->dict, t),
                     "SELECT i.code FROM dictionary_item i JOIN dictionary d ON d.id = i.dictionary_id"
                     " WHERE d.code = $1 AND (i.code = $2 OR i.label = $2)"
                     " ORDER BY CASE WHEN i.code = $2 THEN 0 ELSE 1 END LIMIT 1",
                     p, 2, &code);
        return json_string(code != NULL ? code : t);
    }
    case JG_FIELD_REF:
    case JG_FIELD_PERSON:
        return whole(t, &i) == JG_OK ? json_integer(i) : json_string(t);
    case JG_FIELD_ENTERPRISE: { /* an id, or the enterprise's credit code or exact name */
        if (whole(t, &i) == JG_OK)
            return json_integer(i);
        const char *id = NULL;
        jg_value p[] = {JG_VTEXT(t)};
        *rc = lookup(im, jg_arena_printf(a, "enterprise:%s", t),
                     "SELECT id FROM enterprise WHERE credit_code = $1 OR name = $1 LIMIT 2", p, 1, &id);
        return id != NULL && whole(id, &i) == JG_OK ? json_integer(i) : json_string(t);
    }
    case JG_FIELD_FILES:
    case JG_FIELD_GEO:
    case JG_FIELD_JSON: {
        json_error_t je;
        json_t *v = json_loadb(c->text, c->len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        return v != NULL ? v : json_stringn(c->text, c->len);
    }
    default:
        return json_string(t);
    }
}

/* ---- rows ---- */

static jg_rc flush_history(struct import *im)
{
    jg_rc rc = jg_record_history_created(im->req, im->c, im->k->e, im->ids, im->nids, "import", im->now);
    im->nids = 0;
    return rc;
}

/* Write the pending records (one INSERT) and, when a batch of them is full, their history. */
static jg_rc flush_pending(struct import *im)
{
    if (im->npending == 0)
        return JG_OK;
    jg_arena *saved = im->req->arena, *scratch = jg_arena_new();
    im->req->arena = scratch;
    int64_t ids[INSERT_BATCH];
    jg_rc rc = jg_record_insert_many(im->c, im->pending, im->npending, ids);
    for (int i = 0; i < im->npending && rc == JG_OK; i++) {
        im->ids[im->nids++] = ids[i];
        if (im->nids == HISTORY_BATCH)
            rc = flush_history(im);
    }
    im->req->arena = saved;
    jg_arena_free(scratch);
    for (int i = 0; i < im->npending; i++)
        jg_arena_free(im->pending_arena[i]);
    im->npending = 0;
    return rc;
}

/* 1 when obj holds a value for a unique field of e: the records before it must be written first,
 * so that its uniqueness check sees them. */
static int holds_unique(const jg_entity *e, json_t *obj)
{
    for (int i = 0; i < e->nfields; i++) {
        json_t *v = e->fields[i].unique ? json_object_get(obj, e->fields[i].name) : NULL;
        if (v != NULL && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0))
            return 1;
    }
    return 0;
}

/* The errors of one row (fields by name, "" for the record) into the report. */
static void row_errors(struct import *im, int64_t row, json_t *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(fields, key, v)
    {
        const char *column = NULL;
        const jg_field *f = *key != '\0' ? jg_entity_field(im->k->e, key) : NULL;
        for (int i = 0; f != NULL && i < im->ncols && column == NULL; i++)
            if (im->col_field[i] == f)
                column = im->col_title[i];
        if (f != NULL && column == NULL)
            column = f->label;
        report_error(im, row, column, json_string_value(v));
    }
}

static jg_rc data_row(struct import *im, int64_t row, const jg_cell *cells, int ncells)
{
    jg_req *req = im->req;
    json_t *obj = json_object(), *fields = json_object();
    jg_rc rc = JG_OK;
    int bad = 0;
    im->total++;
    for (int i = 0; i < ncells && rc == JG_OK; i++) {
        if (cells[i].text == NULL)
            continue;
        if (i >= im->ncols) {
            char col[8];
            column_name(i, col);
            report_error(im, row, col, "该列没有标题，无法导入");
            bad = 1;
            continue;
        }
        const jg_field *f = im->col_field[i];
        if (f == NULL)
            continue;
        const char *message = NULL;
        json_t *v = cell_json(im, f, &cells[i], &message, &rc);
        if (v != NULL)
            json_object_set_new(obj, f->name, v);
        else
            jg_field_error(fields, f->name, message != NULL ? message : "取值不正确");
    }
    jg_record_new *rec = NULL;
    if (rc == JG_OK && !bad && json_object_size(fields) == 0 && holds_unique(im->k->e, obj))
        rc = flush_pending(im);
    if (rc == JG_OK && !bad && json_object_size(fields) == 0)
        rc = jg_record_prepare(req, im->c, im->k, obj, im->now, im->cache, fields, &rec);
    json_decref(obj);
    if (rc == JG_INVALID || (rc == JG_OK && (bad || json_object_size(fields) > 0))) {
        im->rejected_rows++;
        row_errors(im, row, fields);
        rc = JG_OK;
    } else if (rc == JG_OK) {
        im->valid++;
        im->pending[im->npending] = rec; /* its arena is kept by on_row */
    }
    json_decref(fields);
    return rc;
}

/* The row callback of the readers: the header, then the records. Each row's allocations live in
 * an arena of their own, swapped in for the request's while the row is handled. */
static jg_rc on_row(void *ud, int64_t row, const jg_cell *cells, int ncells)
{
    struct import *im = ud;
    if (!im->header_done) {
        header(im, row, cells, ncells);
        return im->header_bad ? JG_INVALID : JG_OK;
    }
    jg_arena *saved = im->req->arena, *mine = jg_arena_new();
    im->req->arena = mine;
    int64_t valid = im->valid;
    jg_rc rc = data_row(im, row, cells, ncells);
    im->req->arena = saved;
    if (rc == JG_OK && im->valid > valid) { /* pending: its values live in mine until written */
        im->pending_arena[im->npending++] = mine;
        if (im->npending == INSERT_BATCH)
            rc = flush_pending(im);
    } else {
        jg_arena_free(mine);
    }
    if (rc != JG_OK)
        im->fatal = rc;
    return rc;
}

/* ---- the transaction ---- */

static json_t *audit_detail(const struct import *im)
{
    return json_pack("{s:s, s:I, s:s, s:s, s:b, s:I, s:I, s:I}", "file", im->file->filename, "size",
                     (json_int_t)im->file->len, "sm3", im->sm3, "mode", im->valid_only ? "valid" : "all",
                     "dry_run", im->dry_run, "total", (json_int_t)im->total, "imported",
                     (json_int_t)im->imported, "rejected", (json_int_t)im->rejected_rows);
}

static void reset(struct import *im)
{
    json_decref(im->errors);
    json_decref(im->ignored);
    im->errors = json_array();
    im->ignored = json_array();
    im->header_done = im->header_bad = im->truncated = im->finished = 0;
    im->total = im->valid = im->imported = im->rejected_rows = 0;
    im->nids = 0;
    for (int i = 0; i < im->npending; i++)
        jg_arena_free(im->pending_arena[i]);
    im->npending = 0;
    im->fatal = JG_OK;
    im->err[0] = '\0';
    jg_record_cache_free(im->cache);
    im->cache = jg_record_cache_new();
}

static jg_rc import_tx(jg_conn *c, void *ud)
{
    struct import *im = ud;
    reset(im); /* the transaction may be run again after a busy database */
    im->c = c;
    const jg_config *cfg = im->req->app->cfg;
    jg_xlsx_limits lim;
    jg_xlsx_limits_default(&lim);
    lim.sheet = (jg_sheet_limits){cfg->max_import_rows + 1, MAX_COLS, MAX_CELL_BYTES};
    jg_rc rc =
        im->csv ? jg_csv_read(im->file->data, im->file->len, &lim.sheet, on_row, im, im->err, sizeof(im->err))
                : jg_xlsx_read(im->file->data, im->file->len, &lim, on_row, im, &im->date1904, im->err,
                               sizeof(im->err));
    if (rc != JG_OK && im->fatal != JG_OK)
        return im->fatal; /* a database failure */
    if (rc != JG_OK && !im->header_bad)
        return rc; /* the file: im->err says what */
    if (rc == JG_OK)
        rc = flush_pending(im);
    if (rc == JG_OK && im->nids > 0)
        rc = flush_history(im);
    if (rc != JG_OK && !im->header_bad)
        return rc;
    im->finished = 1;
    int commit =
        !im->header_bad && im->total > 0 && !im->dry_run && (im->valid_only || im->rejected_rows == 0);
    if (!commit)
        return JG_INVALID; /* roll back on purpose: finished says so */
    im->imported = im->valid;
    rc = jg_audit_req(c, im->req, "record_import", im->k->e->name, NULL, audit_detail(im));
    return rc;
}

static jg_rc audit_tx(jg_conn *c, void *ud)
{
    struct import *im = ud;
    return jg_audit_req(c, im->req, "record_import", im->k->e->name, NULL, audit_detail(im));
}

/* ---- the request ---- */

/* The file's kind by its content (and, for text, its name): "xlsx", "csv", or NULL with the 4xx
 * answered. */
static const char *file_kind(jg_req *req, jg_resp *resp, const jg_part *file)
{
    const unsigned char *d = (const unsigned char *)file->data;
    size_t n = file->len, nl = strlen(file->filename);
    int named_csv = nl >= 4 && (strcasecmp(file->filename + nl - 4, ".csv") == 0 ||
                                strcasecmp(file->filename + nl - 4, ".txt") == 0);
    if (n >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
        return "xlsx";
    if (n >= 8 && memcmp(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0) {
        jg_resp_error(req, resp, JG_INVALID,
                      "不支持旧版 Excel（.xls）或加密的文件，请在 Excel 中另存为 .xlsx 后再导入");
        return NULL;
    }
    if (named_csv)
        return "csv";
    if (nl >= 5 && strcasecmp(file->filename + nl - 5, ".xlsx") == 0) {
        jg_resp_error(req, resp, JG_INVALID, "文件不是有效的 XLSX 文件");
        return NULL;
    }
    jg_resp_error(req, resp, JG_UNSUPPORTED, "仅支持导入 XLSX 或 CSV 文件");
    return NULL;
}

/* A form field of the multipart body, or the query parameter of that name (the query wins). */
static const char *option(jg_req *req, const jg_part *parts, int nparts, const char *name)
{
    const char *q = jg_req_query(req, name);
    if (q != NULL)
        return q;
    for (int i = 0; i < nparts; i++)
        if (parts[i].filename == NULL && strcmp(parts[i].name, name) == 0)
            return jg_arena_strndup(req->arena, parts[i].data, parts[i].len);
    return NULL;
}

static json_t *report(const struct import *im)
{
    json_t *r = json_pack("{s:I, s:I, s:I, s:I, s:O, s:b, s:s, s:b, s:O}", "total", (json_int_t)im->total,
                          "valid", (json_int_t)im->valid, "imported", (json_int_t)im->imported, "rejected",
                          (json_int_t)im->rejected_rows, "errors", im->errors, "errors_truncated",
                          im->truncated, "mode", im->valid_only ? "valid" : "all", "dry_run", im->dry_run,
                          "ignored_columns", im->ignored);
    const jg_entity *e = im->k->e;
    if (e->nchildren > 0) {
        jg_buf b;
        jg_buf_init(&b, 4096);
        for (int i = 0; i < e->nchildren; i++)
            jg_buf_printf(&b, "%s%s", i > 0 ? "、" : "", e->children[i].label);
        json_object_set_new(
            r, "note", json_sprintf("导入只写入主表字段；子表（%s）不随导入写入，请在记录中补充", b.data));
        jg_buf_free(&b);
    }
    return r;
}

/* 400 {"error": {"code": "invalid", "message", "report": report}}: the error convention, the report
 * inside the error object. */
static jg_rc refuse_with_report(jg_req *req, jg_resp *resp, const char *message, const struct import *im)
{
    json_t *body = json_pack("{s:{s:s, s:s, s:o}}", "error", "code", jg_rc_name(JG_INVALID), "message",
                             message, "report", report(im));
    return jg_resp_json(req, resp, jg_http_status_of(JG_INVALID), body);
}

static jg_rc answer(jg_req *req, jg_resp *resp, struct import *im)
{
    if (im->header_bad)
        return refuse_with_report(req, resp, "表头有误，未导入任何记录，请对照导入模板修改", im);
    if (im->total == 0)
        return jg_resp_error(req, resp, JG_INVALID, "文件中没有数据行");
    if (!im->valid_only && im->rejected_rows > 0) {
        char *m = jg_arena_printf(req->arena, "有 %lld 行数据有误，未导入任何记录，请修改后重新导入",
                                  (long long)im->rejected_rows);
        return refuse_with_report(req, resp, m, im);
    }
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "data", report(im)));
}

/* POST /api/v1/records/{entity}/import — multipart/form-data: file, mode (all | valid), dry_run. */
static jg_rc import(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k = jg_record_kind_of(req, resp, "create");
    if (k == NULL)
        return JG_DENIED;
    jg_part *parts;
    int nparts;
    jg_rc rc = jg_multipart_parse(jg_req_header(req, "Content-Type"), req->body, req->body_len, req->arena,
                                  &parts, &nparts);
    if (rc == JG_UNSUPPORTED)
        return jg_resp_error(req, resp, rc, "请以 multipart/form-data 格式上传文件");
    if (rc != JG_OK)
        return jg_resp_error(req, resp, JG_INVALID, "上传内容格式错误");
    struct import im = {.req = req, .k = k};
    json_t *fields = json_object();
    const char *mode = option(req, parts, nparts, "mode"), *dry = option(req, parts, nparts, "dry_run");
    if (mode != NULL && strcmp(mode, "all") != 0 && strcmp(mode, "valid") != 0)
        jg_field_error(fields, "mode", "导入方式应为 all（全部正确才导入）或 valid（只导入正确的行）");
    im.valid_only = mode != NULL && strcmp(mode, "valid") == 0;
    if (dry != NULL && strcmp(dry, "0") != 0 && strcmp(dry, "1") != 0 && strcmp(dry, "true") != 0 &&
        strcmp(dry, "false") != 0)
        jg_field_error(fields, "dry_run", "dry_run 应为 1 或 0");
    im.dry_run = dry != NULL && (strcmp(dry, "1") == 0 || strcmp(dry, "true") == 0);
    for (int i = 0; i < nparts && im.file == NULL; i++)
        if (strcmp(parts[i].name, "file") == 0 && parts[i].filename != NULL)
            im.file = &parts[i];
    if (im.file == NULL)
        jg_field_error(fields, "file", "请选择要导入的文件");
    else if (im.file->len == 0)
        jg_field_error(fields, "file", "文件为空");
    const char *first = json_string_value(json_object_get(fields, "file"));
    if (jg_resp_fields(req, resp, first != NULL ? first : "导入请求有误", fields) != JG_OK)
        return JG_INVALID;
    const jg_config *cfg = req->app->cfg;
    long limit = cfg->max_import_bytes;
    if (im.file->len > (size_t)limit)
        return jg_resp_error(
            req, resp, JG_TOOLARGE,
            jg_arena_printf(req->arena, "文件过大，导入的文件不能超过 %.1f MB", (double)limit / 1048576.0));
    const char *kind = file_kind(req, resp, im.file);
    if (kind == NULL)
        return JG_INVALID;
    im.csv = strcmp(kind, "csv") == 0;
    unsigned char h[JG_SM3_LEN];
    rc = jg_sm3(im.file->data, im.file->len, h);
    if (rc != JG_OK)
        return rc;
    jg_crypto_hex_encode(h, sizeof(h), im.sm3);
    jg_time_iso_now(im.now, sizeof(im.now));
    rc = jg_db_tx(req->app->db, import_tx, &im);
    if (rc != JG_OK && im.finished) /* rolled back on purpose: audit the attempt */
        rc = jg_db_tx(req->app->db, audit_tx, &im);
    else if (rc != JG_OK && im.fatal == JG_OK && im.err[0] != '\0') /* the file */
        rc = jg_resp_error(req, resp, rc == JG_TOOLARGE ? JG_TOOLARGE : JG_INVALID, im.err);
    else if (rc == JG_CONFLICT)
        rc = jg_resp_error(req, resp, rc, "记录与已有记录重复，请重试");
    if (rc == JG_OK)
        rc = answer(req, resp, &im);
    for (int i = 0; i < im.npending; i++) /* left by a failure */
        jg_arena_free(im.pending_arena[i]);
    json_decref(im.errors);
    json_decref(im.ignored);
    jg_record_cache_free(im.cache);
    for (int i = 0; i < im.nlookups; i++) {
        free(im.lookups[i].key);
        free(im.lookups[i].value);
    }
    return rc;
}

static const jg_route routes[] = {
    {"POST", "/api/v1/records/{entity}/import", import, JG_ROUTE_AUTH | JG_ROUTE_IMPORT,
     "导入业务记录（XLSX 或 CSV；全部正确才导入，或只导入正确的行；可试导入）", "records", NULL},
    {"GET", "/api/v1/records/{entity}/import-template.xlsx", jg_record_import_template, JG_ROUTE_AUTH,
     "业务记录导入模板（XLSX，仅标题行）", "records", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_records_import = {"records_import", routes, NULL, NULL};
