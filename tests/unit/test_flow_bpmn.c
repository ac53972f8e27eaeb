/* Unit tests for src/engine/flow: conditions (expr.c) and the BPMN loader (bpmn.c, bpmn_check.c) —
 * the reference 报监 process loads, and every kind of malformed or hostile document is refused
 * with a message naming the element. */
#include "engine/flow/model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- conditions ---- */

static int holds(const char *text, const char *ctx_json)
{
    jg_arena *a = jg_arena_new();
    jg_expr *e;
    char err[256] = "";
    if (jg_expr_parse(text, strlen(text), a, &e, err, sizeof(err)) != JG_OK)
        fail_msg("%s: %s", text, err);
    json_t *ctx = json_loads(ctx_json, 0, NULL);
    assert_non_null(ctx);
    int r = jg_expr_true(e, ctx);
    json_decref(ctx);
    jg_arena_free(a);
    return r;
}

static const char *refused(const char *text)
{
    static char err[256];
    err[0] = '\0';
    jg_arena *a = jg_arena_new();
    jg_expr *e;
    jg_rc rc = jg_expr_parse(text, strlen(text), a, &e, err, sizeof(err));
    jg_arena_free(a);
    if (rc != JG_INVALID)
        fail_msg("accepted: %s", text);
    return err;
}

#define CTX                                                                                                  \
    "{\"action\": \"approve\", \"record\": {\"cost\": \"1500000.00\", \"kind\": \"road\", \"n\": 3, "        \
    "\"ok\": true, \"none\": null}}"

static void conditions_evaluate(void **state)
{
    (void)state;
    assert_true(holds("action == \"approve\"", CTX));
    assert_false(holds("action != \"approve\"", CTX));
    /* Money comes as a decimal string and compares as a number. */
    assert_true(holds("record.cost >= 1000000", CTX));
    assert_false(holds("record.cost > 1500000", CTX));
    assert_true(holds("record.cost >= 1000000 && record.kind in [\"building\", \"road\"]", CTX));
    assert_false(holds("record.kind in [\"building\"]", CTX));
    assert_true(holds("record.n < 4 || missing.path == 1", CTX));
    assert_true(holds("!(record.n == 2) && record.ok", CTX));
    assert_true(holds("record.none == null && missing == null", CTX));
    assert_false(holds("record.kind > 5", CTX)); /* a string that is no number does not compare */
    assert_false(holds("record.missing", CTX));
    assert_true(holds("record.kind", CTX));
    assert_true(holds("(record.n == 3)", CTX));
    assert_true(holds("record.n in [1, 2, 3]", CTX));
    assert_true(holds("\"a\\\"b\" == \"a\\\"b\"", CTX));
}

static void bad_conditions_are_refused(void **state)
{
    (void)state;
    assert_non_null(strstr(refused("action == "), "条件不完整"));
    assert_non_null(strstr(refused("(action == \"x\""), "缺少右括号"));
    assert_non_null(strstr(refused("action == \"x"), "引号"));
    assert_non_null(strstr(refused("action == \"x\" extra"), "多余"));
    assert_non_null(strstr(refused("a in b"), "列表"));
    assert_non_null(strstr(refused("# b"), "无法识别"));
    assert_non_null(strstr(refused(""), "条件不完整"));
    assert_non_null(strstr(refused("a."), "路径"));
    assert_non_null(strstr(refused("a in ["), "数字")); /* found by fuzz_bpmn: read past the end */
    assert_non_null(strstr(refused("a in [1,"), "数字"));
    char deep[41];
    memset(deep, '(', 40);
    deep[40] = '\0';
    assert_non_null(strstr(refused(deep), "过深"));
    char many[1500] = "a";
    for (size_t i = 0, len = 1; i < 200; i++)
        len += (size_t)snprintf(many + len, sizeof(many) - len, " || a");
    assert_non_null(strstr(refused(many), "复杂"));
    char big[JG_EXPR_MAX_BYTES + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_non_null(strstr(refused(big), "过长"));
}

/* ---- processes ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static void the_reference_process_loads(void **state)
{
    (void)state;
    size_t len;
    char *xml = read_file("defs/registration/registration.bpmn", &len);
    jg_flow_model m;
    char err[512] = "";
    if (jg_bpmn_load(xml, len, &m, err, sizeof(err)) != JG_OK)
        fail_msg("%s", err);
    assert_string_equal(m.key, "registration");
    assert_string_equal(m.name, "项目报监");
    assert_int_equal(m.nnodes, 11); /* with 申报校验 and 收件 (issue 9) */
    assert_int_equal(m.nedges, 11);
    assert_string_equal(m.nodes[m.start].id, "Start");
    const jg_flow_node *accept = &m.nodes[jg_flow_node_index(&m, "Accept")];
    assert_int_equal(accept->kind, JG_NODE_USER);
    assert_string_equal(accept->candidate_roles, "clerk,station_chief");
    assert_string_equal(accept->level, "county");
    assert_int_equal(accept->due_days, 3);
    assert_true(accept->working_days);
    assert_int_equal(accept->nout, 2);
    assert_int_equal(accept->ntimers, 1);
    const jg_flow_node *timer = &m.nodes[accept->timers[0]];
    assert_int_equal(timer->kind, JG_NODE_TIMER);
    assert_int_equal(timer->duration_days, 3);
    assert_false(timer->cancel);
    assert_string_equal(m.nodes[jg_flow_node_index(&m, "End")].state, "registered");
    assert_string_equal(m.edges[accept->out[1]].action, "return");
    jg_flow_model_free(&m);
}

