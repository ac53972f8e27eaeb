/* The filter and sort language of record lists (filter.h) turned into SQL. Column and table
 * names come only from definitions (checked again here as identifiers before they are written);
 * every value is converted by its field's rules and bound as a $N parameter.
 *
 *   {"field":"cost","op":"ge","value":"1000.00"}   ->  r.cost >= $3              (100000 fen)
 *   {"field":"builder.name","op":"like","value":"%建工%"}
 *       ->  EXISTS (SELECT 1 FROM enterprise t WHERE t.id = r.builder AND lower(t.name) LIKE lower($4) ESCAPE
 * '\')
 *   {"and":[A,B]} -> (A AND B)    {"or":[A,B]} -> (A OR B)    {"not":A} -> NOT (A)
 *
 * Semantics worth knowing: SQL's three-valued logic is kept (ne and not do not match NULLs; use
 * op null); like is case-insensitive for ASCII letters on both backends (lower() on both sides);
 * a step through a reference matches when the referenced record exists and its column matches. */
#include "engine/entity/filter.h"

#include "crypto/crypto.h"
#include "engine/entity/schema.h"

#include "base/text.h"
#include "engine/entity/value.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 8
#define MAX_CONDITIONS 200
#define MAX_IN 100
#define MAX_LIKE_CHARS 200
#define MAX_SORT_KEYS 5
#define MAX_SORT_BYTES 256
#define MAX_IDENT 128
#define MAX_SHOWN 81 /* longest field name echoed in a message: "ref_field.field" */

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_LIKE, OP_BETWEEN, OP_NULL, NOPS };

static const struct {
    const char *name, *label, *sql;
} ops[NOPS] = {
    {"eq", "等于", " = "},        {"ne", "不等于", " <> "},   {"lt", "小于", " < "},
    {"le", "小于等于", " <= "},   {"gt", "大于", " > "},      {"ge", "大于等于", " >= "},
    {"in", "属于", " IN "},       {"like", "匹配", " LIKE "}, {"between", "介于", " BETWEEN "},
    {"null", "为空", " IS NULL"},
};

/* The system columns of every entity table (schema.h), typed so their values are checked like
 * fields' values. "state" is further checked against the entity's states. */
enum { SYS_ID, SYS_STATE, SYS_CREATED_BY, SYS_CREATED_AT, SYS_UPDATED_BY, SYS_UPDATED_AT, SYS_VERSION, NSYS };
static const jg_field sys_columns[NSYS] = {
    [SYS_ID] = {.name = "id", .label = "编号", .type = JG_FIELD_INTEGER},
    [SYS_STATE] = {.name = "state", .label = "状态", .type = JG_FIELD_ENUM},
    [SYS_CREATED_BY] = {.name = "created_by", .label = "创建人", .type = JG_FIELD_INTEGER},
    [SYS_CREATED_AT] = {.name = "created_at", .label = "创建时间", .type = JG_FIELD_DATETIME},
    [SYS_UPDATED_BY] = {.name = "updated_by", .label = "修改人", .type = JG_FIELD_INTEGER},
    [SYS_UPDATED_AT] = {.name = "updated_at", .label = "修改时间", .type = JG_FIELD_DATETIME},
    [SYS_VERSION] = {.name = "version", .label = "版本", .type = JG_FIELD_INTEGER},
};

/* What may be filtered through an enterprise or person field: columns of the registry tables
 * (0002_identity.sql, 0003_registry_access.sql). */
static const jg_field enterprise_columns[] = {
    {.name = "name", .label = "企业名称", .type = JG_FIELD_STRING, .max_length = 200},
    {.name = "credit_code", .label = "统一社会信用代码", .type = JG_FIELD_STRING, .max_length = 18},
};
static const jg_field person_columns[] = {
    {.name = "name", .label = "姓名", .type = JG_FIELD_STRING, .max_length = 50},
};

