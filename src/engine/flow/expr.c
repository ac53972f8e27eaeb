/* Conditions of the workflow engine (expr.h): a recursive-descent parser into nodes in an arena,
 * and an evaluator that allocates nothing. */
#include "engine/flow/expr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { E_OR, E_AND, E_NOT, E_CMP, E_IN, E_NUM, E_STR, E_TRUE, E_FALSE, E_NULL, E_PATH, E_LIST } ekind;
typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } eop;

struct jg_expr {
    ekind kind;
    eop op;
    double num;
    const char *str; /* E_STR (unescaped) and E_PATH, NUL-terminated */
    jg_expr *a, *b;  /* operands; E_LIST: a is the first item */
    jg_expr *next;   /* the next item of a list */
};

typedef struct {
    const char *s;
    size_t n, i;
    int nodes, depth;
    jg_arena *a;
    char *err;
    size_t errlen;
    int failed;
} parser;

static jg_expr *fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static jg_expr *fail(parser *p, const char *fmt, ...)
{
    if (p->failed++)
        return NULL;
    char what[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    snprintf(p->err, p->errlen, "第 %zu 个字符处：%s", p->i + 1, what);
    return NULL;
}

static jg_expr *node(parser *p, ekind kind)
{
    if (++p->nodes > JG_EXPR_MAX_NODES)
        return fail(p, "条件过于复杂（最多 %d 个部分）", JG_EXPR_MAX_NODES);
    jg_expr *e = jg_arena_alloc(p->a, sizeof(*e));
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    return e;
}

static void blanks(parser *p)
{
    while (p->i < p->n &&
           (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

/* 1 (and past it) when the text at the cursor is tok. */
static int take(parser *p, const char *tok)
{
    blanks(p);
    size_t k = strlen(tok);
    if (p->n - p->i < k || memcmp(p->s + p->i, tok, k) != 0)
        return 0;
    p->i += k;
    return 1;
}

static int ident_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && ((c >= '0' && c <= '9') || c == '.'));
}

static jg_expr *parse_or(parser *p);

static jg_expr *parse_string(parser *p)
{
    p->i++; /* the opening quote */
    char *out = jg_arena_alloc(p->a, p->n - p->i + 1);
    size_t k = 0;
    while (p->i < p->n && p->s[p->i] != '"') {
        char c = p->s[p->i++];
        if (c == '\\') {
            if (p->i >= p->n || (p->s[p->i] != '"' && p->s[p->i] != '\\'))
                return fail(p, "字符串中只能用 \\\" 和 \\\\ 转义");
            c = p->s[p->i++];
        }
        out[k++] = c;
    }
    if (p->i >= p->n)
        return fail(p, "字符串缺少结尾的引号");
    p->i++;
    out[k] = '\0';
    jg_expr *e = node(p, E_STR);
    if (e != NULL)
        e->str = out;
    return e;
}

static jg_expr *parse_number(parser *p)
{
    size_t start = p->i;
    if (p->i < p->n && p->s[p->i] == '-')
        p->i++;
    size_t digits = 0;
    while (p->i < p->n && ((p->s[p->i] >= '0' && p->s[p->i] <= '9') || p->s[p->i] == '.'))
        digits += p->s[p->i++] != '.';
    char buf[64];
    if (digits == 0 || p->i - start >= sizeof(buf))
        return fail(p, "数字格式不正确");
    memcpy(buf, p->s + start, p->i - start);
    buf[p->i - start] = '\0';
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0')
        return fail(p, "数字格式不正确");
    jg_expr *e = node(p, E_NUM);
    if (e != NULL)
        e->num = v;
    return e;
}

static jg_expr *parse_list(parser *p)
{
    if (!take(p, "["))
        return fail(p, "in 后面应是用方括号括起的列表");
    jg_expr *list = node(p, E_LIST), **tail = list != NULL ? &list->a : NULL;
    if (list == NULL || take(p, "]"))
        return list;
    do {
        blanks(p);
        jg_expr *item = p->i < p->n && p->s[p->i] == '"' ? parse_string(p) : parse_number(p);
        if (item == NULL)
            return NULL;
        *tail = item;
        tail = &item->next;
    } while (take(p, ","));
    return take(p, "]") ? list : fail(p, "列表缺少右方括号");
}

static jg_expr *parse_primary(parser *p)
{
    blanks(p);
    if (p->i >= p->n)
        return fail(p, "条件不完整");
    char c = p->s[p->i];
    if (c == '(') {
        p->i++;
        jg_expr *e = parse_or(p);
        if (e != NULL && !take(p, ")"))
            return fail(p, "缺少右括号");
        return e;
    }
    if (c == '"')
        return parse_string(p);
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(p);
    if (!ident_char(c, 1))
        return fail(p, "无法识别的字符");
    size_t start = p->i;
    while (p->i < p->n && ident_char(p->s[p->i], 0))
        p->i++;
    size_t len = p->i - start;
    if (len == 4 && memcmp(p->s + start, "true", 4) == 0)
        return node(p, E_TRUE);
    if (len == 5 && memcmp(p->s + start, "false", 5) == 0)
        return node(p, E_FALSE);
    if (len == 4 && memcmp(p->s + start, "null", 4) == 0)
        return node(p, E_NULL);
    if (p->s[p->i - 1] == '.' || len > 120)
        return fail(p, "字段路径不正确");
    jg_expr *e = node(p, E_PATH);
    if (e != NULL) {
        char *path = jg_arena_alloc(p->a, len + 1);
        memcpy(path, p->s + start, len);
        path[len] = '\0';
        e->str = path;
    }
    return e;
}

static jg_expr *parse_cmp(parser *p)
{
    jg_expr *left = parse_primary(p);
    if (left == NULL)
        return NULL;
    static const struct {
        const char *tok;
        eop op;
    } ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE}, {"<", OP_LT}, {">", OP_GT}};
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        if (!take(p, ops[k].tok))
            continue;
        jg_expr *e = node(p, E_CMP), *right = parse_primary(p);
        if (e == NULL || right == NULL)
            return NULL;
        e->op = ops[k].op;
        e->a = left;
        e->b = right;
        return e;
    }
    blanks(p);
    if (p->n - p->i >= 3 && memcmp(p->s + p->i, "in", 2) == 0 && !ident_char(p->s[p->i + 2], 0)) {
        p->i += 2;
        jg_expr *e = node(p, E_IN), *list = parse_list(p);
        if (e == NULL || list == NULL)
            return NULL;
        e->a = left;
        e->b = list;
        return e;
    }
    return left;
}

