/* QR codes as cairo rectangles: one filled square per dark module, on white, quiet zone included. */
#include "engine/docs/qr.h"

#include "base/log.h"

#include <errno.h>
#include <qrencode.h>
#include <string.h>

#define QR_MAX_TEXT 512
#define QUIET 4 /* modules of white around the symbol (ISO/IEC 18004) */

jg_rc jg_qr_draw(cairo_t *cr, const char *text, double x, double y, double size)
{
    size_t n = text != NULL ? strlen(text) : 0;
    if (n == 0 || n > QR_MAX_TEXT)
        return JG_INVALID;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (q == NULL) {
        jg_error("qr: cannot encode %zu bytes: %s", n, strerror(errno));
        return JG_ERR;
    }
    double m = size / (q->width + 2 * QUIET);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, x, y, size, size);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int r = 0; r < q->width; r++)
        for (int c = 0; c < q->width; c++)
            if (q->data[r * q->width + c] & 1)
                cairo_rectangle(cr, x + (c + QUIET) * m, y + (r + QUIET) * m, m, m);
    cairo_fill(cr);
    cairo_restore(cr);
    QRcode_free(q);
    return JG_OK;
}
