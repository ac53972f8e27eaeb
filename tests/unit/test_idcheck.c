/* GB 32100 credit codes, GB 11643 ID numbers, masking. */
#include "platform/idcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void credit_codes(void **state)
{
    (void)state;
    /* Published codes of well-known companies (check characters computed by GB 32100). */
    assert_true(jg_idcheck_credit_code("91350100M000100Y43"));
    assert_true(jg_idcheck_credit_code("91110000802100433B"));
    assert_false(jg_idcheck_credit_code("91110000802100433C")); /* wrong check character */
    assert_false(jg_idcheck_credit_code("91110000802100433"));  /* 17 characters */
    assert_false(jg_idcheck_credit_code("9111000080210043IB")); /* I is not in the alphabet */
    assert_false(jg_idcheck_credit_code("91110000802100433b")); /* lower case */
    assert_false(jg_idcheck_credit_code(""));
}

static void resident_ids(void **state)
{
    (void)state;
    /* The GB 11643 standard's own example and a constructed Fujian one. */
    assert_true(jg_idcheck_resident_id("11010519491231002X"));
    assert_true(jg_idcheck_resident_id("350102199003072114"));
    assert_false(jg_idcheck_resident_id("350102199003072115")); /* check digit */
    assert_false(jg_idcheck_resident_id("350102199002302114")); /* 30 February */
    assert_false(jg_idcheck_resident_id("11010519491231002x")); /* lower-case x */
    assert_false(jg_idcheck_resident_id("3501021990030721"));
    assert_false(jg_idcheck_resident_id("35010219900307211A"));
}

static void masking(void **state)
{
    (void)state;
    char out[32];
    jg_idcheck_mask("350102199003072114", out);
    assert_string_equal(out, "3501**********2114");
    jg_idcheck_mask("13800138000", out);
    assert_string_equal(out, "1380***8000");
    jg_idcheck_mask("12345678", out);
    assert_string_equal(out, "********");
    jg_idcheck_mask("", out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(credit_codes),
        cmocka_unit_test(resident_ids),
        cmocka_unit_test(masking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