/* A column a condition is about. */
typedef struct {
    jg_field f;                  /* a copy, loosened for filtering (see loosen) */
    const char *label;           /* for messages: "工程造价", "建设单位的企业名称" */
    const jg_entity *states_of;  /* the column is "state" of this entity, else NULL */
    const jg_field *via;         /* the ref/enterprise/person field of e stepped through, or NULL */
    const jg_entity *via_entity; /* the entity a ref field points to, or NULL */
    const char *sealed_in;       /* a sealed field filtered through its blind index: "<table>.<field>" */
    const char *via_table;       /* the table it points to */
} column;

typedef struct {
    const jg_principal *who;        /* whose scope applies to referenced records, or NULL */
    const unsigned char *field_key; /* the key of blind indexes, or NULL: sealed fields are refused */
    const jg_entity_set *set;
    const jg_entity *e;
    jg_buf *sql;
    jg_value *params;
    int *n;
    jg_arena *a;
    const char *message;
    int conditions;
    int full;    /* an append to sql was refused */
    int bad_def; /* a name from a definition was not an identifier */
} ctx;

static jg_rc fail(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static jg_rc fail(ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    c->message = jg_arena_strdup(c->a, buf);
    return JG_INVALID;
}

static void put(ctx *c, const char *s)
{
    if (jg_buf_puts(c->sql, s) != JG_OK)
        c->full = 1;
}

/* Names from definitions are [a-z][a-z0-9_]* (def.h); anything else is never written. */
static int identifier(const char *s)
{
    return jg_entity_ident_ok(s, MAX_IDENT);
}

/* Write alias.name: alias is "r" or "t", name a column name from a definition. */
static void put_column(ctx *c, const char *alias, const char *name)
{
    if (!identifier(name)) {
        c->bad_def = 1;
        return;
    }
    put(c, alias);
    put(c, ".");
    put(c, name);
}

static jg_rc put_param(ctx *c, jg_value v)
{
    if (*c->n >= JG_FILTER_MAX_PARAMS)
        return fail(c, "筛选条件的取值过多（不能超过 %d 个）", JG_FILTER_MAX_PARAMS);
    c->params[*c->n] = v;
    (*c->n)++;
    char num[16];
    snprintf(num, sizeof(num), "$%d", *c->n);
    put(c, num);
    return JG_OK;
}

/* s when it is short and plain enough to echo in a message, else NULL. */
static const char *shown(const char *s)
{
    size_t i = 0;
    for (; s[i] != '\0'; i++)
        if (i >= MAX_SHOWN || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                                (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return NULL;
    return i > 0 ? s : NULL;
}

static const char *label_of(const jg_field *f)
{
    return f->label != NULL ? f->label : f->name;
}

static int sealed(const jg_field *f)
{
    return f->data_class == JG_CLASS_SENSITIVE || f->data_class == JG_CLASS_SECRET;
}

/* A field of e or one of its system columns; NULL if e has no such column. */
static const jg_field *column_of(const jg_entity *e, const char *name, int *sys)
{
    for (int i = 0; i < NSYS; i++)
        if (strcmp(sys_columns[i].name, name) == 0) {
            *sys = i;
            return &sys_columns[i];
        }
    *sys = -1;
    return jg_entity_field(e, name);
}

static const jg_field *registry_column(const jg_field *cols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cols[i].name, name) == 0)
            return &cols[i];
    return NULL;
}

static jg_rc unknown_field(ctx *c, const char *name)
{
    const char *s = shown(name);
    return s != NULL ? fail(c, "筛选字段 %s 不存在", s) : fail(c, "筛选字段不存在");
}

/* A copy of f for filter values: the type and its limits stay, but what constrains a stored value
 * rather than a question about stored values goes (required, min/max, length minimum, pattern):
 * "area ge 0" is a fair question even when area must be at least 1. */
static void loosen(column *col, const jg_field *f, const char *label)
{
    col->f = *f;
    col->f.label = label;
    col->f.required = 0;
    col->f.has_min = col->f.has_max = 0;
    col->f.min_length = 0;
    col->f.pattern = NULL;
    col->label = label;
}

/* Resolve "name" or "ref_field.name" against c->e into col. */
static jg_rc resolve(ctx *c, const char *name, column *col)
{
    memset(col, 0, sizeof(*col));
    const char *dot = strchr(name, '.');
    int sys;
    if (dot == NULL) {
        const jg_field *f = column_of(c->e, name, &sys);
        if (f == NULL)
            return unknown_field(c, name);
        if (sealed(f) && c->field_key == NULL)
            return fail(c, "%s为敏感信息，不能用于筛选", label_of(f));
        loosen(col, f, label_of(f));
        col->states_of = sys == SYS_STATE ? c->e : NULL;
        if (sealed(f)) { /* equality through the blind index, as records_write.c stores it */
            col->sealed_in = jg_arena_printf(c->a, "%s.%s", c->e->table, f->name);
            col->f.name = jg_arena_printf(c->a, "%s%s", f->name, JG_SEALED_BIDX_SUFFIX);
        }
        return JG_OK;
    }
    char *head = jg_arena_strndup(c->a, name, (size_t)(dot - name));
    const char *tail = dot + 1;
    const jg_field *hf = jg_entity_field(c->e, head);
    if (hf == NULL)
        return unknown_field(c, head);
    if (sealed(hf))
        return fail(c, "%s为敏感信息，不能用于筛选", label_of(hf));
    const jg_field *tf = NULL;
    const jg_entity *target = NULL;
    sys = -1;
    switch (hf->type) {
    case JG_FIELD_REF:
        target = c->set != NULL && hf->ref != NULL ? jg_entity_find(c->set, hf->ref) : NULL;
        if (target == NULL)
            return fail(c, "%s引用的实体不存在", label_of(hf));
        tf = column_of(target, tail, &sys);
        col->via_table = target->table;
        col->via_entity = target;
        break;
    case JG_FIELD_ENTERPRISE:
        tf = registry_column(enterprise_columns, sizeof(enterprise_columns) / sizeof(enterprise_columns[0]),
                             tail);
        col->via_table = "enterprise";
        break;
    case JG_FIELD_PERSON:
        tf = registry_column(person_columns, sizeof(person_columns) / sizeof(person_columns[0]), tail);
        col->via_table = "person";
        break;
    default:
        return fail(c, "%s不是引用字段，不能用“.”筛选其下的字段", label_of(hf));
    }
    if (tf == NULL)
        return unknown_field(c, name);
    if (sealed(tf))
        return fail(c, "%s的%s为敏感信息，不能用于筛选", label_of(hf), label_of(tf));
    loosen(col, tf, jg_arena_printf(c->a, "%s的%s", label_of(hf), label_of(tf)));
    col->states_of = sys == SYS_STATE ? target : NULL;
    col->via = hf;
    return JG_OK;
}

static int op_allowed(jg_field_type t, enum op op)
{
    switch (op) {
    case OP_NULL:
        return 1;
    case OP_EQ:
    case OP_NE:
    case OP_IN:
        return t != JG_FIELD_FILES && t != JG_FIELD_GEO && t != JG_FIELD_JSON;
    case OP_LIKE:
        return t == JG_FIELD_STRING || t == JG_FIELD_TEXT || t == JG_FIELD_REGION;
    default:
        /* Order only where both backends order alike: numbers, ids, and ISO dates and times
         * (text orders by collation on PostgreSQL but by bytes on SQLite). */
        return t == JG_FIELD_INTEGER || t == JG_FIELD_DECIMAL || t == JG_FIELD_MONEY || t == JG_FIELD_DATE ||
               t == JG_FIELD_DATETIME || t == JG_FIELD_REF || t == JG_FIELD_ENTERPRISE ||
               t == JG_FIELD_PERSON;
    }
}

/* One value for an eq/ne/lt/le/gt/ge/in/between condition, converted by the column's type. */
static jg_rc one_value(ctx *c, const column *col, json_t *v)
{
    if (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return fail(c, "%s的筛选值不能为空（查找空值请用 null）", col->label);
    jg_value out;
    const char *msg = NULL;
    if (jg_value_from_json(&col->f, v, c->a, &out, &msg) != JG_OK) {
        c->message = msg;
        return JG_INVALID;
    }
    if (out.type == JG_V_NULL)
        return fail(c, "%s的筛选值不能为空（查找空值请用 null）", col->label);
    if (col->sealed_in != NULL) {
        char *index = jg_arena_alloc(c->a, JG_SM4_INDEX_LEN + 1);
        if (jg_sm4_blind_index(c->field_key, col->sealed_in, out.s, strlen(out.s), index) != JG_OK)
            return fail(c, "%s的筛选值无法处理", col->label);
        out = JG_VTEXT(index);
    }
    if (col->states_of != NULL && col->states_of->nstates > 0) {
        int known = 0;
        for (int i = 0; i < col->states_of->nstates && !known; i++)
            known = strcmp(col->states_of->states[i].name, out.s) == 0;
        if (!known)
            return fail(c, "%s取值无效", col->label);
    }
    return put_param(c, out);
}

/* like: % and _ are wildcards; a backslash before %, _ or \ makes that one literal ("100\%"),
 * and any other backslash is itself literal, so the pattern never ends in an escape and means the
 * same on both backends (ESCAPE '\'). */
static jg_rc like_value(ctx *c, const column *col, json_t *v)
{
    if (!json_is_string(v))
        return fail(c, "%s的匹配筛选值应为文本", col->label);
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len || !jg_utf8_valid(s, len))
        return fail(c, "%s的筛选值含有无效字符", col->label);
    if (len == 0)
        return fail(c, "%s的筛选值不能为空（查找空值请用 null）", col->label);
    if (jg_utf8_chars(s) > MAX_LIKE_CHARS)
        return fail(c, "%s的筛选值不能超过 %d 个字", col->label, MAX_LIKE_CHARS);
    char *p = jg_arena_alloc(c->a, len * 2 + 1), *o = p;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            *o++ = s[i];
        } else if (s[i + 1] == '%' || s[i + 1] == '_' || s[i + 1] == '\\') {
            *o++ = '\\';
            *o++ = s[++i];
        } else {
            *o++ = '\\';
            *o++ = '\\';
        }
    }
    *o = '\0';
    return put_param(c, JG_VTEXT(p));
}

