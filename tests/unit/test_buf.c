/* Unit tests for src/base/buf.c: the maximum is enforced, printf grows the buffer, steal hands over. */
#include "base/buf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void init_is_empty(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 100);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    jg_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.max, 100);
}

static void append_and_puts_concatenate(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1024);
    assert_int_equal(jg_buf_append(&b, "abc", 3), JG_OK);
    assert_int_equal(jg_buf_puts(&b, "福建"), JG_OK);
    assert_int_equal(jg_buf_append(&b, "xyz", 0), JG_OK);
    assert_int_equal(b.len, 3 + strlen("福建"));
    assert_string_equal(b.data, "abc福建");
    assert_true(b.cap > b.len); /* room for the NUL */
    /* Binary data with a NUL inside is kept byte for byte. */
    assert_int_equal(jg_buf_append(&b, "\0z", 2), JG_OK);
    assert_int_equal(b.len, 3 + strlen("福建") + 2);
    assert_memory_equal(b.data + b.len - 2, "\0z", 2);
    assert_int_equal(b.data[b.len], '\0');
    jg_buf_free(&b);
}

static void max_is_enforced_and_contents_unchanged(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 10);
    assert_int_equal(jg_buf_puts(&b, "0123456"), JG_OK);
    assert_int_equal(jg_buf_puts(&b, "7890"), JG_TOOLARGE); /* would be 11 */
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "0123456");
    assert_int_equal(jg_buf_printf(&b, "%d", 1234), JG_TOOLARGE);
    assert_int_equal(b.len, 7);
    assert_string_equal(b.data, "0123456");
    /* Exactly max is allowed, and then not a single byte more. */
    assert_int_equal(jg_buf_puts(&b, "789"), JG_OK);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(jg_buf_append(&b, "x", 1), JG_TOOLARGE);
    assert_int_equal(jg_buf_append(&b, "", 0), JG_OK);
    assert_string_equal(b.data, "0123456789");
    assert_true(b.cap <= b.max + 1); /* never allocates past max + NUL */
    jg_buf_free(&b);

    /* A single append larger than max fails on an empty buffer, leaving it empty. */
    jg_buf_init(&b, 4);
    assert_int_equal(jg_buf_puts(&b, "12345"), JG_TOOLARGE);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    jg_buf_free(&b);

    /* max 0: only empty appends succeed. */
    jg_buf_init(&b, 0);
    assert_int_equal(jg_buf_append(&b, "a", 1), JG_TOOLARGE);
    assert_int_equal(jg_buf_append(&b, "", 0), JG_OK);
    assert_int_equal(b.len, 0);
    jg_buf_free(&b);
}

static void grows_across_many_appends(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 100000);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(jg_buf_append(&b, &"0123456789"[i % 10], 1), JG_OK);
    assert_int_equal(b.len, 100000);
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] != (char)('0' + i % 10))
            fail_msg("byte %zu is %c", i, b.data[i]);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(jg_buf_append(&b, "x", 1), JG_TOOLARGE);
    assert_int_equal(b.len, 100000);
    jg_buf_free(&b);
}

static void printf_small_and_large(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    assert_int_equal(jg_buf_printf(&b, "%s=%d;", "threads", 4), JG_OK);
    assert_string_equal(b.data, "threads=4;");
    /* Longer than printf's 256-byte stack buffer: formatted on the heap, then appended. */
    char big[1001];
    memset(big, 'y', 1000);
    big[1000] = '\0';
    assert_int_equal(jg_buf_printf(&b, "[%s|%05d]", big, 42), JG_OK);
    assert_int_equal(b.len, strlen("threads=4;") + 1 + 1000 + 7);
    assert_int_equal(b.data[10], '[');
    assert_int_equal(b.data[11], 'y');
    assert_int_equal(b.data[1010], 'y');
    assert_string_equal(b.data + 1011, "|00042]");
    /* Exactly 255 and 256 characters: either side of the stack buffer. */
    jg_buf_free(&b);
    assert_int_equal(jg_buf_printf(&b, "%.255s", big), JG_OK);
    assert_int_equal(b.len, 255);
    assert_int_equal(jg_buf_printf(&b, "%.256s", big), JG_OK);
    assert_int_equal(b.len, 511);
    assert_int_equal(strlen(b.data), 511);
    jg_buf_free(&b);

    /* A large printf past max fails and leaves the buffer as it was. */
    jg_buf_init(&b, 600);
    assert_int_equal(jg_buf_puts(&b, "keep"), JG_OK);
    assert_int_equal(jg_buf_printf(&b, "%s", big), JG_TOOLARGE);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    jg_buf_free(&b);
}

static void steal_hands_over_and_resets(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 64);
    assert_null(jg_buf_steal(&b)); /* empty: nothing to hand over */
    assert_int_equal(jg_buf_puts(&b, "mine now"), JG_OK);
    char *p = jg_buf_steal(&b);
    assert_non_null(p);
    assert_string_equal(p, "mine now");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 64);
    /* The buffer is usable again and does not share memory with what was stolen. */
    assert_int_equal(jg_buf_puts(&b, "again"), JG_OK);
    assert_string_equal(b.data, "again");
    assert_string_equal(p, "mine now");
    free(p);
    jg_buf_free(&b);
}

static void markup_escapes_and_drops_controls(void **state)
{
    (void)state;
    jg_buf b;
    jg_buf_init(&b, 64);
    assert_int_equal(jg_buf_put_markup(&b, "A&B <x> \"q\" 'a'\tL\n\x01\x1f中"), JG_OK);
    assert_string_equal(b.data, "A&amp;B &lt;x&gt; &quot;q&quot; &#39;a&#39;\tL\n中");
    assert_int_equal(jg_buf_put_markup(&b, NULL), JG_OK);
    jg_buf_free(&b);
    jg_buf_init(&b, 8); /* the limit holds: "&amp;&amp;" is 10 bytes */
    assert_int_equal(jg_buf_put_markup(&b, "&&"), JG_TOOLARGE);
    assert_true(b.overflowed);
    jg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_is_empty),
        cmocka_unit_test(append_and_puts_concatenate),
        cmocka_unit_test(max_is_enforced_and_contents_unchanged),
        cmocka_unit_test(grows_across_many_appends),
        cmocka_unit_test(printf_small_and_large),
        cmocka_unit_test(steal_hands_over_and_resets),
        cmocka_unit_test(markup_escapes_and_drops_controls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
