/* The registry module: routes of the enterprise and person registries, and the helpers both use
 * (paging, body fields, rows as JSON, audit). */
#include "modules/registry/registry.h"

#include "base/text.h"
#include "base/timeutil.h"
#include "platform/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Deep pages cost the database a scan of every row before them; past this, narrow the filter. */
#define MAX_OFFSET 10000
#define MAX_KEYWORD_CHARS 20

void reg_bad(json_t *fields, const char *field, const char *message)
{
    if (json_object_get(fields, field) == NULL) /* the first problem of a field is the one shown */
        json_object_set_new(fields, field, json_string(message));
}

int reg_government(const jg_principal *p)
{
    const char *s = p->scope != NULL ? p->scope : "";
    return strcmp(s, "province") == 0 || strcmp(s, "region") == 0 || strcmp(s, "department") == 0;
}

jg_rc reg_param_id(jg_req *req, const char *name, int64_t *id)
{
    const char *s = jg_req_param(req, name);
    if (s == NULL || jg_parse_int64(s, 1, INT64_MAX, id) != JG_OK)
        return JG_NOTFOUND;
    return JG_OK;
}

void reg_paging(jg_req *req, int64_t *page, int64_t *size, json_t *fields)
{
    const char *pg = jg_req_query(req, "page"), *sz = jg_req_query(req, "size");
    *page = 1;
    *size = 20;
    if (pg != NULL && jg_parse_int64(pg, 1, 1000000, page) != JG_OK)
        reg_bad(fields, "page", "页码应为正整数");
    if (sz != NULL && jg_parse_int64(sz, 1, req->app->cfg->max_page_size, size) != JG_OK)
        reg_bad(fields, "size", "每页条数超出范围");
    if (json_object_size(fields) == 0 && (*page - 1) * *size > MAX_OFFSET)
        reg_bad(fields, "page", "页码过大，请缩小查询范围");
}

/* Characters (code points) of the UTF-8 text s. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

const char *reg_like(jg_req *req, const char *s, const char *field, json_t *fields)
{
    if (chars(s) > MAX_KEYWORD_CHARS) {
        reg_bad(fields, field, "关键字不超过 20 个字");
        return NULL;
    }
    if (*s == '\0')
        return NULL;
    char *p = jg_arena_alloc(req->arena, strlen(s) * 2 + 3), *o = p;
    *o++ = '%';
    for (; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

void reg_today(char out[REG_DATE_LEN])
{
    jg_time_business_date((int64_t)time(NULL), out, REG_DATE_LEN);
}

const char *reg_text(jg_req *req, json_t *body, const char *key, int required, size_t max_chars,
                     json_t *fields)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            reg_bad(fields, key, "必填");
        return NULL;
    }
    if (!json_is_string(v)) {
        reg_bad(fields, key, "应为文本");
        return NULL;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    while (len > 0 && (*s == ' ' || (unsigned char)s[0] == 0xE3)) {
        /* Spaces, ASCII or the ideographic one (U+3000, E3 80 80), are not content. */
        if (*s == ' ') {
            s++, len--;
        } else if (len >= 3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80) {
            s += 3, len -= 3;
        } else {
            break;
        }
    }
    while (len > 0 && s[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
            reg_bad(fields, key, "不能含有控制字符");
            return NULL;
        }
    char *out = jg_arena_strndup(req->arena, s, len);
    if (required && len == 0) {
        reg_bad(fields, key, "必填");
        return NULL;
    }
    if (chars(out) > max_chars) {
        reg_bad(fields, key, jg_arena_printf(req->arena, "不超过 %zu 个字", max_chars));
        return NULL;
    }
    return out;
}

const char *reg_date(json_t *body, const char *key, int required, json_t *fields)
{
    json_t *v = json_object_get(body, key);
    if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)) {
        if (required)
            reg_bad(fields, key, "必填");
        return NULL;
    }
    const char *s = json_string_value(v);
    if (s == NULL || strlen(s) != 10 || !jg_time_valid_date(s)) {
        reg_bad(fields, key, "日期格式应为 YYYY-MM-DD");
        return NULL;
    }
    return s;
}

int reg_has(json_t *body, const char *key)
{
    return json_object_get(body, key) != NULL;
}

void reg_only(json_t *body, const char *const *allowed, json_t *fields)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
    {
        int ok = 0;
        for (const char *const *a = allowed; *a != NULL && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok)
            reg_bad(fields, key, "不支持的字段");
    }
}