#define HEAD                                                                                                 \
    "<?xml version=\"1.0\"?><definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\" "             \
    "xmlns:jg=\"https://jianguan.fj.gov.cn/schema/bpmn\"><process id=\"p\">"
#define TAIL "</process></definitions>"
#define START "<startEvent id=\"s\"/><sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"t\"/>"
#define TASK "<userTask id=\"t\" name=\"审核\" jg:candidateRoles=\"clerk\"/>"
#define END "<sequenceFlow id=\"f9\" sourceRef=\"t\" targetRef=\"e\"/><endEvent id=\"e\"/>"

static void loads(const char *xml)
{
    jg_flow_model m;
    char err[512] = "";
    if (jg_bpmn_load(xml, strlen(xml), &m, err, sizeof(err)) != JG_OK)
        fail_msg("refused: %s\n%s", err, xml);
    jg_flow_model_free(&m);
}

static void refuses(const char *xml, const char *want)
{
    jg_flow_model m;
    char err[512] = "";
    jg_rc rc = jg_bpmn_load(xml, strlen(xml), &m, err, sizeof(err));
    if (rc != JG_INVALID)
        fail_msg("accepted (%d): %s", rc, xml);
    if (strstr(err, want) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
    assert_null(m.nodes);
}

static void small_processes_load(void **state)
{
    (void)state;
    loads(HEAD START TASK END TAIL);
    /* An exclusive gateway with a default flow, a parallel split and join, a 会签 step. */
    loads(HEAD START TASK
          "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"g\"/>"
          "<exclusiveGateway id=\"g\" default=\"f3\"/>"
          "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"a\"><conditionExpression>record.cost "
          "&gt;= 100</conditionExpression></sequenceFlow>"
          "<sequenceFlow id=\"f3\" sourceRef=\"g\" targetRef=\"e\"/>"
          "<parallelGateway id=\"a\"/>"
          "<sequenceFlow id=\"f4\" sourceRef=\"a\" targetRef=\"x\"/>"
          "<sequenceFlow id=\"f5\" sourceRef=\"a\" targetRef=\"y\"/>"
          "<userTask id=\"x\" jg:candidateRoles=\"expert\"><multiInstanceLoopCharacteristics "
          "jg:complete=\"ratio\" jg:ratio=\"0.6\" jg:signersField=\"experts\"/></userTask>"
          "<userTask id=\"y\" jg:level=\"applicant\"/>"
          "<sequenceFlow id=\"f6\" sourceRef=\"x\" targetRef=\"j\"/>"
          "<sequenceFlow id=\"f7\" sourceRef=\"y\" targetRef=\"j\"/>"
          "<parallelGateway id=\"j\"/><sequenceFlow id=\"f8\" sourceRef=\"j\" targetRef=\"e\"/>"
          "<endEvent id=\"e\"/>" TAIL);
}

static void malformed_processes_are_refused(void **state)
{
    (void)state;
    refuses("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
            "\"&lol;&lol;&lol;\">]><definitions>&lol2;</definitions>",
            "不允许 DOCTYPE");
    refuses("not xml at all", "格式正确");
    refuses("<definitions/>", "不是 BPMN 2.0");
    refuses("<?xml version=\"1.0\"?><definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"/>",
            "没有流程");
    refuses("\xff\xfe<definitions/>", "UTF-8");
    refuses(HEAD START TASK END
            "<startEvent id=\"s2\"/><sequenceFlow id=\"fx\" sourceRef=\"s2\" targetRef=\"t\"/>" TAIL,
            "有且只有一个开始事件");
    refuses(HEAD START TASK END "<scriptTask id=\"bad\"/>" TAIL, "不支持的流程元素 scriptTask（id bad）");
    refuses(HEAD START "<userTask id=\"t\" name=\"审核\"/>" END TAIL, "节点 t（审核）：没有指定办理角色");
    refuses(HEAD START TASK END "<userTask id=\"u\" jg:level=\"applicant\"/>"
                                "<sequenceFlow id=\"fu\" sourceRef=\"u\" targetRef=\"e\"/>" TAIL,
            "节点 u（userTask）：任务必须有进线和出线");
    refuses(HEAD START TASK "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"u\"/>"
                            "<userTask id=\"u\" jg:level=\"applicant\"/>"
                            "<sequenceFlow id=\"f2\" sourceRef=\"u\" targetRef=\"t\"/>"
                            "<endEvent id=\"e\"/>" TAIL,
            "到达不了");
    refuses(HEAD START TASK
            "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"g\"/><exclusiveGateway id=\"g\"/>"
            "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\"><conditionExpression>a == "
            "</conditionExpression></sequenceFlow><endEvent id=\"e\"/>" TAIL,
            "连线 f2 的条件：第");
    refuses(HEAD START TASK
            "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"g\"/><exclusiveGateway id=\"g\"/>"
            "<sequenceFlow id=\"f2\" sourceRef=\"g\" targetRef=\"e\"><conditionExpression>a == 1"
            "</conditionExpression></sequenceFlow><sequenceFlow id=\"f3\" sourceRef=\"g\" "
            "targetRef=\"e\"/><endEvent id=\"e\"/>" TAIL,
            "除默认出线外");
    refuses(HEAD START TASK END "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"t\"/>" TAIL,
            "id f0 重复");
    refuses(HEAD START TASK
            "<sequenceFlow id=\"f1\" sourceRef=\"t\" targetRef=\"nowhere\"/><endEvent id=\"e\"/>" TAIL,
            "找不到终点节点 nowhere");
    refuses(HEAD START TASK END
            "<boundaryEvent id=\"b\" attachedToRef=\"s\"><timerEventDefinition><timeDuration>P1D"
            "</timeDuration></timerEventDefinition></boundaryEvent>"
            "<sequenceFlow id=\"fb\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
            "只能附着在用户任务上");
    refuses(HEAD START TASK END
            "<boundaryEvent id=\"b\" attachedToRef=\"t\"><timerEventDefinition><timeDuration>5 "
            "days</timeDuration></timerEventDefinition></boundaryEvent>"
            "<sequenceFlow id=\"fb\" sourceRef=\"b\" targetRef=\"e\"/>" TAIL,
            "不是支持的 ISO 8601 时长");
    refuses(HEAD START TASK END "<boundaryEvent id=\"b\" attachedToRef=\"t\"><messageEventDefinition/>"
                                "</boundaryEvent>" TAIL,
            "只支持定时边界事件");
    refuses(HEAD "<startEvent id=\"s\"><timerEventDefinition/></startEvent>"
                 "<sequenceFlow id=\"f0\" sourceRef=\"s\" targetRef=\"t\"/>" TASK END TAIL,
            "只支持无触发条件的事件");
    refuses(
        HEAD START
        "<userTask id=\"t\" jg:candidateRoles=\"clerk\" jg:onTimeout=\"explode\" jg:dueDays=\"2\"/>" END TAIL,
        "jg:onTimeout 只能是");
    refuses(HEAD START "<userTask id=\"t\" jg:candidateRoles=\"clerk\" jg:dueDays=\"999\"/>" END TAIL,
            "jg:dueDays 应是 0 到 365 的整数");
    refuses(
        HEAD START
        "<userTask id=\"t\" jg:candidateRoles=\"clerk\"><standardLoopCharacteristics/></userTask>" END TAIL,
        "用户任务中不支持 standardLoopCharacteristics");
    refuses(HEAD "<startEvent id=\"1bad\"/>" TAIL, "缺少合法的 id");
}

static void huge_documents_are_refused(void **state)
{
    (void)state;
    size_t n = JG_BPMN_MAX_BYTES + 100;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, HEAD, strlen(HEAD));
    big[n] = '\0';
    jg_flow_model m;
    char err[256] = "";
    assert_int_equal(jg_bpmn_load(big, n, &m, err, sizeof(err)), JG_INVALID);
    assert_non_null(strstr(err, "过大"));
    free(big);
    /* Many nodes: refused at the limit, not by running out of anything. */
    size_t cap = 200000;
    char *many = malloc(cap);
    assert_non_null(many);
    size_t len = (size_t)snprintf(many, cap, "%s", HEAD START TASK END);
    for (int i = 0; i < JG_BPMN_MAX_NODES + 10; i++)
        len += (size_t)snprintf(many + len, cap - len, "<endEvent id=\"x%d\"/>", i);
    len += (size_t)snprintf(many + len, cap - len, "%s", TAIL);
    assert_int_equal(jg_bpmn_load(many, len, &m, err, sizeof(err)), JG_INVALID);
    assert_non_null(strstr(err, "节点过多"));
    free(many);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conditions_evaluate),
        cmocka_unit_test(bad_conditions_are_refused),
        cmocka_unit_test(the_reference_process_loads),
        cmocka_unit_test(small_processes_load),
        cmocka_unit_test(malformed_processes_are_refused),
        cmocka_unit_test(huge_documents_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