static jg_expr *parse_not(parser *p)
{
    blanks(p);
    if (p->i < p->n && p->s[p->i] == '!' && (p->i + 1 >= p->n || p->s[p->i + 1] != '=')) {
        p->i++;
        if (++p->depth > JG_EXPR_MAX_DEPTH)
            return fail(p, "条件嵌套过深");
        jg_expr *e = node(p, E_NOT), *inner = parse_not(p);
        p->depth--;
        if (e == NULL || inner == NULL)
            return NULL;
        e->a = inner;
        return e;
    }
    return parse_cmp(p);
}

static jg_expr *parse_binary(parser *p, ekind kind)
{
    jg_expr *left = kind == E_OR ? parse_binary(p, E_AND) : parse_not(p);
    while (left != NULL && take(p, kind == E_OR ? "||" : "&&")) {
        jg_expr *e = node(p, kind), *right = kind == E_OR ? parse_binary(p, E_AND) : parse_not(p);
        if (e == NULL || right == NULL)
            return NULL;
        e->a = left;
        e->b = right;
        left = e;
    }
    return left;
}

static jg_expr *parse_or(parser *p)
{
    if (++p->depth > JG_EXPR_MAX_DEPTH)
        return fail(p, "条件嵌套过深");
    jg_expr *e = parse_binary(p, E_OR);
    p->depth--;
    return e;
}

jg_rc jg_expr_parse(const char *text, size_t n, jg_arena *a, jg_expr **out, char *err, size_t errlen)
{
    *out = NULL;
    parser p = {text, n, 0, 0, 0, a, err, errlen, 0};
    if (n > JG_EXPR_MAX_BYTES) {
        snprintf(err, errlen, "条件过长（最多 %d 个字节）", JG_EXPR_MAX_BYTES);
        return JG_INVALID;
    }
    if (memchr(text, '\0', n) != NULL) {
        snprintf(err, errlen, "条件中有不可见字符");
        return JG_INVALID;
    }
    jg_expr *e = parse_or(&p);
    blanks(&p);
    if (e != NULL && p.i < n)
        e = fail(&p, "多余的内容");
    if (e == NULL) {
        if (!p.failed)
            fail(&p, "条件不完整");
        return JG_INVALID;
    }
    *out = e;
    return JG_OK;
}

/* ---- evaluation ---- */

typedef enum { V_NULL, V_BOOL, V_NUM, V_STR } vkind;
typedef struct {
    vkind kind;
    double num; /* V_BOOL: 0/1 */
    const char *str;
} value;

