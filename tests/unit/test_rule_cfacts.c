/* jg_rule_eval_c: facts given as C values and the result written as JSON text. The rule must see
 * what it would see of the same facts as JSON (read-only views, nil for missing text), the text
 * must be the same JSON as the value and explanation trees, and the sandbox's limits still hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine/rule/rule.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const jg_rule_limits LIM = {1000000, 8u << 20, 500};

static const char RULE[] =
    "local c = facts.lines\n"
    "local total = 0\n"
    "for i = 1, #c.points do\n"
    "  total = total + c.points[i]\n"
    "  explain(c.clause[i] or '无', c.points[i], c.project[i] .. '：扣 ' .. c.points[i])\n"
    "end\n"
    "return { total = total, n = #c.points, who = facts.who, q = facts.q,\n"
    "         missing = c.clause[2] == nil, nested = { a = { 1, 2.5 }, e = {} } }\n";

static const char *const PROJECTS[] = {"12", "13", "12"};
static const char *const CLAUSES[] = {"1.1.1", NULL, "1.1.2"};
static const double POINTS[] = {8, 3.5, 0.25};

static jg_rule_cfacts facts_of(jg_rule_scalar *sc, jg_rule_column *cols)
{
    sc[0] = (jg_rule_scalar){"who", "甲公司", 0};
    sc[1] = (jg_rule_scalar){"q", NULL, 7};
    cols[0] = (jg_rule_column){"project", PROJECTS, NULL};
    cols[1] = (jg_rule_column){"clause", CLAUSES, NULL};
    cols[2] = (jg_rule_column){"points", NULL, POINTS};
    return (jg_rule_cfacts){
        .scalars = sc, .nscalars = 2, .table = "lines", .cols = cols, .ncols = 3, .rows = 3};
}

/* The same facts as JSON through jg_rule_eval give the same value and explanation as the C facts,
 * and the text parses to exactly those. */
static void same_as_json(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    assert_non_null(vm);
    jg_rule_scalar sc[2];
    jg_rule_column cols[3];
    jg_rule_cfacts f = facts_of(sc, cols);
    jg_rule_result a, b;
    assert_int_equal(jg_rule_eval_c(vm, &LIM, "k1", RULE, strlen(RULE), &f, 1, NULL, NULL, &a), JG_OK);
    assert_non_null(a.text);
    assert_null(a.explain);
    json_t *facts = json_loads("{\"who\":\"甲公司\",\"q\":7,\"lines\":{\"project\":[\"12\",\"13\",\"12\"],"
                               "\"clause\":[\"1.1.1\",null,\"1.1.2\"],\"points\":[8.0,3.5,0.25]}}",
                               0, NULL);
    assert_non_null(facts);
    assert_int_equal(jg_rule_eval(vm, &LIM, "k1", RULE, strlen(RULE), facts, NULL, NULL, &b), JG_OK);
    json_decref(facts);
    assert_true(json_equal(a.value, b.value));
    assert_int_equal(json_number_value(json_object_get(a.value, "total")), 11.75);
    assert_true(json_is_true(json_object_get(a.value, "missing")));
    json_t *text = json_loads(a.text, 0, NULL);
    assert_non_null(text);
    assert_true(json_equal(json_object_get(text, "value"), b.value));
    assert_true(json_equal(json_object_get(text, "explain"), b.explain));
    assert_int_equal(json_array_size(json_object_get(text, "explain")), 3);
    /* integral reals are written as integers, an empty table as [] (as to_json makes them) */
    assert_non_null(strstr(a.text, "\"total\":11.75"));
    assert_non_null(strstr(a.text, "\"e\":[]"));
    assert_non_null(strstr(a.text, "\"value\":8"));
    assert_null(strstr(a.text, "\"value\":8.0"));
    json_decref(text);
    jg_rule_result_clear(&a);
    jg_rule_result_clear(&b);
    assert_null(a.text);
    jg_rule_vm_free(vm);
}

/* Text needing escapes and numbers of every kind survive the text writer; results JSON cannot
 * hold fail as rule_result, and the vm carries on. */
