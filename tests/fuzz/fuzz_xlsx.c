/* libFuzzer driver for the import readers: the input is read as an XLSX workbook (xlsx_read.c: zip,
 * XML, shared strings, cells) and as a CSV file (csv_read.c: quoting, UTF-8 / GB18030). Checks
 * that cells are well-formed UTF-8 of the length said, rows ascend and limits hold. */
#include "base/csv_read.h"
#include "base/text.h"
#include "engine/entity/xlsx_read.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    int64_t last_row;
    int max_cols;
};

static jg_rc check_row(void *ud, int64_t row, const jg_cell *cells, int ncells)
{
    struct seen *s = ud;
    if (row <= s->last_row || ncells < 1 || ncells > s->max_cols)
        abort();
    s->last_row = row;
    for (int i = 0; i < ncells; i++) {
        if (cells[i].text == NULL)
            continue;
        if (strlen(cells[i].text) != cells[i].len || !jg_utf8_valid(cells[i].text, cells[i].len))
            abort();
        char out[32];
        if (cells[i].type == JG_CELL_NUMBER)
            (void)jg_xlsx_serial_date(cells[i].text, i & 1, i & 2, out, sizeof(out));
    }
    if (cells[ncells - 1].text == NULL) /* ncells is one past the last cell with text */
        abort();
    return JG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20)
        return 0;
    char *copy = malloc(size + 1); /* own copy, so ASan sees reads past the end */
    memcpy(copy, data, size);
    jg_xlsx_limits lim;
    jg_xlsx_limits_default(&lim);
    lim.sheet = (jg_sheet_limits){2000, 64, 4096};
    lim.max_part_bytes = 8u << 20;
    lim.max_total_bytes = 16u << 20;
    char err[512];
    struct seen s = {0, lim.sheet.max_cols};
    int d1904 = 0;
    jg_rc rc = jg_xlsx_read(copy, size, &lim, check_row, &s, &d1904, err, sizeof(err));
    if (rc != JG_OK && rc != JG_INVALID && rc != JG_TOOLARGE)
        abort();
    if (rc != JG_OK && (err[0] == '\0' || !jg_utf8_valid(err, strlen(err))))
        abort();
    s = (struct seen){0, lim.sheet.max_cols};
    rc = jg_csv_read(copy, size, &lim.sheet, check_row, &s, err, sizeof(err));
    if (rc != JG_OK && rc != JG_INVALID && rc != JG_TOOLARGE)
        abort();
    free(copy);
    return 0;
}
