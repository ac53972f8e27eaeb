/* Unit tests for jg:editable (src/engine/flow/editable.c): reading the lists, their union over a
 * caller's steps, the check of what a write changed; and the number series of platform/counter.c on
 * SQLite (consecutive, blocks, a start for series numbered before the counter, bad arguments). The
 * records API side is tests/api/flow_editable.test.mjs and tests/api/numbering.test.mjs. */
#include "engine/flow/editable.h"

#include "db/migrate.h"
#include "engine/flow/model.h"
#include "platform/counter.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

static void lists(void **state)
{
    (void)state;
    assert_true(jg_flow_editable_lists("measure_taken", "measure_taken"));
    assert_true(jg_flow_editable_lists("contact_name, units ,contact_phone", "units"));
    assert_true(jg_flow_editable_lists(" contact_name,units", "contact_name"));
    assert_true(jg_flow_editable_lists("contact_phone ", "contact_phone"));
    assert_false(jg_flow_editable_lists("contact_name", "contact"));
    assert_false(jg_flow_editable_lists("contact", "contact_name"));
    assert_false(jg_flow_editable_lists("", "remark"));
    assert_false(jg_flow_editable_lists(NULL, "remark"));
    assert_false(jg_flow_editable_lists(",, ,", "remark"));
    assert_true(jg_flow_editable_lists("*", "remark"));
    assert_true(jg_flow_editable_lists("remark_x, *", "anything"));
}

static void union_and_check(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    jg_flow_editable ed = {.running = 1};
    jg_flow_editable_add(a, &ed, "a, b");
    jg_flow_editable_add(a, &ed, NULL); /* a step without jg:editable adds nothing */
    jg_flow_editable_add(a, &ed, "b,c,,");
    assert_int_equal(ed.nfields, 3);
    assert_string_equal(ed.fields[0], "a");
    assert_string_equal(ed.fields[1], "b");
    assert_string_equal(ed.fields[2], "c");
    assert_null(ed.fields[3]);
    assert_false(ed.all);

    const char *ok[] = {"a", "c"};
    json_t *fields = json_object();
    assert_int_equal(jg_flow_editable_check(&ed, ok, 2, fields), JG_OK);
    assert_int_equal(json_object_size(fields), 0);
    assert_int_equal(jg_flow_editable_check(&ed, ok, 0, fields), JG_OK); /* no change */

    const char *bad[] = {"a", "remark", "units"};
    assert_int_equal(jg_flow_editable_check(&ed, bad, 3, fields), JG_INVALID);
    assert_int_equal(json_object_size(fields), 2);
    assert_string_equal(json_string_value(json_object_get(fields, "remark")), JG_FLOW_NOT_EDITABLE);
    assert_string_equal(json_string_value(json_object_get(fields, "units")), JG_FLOW_NOT_EDITABLE);
    assert_null(json_object_get(fields, "a"));
    json_decref(fields);

    /* "*" lets everything change; no process restricts nothing. */
    jg_flow_editable_add(a, &ed, "*");
    assert_true(ed.all);
    fields = json_object();
    assert_int_equal(jg_flow_editable_check(&ed, bad, 3, fields), JG_OK);
    jg_flow_editable none = {0};
    assert_int_equal(jg_flow_editable_check(&none, bad, 3, fields), JG_OK);
    /* A step of the caller with no editable field: every change refused. */
    jg_flow_editable opinion_only = {.running = 1, .nsteps = 1};
    assert_int_equal(jg_flow_editable_check(&opinion_only, bad, 1, fields), JG_INVALID);
    assert_non_null(json_object_get(fields, "a"));
    json_decref(fields);
    jg_arena_free(a);
}

/* A process with one user task whose jg:editable is list: JG_OK when it deploys. */
static jg_rc deploy(const char *list, char *err, size_t errlen)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<?xml version=\"1.0\"?><definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\""
             " xmlns:jg=\"https://jianguan.fj.gov.cn/schema/bpmn\"><process id=\"p\" name=\"p\">"
             "<startEvent id=\"s\"/><sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"A\"/>"
             "<userTask id=\"A\" name=\"A\" jg:candidateRoles=\"clerk\" jg:editable=\"%s\"/>"
             "<sequenceFlow id=\"f1\" sourceRef=\"A\" targetRef=\"e\"/><endEvent "
             "id=\"e\"/></process></definitions>",
             list);
    jg_flow_model m;
    jg_rc rc = jg_bpmn_load(xml, strlen(xml), &m, err, errlen);
    if (rc == JG_OK) {
        assert_string_equal(m.nodes[jg_flow_node_index(&m, "A")].editable, list);
        jg_flow_model_free(&m);
    }
    return rc;
}

static void deployment_checks_the_list(void **state)
{
    (void)state;
    char err[512] = "";
    const char *good[] = {"*", "measure_taken", "contact_name, units,contact_phone", "a1_b2 , c"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        if (deploy(good[i], err, sizeof(err)) != JG_OK)
            fail_msg("%s: %s", good[i], err);
    const char *bad[] = {"Remark", "a;b", "a.b", "1a", "a, *b", "人员"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        if (deploy(bad[i], err, sizeof(err)) != JG_INVALID)
            fail_msg("%s deployed", bad[i]);
        assert_non_null(strstr(err, "jg:editable"));
    }
}

static int64_t take(jg_db *db, const char *series, int64_t count, int64_t start, jg_rc want)
{
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    int64_t last = -1;
    assert_int_equal(jg_counter_take(c, series, count, start, &last), want);
    jg_db_release(c);
    return last;
}

static void counter_series(void **state)
{
    (void)state;
    tmpdb t;
    tmpdb_make(&t);
    jg_db *db = tmpdb_open(&t, 1);
    int applied = 0;
    assert_int_equal(jg_migrate_up(db, &applied), JG_OK);
    assert_int_equal(take(db, "ZG-350102-2026-", 1, 0, JG_OK), 1);
    assert_int_equal(take(db, "ZG-350102-2026-", 1, 0, JG_OK), 2);
    assert_int_equal(take(db, "ZG-350102-2026-", 1, 99, JG_OK), 3); /* start counts only for a new series */
    assert_int_equal(take(db, "JF-350102-2026-", 1, 0, JG_OK), 1);  /* series are apart */
    assert_int_equal(take(db, "350102-2026-", 5, 0, JG_OK), 5);     /* a block: 1..5 */
    assert_int_equal(take(db, "350102-2026-", 1, 0, JG_OK), 6);
    assert_int_equal(take(db, "JF-350103-2026-", 1, 41, JG_OK), 42); /* numbered before, up to 41 */
    assert_int_equal(
        db_scalar(db, "SELECT last_no FROM registration_counter WHERE series = 'ZG-350102-2026-'"), 3);
    take(db, "", 1, 0, JG_INVALID);
    take(db, NULL, 1, 0, JG_INVALID);
    take(db, "x", 0, 0, JG_INVALID);
    take(db, "x", 1, -1, JG_INVALID);
    take(db, "x", 1, INT64_MAX, JG_INVALID);
    char long_series[JG_COUNTER_SERIES_MAX + 2];
    memset(long_series, 'a', sizeof(long_series) - 1);
    long_series[sizeof(long_series) - 1] = '\0';
    take(db, long_series, 1, 0, JG_INVALID);
    assert_int_equal(db_scalar(db, "SELECT count(*) FROM registration_counter WHERE series = 'x'"), 0);
    jg_db_close(db);
    tmpdir_remove(t.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists),
        cmocka_unit_test(union_and_check),
        cmocka_unit_test(deployment_checks_the_list),
        cmocka_unit_test(counter_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