/* The condition itself, on alias.column. */
static jg_rc condition(ctx *c, const column *col, const char *alias, enum op op, json_t *v)
{
    jg_rc rc;
    switch (op) {
    case OP_NULL:
        if (!json_is_boolean(v))
            return fail(c, "%s的为空筛选值应为 true 或 false", col->label);
        put_column(c, alias, col->f.name);
        put(c, json_is_true(v) ? " IS NULL" : " IS NOT NULL");
        return JG_OK;
    case OP_LIKE:
        put(c, "lower(");
        put_column(c, alias, col->f.name);
        put(c, ") LIKE lower(");
        rc = like_value(c, col, v);
        put(c, ") ESCAPE '\\'");
        return rc;
    case OP_IN: {
        size_t k = json_array_size(v);
        if (!json_is_array(v) || k == 0 || k > MAX_IN)
            return fail(c, "%s的属于筛选值应为 1 到 %d 个值的数组", col->label, MAX_IN);
        put_column(c, alias, col->f.name);
        put(c, " IN (");
        for (size_t i = 0; i < k; i++) {
            if (i > 0)
                put(c, ", ");
            rc = one_value(c, col, json_array_get(v, i));
            if (rc != JG_OK)
                return rc;
        }
        put(c, ")");
        return JG_OK;
    }
    case OP_BETWEEN:
        if (!json_is_array(v) || json_array_size(v) != 2)
            return fail(c, "%s的介于筛选值应为 [下限, 上限]", col->label);
        put_column(c, alias, col->f.name);
        put(c, " BETWEEN ");
        rc = one_value(c, col, json_array_get(v, 0));
        if (rc != JG_OK)
            return rc;
        put(c, " AND ");
        return one_value(c, col, json_array_get(v, 1));
    default:
        put_column(c, alias, col->f.name);
        put(c, ops[op].sql);
        return one_value(c, col, v);
    }
}

