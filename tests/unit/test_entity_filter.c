/* Unit tests for src/engine/entity/filter.c: the SQL text and bound values made for each op, AND/OR/NOT
 * nesting, steps through references, refusals with their Chinese messages, the limits, and sort.
 * The SQL made is then run on a real SQLite database with hand-made tables and rows (and on
 * PostgreSQL when JIANGUAN_TEST_PG is set) to check which rows come back. Entities are built by
 * hand here, not loaded from definitions. */
#include "base/arena.h"
#include "base/buf.h"
#include "crypto/crypto.h"
#include "db/migrate.h"
#include "engine/entity/filter.h"
#include "engine/entity/value.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entity_testutil.h"

/* ---- the hand-made entities: project -> unit (ref), enterprise and person (registry) ---- */

static jg_field unit_fields[] = {
    {.name = "name", .label = "单体名称", .type = JG_FIELD_STRING},
    {.name = "floors", .label = "层数", .type = JG_FIELD_INTEGER},
    {.name = "owner_phone", .label = "联系电话", .type = JG_FIELD_STRING, .data_class = JG_CLASS_SENSITIVE},
    {.name = "org_code", .label = "所在地", .type = JG_FIELD_REGION},
};
static jg_state unit_states[] = {{.name = "draft", .label = "草稿"},
                                 {.name = "active", .label = "在建"},
                                 {.name = "deleted", .label = "已删除"}};

static jg_field project_fields[] = {
    {.name = "name", .label = "项目名称", .type = JG_FIELD_STRING, .max_length = 100},
    {.name = "code", .label = "项目编号", .type = JG_FIELD_STRING},
    {.name = "cost", .label = "工程造价", .type = JG_FIELD_MONEY, .scale = 2, .has_min = 1, .min = 100},
    {.name = "area", .label = "面积", .type = JG_FIELD_DECIMAL, .scale = 2},
    {.name = "floors", .label = "层数", .type = JG_FIELD_INTEGER},
    {.name = "started_on", .label = "开工日期", .type = JG_FIELD_DATE},
    {.name = "checked_at", .label = "检查时间", .type = JG_FIELD_DATETIME},
    {.name = "is_key", .label = "重点项目", .type = JG_FIELD_BOOLEAN},
    {.name = "kind", .label = "项目类型", .type = JG_FIELD_ENUM, .dict = "project_kind"},
    {.name = "unit", .label = "单体", .type = JG_FIELD_REF, .ref = "unit"},
    {.name = "builder", .label = "建设单位", .type = JG_FIELD_ENTERPRISE},
    {.name = "manager", .label = "项目经理", .type = JG_FIELD_PERSON},
    {.name = "region", .label = "所在地区", .type = JG_FIELD_REGION},
    {.name = "attachments", .label = "附件", .type = JG_FIELD_FILES},
    {.name = "location", .label = "位置", .type = JG_FIELD_GEO},
    {.name = "extra", .label = "扩展信息", .type = JG_FIELD_JSON},
    {.name = "id_number", .label = "身份证号", .type = JG_FIELD_STRING, .data_class = JG_CLASS_SENSITIVE},
    {.name = "secret_note", .label = "内部意见", .type = JG_FIELD_TEXT, .data_class = JG_CLASS_SECRET},
    {.name = "note", .label = "备注", .type = JG_FIELD_TEXT},
    {.name = "ghost", .label = "幽灵", .type = JG_FIELD_REF, .ref = "nosuch"},
};
static jg_state project_states[] = {{.name = "draft", .label = "草稿"},
                                    {.name = "submitted", .label = "已报监"},
                                    {.name = "deleted", .label = "已删除"}};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static jg_entity entities[2];
static const jg_entity_set set = {entities, 2};
static const jg_entity *project = &entities[1];

static void make_entities(void)
{
    entities[0] = (jg_entity){.name = "unit",
                              .label = "单体",
                              .table = "e_unit",
                              .version = 1,
                              .fields = unit_fields,
                              .nfields = COUNT(unit_fields),
                              .states = unit_states,
                              .nstates = COUNT(unit_states)};
    entities[1] = (jg_entity){.name = "project",
                              .label = "项目",
                              .table = "e_project",
                              .version = 1,
                              .fields = project_fields,
                              .nfields = COUNT(project_fields),
                              .states = project_states,
                              .nstates = COUNT(project_states)};
}

/* ---- running jg_filter_sql ---- */

static jg_arena *A;
static jg_value P[JG_FILTER_MAX_PARAMS];
static int N;
static jg_buf S;