static void text_writer(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    assert_non_null(vm);
    jg_rule_cfacts none = {0};
    jg_rule_result r;
    const char *code = "explain('引\"号\\\\', 0.1, 'a\\nb\\tc\\1d/é')\n"
                       "return { big = 1e300, small = -2.5e-7, third = 1/3, int = 12.0, neg = -3, t = true }";
    assert_int_equal(jg_rule_eval_c(vm, &LIM, NULL, code, strlen(code), &none, 1, NULL, NULL, &r), JG_OK);
    json_t *j = json_loads(r.text, 0, NULL);
    assert_non_null(j);
    json_t *line = json_array_get(json_object_get(j, "explain"), 0);
    assert_string_equal(json_string_value(json_object_get(line, "what")), "引\"号\\");
    assert_string_equal(json_string_value(json_object_get(line, "text")), "a\nb\tc\001d/é");
    assert_true(json_number_value(json_object_get(line, "value")) == 0.1);
    json_t *v = json_object_get(j, "value");
    assert_true(json_number_value(json_object_get(v, "big")) == 1e300);
    assert_true(json_number_value(json_object_get(v, "small")) == -2.5e-7);
    assert_true(json_is_integer(json_object_get(v, "int")));
    assert_int_equal(json_integer_value(json_object_get(v, "neg")), -3);
    assert_true(json_is_true(json_object_get(v, "t")));
    assert_true(fabs(json_number_value(json_object_get(v, "third")) - 1.0 / 3) < 1e-11);
    json_decref(j);
    jg_rule_result_clear(&r);

    static const char *const bad[] = {"return { x = 0/0 }", "return { x = math.huge }",
                                      "explain('a', 1, '\\xff\\xfe'); return 1", "return { [1] = 1, x = 2 }",
                                      "return { f = string.len }"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        jg_rc rc = jg_rule_eval_c(vm, &LIM, NULL, bad[i], strlen(bad[i]), &none, 1, NULL, NULL, &r);
        if (rc != JG_INVALID || r.code == NULL || strcmp(r.code, "rule_result") != 0)
            print_error("%s: %d %s\n", bad[i], rc, r.code ? r.code : "ok");
        assert_int_equal(rc, JG_INVALID);
        assert_string_equal(r.code, "rule_result");
        assert_null(r.text);
        jg_rule_result_clear(&r);
    }
    assert_int_equal(jg_rule_eval_c(vm, &LIM, NULL, "return {}", 9, &none, 1, NULL, NULL, &r), JG_OK);
    assert_string_equal(r.text, "{\"value\":[],\"explain\":[]}");
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

/* The C facts are read-only views like JSON facts, and the budget and memory cap hold per call. */
static void limits_and_views(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    assert_non_null(vm);
    jg_rule_scalar sc[2];
    jg_rule_column cols[3];
    jg_rule_cfacts f = facts_of(sc, cols);
    jg_rule_result r;
    static const struct {
        const char *code, *want;
    } cases[] = {
        {"facts.lines.points[1] = 0; return 1", "rule_error"},
        {"facts.lines = {}; return 1", "rule_error"},
        {"facts.who = 'x'; return 1", "rule_error"},
        {"rawset(facts.lines.project, 1, 'x'); return 1", "rule_error"},
        {"while true do end", "rule_budget"},
        {"local s, t = string.rep('x', 1 << 20), {} for i = 1, 64 do t[i] = s .. i end", "rule_memory"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jg_rc rc =
            jg_rule_eval_c(vm, &LIM, NULL, cases[i].code, strlen(cases[i].code), &f, 1, NULL, NULL, &r);
        if (rc != JG_INVALID || r.code == NULL || strcmp(r.code, cases[i].want) != 0)
            print_error("%s: want %s, got %s %s\n", cases[i].code, cases[i].want, r.code ? r.code : "ok",
                        r.detail);
        assert_int_equal(rc, JG_INVALID);
        assert_string_equal(r.code, cases[i].want);
        jg_rule_result_clear(&r);
        /* the next evaluation on the same vm is whole */
        assert_int_equal(jg_rule_eval_c(vm, &LIM, "k2", RULE, strlen(RULE), &f, 1, NULL, NULL, &r), JG_OK);
        assert_int_equal(json_integer_value(json_object_get(r.value, "n")), 3);
        jg_rule_result_clear(&r);
    }
    /* pairs and # see the data through the views */
    const char *code =
        "local n = 0 for k in pairs(facts.lines) do n = n + 1 end return n * 10 + #facts.lines.points";
    assert_int_equal(jg_rule_eval_c(vm, &LIM, NULL, code, strlen(code), &f, 0, NULL, NULL, &r), JG_OK);
    assert_null(r.text);
    assert_non_null(r.explain);
    assert_int_equal(json_integer_value(r.value), 33);
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_json),
        cmocka_unit_test(text_writer),
        cmocka_unit_test(limits_and_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
