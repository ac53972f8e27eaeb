/* Password policy: length in characters, classes, the username. */
#include "platform/password.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

static void policy(void **state)
{
    (void)state;
    assert_null(jg_password_weakness("Jg@demo2026", "gulou"));
    assert_null(jg_password_weakness("abc123!@#", NULL));          /* lower, digit, other */
    assert_null(jg_password_weakness("密码Abc12345", "x"));        /* other characters count */
    assert_non_null(jg_password_weakness("Ab1!", NULL));           /* too short */
    assert_non_null(jg_password_weakness("abcdefgh123", NULL));    /* two classes */
    assert_non_null(jg_password_weakness("ABCDEFGH!!!!", NULL));   /* two classes */
    assert_non_null(jg_password_weakness("Gulou@2026x", "Gulou")); /* contains the username */
    char long_pw[80];
    for (int i = 0; i < 70; i++)
        long_pw[i] = "aA1!"[i % 4];
    long_pw[70] = '\0';
    assert_non_null(jg_password_weakness(long_pw, NULL));
    /* Seven Chinese characters are 21 bytes but only 7 characters. */
    assert_non_null(jg_password_weakness("福建省建设工程", NULL)); /* 7 characters */
}

/* Initial passwords: the length, every class, no look-alikes, the policy, and never the same. */
static void initial(void **state)
{
    (void)state;
    char seen[64][JG_PASSWORD_INITIAL_LEN + 1];
    for (int i = 0; i < 64; i++) {
        char *pw = seen[i];
        assert_int_equal(jg_password_initial("admin", pw), JG_OK);
        assert_int_equal(strlen(pw), JG_PASSWORD_INITIAL_LEN);
        assert_null(jg_password_weakness(pw, "admin"));
        assert_null(strpbrk(pw, "0O1lIo"));
        assert_non_null(strpbrk(pw, "ABCDEFGHJKLMNPQRSTUVWXYZ"));
        assert_non_null(strpbrk(pw, "abcdefghijkmnpqrstuvwxyz"));
        assert_non_null(strpbrk(pw, "23456789"));
        assert_non_null(strpbrk(pw, "@#%+=?!"));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[j], pw);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(policy), cmocka_unit_test(initial)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