static int setup(void **state)
{
    (void)state;
    make_entities();
    A = jg_arena_new();
    jg_buf_init(&S, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jg_buf_free(&S);
    jg_arena_free(A);
    A = NULL;
    return 0;
}

static json_t *parse(const char *json)
{
    json_error_t e;
    json_t *j = json_loads(json, JSON_DECODE_ANY, &e);
    if (j == NULL)
        fail_msg("test JSON %s: %s", json, e.text);
    return j;
}

/* Run the filter json with parameters starting at n0, into a fresh S. */
static jg_rc filt(const char *json, int n0, const char **msg)
{
    jg_buf_free(&S);
    N = n0;
    json_t *j = parse(json);
    jg_rc rc = jg_filter_sql(NULL, &set, project, j, &S, P, &N, A, msg);
    json_decref(j);
    return rc;
}

static const char *sql_text(void)
{
    return S.data != NULL ? S.data : "";
}

/* The filter json gives exactly want with n parameters. */
static void sql_is(const char *json, const char *want, int n)
{
    const char *msg;
    jg_rc rc = filt(json, 0, &msg);
    if (rc != JG_OK)
        fail_msg("%s refused: %s", json, msg);
    if (strcmp(sql_text(), want) != 0)
        fail_msg("%s\n gave: %s\n want: %s", json, sql_text(), want);
    if (N != n)
        fail_msg("%s: %d parameters, want %d", json, N, n);
}

/* The filter json is refused with exactly message want, leaving S and N as they were. */
static void refused(const char *json, const char *want)
{
    const char *msg = NULL;
    jg_rc rc = filt(json, 0, &msg);
    if (rc != JG_INVALID)
        fail_msg("%s not refused (rc %d): %s", json, rc, sql_text());
    if (msg == NULL || strcmp(msg, want) != 0)
        fail_msg("%s\n message: %s\n want:    %s", json, msg ? msg : "(none)", want);
    if (S.len != 0 || N != 0)
        fail_msg("%s: refused but left %zu bytes and %d parameters", json, S.len, N);
}

static void each_op(void **state)
{
    (void)state;
    sql_is("{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"1000.00\"}", " AND (r.cost = $1)", 1);
    assert_int_equal(P[0].type, JG_V_INT);
    assert_int_equal(P[0].i, 100000);
    sql_is("{\"field\":\"floors\",\"op\":\"ne\",\"value\":3}", " AND (r.floors <> $1)", 1);
    assert_int_equal(P[0].i, 3);
    sql_is("{\"field\":\"area\",\"op\":\"lt\",\"value\":12.5}", " AND (r.area < $1)", 1);
    assert_int_equal(P[0].i, 1250);
    sql_is("{\"field\":\"started_on\",\"op\":\"le\",\"value\":\"2026-11-25\"}", " AND (r.started_on <= $1)",
           1);
    assert_int_equal(P[0].type, JG_V_TEXT);
    assert_string_equal(P[0].s, "2026-11-25");
    sql_is("{\"field\":\"checked_at\",\"op\":\"gt\",\"value\":\"2026-01-01T08:00:00+08:00\"}",
           " AND (r.checked_at > $1)", 1);
    assert_string_equal(P[0].s, "2026-01-01T00:00:00.000Z");
    sql_is("{\"field\":\"unit\",\"op\":\"ge\",\"value\":7}", " AND (r.unit >= $1)", 1);
    sql_is("{\"field\":\"kind\",\"op\":\"in\",\"value\":[\"house\",\"port\"]}", " AND (r.kind IN ($1, $2))",
           2);
    assert_string_equal(P[0].s, "house");
    assert_string_equal(P[1].s, "port");
    sql_is("{\"field\":\"name\",\"op\":\"like\",\"value\":\"%建工%\"}",
           " AND (lower(r.name) LIKE lower($1) ESCAPE '\\')", 1);
    assert_string_equal(P[0].s, "%建工%");
    sql_is("{\"field\":\"started_on\",\"op\":\"between\",\"value\":[\"2026-01-01\",\"2026-12-31\"]}",
           " AND (r.started_on BETWEEN $1 AND $2)", 2);
    assert_string_equal(P[1].s, "2026-12-31");
    sql_is("{\"field\":\"area\",\"op\":\"null\",\"value\":true}", " AND (r.area IS NULL)", 0);
    sql_is("{\"field\":\"attachments\",\"op\":\"null\",\"value\":false}", " AND (r.attachments IS NOT NULL)",
           0);
    sql_is("{\"field\":\"is_key\",\"op\":\"eq\",\"value\":true}", " AND (r.is_key = $1)", 1);
    assert_int_equal(P[0].i, 1);
    sql_is("{\"field\":\"region\",\"op\":\"like\",\"value\":\"3501%\"}",
           " AND (lower(r.region) LIKE lower($1) ESCAPE '\\')", 1);
    /* min of the definition does not limit a question: cost has min 1.00 */
    sql_is("{\"field\":\"cost\",\"op\":\"ge\",\"value\":0}", " AND (r.cost >= $1)", 1);
    assert_int_equal(P[0].i, 0);
}

static void system_columns(void **state)
{
    (void)state;
    sql_is("{\"field\":\"id\",\"op\":\"in\",\"value\":[1,3]}", " AND (r.id IN ($1, $2))", 2);
    sql_is("{\"field\":\"state\",\"op\":\"ne\",\"value\":\"deleted\"}", " AND (r.state <> $1)", 1);
    sql_is("{\"field\":\"created_at\",\"op\":\"ge\",\"value\":\"2026-01-01T00:00:00+08:00\"}",
           " AND (r.created_at >= $1)", 1);
    assert_string_equal(P[0].s, "2025-12-31T16:00:00.000Z");
    sql_is("{\"field\":\"updated_by\",\"op\":\"eq\",\"value\":12}", " AND (r.updated_by = $1)", 1);
    sql_is("{\"field\":\"version\",\"op\":\"gt\",\"value\":1}", " AND (r.version > $1)", 1);
    sql_is("{\"field\":\"created_by\",\"op\":\"null\",\"value\":true}", " AND (r.created_by IS NULL)", 0);
    sql_is("{\"field\":\"updated_at\",\"op\":\"lt\",\"value\":\"2026-01-01T00:00:00Z\"}",
           " AND (r.updated_at < $1)", 1);
    refused("{\"field\":\"state\",\"op\":\"eq\",\"value\":\"nosuch\"}", "状态取值无效");
    refused("{\"field\":\"state\",\"op\":\"like\",\"value\":\"d%\"}", "状态不能按“匹配”（like）筛选");
    refused("{\"field\":\"created_at\",\"op\":\"eq\",\"value\":\"2026-01-01\"}",
            "创建时间应为日期时间（如 2026-11-25T08:00:00Z）");
}

static void parameters_continue_from_n(void **state)
{
    (void)state;
    const char *msg;
    P[0] = JG_VINT(99);
    P[1] = JG_VTEXT("kept");
    assert_int_equal(
        filt("{\"and\":[{\"field\":\"cost\",\"op\":\"eq\",\"value\":1},{\"field\":\"kind\",\"op\":\"in\","
             "\"value\":[\"a\",\"b\"]}]}",
             2, &msg),
        JG_OK);
    assert_string_equal(sql_text(), " AND ((r.cost = $3 AND r.kind IN ($4, $5)))");
    assert_int_equal(N, 5);
    assert_int_equal(P[0].i, 99);
    assert_string_equal(P[1].s, "kept");
    assert_int_equal(P[2].i, 100);
    assert_string_equal(P[4].s, "b");
}

static void nesting(void **state)
{
    (void)state;
    sql_is("{\"and\":[{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"1\"},{\"or\":[{\"field\":\"kind\",\"op\":"
           "\"eq\","
           "\"value\":\"house\"},{\"not\":{\"field\":\"floors\",\"op\":\"null\",\"value\":true}}]}]}",
           " AND ((r.cost = $1 AND (r.kind = $2 OR NOT (r.floors IS NULL))))", 2);
    sql_is("{\"not\":{\"or\":[{\"field\":\"floors\",\"op\":\"lt\",\"value\":1},{\"field\":\"floors\",\"op\":"
           "\"gt\","
           "\"value\":9}]}}",
           " AND (NOT ((r.floors < $1 OR r.floors > $2)))", 2);
    sql_is("{\"or\":[{\"field\":\"floors\",\"op\":\"eq\",\"value\":1}]}", " AND ((r.floors = $1))", 1);
}

/* A step through a ref field sees only the referenced records the caller may read. */
static void references_are_scoped(void **state)
{
    (void)state;
    entities[0].scope_org = "org_code";
    static const struct {
        jg_principal who;
        const char *scope;
        int n;
    } cases[] = {
        {{.scope = "region", .org_code = "350102"}, " AND t.org_code = $2", 2},
        {{.scope = "region", .org_code = "3502"}, " AND t.org_code >= $2 AND t.org_code < $3", 3},
        {{.scope = "province", .org_code = "35"}, "", 1},
        {{.scope = "enterprise", .enterprise_id = 7}, " AND 1 = 0", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        jg_buf_free(&S);
        N = 0;
        const char *msg;
        json_t *j = parse("{\"field\":\"unit.name\",\"op\":\"eq\",\"value\":\"A栋\"}");
        jg_filter_as as = {&cases[i].who, NULL};
        assert_int_equal(jg_filter_sql(&as, &set, project, j, &S, P, &N, A, &msg), JG_OK);
        json_decref(j);
        char want[256];
        snprintf(want, sizeof(want),
                 " AND (EXISTS (SELECT 1 FROM e_unit t WHERE t.id = r.unit AND t.name = $1 AND t.state <> "
                 "'deleted'%s))",
                 cases[i].scope);
        assert_string_equal(sql_text(), want);
        assert_int_equal(N, cases[i].n);
    }
    entities[0].scope_org = NULL;
}

/* With the field key, sensitive and secret fields are filtered by equality on their blind index. */
static void sealed_fields_by_blind_index(void **state)
{
    (void)state;
    static const unsigned char key[JG_SM4_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    jg_filter_as as = {NULL, key};
    const char *msg;
    char want[JG_SM4_INDEX_LEN + 1];
    assert_int_equal(jg_sm4_blind_index(key, "e_project.id_number", "350102199001011234", 18, want), JG_OK);
    jg_buf_free(&S);
    N = 0;
    json_t *j = parse("{\"field\":\"id_number\",\"op\":\"eq\",\"value\":\"350102199001011234\"}");
    assert_int_equal(jg_filter_sql(&as, &set, project, j, &S, P, &N, A, &msg), JG_OK);
    json_decref(j);
    assert_string_equal(sql_text(), " AND (r.id_number__bidx = $1)");
    assert_int_equal(N, 1);
    assert_string_equal(P[0].s, want);
    jg_buf_free(&S);
    N = 0;
    j = parse("{\"field\":\"secret_note\",\"op\":\"in\",\"value\":[\"a\",\"b\"]}");
    assert_int_equal(jg_filter_sql(&as, &set, project, j, &S, P, &N, A, &msg), JG_OK);
    json_decref(j);
    assert_string_equal(sql_text(), " AND (r.secret_note__bidx IN ($1, $2))");
    assert_string_not_equal(P[0].s, P[1].s);
    jg_buf_free(&S);
    N = 0;
    j = parse("{\"field\":\"id_number\",\"op\":\"like\",\"value\":\"3501%\"}");
    assert_int_equal(jg_filter_sql(&as, &set, project, j, &S, P, &N, A, &msg), JG_INVALID);
    json_decref(j);
    assert_string_equal(msg, "身份证号为敏感信息，只能按“等于”“属于”或“为空”筛选");
    assert_int_equal(N, 0);
}

static void through_references(void **state)
{
    (void)state;
    sql_is(
        "{\"field\":\"unit.name\",\"op\":\"eq\",\"value\":\"A栋\"}",
        " AND (EXISTS (SELECT 1 FROM e_unit t WHERE t.id = r.unit AND t.name = $1 AND t.state <> 'deleted'))",
        1);
    sql_is("{\"field\":\"unit.state\",\"op\":\"in\",\"value\":[\"active\"]}",
           " AND (EXISTS (SELECT 1 FROM e_unit t WHERE t.id = r.unit AND t.state IN ($1) AND t.state <> "
           "'deleted'))",
           1);
    sql_is("{\"field\":\"builder.name\",\"op\":\"like\",\"value\":\"%建工%\"}",
           " AND (EXISTS (SELECT 1 FROM enterprise t WHERE t.id = r.builder AND lower(t.name) LIKE lower($1) "
           "ESCAPE '\\'))",
           1);
    sql_is("{\"field\":\"builder.credit_code\",\"op\":\"eq\",\"value\":\"91350000100000001A\"}",
           " AND (EXISTS (SELECT 1 FROM enterprise t WHERE t.id = r.builder AND t.credit_code = $1))", 1);
    sql_is("{\"field\":\"manager.name\",\"op\":\"null\",\"value\":false}",
           " AND (EXISTS (SELECT 1 FROM person t WHERE t.id = r.manager AND t.name IS NOT NULL))", 0);
    sql_is("{\"not\":{\"field\":\"unit.floors\",\"op\":\"ge\",\"value\":20}}",
           " AND (NOT (EXISTS (SELECT 1 FROM e_unit t WHERE t.id = r.unit AND t.floors >= $1 AND t.state <> "
           "'deleted')))",
           1);
    refused("{\"field\":\"unit.floors\",\"op\":\"eq\",\"value\":\"x\"}", "单体的层数应为整数");
    refused("{\"field\":\"unit.state\",\"op\":\"eq\",\"value\":\"submitted\"}", "单体的状态取值无效");
    refused("{\"field\":\"unit.owner_phone\",\"op\":\"eq\",\"value\":\"13800000000\"}",
            "单体的联系电话为敏感信息，不能用于筛选");
    refused("{\"field\":\"name.x\",\"op\":\"eq\",\"value\":\"a\"}",
            "项目名称不是引用字段，不能用“.”筛选其下的字段");
    refused("{\"field\":\"builder.legal_rep\",\"op\":\"eq\",\"value\":\"a\"}",
            "筛选字段 builder.legal_rep 不存在");
    refused("{\"field\":\"manager.id_number\",\"op\":\"eq\",\"value\":\"a\"}",
            "筛选字段 manager.id_number 不存在");
    refused("{\"field\":\"unit.nosuch\",\"op\":\"eq\",\"value\":\"a\"}", "筛选字段 unit.nosuch 不存在");
    refused("{\"field\":\"unit.name.x\",\"op\":\"eq\",\"value\":\"a\"}", "筛选字段 unit.name.x 不存在");
    refused("{\"field\":\"nosuch.name\",\"op\":\"eq\",\"value\":\"a\"}", "筛选字段 nosuch 不存在");
    refused("{\"field\":\"ghost.name\",\"op\":\"eq\",\"value\":\"a\"}", "幽灵引用的实体不存在");
    refused("{\"field\":\"id_number.x\",\"op\":\"eq\",\"value\":\"a\"}", "身份证号为敏感信息，不能用于筛选");
    refused("{\"field\":\"unit.\",\"op\":\"eq\",\"value\":\"a\"}", "筛选字段 unit. 不存在");
}

static void like_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *json, *param;
    } cases[] = {
        {"\"100\\\\%\"", "100\\%"},       /* \% stays: a literal percent */
        {"\"a\\\\_b\"", "a\\_b"},         /* \_ stays */
        {"\"a\\\\\\\\b\"", "a\\\\b"},     /* \\ stays: one literal backslash */
        {"\"C:\\\\temp\"", "C:\\\\temp"}, /* a lone backslash becomes a literal one */
        {"\"end\\\\\"", "end\\\\"},       /* never ends in an escape */
        {"\"%_\"", "%_"},                 /* wildcards are wildcards */
    };
    for (int i = 0; i < COUNT(cases); i++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"field\":\"note\",\"op\":\"like\",\"value\":%s}", cases[i].json);
        sql_is(json, " AND (lower(r.note) LIKE lower($1) ESCAPE '\\')", 1);
        if (strcmp(P[0].s, cases[i].param) != 0)
            fail_msg("like %s gave %s, want %s", cases[i].json, P[0].s, cases[i].param);
    }
}

