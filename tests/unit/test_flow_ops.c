/* Unit tests for the task operations of src/engine/flow (ops.c, opinions.c): who is a candidate of
 * a task, which steps may be withdrawn (not past a join, a service task or an end), what "a later
 * step" of the green channel is, and the signed text of an opinion with SM2 (a changed opinion does
 * not verify). The database side is covered by tests/api/flow_ops.test.mjs. */
#include "engine/flow/ops.c"

#include "crypto/crypto.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void candidates_by_role_region_and_enterprise(void **state)
{
    (void)state;
    assert_true(role_in(",clerk,station_chief,", "clerk"));
    assert_true(role_in(",clerk,station_chief,", "station_chief"));
    assert_false(role_in(",clerk,station_chief,", "chief"));
    assert_false(role_in(",clerk,station_chief,", "station"));
    assert_false(role_in(NULL, "clerk"));
    task_info t = {.roles = ",clerk,station_chief,", .org = "350102"};
    user_info chief = {.role = "station_chief", .org = "350102"},
              far = {.role = "station_chief", .org = "3502"},
              inspector = {.role = "inspector", .org = "350102"};
    assert_true(is_candidate(&t, &chief));
    assert_false(is_candidate(&t, &far));
    assert_false(is_candidate(&t, &inspector));
    task_info applicant = {.enterprise = 7};
    user_info staff = {.role = "project_manager", .org = "350102", .enterprise = 7},
              other = {.role = "project_manager", .org = "350102", .enterprise = 8};
    assert_true(is_candidate(&applicant, &staff));
    assert_false(is_candidate(&applicant, &other));
    task_info assigned = {0};
    assert_false(is_candidate(&assigned, &chief));
    user_info a = {.department = 3}, b = {.department = 3}, c = {.department = 4}, none = {0};
    assert_true(colleagues(&a, &b));
    assert_false(colleagues(&a, &c));
    assert_false(colleagues(&none, &none)); /* no department is nobody's colleague */
}

#define HEAD                                                                                                 \
    "<?xml version=\"1.0\"?><definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\""              \
    " xmlns:jg=\"https://jianguan.fj.gov.cn/schema/bpmn\"><process id=\"p\" name=\"p\">"
#define TAIL "</process></definitions>"

static void load(const char *xml, jg_flow_model *m)
{
    char err[512] = "";
    if (jg_bpmn_load(xml, strlen(xml), m, err, sizeof(err)) != JG_OK)
        fail_msg("%s", err);
}

static int can_withdraw(const jg_flow_model *m, const char *node)
{
    return withdrawable(m, jg_flow_node_index(m, node), 0);
}

static void withdraw_only_through_splits(void **state)
{
    (void)state;
    jg_flow_model m;
    load(HEAD
         "<startEvent id=\"S\"/><sequenceFlow id=\"f0\" sourceRef=\"S\" targetRef=\"A\"/>"
         "<userTask id=\"A\" jg:candidateRoles=\"clerk\"/><sequenceFlow id=\"f1\" sourceRef=\"A\" "
         "targetRef=\"X\"/>"
         "<exclusiveGateway id=\"X\" default=\"f3\"/>"
         "<sequenceFlow id=\"f2\" sourceRef=\"X\" targetRef=\"Split\"><conditionExpression>record.cost &gt; 1"
         "</conditionExpression></sequenceFlow><sequenceFlow id=\"f3\" sourceRef=\"X\" targetRef=\"B1\"/>"
         "<parallelGateway id=\"Split\"/><sequenceFlow id=\"f4\" sourceRef=\"Split\" targetRef=\"B1\"/>"
         "<sequenceFlow id=\"f5\" sourceRef=\"Split\" targetRef=\"B2\"/>"
         "<userTask id=\"B1\" jg:candidateRoles=\"clerk\"/><sequenceFlow id=\"f6\" sourceRef=\"B1\" "
         "targetRef=\"J\"/>"
         "<userTask id=\"B2\" jg:candidateRoles=\"clerk\"/><sequenceFlow id=\"f7\" sourceRef=\"B2\" "
         "targetRef=\"J\"/>"
         "<parallelGateway id=\"J\"/><sequenceFlow id=\"f8\" sourceRef=\"J\" targetRef=\"C\"/>"
         "<userTask id=\"C\" jg:candidateRoles=\"clerk\"/><sequenceFlow id=\"f9\" sourceRef=\"C\" "
         "targetRef=\"Svc\"/>"
         "<serviceTask id=\"Svc\" jg:action=\"x\"/><sequenceFlow id=\"f10\" sourceRef=\"Svc\" "
         "targetRef=\"E\"/>"
         "<endEvent id=\"E\"/>" TAIL,
         &m);
    assert_true(can_withdraw(&m, "A"));   /* through an exclusive gateway and a parallel split */
    assert_false(can_withdraw(&m, "B1")); /* into a join */
    assert_false(can_withdraw(&m, "C"));  /* into a service task */
    /* Green channel: later means further from the start. */
    int depth[64], queue[64];
    assert_true(m.nnodes <= 64);
    depths(&m, depth, queue);
    int a = jg_flow_node_index(&m, "A"), b1 = jg_flow_node_index(&m, "B1"), c = jg_flow_node_index(&m, "C");
    assert_int_equal(depth[m.start], 0);
    assert_true(depth[a] < depth[b1]);
    assert_true(depth[b1] < depth[c]);
    jg_flow_model_free(&m);
}

