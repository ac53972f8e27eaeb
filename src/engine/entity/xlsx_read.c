/* XLSX reader for imports: libzip for the container, libxml2's xmlTextReader for the parts
 * (format and limits in xlsx_read.h). */
#include "engine/entity/xlsx_read.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/text.h"

#include <libxml/xmlreader.h>
#include <math.h> /* isfinite, a macro: nothing from libm */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define RATIO_FLOOR (1u << 20) /* parts smaller than this may compress as well as they like */
#define EXCEL_MAX_ROW 1048576
#define EXCEL_MAX_COL 16384
#define NOT_XLSX "文件不是有效的 XLSX 文件"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_REL_STRICT "http://purl.oclc.org/ooxml/officeDocument/relationships"

void jg_xlsx_limits_default(jg_xlsx_limits *lim)
{
    *lim = (jg_xlsx_limits){
        .sheet = {.max_rows = 100001, .max_cols = 512, .max_cell_bytes = 131072},
        .max_part_bytes = 512u << 20,
        .max_total_bytes = 1024u << 20,
        .max_ratio = 200,
        .max_shared = 2000000,
        .max_shared_bytes = 64u << 20,
    };
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* ---- one reading ---- */

enum failure { F_NONE, F_BROKEN, F_TOOBIG, F_BOMB };

struct book {
    zip_t *zip;
    const jg_xlsx_limits *lim;
    uint64_t total; /* uncompressed bytes read so far */
    char *err;
    size_t errlen;
    /* shared strings: text of string i at shared + off[i], NUL-terminated */
    jg_buf shared;
    size_t *off;
    int64_t nshared, capshared;
};

/* One part being read: the zip entry and what its reading found wrong. */
struct part {
    struct book *b;
    zip_file_t *zf;
    uint64_t comp, read;
    enum failure fail;
};

static jg_rc fail(struct book *b, jg_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static jg_rc fail(struct book *b, jg_rc rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, b->errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static int io_read(void *ctx, char *buf, int len)
{
    struct part *p = ctx;
    const jg_xlsx_limits *lim = p->b->lim;
    zip_int64_t n = zip_fread(p->zf, buf, (zip_uint64_t)len);
    if (n < 0) {
        p->fail = F_BROKEN;
        return -1;
    }
    p->read += (uint64_t)n;
    p->b->total += (uint64_t)n;
    if (p->read > lim->max_part_bytes || p->b->total > lim->max_total_bytes) {
        p->fail = F_TOOBIG;
        return -1;
    }
    if (p->read > RATIO_FLOOR && p->read / (p->comp > 0 ? p->comp : 1) > lim->max_ratio) {
        p->fail = F_BOMB;
        return -1;
    }
    return (int)n;
}

static int io_close(void *ctx)
{
    (void)ctx;
    return 0;
}

static void xml_quiet(void *ud, xmlErrorPtr e)
{
    (void)ud;
    (void)e;
}

/* Open part name for streaming: JG_NOTFOUND when the zip has no such entry. */
static jg_rc part_open(struct book *b, const char *name, struct part *p, xmlTextReaderPtr *reader)
{
    *p = (struct part){.b = b};
    zip_int64_t idx = zip_name_locate(b->zip, name, 0);
    if (idx < 0)
        return JG_NOTFOUND;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(b->zip, (zip_uint64_t)idx, 0, &st) != 0)
        return fail(b, JG_INVALID, "%s（文件已损坏）", NOT_XLSX);
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return fail(b, JG_INVALID, "文件已加密，请取消密码保护后再导入");
    p->comp = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    if ((st.valid & ZIP_STAT_SIZE) && st.size > b->lim->max_part_bytes)
        return fail(b, JG_TOOLARGE, "文件过大：解压后的内容超过上限（%llu MB）",
                    (unsigned long long)(b->lim->max_part_bytes >> 20));
    if ((st.valid & ZIP_STAT_SIZE) && st.size > RATIO_FLOOR &&
        st.size / (p->comp > 0 ? p->comp : 1) > b->lim->max_ratio)
        return fail(b, JG_TOOLARGE, "文件过大：压缩比异常（疑似压缩炸弹），已拒绝");
    p->zf = zip_fopen_index(b->zip, (zip_uint64_t)idx, 0);
    if (p->zf == NULL) {
        int ze = zip_error_code_zip(zip_get_error(b->zip));
        if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_WRONGPASSWD || ze == ZIP_ER_ENCRNOTSUPP)
            return fail(b, JG_INVALID, "文件已加密，请取消密码保护后再导入");
        return fail(b, JG_INVALID, "%s（文件已损坏或使用了不支持的压缩方式）", NOT_XLSX);
    }
    *reader = xmlReaderForIO(io_read, io_close, p, name, NULL, XML_PARSE_NONET);
    if (*reader == NULL) {
        zip_fclose(p->zf);
        return JG_ERR;
    }
    xmlTextReaderSetStructuredErrorHandler(*reader, xml_quiet, NULL);
    return JG_OK;
}

static void part_close(struct part *p, xmlTextReaderPtr reader)
{
    if (reader != NULL)
        xmlFreeTextReader(reader);
    if (p->zf != NULL)
        zip_fclose(p->zf);
    p->zf = NULL;
}

/* The next node of reader: 1, 0 at the end, or JG_INVALID / JG_TOOLARGE (negative) with the message
 * set when the XML or the zip entry is broken, too large, or holds a DOCTYPE. */
static int next(struct book *b, struct part *p, xmlTextReaderPtr reader, const char *what, jg_rc *rc)
{
    int r = xmlTextReaderRead(reader);
    if (r == 1 && xmlTextReaderNodeType(reader) == XML_READER_TYPE_DOCUMENT_TYPE)
        r = -1;
    if (r >= 0)
        return r;
    if (p->fail == F_TOOBIG)
        *rc = fail(b, JG_TOOLARGE, "文件过大：解压后的内容超过上限（单个部件 %llu MB，合计 %llu MB）",
                   (unsigned long long)(b->lim->max_part_bytes >> 20),
                   (unsigned long long)(b->lim->max_total_bytes >> 20));
    else if (p->fail == F_BOMB)
        *rc = fail(b, JG_TOOLARGE, "文件过大：压缩比异常（疑似压缩炸弹），已拒绝");
    else if (p->fail == F_BROKEN)
        *rc = fail(b, JG_INVALID, "%s（文件已损坏或不完整）", NOT_XLSX);
    else
        *rc = fail(b, JG_INVALID, "%s（%s的 XML 格式错误）", NOT_XLSX, what);
    return -1;
}

static int is(const xmlChar *name, const char *want)
{
    return name != NULL && strcmp((const char *)name, want) == 0;
}

/* ---- workbook and relationships ---- */

/* The relationship id of the first sheet into rid, and the 1904 date flag. JG_NOTFOUND without a
 * workbook part. */
static jg_rc read_workbook(struct book *b, char *rid, size_t ridlen, int *date1904)
{
    struct part p;
    xmlTextReaderPtr x = NULL;
    jg_rc rc = part_open(b, "xl/workbook.xml", &p, &x);
    if (rc != JG_OK)
        return rc;
    int r;
    while ((r = next(b, &p, x, "工作簿", &rc)) == 1) {
        if (xmlTextReaderNodeType(x) != XML_READER_TYPE_ELEMENT)
            continue;
        const xmlChar *name = xmlTextReaderConstLocalName(x);
        if (is(name, "workbookPr")) {
            xmlChar *v = xmlTextReaderGetAttribute(x, (const xmlChar *)"date1904");
            *date1904 = v != NULL && (is(v, "1") || is(v, "true"));
            xmlFree(v);
        } else if (is(name, "sheet") && rid[0] == '\0') {
            xmlChar *v = xmlTextReaderGetAttributeNs(x, (const xmlChar *)"id", (const xmlChar *)NS_REL);
            if (v == NULL)
                v = xmlTextReaderGetAttributeNs(x, (const xmlChar *)"id", (const xmlChar *)NS_REL_STRICT);
            if (v != NULL && jg_strlcpy(rid, (const char *)v, ridlen) != JG_OK)
                rid[0] = '\0';
            xmlFree(v);
        } else if (is(name, "sheetData") || is(name, "definedNames") || is(name, "calcPr")) {
            break; /* nothing more is needed (the sheets come before these) */
        }
    }
    part_close(&p, x);
    return r < 0 ? rc : JG_OK;
}

/* "worksheets/sheet1.xml" relative to xl/, or "/xl/worksheets/sheet1.xml" absolute, as a zip name. */
static void resolve(const char *target, char *out, size_t outlen)
{
    if (target[0] == '/')
        snprintf(out, outlen, "%s", target + 1);
    else if (strncmp(target, "../", 3) == 0)
        snprintf(out, outlen, "%s", target + 3);
    else
        snprintf(out, outlen, "xl/%s", strncmp(target, "./", 2) == 0 ? target + 2 : target);
}

/* The parts of the first sheet (relationship rid) and of the shared strings from the workbook's
 * relationships; left as they are when not found. */
static jg_rc read_rels(struct book *b, const char *rid, char *sheet, char *shared, size_t len)
{
    struct part p;
    xmlTextReaderPtr x = NULL;
    jg_rc rc = part_open(b, "xl/_rels/workbook.xml.rels", &p, &x);
    if (rc == JG_NOTFOUND)
        return JG_OK;
    if (rc != JG_OK)
        return rc;
    int r;
    while ((r = next(b, &p, x, "工作簿关系", &rc)) == 1) {
        if (xmlTextReaderNodeType(x) != XML_READER_TYPE_ELEMENT ||
            !is(xmlTextReaderConstLocalName(x), "Relationship"))
            continue;
        xmlChar *id = xmlTextReaderGetAttribute(x, (const xmlChar *)"Id");
        xmlChar *type = xmlTextReaderGetAttribute(x, (const xmlChar *)"Type");
        xmlChar *target = xmlTextReaderGetAttribute(x, (const xmlChar *)"Target");
        if (target != NULL && id != NULL && rid[0] != '\0' && is(id, rid))
            resolve((const char *)target, sheet, len);
        size_t tl = type != NULL ? strlen((const char *)type) : 0;
        if (target != NULL && tl >= 14 && strcmp((const char *)type + tl - 14, "/sharedStrings") == 0)
            resolve((const char *)target, shared, len);
        xmlFree(id);
        xmlFree(type);
        xmlFree(target);
    }
    part_close(&p, x);
    return r < 0 ? rc : JG_OK;
}

/* ---- shared strings ---- */

static jg_rc shared_add(struct book *b, size_t start)
{
    if (b->nshared >= b->lim->max_shared)
        return fail(b, JG_TOOLARGE, "文件过大：共享字符串超过 %lld 个", (long long)b->lim->max_shared);
    if (b->nshared == b->capshared) {
        b->capshared = b->capshared * 2 + 1024;
        b->off = jg_xrealloc(b->off, sizeof(size_t) * (size_t)b->capshared);
    }
    b->off[b->nshared++] = start;
    if (jg_buf_append(&b->shared, "", 1) != JG_OK)
        return fail(b, JG_TOOLARGE, "文件过大：共享字符串超过 %llu MB",
                    (unsigned long long)(b->lim->max_shared_bytes >> 20));
    return JG_OK;
}

static jg_rc read_shared(struct book *b, const char *name)
{
    struct part p;
    xmlTextReaderPtr x = NULL;
    jg_rc rc = part_open(b, name, &p, &x);
    if (rc == JG_NOTFOUND)
        return JG_OK;
    if (rc != JG_OK)
        return rc;
    jg_buf_init(&b->shared, b->lim->max_shared_bytes);
    int r, in_si = 0, in_t = 0, in_rph = 0;
    size_t start = 0;
    while ((r = next(b, &p, x, "共享字符串", &rc)) == 1) {
        int type = xmlTextReaderNodeType(x);
        if (type == XML_READER_TYPE_ELEMENT || type == XML_READER_TYPE_END_ELEMENT) {
            const xmlChar *n = xmlTextReaderConstLocalName(x);
            int open = type == XML_READER_TYPE_ELEMENT, empty = open && xmlTextReaderIsEmptyElement(x);
            if (is(n, "si")) {
                if (open) {
                    in_si = 1;
                    start = b->shared.len;
                }
                if (!open || empty) {
                    in_si = 0;
                    rc = shared_add(b, start);
                }
            } else if (is(n, "t")) {
                in_t = open && !empty;
            } else if (is(n, "rPh")) {
                in_rph = open && !empty;
            }
        } else if ((type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                    type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) &&
                   in_si && in_t && !in_rph) {
            const char *v = (const char *)xmlTextReaderConstValue(x);
            if (v != NULL && jg_buf_puts(&b->shared, v) != JG_OK)
                rc = fail(b, JG_TOOLARGE, "文件过大：共享字符串超过 %llu MB",
                          (unsigned long long)(b->lim->max_shared_bytes >> 20));
        }
        if (rc != JG_OK)
            break;
    }
    part_close(&p, x);
    return r < 0 || rc != JG_OK ? rc : JG_OK;
}

/* ---- the sheet ---- */

struct cellrec {
    int col;
    jg_cell_type type;
    size_t off, len;
};

struct sheet {
    struct book *b;
    jg_row_fn fn;
    void *ud;
    int64_t row, rows; /* the current row's number; rows read */
    int col;           /* the current cell's column */
    char kind[16];     /* its t attribute */
    size_t start;      /* where its text starts in text */
    int in_cell, in_v, in_t, in_rph;
    jg_buf text; /* the current row's cell texts, each followed by a NUL */
    struct cellrec *recs;
    int nrecs, caprecs;
    jg_cell *dense;
};

/* "B12" -> 1 (the column, from 0), or -1 when ref does not start with 1-3 letters. */
static int column_of(const char *ref)
{
    int col = 0, n = 0;
    for (; ref[n] >= 'A' && ref[n] <= 'Z' && n < 3; n++)
        col = col * 26 + (ref[n] - 'A' + 1);
    return n == 0 ? -1 : col - 1;
}

static jg_rc row_start(struct sheet *s, xmlTextReaderPtr x)
{
    struct book *b = s->b;
    xmlChar *r = xmlTextReaderGetAttribute(x, (const xmlChar *)"r");
    int64_t n = s->row + 1;
    if (r != NULL && jg_parse_int64((const char *)r, 1, EXCEL_MAX_ROW, &n) != JG_OK)
        n = -1;
    xmlFree(r);
    if (n <= s->row)
        return fail(b, JG_INVALID, "%s（工作表的行号不正确）", NOT_XLSX);
    s->row = n;
    if (++s->rows > b->lim->sheet.max_rows)
        return fail(b, JG_TOOLARGE, "文件行数超过上限（最多 %lld 行，含标题行）",
                    (long long)b->lim->sheet.max_rows);
    s->text.len = 0;
    s->nrecs = 0;
    s->col = -1;
    return JG_OK;
}

static jg_rc cell_start(struct sheet *s, xmlTextReaderPtr x)
{
    struct book *b = s->b;
    xmlChar *r = xmlTextReaderGetAttribute(x, (const xmlChar *)"r");
    int col = r != NULL ? column_of((const char *)r) : s->col + 1;
    xmlFree(r);
    if (col < 0 || col >= EXCEL_MAX_COL)
        return fail(b, JG_INVALID, "%s（单元格位置不正确）", NOT_XLSX);
    if (col >= b->lim->sheet.max_cols)
        return fail(b, JG_TOOLARGE, "第 %lld 行的列数超过上限（最多 %d 列）", (long long)s->row,
                    b->lim->sheet.max_cols);
    s->col = col;
    xmlChar *t = xmlTextReaderGetAttribute(x, (const xmlChar *)"t");
    snprintf(s->kind, sizeof(s->kind), "%s", t != NULL ? (const char *)t : "n");
    xmlFree(t);
    s->start = s->text.len;
    s->in_cell = 1;
    return JG_OK;
}

static jg_rc cell_text(struct sheet *s, const char *v)
{
    if (jg_buf_puts(&s->text, v) != JG_OK || s->text.len - s->start > s->b->lim->sheet.max_cell_bytes)
        return fail(s->b, JG_TOOLARGE, "第 %lld 行第 %d 列的内容过长（最多 %zu 字节）", (long long)s->row,
                    s->col + 1, s->b->lim->sheet.max_cell_bytes);
    return JG_OK;
}

/* The cell is complete: its value (a shared string looked up) becomes a record of the row. */
static jg_rc cell_end(struct sheet *s)
{
    struct book *b = s->b;
    s->in_cell = s->in_v = s->in_t = s->in_rph = 0;
    jg_cell_type type = JG_CELL_NUMBER;
    if (strcmp(s->kind, "s") == 0) {
        int64_t i;
        const char *v = s->text.data != NULL ? s->text.data + s->start : "";
        if (jg_parse_int64(v, 0, b->nshared - 1, &i) != JG_OK)
            return fail(b, JG_INVALID, "%s（第 %lld 行第 %d 列引用了不存在的共享字符串）", NOT_XLSX,
                        (long long)s->row, s->col + 1);
        s->text.len = s->start;
        jg_rc rc = cell_text(s, b->shared.data + b->off[i]);
        if (rc != JG_OK)
            return rc;
        type = JG_CELL_TEXT;
    } else if (strcmp(s->kind, "inlineStr") == 0 || strcmp(s->kind, "str") == 0 ||
               strcmp(s->kind, "d") == 0) {
        type = JG_CELL_TEXT;
    } else if (strcmp(s->kind, "b") == 0) {
        type = JG_CELL_BOOL;
    } else if (strcmp(s->kind, "e") == 0) {
        type = JG_CELL_ERROR;
    }
    size_t len = s->text.len - s->start;
    if (len == 0)
        return JG_OK; /* an empty cell (or a formula without a cached value) */
    if (jg_buf_append(&s->text, "", 1) != JG_OK)
        return fail(b, JG_TOOLARGE, "第 %lld 行的内容过长", (long long)s->row);
    if (s->nrecs == s->caprecs) {
        s->caprecs = s->caprecs * 2 + 32;
        s->recs = jg_xrealloc(s->recs, sizeof(*s->recs) * (size_t)s->caprecs);
    }
    s->recs[s->nrecs++] = (struct cellrec){s->col, type, s->start, len};
    return JG_OK;
}

static jg_rc row_end(struct sheet *s)
{
    int ncells = 0;
    for (int i = 0; i < s->nrecs; i++)
        if (s->recs[i].col + 1 > ncells)
            ncells = s->recs[i].col + 1;
    if (ncells == 0)
        return JG_OK;
    for (int i = 0; i < ncells; i++)
        s->dense[i] = (jg_cell){JG_CELL_TEXT, NULL, 0};
    for (int i = 0; i < s->nrecs; i++)
        s->dense[s->recs[i].col] = (jg_cell){s->recs[i].type, s->text.data + s->recs[i].off, s->recs[i].len};
    return s->fn(s->ud, s->row, s->dense, ncells);
}

static jg_rc sheet_node(struct sheet *s, xmlTextReaderPtr x)
{
    int type = xmlTextReaderNodeType(x);
    if (type == XML_READER_TYPE_ELEMENT) {
        const xmlChar *n = xmlTextReaderConstLocalName(x);
        int empty = xmlTextReaderIsEmptyElement(x);
        jg_rc rc = JG_OK;
        if (is(n, "row")) {
            rc = row_start(s, x);
            if (rc == JG_OK && empty)
                rc = row_end(s);
        } else if (is(n, "c")) {
            rc = cell_start(s, x);
            if (rc == JG_OK && empty)
                rc = cell_end(s);
        } else if (s->in_cell && is(n, "v")) {
            s->in_v = !empty;
        } else if (s->in_cell && is(n, "t")) {
            s->in_t = !empty;
        } else if (s->in_cell && is(n, "rPh")) {
            s->in_rph = !empty;
        }
        return rc;
    }
    if (type == XML_READER_TYPE_END_ELEMENT) {
        const xmlChar *n = xmlTextReaderConstLocalName(x);
        if (is(n, "row"))
            return row_end(s);
        if (is(n, "c") && s->in_cell)
            return cell_end(s);
        if (is(n, "v"))
            s->in_v = 0;
        else if (is(n, "t"))
            s->in_t = 0;
        else if (is(n, "rPh"))
            s->in_rph = 0;
        return JG_OK;
    }
    if ((type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
         type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) &&
        s->in_cell && (s->in_v || (s->in_t && !s->in_rph))) {
        const char *v = (const char *)xmlTextReaderConstValue(x);
        return v != NULL ? cell_text(s, v) : JG_OK;
    }
    return JG_OK;
}

static jg_rc read_sheet(struct book *b, const char *name, jg_row_fn fn, void *ud)
{
    struct part p;
    xmlTextReaderPtr x = NULL;
    jg_rc rc = part_open(b, name, &p, &x);
    if (rc == JG_NOTFOUND)
        return fail(b, JG_INVALID, "%s（找不到工作表）", NOT_XLSX);
    if (rc != JG_OK)
        return rc;
    struct sheet s = {.b = b, .fn = fn, .ud = ud};
    size_t maxrow = (size_t)b->lim->sheet.max_cols * (b->lim->sheet.max_cell_bytes + 1);
    jg_buf_init(&s.text, maxrow);
    s.dense = jg_xmalloc(sizeof(jg_cell) * (size_t)b->lim->sheet.max_cols);
    int r;
    while ((r = next(b, &p, x, "工作表", &rc)) == 1) {
        rc = sheet_node(&s, x);
        if (rc != JG_OK)
            break;
    }
    part_close(&p, x);
    jg_buf_free(&s.text);
    free(s.recs);
    free(s.dense);
    return rc;
}

jg_rc jg_xlsx_read(const void *data, size_t len, const jg_xlsx_limits *lim, jg_row_fn fn, void *ud,
                   int *date1904, char *err, size_t errlen)
{
    pthread_once(&xml_once, xml_init);
    struct book b = {.lim = lim, .err = err, .errlen = errlen};
    int d1904 = 0;
    if (date1904 != NULL)
        *date1904 = 0;
    if (len >= 8 && memcmp(data, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        return fail(&b, JG_INVALID,
                    "不支持旧版 Excel（.xls）或加密的文件，请在 Excel 中另存为 .xlsx 后再导入");
    if (len < 4 || memcmp(data, "PK\x03\x04", 4) != 0)
        return fail(&b, JG_INVALID, "%s", NOT_XLSX);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(data, len, 0, &ze);
    if (src == NULL) {
        zip_error_fini(&ze);
        return JG_ERR;
    }
    b.zip = zip_open_from_source(src, ZIP_RDONLY, &ze);
    if (b.zip == NULL) {
        zip_source_free(src);
        zip_error_fini(&ze);
        return fail(&b, JG_INVALID, "%s（文件已损坏或不完整）", NOT_XLSX);
    }
    zip_error_fini(&ze);
    char rid[64] = "", sheet[256] = "xl/worksheets/sheet1.xml", shared[256] = "xl/sharedStrings.xml";
    jg_rc rc = read_workbook(&b, rid, sizeof(rid), &d1904);
    if (rc == JG_NOTFOUND)
        rc = zip_name_locate(b.zip, sheet, 0) >= 0 ? JG_OK
                                                   : fail(&b, JG_INVALID, "%s（找不到工作簿）", NOT_XLSX);
    if (rc == JG_OK)
        rc = read_rels(&b, rid, sheet, shared, sizeof(sheet));
    if (rc == JG_OK)
        rc = read_shared(&b, shared);
    if (date1904 != NULL)
        *date1904 = d1904;
    if (rc == JG_OK)
        rc = read_sheet(&b, sheet, fn, ud);
    zip_discard(b.zip); /* frees src too */
    jg_buf_free(&b.shared);
    free(b.off);
    return rc;
}

/* ---- dates ---- */

/* The civil date of day z counted from 1970-01-01 (Howard Hinnant's days_from_civil inverse). */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

jg_rc jg_xlsx_serial_date(const char *text, int date1904, int with_time, char *out, size_t outlen)
{
    char *end;
    if (text == NULL || *text == '\0')
        return JG_INVALID;
    double v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v))
        return JG_INVALID;
    if (date1904)
        v += 1462; /* 1904-01-01 is 1462 in the 1900 system */
    if (v < 1 || v >= 2958466 || (v >= 60 && v < 61))
        return JG_INVALID;
    int64_t secs = (int64_t)(v * 86400.0 + 0.5); /* v >= 1: rounds to the nearest second */
    int64_t days = secs / 86400, sod = secs % 86400;
    /* Serial 1 is 1900-01-01; past the phantom 1900-02-29 (60) the days are one ahead. */
    int64_t unix_day = days - (days >= 61 ? 25569 : 25568);
    int y, m, d;
    civil(unix_day, &y, &m, &d);
    int n = with_time ? snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d", y, m, d, (int)(sod / 3600),
                                 (int)(sod / 60 % 60), (int)(sod % 60))
                      : snprintf(out, outlen, "%04d-%02d-%02d", y, m, d);
    return n > 0 && (size_t)n < outlen ? JG_OK : JG_TOOLARGE;
}
