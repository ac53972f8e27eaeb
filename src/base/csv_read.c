/* CSV reader for imports: encoding detection (UTF-8, else GB18030 through iconv) and RFC 4180 rows. */
#include "base/csv_read.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/text.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GB18030 to UTF-8: at most 2 bytes out per byte in (a 2-byte code gives 3, a 4-byte one 4). */
static jg_rc from_gb18030(const char *data, size_t len, char **out, size_t *outlen)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return JG_ERR;
    size_t cap = 2 * len + 4, left = cap;
    char *buf = jg_xmalloc(cap), *o = buf;
    char *in = (char *)data;
    size_t inleft = len;
    jg_rc rc = JG_OK;
    if (iconv(cd, &in, &inleft, &o, &left) == (size_t)-1)
        rc = JG_INVALID; /* EILSEQ, EINVAL (cut short) or E2BIG (cannot happen) */
    iconv_close(cd);
    if (rc != JG_OK) {
        free(buf);
        return rc;
    }
    *outlen = cap - left;
    buf[*outlen] = '\0';
    *out = buf;
    return JG_OK;
}

/* The text of the file as UTF-8 in *text (*owned set when it had to be converted, then freed by
 * the caller). */
static jg_rc decode(const char *data, size_t len, const char **text, size_t *tlen, char **owned, char *err,
                    size_t errlen)
{
    *owned = NULL;
    if (len >= 2 && (((unsigned char)data[0] == 0xFF && (unsigned char)data[1] == 0xFE) ||
                     ((unsigned char)data[0] == 0xFE && (unsigned char)data[1] == 0xFF)))
        return jg_rc_say(err, errlen, JG_INVALID,
                         "不支持 UTF-16 编码的文件，请另存为“CSV UTF-8（逗号分隔）”格式");
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        if (!jg_utf8_valid(data + 3, len - 3))
            return jg_rc_say(err, errlen, JG_INVALID, "文件以 UTF-8 标记开头，但内容不是有效的 UTF-8 文本");
        *text = data + 3;
        *tlen = len - 3;
        return JG_OK;
    }
    if (memchr(data, '\0', len) != NULL)
        return jg_rc_say(err, errlen, JG_INVALID, "文件不是有效的 CSV 文本文件");
    if (jg_utf8_valid(data, len)) {
        *text = data;
        *tlen = len;
        return JG_OK;
    }
    jg_rc rc = from_gb18030(data, len, owned, tlen);
    if (rc != JG_OK || !jg_utf8_valid(*owned, *tlen)) {
        free(*owned);
        *owned = NULL;
        return jg_rc_say(err, errlen, JG_INVALID,
                         "无法识别文件的编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件");
    }
    *text = *owned;
    return JG_OK;
}

struct reader {
    const jg_sheet_limits *lim;
    jg_buf row;     /* the cells of the row, each followed by a NUL */
    size_t *starts; /* where each cell starts in row */
    int ncells, cap;
    int64_t rowno;
    char *err;
    size_t errlen;
};

/* Close the current cell (its bytes are the tail of r->row since its start). */
static jg_rc end_cell(struct reader *r, size_t start)
{
    size_t n = r->row.len - start;
    if (n > r->lim->max_cell_bytes)
        return jg_rc_say(r->err, r->errlen, JG_TOOLARGE, "第 %lld 行第 %d 列的内容过长（最多 %zu 字节）",
                         (long long)r->rowno, r->ncells + 1, r->lim->max_cell_bytes);
    if (r->ncells >= r->lim->max_cols)
        return jg_rc_say(r->err, r->errlen, JG_TOOLARGE, "第 %lld 行的列数超过上限（最多 %d 列）",
                         (long long)r->rowno, r->lim->max_cols);
    if (r->ncells == r->cap) {
        r->cap = r->cap * 2 + 16;
        r->starts = jg_xrealloc(r->starts, sizeof(size_t) * (size_t)r->cap);
    }
    r->starts[r->ncells++] = start;
    return jg_buf_append(&r->row, "", 1) == JG_OK ? JG_OK : JG_ERR; /* the buffer's max was checked above */
}