static void the_reference_process_withdraws_accept_not_register(void **state)
{
    (void)state;
    FILE *f = fopen("defs/registration/registration.bpmn", "rb");
    assert_non_null(f);
    static char xml[65536];
    size_t n = fread(xml, 1, sizeof(xml) - 1, f);
    fclose(f);
    xml[n] = '\0';
    jg_flow_model m;
    load(xml, &m);
    assert_true(can_withdraw(&m, "Accept"));    /* to 登记 or to 补正 */
    assert_false(can_withdraw(&m, "Correct"));  /* past 申报校验 and 收件 (service tasks) */
    assert_false(can_withdraw(&m, "Register")); /* 结果下达 has run */
    jg_flow_model_free(&m);
}

/* As opinions.c checks a stored signature. */
static int verifies(const char *key_hex, const char *text, const char *hex)
{
    jg_sm2_key *k;
    if (jg_sm2_pub_from_hex(key_hex, &k) != JG_OK)
        return 0;
    int ok = jg_sm2_verify_hex(k, text, strlen(text), hex) == JG_OK;
    jg_sm2_key_free(k);
    return ok;
}

static void a_changed_opinion_does_not_verify(void **state)
{
    (void)state;
    jg_arena *a = jg_arena_new();
    const char *text = jg_flow_sign_text(a, 42, "accept", "同意受理");
    assert_string_equal(text, "jianguan-opinion:v1\ntask:42\naction:accept\nopinion:同意受理");
    assert_string_equal(jg_flow_sign_text(a, 7, NULL, NULL),
                        "jianguan-opinion:v1\ntask:7\naction:complete\nopinion:");
    jg_sm2_key *k;
    assert_int_equal(jg_sm2_keygen(&k), JG_OK);
    char pub[JG_SM2_PUB_HEX_LEN + 1];
    assert_int_equal(jg_sm2_pub_to_hex(k, pub), JG_OK);
    jg_sm2_sig sig;
    assert_int_equal(jg_sm2_sign(k, text, strlen(text), &sig), JG_OK);
    assert_true(verifies(pub, text, sig.hex));
    assert_false(verifies(pub, jg_flow_sign_text(a, 42, "accept", "同意受理。"), sig.hex));
    assert_false(verifies(pub, jg_flow_sign_text(a, 43, "accept", "同意受理"), sig.hex));
    assert_false(verifies(pub, jg_flow_sign_text(a, 42, "return", "同意受理"), sig.hex));
    assert_false(verifies("04zz", text, sig.hex));
    jg_sm2_key_free(k);
    jg_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(candidates_by_role_region_and_enterprise),
        cmocka_unit_test(withdraw_only_through_splits),
        cmocka_unit_test(the_reference_process_withdraws_accept_not_register),
        cmocka_unit_test(a_changed_opinion_does_not_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
