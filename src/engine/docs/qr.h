/* QR codes (libqrencode) drawn as cairo rectangles, for printed documents. */
#ifndef JG_DOCS_QR_H
#define JG_DOCS_QR_H
#include "base/rc.h"

#include <cairo.h>

/* Draw text (UTF-8, at most 512 bytes) as a QR code, error correction level M, in a white square of
 * size points at (x, y) on cr, with the 4-module quiet zone inside that square. JG_INVALID when
 * text is empty or too long, JG_ERR (logged) when libqrencode fails. */
jg_rc jg_qr_draw(cairo_t *cr, const char *text, double x, double y, double size);

#endif
