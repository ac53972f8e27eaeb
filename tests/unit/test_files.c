/* Unit tests for src/platform/files.c: the kind of a file judged from its content. */
#include "platform/files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, size_t v)
{
    put16(p, (unsigned)(v & 0xffff));
    put16(p + 2, (unsigned)(v >> 16));
}

/* A zip of empty stored entries named names (NULL-terminated) into out; returns its length. */
static size_t zip(const char *const *names, unsigned char *out)
{
    size_t off[16], len = 0;
    int n = 0;
    for (; names[n] != NULL; n++) {
        size_t nl = strlen(names[n]);
        off[n] = len;
        memset(out + len, 0, 30);
        memcpy(out + len, "PK\3\4", 4);
        put16(out + len + 26, (unsigned)nl);
        memcpy(out + len + 30, names[n], nl);
        len += 30 + nl;
    }
    size_t cd = len;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        memset(out + len, 0, 46);
        memcpy(out + len, "PK\1\2", 4);
        put16(out + len + 28, (unsigned)nl);
        put32(out + len + 42, off[i]);
        memcpy(out + len + 46, names[i], nl);
        len += 46 + nl;
    }
    memset(out + len, 0, 22);
    memcpy(out + len, "PK\5\6", 4);
    put16(out + len + 8, (unsigned)n);
    put16(out + len + 10, (unsigned)n);
    put32(out + len + 12, len - cd);
    put32(out + len + 16, cd);
    return len + 22;
}

#define KIND(s) jg_files_kind((const unsigned char *)(s), sizeof(s) - 1)

static void magic_bytes(void **state)
{
    (void)state;
    assert_string_equal(KIND("%PDF-1.7\n..."), "pdf");
    assert_string_equal(KIND("\xFF\xD8\xFF\xE0\0\x10JFIF"), "jpg");
    assert_string_equal(KIND("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "png");
    assert_string_equal(KIND("\0\0\0\x18"
                             "ftypmp42\0\0\0\0"),
                        "mp4");
    assert_null(KIND("MZ\x90\0\3\0\0\0"));
    assert_null(KIND("plain text"));
    assert_null(KIND("%PDF"));
    assert_null(jg_files_kind((const unsigned char *)"", 0));
}

static void zips_by_their_names(void **state)
{
    (void)state;
    unsigned char buf[4096];
    static const char *const docx[] = {"[Content_Types].xml", "_rels/.rels", "word/document.xml", NULL};
    static const char *const xlsx[] = {"[Content_Types].xml", "xl/workbook.xml", NULL};
    static const char *const ofd[] = {"OFD.xml", "Doc_0/Document.xml", NULL};
    static const char *const plain[] = {"a.txt", "word/not-office.xml", NULL};
    assert_string_equal(jg_files_kind(buf, zip(docx, buf)), "docx");
    assert_string_equal(jg_files_kind(buf, zip(xlsx, buf)), "xlsx");
    assert_string_equal(jg_files_kind(buf, zip(ofd, buf)), "ofd");
    assert_string_equal(jg_files_kind(buf, zip(plain, buf)), "zip");
    /* a directory that points past the end record is not a zip */
    size_t len = zip(docx, buf);
    put32(buf + len - 22 + 16, len);
    assert_null(jg_files_kind(buf, len));
    /* an entry whose name runs past the directory */
    len = zip(xlsx, buf);
    size_t cd = buf[len - 6] | (size_t)buf[len - 5] << 8;
    put16(buf + cd + 28, 4000);
    assert_null(jg_files_kind(buf, len));
    /* a local header without an end record */
    assert_null(KIND("PK\3\4\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"));
}

static void mime_types(void **state)
{
    (void)state;
    assert_string_equal(jg_files_mime("pdf"), "application/pdf");
    assert_string_equal(jg_files_mime("png"), "image/png");
    assert_string_equal(jg_files_mime("exe"), "application/octet-stream");
    assert_string_equal(jg_files_mime(NULL), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(magic_bytes),
        cmocka_unit_test(zips_by_their_names),
        cmocka_unit_test(mime_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