static void refusals(void **state)
{
    (void)state;
    refused("{\"field\":\"nosuch\",\"op\":\"eq\",\"value\":1}", "筛选字段 nosuch 不存在");
    refused("{\"field\":\"名称\",\"op\":\"eq\",\"value\":1}", "筛选字段不存在");
    refused("{\"field\":\"id; DROP TABLE e_project\",\"op\":\"eq\",\"value\":1}", "筛选字段不存在");
    refused("{\"field\":\"r.id\",\"op\":\"eq\",\"value\":1}", "筛选字段 r 不存在");
    refused("{\"field\":\"\",\"op\":\"eq\",\"value\":1}", "筛选字段不存在");
    refused("{\"field\":\"cost\",\"op\":\"contains\",\"value\":1}",
            "筛选方式 contains 无效（可用 eq、ne、lt、le、gt、ge、in、like、between、null）");
    refused("{\"field\":\"cost\",\"op\":\"= 1 OR 1=1 --\",\"value\":1}",
            "筛选方式无效（可用 eq、ne、lt、le、gt、ge、in、like、between、null）");
    refused("{\"field\":\"cost\",\"op\":\"EQ\",\"value\":1}",
            "筛选方式 EQ 无效（可用 eq、ne、lt、le、gt、ge、in、like、between、null）");
    /* Wrong value types, in the words of value.c. */
    refused("{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"abc\"}", "工程造价应为金额（元），最多两位小数");
    refused("{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"1.234\"}", "工程造价应为金额（元），最多两位小数");
    refused("{\"field\":\"floors\",\"op\":\"gt\",\"value\":\"3\"}", "层数应为整数");
    refused("{\"field\":\"started_on\",\"op\":\"eq\",\"value\":\"2026-02-30\"}",
            "开工日期应为日期（如 2026-11-25）");
    refused("{\"field\":\"is_key\",\"op\":\"eq\",\"value\":1}", "重点项目应为是或否");
    refused("{\"field\":\"unit\",\"op\":\"eq\",\"value\":0}", "单体应选择一条记录");
    refused("{\"field\":\"region\",\"op\":\"eq\",\"value\":\"350\"}",
            "所在地区应为行政区划代码（2、4 或 6 位数字）");
    refused("{\"field\":\"kind\",\"op\":\"in\",\"value\":[\"house\", 3]}", "项目类型取值无效");
    refused("{\"field\":\"name\",\"op\":\"eq\",\"value\":\"a\\nb\"}",
            "项目名称应为单行文本，不能包含换行或控制字符");
    /* Empty values. */
    refused("{\"field\":\"cost\",\"op\":\"eq\",\"value\":null}",
            "工程造价的筛选值不能为空（查找空值请用 null）");
    refused("{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"\"}",
            "工程造价的筛选值不能为空（查找空值请用 null）");
    refused("{\"field\":\"kind\",\"op\":\"in\",\"value\":[\"a\", null]}",
            "项目类型的筛选值不能为空（查找空值请用 null）");
    refused("{\"field\":\"name\",\"op\":\"like\",\"value\":\"\"}",
            "项目名称的筛选值不能为空（查找空值请用 null）");
    refused("{\"field\":\"cost\",\"op\":\"eq\"}", "工程造价的筛选条件应有取值（value）");
    /* Ops a type does not have. */
    refused("{\"field\":\"floors\",\"op\":\"like\",\"value\":\"1%\"}", "层数不能按“匹配”（like）筛选");
    refused("{\"field\":\"name\",\"op\":\"lt\",\"value\":\"b\"}", "项目名称不能按“小于”（lt）筛选");
    refused("{\"field\":\"kind\",\"op\":\"between\",\"value\":[\"a\",\"b\"]}",
            "项目类型不能按“介于”（between）筛选");
    refused("{\"field\":\"is_key\",\"op\":\"gt\",\"value\":false}", "重点项目不能按“大于”（gt）筛选");
    refused("{\"field\":\"attachments\",\"op\":\"eq\",\"value\":[1]}", "附件不能按“等于”（eq）筛选");
    refused("{\"field\":\"location\",\"op\":\"in\",\"value\":[1]}", "位置不能按“属于”（in）筛选");
    refused("{\"field\":\"extra\",\"op\":\"like\",\"value\":\"%a%\"}", "扩展信息不能按“匹配”（like）筛选");
    /* Shapes of values. */
    refused("{\"field\":\"kind\",\"op\":\"in\",\"value\":[]}",
            "项目类型的属于筛选值应为 1 到 100 个值的数组");
    refused("{\"field\":\"kind\",\"op\":\"in\",\"value\":\"house\"}",
            "项目类型的属于筛选值应为 1 到 100 个值的数组");
    refused("{\"field\":\"started_on\",\"op\":\"between\",\"value\":[\"2026-01-01\"]}",
            "开工日期的介于筛选值应为 [下限, 上限]");
    refused("{\"field\":\"started_on\",\"op\":\"between\",\"value\":[\"2026-01-01\",\"2026-02-01\",\"2026-03-"
            "01\"]}",
            "开工日期的介于筛选值应为 [下限, 上限]");
    refused("{\"field\":\"started_on\",\"op\":\"between\",\"value\":[\"2026-01-01\",null]}",
            "开工日期的筛选值不能为空（查找空值请用 null）");
    refused("{\"field\":\"area\",\"op\":\"null\",\"value\":\"yes\"}", "面积的为空筛选值应为 true 或 false");
    refused("{\"field\":\"area\",\"op\":\"null\"}", "面积的筛选条件应有取值（value）");
    refused("{\"field\":\"name\",\"op\":\"like\",\"value\":3}", "项目名称的匹配筛选值应为文本");
    /* Sensitive and secret fields: no filter at all until their storage is settled. */
    refused("{\"field\":\"id_number\",\"op\":\"eq\",\"value\":\"350102199001011234\"}",
            "身份证号为敏感信息，不能用于筛选");
    refused("{\"field\":\"id_number\",\"op\":\"null\",\"value\":true}", "身份证号为敏感信息，不能用于筛选");
    refused("{\"field\":\"secret_note\",\"op\":\"like\",\"value\":\"%a%\"}",
            "内部意见为敏感信息，不能用于筛选");
    /* Malformed filters. */
    refused("[1]", "筛选条件应为 JSON 对象");
    refused("\"cost=1\"", "筛选条件应为 JSON 对象");
    refused("{}", "筛选条件应有字段名（field）");
    refused("{\"field\":1,\"op\":\"eq\",\"value\":1}", "筛选条件应有字段名（field）");
    refused("{\"field\":\"cost\",\"value\":1}", "筛选条件应有筛选方式（op）");
    refused("{\"field\":\"cost\",\"op\":\"eq\",\"value\":1,\"sql\":\"1=1\"}", "筛选条件含有未知的键 sql");
    refused("{\"field\":\"cost\",\"op\":\"eq\",\"value\":1,\"键\":1}", "筛选条件含有未知的键");
    refused("{\"and\":[]}", "筛选条件的 and 应为非空数组");
    refused("{\"or\":{\"field\":\"cost\",\"op\":\"eq\",\"value\":1}}", "筛选条件的 or 应为非空数组");
    refused("{\"and\":[{\"field\":\"cost\",\"op\":\"eq\",\"value\":1}],\"or\":[]}",
            "筛选条件的 and、or、not 应各自单独成组");
    refused("{\"not\":{\"field\":\"cost\",\"op\":\"eq\",\"value\":1},\"field\":\"cost\"}",
            "筛选条件的 and、or、not 应各自单独成组");
    refused("{\"not\":[{\"field\":\"cost\",\"op\":\"eq\",\"value\":1}]}", "筛选条件应为 JSON 对象");
    refused("{\"and\":[{\"field\":\"cost\",\"op\":\"eq\",\"value\":1}, 5]}", "筛选条件应为 JSON 对象");
}

