/* The shipped default scoring rule (defs/rules/score_clause_default.lua) against hand-computed
 * numbers of the DOMAIN.md arithmetic, and the embedded copy against the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "db/migrate.h"
#include "engine/rule/rule.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jg_rule_limits LIM = {10000000, 16u << 20, 2000};

static const char *shipped_source(void)
{
    for (const jg_rule_shipped *s = jg_rules_shipped; s->code != NULL; s++)
        if (strcmp(s->code, "score.clause_default") == 0)
            return jg_rule_shipped_source(s);
    return NULL;
}

static void embedded_source_is_the_file(void **state)
{
    (void)state;
    FILE *f = fopen("defs/rules/score_clause_default.lua", "rb");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_non_null(shipped_source());
    assert_string_equal(shipped_source(), text);
}

/* Evaluate the rule on facts (JSON text) with params; the value as compact sorted JSON. */
static char *score(const char *facts_json, const char *params_json, json_t **explain)
{
    jg_rule_vm *vm = jg_rule_vm_new();
    assert_non_null(vm);
    json_t *facts = json_loads(facts_json, 0, NULL), *params = json_loads(params_json, 0, NULL);
    assert_non_null(facts);
    const char *src = shipped_source();
    jg_rule_result r;
    jg_rc rc = jg_rule_eval(vm, &LIM, "score", src, strlen(src), facts, params, NULL, &r);
    if (rc != JG_OK)
        print_error("%s %s\n", r.code, r.detail);
    assert_int_equal(rc, JG_OK);
    char *out = json_dumps(r.value, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (explain != NULL)
        *explain = json_incref(r.explain);
    jg_rule_result_clear(&r);
    json_decref(facts);
    json_decref(params);
    jg_rule_vm_free(vm);
    return out;
}

/* C1, a contractor:
 *   P1: 1.1.1 found in i1 (8) and i2 (4)           -> average 6
 *       1.1.2 found twice in i1 (3 + 3)             -> one inspection: 6
 *       project 12
 *   P2: 1.2.1 found in i3 (2), i4 (3), i5 (5)       -> 10 / 3 = 3.333...
 *   P3: evaluated, no points                        -> 0
 *   company: (12 + 3.333...) / 3 projects = 5.111... -> 5.11, total 15.33
 * C2, a supervising firm: P1 2.1.1 in i1 (2)         -> 2, one project -> 2 */
static const char FACTS[] =
    "{\"items\":["
    "{\"company\":\"C1\",\"project\":\"P1\",\"inspection\":\"i1\",\"clause\":\"1.1.1\",\"points\":8},"
    "{\"company\":\"C1\",\"project\":\"P1\",\"inspection\":\"i2\",\"clause\":\"1.1.1\",\"points\":4},"
    "{\"company\":\"C1\",\"project\":\"P1\",\"inspection\":\"i1\",\"clause\":\"1.1.2\",\"points\":3},"
    "{\"company\":\"C1\",\"project\":\"P1\",\"inspection\":\"i1\",\"clause\":\"1.1.2\",\"points\":3},"
    "{\"company\":\"C1\",\"project\":\"P2\",\"inspection\":\"i3\",\"clause\":\"1.2.1\",\"points\":2},"
    "{\"company\":\"C1\",\"project\":\"P2\",\"inspection\":\"i4\",\"clause\":\"1.2.1\",\"points\":3},"
    "{\"company\":\"C1\",\"project\":\"P2\",\"inspection\":\"i5\",\"clause\":\"1.2.1\",\"points\":5},"
    "{\"company\":\"C2\",\"project\":\"P1\",\"inspection\":\"i1\",\"clause\":\"2.1.1\",\"points\":2}],"
    "\"evaluated\":[{\"company\":\"C1\",\"project\":\"P3\"},{\"company\":\"C1\",\"project\":\"P1\"}]}";

static void domain_arithmetic(void **state)
{
    (void)state;
    json_t *explain;
    char *v = score(FACTS, "{\"decimals\":2}", &explain);
    assert_string_equal(
        v, "{\"companies\":{"
           "\"C1\":{\"by_project\":{\"P1\":12,\"P2\":3.33,\"P3\":0},\"projects\":3,\"score\":5.11,"
           "\"total\":15.33},"
           "\"C2\":{\"by_project\":{\"P1\":2},\"projects\":1,\"score\":2,\"total\":2}}}");
    free(v);
    /* every number says where it came from, in a stable order */
    char *e = json_dumps(json_array_get(explain, 0), JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    assert_string_equal(
        e, "{\"text\":\"条款 1.1.1 在 2 次检查中记分，合计 12，取平均\",\"value\":6,\"what\":\"P1/1.1.1\"}");
    free(e);
    size_t n = json_array_size(explain);
    e = json_dumps(json_array_get(explain, n - 1), JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(e, "{\"text\":\"企业记分：1 个项目合计 2 ÷ 项目数 1\",\"value\":2,\"what\":\"C2\"}");
    free(e);
    assert_int_equal(n, (3 + 3 + 1) + (1 + 1 + 1)); /* C1: 3 clauses, 3 projects, the company; C2: 1, 1, 1 */
    json_decref(explain);
}

static void rounding_is_a_parameter(void **state)
{
    (void)state;
    char *v = score(FACTS, "{\"decimals\":0}", NULL);
    assert_non_null(
        strstr(v, "\"C1\":{\"by_project\":{\"P1\":12,\"P2\":3,\"P3\":0},\"projects\":3,\"score\":5,"));
    free(v);
    v = score(FACTS, "{\"decimals\":4}", NULL);
    assert_non_null(strstr(v, "\"score\":5.1111"));
    free(v);
}

static void empty_period_and_bad_items(void **state)
{
    (void)state;
    char *v = score("{}", "{}", NULL);
    assert_string_equal(v, "{\"companies\":[]}"); /* an empty table is an empty array */
    free(v);
    jg_rule_vm *vm = jg_rule_vm_new();
    json_t *facts =
        json_loads("{\"items\":[{\"company\":\"C1\",\"project\":\"P1\",\"points\":\"8\"}]}", 0, NULL);
    const char *src = shipped_source();
    jg_rule_result r;
    assert_int_equal(jg_rule_eval(vm, &LIM, NULL, src, strlen(src), facts, NULL, NULL, &r), JG_INVALID);
    assert_string_equal(r.code, "rule_error");
    assert_non_null(strstr(r.detail, "第 1 条记分数据不完整"));
    jg_rule_result_clear(&r);
    json_decref(facts);
    jg_rule_vm_free(vm);
}

/* migrate ships the rule running; jg_rule_run evaluates the version in force, and only a running rule */
static void shipped_rule_runs_from_the_database(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_make(&t);
    jg_db *db = tmpdb_open(&t, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(db, &applied), JG_OK);
    assert_int_equal(jg_rule_sync_shipped(db), JG_OK);
    assert_int_equal(jg_rule_sync_shipped(db), JG_OK); /* once */
    int shipped = 0; /* one version of each shipped rule, however many runs of the sync */
    for (const jg_rule_shipped *s = jg_rules_shipped; s->code != NULL; s++)
        shipped++;
    assert_int_equal(db_scalar(db, "SELECT count(*) FROM rule_version"), shipped);
    jg_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.rule_budget = 1000000;
    cfg.rule_memory_bytes = 8 << 20;
    cfg.rule_time_ms = 1000;
    json_t *facts = json_loads(FACTS, 0, NULL);
    jg_rule_result r;
    int64_t version = 0;
    for (int i = 0; i < 2; i++) { /* the second from the cache */
        assert_int_equal(jg_rule_run(db, NULL, &cfg, "score.clause_default", facts, NULL, &r, &version),
                         JG_OK);
        assert_int_equal(version, 1);
        json_t *c1 = json_object_get(json_object_get(r.value, "companies"), "C1");
        assert_true(json_number_value(json_object_get(c1, "score")) == 5.11);
        jg_rule_result_clear(&r);
    }
    assert_int_equal(jg_rule_run(db, NULL, &cfg, "score.nope", facts, NULL, &r, NULL), JG_NOTFOUND);
    jg_rule_result_clear(&r);
    db_exec_on_writer(db, "UPDATE rule SET state = 'stopped'", JG_OK);
    assert_int_equal(jg_rule_run(db, NULL, &cfg, "score.clause_default", facts, NULL, &r, NULL), JG_NOTFOUND);
    jg_rule_result_clear(&r);
    json_decref(facts);
    jg_db_close(db);
    tmpdir_remove(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embedded_source_is_the_file),
        cmocka_unit_test(domain_arithmetic),
        cmocka_unit_test(rounding_is_a_parameter),
        cmocka_unit_test(empty_period_and_bad_items),
        cmocka_unit_test(shipped_rule_runs_from_the_database),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