/* A referenced record counts only when the caller could read it: not deleted, inside the scope
 * (else a filter could probe the fields of records the caller may not see). */
static jg_rc referenced_scope(ctx *c, const jg_entity *target)
{
    put(c, " AND t.state <> 'deleted'");
    if (c->who == NULL)
        return JG_OK;
    if (*c->n + 4 > JG_FILTER_MAX_PARAMS)
        return fail(c, "筛选条件的取值过多（不能超过 %d 个）", JG_FILTER_MAX_PARAMS);
    const char *org = target->scope_org, *ent = target->scope_enterprise, *proj = target->scope_project;
    jg_scope_cols cols = {.org = org != NULL ? jg_arena_printf(c->a, "t.%s", org) : NULL,
                          .enterprise = ent != NULL ? jg_arena_printf(c->a, "t.%s", ent) : NULL,
                          .project = proj != NULL ? jg_arena_printf(c->a, "t.%s", proj) : NULL};
    jg_buf scope;
    jg_buf_init(&scope, 1024);
    if (jg_scope_sql(c->who, &cols, &scope, c->params, c->n, c->a) == JG_DENIED)
        put(c, " AND 1 = 0");
    else if (scope.data != NULL)
        put(c, scope.data);
    jg_buf_free(&scope);
    return JG_OK;
}

