/* Unit tests for src/base/arena.c: alignment, large blocks, strings, cleanups in reverse order. */
#include "base/arena.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

struct block {
    unsigned char *p;
    size_t n;
};

static void every_pointer_is_16_aligned(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    static struct block blocks[2000];
    int nb = 0;
    /* Odd sizes interleaved with sizes around the chunk boundaries (large block limit 2048, chunk 8192). */
    const size_t sizes[] = {0, 1, 3, 7, 15, 16, 17, 31, 33, 100, 255, 2047, 2048, 2049, 4000, 8191, 8192, 8193, 20000};
    for (int round = 0; round < 60; round++) {
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            size_t n = sizes[k] + (size_t)round;
            unsigned char *p = jg_arena_alloc(a, n);
            assert_non_null(p);
            if (((uintptr_t)p & 15) != 0)
                fail_msg("allocation of %zu bytes at %p is not 16-aligned", n, (void *)p);
            memset(p, (int)(nb & 0xff), n); /* every byte is usable (ASan checks) */
            blocks[nb].p = p;
            blocks[nb].n = n;
            nb++;
        }
    }
    /* No two blocks overlap: each still holds its own fill byte. */
    for (int i = 0; i < nb; i++)
        for (size_t k = 0; k < blocks[i].n; k++)
            if (blocks[i].p[k] != (unsigned char)(i & 0xff))
                fail_msg("block %d byte %zu was overwritten", i, k);
    jg_arena_free(a);
}

static void zero_size_allocations_are_distinct(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    void *p = jg_arena_alloc(a, 0), *q = jg_arena_alloc(a, 0);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    jg_arena_free(a);
}

static void large_allocations_and_zalloc(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    char *small1 = jg_arena_strdup(a, "before");
    unsigned char *big = jg_arena_zalloc(a, 1 << 20);
    for (size_t i = 0; i < (1 << 20); i++)
        if (big[i] != 0)
            fail_msg("zalloc byte %zu is %d", i, big[i]);
    memset(big, 0xAB, 1 << 20);
    /* The head chunk keeps serving small allocations after a large one. */
    char *small2 = jg_arena_strdup(a, "after");
    unsigned char *big2 = jg_arena_alloc(a, 3 * 1000 * 1000);
    memset(big2, 0xCD, 3 * 1000 * 1000);
    assert_string_equal(small1, "before");
    assert_string_equal(small2, "after");
    assert_int_equal(big[0], 0xAB);
    assert_int_equal(big[(1 << 20) - 1], 0xAB);
    assert_int_equal(((uintptr_t)big & 15), 0);
    assert_int_equal(((uintptr_t)big2 & 15), 0);
    /* zalloc of an odd size after dirty memory is zeroed. */
    unsigned char *z = jg_arena_zalloc(a, 37);
    for (int i = 0; i < 37; i++)
        assert_int_equal(z[i], 0);
    jg_arena_free(a);
}

static void strings(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    assert_null(jg_arena_strdup(a, NULL));
    const char *src = "鼓楼区";
    char *s = jg_arena_strdup(a, src);
    assert_string_equal(s, "鼓楼区");
    assert_ptr_not_equal(s, src);
    char *n = jg_arena_strndup(a, "abcdef", 3);
    assert_string_equal(n, "abc");
    char *e = jg_arena_strndup(a, "abc", 0);
    assert_string_equal(e, "");
    char *f = jg_arena_printf(a, "%s-%04d-%c", "BJ", 7, 'x');
    assert_string_equal(f, "BJ-0007-x");
    char *empty = jg_arena_printf(a, "%s", "");
    assert_string_equal(empty, "");
    /* A formatted string larger than a chunk. */
    char *big = jg_arena_printf(a, "%20000d|", 5);
    assert_int_equal(strlen(big), 20001);
    assert_string_equal(big + 19999, "5|");
    jg_arena_free(a);
}

struct order_log {
    int calls[8];
    int n;
};

struct tag {
    struct order_log *log;
    int id;
};

static void record(void *ud)
{
    struct tag *t = ud;
    t->log->calls[t->log->n++] = t->id;
}

static void cleanups_run_in_reverse_order(void **state)
{
    (void)state;
    struct order_log log = {{0}, 0};
    jg_arena *a = jg_arena_new();
    struct tag tags[4];
    for (int i = 0; i < 4; i++) {
        tags[i].log = &log;
        tags[i].id = i + 1;
        jg_arena_on_free(a, record, &tags[i]);
        /* Allocations between registrations, including a large block, do not disturb the list. */
        jg_arena_alloc(a, i == 2 ? 10000 : 100);
    }
    assert_int_equal(log.n, 0); /* nothing runs before the arena is freed */
    jg_arena_free(a);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.calls[0], 4);
    assert_int_equal(log.calls[1], 3);
    assert_int_equal(log.calls[2], 2);
    assert_int_equal(log.calls[3], 1);
}

static void cleanup_ud_may_live_in_the_arena(void **state)
{
    (void)state;
    struct order_log log = {{0}, 0};
    jg_arena *a = jg_arena_new();
    struct tag *t = jg_arena_alloc(a, sizeof(*t));
    t->log = &log;
    t->id = 7;
    jg_arena_on_free(a, record, t); /* memory is freed only after the cleanups ran */
    jg_arena_free(a);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.calls[0], 7);
}

/* The out-of-memory policy is to abort (mem.h). A size so large that rounding it up to the
 * alignment wraps around must not come back as a 16-byte block that the caller then overruns. */
static void huge_allocation_does_not_return(void **state)
{
    (void)state;
    const size_t sizes[] = {SIZE_MAX, SIZE_MAX - 7, SIZE_MAX - 15, SIZE_MAX / 2 + 1};
    char returned[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int quiet = open("/dev/null", O_WRONLY);
            if (quiet >= 0)
                dup2(quiet, STDERR_FILENO); /* the abort message is expected */
            jg_arena *a = jg_arena_new();
            void *p = jg_arena_alloc(a, sizes[i]);
            (void)p;
            _exit(0); /* only reached when a block came back */
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            used += (size_t)snprintf(returned + used, sizeof(returned) - used, " %zu", sizes[i]);
    }
    if (used > 0)
        fail_msg("jg_arena_alloc returned a block instead of aborting for n =%s", returned);
}

static void free_null_is_noop(void **state)
{
    (void)state;
    jg_arena_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_pointer_is_16_aligned),
        cmocka_unit_test(zero_size_allocations_are_distinct),
        cmocka_unit_test(large_allocations_and_zalloc),
        cmocka_unit_test(strings),
        cmocka_unit_test(cleanups_run_in_reverse_order),
        cmocka_unit_test(cleanup_ud_may_live_in_the_arena),
        cmocka_unit_test(huge_allocation_does_not_return),
        cmocka_unit_test(free_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
