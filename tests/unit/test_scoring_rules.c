/* The shipped scoring and credit rules (defs/rules/score_*.lua, credit_*.lua) with their shipped
 * params, against hand-computed numbers, and the scoring module's period helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine/rule/rule.h"
#include "modules/scoring/scoring_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jg_rule_limits LIM = {10000000, 16u << 20, 2000};

/* Evaluate shipped rule code on facts (JSON text) with its shipped params (or params_json when not
 * NULL); the value as compact sorted JSON (free it), the explanation in *explain when asked. */
static char *eval(const char *code, const char *facts_json, const char *params_json, json_t **explain)
{
    const jg_rule_shipped *s = jg_rules_shipped;
    while (s->code != NULL && strcmp(s->code, code) != 0)
        s++;
    assert_non_null(s->code);
    const char *src = jg_rule_shipped_source(s);
    assert_non_null(src);
    jg_rule_vm *vm = jg_rule_vm_new();
    assert_non_null(vm);
    json_t *facts = json_loads(facts_json, 0, NULL),
           *params = json_loads(params_json ? params_json : s->params, 0, NULL);
    assert_non_null(facts);
    assert_non_null(params);
    jg_rule_result r;
    jg_rc rc = jg_rule_eval(vm, &LIM, NULL, src, strlen(src), facts, params, NULL, &r);
    if (rc != JG_OK)
        print_error("%s: %s %s\n", code, r.code ? r.code : "", r.detail);
    assert_int_equal(rc, JG_OK);
    char *out = json_dumps(r.value, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(12));
    if (explain != NULL)
        *explain = json_incref(r.explain);
    jg_rule_result_clear(&r);
    json_decref(facts);
    json_decref(params);
    jg_rule_vm_free(vm);
    return out;
}

static void expect(const char *code, const char *facts, const char *params, const char *want)
{
    char *got = eval(code, facts, params, NULL);
    if (strcmp(got, want) != 0)
        print_error("%s\n got  %s\n want %s\n", code, got, want);
    assert_string_equal(got, want);
    free(got);
}

static void project_average_and_sum(void **state)
{
    (void)state;
    /* P1: 1.1.1 in I1 = 6 and in I2 = 3 + 1 = 4 → 5; 1.1.2 in I1 = 2 → P1 = 7.
     * P2: 1.1.2 in I3 = 5 − 5 (a reversal) = 0, not counted; in I4 = 1.5 → 1.5; P2 = 1.5. */
    json_t *ex = NULL;
    char *got = eval("score.project",
                     "{\"lines\":{\"project\":[\"1\",\"1\",\"1\",\"1\",\"2\",\"2\",\"2\"],"
                     "\"clause\":[\"1.1.1\",\"1.1.2\",\"1.1.1\",\"1.1.1\",\"1.1.2\",\"1.1.2\",\"1.1.2\"],"
                     "\"inspection\":[\"I1\",\"I1\",\"I2\",\"I2\",\"I3\",\"I3\",\"I4\"],"
                     "\"points\":[6,2,3,1,5,-5,1.5]}}",
                     NULL, &ex);
    assert_string_equal(got, "{\"projects\":{\"1\":{\"clauses\":{\"1.1.1\":5,\"1.1.2\":2},\"score\":7},"
                             "\"2\":{\"clauses\":{\"1.1.2\":1.5},\"score\":1.5}}}");
    free(got);
    /* One explanation line per project, naming its clauses. */
    assert_int_equal(json_array_size(ex), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(ex, 0), "text")),
                        "各条款得分之和（同一条款多次检查取平均）：1.1.1：2 次检查合计 10，平均 5；"
                        "1.1.2：1 次检查合计 2，平均 2");
    json_decref(ex);
    /* Rounding: (1 + 1 + 2) / 3 = 1.333.. → 1.33. */
    expect("score.project",
           "{\"lines\":{\"project\":[\"9\",\"9\",\"9\"],\"clause\":[\"1\",\"1\",\"1\"],"
           "\"inspection\":[\"a\",\"b\",\"c\"],\"points\":[1,1,2]}}",
           NULL, "{\"projects\":{\"9\":{\"clauses\":{\"1\":1.33},\"score\":1.33}}}");
}

static void company_by_city_and_domain(void **state)
{
    (void)state;
    /* All: (7 + 5 + 3) / 3 = 5; 3501: (7 + 5) / 2 = 6; 3502: 3; 房建 (7 + 3) / 2 = 5; 市政 5. */
    expect("score.company",
           "{\"projects\":{\"project\":[\"1\",\"2\",\"3\"],\"city\":[\"3501\",\"3501\",\"3502\"],"
           "\"domain\":[\"房建\",\"市政\",\"房建\"],\"score\":[7,5,3]}}",
           NULL,
           "{\"by_city\":{\"3501\":{\"projects\":2,\"score\":6,\"total\":12},\"3502\":{\"projects\":1,"
           "\"score\":3,"
           "\"total\":3}},\"by_domain\":{\"市政\":{\"projects\":1,\"score\":5,\"total\":5},\"房建\":{"
           "\"projects\":2,"
           "\"score\":5,\"total\":10}},\"projects\":3,\"score\":5,\"total\":15}");
}

