/* Password policy: length in characters, classes, the username. */
#include "platform/password.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

static void policy(void **state)
{
    (void)state;
    assert_null(jg_password_weakness("Jg@demo2026", "gulou"));
    assert_null(jg_password_weakness("abc123!@#", NULL));           /* lower, digit, other */
    assert_null(jg_password_weakness("密码Abc12345", "x"));          /* other characters count */
    assert_non_null(jg_password_weakness("Ab1!", NULL));            /* too short */
    assert_non_null(jg_password_weakness("abcdefgh123", NULL));     /* two classes */
    assert_non_null(jg_password_weakness("ABCDEFGH!!!!", NULL));    /* two classes */
    assert_non_null(jg_password_weakness("Gulou@2026x", "Gulou"));  /* contains the username */
    char long_pw[80];
    for (int i = 0; i < 70; i++)
        long_pw[i] = "aA1!"[i % 4];
    long_pw[70] = '\0';
    assert_non_null(jg_password_weakness(long_pw, NULL));
    /* Seven Chinese characters are 21 bytes but only 7 characters. */
    assert_non_null(jg_password_weakness("福建省建设工程", NULL)); /* 7 characters */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(policy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
