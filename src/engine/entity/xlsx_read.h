/* Reading the first worksheet of an XLSX workbook uploaded for import, row by row.
 *
 * An XLSX file is a zip (libzip) of XML parts (libxml2's streaming xmlTextReader, never a DOM):
 *   xl/workbook.xml             <sheets><sheet r:id="rId1"/>…  the first sheet's relationship;
 *                               <workbookPr date1904="1"/> the 1904 date system (old Mac files)
 *   xl/_rels/workbook.xml.rels  <Relationship Id="rId1" Target="worksheets/sheet1.xml"/> and the
 *                               sharedStrings part; without them xl/worksheets/sheet1.xml and
 *                               xl/sharedStrings.xml are read
 *   xl/sharedStrings.xml        <si><t>text</t></si> or rich <si><r><t>a</t></r>…</si> (phonetic
 *                               <rPh> runs left out): the one part held in memory, as the
 *                               sheet's cells point into it by index
 *   xl/worksheets/sheetN.xml    <sheetData><row r="2"><c r="B2" t="s"><v>0</v></c>…
 * Cell types (t): s shared string, inlineStr (<is><t>), str (a formula's cached text result),
 * b boolean, e error, n or none a number (its stored text), d an ISO date (as text). Formulas
 * (<f>) are never evaluated: the cached <v> is the value; a formula without one is an empty cell.
 *
 * Safety: each part's uncompressed bytes, all parts together and the compression ratio of each
 * part are bounded while decompressing (zip bombs); entries are read through libzip, whose CRC
 * check refuses a damaged file; XML is parsed with XML_PARSE_NONET and without entity
 * substitution or DTD loading, and a document with a DOCTYPE is refused (no XXE, no billion
 * laughs). Rows, columns and cell lengths are bounded by jg_sheet_limits. Every failure has a
 * Chinese message for the user. */
#ifndef JG_ENTITY_XLSX_READ_H
#define JG_ENTITY_XLSX_READ_H
#include "base/sheet.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    jg_sheet_limits sheet;
    uint64_t max_part_bytes;   /* uncompressed bytes of one part */
    uint64_t max_total_bytes;  /* uncompressed bytes of all the parts read */
    uint64_t max_ratio;        /* uncompressed / compressed bytes of a part, once past 1 MiB */
    int64_t max_shared;        /* shared strings */
    uint64_t max_shared_bytes; /* bytes of their text (held in memory while the sheet is read) */
} jg_xlsx_limits;

/* Defaults: 100,001 rows, 512 columns, 131,072 bytes a cell (Excel's 32,767 characters), 512 MiB a
 * part, 1 GiB in all, ratio 200, 2,000,000 shared strings of at most 64 MiB. Cannot fail. */
void jg_xlsx_limits_default(jg_xlsx_limits *lim);

/* Read the first worksheet of the XLSX file of len bytes at data, calling fn(ud, ...) for each
 * row with cells. *date1904 (may be NULL) is set before the first row: 1 when the workbook counts
 * dates from 1904. JG_OK when every row was read; JG_INVALID (not an XLSX file, damaged,
 * encrypted, malformed XML) or JG_TOOLARGE (past lim) with a Chinese message in err; or the rc fn
 * returned to stop. Allocates what it needs and frees it before returning. */
jg_rc jg_xlsx_read(const void *data, size_t len, const jg_xlsx_limits *lim, jg_row_fn fn, void *ud,
                   int *date1904, char *err, size_t errlen);

/* The date (with_time 0: "YYYY-MM-DD") or Beijing date and time (with_time 1: "YYYY-MM-DD
 * HH:MM:SS", rounded to the second) of the spreadsheet serial number in text (the 1900 date system
 * with its phantom 1900-02-29, or the 1904 system when date1904), into out. JG_INVALID when text is
 * not a number, is 60 (1900-02-29), or lies outside 1900-01-01 … 9999-12-31. */
jg_rc jg_xlsx_serial_date(const char *text, int date1904, int with_time, char *out, size_t outlen);

#endif
