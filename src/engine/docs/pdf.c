/* A4 PDF layout of a jg_pdf_doc (pdf.h) with pangocairo: header, title and QR code, grids, tables
 * whose header row comes again after a page break, paragraphs, signature lines, and a footer with
 * "第 x 页 共 N 页". The layout runs twice: once to count the pages, once to write them. */
#include "engine/docs/pdf.h"

#include "base/buf.h"
#include "base/log.h"
#include "engine/docs/qr.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 595.276 /* A4 in points */
#define PAGE_H 841.890
#define MARGIN 56.7 /* 20 mm */
#define TOP 66.0
#define BOTTOM (PAGE_H - 58.0)
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define PAD 4.0
#define QR_PT 80.0
#define MAX_PAGES 500
#define MAX_CELLS 12 /* a table's columns; a grid row has at most 6 cells */

enum font { F_BODY, F_BOLD, F_SMALL, F_HEADING, F_TITLE, F_NFONTS };
static const char *const font_spec[F_NFONTS] = {
    JG_PDF_FONT_SANS " 10.5",    JG_PDF_FONT_SANS " Bold 10.5", JG_PDF_FONT_SANS " 8",
    JG_PDF_FONT_SANS " Bold 12", JG_PDF_FONT_SERIF " Bold 18",
};

struct cell {
    double x, w;
    const char *text;
    enum font font;
    int shade;
    PangoAlignment align;
};

struct pdf {
    cairo_t *cr;
    PangoContext *pc;
    PangoFontDescription *fd[F_NFONTS];
    const jg_pdf_doc *doc;
    double y;
    int page, total, overflow;
    const struct cell *repeat; /* a table's header row, drawn again at the top of each new page */
    int nrepeat;
};

static PangoLayout *layout(struct pdf *p, const char *text, enum font f, double width, PangoAlignment al)
{
    PangoLayout *l = pango_layout_new(p->pc);
    pango_layout_set_font_description(l, p->fd[f]);
    pango_layout_set_width(l, width > 0 ? (int)(width * PANGO_SCALE) : -1);
    pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, al);
    pango_layout_set_text(l, text != NULL ? text : "", -1);
    return l;
}

static double height_of(PangoLayout *l)
{
    int w, h;
    pango_layout_get_size(l, &w, &h);
    return (double)h / PANGO_SCALE;
}

static void show(struct pdf *p, PangoLayout *l, double x, double y)
{
    cairo_move_to(p->cr, x, y);
    pango_cairo_show_layout(p->cr, l);
}

/* Text at (x, y) within width; returns its height. */
static double text_at(struct pdf *p, const char *text, enum font f, double x, double y, double width,
                      PangoAlignment al)
{
    PangoLayout *l = layout(p, text, f, width, al);
    double h = height_of(l);
    show(p, l, x, y);
    g_object_unref(l);
    return h;
}

static void page_top(struct pdf *p)
{
    cairo_set_source_rgb(p->cr, 0.25, 0.25, 0.25);
    text_at(p, p->doc->header, F_SMALL, MARGIN, 30, CONTENT_W, PANGO_ALIGN_CENTER);
    cairo_set_line_width(p->cr, 0.8);
    cairo_move_to(p->cr, MARGIN, 46);
    cairo_line_to(p->cr, PAGE_W - MARGIN, 46);
    cairo_stroke(p->cr);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
    p->y = TOP;
}