static jg_rc end_row(struct reader *r, jg_row_fn fn, void *ud)
{
    int last = -1;
    for (int i = 0; i < r->ncells; i++)
        if (r->row.data[r->starts[i]] != '\0')
            last = i;
    jg_rc rc = JG_OK;
    if (last >= 0) {
        if (r->rowno > r->lim->max_rows)
            return jg_rc_say(r->err, r->errlen, JG_TOOLARGE, "文件行数超过上限（最多 %lld 行，含标题行）",
                             (long long)r->lim->max_rows);
        jg_cell *cells = jg_xmalloc(sizeof(jg_cell) * (size_t)(last + 1));
        for (int i = 0; i <= last; i++) {
            const char *s = r->row.data + r->starts[i];
            size_t n = strlen(s);
            cells[i] = (jg_cell){JG_CELL_TEXT, n > 0 ? s : NULL, n};
        }
        rc = fn(ud, r->rowno, cells, last + 1);
        free(cells);
    }
    r->ncells = 0;
    r->row.len = 0;
    if (r->row.data != NULL)
        r->row.data[0] = '\0';
    return rc;
}

static jg_rc parse(struct reader *r, const char *s, size_t n, jg_row_fn fn, void *ud)
{
    size_t i = 0;
    r->rowno = 1;
    while (i < n) {
        size_t start = r->row.len;
        jg_rc rc = JG_OK;
        if (s[i] == '"') { /* quoted cell */
            int64_t opened = r->rowno;
            i++;
            for (;;) {
                if (i >= n)
                    return jg_rc_say(r->err, r->errlen, JG_INVALID, "第 %lld 行的引号没有闭合",
                                     (long long)opened);
                if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
                    rc = jg_buf_append(&r->row, "\"", 1);
                    i += 2;
                } else if (s[i] == '"') {
                    i++;
                    break;
                } else {
                    size_t k = i;
                    while (k < n && s[k] != '"')
                        k++;
                    rc = jg_buf_append(&r->row, s + i, k - i);
                    i = k;
                }
                if (rc != JG_OK)
                    return jg_rc_say(r->err, r->errlen, JG_TOOLARGE, "第 %lld 行的内容过长",
                                     (long long)opened);
            }
            if (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n')
                return jg_rc_say(r->err, r->errlen, JG_INVALID, "第 %lld 行第 %d 列：引号后应为逗号或换行",
                                 (long long)r->rowno, r->ncells + 1);
        } else {
            size_t k = i;
            while (k < n && s[k] != ',' && s[k] != '\r' && s[k] != '\n')
                k++;
            if (jg_buf_append(&r->row, s + i, k - i) != JG_OK)
                return jg_rc_say(r->err, r->errlen, JG_TOOLARGE, "第 %lld 行的内容过长", (long long)r->rowno);
            i = k;
        }
        rc = end_cell(r, start);
        if (rc != JG_OK)
            return rc;
        if (i < n && s[i] == ',') {
            i++;
            if (i == n) { /* "a," at the very end: one more empty cell */
                rc = end_cell(r, r->row.len);
                if (rc != JG_OK)
                    return rc;
            }
            continue;
        }
        if (i < n) { /* end of row: CRLF, LF or CR */
            i += (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
        }
        rc = end_row(r, fn, ud);
        if (rc != JG_OK)
            return rc;
        r->rowno++;
    }
    return r->ncells > 0 ? end_row(r, fn, ud) : JG_OK;
}

jg_rc jg_csv_read(const char *data, size_t len, const jg_sheet_limits *lim, jg_row_fn fn, void *ud, char *err,
                  size_t errlen)
{
    const char *text = NULL;
    size_t tlen = 0;
    char *owned = NULL;
    jg_rc rc = decode(data, len, &text, &tlen, &owned, err, errlen);
    if (rc != JG_OK)
        return rc;
    struct reader r = {.lim = lim, .err = err, .errlen = errlen};
    /* A row holds at most max_cols cells of max_cell_bytes, each with its NUL. */
    jg_buf_init(&r.row, (size_t)lim->max_cols * (lim->max_cell_bytes + 1));
    rc = parse(&r, text, tlen, fn, ud);
    jg_buf_free(&r.row);
    free(r.starts);
    free(owned);
    return rc;
}
