/* 项目变更: the actions project_change.apply, which writes an approved change (or notes an approved
 * leave) into the registration record with its history and an audit row, and project_change.check,
 * the same at submission rolled back (change.h). */
#include "modules/project_change/change.h"

#include "base/arena.h"
#include "base/timeutil.h"
#include "engine/entity/records.h"
#include "platform/dict.h"
#include "platform/identity.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registration entity's tables. Their names follow from the entity and child names
 * (docs/entities.md, "Tables"), which a definition change cannot rename. */
#define REG "registration"
#define REG_TABLE "e_registration"
#define REG_UNITS "e_registration__units"
#define REG_PERSONS "e_registration__persons"
#define REG_HAZARDS "e_registration__hazards"

/* States of a registration in which its persons count as taken (the one-active-project rule). */
#define ACTIVE_STATES "('submitted', 'accepted', 'registered', 'returned')"

typedef struct {
    jg_flow_service *s;
    jg_conn *c;
    jg_req *req;
    jg_arena *a;
    const char *entity; /* project_change | person_leave */
    int64_t change_id, project_id;
    const char *kind;       /* change_kind, or "leave" */
    const char *kind_label; /* 责任单位变更 … */
    const char *project;    /* the project's name, for messages */
    const char *applicant;  /* username of who submitted the application, or NULL */
    const jg_record_kind *ck;
    json_t *change; /* the application with its children (masked) */
    const jg_record_kind *rk;
    json_t *before; /* the registration record before the change (masked, with children) */
} apply;

static jg_rc refuse(apply *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static jg_rc refuse(apply *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->s->why, sizeof(x->s->why), fmt, ap);
    va_end(ap);
    return JG_INVALID;
}

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static int64_t num(json_t *o, const char *key)
{
    return (int64_t)json_integer_value(json_object_get(o, key));
}

/* The name in the first column of sql's only row for id, or "编号 <id>". */
static const char *name_of(apply *x, const char *sql, int64_t id)
{
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(id)};
    const char *out = NULL;
    if (jg_db_query(x->c, sql, p, 1, &r) == JG_OK && jg_rows_count(r) == 1 && jg_rows_text(r, 0, 0) != NULL)
        out = jg_arena_strdup(x->a, jg_rows_text(r, 0, 0));
    jg_rows_free(r);
    return out != NULL ? out : jg_arena_printf(x->a, "编号 %lld", (long long)id);
}

static const char *person(apply *x, int64_t id)
{
    return name_of(x, "SELECT name FROM person WHERE id = $1", id);
}

static const char *enterprise(apply *x, int64_t id)
{
    return name_of(x, "SELECT name FROM enterprise WHERE id = $1", id);
}

static const char *label(apply *x, const char *dict, const char *code)
{
    const char *l = NULL;
    if (code == NULL)
        return "";
    return jg_dict_label(x->c, dict, code, x->a, &l) == JG_OK && l != NULL ? l : code;
}

/* A decimal of scale 2 stored as an integer, as people read it: "1234.50". */
static const char *area_text(apply *x, int64_t v)
{
    return jg_arena_printf(x->a, "%s%lld.%02lld", v < 0 ? "-" : "", (long long)(v < 0 ? -v : v) / 100,
                           (long long)(v < 0 ? -v : v) % 100);
}

/* Record id of entity as the caller sees it, with its children and masked: JG_NOTFOUND outside the
 * caller's scope (or deleted). */
static jg_rc load(apply *x, const char *entity, int64_t id, json_t **out, const jg_record_kind **kind)
{
    const jg_entity *e = jg_entity_find(&jg_records_of(x->req)->set, entity);
    const jg_record_kind *k = e != NULL ? jg_record_kind_for(x->req, e) : NULL;
    if (k == NULL)
        return JG_NOTFOUND;
    *kind = k;
    jg_rows *r = NULL;
    jg_rc rc = jg_record_fetch(x->req, x->c, k, id, &r);
    if (rc == JG_OK)
        rc = jg_record_json(x->req, x->c, k, r, 0, JG_RECORD_DETAIL | JG_RECORD_MASKED, out);
    jg_rows_free(r);
    return rc;
}

static jg_rc count_rows(apply *x, const char *sql, const jg_value *p, int n, int64_t *count, int64_t *first)
{
    jg_rows *r = NULL;
    jg_rc rc = jg_db_query(x->c, sql, p, n, &r);
    if (rc == JG_OK) {
        *count = jg_rows_count(r);
        if (first != NULL)
            *first = *count > 0 ? jg_rows_int(r, 0, 0) : 0;
    }
    jg_rows_free(r);
    return rc;
}

