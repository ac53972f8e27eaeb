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

static void check_characters(void **state)
{
    (void)state;
    /* The generators agree with the published check characters... */
    assert_int_equal(jg_idcheck_credit_check("91350100M000100Y4"), '3');
    assert_int_equal(jg_idcheck_credit_check("91110000802100433"), 'B');
    assert_int_equal(jg_idcheck_resident_check("11010519491231002"), 'X');
    assert_int_equal(jg_idcheck_resident_check("35010219900307211"), '4');
    /* ...refuse what is outside the alphabet or too short... */
    assert_int_equal(jg_idcheck_credit_check("9111000080210043I"), '\0');
    assert_int_equal(jg_idcheck_credit_check("91110000"), '\0');
    assert_int_equal(jg_idcheck_resident_check("3501021990030721A"), '\0');
    assert_int_equal(jg_idcheck_resident_check("350102"), '\0');
    /* ...and every code they complete validates, while every other last character does not. */
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    char code[19] = "91350102MA2XXXXX0";
    for (int k = 0; k < 31; k++) {
        code[16] = alphabet[k];
        code[17] = jg_idcheck_credit_check(code);
        code[18] = '\0';
        assert_true(jg_idcheck_credit_code(code));
        for (int j = 0; j < 31; j++) {
            if (alphabet[j] == code[17])
                continue;
            char bad[19];
            memcpy(bad, code, sizeof(bad));
            bad[17] = alphabet[j];
            assert_false(jg_idcheck_credit_code(bad));
        }
    }
    char id[19] = "35020319850615003";
    for (int seq = 0; seq < 1000; seq++) {
        id[14] = (char)('0' + seq / 100);
        id[15] = (char)('0' + seq / 10 % 10);
        id[16] = (char)('0' + seq % 10);
        id[17] = jg_idcheck_resident_check(id);
        id[18] = '\0';
        assert_true(jg_idcheck_resident_id(id));
        id[17] = id[17] == 'X' ? '0' : 'X';
        assert_false(jg_idcheck_resident_id(id));
    }
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
        cmocka_unit_test(check_characters),
        cmocka_unit_test(masking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