static void no_filter(void **state)
{
    (void)state;
    const char *msg = "x";
    jg_buf_free(&S);
    jg_buf_puts(&S, "SELECT 1");
    N = 3;
    assert_int_equal(jg_filter_sql(NULL, &set, project, NULL, &S, P, &N, A, &msg), JG_OK);
    assert_null(msg);
    json_t *null = json_null();
    assert_int_equal(jg_filter_sql(NULL, &set, project, null, &S, P, &N, A, &msg), JG_OK);
    json_decref(null);
    assert_string_equal(S.data, "SELECT 1");
    assert_int_equal(N, 3);
}

/* n nested "not"s around one condition: depth n + 1. */
static char *nested(int n)
{
    jg_buf b;
    jg_buf_init(&b, 4096);
    for (int i = 0; i < n; i++)
        jg_buf_puts(&b, "{\"not\":");
    jg_buf_puts(&b, "{\"field\":\"floors\",\"op\":\"eq\",\"value\":1}");
    for (int i = 0; i < n; i++)
        jg_buf_puts(&b, "}");
    char *s = jg_arena_strdup(A, b.data);
    jg_buf_free(&b);
    return s;
}

/* An "and" of k conditions, each an "in" of m values. */
static char *wide(int k, int m)
{
    jg_buf b;
    jg_buf_init(&b, 1 << 20);
    jg_buf_puts(&b, "{\"and\":[");
    for (int i = 0; i < k; i++) {
        jg_buf_printf(&b, "%s{\"field\":\"floors\",\"op\":\"in\",\"value\":[", i > 0 ? "," : "");
        for (int v = 0; v < m; v++)
            jg_buf_printf(&b, "%s%d", v > 0 ? "," : "", v);
        jg_buf_puts(&b, "]}");
    }
    jg_buf_puts(&b, "]}");
    char *s = jg_arena_strdup(A, b.data);
    jg_buf_free(&b);
    return s;
}