static jg_rc leaf(ctx *c, json_t *j)
{
    if (++c->conditions > MAX_CONDITIONS)
        return fail(c, "筛选条件不能超过 %d 个", MAX_CONDITIONS);
    const char *key;
    json_t *x;
    json_object_foreach(j, key, x)
    {
        if (strcmp(key, "field") != 0 && strcmp(key, "op") != 0 && strcmp(key, "value") != 0) {
            const char *s = shown(key);
            return s != NULL ? fail(c, "筛选条件含有未知的键 %s", s) : fail(c, "筛选条件含有未知的键");
        }
    }
    json_t *jf = json_object_get(j, "field"), *jo = json_object_get(j, "op"),
           *jv = json_object_get(j, "value");
    if (!json_is_string(jf))
        return fail(c, "筛选条件应有字段名（field）");
    if (!json_is_string(jo))
        return fail(c, "筛选条件应有筛选方式（op）");
    const char *name = json_string_value(jf), *opname = json_string_value(jo);
    int op = 0;
    while (op < NOPS && strcmp(ops[op].name, opname) != 0)
        op++;
    if (op == NOPS) {
        const char *s = shown(opname);
        return s != NULL
                   ? fail(c, "筛选方式 %s 无效（可用 eq、ne、lt、le、gt、ge、in、like、between、null）", s)
                   : fail(c, "筛选方式无效（可用 eq、ne、lt、le、gt、ge、in、like、between、null）");
    }
    column col;
    jg_rc rc = resolve(c, name, &col);
    if (rc != JG_OK)
        return rc;
    if (!op_allowed(col.f.type, (enum op)op))
        return fail(c, "%s不能按“%s”（%s）筛选", col.label, ops[op].label, ops[op].name);
    if (col.sealed_in != NULL && op != OP_EQ && op != OP_IN && op != OP_NULL)
        return fail(c, "%s为敏感信息，只能按“等于”“属于”或“为空”筛选", col.label);
    if (jv == NULL)
        return fail(c, "%s的筛选条件应有取值（value）", col.label);
    if (col.via == NULL)
        return condition(c, &col, "r", (enum op)op, jv);
    put(c, "EXISTS (SELECT 1 FROM ");
    if (identifier(col.via_table))
        put(c, col.via_table);
    else
        c->bad_def = 1;
    put(c, " t WHERE t.id = ");
    put_column(c, "r", col.via->name);
    put(c, " AND ");
    rc = condition(c, &col, "t", (enum op)op, jv);
    if (rc == JG_OK && col.via_entity != NULL)
        rc = referenced_scope(c, col.via_entity);
    put(c, ")");
    return rc;
}