/* 责任单位变更: each row replaces the enterprise of one party role of the record, read and written by
 * these fixed statements. */
#define PARTY(role, col)                                                                                     \
    {                                                                                                        \
        role, "SELECT " col " FROM " REG_TABLE " WHERE id = $1",                                             \
            "UPDATE " REG_TABLE " SET " col " = $1 WHERE id = $2"                                            \
    }
static const struct {
    const char *role, *select, *update;
} party_fields[] = {
    PARTY("owner", "owner_id"),
    PARTY("contractor", "contractor_id"),
    PARTY("supervisor_firm", "supervisor_firm_id"),
    PARTY("designer", "designer_id"),
    PARTY("surveyor", "surveyor_id"),
};

static jg_rc apply_parties(apply *x)
{
    json_t *rows = json_object_get(x->change, "parties"), *row;
    size_t i;
    if (json_array_size(rows) == 0)
        return refuse(x, "请填写责任单位变更明细");
    json_array_foreach(rows, i, row)
    {
        const char *role = str(row, "party_role");
        int field = -1;
        int64_t old = num(row, "old_enterprise_id"), neu = num(row, "new_enterprise_id");
        for (size_t f = 0; f < sizeof(party_fields) / sizeof(party_fields[0]) && role != NULL; f++)
            if (strcmp(party_fields[f].role, role) == 0)
                field = (int)f;
        const char *what = label(x, "party_role", role);
        if (field < 0)
            return refuse(x, "项目报监记录中没有“%s”这类责任单位，不能变更", what);
        if (old == neu)
            return refuse(x, "%s的新单位与原单位相同（%s）", what, enterprise(x, old));
        jg_rows *r = NULL;
        jg_value p[] = {JG_VINT(x->project_id)};
        jg_rc rc = jg_db_query(x->c, party_fields[field].select, p, 1, &r);
        if (rc != JG_OK)
            return rc;
        int64_t now = jg_rows_count(r) == 1 && jg_rows_text(r, 0, 0) != NULL ? jg_rows_int(r, 0, 0) : 0;
        jg_rows_free(r);
        if (now != old)
            return refuse(x, "项目的%s现为“%s”，不是申请中的原单位“%s”，请核对后重新申请", what,
                          now != 0 ? enterprise(x, now) : "未填写", enterprise(x, old));
        jg_value u[] = {JG_VINT(neu), JG_VINT(x->project_id)};
        rc = jg_db_exec(x->c, party_fields[field].update, u, 2, NULL);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

static int core_role(const char *role)
{
    return strcmp(role, "project_manager") == 0 || strcmp(role, "chief_supervisor") == 0;
}

/* The one-active-project rule of registration, as the rule registration.check has it by default
 * (defs/rules/registration_check.lua): a project manager or chief supervisor holds no core post on
 * another declaration that is submitted, accepted, returned or registered, a registered project
 * whose planned finish is past no longer counting. That rule reads facts gathered for a whole
 * declaration at submission (src/modules/registration), so a change checks its one person here. */
static jg_rc core_free(apply *x, int64_t who, const char *role)
{
    char today[16];
    int64_t t = 0;
    if (x->s->now == NULL || !jg_time_parse_iso(x->s->now, &t))
        t = 0;
    jg_time_business_date(t, today, sizeof(today));
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(who), JG_VINT(x->project_id), JG_VTEXT(today)};
    jg_rc rc =
        jg_db_query(x->c,
                    "SELECT r.project_name, p.person_role FROM " REG_PERSONS " p JOIN " REG_TABLE
                    " r ON r.id = p.parent_id WHERE p.person_id = $1 AND p.person_role IN"
                    " ('project_manager', 'chief_supervisor') AND r.id <> $2 AND r.state IN " ACTIVE_STATES
                    " AND NOT (r.state = 'registered' AND r.planned_finish_on IS NOT NULL"
                    " AND r.planned_finish_on < $3) ORDER BY r.id LIMIT 1",
                    p, 3, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 1) {
        const char *other = jg_arena_strdup(x->a, jg_rows_text(r, 0, 0));
        const char *post = label(x, "person_role", jg_rows_text(r, 0, 1));
        jg_rows_free(r);
        return refuse(x, "人员“%s”已是在建项目“%s”的%s，不能同时担任本项目的%s", person(x, who), other, post,
                      label(x, "person_role", role));
    }
    jg_rows_free(r);
    return JG_OK;
}

/* 施工、监理等人员变更 (a new person in the post) or 核销 (no new person: the post's row goes). */
static jg_rc apply_persons(apply *x)
{
    json_t *rows = json_object_get(x->change, "persons"), *row;
    size_t i;
    if (json_array_size(rows) == 0)
        return refuse(x, "请填写人员变更明细");
    json_array_foreach(rows, i, row)
    {
        const char *party = str(row, "party_role"), *role = str(row, "person_role"),
                   *cert = str(row, "certificate_no");
        int64_t old = num(row, "old_person_id"), neu = num(row, "new_person_id"), count, id;
        if (party == NULL || role == NULL)
            return refuse(x, "人员变更明细不完整");
        const char *post = label(x, "person_role", role);
        jg_value p[] = {JG_VINT(x->project_id), JG_VINT(old), JG_VTEXT(role), JG_VTEXT(party)};
        jg_rc rc = count_rows(x,
                              "SELECT id FROM " REG_PERSONS " WHERE parent_id = $1 AND person_id = $2"
                              " AND person_role = $3 AND party_role = $4 ORDER BY seq, id",
                              p, 4, &count, &id);
        if (rc != JG_OK)
            return rc;
        if (count == 0)
            return refuse(x, "人员“%s”不在项目“%s”的%s（%s）岗位上，可能已变更或核销", person(x, old),
                          x->project, post, label(x, "party_role", party));
        jg_value d[] = {JG_VINT(id)};
        if (neu == 0) {
            rc = jg_db_exec(x->c, "DELETE FROM " REG_PERSONS " WHERE id = $1", d, 1, NULL);
            if (rc != JG_OK)
                return rc;
            continue;
        }
        if (neu == old)
            return refuse(x, "新人员与原人员相同（%s）", person(x, old));
        jg_value q[] = {JG_VINT(x->project_id), JG_VINT(neu), JG_VTEXT(role)};
        rc = count_rows(
            x, "SELECT id FROM " REG_PERSONS " WHERE parent_id = $1 AND person_id = $2 AND person_role = $3",
            q, 3, &count, NULL);
        if (rc != JG_OK)
            return rc;
        if (count > 0)
            return refuse(x, "人员“%s”已在本项目的%s岗位上", person(x, neu), post);
        if (core_role(role) && (rc = core_free(x, neu, role)) != JG_OK)
            return rc;
        jg_value u[] = {JG_VINT(neu), cert != NULL ? JG_VTEXT(cert) : JG_VNULL, JG_VINT(id)};
        rc = jg_db_exec(x->c, "UPDATE " REG_PERSONS " SET person_id = $1, certificate_no = $2 WHERE id = $3",
                        u, 3, NULL);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

/* 单位工程划分子单位工程, 拆分, 合并, 删除: the named units go, the new ones come with the same total
 * area (their stored rows copied, the fields of to_units being those of registration.units). */
static jg_rc apply_units(apply *x)
{
    json_t *from = json_object_get(x->change, "from_units"), *to = json_object_get(x->change, "to_units"),
           *row;
    size_t nf = json_array_size(from), nt = json_array_size(to), i;
    int merge = strcmp(x->kind, "unit_merge") == 0, del = strcmp(x->kind, "unit_delete") == 0;
    if (nf > JG_RECORD_MAX_CHILD_ROWS)
        return refuse(x, "原单体过多");
    if (merge && (nf < 2 || nt != 1))
        return refuse(x, "单体合并应填写两个以上原单体和一个合并后的单体");
    if (del && nf < 1)
        return refuse(x, "请填写要删除的单体");
    if (!merge && !del && (nf != 1 || nt < 2))
        return refuse(x, "%s应填写一个原单体和两个以上变更后的单体", x->kind_label);
    int64_t ids[JG_RECORD_MAX_CHILD_ROWS], sum_from = 0;
    json_array_foreach(from, i, row)
    {
        const char *name = str(row, "unit_name");
        jg_rows *r = NULL;
        jg_value p[] = {JG_VINT(x->project_id), JG_VTEXT(name != NULL ? name : "")};
        jg_rc rc = jg_db_query(
            x->c, "SELECT id, area FROM " REG_UNITS " WHERE parent_id = $1 AND unit_name = $2", p, 2, &r);
        if (rc != JG_OK)
            return rc;
        int n = jg_rows_count(r);
        ids[i] = n > 0 ? jg_rows_int(r, 0, 0) : 0;
        sum_from += n > 0 ? jg_rows_int(r, 0, 1) : 0;
        jg_rows_free(r);
        if (n == 0)
            return refuse(x, "项目“%s”中没有名为“%s”的单体", x->project, name != NULL ? name : "");
        if (n > 1)
            return refuse(x, "项目中有 %d 个名为“%s”的单体，无法确定变更哪一个，请先更正单体名称", n, name);
        for (size_t j = 0; j < i; j++)
            if (ids[j] == ids[i])
                return refuse(x, "原单体“%s”重复填写", name);
    }
    if (nt > 0) {
        jg_rows *r = NULL;
        jg_value p[] = {JG_VINT(x->change_id)};
        jg_rc rc = jg_db_query(
            x->c, "SELECT COALESCE(SUM(area), 0) FROM e_project_change__to_units WHERE parent_id = $1", p, 1,
            &r);
        if (rc != JG_OK)
            return rc;
        int64_t sum_to = jg_rows_int(r, 0, 0);
        jg_rows_free(r);
        if (sum_to != sum_from)
            return refuse(x, "变更后单体面积之和 %s 平方米与原单体面积%s %s 平方米不一致",
                          area_text(x, sum_to), nf > 1 ? "之和" : "", area_text(x, sum_from));
    }
    for (size_t j = 0; j < nf; j++) {
        jg_value d[] = {JG_VINT(ids[j])};
        jg_rc rc = jg_db_exec(x->c, "DELETE FROM " REG_UNITS " WHERE id = $1", d, 1, NULL);
        if (rc != JG_OK)
            return rc;
    }
    if (nt == 0)
        return JG_OK;
    /* The new names must not clash with the units that stay, nor with each other. */
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(x->change_id), JG_VINT(x->project_id)};
    jg_rc rc = jg_db_query(
        x->c,
        "SELECT t.unit_name FROM e_project_change__to_units t WHERE t.parent_id = $1 AND"
        " (EXISTS (SELECT 1 FROM " REG_UNITS " u WHERE u.parent_id = $2 AND u.unit_name = t.unit_name)"
        " OR EXISTS (SELECT 1 FROM e_project_change__to_units o WHERE o.parent_id = t.parent_id"
        " AND o.unit_name = t.unit_name AND o.id <> t.id)) ORDER BY t.seq LIMIT 1",
        p, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 1) {
        const char *name = jg_arena_strdup(x->a, jg_rows_text(r, 0, 0));
        jg_rows_free(r);
        return refuse(x, "变更后的单体名称“%s”与项目中其他单体重名", name);
    }
    jg_rows_free(r);
    jg_value q[] = {JG_VINT(x->project_id), JG_VINT(x->change_id)};
    return jg_db_exec(
        x->c,
        "INSERT INTO " REG_UNITS " (parent_id, seq, unit_name, structure_type, unit_use, floors_above,"
        " floors_below, height, area) SELECT $1, t.seq + 1 + (SELECT COALESCE(MAX(u.seq), 0) FROM " REG_UNITS
        " u WHERE u.parent_id = $1), t.unit_name, t.structure_type, t.unit_use, t.floors_above,"
        " t.floors_below, t.height, t.area FROM e_project_change__to_units t WHERE t.parent_id = $2",
        q, 2, NULL);
}

/* 危险源信息解除: each row names a hazard of the record by kind (and description when several). */
static jg_rc apply_hazards(apply *x)
{
    json_t *rows = json_object_get(x->change, "hazards"), *row;
    size_t i;
    if (json_array_size(rows) == 0)
        return refuse(x, "请填写要解除的危险源");
    json_array_foreach(rows, i, row)
    {
        const char *kind = str(row, "hazard_kind"), *desc = str(row, "description");
        const char *what = label(x, "hazard_kind", kind);
        jg_value p[] = {JG_VINT(x->project_id), JG_VTEXT(kind != NULL ? kind : ""),
                        desc != NULL ? JG_VTEXT(desc) : JG_VNULL};
        int64_t count, id;
        jg_rc rc = count_rows(
            x,
            desc != NULL ? "SELECT id FROM " REG_HAZARDS
                           " WHERE parent_id = $1 AND hazard_kind = $2 AND description = $3 ORDER BY seq, id"
                         : "SELECT id FROM " REG_HAZARDS
                           " WHERE parent_id = $1 AND hazard_kind = $2 ORDER BY seq, id",
            p, desc != NULL ? 3 : 2, &count, &id);
        if (rc != JG_OK)
            return rc;
        if (count == 0)
            return refuse(x, "项目“%s”中没有%s“%s”危险源，可能已经解除", x->project,
                          desc != NULL ? "工程概况相符的" : "", what);
        if (count > 1 && desc == NULL)
            return refuse(x, "项目中有 %lld 项“%s”危险源，请填写工程概况以指明解除哪一项", (long long)count,
                          what);
        jg_value d[] = {JG_VINT(id)};
        rc = jg_db_exec(x->c, "DELETE FROM " REG_HAZARDS " WHERE id = $1", d, 1, NULL);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

/* A history row of record id of entity, by the caller, action "change". */
static jg_rc history_of(apply *x, const char *entity, int64_t id, const char *child, const char *field,
                        json_t *old_value, json_t *new_value)
{
    const jg_principal *p = x->req->principal;
    char *old_text = old_value != NULL ? json_dumps(old_value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *new_text = new_value != NULL ? json_dumps(new_value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    jg_value v[] = {JG_VTEXT(entity),
                    JG_VINT(id),
                    child != NULL ? JG_VTEXT(child) : JG_VNULL,
                    JG_VTEXT(field),
                    old_text != NULL ? JG_VTEXT(old_text) : JG_VNULL,
                    new_text != NULL ? JG_VTEXT(new_text) : JG_VNULL,
                    p != NULL && p->user_id > 0 ? JG_VINT(p->user_id) : JG_VNULL,
                    p != NULL && p->username != NULL ? JG_VTEXT(p->username) : JG_VNULL,
                    JG_VTEXT(x->s->now)};
    jg_rc rc = jg_db_exec(
        x->c,
        "INSERT INTO entity_history (entity, record_id, child, field, old_value, new_value, user_id,"
        " username, at, action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'change')",
        v, 9, NULL);
    free(old_text);
    free(new_text);
    return rc;
}

static jg_rc history_row(apply *x, const char *child, const char *field, json_t *old_value, json_t *new_value)
{
    return history_of(x, REG, x->project_id, child, field, old_value, new_value);
}

/* The opinion of the completion that led to this step (flow_log, written before the service
 * task runs), in the arena, or NULL. */
static const char *opinion(apply *x)
{
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(x->s->instance)};
    const char *out = NULL;
    if (jg_db_query(x->c,
                    "SELECT opinion FROM flow_log WHERE instance_id = $1 AND action LIKE 'complete:%'"
                    " ORDER BY id DESC LIMIT 1",
                    p, 1, &r) == JG_OK &&
        jg_rows_count(r) == 1 && jg_rows_text(r, 0, 0) != NULL && jg_rows_text(r, 0, 0)[0] != '\0')
        out = jg_arena_strdup(x->a, jg_rows_text(r, 0, 0));
    jg_rows_free(r);
    return out;
}

#define REMARK_MAX 1000 /* characters of project_change.result_remark */

/* 申报结果备注 of a project deletion: the approver's opinion (the station's remark, whatever the
 * applicant wrote there), when it fits the field. */
static jg_rc result_remark(apply *x, const char *text)
{
    size_t chars = 0;
    for (const char *c = text; c != NULL && *c != '\0'; c++)
        chars += ((unsigned char)*c & 0xC0) != 0x80;
    json_t *old = json_object_get(x->change, "result_remark");
    if (text == NULL || chars > REMARK_MAX ||
        (json_is_string(old) && strcmp(json_string_value(old), text) == 0))
        return JG_OK;
    jg_value p[] = {JG_VTEXT(text), JG_VINT(x->change_id)};
    jg_rc rc = jg_db_exec(x->c, "UPDATE e_project_change SET result_remark = $1 WHERE id = $2", p, 2, NULL);
    json_t *n = json_string(text);
    if (rc == JG_OK)
        rc = n != NULL ? history_of(x, x->entity, x->change_id, NULL, "result_remark", old, n) : JG_NOMEM;
    json_decref(n);
    return rc;
}

/* The history of the change: a row per changed field or child table (after NULL: the record was
 * deleted), names of what changed appended to changed. */
static jg_rc history(apply *x, json_t *after, json_t *changed)
{
    const jg_entity *e = x->rk->e;
    jg_rc rc = JG_OK;
    if (after == NULL) {
        json_t *o = json_string("registered"), *n = json_string("deleted");
        json_array_append_new(changed, json_string("state"));
        rc = history_row(x, NULL, "state", o, n);
        json_decref(o);
        json_decref(n);
        return rc;
    }
    for (int f = 0; f < e->nfields && rc == JG_OK; f++) {
        const char *name = e->fields[f].name;
        json_t *o = json_object_get(x->before, name), *n = json_object_get(after, name);
        if (json_equal(o, n))
            continue;
        json_array_append_new(changed, json_string(name));
        rc = history_row(x, NULL, name, o, n);
    }
    for (int ch = 0; ch < e->nchildren && rc == JG_OK; ch++) {
        const char *name = e->children[ch].name;
        json_t *o = json_object_get(x->before, name), *n = json_object_get(after, name);
        if (json_equal(o, n))
            continue;
        json_array_append_new(changed, json_string(name));
        rc = history_row(x, name, name, o, n); /* the child's rows as a whole, as the records API writes */
    }
    return rc;
}

/* 核心人员请假: nothing of the record changes; the person must still be in the post, and the leave is
 * noted in the record's history. */
static jg_rc apply_leave(apply *x, json_t *changed)
{
    int64_t who = num(x->change, "person_id"), sub = num(x->change, "substitute_id"), count;
    const char *role = str(x->change, "person_role"), *from = str(x->change, "leave_from"),
               *to = str(x->change, "leave_to");
    if (role == NULL || from == NULL || to == NULL)
        return refuse(x, "请假申请不完整");
    if (strcmp(to, from) < 0)
        return refuse(x, "请假结束日期不能早于开始日期");
    if (sub == who)
        return refuse(x, "代岗人员不能是请假人员本人");
    jg_value p[] = {JG_VINT(x->project_id), JG_VINT(who), JG_VTEXT(role)};
    jg_rc rc = count_rows(
        x, "SELECT id FROM " REG_PERSONS " WHERE parent_id = $1 AND person_id = $2 AND person_role = $3", p,
        3, &count, NULL);
    if (rc != JG_OK)
        return rc;
    if (count == 0)
        return refuse(x, "人员“%s”不在项目“%s”的%s岗位上，不能请假", person(x, who), x->project,
                      label(x, "person_role", role));
    json_t *leave = json_pack("{s:I, s:s, s:s, s:s, s:o}", "person_id", (json_int_t)who, "person_role", role,
                              "leave_from", from, "leave_to", to, "substitute_id",
                              sub != 0 ? json_integer(sub) : json_null());
    if (leave == NULL)
        return JG_NOMEM;
    json_array_append_new(changed, json_string("leave"));
    rc = history_row(x, NULL, "leave", NULL, leave);
    json_decref(leave);
    return rc;
}

/* Only the detail tables of the kind may hold rows: a party change with unit rows is a mistake
 * the applicant should see rather than have ignored. */
static jg_rc only_children(apply *x)
{
    static const struct {
        const char *kind, *children;
    } uses[] = {
        {"party", ",parties,"},
        {"person", ",persons,"},
        {"unit_divide", ",from_units,to_units,"},
        {"unit_split", ",from_units,to_units,"},
        {"unit_merge", ",from_units,to_units,"},
        {"unit_delete", ",from_units,"},
        {"hazard_release", ",hazards,"},
        {"project_delete", ","},
    };
    const char *allowed = NULL;
    for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
        if (strcmp(uses[i].kind, x->kind) == 0)
            allowed = uses[i].children;
    if (allowed == NULL)
        return refuse(x, "未知的变更类别“%s”", x->kind);
    const jg_entity *e = x->ck->e;
    for (int ch = 0; ch < e->nchildren; ch++) {
        char key[48];
        snprintf(key, sizeof(key), ",%s,", e->children[ch].name);
        if (strstr(allowed, key) == NULL &&
            json_array_size(json_object_get(x->change, e->children[ch].name)) > 0)
            return refuse(x, "变更类别为“%s”时不应填写“%s”", x->kind_label, e->children[ch].label);
    }
    return JG_OK;
}

static const char *state_label(apply *x, const char *state)
{
    const jg_entity *e = x->rk != NULL ? x->rk->e : NULL;
    for (int i = 0; e != NULL && i < e->nstates; i++)
        if (strcmp(e->states[i].name, state) == 0)
            return e->states[i].label;
    return strcmp(state, "deleted") == 0 ? "已删除" : state;
}

/* The project as it is, whatever the caller's scope: registered, in the application's region,
 * with the applicant among its parties. */
static jg_rc check_project(apply *x)
{
    const jg_entity *re = jg_entity_find(&jg_records_of(x->req)->set, REG);
    x->rk = re != NULL ? jg_record_kind_for(x->req, re) : NULL;
    if (x->rk == NULL)
        return refuse(x, "没有项目报监这类业务记录");
    /* The record's row lock first (PostgreSQL; SQLite serialises writers anyway), so two changes of
     * one project approved at once apply one after the other, the second checked against the first. */
    jg_value p[] = {JG_VINT(x->project_id)};
    jg_rc rc = jg_db_exec(x->c, "UPDATE " REG_TABLE " SET version = version WHERE id = $1", p, 1, NULL);
    if (rc != JG_OK)
        return rc;
    jg_rows *r = NULL;
    rc = jg_db_query(x->c,
                     "SELECT state, org_code, project_name, applicant_id, owner_id, contractor_id,"
                     " supervisor_firm_id, designer_id, surveyor_id FROM " REG_TABLE " WHERE id = $1",
                     p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return refuse(x, "变更的项目（编号 %lld）不存在", (long long)x->project_id);
    }
    const char *state = jg_arena_strdup(x->a, jg_rows_text(r, 0, 0));
    const char *org = jg_arena_strdup(x->a, jg_rows_text(r, 0, 1) != NULL ? jg_rows_text(r, 0, 1) : "");
    x->project = jg_arena_strdup(x->a, jg_rows_text(r, 0, 2) != NULL ? jg_rows_text(r, 0, 2) : "");
    int64_t applicant = num(x->change, "applicant_id");
    int party = 0;
    for (int col = 3; col <= 8; col++)
        if (jg_rows_text(r, 0, col) != NULL && jg_rows_int(r, 0, col) == applicant)
            party = 1;
    jg_rows_free(r);
    if (strcmp(state, "registered") != 0)
        return refuse(x, "项目“%s”当前为“%s”，只有已登记的项目才能办理%s", x->project, state_label(x, state),
                      x->kind_label);
    const char *corg = str(x->change, "org_code");
    if (corg == NULL || strcmp(corg, org) != 0)
        return refuse(x, "申请填写的项目所在地与项目“%s”的报监记录不一致", x->project);
    if (!party)
        return refuse(x, "申请单位“%s”不是项目“%s”的参建单位，不能申请%s", enterprise(x, applicant),
                      x->project, x->kind_label);
    rc = load(x, REG, x->project_id, &x->before, &x->rk);
    return rc == JG_NOTFOUND ? refuse(x, "项目“%s”不在本人数据权限范围内", x->project) : rc;
}

static jg_rc run(apply *x)
{
    int leave = strcmp(x->entity, "person_leave") == 0;
    x->kind = leave ? "leave" : str(x->change, "change_kind");
    if (x->kind == NULL)
        return refuse(x, "变更申请没有填写变更类别");
    x->kind_label = leave ? "核心人员请假" : label(x, "project_change_kind", x->kind);
    x->project_id = num(x->change, "project_id");
    jg_rc rc = leave ? JG_OK : only_children(x);
    if (rc == JG_OK)
        rc = check_project(x);
    if (rc != JG_OK)
        return rc;

    json_t *changed = json_array(), *after = NULL;
    const jg_principal *who = x->req->principal;
    int deleted = strcmp(x->kind, "project_delete") == 0;
    if (leave)
        rc = apply_leave(x, changed);
    else if (strcmp(x->kind, "party") == 0)
        rc = apply_parties(x);
    else if (strcmp(x->kind, "person") == 0)
        rc = apply_persons(x);
    else if (strncmp(x->kind, "unit_", 5) == 0)
        rc = apply_units(x);
    else if (strcmp(x->kind, "hazard_release") == 0)
        rc = apply_hazards(x);
    if (rc == JG_OK && !leave) {
        /* The record moves on one version, by the approver, whatever changed (deleted: its state). */
        jg_value p[] = {JG_VTEXT(deleted ? "deleted" : "registered"),
                        who != NULL && who->user_id > 0 ? JG_VINT(who->user_id) : JG_VNULL,
                        JG_VTEXT(x->s->now), JG_VINT(x->project_id)};
        rc = jg_db_exec(x->c,
                        "UPDATE " REG_TABLE
                        " SET state = $1, version = version + 1, updated_by = $2, updated_at = $3"
                        " WHERE id = $4",
                        p, 4, NULL);
    }
    if (rc == JG_OK && !leave && !deleted) {
        const jg_record_kind *k;
        rc = load(x, REG, x->project_id, &after, &k);
    }
    if (rc == JG_OK && !leave)
        rc = history(x, after, changed);
    if (rc == JG_OK) {
        /* The row that ties the change to the application: which, what kind, who applied, the
         * approver's opinion. */
        const char *said = opinion(x);
        json_t *ref = json_pack("{s:s, s:I, s:s, s:s, s:s?, s:s?}", "entity", x->entity, "id",
                                (json_int_t)x->change_id, "kind", x->kind, "kind_label", x->kind_label,
                                "applicant", x->applicant, "opinion", said);
        rc = ref != NULL ? history_row(x, NULL, "project_change", NULL, ref) : JG_NOMEM;
        json_decref(ref);
        if (rc == JG_OK && deleted)
            rc = result_remark(x, said);
    }
    if (rc == JG_OK) {
        char rid[24];
        snprintf(rid, sizeof(rid), "%lld", (long long)x->project_id);
        rc = jg_audit_req(x->c, x->req, "project_change_apply", REG, rid,
                          json_pack("{s:s, s:I, s:s, s:O}", "change", x->entity, "change_id",
                                    (json_int_t)x->change_id, "kind", x->kind, "fields", changed));
    }
    if (rc == JG_OK)
        x->s->log = jg_arena_printf(x->a, "%s（%s 第 %lld 号）已%s项目“%s”（编号 %lld）", x->kind_label,
                                    leave ? "请假申请" : "变更申请", (long long)x->change_id,
                                    leave     ? "记入"
                                    : deleted ? "删除"
                                              : "写入",
                                    x->project, (long long)x->project_id);
    json_decref(after);
    json_decref(changed);
    return rc;
}

jg_rc jg_project_change_apply(jg_flow_service *s)
{
    apply x = {.s = s, .c = s->c, .req = s->req, .a = s->req->arena};
    jg_rows *r = NULL;
    jg_value p[] = {JG_VINT(s->instance)};
    jg_rc rc = jg_db_query(s->c,
                           "SELECT i.entity, i.record_id, u.username FROM flow_instance i"
                           " LEFT JOIN app_user u ON u.id = i.started_by WHERE i.id = $1",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) != 1) {
        jg_rows_free(r);
        return JG_ERR;
    }
    x.entity = jg_arena_strdup(x.a, jg_rows_text(r, 0, 0));
    x.change_id = jg_rows_int(r, 0, 1);
    x.applicant = jg_rows_text(r, 0, 2) != NULL ? jg_arena_strdup(x.a, jg_rows_text(r, 0, 2)) : NULL;
    jg_rows_free(r);
    if (strcmp(x.entity, "project_change") != 0 && strcmp(x.entity, "person_leave") != 0)
        return refuse(&x, "流程的节点 %s 只能用于项目变更或核心人员请假，不能用于“%s”", s->node, x.entity);
    rc = load(&x, x.entity, x.change_id, &x.change, &x.ck);
    if (rc == JG_NOTFOUND)
        return refuse(&x, "变更申请不存在或不在本人数据权限范围内");
    if (rc == JG_OK)
        rc = run(&x);
    json_decref(x.change);
    json_decref(x.before);
    return rc;
}

jg_rc jg_project_change_check(jg_flow_service *s)
{
    /* The whole apply inside a savepoint rolled back: the check is exactly what approval will do. */
    jg_rc rc = jg_db_exec(s->c, "SAVEPOINT project_change_check", NULL, 0, NULL);
    if (rc != JG_OK)
        return rc;
    rc = jg_project_change_apply(s);
    jg_rc back = jg_db_exec(s->c, "ROLLBACK TO SAVEPOINT project_change_check", NULL, 0, NULL);
    if (back == JG_OK)
        back = jg_db_exec(s->c, "RELEASE SAVEPOINT project_change_check", NULL, 0, NULL);
    if (rc == JG_OK)
        rc = back;
    if (rc == JG_OK)
        s->log = "已核对：申请与项目当前情况相符";
    return rc;
}

static jg_rc init(jg_app *app)
{
    (void)app;
    jg_flow_action_set("project_change.check", jg_project_change_check);
    jg_flow_action_set("project_change.apply", jg_project_change_apply);
    return JG_OK;
}

/* Project changes' steps (no routes: the records and flow APIs serve them). */
const jg_module jg_module_project_change = {"project_change", NULL, init, NULL};