static void limits(void **state)
{
    (void)state;
    const char *msg;
    assert_int_equal(filt(nested(7), 0, &msg), JG_OK); /* depth 8 */
    assert_non_null(strstr(sql_text(), "NOT (NOT (NOT (NOT (NOT (NOT (NOT (r.floors = $1)))))))"));
    refused(nested(8), "筛选条件嵌套不能超过 8 层");
    assert_int_equal(filt(wide(200, 1), 0, &msg), JG_OK);
    assert_int_equal(N, 200);
    refused(wide(201, 1), "筛选条件不能超过 200 个");
    assert_int_equal(filt(wide(1, 100), 0, &msg), JG_OK);
    refused(wide(1, 101), "层数的属于筛选值应为 1 到 100 个值的数组");
    /* 400 values in all, counting those already there. */
    assert_int_equal(filt(wide(4, 100), 0, &msg), JG_OK);
    assert_int_equal(N, JG_FILTER_MAX_PARAMS);
    assert_string_equal(msg == NULL ? "" : "set", "");
    jg_buf_free(&S);
    jg_buf_puts(&S, "SELECT r.id FROM e_project r WHERE r.org_code = $1");
    N = 1;
    json_t *j = parse(wide(4, 100));
    assert_int_equal(jg_filter_sql(NULL, &set, project, j, &S, P, &N, A, &msg), JG_INVALID);
    json_decref(j);
    assert_string_equal(msg, "筛选条件的取值过多（不能超过 400 个）");
    assert_string_equal(S.data, "SELECT r.id FROM e_project r WHERE r.org_code = $1");
    assert_int_equal(N, 1);
    /* The longest SQL the limits allow here (200 steps through a reference, each under six "not"s
     * at depth 8) fits the 128 KiB filter.h asks callers to allow. */
    jg_buf big;
    jg_buf_init(&big, 1 << 20);
    jg_buf_puts(&big, "{\"and\":[");
    for (int i = 0; i < 200; i++)
        jg_buf_printf(
            &big,
            "%s{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"not\":{\"field\":\"builder.credit_code\","
            "\"op\":\"like\",\"value\":\"9135%%\"}}}}}}}",
            i > 0 ? "," : "");
    jg_buf_puts(&big, "]}");
    assert_int_equal(filt(big.data, 0, &msg), JG_OK);
    assert_true(S.len < 128 * 1024);
    jg_buf_free(&big);
    /* A buffer too small for the SQL: refused, and the buffer is as it was. */
    jg_buf small;
    jg_buf_init(&small, 48);
    jg_buf_puts(&small, "SELECT r.id FROM e_project r WHERE 1 = 1");
    N = 0;
    j = parse("{\"field\":\"cost\",\"op\":\"eq\",\"value\":1}");
    assert_int_equal(jg_filter_sql(NULL, &set, project, j, &small, P, &N, A, &msg), JG_INVALID);
    json_decref(j);
    assert_string_equal(msg, "筛选条件过长，请减少条件");
    assert_string_equal(small.data, "SELECT r.id FROM e_project r WHERE 1 = 1");
    assert_int_equal(small.overflowed, 0);
    assert_int_equal(N, 0);
    jg_buf_free(&small);
}

/* ---- sort ---- */

