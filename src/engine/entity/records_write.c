/* The records API of the entity engine, writes: create, update with version, delete as a state.
 *
 * Each write is one transaction: the references and unique fields are checked, the row and its
 * children written, the data scope checked on the result (nobody writes a record outside their
 * scope), the history (修改痕迹) written field by field, and the audit row appended. Values are
 * converted and validated before the transaction (value.c), so a bad request touches nothing. */
#include "engine/entity/records.h"

#include "base/mem.h"
#include "base/text.h"
#include "base/timeutil.h"
#include "engine/entity/schema.h"
#include "engine/entity/value.h"
#include "platform/dict.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STALE "记录已被他人修改，请刷新后重试"
#define NOT_FOUND "记录不存在"

/* The converted values of one object (a record or a child row): one per field of its entity. */
struct values {
    jg_value *v;
    int *given;                /* the field was in the request (create: always) */
    const char **bidx, **mask; /* sealed fields: the blind index and the masked form, else NULL */
};

/* The rows of one child table when the request gives them (they replace the stored ones). */
struct child_rows {
    const jg_record_kind *ck;
    int given, nrows;
    struct values *rows;
};

struct write {
    jg_req *req;
    const jg_record_kind *k;
    int64_t id, version;
    struct values top;
    struct child_rows *children;
    jg_refusal refusal;
    char now[32];
    json_t *out;            /* the record after the write, as the caller sees it */
    jg_record_cache *cache; /* reference checks already made (batches), or NULL */
    json_t *refused;        /* the fields the guard refused (an update in a process), or NULL */
    int no_update;          /* an update by a caller without the entity's update permission */
    const char *readonly;   /* an update of a record in a readonly state: the state's label */
};

static jg_record_guard_fn guard;

void jg_record_guard_set(jg_record_guard_fn fn)
{
    guard = fn;
}

/* ---- a cache of reference checks for batches (the import) ---- */

#define CACHE_SLOTS 8192 /* power of two; filled to 3/4 at most, then checks are no longer cached */

struct jg_record_cache {
    char *key[CACHE_SLOTS];
    int value[CACHE_SLOTS];
    int used;
};

jg_record_cache *jg_record_cache_new(void)
{
    return jg_xcalloc(1, sizeof(jg_record_cache));
}

void jg_record_cache_free(jg_record_cache *cache)
{
    if (cache == NULL)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        free(cache->key[i]);
    free(cache);
}

/* The slot of key: where it is, or the empty slot where it would go. */
static int cache_slot(const jg_record_cache *cache, const char *key)
{
    int i = (int)(jg_fnv1a(key) & (CACHE_SLOTS - 1));
    while (cache->key[i] != NULL && strcmp(cache->key[i], key) != 0)
        i = (i + 1) & (CACHE_SLOTS - 1);
    return i;
}

/* 1 with *value when key was cached. */
static int cache_get(const jg_record_cache *cache, const char *key, int *value)
{
    if (cache == NULL)
        return 0;
    int i = cache_slot(cache, key);
    if (cache->key[i] == NULL)
        return 0;
    *value = cache->value[i];
    return 1;
}

static void cache_put(jg_record_cache *cache, const char *key, int value)
{
    if (cache == NULL || cache->used >= CACHE_SLOTS * 3 / 4)
        return;
    int i = cache_slot(cache, key);
    if (cache->key[i] == NULL) {
        cache->key[i] = jg_xstrdup(key);
        cache->used++;
    }
    cache->value[i] = value;
}

/* Convert the members of obj for entity e into vals. create: absent fields take their default
 * (or null). Field errors go to fields under prefix + name. */
static void convert(jg_req *req, const jg_entity *e, json_t *obj, int create, struct values *vals,
                    json_t *fields, const char *prefix)
{
    vals->v = jg_arena_zalloc(req->arena, sizeof(jg_value) * (size_t)(e->nfields + 1));
    vals->given = jg_arena_zalloc(req->arena, sizeof(int) * (size_t)(e->nfields + 1));
    vals->bidx = jg_arena_zalloc(req->arena, sizeof(char *) * (size_t)(e->nfields + 1));
    vals->mask = jg_arena_zalloc(req->arena, sizeof(char *) * (size_t)(e->nfields + 1));
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        json_t *v = json_object_get(obj, f->name);
        if (v == NULL && !create)
            continue;
        if (v == NULL)
            v = f->default_value;
        vals->given[i] = 1;
        const char *message = NULL;
        char *key = jg_arena_printf(req->arena, "%s%s", prefix, f->name);
        if (jg_value_from_json(f, v, req->arena, &vals->v[i], &message) != JG_OK) {
            jg_field_error(fields, key, message != NULL ? message : "取值不正确");
            continue;
        }
        if (f->data_class >= JG_CLASS_SENSITIVE && vals->v[i].type == JG_V_TEXT) {
            const char *sealed;
            if (jg_record_seal(req, e, f, vals->v[i].s, &sealed, &vals->bidx[i], &vals->mask[i]) != JG_OK)
                jg_field_error(fields, key, "无法加密保存，请联系管理员");
            vals->v[i] = JG_VTEXT(sealed);
        }
    }
}

/* 1 when key names a field or child table of e (or is one of the extra names allowed). */
static int known_key(const jg_entity *e, const char *key, const char *extra)
{
    if (extra != NULL && strcmp(key, extra) == 0)
        return 1;
    if (jg_entity_field(e, key) != NULL)
        return 1;
    for (int c = 0; c < e->nchildren; c++)
        if (strcmp(e->children[c].name, key) == 0)
            return 1;
    return 0;
}

