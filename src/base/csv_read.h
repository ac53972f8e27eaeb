/* Reading CSV (RFC 4180) uploaded for import, row by row.
 *
 *   file  = [BOM] row *(EOL row) [EOL]     EOL = CRLF | LF | CR
 *   row   = cell *("," cell)
 *   cell  = *(any but , " CR LF) | '"' *(any but " | '""') '"'
 *
 * Encoding: UTF-8 with or without the BOM; a file that is not valid UTF-8 is taken as GB18030
 * (the superset of GBK and GB2312 that Excel and WPS in China write for "CSV (逗号分隔)") and
 * converted with iconv. UTF-16 (Excel's "Unicode 文本") and files holding NUL bytes are refused.
 * Leniency, as spreadsheets are lenient: a quote inside an unquoted cell is kept as text; after a
 * closing quote only a comma or the end of the row may follow. Cells are text as written (never
 * trimmed); a row of empty cells only is skipped. */
#ifndef JG_CSV_READ_H
#define JG_CSV_READ_H
#include "base/sheet.h"

/* Read the len bytes at data as CSV, calling fn(ud, ...) for each row (cells of type JG_CELL_TEXT).
 * JG_OK when every row was read; JG_INVALID (not text, an encoding that is neither UTF-8 nor
 * GB18030, an unclosed quote) or JG_TOOLARGE (past lim) with a Chinese message in err; or the rc
 * that fn returned to stop. Allocates what it needs and frees it before returning. */
jg_rc jg_csv_read(const char *data, size_t len, const jg_sheet_limits *lim, jg_row_fn fn, void *ud, char *err,
                  size_t errlen);

#endif