static void sort_is(const char *sort, const char *want)
{
    jg_buf b;
    jg_buf_init(&b, 4096);
    const char *msg;
    jg_rc rc = jg_sort_sql(project, sort, &b, A, &msg);
    if (rc != JG_OK)
        fail_msg("sort %s refused: %s", sort ? sort : "(null)", msg);
    if (strcmp(b.data, want) != 0)
        fail_msg("sort %s\n gave: %s\n want: %s", sort ? sort : "(null)", b.data, want);
    jg_buf_free(&b);
}

static void sort_refused(const char *sort, const char *want)
{
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_buf_puts(&b, "SELECT");
    const char *msg = NULL;
    jg_rc rc = jg_sort_sql(project, sort, &b, A, &msg);
    if (rc != JG_INVALID)
        fail_msg("sort %s not refused: %s", sort, b.data);
    if (msg == NULL || strcmp(msg, want) != 0)
        fail_msg("sort %s\n message: %s\n want:    %s", sort, msg ? msg : "(none)", want);
    assert_string_equal(b.data, "SELECT");
    jg_buf_free(&b);
}

static void sorts(void **state)
{
    (void)state;
    sort_is(NULL, " ORDER BY r.id DESC");
    sort_is("", " ORDER BY r.id DESC");
    sort_is("id", " ORDER BY r.id");
    sort_is("-started_on,name", " ORDER BY r.started_on DESC NULLS FIRST, r.name NULLS LAST, r.id DESC");
    sort_is("cost", " ORDER BY r.cost NULLS LAST, r.id");
    sort_is(" -cost , +floors ", " ORDER BY r.cost DESC NULLS FIRST, r.floors NULLS LAST, r.id DESC");
    sort_is("state,-id", " ORDER BY r.state NULLS LAST, r.id DESC");
    sort_is("created_at,updated_at,version,kind,unit", " ORDER BY r.created_at NULLS LAST, r.updated_at "
                                                       "NULLS LAST, r.version NULLS LAST, r.kind NULLS LAST, "
                                                       "r.unit NULLS LAST, r.id");
    sort_refused("nosuch", "排序字段 nosuch 不存在");
    sort_refused("-名称", "排序字段不存在");
    sort_refused("unit.name", "排序字段 unit.name 不存在");
    sort_refused("id_number", "身份证号为敏感信息，不能用于排序");
    sort_refused("secret_note", "内部意见为敏感信息，不能用于排序");
    sort_refused("attachments", "附件不能用于排序");
    sort_refused("location", "位置不能用于排序");
    sort_refused("extra", "扩展信息不能用于排序");
    sort_refused("cost,-cost", "排序字段重复");
    sort_refused("cost,,id", "排序条件格式不正确（如 -registered_on,project_name）");
    sort_refused("-", "排序条件格式不正确（如 -registered_on,project_name）");
    sort_refused(",", "排序条件格式不正确（如 -registered_on,project_name）");
    sort_refused("cost,floors,area,name,code,kind", "排序字段不能超过 5 个");
    sort_refused("name; DROP TABLE e_project", "排序字段不存在");
    char longsort[400];
    memset(longsort, 'a', sizeof(longsort) - 1);
    longsort[sizeof(longsort) - 1] = '\0';
    sort_refused(longsort, "排序条件过长");
}

/* ---- the SQL run on real databases ---- */

static const char *const rows[] = {
    "{\"id\":1,\"state\":\"draft\",\"created_at\":\"2026-01-01T00:00:00.000Z\",\"name\":"
    "\"福州市第一中学扩建工程\","
    "\"code\":\"FJ-001\",\"cost\":\"10000.00\",\"area\":\"1234.50\",\"floors\":5,\"started_on\":\"2026-01-"
    "10\","
    "\"checked_at\":\"2026-01-10T10:00:00+08:00\",\"is_key\":true,\"kind\":\"school\",\"unit\":1,\"builder\":"
    "1,"
    "\"manager\":1,\"region\":\"350102\",\"attachments\":[1,2],\"location\":{\"lng\":119.3,\"lat\":26.08},"
    "\"extra\":{\"a\":1},\"id_number\":\"350102199001011234\",\"note\":\"备注一\"}",
    "{\"id\":2,\"state\":\"submitted\",\"created_at\":\"2026-02-01T00:00:00.000Z\",\"name\":"
    "\"厦门地铁3号线\","
    "\"code\":\"XM_002\",\"cost\":\"500000000.00\",\"area\":\"10000\",\"floors\":30,\"started_on\":\"2025-06-"
    "01\","
    "\"checked_at\":\"2025-06-01T00:00:00Z\",\"is_key\":false,\"kind\":\"rail\",\"unit\":2,\"builder\":2,"
    "\"manager\":2,\"region\":\"350203\"}",
    "{\"id\":3,\"state\":\"submitted\",\"created_at\":\"2026-03-01T00:00:00.000Z\",\"name\":\"100%"
    "完成的样板房\","
    "\"code\":\"fj-003\",\"cost\":\"0.10\",\"is_key\":false,\"kind\":\"house\",\"region\":\"3501\"}",
    "{\"id\":4,\"state\":\"deleted\",\"created_at\":\"2026-04-01T00:00:00.000Z\",\"name\":\"泉州_港口项目\","
    "\"code\":\"QZ-004\",\"cost\":\"0.20\",\"area\":\"50\",\"floors\":12,\"started_on\":\"2026-11-25\","
    "\"is_key\":true,\"kind\":\"port\",\"unit\":1,\"builder\":2,\"manager\":1,\"region\":\"350500\"}",
    "{\"id\":5,\"state\":\"draft\",\"created_at\":\"2026-05-01T00:00:00.000Z\",\"name\":\"Abc Tower\","
    "\"code\":\"ab-005\",\"cost\":\"0.30\",\"floors\":12,\"started_on\":\"2026-02-28\",\"is_key\":false,"
    "\"kind\":\"house\",\"region\":\"350102\",\"note\":\"C:\\\\temp\\\\x\"}",
};

