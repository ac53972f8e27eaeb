/* Printed documents: a small document model laid out on A4 portrait pages with pango and written
 * as PDF by cairo, in memory.
 *
 *   +--------------------------------------------------------------+
 *   |            <header: 福建省建设工程质量安全监督管理平台>             |  every page, ruled
 *   |                                                     +------+ |
 *   |                   <title, serif bold>               |  QR  | |  first page
 *   |                                                     +------+ |
 *   |                                                      <code>  |
 *   |  <heading>                                                   |
 *   |  | label | value          | label | value          |         |  grid blocks
 *   |  | col   | col   | col   |                                    |  tables: header row repeated
 *   |  <paragraph>                                                 |     after a page break
 *   |                                  监督机构（盖章）：________    |  signature block
 *   |  打印时间：… 打印人：…                          第 1 页 共 N 页  |  footer, every page
 *   +--------------------------------------------------------------+
 *
 * Fonts are asked of fontconfig by family, "Noto Sans CJK SC" and "Noto Serif CJK SC"
 * (fonts-noto-cjk), with the pango language zh-cn so that Han characters take their Simplified
 * Chinese forms; cairo embeds the subsets it uses. */
#ifndef JG_DOCS_PDF_H
#define JG_DOCS_PDF_H
#include "base/rc.h"

#include <stddef.h>

#define JG_PDF_FONT_SANS "Noto Sans CJK SC"
#define JG_PDF_FONT_SERIF "Noto Serif CJK SC"

typedef enum {
    JG_PDF_GRID,      /* label/value pairs, `columns` pairs a row */
    JG_PDF_TABLE,     /* a header row and rows of cells */
    JG_PDF_TEXT,      /* a paragraph */
    JG_PDF_SIGNATURE, /* lines "label：________" on the right, with room to sign or stamp */
} jg_pdf_kind;

typedef struct {
    jg_pdf_kind kind;
    const char *heading;       /* printed above the block, or NULL */
    int columns;               /* GRID: pairs a row (1..3, else 2); TABLE: columns (1..12) */
    const char *const *labels; /* GRID: npairs labels; TABLE: `columns` header cells;
                                * SIGNATURE: nitems labels */
    const char *const *values; /* GRID: npairs values; TABLE: nitems * columns cells, row-major */
    int nitems;                /* GRID: pairs; TABLE: rows; SIGNATURE: lines */
    const char *text;          /* TEXT */
} jg_pdf_block;

typedef struct {
    const char *header; /* top of every page */
    const char *title;  /* first page */
    const jg_pdf_block *blocks;
    int nblocks;
    const char *qr_text;    /* encoded in a QR code on the first page, or NULL */
    const char *qr_caption; /* printed under it ("验证码\nABCD…"), or NULL */
    const char *footer;     /* bottom left of every page ("打印时间：…  打印人：…") */
} jg_pdf_doc;

/* Lay out doc and write it as a PDF of at most max_bytes into *out (malloc'd; the caller frees it),
 * *len its length, *pages the number of pages. Strings must be valid UTF-8 (pango would show
 * invalid bytes as boxes); NULL strings are printed as nothing. JG_TOOLARGE when the PDF would be
 * larger than max_bytes or longer than 500 pages, JG_ERR (logged) when cairo fails or the QR text
 * cannot be encoded. */
jg_rc jg_pdf_render(const jg_pdf_doc *doc, size_t max_bytes, char **out, size_t *len, int *pages);

/* Release the caches cairo and fontconfig keep for the whole process (at exit, when no render
 * runs, so leak checkers see a clean end). Cannot fail. */
void jg_pdf_shutdown(void);

#endif
