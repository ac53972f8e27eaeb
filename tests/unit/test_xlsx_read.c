/* Unit tests for src/engine/entity/xlsx_read.c: cell types, sheet lookup, dates, broken files and
 * limits (zip bombs, DOCTYPE). Workbooks are written here with libzip, and one with libxlsxwriter. */
#include "engine/entity/xlsx_read.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <cmocka.h>

#include "testutil.h"

/* A zip in memory of n (name, content) entries; free() the result. */
static unsigned char *make_zip(const char *const *files, int n, size_t *len)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    assert_non_null(src);
    zip_source_keep(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    assert_non_null(z);
    for (int i = 0; i < n; i++) {
        zip_source_t *s = zip_source_buffer(z, files[2 * i + 1], strlen(files[2 * i + 1]), 0);
        assert_non_null(s);
        assert_true(zip_file_add(z, files[2 * i], s, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    assert_int_equal(zip_source_open(src), 0);
    zip_source_seek(src, 0, SEEK_END);
    *len = (size_t)zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    unsigned char *out = malloc(*len);
    assert_int_equal(zip_source_read(src, out, *len), (zip_int64_t)*len);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    return out;
}

struct got {
    char text[8192];
    int rows;
};

static const char TYPES[] = {'t', 'n', 'b', 'e'};

/* "row:cell|cell" lines; a cell as <type letter><text>, "-" when empty. */
static jg_rc collect(void *ud, int64_t row, const jg_cell *cells, int ncells)
{
    struct got *g = ud;
    g->rows++;
    size_t n = strlen(g->text);
    n += (size_t)snprintf(g->text + n, sizeof(g->text) - n, "%lld:", (long long)row);
    for (int i = 0; i < ncells; i++) {
        if (cells[i].text != NULL)
            assert_int_equal(strlen(cells[i].text), cells[i].len);
        if (cells[i].text == NULL)
            n += (size_t)snprintf(g->text + n, sizeof(g->text) - n, "%s-", i > 0 ? "|" : "");
        else
            n += (size_t)snprintf(g->text + n, sizeof(g->text) - n, "%s%c%s", i > 0 ? "|" : "",
                                  TYPES[cells[i].type], cells[i].text);
    }
    snprintf(g->text + n, sizeof(g->text) - n, "\n");
    return JG_OK;
}

#define WB                                                                                                   \
    "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "  \
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
#define RELS                                                                                                 \
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"                 \
    "<Relationship Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"  \
    "worksheet\" Target=\"/xl/worksheets/data.xml\"/>"                                                       \
    "<Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/"  \
    "sharedStrings\" Target=\"strings.xml\"/></Relationships>"

static jg_rc read_zip(const char *const *files, int n, const jg_xlsx_limits *lim, struct got *g, char *err,
                      int *date1904)
{
    size_t len;
    unsigned char *z = make_zip(files, n, &len);
    memset(g, 0, sizeof(*g));
    err[0] = '\0';
    jg_rc rc = jg_xlsx_read(z, len, lim, collect, g, date1904, err, 256);
    free(z);
    return rc;
}

static void cell_types_and_the_first_sheet(void **state)
{
    (void)state;
    const char *files[] = {
        "xl/workbook.xml",
        WB "<workbookPr date1904=\"1\"/><sheets><sheet name=\"甲\" sheetId=\"1\" r:id=\"rId3\"/>"
           "<sheet name=\"乙\" sheetId=\"2\" r:id=\"rId4\"/></sheets></workbook>",
        "xl/_rels/workbook.xml.rels",
        RELS,
        "xl/strings.xml",
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><si><t>项目名称</t></si>"
        "<si><r><t>富</t></r><r><rPr><b/></rPr><t xml:space=\"preserve\">文本 "
        "</t></r><rPh><t>ふりがな</t></rPh></si>"
        "<si><t/></si><si><t>a&amp;b&lt;c</t></si></sst>",
        "xl/worksheets/data.xml",
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"
        "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"C1\" t=\"s\"><v>1</v></c></row>"
        "<row r=\"3\" spans=\"1:6\"><c r=\"A3\"><v>12.5</v></c><c r=\"B3\" t=\"b\"><v>1</v></c>"
        "<c r=\"C3\" t=\"e\"><v>#N/A</v></c><c r=\"D3\" t=\"str\"><f>A1&amp;\"x\"</f><v>项目名称x</v></c>"
        "<c r=\"E3\"><f>SUM(1,2)</f></c><c r=\"F3\" t=\"inlineStr\"><is><t>=1+1</t></is></c></row>"
        "<row r=\"4\"><c r=\"A4\" t=\"s\"><v>2</v></c><c r=\"B4\" s=\"3\"/></row>"
        "<row><c t=\"s\"><v>3</v></c><c><v>1E-3</v></c></row>"
        "<row r=\"7\"/></sheetData><mergeCells count=\"0\"/></worksheet>",
        "xl/worksheets/sheet1.xml",
        "<worksheet><sheetData><row r=\"1\"><c><v>9</v></c></row></sheetData></worksheet>",
    };
    jg_xlsx_limits lim;
    jg_xlsx_limits_default(&lim);
    struct got g;
    char err[256];
    int d1904 = 0;
    assert_int_equal(read_zip(files, 5, &lim, &g, err, &d1904), JG_OK);
    assert_string_equal(g.text, "1:t项目名称|-|t富文本 \n"
                                "3:n12.5|b1|e#N/A|t项目名称x|-|t=1+1\n"
                                "5:ta&b<c|n1E-3\n");
    assert_int_equal(d1904, 1);
}

static void without_workbook_the_first_sheet_is_read(void **state)
{
    (void)state;
    const char *files[] = {
        "xl/worksheets/sheet1.xml",
        "<worksheet><sheetData><row r=\"2\"><c r=\"B2\" t=\"inlineStr\"><is><t>仅此</t></is></c></row>"
        "</sheetData></worksheet>",
    };
    jg_xlsx_limits lim;
    jg_xlsx_limits_default(&lim);
    struct got g;
    char err[256];
    assert_int_equal(read_zip(files, 1, &lim, &g, err, NULL), JG_OK);
    assert_string_equal(g.text, "2:-|t仅此\n");
}

static void broken_files(void **state)
{
    (void)state;
    jg_xlsx_limits lim;
    jg_xlsx_limits_default(&lim);
    struct got g;
    char err[256];
    /* not a zip, an old .xls, a zip without a sheet */
    assert_int_equal(jg_xlsx_read("hello", 5, &lim, collect, &g, NULL, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "文件不是有效的 XLSX 文件");
    assert_int_equal(
        jg_xlsx_read("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1xxxx", 12, &lim, collect, &g, NULL, err, sizeof(err)),
        JG_INVALID);
    assert_non_null(strstr(err, ".xls"));
    const char *other[] = {"a.txt", "hello"};
    assert_int_equal(read_zip(other, 1, &lim, &g, err, NULL), JG_INVALID);
    assert_non_null(strstr(err, "找不到"));
    /* truncated: the central directory is gone */
    const char *one[] = {"xl/worksheets/sheet1.xml",
                         "<worksheet><sheetData><row><c><v>1</v></c></row></sheetData></worksheet>"};
    size_t len;
    unsigned char *z = make_zip(one, 1, &len);
    assert_int_equal(jg_xlsx_read(z, len / 2, &lim, collect, &g, NULL, err, sizeof(err)), JG_INVALID);
    assert_non_null(strstr(err, "损坏"));
    free(z);
    /* malformed XML, a DOCTYPE (billion laughs), a shared string that does not exist, bad row order */
    const char *bad[][2] = {
        {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row><c><v>1</v></row></sheetData></worksheet>"},
        {"xl/worksheets/sheet1.xml",
         "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
         "\"&a;&a;&a;&a;&a;&a;&a;&a;\">"
         "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><worksheet><sheetData><row><c "
         "t=\"inlineStr\"><is><t>&c;</t>"
         "</is></c></row></sheetData></worksheet>"},
        {"xl/worksheets/sheet1.xml",
         "<?xml version=\"1.0\"?><!DOCTYPE w [<!ENTITY x SYSTEM "
         "\"file:///etc/passwd\">]><worksheet><sheetData>"
         "<row><c t=\"inlineStr\"><is><t>&x;</t></is></c></row></sheetData></worksheet>"},
        {"xl/worksheets/sheet1.xml",
         "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData></worksheet>"},
        {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r=\"5\"><c><v>1</v></c></row><row "
                                     "r=\"2\"><c><v>1</v></c></row></sheetData></worksheet>"},
        {"xl/worksheets/sheet1.xml",
         "<worksheet><sheetData><row><c r=\"1A\"><v>1</v></c></row></sheetData></worksheet>"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(read_zip(bad[i], 1, &lim, &g, err, NULL), JG_INVALID);
        assert_non_null(strstr(err, "文件不是有效的 XLSX 文件"));
        assert_null(strstr(g.text, "root:"));
        assert_null(strstr(g.text, "aaaaaaaaaa"));
    }
}

/* A sheet of rows x cols numeric cells. */
static char *sheet_of(int rows, int cols, const char *cell)
{
    size_t cap = (size_t)rows * (size_t)cols * (strlen(cell) + 32) + 256, n = 0;
    char *s = malloc(cap);
    n += (size_t)snprintf(s + n, cap - n, "<worksheet><sheetData>");
    for (int r = 0; r < rows; r++) {
        n += (size_t)snprintf(s + n, cap - n, "<row>");
        for (int c = 0; c < cols; c++)
            n += (size_t)snprintf(s + n, cap - n, "<c t=\"inlineStr\"><is><t>%s</t></is></c>", cell);
        n += (size_t)snprintf(s + n, cap - n, "</row>");
    }
    snprintf(s + n, cap - n, "</sheetData></worksheet>");
    return s;
}

static void limits(void **state)
{
    (void)state;
    jg_xlsx_limits lim;
    jg_xlsx_limits_default(&lim);
    lim.sheet = (jg_sheet_limits){5, 4, 8};
    struct got g;
    char err[256];
    char *s = sheet_of(5, 4, "12345678");
    const char *ok[] = {"xl/worksheets/sheet1.xml", s};
    assert_int_equal(read_zip(ok, 1, &lim, &g, err, NULL), JG_OK);
    assert_int_equal(g.rows, 5);
    free(s);
    s = sheet_of(6, 1, "x");
    const char *rows[] = {"xl/worksheets/sheet1.xml", s};
    assert_int_equal(read_zip(rows, 1, &lim, &g, err, NULL), JG_TOOLARGE);
    assert_non_null(strstr(err, "行数超过上限"));
    free(s);
    s = sheet_of(1, 5, "x");
    const char *cols[] = {"xl/worksheets/sheet1.xml", s};
    assert_int_equal(read_zip(cols, 1, &lim, &g, err, NULL), JG_TOOLARGE);
    assert_non_null(strstr(err, "列数超过上限"));
    free(s);
    s = sheet_of(1, 1, "123456789");
    const char *cell[] = {"xl/worksheets/sheet1.xml", s};
    assert_int_equal(read_zip(cell, 1, &lim, &g, err, NULL), JG_TOOLARGE);
    assert_non_null(strstr(err, "内容过长"));
    free(s);
    /* the shared strings held in memory are bounded too */
    const char *sst[] = {"xl/sharedStrings.xml", "<sst><si><t>12345</t></si></sst>",
                         "xl/worksheets/sheet1.xml",
                         "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData></worksheet>"};
    lim.max_shared_bytes = 8;
    assert_int_equal(read_zip(sst, 2, &lim, &g, err, NULL), JG_OK);
    lim.max_shared_bytes = 4;
    assert_int_equal(read_zip(sst, 2, &lim, &g, err, NULL), JG_TOOLARGE);
    assert_non_null(strstr(err, "共享字符串超过"));
    /* a zip bomb: 4 MiB of spaces compress a thousandfold */
    size_t big = 4u << 20;
    char *bomb = malloc(big + 64);
    memcpy(bomb, "<worksheet>", 11);
    memset(bomb + 11, ' ', big);
    memcpy(bomb + 11 + big, "</worksheet>", 13);
    const char *b[] = {"xl/worksheets/sheet1.xml", bomb};
    jg_xlsx_limits_default(&lim);
    assert_int_equal(read_zip(b, 1, &lim, &g, err, NULL), JG_TOOLARGE);
    assert_non_null(strstr(err, "压缩炸弹"));
    lim.max_ratio = 100000; /* the ratio allowed: the size limit of a part still holds */
    lim.max_part_bytes = 2u << 20;
    assert_int_equal(read_zip(b, 1, &lim, &g, err, NULL), JG_TOOLARGE);
    assert_non_null(strstr(err, "解压后的内容超过上限"));
    free(bomb);
}

static void serial_dates(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(jg_xlsx_serial_date("1", 0, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "1900-01-01");
    assert_int_equal(jg_xlsx_serial_date("59", 0, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "1900-02-28");
    assert_int_equal(jg_xlsx_serial_date("60", 0, 0, out, sizeof(out)),
                     JG_INVALID); /* 1900-02-29 never was */
    assert_int_equal(jg_xlsx_serial_date("61", 0, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "1900-03-01");
    assert_int_equal(jg_xlsx_serial_date("46357", 0, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "2026-12-01");
    assert_int_equal(jg_xlsx_serial_date("46357.75", 0, 1, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "2026-12-01 18:00:00");
    assert_int_equal(jg_xlsx_serial_date("46357.999999999", 0, 1, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "2026-12-02 00:00:00");
    assert_int_equal(jg_xlsx_serial_date("2958465", 0, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "9999-12-31");
    assert_int_equal(jg_xlsx_serial_date("0", 1, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "1904-01-01");
    assert_int_equal(jg_xlsx_serial_date("44895", 1, 0, out, sizeof(out)), JG_OK);
    assert_string_equal(out, "2026-12-01");
    assert_int_equal(jg_xlsx_serial_date("0", 0, 0, out, sizeof(out)), JG_INVALID);
    assert_int_equal(jg_xlsx_serial_date("2958466", 0, 0, out, sizeof(out)), JG_INVALID);
    assert_int_equal(jg_xlsx_serial_date("abc", 0, 0, out, sizeof(out)), JG_INVALID);
    assert_int_equal(jg_xlsx_serial_date("1e400", 0, 0, out, sizeof(out)), JG_INVALID);
    assert_int_equal(jg_xlsx_serial_date("46357", 0, 0, out, 5), JG_TOOLARGE);
}

/* A workbook written by libxlsxwriter (as the export writes them), both string modes. */
static void written_by_libxlsxwriter(void **state)
{
    (void)state;
    char dir[64];
    tmpdir_make(dir, sizeof(dir));
    for (int constant = 0; constant <= 1; constant++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/w%d.xlsx", dir, constant);
        lxw_workbook_options opt = {.constant_memory = (uint8_t)constant, .tmpdir = dir};
        lxw_workbook *wb = workbook_new_opt(path, &opt);
        lxw_worksheet *ws = workbook_add_worksheet(wb, NULL);
        worksheet_write_string(ws, 0, 0, "项目名称", NULL);
        worksheet_write_string(ws, 0, 1, "计划开工日期", NULL);
        worksheet_write_string(ws, 1, 0, "=1+1", NULL);
        lxw_datetime dt = {2026, 12, 1, 0, 0, 0};
        lxw_format *f = workbook_add_format(wb);
        format_set_num_format(f, "yyyy-mm-dd");
        worksheet_write_datetime(ws, 1, 1, &dt, f);
        worksheet_write_boolean(ws, 2, 2, 1, NULL);
        assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        static char buf[1 << 16];
        size_t len = fread(buf, 1, sizeof(buf), fp);
        fclose(fp);
        jg_xlsx_limits lim;
        jg_xlsx_limits_default(&lim);
        struct got g = {0};
        char err[256] = "";
        assert_int_equal(jg_xlsx_read(buf, len, &lim, collect, &g, NULL, err, sizeof(err)), JG_OK);
        assert_string_equal(g.text, "1:t项目名称|t计划开工日期\n2:t=1+1|n46357\n3:-|-|b1\n");
    }
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cell_types_and_the_first_sheet),
        cmocka_unit_test(without_workbook_the_first_sheet_is_read),
        cmocka_unit_test(broken_files),
        cmocka_unit_test(limits),
        cmocka_unit_test(serial_dates),
        cmocka_unit_test(written_by_libxlsxwriter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