static void page_bottom(struct pdf *p)
{
    char num[64];
    int total = p->total > 0 ? p->total : p->page;
    snprintf(num, sizeof(num), "第 %d 页 共 %d 页", p->page, total);
    cairo_set_source_rgb(p->cr, 0.25, 0.25, 0.25);
    text_at(p, p->doc->footer, F_SMALL, MARGIN, PAGE_H - 42, CONTENT_W * 0.7, PANGO_ALIGN_LEFT);
    text_at(p, num, F_SMALL, MARGIN, PAGE_H - 42, CONTENT_W, PANGO_ALIGN_RIGHT);
    cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void draw_cells(struct pdf *p, const struct cell *c, int n, PangoLayout **ls, double top, double h,
                       double offset, int border);

static void new_page(struct pdf *p)
{
    page_bottom(p);
    cairo_show_page(p->cr);
    p->page++;
    if (p->page > MAX_PAGES) {
        p->overflow = 1;
        return;
    }
    page_top(p);
    if (p->repeat != NULL) {
        PangoLayout *ls[MAX_CELLS];
        double h = 0;
        for (int i = 0; i < p->nrepeat; i++) {
            ls[i] =
                layout(p, p->repeat[i].text, p->repeat[i].font, p->repeat[i].w - 2 * PAD, p->repeat[i].align);
            double ch = height_of(ls[i]) + 2 * PAD;
            h = ch > h ? ch : h;
        }
        draw_cells(p, p->repeat, p->nrepeat, ls, p->y, h, 0, 1);
        for (int i = 0; i < p->nrepeat; i++)
            g_object_unref(ls[i]);
        p->y += h;
    }
}

/* One slice [offset, offset + h - 2 PAD) of the cells' texts, drawn from top. */
static void draw_cells(struct pdf *p, const struct cell *c, int n, PangoLayout **ls, double top, double h,
                       double offset, int border)
{
    cairo_t *cr = p->cr;
    for (int i = 0; i < n; i++) {
        if (c[i].shade) {
            cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
            cairo_rectangle(cr, c[i].x, top, c[i].w, h);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
        }
        cairo_save(cr);
        cairo_rectangle(cr, c[i].x, top + (border ? PAD : 0), c[i].w, h - (border ? 2 * PAD : 0));
        cairo_clip(cr);
        show(p, ls[i], c[i].x + (border ? PAD : 0), top + (border ? PAD : 0) - offset);
        cairo_restore(cr);
        if (border) {
            cairo_set_line_width(cr, 0.6);
            cairo_rectangle(cr, c[i].x, top, c[i].w, h);
            cairo_stroke(cr);
        }
    }
}

/* Where to cut layout l so that the part after offset fits in room: the bottom of the last whole
 * line, or offset + room when not even one line fits (a line taller than a page). */
static double cut_of(PangoLayout *l, double offset, double room)
{
    double cut = offset;
    PangoLayoutIter *it = pango_layout_get_iter(l);
    do {
        int y0, y1;
        pango_layout_iter_get_line_yrange(it, &y0, &y1);
        double bottom = (double)y1 / PANGO_SCALE;
        if (bottom <= offset)
            continue;
        if (bottom - offset > room)
            break;
        cut = bottom;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    return cut > offset ? cut : offset + room;
}

/* A row of cells: on this page if it fits, else on the next; a row taller than a page is cut
 * between lines of its tallest cell and continued on the following pages. */
static void draw_row(struct pdf *p, const struct cell *c, int n, int border)
{
    PangoLayout *ls[MAX_CELLS];
    double text_h = 0, pad = border ? 2 * PAD : 0;
    int tall = 0;
    for (int i = 0; i < n; i++) {
        ls[i] = layout(p, c[i].text, c[i].font, c[i].w - pad, c[i].align);
        if (!border) /* a paragraph: its first line indented by two characters */
            pango_layout_set_indent(ls[i], 21 * PANGO_SCALE);
        double h = height_of(ls[i]);
        if (h > text_h) {
            text_h = h;
            tall = i;
        }
    }
    if (p->y + text_h + pad > BOTTOM && p->y > TOP + 60)
        new_page(p);
    double offset = 0;
    while (!p->overflow) {
        double room = BOTTOM - p->y - pad;
        if (text_h - offset <= room) {
            draw_cells(p, c, n, ls, p->y, text_h - offset + pad, offset, border);
            p->y += text_h - offset + pad;
            break;
        }
        double cut = room > 20 ? cut_of(ls[tall], offset, room) : offset;
        if (cut > offset) {
            draw_cells(p, c, n, ls, p->y, cut - offset + pad, offset, border);
            offset = cut;
        }
        new_page(p);
    }
    for (int i = 0; i < n; i++)
        g_object_unref(ls[i]);
}

static void heading(struct pdf *p, const char *text)
{
    if (text == NULL)
        return;
    PangoLayout *l = layout(p, text, F_HEADING, CONTENT_W, PANGO_ALIGN_LEFT);
    double h = height_of(l);
    if (p->y + 8 + h + 40 > BOTTOM) /* keep a heading with what follows */
        new_page(p);
    if (!p->overflow) {
        p->y += 8;
        show(p, l, MARGIN, p->y);
        p->y += h + 4;
    }
    g_object_unref(l);
}

static void grid(struct pdf *p, const jg_pdf_block *b)
{
    int cols = b->columns >= 1 && b->columns <= 3 ? b->columns : 2;
    double pair = CONTENT_W / cols, lw = cols == 1 ? 110 : cols == 2 ? 88 : 66;
    for (int i = 0; i < b->nitems && !p->overflow; i += cols) {
        struct cell row[6];
        int n = 0;
        for (int k = 0; k < cols && i + k < b->nitems; k++) {
            double x = MARGIN + k * pair;
            int last = k == cols - 1 || i + k + 1 == b->nitems;
            row[n++] = (struct cell){x, lw, b->labels[i + k], F_BODY, 1, PANGO_ALIGN_LEFT};
            row[n++] = (struct cell){
                x + lw,          last ? MARGIN + CONTENT_W - x - lw : pair - lw, b->values[i + k], F_BODY, 0,
                PANGO_ALIGN_LEFT};
        }
        draw_row(p, row, n, 1);
    }
    p->y += 6;
}

static void table(struct pdf *p, const jg_pdf_block *b)
{
    int cols = b->columns >= 1 && b->columns <= MAX_CELLS ? b->columns : 1;
    double w = CONTENT_W / cols;
    struct cell head[MAX_CELLS], row[MAX_CELLS];
    for (int k = 0; k < cols; k++)
        head[k] = (struct cell){MARGIN + k * w, w, b->labels[k], F_BOLD, 1, PANGO_ALIGN_CENTER};
    draw_row(p, head, cols, 1);
    p->repeat = head;
    p->nrepeat = cols;
    for (int i = 0; i < b->nitems && !p->overflow; i++) {
        for (int k = 0; k < cols; k++)
            row[k] = (struct cell){MARGIN + k * w, w, b->values[i * cols + k], F_BODY, 0, PANGO_ALIGN_LEFT};
        draw_row(p, row, cols, 1);
    }
    if (b->nitems == 0) {
        struct cell none = {MARGIN, CONTENT_W, "（无）", F_BODY, 0, PANGO_ALIGN_CENTER};
        draw_row(p, &none, 1, 1);
    }
    p->repeat = NULL;
    p->nrepeat = 0;
    p->y += 6;
}

static void paragraph(struct pdf *p, const char *text)
{
    struct cell c = {MARGIN, CONTENT_W, text, F_BODY, 0, PANGO_ALIGN_LEFT};
    p->y += 4;
    draw_row(p, &c, 1, 0);
    p->y += 4;
}

static void signature(struct pdf *p, const jg_pdf_block *b)
{
    double line = 34, need = 16 + line * b->nitems;
    if (p->y + need > BOTTOM)
        new_page(p);
    if (p->overflow)
        return;
    p->y += 16;
    double x = MARGIN + CONTENT_W * 0.5;
    for (int i = 0; i < b->nitems; i++) {
        char text[256];
        snprintf(text, sizeof(text), "%s：", b->labels[i] != NULL ? b->labels[i] : "");
        text_at(p, text, F_BODY, x, p->y + 12, 120, PANGO_ALIGN_RIGHT);
        cairo_set_line_width(p->cr, 0.6);
        cairo_move_to(p->cr, x + 124, p->y + 26);
        cairo_line_to(p->cr, PAGE_W - MARGIN, p->y + 26);
        cairo_stroke(p->cr);
        p->y += line;
    }
}

/* Title centred between the margins (kept clear of the QR code), the QR code at the top right. */
static jg_rc title(struct pdf *p)
{
    const jg_pdf_doc *d = p->doc;
    double qr_bottom = TOP;
    if (d->qr_text != NULL) {
        jg_rc rc = jg_qr_draw(p->cr, d->qr_text, PAGE_W - MARGIN - QR_PT, TOP - 6, QR_PT);
        if (rc != JG_OK)
            return rc;
        double h = text_at(p, d->qr_caption, F_SMALL, PAGE_W - MARGIN - QR_PT - 15, TOP - 6 + QR_PT,
                           QR_PT + 30, PANGO_ALIGN_CENTER);
        qr_bottom = TOP - 6 + QR_PT + h;
    }
    double side = d->qr_text != NULL ? QR_PT + 16 : 0;
    PangoLayout *l = layout(p, d->title, F_TITLE, CONTENT_W - 2 * side, PANGO_ALIGN_CENTER);
    double h = height_of(l), y = TOP + (QR_PT - h) / 2;
    show(p, l, MARGIN + side, y > TOP ? y : TOP);
    g_object_unref(l);
    double below = (y > TOP ? y : TOP) + h;
    p->y = (below > qr_bottom ? below : qr_bottom) + 10;
    return JG_OK;
}

static jg_rc lay_out(struct pdf *p)
{
    page_top(p);
    jg_rc rc = title(p);
    for (int i = 0; rc == JG_OK && i < p->doc->nblocks && !p->overflow; i++) {
        const jg_pdf_block *b = &p->doc->blocks[i];
        heading(p, b->heading);
        if (b->kind == JG_PDF_GRID)
            grid(p, b);
        else if (b->kind == JG_PDF_TABLE)
            table(p, b);
        else if (b->kind == JG_PDF_TEXT)
            paragraph(p, b->text);
        else
            signature(p, b);
    }
    if (rc == JG_OK && !p->overflow) {
        page_bottom(p);
        cairo_show_page(p->cr);
    }
    return p->overflow ? JG_TOOLARGE : rc;
}

struct sink {
    jg_buf buf;
    int count_only;
};

static cairo_status_t sink_write(void *closure, const unsigned char *data, unsigned int length)
{
    struct sink *s = closure;
    if (s->count_only)
        return CAIRO_STATUS_SUCCESS;
    return jg_buf_append(&s->buf, data, length) == JG_OK ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* One pass over doc into s; *pages the pages it took. */
static jg_rc pass(const jg_pdf_doc *doc, int total, struct sink *s, int *pages)
{
    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(sink_write, s, PAGE_W, PAGE_H);
    struct pdf p = {.doc = doc, .page = 1, .total = total};
    p.cr = cairo_create(surface);
    PangoFontMap *fm = pango_cairo_font_map_new(); /* its caches go with it, not into a thread's */
    p.pc = pango_font_map_create_context(fm);
    pango_cairo_update_context(p.cr, p.pc);
    pango_cairo_context_set_resolution(p.pc, 72); /* font sizes in points of the page, not at 96 dpi */
    pango_context_set_language(p.pc, pango_language_from_string("zh-cn"));
    for (int i = 0; i < F_NFONTS; i++)
        p.fd[i] = pango_font_description_from_string(font_spec[i]);
    cairo_set_source_rgb(p.cr, 0, 0, 0);
    jg_rc rc = lay_out(&p);
    for (int i = 0; i < F_NFONTS; i++)
        pango_font_description_free(p.fd[i]);
    g_object_unref(p.pc);
    g_object_unref(fm);
    cairo_destroy(p.cr);
    cairo_surface_finish(surface);
    cairo_status_t st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (rc == JG_OK && st != CAIRO_STATUS_SUCCESS) {
        if (s->buf.overflowed)
            return JG_TOOLARGE;
        jg_error("pdf: cairo: %s", cairo_status_to_string(st));
        return JG_ERR;
    }
    *pages = p.page;
    return rc;
}

jg_rc jg_pdf_render(const jg_pdf_doc *doc, size_t max_bytes, char **out, size_t *len, int *pages)
{
    struct sink s = {.count_only = 1};
    jg_buf_init(&s.buf, max_bytes);
    int n = 0;
    jg_rc rc = pass(doc, 0, &s, &n);
    if (rc == JG_OK) {
        s.count_only = 0;
        rc = pass(doc, n, &s, pages);
    }
    if (rc != JG_OK) {
        jg_buf_free(&s.buf);
        return rc;
    }
    *len = s.buf.len;
    *out = jg_buf_steal(&s.buf);
    return *out != NULL ? JG_OK : JG_ERR;
}

void jg_pdf_shutdown(void)
{
    cairo_debug_reset_static_data();
}

/* Cairo 1.16 (Debian 12) loses three small arrays in every PDF surface it finishes (inside
 * cairo_surface_finish, in its font subsetting), and fontconfig keeps its configuration for the
 * whole process (FcFini is not linked); nothing a caller does frees them. The sanitizer builds
 * unwind fast, and these libraries have no frame pointers, so a leak's stack ends in the library
 * and cannot be told apart by function: LeakSanitizer is told to pass over memory allocated inside
 * libcairo and libfontconfig. Run test_print with ASAN_OPTIONS=fast_unwind_on_malloc=0 to see the
 * full stacks: only cairo_surface_finish and FcInitLoadConfigAndFonts must remain. Pango and GLib
 * objects (layouts, contexts, font maps) are still checked. Unused without -fsanitize. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcairo.so\nleak:libfontconfig.so\n";
}