/* Create the tables (temporary ones on PostgreSQL, where the pool is one connection) and rows. */
static void load(jg_db *db)
{
    int pg = jg_db_kind_of(db) == JG_DB_PGSQL;
    const char *create = pg ? "CREATE TEMP TABLE" : "CREATE TABLE";
    jg_buf ddl;
    jg_buf_init(&ddl, 1 << 16);
    jg_buf_printf(
        &ddl,
        "%s enterprise (id {{id}}, credit_code TEXT NOT NULL UNIQUE, name TEXT NOT NULL);"
        "%s person (id {{id}}, name TEXT NOT NULL);"
        "%s e_unit (id {{id}}, state TEXT NOT NULL, name TEXT, floors {{bigint}}, owner_phone TEXT);"
        "%s e_project (id {{id}}, state TEXT NOT NULL, created_by {{bigint}}, created_at TEXT NOT NULL,"
        " updated_by {{bigint}}, updated_at TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 1",
        create, create, create, create);
    for (int i = 0; i < project->nfields; i++)
        jg_buf_printf(&ddl, ", %s %s", project->fields[i].name, jg_value_sql_type(&project->fields[i]));
    jg_buf_puts(&ddl, ");"
                      "INSERT INTO enterprise (id, credit_code, name) VALUES"
                      " (1, '91350000100000001A', '福建建工集团有限责任公司'), (2, '91350200100000002B', "
                      "'厦门路桥建设集团');"
                      "INSERT INTO person (id, name) VALUES (1, '张三'), (2, '李四');"
                      "INSERT INTO e_unit (id, state, name, floors) VALUES (1, 'active', 'A栋', 10), (2, "
                      "'draft', 'B栋', 30);");
    char *native = jg_migrate_expand(db, ddl.data);
    jg_buf_free(&ddl);
    jg_conn *c;
    assert_int_equal(jg_db_acquire(db, 1, &c), JG_OK);
    assert_int_equal(jg_db_script(c, native), JG_OK);
    free(native);
    /* Rows through jg_value_from_json, as the records API would store them. */
    jg_buf ins;
    jg_buf_init(&ins, 1 << 16);
    jg_buf_puts(&ins, "INSERT INTO e_project (id, state, created_at, updated_at");
    for (int i = 0; i < project->nfields; i++)
        jg_buf_printf(&ins, ", %s", project->fields[i].name);
    jg_buf_puts(&ins, ") VALUES ($1, $2, $3, $3");
    for (int i = 0; i < project->nfields; i++)
        jg_buf_printf(&ins, ", $%d", i + 4);
    jg_buf_puts(&ins, ")");
    for (int r = 0; r < COUNT(rows); r++) {
        json_t *row = parse(rows[r]);
        jg_value v[64];
        v[0] = JG_VINT(json_integer_value(json_object_get(row, "id")));
        v[1] = JG_VTEXT(json_string_value(json_object_get(row, "state")));
        v[2] = JG_VTEXT(json_string_value(json_object_get(row, "created_at")));
        for (int i = 0; i < project->nfields; i++) {
            const char *msg;
            jg_field f = project->fields[i];
            f.has_min = 0;
            if (jg_value_from_json(&f, json_object_get(row, f.name), A, &v[i + 3], &msg) != JG_OK)
                fail_msg("row %d field %s: %s", r + 1, f.name, msg);
        }
        assert_int_equal(jg_db_exec(c, ins.data, v, project->nfields + 3, NULL), JG_OK);
        json_decref(row);
    }
    jg_buf_free(&ins);
    jg_db_release(c);
}

/* The ids (comma-separated) of the rows the filter and sort select on db. */
static const char *ids(jg_db *db, const char *filter, const char *sort)
{
    jg_buf sql;
    jg_buf_init(&sql, 1 << 20);
    jg_buf_puts(&sql, "SELECT r.id FROM e_project r WHERE 1 = 1");
    int n = 0;
    const char *msg;
    json_t *j = filter != NULL ? parse(filter) : NULL;
    if (jg_filter_sql(NULL, &set, project, j, &sql, P, &n, A, &msg) != JG_OK)
        fail_msg("%s refused: %s", filter, msg);
    json_decref(j);
    if (jg_sort_sql(project, sort, &sql, A, &msg) != JG_OK)
        fail_msg("sort %s refused: %s", sort, msg);
    jg_rows *r;
    jg_rc rc = jg_db_read(db, sql.data, P, n, &r);
    if (rc != JG_OK)
        fail_msg("%s on %s: %s\n%s", filter ? filter : "(none)", jg_db_kind_name(db), jg_rc_name(rc),
                 sql.data);
    jg_buf_free(&sql);
    jg_buf out;
    jg_buf_init(&out, 4096);
    jg_buf_puts(&out, "");
    for (int i = 0; i < jg_rows_count(r); i++)
        jg_buf_printf(&out, "%s%lld", i > 0 ? "," : "", (long long)jg_rows_int(r, i, 0));
    jg_rows_free(r);
    const char *s = jg_arena_strdup(A, out.data);
    jg_buf_free(&out);
    return s;
}