/* 1 when s is a decimal as the API writes money and decimals ("-12.50"), with its value in *v. */
static int decimal(const char *s, double *v)
{
    const char *p = s + (*s == '-');
    int digits = 0, dot = 0;
    for (; *p != '\0'; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && !dot++ && digits > 0)
            continue;
        else
            return 0;
    }
    if (digits == 0 || p[-1] == '.')
        return 0;
    *v = strtod(s, NULL);
    return 1;
}

static value of_json(const json_t *j)
{
    value v = {V_NULL, 0, NULL};
    if (json_is_boolean(j))
        v = (value){V_BOOL, json_is_true(j), NULL};
    else if (json_is_number(j))
        v = (value){V_NUM, json_number_value(j), NULL};
    else if (json_is_string(j))
        v = (value){V_STR, 0, json_string_value(j)};
    else if (json_is_object(j) || json_is_array(j))
        v = (value){V_BOOL, 1, NULL};
    return v;
}

static value lookup(const char *path, const json_t *ctx)
{
    const json_t *cur = ctx;
    char key[128];
    while (cur != NULL && *path != '\0') {
        size_t k = strcspn(path, ".");
        if (k >= sizeof(key))
            return (value){V_NULL, 0, NULL};
        memcpy(key, path, k);
        key[k] = '\0';
        cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
        path += k + (path[k] == '.');
    }
    return of_json(cur);
}

static value eval(const jg_expr *e, const json_t *ctx);

static int truthy(value v)
{
    return (v.kind == V_BOOL && v.num != 0) || (v.kind == V_NUM && v.num != 0) ||
           (v.kind == V_STR && v.str[0] != '\0');
}

/* -1, 0, 1, or 2 when a and b do not compare. */
static int compare(value a, value b)
{
    double x, y;
    if ((a.kind == V_NUM || (a.kind == V_STR && b.kind == V_NUM)) &&
        (b.kind == V_NUM || (b.kind == V_STR && a.kind == V_NUM))) {
        if ((a.kind == V_STR && !decimal(a.str, &x)) || (b.kind == V_STR && !decimal(b.str, &y)))
            return 2;
        x = a.kind == V_NUM ? a.num : x;
        y = b.kind == V_NUM ? b.num : y;
        return x < y ? -1 : x > y;
    }
    if (a.kind == V_STR && b.kind == V_STR) {
        int c = strcmp(a.str, b.str);
        return c < 0 ? -1 : c > 0;
    }
    if (a.kind == V_BOOL && b.kind == V_BOOL)
        return a.num == b.num ? 0 : 2;
    if (a.kind == V_NULL || b.kind == V_NULL)
        return a.kind == b.kind ? 0 : 2;
    return 2;
}

static int cmp_true(eop op, int c)
{
    switch (op) {
    case OP_EQ:
        return c == 0;
    case OP_NE:
        return c != 0;
    case OP_LT:
        return c == -1;
    case OP_LE:
        return c == -1 || c == 0;
    case OP_GT:
        return c == 1;
    case OP_GE:
        return c == 1 || c == 0;
    }
    return 0;
}

static value eval(const jg_expr *e, const json_t *ctx)
{
    value r = {V_BOOL, 0, NULL};
    switch (e->kind) {
    case E_OR:
        r.num = truthy(eval(e->a, ctx)) || truthy(eval(e->b, ctx));
        break;
    case E_AND:
        r.num = truthy(eval(e->a, ctx)) && truthy(eval(e->b, ctx));
        break;
    case E_NOT:
        r.num = !truthy(eval(e->a, ctx));
        break;
    case E_CMP:
        r.num = cmp_true(e->op, compare(eval(e->a, ctx), eval(e->b, ctx)));
        break;
    case E_IN: {
        value left = eval(e->a, ctx);
        for (const jg_expr *i = e->b->a; i != NULL && r.num == 0; i = i->next)
            r.num = compare(left, eval(i, ctx)) == 0;
        break;
    }
    case E_NUM:
        r = (value){V_NUM, e->num, NULL};
        break;
    case E_STR:
        r = (value){V_STR, 0, e->str};
        break;
    case E_TRUE:
        r.num = 1;
        break;
    case E_FALSE:
        break;
    case E_NULL:
    case E_LIST:
        r.kind = V_NULL;
        break;
    case E_PATH:
        r = lookup(e->str, ctx);
        break;
    }
    return r;
}

int jg_expr_true(const jg_expr *e, const json_t *ctx)
{
    return truthy(eval(e, ctx));
}