static void unknown_keys(const jg_entity *e, json_t *obj, const char *extra, json_t *fields,
                         const char *prefix, jg_arena *a)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!known_key(e, key, extra))
            jg_field_error(fields, jg_arena_printf(a, "%s%s", prefix, key), "不支持的字段");
    }
}

/* Read the whole body: top-level fields and child rows. */
static void read_body(struct write *w, json_t *body, int create, json_t *fields)
{
    jg_req *req = w->req;
    const jg_entity *e = w->k->e;
    unknown_keys(e, body, create ? NULL : "version", fields, "", req->arena);
    convert(req, e, body, create, &w->top, fields, "");
    w->children = jg_arena_zalloc(req->arena, sizeof(*w->children) * (size_t)(e->nchildren + 1));
    for (int c = 0; c < e->nchildren; c++) {
        const jg_entity *ce = &e->children[c];
        struct child_rows *cr = &w->children[c];
        cr->ck = jg_record_kind_for(req, ce);
        json_t *rows = json_object_get(body, ce->name);
        if (rows == NULL)
            continue;
        cr->given = 1;
        if (!json_is_array(rows) || json_array_size(rows) > JG_RECORD_MAX_CHILD_ROWS) {
            jg_field_error(
                fields, ce->name,
                jg_arena_printf(req->arena, "%s应为列表，最多 %d 行", ce->label, JG_RECORD_MAX_CHILD_ROWS));
            continue;
        }
        cr->nrows = (int)json_array_size(rows);
        cr->rows = jg_arena_zalloc(req->arena, sizeof(*cr->rows) * (size_t)(cr->nrows + 1));
        for (int i = 0; i < cr->nrows; i++) {
            json_t *row = json_array_get(rows, (size_t)i);
            char *prefix = jg_arena_printf(req->arena, "%s[%d].", ce->name, i);
            if (!json_is_object(row)) {
                jg_field_error(fields, jg_arena_printf(req->arena, "%s[%d]", ce->name, i), "每一行应为对象");
                continue;
            }
            unknown_keys(ce, row, NULL, fields, prefix, req->arena);
            convert(req, ce, row, 1, &cr->rows[i], fields, prefix);
        }
    }
}

/* 1 for the types whose checks a batch may remember: they depend on the value and the caller only. */
static int cacheable(jg_field_type t)
{
    return t == JG_FIELD_ENUM || t == JG_FIELD_REGION || t == JG_FIELD_ENTERPRISE || t == JG_FIELD_PERSON ||
           t == JG_FIELD_REF;
}

/* 1 when a query on c finds a row. */
static jg_rc exists(jg_conn *c, const char *sql, const jg_value *p, int n, int *found)
{
    jg_rows *r;
    jg_rc rc = jg_db_query(c, sql, p, n, &r);
    if (rc == JG_OK) {
        *found = jg_rows_count(r) > 0;
        jg_rows_free(r);
    }
    return rc;
}

/* Check that what the values of e refer to exists (and, for records, lies in the caller's
 * scope), and that unique fields are unique. self: the record's own id (0 when new). */
