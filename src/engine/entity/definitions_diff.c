/* What a new version of a definition changes, in Chinese for the 业务定制 screens: the plan of a
 * validation and the reason of a refusal (definitions.h). The schema sync (schema.c) decides;
 * this only explains, so its notion of destructive follows schema.h. */
#include "engine/entity/definitions.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void say(json_t *changes, int destructive, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(json_t *changes, int destructive, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    json_array_append_new(changes, json_pack("{s:s, s:b}", "text", text, "destructive", destructive));
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int sealed(const jg_field *f)
{
    return f->data_class == JG_CLASS_SENSITIVE || f->data_class == JG_CLASS_SECRET;
}

/* One kept field: where (a prefix such as "子表“单体”的") and the field's label and name. */
static void field_changes(const char *where, const jg_field *o, const jg_field *n, json_t *changes)
{
    const char *l = n->label;
    if (o->type != n->type) {
        say(changes, 1, "%s字段“%s”（%s）的类型由 %s 改为 %s", where, l, n->name, jg_field_type_name(o->type),
            jg_field_type_name(n->type));
        return; /* the other options mean something else now */
    }
    if (sealed(o) != sealed(n))
        say(changes, 1, "%s字段“%s”（%s）%s加密存储", where, l, n->name, sealed(n) ? "改为" : "不再");
    if ((n->type == JG_FIELD_DECIMAL || n->type == JG_FIELD_MONEY) && o->scale != n->scale)
        say(changes, 1, "%s字段“%s”（%s）的小数位数由 %d 改为 %d", where, l, n->name, o->scale, n->scale);
    if (n->max_length != o->max_length)
        say(changes, n->max_length < o->max_length, "%s字段“%s”（%s）的最大长度由 %lld %s为 %lld", where, l,
            n->name, (long long)o->max_length, n->max_length < o->max_length ? "减" : "增",
            (long long)n->max_length);
    if (n->min_length != o->min_length)
        say(changes, n->min_length > o->min_length, "%s字段“%s”（%s）的最小长度由 %lld 改为 %lld", where, l,
            n->name, (long long)o->min_length, (long long)n->min_length);
    if (n->has_min != o->has_min || (n->has_min && n->min != o->min))
        say(changes, n->has_min && (!o->has_min || n->min > o->min), "%s字段“%s”（%s）的最小值%s", where, l,
            n->name, n->has_min && (!o->has_min || n->min > o->min) ? "提高" : "放宽");
    if (n->has_max != o->has_max || (n->has_max && n->max != o->max))
        say(changes, n->has_max && (!o->has_max || n->max < o->max), "%s字段“%s”（%s）的最大值%s", where, l,
            n->name, n->has_max && (!o->has_max || n->max < o->max) ? "降低" : "放宽");
    if (!same(o->pattern, n->pattern))
        say(changes, n->pattern != NULL, "%s字段“%s”（%s）的格式要求%s", where, l, n->name,
            n->pattern == NULL   ? "取消"
            : o->pattern == NULL ? "新增"
                                 : "修改");
    if (n->type == JG_FIELD_FILES && n->max_files != o->max_files)
        say(changes, n->max_files < o->max_files, "%s字段“%s”（%s）的附件数上限由 %d 改为 %d", where, l,
            n->name, o->max_files, n->max_files);
    if (!same(o->dict, n->dict))
        say(changes, 1, "%s字段“%s”（%s）的数据字典由 %s 改为 %s", where, l, n->name, o->dict, n->dict);
    if (!same(o->ref, n->ref))
        say(changes, 1, "%s字段“%s”（%s）引用的业务类型由 %s 改为 %s", where, l, n->name, o->ref, n->ref);
    if (n->required != o->required)
        say(changes, 0, "%s字段“%s”（%s）改为%s", where, l, n->name, n->required ? "必填" : "非必填");
    if (n->unique != o->unique || !same(o->unique_within, n->unique_within))
        say(changes, 0, "%s字段“%s”（%s）的唯一性要求%s", where, l, n->name, n->unique ? "修改" : "取消");
    if (!same(o->label, n->label))
        say(changes, 0, "%s字段“%s”（%s）更名为“%s”", where, o->label, n->name, n->label);
}

