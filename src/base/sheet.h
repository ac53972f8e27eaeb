/* Rows of cells read from an uploaded table (CSV by csv_read.c, XLSX by engine/entity/xlsx_read.c),
 * handed to the caller one row at a time so that a large file never sits in memory as a whole. */
#ifndef JG_SHEET_H
#define JG_SHEET_H
#include "base/rc.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    JG_CELL_TEXT,   /* text as written (CSV: every cell; XLSX: shared, inline and formula strings) */
    JG_CELL_NUMBER, /* XLSX number: its stored text ("12.5", "46357", "1E-3") */
    JG_CELL_BOOL,   /* XLSX boolean: "1" or "0" */
    JG_CELL_ERROR,  /* XLSX error value: "#N/A", "#DIV/0!" ... */
} jg_cell_type;

/* One cell; text is NULL for an empty cell, else NUL-terminated UTF-8 of len bytes. */
typedef struct {
    jg_cell_type type;
    const char *text;
    size_t len;
} jg_cell;

/* Called for each row that has at least one cell: row is its number as a spreadsheet shows it
 * (from 1), cells[0..ncells) its columns A, B, ... (ncells is one past the last non-empty cell).
 * The cells are valid during the call only. Return JG_OK to go on; any other rc stops the reading,
 * which then returns it. */
typedef jg_rc (*jg_row_fn)(void *ud, int64_t row, const jg_cell *cells, int ncells);

/* Limits of one reading; a table past any is refused with a Chinese message. */
typedef struct {
    int64_t max_rows;      /* rows, the header included */
    int max_cols;          /* columns */
    size_t max_cell_bytes; /* bytes of UTF-8 in one cell */
} jg_sheet_limits;

#endif