static jg_rc check_values(struct write *w, jg_conn *c, const jg_entity *e, const struct values *vals,
                          int64_t self, const char *prefix)
{
    jg_req *req = w->req;
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        const jg_value *v = &vals->v[i];
        if (!vals->given[i] || v->type == JG_V_NULL)
            continue;
        const char *key = jg_arena_printf(req->arena, "%s%s", prefix, f->name);
        int found = 1;
        jg_rc rc = JG_OK;
        jg_buf sql;
        jg_buf_init(&sql, 4096);
        jg_value p[8] = {*v};
        int n = 1;
        /* Batches remember what they checked: found (bit 0) and enabled (bit 1) per field and value. */
        char *ckey = NULL;
        int cached = 0;
        if (w->cache != NULL && cacheable(f->type)) {
            ckey = v->type == JG_V_TEXT
                       ? jg_arena_printf(req->arena, "%s.%s:%s", e->name, f->name, v->s)
                       : jg_arena_printf(req->arena, "%s.%s:%lld", e->name, f->name, (long long)v->i);
            int bits;
            if (cache_get(w->cache, ckey, &bits)) {
                cached = 1;
                found = bits & 1;
                if (f->type == JG_FIELD_ENUM && found && !(bits & 2) && self == 0) {
                    jg_buf_free(&sql);
                    return jg_refuse(&w->refusal, JG_INVALID, key,
                                     jg_arena_printf(req->arena, "%s的选项已停用，请重新选择", f->label));
                }
            }
        }
        switch (cached ? JG_FIELD_STRING : f->type) {
        case JG_FIELD_ENUM: {
            /* A disabled item stays valid where it was chosen before, but is not chosen anew. */
            int enabled = 0;
            rc = jg_dict_item_exists(c, f->dict, v->s, &found, &enabled);
            if (rc == JG_OK && ckey != NULL)
                cache_put(w->cache, ckey, (found ? 1 : 0) | (enabled ? 2 : 0));
            if (rc == JG_OK && found && !enabled && self == 0) {
                jg_buf_free(&sql);
                return jg_refuse(&w->refusal, JG_INVALID, key,
                                 jg_arena_printf(req->arena, "%s的选项已停用，请重新选择", f->label));
            }
            break;
        }
        case JG_FIELD_REGION:
            rc = exists(c, "SELECT 1 FROM org WHERE code = $1", p, 1, &found);
            break;
        case JG_FIELD_ENTERPRISE:
            rc = exists(c, "SELECT 1 FROM enterprise WHERE id = $1 AND status = 'active'", p, 1, &found);
            break;
        case JG_FIELD_PERSON:
            rc = exists(c, "SELECT 1 FROM person WHERE id = $1 AND status = 'active'", p, 1, &found);
            break;
        case JG_FIELD_FILES: {
            const char *message = NULL;
            rc = jg_record_files_check(req, c, e, f, v->s, self, &message);
            if (rc == JG_INVALID) {
                jg_buf_free(&sql);
                return jg_refuse(&w->refusal, JG_INVALID, key, message);
            }
            break;
        }
        case JG_FIELD_REF: {
            /* A record one may not see is one that does not exist. */
            const jg_entity *target = jg_entity_find(&jg_records_of(req)->set, f->ref);
            const jg_record_kind *tk = target != NULL ? jg_record_kind_for(req, target) : NULL;
            if (tk == NULL) {
                found = 0;
                break;
            }
            jg_buf_puts(&sql, "SELECT 1 FROM ");
            jg_buf_puts(&sql, target->table);
            jg_buf_puts(&sql, " r WHERE r.id = $1 AND r.state <> 'deleted'");
            if (jg_record_scope(req, tk, &sql, p, &n) == JG_DENIED)
                found = 0;
            else
                rc = exists(c, sql.data, p, n, &found);
            break;
        }
        default:
            break;
        }
        if (rc == JG_OK && ckey != NULL && !cached && f->type != JG_FIELD_ENUM)
            cache_put(w->cache, ckey, found ? 1 : 0);
        if (rc == JG_OK && found && f->unique) {
            jg_buf u;
            jg_buf_init(&u, 1024);
            jg_buf_puts(&u, "SELECT 1 FROM ");
            jg_buf_puts(&u, e->table);
            jg_buf_puts(&u, " r WHERE r.");
            jg_buf_puts(&u, f->name);
            int sealed = f->data_class >= JG_CLASS_SENSITIVE;
            if (sealed) /* a sealed value is compared through its blind index */
                jg_buf_puts(&u, JG_SEALED_BIDX_SUFFIX);
            jg_buf_puts(&u, " = $1 AND r.id <> $2");
            jg_value q[3] = {sealed ? JG_VTEXT(vals->bidx[i]) : *v, JG_VINT(self)};
            int nq = 2;
            if (e->parent == NULL)
                jg_buf_puts(&u, " AND r.state <> 'deleted'");
            const jg_field *within = f->unique_within != NULL ? jg_entity_field(e, f->unique_within) : NULL;
            if (within != NULL) {
                q[nq++] = vals->v[within - e->fields];
                jg_buf_printf(&u, " AND r.%s = $3", within->name);
            }
            rc = exists(c, u.data, q, nq, &found);
            jg_buf_free(&u);
            if (rc == JG_OK && found) {
                jg_buf_free(&sql);
                return jg_refuse(&w->refusal, JG_CONFLICT, key,
                                 jg_arena_printf(req->arena, "%s已存在，不能重复", f->label));
            }
            found = 1;
        }
        jg_buf_free(&sql);
        if (rc != JG_OK)
            return rc;
        if (!found)
            return jg_refuse(&w->refusal, JG_INVALID, key, jg_arena_printf(req->arena, "%s不存在", f->label));
    }
    return JG_OK;
}

/* Append the columns of vals for entity e, from parameter $(*n + 1) on: for an INSERT
 * (update = 0) ", col…" to cols and ", $k…" to ph, every field; for an UPDATE ", col = $k…" to
 * cols, the given fields only. A sealed field also writes its blind index and mask columns. p
 * needs room for 3 * e->nfields more values. */
static void put_columns(const jg_entity *e, const struct values *vals, int update, jg_buf *cols, jg_buf *ph,
                        jg_value *p, int *n)
{
    for (int f = 0; f < e->nfields; f++) {
        if (update && !vals->given[f])
            continue;
        const char *name = e->fields[f].name;
        int sealed = e->fields[f].data_class >= JG_CLASS_SENSITIVE;
        const char *suffix[] = {"", JG_SEALED_BIDX_SUFFIX, JG_SEALED_MASK_SUFFIX};
        for (int k = 0; k < (sealed ? 3 : 1); k++) {
            const char *text = k == 1 ? vals->bidx[f] : vals->mask[f];
            p[(*n)++] = k == 0 ? vals->v[f] : text != NULL ? JG_VTEXT(text) : JG_VNULL;
            if (update) {
                jg_buf_printf(cols, ", %s%s = $%d", name, suffix[k], *n);
            } else {
                jg_buf_printf(cols, ", %s%s", name, suffix[k]);
                jg_buf_printf(ph, ", $%d", *n);
            }
        }
    }
}