/* The fields of a table (the entity or one child table). */
static void table_changes(const char *where, const jg_entity *o, const jg_entity *n, json_t *changes)
{
    for (int i = 0; i < o->nfields; i++)
        if (jg_entity_field(n, o->fields[i].name) == NULL)
            say(changes, 1, "%s删除字段“%s”（%s）", where, o->fields[i].label, o->fields[i].name);
    for (int i = 0; i < n->nfields; i++) {
        const jg_field *f = &n->fields[i], *of = jg_entity_field(o, f->name);
        if (of == NULL)
            say(changes, 0, "%s新增字段“%s”（%s，%s%s）", where, f->label, f->name,
                jg_field_type_name(f->type), f->required ? "，必填" : "");
        else
            field_changes(where, of, f, changes);
    }
}

static const jg_entity *child_named(const jg_entity *e, const char *name)
{
    for (int i = 0; i < e->nchildren; i++)
        if (strcmp(e->children[i].name, name) == 0)
            return &e->children[i];
    return NULL;
}

static int has_state(const jg_entity *e, const char *name)
{
    for (int i = 0; i < e->nstates; i++)
        if (strcmp(e->states[i].name, name) == 0)
            return 1;
    return 0;
}

/* A part of the document the tables do not depend on (list view, form, permissions …). */
static void part_changes(const jg_entity *o, const jg_entity *n, const char *key, const char *what,
                         json_t *changes)
{
    if (!json_equal(json_object_get(o->doc, key), json_object_get(n->doc, key)) &&
        (json_object_get(o->doc, key) != NULL || json_object_get(n->doc, key) != NULL))
        say(changes, 0, "%s已修改", what);
}

void jg_definitions_diff(const jg_entity *old, const jg_entity *e, json_t *changes)
{
    if (old == NULL) {
        say(changes, 0, "新建业务记录类型“%s”（%s）：%d 个字段，%d 个子表", e->label, e->name, e->nfields,
            e->nchildren);
        return;
    }
    if (!same(old->label, e->label))
        say(changes, 0, "名称由“%s”改为“%s”", old->label, e->label);
    table_changes("", old, e, changes);
    char where[128];
    for (int i = 0; i < old->nchildren; i++)
        if (child_named(e, old->children[i].name) == NULL)
            say(changes, 1, "删除子表“%s”（%s）", old->children[i].label, old->children[i].name);
    for (int i = 0; i < e->nchildren; i++) {
        const jg_entity *ch = &e->children[i], *och = child_named(old, ch->name);
        if (och == NULL) {
            say(changes, 0, "新增子表“%s”（%s）", ch->label, ch->name);
            continue;
        }
        snprintf(where, sizeof(where), "子表“%s”的", ch->label);
        table_changes(where, och, ch, changes);
    }
    for (int i = 0; i < old->nstates; i++)
        if (!has_state(e, old->states[i].name))
            say(changes, 1, "删除状态“%s”（%s）", old->states[i].label, old->states[i].name);
    for (int i = 0; i < e->nstates; i++)
        if (!has_state(old, e->states[i].name))
            say(changes, 0, "新增状态“%s”（%s）", e->states[i].label, e->states[i].name);
    part_changes(old, e, "help", "说明", changes);
    part_changes(old, e, "scope", "数据权限字段", changes);
    part_changes(old, e, "permissions", "权限代码", changes);
    part_changes(old, e, "indexes", "索引", changes);
    part_changes(old, e, "list", "列表设置", changes);
    part_changes(old, e, "form", "表单布局", changes);
    part_changes(old, e, "print", "打印模板", changes);
}