int64_t reg_version(json_t *body, json_t *fields)
{
    json_t *v = json_object_get(body, "version");
    if (v == NULL) {
        reg_bad(fields, "version", "修改时须提供版本号");
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        reg_bad(fields, "version", "版本号应为正整数");
        return 0;
    }
    return json_integer_value(v);
}

json_t *reg_row_json(const jg_rows *rows, int i)
{
    json_t *o = json_object();
    for (int c = 0; c < jg_rows_ncols(rows); c++) {
        json_t *v;
        switch (jg_rows_type(rows, i, c)) {
        case JG_V_NULL:
            v = json_null();
            break;
        case JG_V_INT:
            v = json_integer(jg_rows_int(rows, i, c));
            break;
        case JG_V_REAL:
            v = json_real(jg_rows_real(rows, i, c));
            break;
        default:
            v = json_string(jg_rows_text(rows, i, c));
            break; /* NULL (null) if not UTF-8 */
        }
        json_object_set_new(o, jg_rows_name(rows, c), v != NULL ? v : json_null());
    }
    return o;
}

jg_rc reg_resp_page(jg_req *req, jg_resp *resp, jg_rows *rows, int64_t page, int64_t size,
                    void (*fix)(json_t *item))
{
    json_t *items = json_array();
    int count = jg_rows_count(rows);
    for (int i = 0; i < count && i < size; i++) {
        json_t *item = reg_row_json(rows, i);
        if (fix != NULL)
            fix(item);
        json_array_append_new(items, item);
    }
    jg_rows_free(rows);
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:I, s:b}", "items", items, "page", (json_int_t)page, "size",
                                  (json_int_t)size, "has_more", count > size));
}

void reg_mark_expired(json_t *item, const char *today)
{
    const char *until = json_string_value(json_object_get(item, "expires_on"));
    json_object_set_new(item, "expired", json_boolean(until != NULL && strcmp(until, today) < 0));
}

jg_rc reg_audit(jg_conn *c, jg_req *req, const char *action, const char *entity, int64_t id, json_t *detail)
{
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)id);
    return jg_audit_req(c, req, action, entity, rid, detail);
}

static const jg_route routes[] = {
    {"GET", "/api/v1/enterprises", reg_enterprise_list, JG_ROUTE_AUTH,
     "企业库列表（关键字、企业类型筛选；企业用户只见本企业）", "registry", "enterprise.read"},
    {"POST", "/api/v1/enterprises", reg_enterprise_create, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增企业（政府端；校验统一社会信用代码）", "registry", "enterprise.manage"},
    {"GET", "/api/v1/enterprises/{id}", reg_enterprise_get, JG_ROUTE_AUTH, "企业详情（含资质及是否过期）",
     "registry", "enterprise.read"},
    {"PUT", "/api/v1/enterprises/{id}", reg_enterprise_update, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改企业信息（带版本号；企业管理员仅限本企业）", "registry", "enterprise.manage"},
    {"POST", "/api/v1/enterprises/{id}/qualifications", reg_qualification_add, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增企业资质", "registry", "enterprise.manage"},
    {"DELETE", "/api/v1/enterprises/{id}/qualifications/{qid}", reg_qualification_delete, JG_ROUTE_AUTH,
     "删除企业资质（标记删除，留审计）", "registry", "enterprise.manage"},
    {"GET", "/api/v1/persons", reg_person_list, JG_ROUTE_AUTH,
     "从业人员列表（身份证号、手机号脱敏；可按身份证号精确查找）", "registry", "person.read"},
    {"POST", "/api/v1/persons", reg_person_create, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "登记从业人员（校验身份证号，加密存储）", "registry", "person.manage"},
    {"GET", "/api/v1/persons/{id}", reg_person_get, JG_ROUTE_AUTH, "从业人员详情（含证书，敏感信息脱敏）",
     "registry", "person.read"},
    {"PUT", "/api/v1/persons/{id}", reg_person_update, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改从业人员（带版本号）", "registry", "person.manage"},
    {"POST", "/api/v1/persons/{id}/reveal", reg_person_reveal, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "查看身份证号或手机号明文（留审计）", "registry", "person.reveal"},
    {"POST", "/api/v1/persons/{id}/certificates", reg_certificate_add, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "新增从业人员证书", "registry", "person.manage"},
    {"DELETE", "/api/v1/persons/{id}/certificates/{cid}", reg_certificate_delete, JG_ROUTE_AUTH,
     "删除从业人员证书（标记删除，留审计）", "registry", "person.manage"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_registry = {"registry", routes, NULL, NULL};