/* Write the rows of each given child table of record id: the given rows replace the stored. */
static jg_rc write_children(struct write *w, jg_conn *c)
{
    const jg_entity *e = w->k->e;
    for (int ch = 0; ch < e->nchildren; ch++) {
        const struct child_rows *cr = &w->children[ch];
        const jg_entity *ce = &e->children[ch];
        if (!cr->given)
            continue;
        jg_buf sql;
        jg_buf_init(&sql, 8192);
        jg_buf_puts(&sql, "DELETE FROM ");
        jg_buf_puts(&sql, ce->table);
        jg_buf_puts(&sql, " WHERE parent_id = $1");
        jg_value pid[] = {JG_VINT(w->id)};
        jg_rc rc = jg_db_exec(c, sql.data, pid, 1, NULL);
        jg_buf_free(&sql);
        jg_value *p = jg_arena_alloc(w->req->arena, sizeof(jg_value) * (size_t)(3 * ce->nfields + 2));
        for (int i = 0; i < cr->nrows && rc == JG_OK; i++) {
            rc = check_values(w, c, ce, &cr->rows[i], 0,
                              jg_arena_printf(w->req->arena, "%s[%d].", ce->name, i));
            jg_buf cols, ph;
            jg_buf_init(&sql, 8192);
            jg_buf_init(&cols, 8192);
            jg_buf_init(&ph, 4096);
            p[0] = JG_VINT(w->id);
            p[1] = JG_VINT(i + 1);
            int n = 2;
            put_columns(ce, &cr->rows[i], 0, &cols, &ph, p, &n);
            jg_buf_puts(&sql, "INSERT INTO ");
            jg_buf_puts(&sql, ce->table);
            jg_buf_puts(&sql, " (parent_id, seq");
            jg_buf_puts(&sql, cols.data);
            jg_buf_puts(&sql, ") VALUES ($1, $2");
            jg_buf_puts(&sql, ph.data);
            jg_buf_puts(&sql, ")");
            if (rc == JG_OK)
                rc = jg_db_exec(c, sql.data, p, n, NULL);
            jg_buf_free(&cols);
            jg_buf_free(&ph);
            jg_buf_free(&sql);
        }
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

/* The record as it now is, for history (masked) and for the answer; JG_DENIED when the write put
 * it outside the caller's scope. */
static jg_rc reread(struct write *w, jg_conn *c, json_t **masked)
{
    jg_rows *r;
    jg_rc rc = jg_record_fetch(w->req, c, w->k, w->id, &r);
    if (rc == JG_NOTFOUND)
        return jg_refuse(&w->refusal, JG_DENIED, NULL, "不能在本人数据权限范围以外新建或修改记录");
    if (rc != JG_OK)
        return rc;
    rc = jg_record_json(w->req, c, w->k, r, 0, JG_RECORD_DETAIL | JG_RECORD_MASKED, masked);
    if (rc == JG_OK)
        rc = jg_record_json(w->req, c, w->k, r, 0, JG_RECORD_DETAIL, &w->out);
    jg_rows_free(r);
    return rc;
}

static jg_rc history_row(struct write *w, jg_conn *c, const char *action, const char *child,
                         const char *field, json_t *old_value, json_t *new_value)
{
    const jg_principal *p = w->req->principal;
    char *old_text = old_value != NULL ? json_dumps(old_value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    char *new_text = new_value != NULL ? json_dumps(new_value, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    jg_value v[] = {JG_VTEXT(w->k->e->name),
                    JG_VINT(w->id),
                    child != NULL ? JG_VTEXT(child) : JG_VNULL,
                    field != NULL ? JG_VTEXT(field) : JG_VNULL,
                    old_text != NULL ? JG_VTEXT(old_text) : JG_VNULL,
                    new_text != NULL ? JG_VTEXT(new_text) : JG_VNULL,
                    JG_VINT(p->user_id),
                    JG_VTEXT(p->username),
                    JG_VTEXT(w->now),
                    JG_VTEXT(action)};
    jg_rc rc = jg_db_exec(
        c,
        "INSERT INTO entity_history (entity, record_id, child, field, old_value, new_value, user_id,"
        " username, at, action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        v, 10, NULL);
    free(old_text);
    free(new_text);
    return rc;
}

/* History rows and the audit row for a change from before to after (before NULL: created;
 * after NULL: deleted). */
static jg_rc record_change(struct write *w, jg_conn *c, const char *action, json_t *before, json_t *after)
{
    const jg_entity *e = w->k->e;
    json_t *changed = json_array();
    jg_rc rc = JG_OK;
    if (before != NULL && after != NULL) {
        for (int f = 0; f < e->nfields && rc == JG_OK; f++) {
            const char *name = e->fields[f].name;
            json_t *o = json_object_get(before, name), *n = json_object_get(after, name);
            if (json_equal(o, n))
                continue;
            json_array_append_new(changed, json_string(name));
            rc = history_row(w, c, action, NULL, name, o, n);
        }
        for (int ch = 0; ch < e->nchildren && rc == JG_OK; ch++) {
            const char *name = e->children[ch].name;
            json_t *o = json_object_get(before, name), *n = json_object_get(after, name);
            if (json_equal(o, n))
                continue;
            json_array_append_new(changed, json_string(name));
            rc = history_row(w, c, action, name, name, o, n); /* the child's rows as a whole */
        }
    } else {
        /* Created or deleted: the history notes the change of state. */
        json_t *from = json_object_get(before, "state"), *to = json_object_get(after, "state");
        json_t *deleted = json_string("deleted");
        rc = history_row(w, c, action, NULL, "state", from, to != NULL ? to : deleted);
        json_decref(deleted);
    }
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)w->id);
    if (rc == JG_OK)
        rc = jg_audit_req(c, w->req, action, e->name, rid, json_pack("{s:o}", "fields", changed));
    else
        json_decref(changed);
    return rc;
}

/* The verdict on an update from the guard's answer rc: when the caller's steps let some field
 * change (by_step), theirs; otherwise the entity's rules hold — its update permission, then its
 * readonly states — before the guard's own refusal. */
static jg_rc step_verdict(struct write *w, jg_rc rc, int by_step)
{
    if (by_step || (rc != JG_OK && rc != JG_INVALID && rc != JG_DENIED))
        return rc; /* the caller's steps decide (or a database error) */
    if (w->no_update)
        return rc == JG_DENIED ? rc : jg_refuse(&w->refusal, JG_DENIED, NULL, "没有权限执行此操作");
    if (w->readonly != NULL)
        return jg_refuse(&w->refusal, JG_CONFLICT, NULL,
                         jg_arena_printf(w->req->arena, "记录当前状态为“%s”，不能修改或删除", w->readonly));
    return rc;
}

/* An update: the guard's check of what changed from before to after (masked). A sealed field
 * given counts as changed: its masked forms may agree while the values differ. */
static jg_rc guard_update(struct write *w, jg_conn *c, json_t *before, json_t *after)
{
    const jg_entity *e = w->k->e;
    const char **changed =
        jg_arena_zalloc(w->req->arena, sizeof(char *) * (size_t)(e->nfields + e->nchildren + 1));
    int n = 0;
    for (int f = 0; f < e->nfields; f++) {
        const char *name = e->fields[f].name;
        if (w->top.given[f] && (e->fields[f].data_class >= JG_CLASS_SENSITIVE ||
                                !json_equal(json_object_get(before, name), json_object_get(after, name))))
            changed[n++] = name;
    }
    for (int ch = 0; ch < e->nchildren; ch++) {
        const char *name = e->children[ch].name;
        if (w->children[ch].given && !json_equal(json_object_get(before, name), json_object_get(after, name)))
            changed[n++] = name;
    }
    json_decref(w->refused);
    w->refused = json_object();
    int by_step = 0;
    jg_rc rc = guard(w->req, c, e, w->id, changed, n, w->refused, &w->refusal, &by_step);
    return step_verdict(w, rc, by_step);
}

/* After the record's row is written: its children, the re-read that proves it lies inside the
 * caller's scope, an update's check by the workflow (jg:editable), the history and the audit row. */
static jg_rc finish_write(struct write *w, jg_conn *c, const char *action, json_t *before)
{
    jg_rc rc = write_children(w, c);
    json_t *after = NULL;
    if (rc == JG_OK)
        rc = reread(w, c, &after);
    if (rc == JG_OK && before != NULL && guard != NULL)
        rc = guard_update(w, c, before, after);
    if (rc == JG_OK)
        rc = record_change(w, c, action, before, after);
    json_decref(after);
    return rc;
}

/* Run tx for w (after its input was read into fields) and answer status with the record, or the
 * field errors, or the refusal. */
static jg_rc run_write(struct write *w, jg_resp *resp, json_t *fields, jg_tx_fn tx, int status)
{
    jg_req *req = w->req;
    if (json_object_size(fields) > 0)
        return jg_resp_error_fields(req, resp, JG_INVALID, "填写的内容有误，请检查标出的字段", fields);
    json_decref(fields);
    jg_time_iso_now(w->now, sizeof(w->now));
    jg_rc rc = jg_db_tx(req->app->db, tx, w);
    json_t *refused = w->refused;
    w->refused = NULL;
    if (rc != JG_OK) {
        json_decref(w->out);
        if (rc == JG_INVALID && json_object_size(refused) > 0)
            return jg_resp_error_fields(req, resp, rc, w->refusal.message, refused);
        json_decref(refused);
        return jg_resp_refusal(req, resp, rc, &w->refusal);
    }
    json_decref(refused);
    return jg_resp_json(req, resp, status, w->out);
}

/* INSERT the rows of n records of one entity (their values checked) in the first state, in one
 * statement: their ids into ids (in the order the database gives them back), and w[0]->id. */
static jg_rc insert_rows(struct write *const *w, int n, jg_conn *c, int64_t *ids)
{
    const jg_entity *e = w[0]->k->e;
    const jg_principal *me = w[0]->req->principal;
    jg_buf sql, cols, ph;
    /* Maxima, not allocations: 3 columns of up to 46 bytes and 3 placeholders of up to 8 per field. */
    jg_buf_init(&cols, 160 * (size_t)e->nfields + 64);
    jg_buf_init(&ph, 32 * (size_t)e->nfields + 64);
    jg_buf_init(&sql, 1024 + cols.max + (size_t)n * (ph.max + 64));
    jg_value *p = jg_arena_alloc(w[0]->req->arena, sizeof(jg_value) * (size_t)(n * 3 * e->nfields + 3));
    p[0] = JG_VTEXT(e->states[0].name);
    p[1] = JG_VINT(me->user_id);
    p[2] = JG_VTEXT(w[0]->now);
    int np = 3;
    jg_buf_puts(&sql, "INSERT INTO ");
    jg_buf_puts(&sql, e->table);
    jg_buf_puts(&sql, " (state, version, created_by, created_at, updated_by, updated_at");
    for (int i = 0; i < n; i++) {
        cols.len = ph.len = 0; /* the same columns for every row */
        put_columns(e, &w[i]->top, 0, &cols, &ph, p, &np);
        if (i == 0) {
            jg_buf_puts(&sql, cols.data != NULL ? cols.data : "");
            jg_buf_puts(&sql, ") VALUES ");
        }
        jg_buf_printf(&sql, "%s($1, 1, $2, $3, $2, $3%s)", i > 0 ? ", " : "", ph.data != NULL ? ph.data : "");
    }
    jg_buf_puts(&sql, " RETURNING id");
    jg_buf_free(&cols);
    jg_buf_free(&ph);
    jg_rows *r;
    jg_rc rc = sql.overflowed ? JG_ERR : jg_db_query(c, sql.data, p, np, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc == JG_CONFLICT ? jg_refuse(&w[0]->refusal, rc, NULL, "记录与已有记录重复") : rc;
    if (jg_rows_count(r) != n) {
        jg_rows_free(r);
        return JG_ERR;
    }
    for (int i = 0; i < n; i++)
        ids[i] = jg_rows_int(r, i, 0);
    w[0]->id = ids[0];
    jg_rows_free(r);
    return JG_OK;
}

static jg_rc insert_row(struct write *w, jg_conn *c)
{
    int64_t id;
    return insert_rows(&w, 1, c, &id);
}

static jg_rc create_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    json_decref(w->out);
    w->out = NULL;
    jg_rc rc = check_values(w, c, w->k->e, &w->top, 0, "");
    if (rc == JG_OK)
        rc = insert_row(w, c);
    if (rc == JG_OK)
        rc = finish_write(w, c, "create", NULL);
    return rc;
}

/* ---- batches (the import) ---- */

#define OUTSIDE_SCOPE "不能在本人数据权限范围以外新建或修改记录"

/* The value of the field called name of vals (NULL name or no such field: NULL), and whether the
 * field stores text. */
static const jg_value *scope_value(const jg_entity *e, const struct values *vals, const char *name, int *text)
{
    const jg_field *f = name != NULL ? jg_entity_field(e, name) : NULL;
    if (f == NULL)
        return NULL;
    *text = !(f->type == JG_FIELD_INTEGER || f->type == JG_FIELD_REF || f->type == JG_FIELD_ENTERPRISE ||
              f->type == JG_FIELD_PERSON || f->type == JG_FIELD_BOOLEAN || f->type == JG_FIELD_DECIMAL ||
              f->type == JG_FIELD_MONEY);
    return &vals->v[f - e->fields];
}

/* *ok = 1 when the values of a new record lie inside the caller's data scope: the scope's
 * condition (jg_scope_sql, the very one reads and create's re-read apply) evaluated over a row of
 * the values, before anything is written. */
static jg_rc scope_ok(struct write *w, jg_conn *c, int *ok)
{
    const jg_entity *e = w->k->e;
    const char *names[3] = {e->scope_org, e->scope_enterprise, e->scope_project};
    const char *cols[3] = {"r.org", "r.ent", "r.proj"};
    jg_value p[16];
    int n = 0;
    jg_buf sql, key;
    jg_buf_init(&sql, 4096);
    jg_buf_init(&key, 1024);
    jg_buf_puts(&sql, "SELECT 1 FROM (SELECT ");
    jg_buf_puts(&key, "scope:");
    jg_scope_cols sc = {.org = NULL};
    for (int i = 0; i < 3; i++) {
        int text = 0;
        const jg_value *v = scope_value(e, &w->top, names[i], &text);
        if (v == NULL)
            continue;
        p[n++] = *v;
        jg_buf_printf(&sql, "%sCAST($%d AS %s) AS %s", n > 1 ? ", " : "", n, text ? "TEXT" : "BIGINT",
                      cols[i] + 2);
        if (v->type == JG_V_TEXT)
            jg_buf_printf(&key, "%d=%s|", i, v->s);
        else if (v->type == JG_V_INT)
            jg_buf_printf(&key, "%d=%lld|", i, (long long)v->i);
        else
            jg_buf_printf(&key, "%d|", i);
        if (i == 0)
            sc.org = cols[0];
        else if (i == 1)
            sc.enterprise = cols[1];
        else
            sc.project = cols[2];
    }
    jg_buf_puts(&sql, n == 0 ? "1 AS one) r WHERE 1 = 1" : ") r WHERE 1 = 1");
    int bits;
    jg_rc rc = JG_OK;
    if (!key.overflowed && cache_get(w->cache, key.data, &bits)) {
        *ok = bits;
    } else if (jg_scope_sql(w->req->principal, &sc, &sql, p, &n, w->req->arena) == JG_DENIED) {
        *ok = 0;
    } else {
        rc = exists(c, sql.data, p, n, ok);
        if (rc == JG_OK && !key.overflowed)
            cache_put(w->cache, key.data, *ok);
    }
    jg_buf_free(&sql);
    jg_buf_free(&key);
    return rc;
}

/* A refusal (or the errors of fields) as an error of fields: the field's name, or "" for the
 * record as a whole. */
static jg_rc refused(struct write *w, json_t *fields)
{
    jg_field_error(fields, w->refusal.field != NULL ? w->refusal.field : "", w->refusal.message);
    return JG_INVALID;
}

struct jg_record_new {
    struct write w;
};

jg_rc jg_record_prepare(jg_req *req, jg_conn *c, const jg_record_kind *k, json_t *obj, const char *now,
                        jg_record_cache *cache, json_t *fields, jg_record_new **out)
{
    jg_record_new *rec = jg_arena_zalloc(req->arena, sizeof(*rec));
    struct write *w = &rec->w;
    *w = (struct write){.req = req, .k = k, .cache = cache};
    if (jg_strlcpy(w->now, now, sizeof(w->now)) != JG_OK)
        return JG_ERR;
    size_t before = json_object_size(fields);
    read_body(w, obj, 1, fields);
    if (json_object_size(fields) > before)
        return JG_INVALID;
    jg_rc rc = check_values(w, c, k->e, &w->top, 0, "");
    if (rc != JG_OK)
        return w->refusal.message != NULL ? refused(w, fields) : rc;
    int ok = 0;
    rc = scope_ok(w, c, &ok);
    if (rc != JG_OK)
        return rc;
    if (!ok) {
        jg_field_error(fields, "", OUTSIDE_SCOPE);
        return JG_INVALID;
    }
    *out = rec;
    return JG_OK;
}

jg_rc jg_record_insert_many(jg_conn *c, jg_record_new *const *recs, int n, int64_t *ids)
{
    if (n == 0)
        return JG_OK;
    struct write **w = jg_arena_alloc(recs[0]->w.req->arena, sizeof(*w) * (size_t)n);
    for (int i = 0; i < n; i++)
        w[i] = &recs[i]->w;
    return insert_rows(w, n, c, ids); /* a failed statement ends a PostgreSQL transaction: no refusal */
}

jg_rc jg_record_history_created(jg_req *req, jg_conn *c, const jg_entity *e, const int64_t *ids, int n,
                                const char *action, const char *now)
{
    const jg_principal *me = req->principal;
    json_t *first = json_string(e->states[0].name);
    char *state = json_dumps(first, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(first);
    if (state == NULL)
        return JG_ERR;
    jg_value *p = jg_xmalloc(sizeof(jg_value) * (size_t)(n + 7));
    p[0] = JG_VTEXT(e->name);
    p[1] = JG_VTEXT(state);
    p[2] = JG_VINT(me->user_id);
    p[3] = JG_VTEXT(me->username);
    p[4] = JG_VTEXT(now);
    p[5] = JG_VTEXT(action);
    jg_buf sql;
    jg_buf_init(&sql, 64 * (size_t)n + 1024);
    jg_buf_puts(&sql, "INSERT INTO entity_history (entity, record_id, child, field, old_value, new_value,"
                      " user_id, username, at, action) VALUES ");
    for (int i = 0; i < n; i++) {
        p[6 + i] = JG_VINT(ids[i]);
        jg_buf_printf(&sql, "%s($1, $%d, NULL, 'state', NULL, $2, $3, $4, $5, $6)", i > 0 ? ", " : "", 7 + i);
    }
    jg_rc rc = n > 0 ? jg_db_exec(c, sql.data, p, n + 6, NULL) : JG_OK;
    jg_buf_free(&sql);
    free(p);
    free(state);
    return rc;
}

jg_rc jg_record_create(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k = jg_record_kind_of(req, resp, "create");
    if (k == NULL)
        return JG_DENIED;
    if (!json_is_object(req->json))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    struct write w = {.req = req, .k = k};
    json_t *fields = json_object();
    read_body(&w, req->json, 1, fields);
    return run_write(&w, resp, fields, create_tx, 201);
}

/* The record an update or delete acts on, read in the transaction inside the caller's scope; a
 * refusal (404) when it is not there, 409 when its state is readonly (the workflow moves it) —
 * for an update with a guard installed, the state's label in w->readonly instead, since the
 * caller's steps may let fields change in it (guard_update decides after the write). */
static jg_rc open_record(struct write *w, jg_conn *c, int update, jg_rows **r)
{
    jg_rc rc = jg_record_fetch(w->req, c, w->k, w->id, r);
    if (rc == JG_NOTFOUND)
        return jg_refuse(&w->refusal, rc, NULL, NOT_FOUND);
    const jg_entity *e = w->k->e;
    for (int s = 0; rc == JG_OK && s < e->nstates; s++)
        if (e->states[s].readonly && strcmp(e->states[s].name, jg_rows_text(*r, 0, 1)) == 0) {
            if (update && guard != NULL) {
                w->readonly = e->states[s].label;
                break;
            }
            jg_rows_free(*r);
            return jg_refuse(
                &w->refusal, JG_CONFLICT, NULL,
                jg_arena_printf(w->req->arena, "记录当前状态为“%s”，不能修改或删除", e->states[s].label));
        }
    return rc;
}

static jg_rc update_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    const jg_entity *e = w->k->e;
    json_decref(w->out);
    w->out = NULL;
    jg_rows *r;
    w->readonly = NULL;
    jg_rc rc = open_record(w, c, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (w->no_update || w->readonly != NULL) {
        /* Only steps may let this caller write: refuse before the values are checked against
         * the database when they let nothing change (the guard asked with no change). */
        static const char *const none[] = {NULL};
        int by_step = 0;
        rc = guard(w->req, c, e, w->id, none, 0, NULL, &w->refusal, &by_step);
        rc = by_step ? JG_OK : step_verdict(w, rc, by_step);
        if (rc != JG_OK) {
            jg_rows_free(r);
            return rc;
        }
    }
    json_t *before = NULL;
    rc = jg_record_json(w->req, c, w->k, r, 0, JG_RECORD_DETAIL | JG_RECORD_MASKED, &before);
    jg_rows_free(r);
    if (rc == JG_OK)
        rc = check_values(w, c, e, &w->top, w->id, "");
    const jg_principal *me = w->req->principal;
    jg_buf sql;
    jg_buf_init(&sql, 8192);
    jg_buf_puts(&sql, "UPDATE ");
    jg_buf_puts(&sql, e->table);
    jg_buf_puts(&sql, " SET version = version + 1, updated_by = $1, updated_at = $2");
    jg_value *p = jg_arena_alloc(w->req->arena, sizeof(jg_value) * (size_t)(3 * e->nfields + 4));
    p[0] = JG_VINT(me->user_id);
    p[1] = JG_VTEXT(w->now);
    int n = 2;
    put_columns(e, &w->top, 1, &sql, NULL, p, &n);
    p[n++] = JG_VINT(w->id);
    p[n++] = JG_VINT(w->version);
    jg_buf_printf(&sql, " WHERE id = $%d AND version = $%d AND state <> 'deleted'", n - 1, n);
    int64_t changed = 0;
    if (rc == JG_OK)
        rc = jg_db_exec(c, sql.data, p, n, &changed);
    jg_buf_free(&sql);
    if (rc == JG_CONFLICT)
        rc = jg_refuse(&w->refusal, rc, NULL, "记录与已有记录重复");
    else if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&w->refusal, JG_CONFLICT, "version", STALE);
    if (rc == JG_OK)
        rc = finish_write(w, c, "update", before);
    json_decref(before);
    return rc;
}

/* The kind and {id} of an update or delete into w, if the caller holds permission; otherwise the
 * answer (403, 404) is given and 0 returned. An update with a guard installed needs only the read
 * permission here: the steps the caller holds in a process on the record may let fields change
 * without the update permission (guard_update refuses with 403 when they do not). */
static int target(jg_req *req, jg_resp *resp, const char *permission, struct write *w)
{
    int by_step = strcmp(permission, "update") == 0 && guard != NULL;
    w->k = jg_record_kind_of(req, resp, by_step ? "read" : permission);
    if (w->k == NULL)
        return 0;
    w->no_update = by_step && !jg_principal_can(req->principal, w->k->e->perm_update);
    if (jg_record_path_id(req, &w->id) != JG_OK) {
        jg_resp_error(req, resp, JG_NOTFOUND, NOT_FOUND);
        return 0;
    }
    return 1;
}

jg_rc jg_record_update(jg_req *req, jg_resp *resp)
{
    struct write w = {.req = req};
    if (!target(req, resp, "update", &w))
        return JG_DENIED;
    if (!json_is_object(req->json))
        return jg_resp_error(req, resp, JG_INVALID, "请求内容应为 JSON 对象");
    json_t *fields = json_object();
    json_t *version = json_object_get(req->json, "version");
    if (!json_is_integer(version))
        jg_field_error(fields, "version", "缺少版本号（用于防止覆盖他人的修改）");
    w.version = json_integer_value(version);
    read_body(&w, req->json, 0, fields);
    return run_write(&w, resp, fields, update_tx, 200);
}

static jg_rc delete_tx(jg_conn *c, void *ud)
{
    struct write *w = ud;
    jg_rows *r;
    jg_rc rc = open_record(w, c, 0, &r);
    if (rc != JG_OK)
        return rc;
    int64_t version = jg_rows_int(r, 0, 2);
    json_t *before = json_pack("{s:s}", "state", jg_rows_text(r, 0, 1));
    jg_rows_free(r);
    if (w->version > 0 && version != w->version) {
        json_decref(before);
        return jg_refuse(&w->refusal, JG_CONFLICT, "version", STALE);
    }
    int by_step = 0; /* a record a process runs on is not deleted under it (409) */
    rc = guard != NULL ? guard(w->req, c, w->k->e, w->id, NULL, 0, NULL, &w->refusal, &by_step) : JG_OK;
    if (rc != JG_OK) {
        json_decref(before);
        return rc;
    }
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_buf_puts(&sql, "UPDATE ");
    jg_buf_puts(&sql, w->k->e->table);
    jg_buf_puts(&sql, " SET state = 'deleted', version = version + 1, updated_by = $1, updated_at = $2"
                      " WHERE id = $3 AND version = $4");
    jg_value p[] = {JG_VINT(((const jg_principal *)w->req->principal)->user_id), JG_VTEXT(w->now),
                    JG_VINT(w->id), JG_VINT(version)};
    int64_t changed = 0;
    rc = jg_db_exec(c, sql.data, p, 4, &changed);
    jg_buf_free(&sql);
    if (rc == JG_OK && changed != 1)
        rc = jg_refuse(&w->refusal, JG_CONFLICT, "version", STALE);
    if (rc == JG_OK)
        rc = record_change(w, c, "delete", before, NULL);
    json_decref(before);
    return rc;
}

/* DELETE /api/v1/records/{entity}/{id}?version=N — the record becomes state "deleted". */
jg_rc jg_record_delete(jg_req *req, jg_resp *resp)
{
    struct write w = {.req = req};
    if (!target(req, resp, "delete", &w))
        return JG_DENIED;
    const char *version = jg_req_query(req, "version");
    if (version != NULL && jg_parse_int64(version, 1, INT64_MAX, &w.version) != JG_OK)
        return jg_resp_error_fields(req, resp, JG_INVALID, "版本号不正确",
                                    json_pack("{s:s}", "version", "版本号应为正整数"));
    jg_time_iso_now(w.now, sizeof(w.now));
    jg_rc rc = jg_db_tx(req->app->db, delete_tx, &w);
    if (rc != JG_OK)
        return jg_resp_refusal(req, resp, rc, &w.refusal);
    return jg_resp_json(req, resp, 200, json_pack("{s:b, s:I}", "ok", 1, "id", (json_int_t)w.id));
}