static void chief_supervisor_best_per_city(void **state)
{
    (void)state;
    /* 3501: max(3, 7, 4.5) = 7 (project 2); 3502: 2 → 7 + 2 = 9. */
    json_t *ex = NULL;
    char *got = eval("score.chief_supervisor",
                     "{\"projects\":{\"project\":[\"1\",\"2\",\"3\",\"4\"],"
                     "\"city\":[\"3501\",\"3501\",\"3501\",\"3502\"],\"score\":[3,7,4.5,2]}}",
                     NULL, &ex);
    assert_string_equal(
        got,
        "{\"by_city\":{\"3501\":{\"project\":\"2\",\"projects\":3,\"score\":7,\"total\":14.5},"
        "\"3502\":{\"project\":\"4\",\"projects\":1,\"score\":2,\"total\":2}},\"by_domain\":{"
        "\"房建\":{\"projects\":4,\"score\":9,\"total\":16.5}},\"projects\":4,\"score\":9,\"total\":16.5}");
    free(got);
    json_decref(ex);
    /* More projects in one city than max_per_city (a parameter) is pointed out. */
    got = eval("score.chief_supervisor",
               "{\"projects\":{\"project\":[\"1\",\"2\"],\"city\":[\"3501\",\"3501\"],\"score\":[1,2]}}",
               "{\"decimals\":2,\"max_per_city\":1}", &ex);
    char *text = json_dumps(ex, JSON_COMPACT);
    assert_non_null(strstr(text, "超过 1 个"));
    free(text);
    free(got);
    json_decref(ex);
}

static void person_sum(void **state)
{
    (void)state;
    expect("score.person",
           "{\"projects\":{\"project\":[\"1\",\"2\"],\"city\":[\"3501\",\"3501\"],\"score\":[7,2.5]}}", NULL,
           "{\"by_city\":{\"3501\":{\"projects\":2,\"score\":9.5,\"total\":9.5}},\"by_domain\":{\"房建\":{"
           "\"projects\":2,\"score\":9.5,\"total\":9.5}},\"projects\":2,\"score\":9.5,\"total\":9.5}");
    /* Domains kept apart: 房建 7, 市政 2.5. */
    char *got = eval("score.person",
                     "{\"projects\":{\"project\":[\"1\",\"2\"],\"city\":[\"3501\",\"3502\"],"
                     "\"domain\":[\"房建\",\"市政\"],\"score\":[7,2.5]}}",
                     NULL, NULL);
    assert_non_null(strstr(got, "\"by_domain\":{\"市政\":{\"projects\":1,\"score\":2.5,\"total\":2.5},"
                                "\"房建\":{\"projects\":1,\"score\":7,\"total\":7}}"));
    free(got);
}

static void person_credit(void **state)
{
    (void)state;
    /* 100 − 7 = 93; never below 0. */
    expect("credit.person_default",
           "{\"domain\":\"房建\",\"period\":\"2027Q1\",\"role\":\"project_manager\",\"points\":7}", NULL,
           "{\"points\":7,\"score\":93}");
    expect("credit.person_default", "{\"domain\":\"市政\",\"period\":\"2027Q1\",\"points\":130}", NULL,
           "{\"points\":130,\"score\":0}");
}

static void credit_formula(void **state)
{
    (void)state;
    /* 100 × 0.4 + 100 × 0.15 + (100 − 6) × 0.45 = 97.3. */
    expect("credit.contractor_default", "{\"domain\":\"房建\",\"period\":\"2027Q1\",\"points\":6}", NULL,
           "{\"contract\":100,\"general\":100,\"quality\":94,\"score\":97.3,\"weights\":{\"contract\":0.15,"
           "\"general\":0.4,\"quality\":0.45}}");
    /* Given parts; the quality part stays within 0..100: 80 × 0.4 + 90 × 0.15 + 0 × 0.45 = 45.5. */
    expect("credit.contractor_default",
           "{\"domain\":\"市政\",\"period\":\"2027Q1\",\"points\":130,\"general\":80,\"contract\":90}", NULL,
           "{\"contract\":90,\"general\":80,\"quality\":0,\"score\":45.5,\"weights\":{\"contract\":0.15,"
           "\"general\":0.4,\"quality\":0.45}}");
    /* Negative points (a correction) never lift the part above 100; weights are parameters. */
    expect("credit.contractor_default", "{\"domain\":\"房建\",\"period\":\"2027Q2\",\"points\":-3}",
           "{\"weights\":{\"general\":0.5,\"contract\":0.1,\"quality\":0.4}}",
           "{\"contract\":100,\"general\":100,\"quality\":100,\"score\":100,\"weights\":{\"contract\":0.1,"
           "\"general\":0.5,\"quality\":0.4}}");
}

/* credit.supervisor_default: an assumed formula (the supervising firms' is not public), shaped like
 * the contractor's with a 监理履职行为 part; every number is a parameter. */
