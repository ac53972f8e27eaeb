/* CSV cells and rows (RFC 4180) for exports opened in spreadsheets (Excel, WPS).
 *
 *   file  = [BOM] row *(row)         BOM = EF BB BF, so Excel reads the text as UTF-8
 *   row   = cell *("," cell) CRLF
 *   cell  = plain | '"' *(char | '""') '"'
 *
 * A cell is quoted when it holds a comma, a quote, CR or LF, or starts or ends with a space.
 * A cell a spreadsheet would take for a formula (first character = + - @, TAB or CR) gets a
 * leading apostrophe (OWASP "CSV injection"), unless it is a plain decimal number such as -12.5,
 * which a spreadsheet only shows as a number. */
#ifndef JG_CSV_H
#define JG_CSV_H
#include "base/buf.h"

/* The UTF-8 byte order mark that starts a CSV file meant for Excel. */
#define JG_CSV_BOM "\xEF\xBB\xBF"

/* Append s as one cell, after a comma unless first is 1. NULL is an empty cell. Fails as
 * jg_buf_append (JG_TOOLARGE, the buffer marked overflowed). */
jg_rc jg_csv_cell(jg_buf *b, const char *s, int first);
/* End the row: CRLF. Fails as jg_buf_append. */
jg_rc jg_csv_row_end(jg_buf *b);
/* 1 when s would be read as a formula by a spreadsheet and so gets the apostrophe, else 0. */
int jg_csv_formula_like(const char *s);

#endif