static const struct run {
    const char *filter, *sort, *want;
} runs[] = {
    /* money and decimals in fen, exactly */
    {"{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"0.30\"}", "id", "5"},
    {"{\"field\":\"cost\",\"op\":\"eq\",\"value\":0.3}", "id", "5"},
    {"{\"field\":\"cost\",\"op\":\"between\",\"value\":[\"0.10\",\"0.20\"]}", "id", "3,4"},
    {"{\"field\":\"cost\",\"op\":\"ge\",\"value\":10000}", "id", "1,2"},
    {"{\"field\":\"cost\",\"op\":\"lt\",\"value\":0.25}", "id", "3,4"},
    {"{\"field\":\"cost\",\"op\":\"in\",\"value\":[\"0.10\",0.3,\"10000\"]}", "id", "1,3,5"},
    {"{\"field\":\"area\",\"op\":\"null\",\"value\":true}", "id", "3,5"},
    {"{\"field\":\"area\",\"op\":\"gt\",\"value\":\"1234.49\"}", "id", "1,2"},
    {"{\"field\":\"floors\",\"op\":\"gt\",\"value\":10}", "id", "2,4,5"},
    {"{\"field\":\"floors\",\"op\":\"ne\",\"value\":12}", "id", "1,2"},
    /* dates and times */
    {"{\"field\":\"started_on\",\"op\":\"between\",\"value\":[\"2026-01-01\",\"2026-12-31\"]}", "id",
     "1,4,5"},
    {"{\"field\":\"started_on\",\"op\":\"lt\",\"value\":\"2026-01-01\"}", "id", "2"},
    {"{\"field\":\"checked_at\",\"op\":\"ge\",\"value\":\"2026-01-10T10:00:00+08:00\"}", "id", "1"},
    {"{\"field\":\"checked_at\",\"op\":\"lt\",\"value\":\"2026-01-10T09:59:59.999+08:00\"}", "id", "2"},
    {"{\"field\":\"created_at\",\"op\":\"ge\",\"value\":\"2026-03-01T08:00:00+08:00\"}", "id", "3,4,5"},
    /* like: wildcards, escapes, case */
    {"{\"field\":\"name\",\"op\":\"like\",\"value\":\"%100\\\\%%\"}", "id", "3"},
    {"{\"field\":\"name\",\"op\":\"like\",\"value\":\"%\\\\_%\"}", "id", "4"},
    {"{\"field\":\"name\",\"op\":\"like\",\"value\":\"%_%\"}", "id", "1,2,3,4,5"},
    {"{\"field\":\"name\",\"op\":\"like\",\"value\":\"abc%\"}", "id", "5"},
    {"{\"field\":\"name\",\"op\":\"like\",\"value\":\"%中学%\"}", "id", "1"},
    {"{\"field\":\"code\",\"op\":\"like\",\"value\":\"fj%\"}", "id", "1,3"},
    {"{\"field\":\"code\",\"op\":\"like\",\"value\":\"xm\\\\_002\"}", "id", "2"},
    {"{\"field\":\"note\",\"op\":\"like\",\"value\":\"%:\\\\temp%\"}", "id", "5"},
    {"{\"field\":\"note\",\"op\":\"like\",\"value\":\"%:\\\\\\\\temp%\"}", "id", "5"},
    {"{\"field\":\"region\",\"op\":\"like\",\"value\":\"3501%\"}", "id", "1,3,5"},
    /* enums, booleans, regions, system columns */
    {"{\"field\":\"region\",\"op\":\"eq\",\"value\":\"3501\"}", "id", "3"},
    {"{\"field\":\"kind\",\"op\":\"in\",\"value\":[\"house\",\"port\"]}", "id", "3,4,5"},
    {"{\"field\":\"is_key\",\"op\":\"eq\",\"value\":true}", "id", "1,4"},
    {"{\"field\":\"state\",\"op\":\"ne\",\"value\":\"deleted\"}", "id", "1,2,3,5"},
    {"{\"field\":\"state\",\"op\":\"in\",\"value\":[\"draft\"]}", "id", "1,5"},
    {"{\"field\":\"id\",\"op\":\"in\",\"value\":[1,3]}", "id", "1,3"},
    {"{\"field\":\"id\",\"op\":\"ge\",\"value\":4}", "id", "4,5"},
    {"{\"field\":\"version\",\"op\":\"eq\",\"value\":1}", "id", "1,2,3,4,5"},
    {"{\"field\":\"attachments\",\"op\":\"null\",\"value\":false}", "id", "1"},
    {"{\"field\":\"location\",\"op\":\"null\",\"value\":true}", "id", "2,3,4,5"},
    {"{\"field\":\"extra\",\"op\":\"null\",\"value\":false}", "id", "1"},
    /* through references */
    {"{\"field\":\"unit.name\",\"op\":\"eq\",\"value\":\"A栋\"}", "id", "1,4"},
    {"{\"field\":\"unit.floors\",\"op\":\"ge\",\"value\":20}", "id", "2"},
    {"{\"field\":\"unit.state\",\"op\":\"eq\",\"value\":\"active\"}", "id", "1,4"},
    {"{\"field\":\"unit.id\",\"op\":\"eq\",\"value\":2}", "id", "2"},
    {"{\"field\":\"builder.name\",\"op\":\"like\",\"value\":\"%建工%\"}", "id", "1"},
    {"{\"field\":\"builder.credit_code\",\"op\":\"eq\",\"value\":\"91350200100000002B\"}", "id", "2,4"},
    {"{\"field\":\"manager.name\",\"op\":\"eq\",\"value\":\"张三\"}", "id", "1,4"},
    {"{\"not\":{\"field\":\"builder.name\",\"op\":\"like\",\"value\":\"%建工%\"}}", "id", "2,3,4,5"},
    /* groups */
    {"{\"or\":[{\"field\":\"cost\",\"op\":\"eq\",\"value\":\"0.10\"},{\"and\":[{\"field\":\"kind\",\"op\":"
     "\"eq\","
     "\"value\":\"port\"},{\"field\":\"is_key\",\"op\":\"eq\",\"value\":true}]}]}",
     "id", "3,4"},
    {"{\"and\":[{\"field\":\"kind\",\"op\":\"eq\",\"value\":\"house\"},{\"not\":{\"field\":\"floors\",\"op\":"
     "\"null\","
     "\"value\":true}}]}",
     "id", "5"},
    {"{\"not\":{\"or\":[{\"field\":\"state\",\"op\":\"eq\",\"value\":\"deleted\"},{\"field\":\"floors\","
     "\"op\":\"lt\","
     "\"value\":10}]}}",
     "id", "2,5"},
    {"{\"and\":[{\"field\":\"region\",\"op\":\"like\",\"value\":\"35%\"},{\"or\":[{\"field\":\"unit.name\","
     "\"op\":"
     "\"eq\",\"value\":\"B栋\"},{\"field\":\"manager.name\",\"op\":\"eq\",\"value\":\"张三\"}]},{\"field\":"
     "\"state\","
     "\"op\":\"ne\",\"value\":\"deleted\"}]}",
     "id", "1,2"},
    /* sorts: NULLs last going up, first going down; ties broken by id */
    {NULL, NULL, "5,4,3,2,1"},
    {NULL, "-cost", "2,1,5,4,3"},
    {NULL, "floors", "1,4,5,2,3"},
    {NULL, "-floors", "3,2,5,4,1"},
    {NULL, "started_on,-id", "2,1,5,4,3"},
    {NULL, "kind,id", "3,5,4,2,1"},
    {"{\"field\":\"state\",\"op\":\"eq\",\"value\":\"draft\"}", "-created_at", "5,1"},
};

static void run_all(jg_db *db)
{
    load(db);
    for (int i = 0; i < COUNT(runs); i++) {
        const char *got = ids(db, runs[i].filter, runs[i].sort);
        if (strcmp(got, runs[i].want) != 0)
            fail_msg("on %s: filter %s sort %s\n gave: %s\n want: %s", jg_db_kind_name(db),
                     runs[i].filter ? runs[i].filter : "(none)", runs[i].sort ? runs[i].sort : "(default)",
                     got, runs[i].want);
    }
    /* The deepest and widest filters allowed run too. */
    assert_string_equal(ids(db, nested(7), "id"), "1,2,4,5"); /* NOT x 7 = NOT: NULL floors stay out */
    assert_string_equal(ids(db, wide(4, 100), "id"), "1,2,4,5");
}

static void runs_on_sqlite(void **state)
{
    (void)state;
    run_on_sqlite(run_all, 2);
}

static void runs_on_pgsql(void **state)
{
    (void)state;
    run_on_pgsql(run_all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(each_op, setup, teardown),
        cmocka_unit_test_setup_teardown(system_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(parameters_continue_from_n, setup, teardown),
        cmocka_unit_test_setup_teardown(nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(through_references, setup, teardown),
        cmocka_unit_test_setup_teardown(references_are_scoped, setup, teardown),
        cmocka_unit_test_setup_teardown(sealed_fields_by_blind_index, setup, teardown),
        cmocka_unit_test_setup_teardown(like_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(no_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(limits, setup, teardown),
        cmocka_unit_test_setup_teardown(sorts, setup, teardown),
        cmocka_unit_test_setup_teardown(runs_on_sqlite, setup, teardown),
        cmocka_unit_test_setup_teardown(runs_on_pgsql, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