static jg_rc node(ctx *c, json_t *j, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(c, "筛选条件嵌套不能超过 %d 层", MAX_DEPTH);
    if (!json_is_object(j))
        return fail(c, "筛选条件应为 JSON 对象");
    const char *group = json_object_get(j, "and")   ? "and"
                        : json_object_get(j, "or")  ? "or"
                        : json_object_get(j, "not") ? "not"
                                                    : NULL;
    if (group == NULL)
        return leaf(c, j);
    if (json_object_size(j) != 1)
        return fail(c, "筛选条件的 and、or、not 应各自单独成组");
    json_t *g = json_object_get(j, group);
    jg_rc rc;
    if (strcmp(group, "not") == 0) {
        put(c, "NOT (");
        rc = node(c, g, depth + 1);
        put(c, ")");
        return rc;
    }
    if (!json_is_array(g) || json_array_size(g) == 0)
        return fail(c, "筛选条件的 %s 应为非空数组", group);
    put(c, "(");
    for (size_t i = 0; i < json_array_size(g); i++) {
        if (i > 0)
            put(c, group[0] == 'a' ? " AND " : " OR ");
        rc = node(c, json_array_get(g, i), depth + 1);
        if (rc != JG_OK)
            return rc;
    }
    put(c, ")");
    return JG_OK;
}

/* Put sql back as it was before a failed call. */
static void restore(jg_buf *sql, size_t len, int overflowed)
{
    sql->len = len;
    if (sql->data != NULL)
        sql->data[len] = '\0';
    sql->overflowed = overflowed;
}

jg_rc jg_filter_sql(const jg_filter_as *as, const jg_entity_set *set, const jg_entity *e, json_t *filter,
                    jg_buf *sql, jg_value *params, int *n, jg_arena *a, const char **message)
{
    *message = NULL;
    if (filter == NULL || json_is_null(filter))
        return JG_OK;
    size_t len = sql->len;
    int overflowed = sql->overflowed, n0 = *n;
    ctx c = {.who = as != NULL ? as->who : NULL,
             .field_key = as != NULL ? as->field_key : NULL,
             .set = set,
             .e = e,
             .sql = sql,
             .params = params,
             .n = n,
             .a = a};
    jg_rc rc;
    if (n0 < 0 || n0 > JG_FILTER_MAX_PARAMS) {
        rc = fail(&c, "筛选条件的取值过多（不能超过 %d 个）", JG_FILTER_MAX_PARAMS);
    } else {
        put(&c, " AND (");
        rc = node(&c, filter, 1);
        put(&c, ")");
    }
    if (rc == JG_OK && c.bad_def) {
        c.message = jg_arena_strdup(a, "实体定义中的名称无效，无法筛选");
        rc = JG_ERR;
    } else if (rc == JG_OK && c.full) {
        rc = fail(&c, "筛选条件过长，请减少条件");
    }
    if (rc != JG_OK) {
        restore(sql, len, overflowed);
        *n = n0;
        *message = c.message;
    }
    return rc;
}

/* One sort key: the n bytes at s, spaces around allowed, '-' (descending) or '+' before the name.
 * Returns the column, or NULL with *message. */