static void supervisor_credit_formula(void **state)
{
    (void)state;
    /* 房建: 100 × 0.4 + 100 × 0.15 + (100 − 4.83) × 0.45 = 40 + 15 + 42.8265 = 97.8265 → 97.83. */
    expect("credit.supervisor_default",
           "{\"domain\":\"房建\",\"period\":\"2027Q1\",\"role\":\"supervisor_firm\",\"points\":4.83}", NULL,
           "{\"contract\":100,\"duty\":95.17,\"general\":100,\"score\":97.83,\"weights\":{\"contract\":0.15,"
           "\"duty\":0.45,\"general\":0.4}}");
    /* 市政 with a per-domain point weight (2 per point): 100 − 6 × 2 = 88 → 40 + 15 + 39.6 = 94.6;
     * 房建 keeps per_point 1: 100 − 6 = 94 → 40 + 15 + 42.3 = 97.3. */
    const char *dp = "{\"domain_per_point\":{\"市政\":2}}";
    expect("credit.supervisor_default", "{\"domain\":\"市政\",\"period\":\"2027Q2\",\"points\":6}", dp,
           "{\"contract\":100,\"duty\":88,\"general\":100,\"score\":94.6,\"weights\":{\"contract\":0.15,"
           "\"duty\":0.45,\"general\":0.4}}");
    expect("credit.supervisor_default", "{\"domain\":\"房建\",\"period\":\"2027Q2\",\"points\":6}", dp,
           "{\"contract\":100,\"duty\":94,\"general\":100,\"score\":97.3,\"weights\":{\"contract\":0.15,"
           "\"duty\":0.45,\"general\":0.4}}");
    /* Other weights and base, given parts, the part within 0..base: 60 × 0.3 + 50 × 0.2 + 0 × 0.5 = 28. */
    expect("credit.supervisor_default",
           "{\"domain\":\"房建\",\"period\":\"2027Q1\",\"points\":70,\"general\":60,\"contract\":50}",
           "{\"weights\":{\"general\":0.3,\"contract\":0.2,\"duty\":0.5},\"base\":60}",
           "{\"contract\":50,\"duty\":0,\"general\":60,\"score\":28,\"weights\":{\"contract\":0.2,"
           "\"duty\":0.5,\"general\":0.3}}");
    /* The explanation names the part and says the formula is an assumption. */
    json_t *ex = NULL;
    char *got = eval("credit.supervisor_default", "{\"domain\":\"房建\",\"period\":\"2027Q1\",\"points\":2}",
                     NULL, &ex);
    char *text = json_dumps(ex, JSON_COMPACT);
    assert_non_null(strstr(text, "监理履职行为"));
    assert_non_null(strstr(text, "100 − 周期记分 2 × 1"));
    assert_non_null(strstr(text, "未公开"));
    free(text);
    free(got);
    json_decref(ex);
}

static void edition_by_date(void **state)
{
    (void)state;
    expect("score.edition", "{\"inspected_on\":\"2025-06-30\"}", NULL, "{\"edition\":\"2018\"}");
    expect("score.edition", "{\"inspected_on\":\"2025-07-01\"}", NULL, "{\"edition\":\"2025\"}");
    expect("score.edition", "{\"inspected_on\":\"2026-01-01\"}",
           "{\"editions\":[{\"edition\":\"2025\",\"from\":\"2025-07-01\"},{\"edition\":\"2026\",\"from\":"
           "\"2026-01-01\"}]}",
           "{\"edition\":\"2026\"}");
}

static void periods(void **state)
{
    (void)state;
    assert_int_equal(jg_scoring_period_kind("2026Q1"), 1);
    assert_int_equal(jg_scoring_period_kind("2026Q4"), 1);
    assert_int_equal(jg_scoring_period_kind("2026"), 2);
    assert_int_equal(jg_scoring_period_kind("2026Q5"), 0);
    assert_int_equal(jg_scoring_period_kind("2026Q"), 0);
    assert_int_equal(jg_scoring_period_kind("20261"), 0);
    assert_int_equal(jg_scoring_period_kind("x"), 0);
    assert_int_equal(jg_scoring_period_kind(NULL), 0);
    char q[8];
    assert_int_equal(jg_scoring_quarter("2026-03-31", q, sizeof(q)), 1);
    assert_string_equal(q, "2026Q1");
    assert_int_equal(jg_scoring_quarter("2026-04-01", q, sizeof(q)), 1);
    assert_string_equal(q, "2026Q2");
    assert_int_equal(jg_scoring_quarter("2026-12-31", q, sizeof(q)), 1);
    assert_string_equal(q, "2026Q4");
    assert_int_equal(jg_scoring_quarter("2026-13-01", q, sizeof(q)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(project_average_and_sum),
        cmocka_unit_test(company_by_city_and_domain),
        cmocka_unit_test(chief_supervisor_best_per_city),
        cmocka_unit_test(person_sum),
        cmocka_unit_test(person_credit),
        cmocka_unit_test(credit_formula),
        cmocka_unit_test(supervisor_credit_formula),
        cmocka_unit_test(edition_by_date),
        cmocka_unit_test(periods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