static const jg_field *sort_key(const jg_entity *e, const char *s, size_t n, jg_arena *a, int *desc, int *sys,
                                const char **message)
{
    const char *t = s + n;
    while (s < t && *s == ' ')
        s++;
    while (t > s && t[-1] == ' ')
        t--;
    *desc = s < t && *s == '-';
    if (s < t && (*s == '-' || *s == '+'))
        s++;
    if (s == t) {
        *message = "排序条件格式不正确（如 -registered_on,project_name）";
        return NULL;
    }
    char *name = jg_arena_strndup(a, s, (size_t)(t - s));
    const jg_field *f = column_of(e, name, sys);
    if (f == NULL)
        *message = shown(name) != NULL ? jg_arena_printf(a, "排序字段 %s 不存在", name) : "排序字段不存在";
    else if (sealed(f))
        *message = jg_arena_printf(a, "%s为敏感信息，不能用于排序", label_of(f));
    else if (f->type == JG_FIELD_FILES || f->type == JG_FIELD_GEO || f->type == JG_FIELD_JSON)
        *message = jg_arena_printf(a, "%s不能用于排序", label_of(f));
    else
        return f;
    return NULL;
}

/* Sort keys are columns of e itself. Text sorts by bytes on SQLite and by the database's collation
 * on PostgreSQL; NULLs come last going up and first going down on both (PostgreSQL's default,
 * written out so SQLite does the same and PostgreSQL still uses plain indexes). */
jg_rc jg_sort_sql(const jg_entity *e, const char *sort, jg_buf *sql, jg_arena *a, const char **message)
{
    *message = NULL;
    size_t len = sql->len;
    int overflowed = sql->overflowed;
    if (sort == NULL || *sort == '\0')
        sort = "-id";
    const jg_field *used[MAX_SORT_KEYS];
    int nused = 0, first_desc = 0, has_id = 0, full = 0;
    const char *msg = NULL;
    jg_rc rc = JG_INVALID;
    if (strlen(sort) > MAX_SORT_BYTES) {
        msg = "排序条件过长";
        goto refuse;
    }
    full |= jg_buf_puts(sql, " ORDER BY ") != JG_OK;
    for (const char *p = sort;;) {
        const char *end = p + strcspn(p, ",");
        int desc, sys;
        const jg_field *f = sort_key(e, p, (size_t)(end - p), a, &desc, &sys, &msg);
        if (f == NULL)
            goto refuse;
        for (int i = 0; i < nused; i++)
            if (used[i] == f)
                msg = "排序字段重复";
        if (msg == NULL && nused == MAX_SORT_KEYS)
            msg = "排序字段不能超过 5 个";
        if (msg == NULL && !identifier(f->name)) {
            msg = "实体定义中的名称无效，无法排序";
            rc = JG_ERR;
        }
        if (msg != NULL)
            goto refuse;
        if (nused == 0)
            first_desc = desc;
        used[nused++] = f;
        has_id |= sys == SYS_ID;
        full |= jg_buf_puts(sql, nused > 1 ? ", r." : "r.") != JG_OK;
        full |= jg_buf_puts(sql, f->name) != JG_OK;
        if (sys == SYS_ID) /* never NULL */
            full |= jg_buf_puts(sql, desc ? " DESC" : "") != JG_OK;
        else
            full |= jg_buf_puts(sql, desc ? " DESC NULLS FIRST" : " NULLS LAST") != JG_OK;
        if (*end == '\0')
            break;
        p = end + 1;
    }
    /* id last, so pages never overlap or skip rows that tie on every key. */
    if (!has_id)
        full |= jg_buf_puts(sql, first_desc ? ", r.id DESC" : ", r.id") != JG_OK;
    if (!full)
        return JG_OK;
    msg = "排序条件过长";
refuse:
    restore(sql, len, overflowed);
    *message = msg;
    return rc;
}
