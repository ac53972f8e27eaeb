/* The records API of the entity engine, reads: the definitions for the UI, lists with filters
 * and sorting inside the caller's data scope, one record with its children, its history.
 *
 *   GET /api/v1/entities                       definitions the caller may read
 *   GET /api/v1/entities/{entity}              one definition (fields, list view, form layout)
 *   GET /api/v1/records/{entity}?filter=&sort=&page=&size=
 *   GET /api/v1/records/{entity}/{id}
 *   GET /api/v1/records/{entity}/{id}/history
 * Writes are in records_write.c. Table and column names come from definitions checked by
 * jg_entity_load, never from requests; values are always bound. */
#include "engine/entity/records.h"

#include "base/log.h"
#include "base/mem.h"
#include "base/text.h"
#include "engine/entity/definitions.h"
#include "engine/entity/filter.h"
#include "engine/entity/value.h"
#include "platform/idcheck.h"
#include "platform/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORD_PAGE 500
/* Lists count their matches up to this many: beyond, total says "more than" (total_exact false).
 * An exact count of a city's records at provincial scale reads hundreds of thousands of rows on
 * every page; bench/records.sh measured 230 ms for 10,000 and 20 ms for 1,000 (decision 28). */
#define MAX_COUNTED 1000

/* The snapshot of the definitions req uses: pinned at its first use, so one request never sees
 * two versions of a definition (records_live.c). */
static jg_records *records_of(const jg_req *req)
{
    return (jg_records *)jg_records_of(req);
}

const jg_record_kind *jg_record_kind_of(jg_req *req, jg_resp *resp, const char *permission)
{
    jg_records *rs = records_of(req);
    const char *name = jg_req_param(req, "entity");
    for (int i = 0; name != NULL && i < rs->nkinds; i++) {
        const jg_record_kind *k = &rs->kinds[i];
        if (strcmp(k->e->name, name) != 0)
            continue;
        const jg_entity *e = k->e;
        const char *code = strcmp(permission, "create") == 0   ? e->perm_create
                           : strcmp(permission, "update") == 0 ? e->perm_update
                           : strcmp(permission, "delete") == 0 ? e->perm_delete
                                                               : e->perm_read;
        const jg_principal *p = req->principal;
        if (!jg_principal_can(p, e->perm_read)) /* an entity one may not read is not there */
            break;
        if (!jg_principal_can(p, code)) {
            jg_resp_error(req, resp, JG_DENIED, "没有权限执行此操作");
            return NULL;
        }
        return k;
    }
    jg_resp_error(req, resp, JG_NOTFOUND, "没有这类业务记录");
    return NULL;
}

const jg_record_kind *jg_record_kind_for(const jg_req *req, const jg_entity *e)
{
    jg_records *rs = records_of(req);
    for (int i = 0; i < rs->nkinds; i++)
        if (rs->kinds[i].e == e)
            return &rs->kinds[i];
    return NULL;
}

jg_rc jg_record_scope(jg_req *req, const jg_record_kind *k, jg_buf *sql, jg_value *p, int *n)
{
    jg_scope_cols cols = k->scope;
    cols.sqlite_hints = jg_db_kind_of(req->app->db) == JG_DB_SQLITE;
    return jg_scope_sql(req->principal, &cols, sql, p, n, req->arena);
}

jg_rc jg_record_fetch(jg_req *req, jg_conn *c, const jg_record_kind *k, int64_t id, jg_rows **out)
{
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[8] = {JG_VINT(id)};
    int n = 1;
    jg_buf_puts(&sql, k->select);
    jg_buf_puts(&sql, " WHERE r.id = $1 AND r.state <> 'deleted'");
    jg_rc rc = jg_record_scope(req, k, &sql, p, &n);
    if (rc == JG_DENIED) {
        jg_buf_free(&sql);
        return JG_NOTFOUND;
    }
    rc = c != NULL ? jg_db_query(c, sql.data, p, n, out) : jg_db_read(req->app->db, sql.data, p, n, out);
    jg_buf_free(&sql);
    if (rc == JG_OK && jg_rows_count(*out) != 1) {
        jg_rows_free(*out);
        *out = NULL;
        rc = JG_NOTFOUND;
    }
    return rc;
}

/* The masked form of a sensitive value for lists: 138****0003 for a mobile number, else the first
 * and last 4 characters kept (3501**********1234). */
static char *mask_of(jg_req *req, const char *plain)
{
    char *mask = jg_arena_alloc(req->arena, strlen(plain) + 1);
    if (jg_idcheck_phone(plain))
        jg_idcheck_mask_phone(plain, mask);
    else
        jg_idcheck_mask(plain, mask);
    return mask;
}

jg_rc jg_record_seal(jg_req *req, const jg_entity *e, const jg_field *f, const char *plain,
                     const char **sealed, const char **bidx, const char **mask)
{
    char context[2 * JG_ENTITY_NAME_MAX + 16];
    snprintf(context, sizeof(context), "%s.%s", e->table, f->name);
    size_t n = strlen(plain), cap = JG_SM4_TOKEN_SIZE(n);
    char *out = jg_arena_alloc(req->arena, cap);
    char *index = jg_arena_alloc(req->arena, JG_SM4_INDEX_LEN + 1);
    const unsigned char *key = jg_identity_field_key(req);
    jg_rc rc = jg_sm4_seal(key, context, plain, n, out, cap);
    if (rc == JG_OK)
        rc = jg_sm4_blind_index(key, context, plain, n, index);
    *sealed = out;
    *bidx = index;
    *mask = mask_of(req, plain);
    return rc;
}

/* A sensitive or secret value as the caller may see it: plain with the reveal permission, else
 * masked (3501**********1234, 138****0003). NULL when it cannot be opened (logged as an error:
 * a wrong key or a tampered row). */
static json_t *sensitive_json(jg_req *req, const jg_entity *e, const jg_field *f, const char *sealed,
                              int masked)
{
    const jg_entity *owner = e->parent != NULL ? e->parent : e;
    char context[2 * JG_ENTITY_NAME_MAX + 16];
    snprintf(context, sizeof(context), "%s.%s", e->table, f->name);
    size_t cap = strlen(sealed) + 1, n = 0;
    char *plain = jg_arena_alloc(req->arena, cap);
    if (jg_sm4_open(jg_identity_field_key(req), context, sealed, plain, cap - 1, &n) != JG_OK)
        return json_null();
    plain[n] = '\0';
    if (!masked && jg_principal_can(req->principal, owner->perm_reveal))
        return json_string(plain);
    return json_string(mask_of(req, plain));
}

/* The rows of child kind ck of record id, in order, as JSON. */
static jg_rc children_json(jg_req *req, jg_conn *c, const jg_record_kind *ck, int64_t id, int flags,
                           json_t **out)
{
    char *sql = jg_arena_printf(req->arena, "%s WHERE r.parent_id = $1 ORDER BY r.seq, r.id", ck->select);
    jg_value p[] = {JG_VINT(id)};
    jg_rows *r;
    jg_rc rc = c != NULL ? jg_db_query(c, sql, p, 1, &r) : jg_db_read(req->app->db, sql, p, 1, &r);
    if (rc != JG_OK)
        return rc;
    *out = json_array();
    for (int i = 0; i < jg_rows_count(r) && rc == JG_OK; i++) {
        json_t *row;
        rc = jg_record_json(req, c, ck, r, i, flags, &row);
        if (rc == JG_OK)
            json_array_append_new(*out, row);
    }
    jg_rows_free(r);
    return rc;
}

jg_rc jg_record_json(jg_req *req, jg_conn *c, const jg_record_kind *k, const jg_rows *rows, int i, int flags,
                     json_t **out)
{
    int detail = (flags & JG_RECORD_DETAIL) != 0;
    const jg_entity *e = k->e;
    json_t *o = json_object();
    if (e->parent == NULL) {
        json_object_set_new(o, "id", json_integer(jg_rows_int(rows, i, 0)));
        json_object_set_new(o, "state", json_string(jg_rows_text(rows, i, 1)));
        json_object_set_new(o, "version", json_integer(jg_rows_int(rows, i, 2)));
        json_object_set_new(o, "created_by", json_integer(jg_rows_int(rows, i, 3)));
        json_object_set_new(o, "created_at", json_string(jg_rows_text(rows, i, 4)));
        json_object_set_new(o, "updated_by", json_integer(jg_rows_int(rows, i, 5)));
        json_object_set_new(o, "updated_at", json_string(jg_rows_text(rows, i, 6)));
    }
    int base = e->parent == NULL ? JG_RECORD_SYSTEM_COLUMNS : 1; /* children: id, then fields */
    if (e->parent != NULL)
        json_object_set_new(o, "id", json_integer(jg_rows_int(rows, i, 0)));
    for (int f = 0; f < e->nfields; f++) {
        const jg_field *fd = &e->fields[f];
        const char *text = jg_rows_text(rows, i, base + f);
        if (fd->data_class == JG_CLASS_SECRET && !detail)
            continue;
        if (fd->data_class >= JG_CLASS_SENSITIVE && text != NULL)
            json_object_set_new(o, fd->name, sensitive_json(req, e, fd, text, flags & JG_RECORD_MASKED));
        else
            json_object_set_new(o, fd->name, jg_value_to_json(fd, rows, i, base + f));
    }
    jg_rc rc = JG_OK;
    for (int ch = 0; detail && ch < e->nchildren && rc == JG_OK; ch++) {
        json_t *rows_json;
        rc = children_json(req, c, jg_record_kind_for(req, &e->children[ch]), jg_rows_int(rows, i, 0), flags,
                           &rows_json);
        if (rc == JG_OK)
            json_object_set_new(o, e->children[ch].name, rows_json);
    }
    if (rc != JG_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return JG_OK;
}

jg_rc jg_record_path_id(jg_req *req, int64_t *id)
{
    return jg_parse_int64(jg_req_param(req, "id"), 1, INT64_MAX, id);
}

jg_rc jg_record_conditions(jg_req *req, jg_resp *resp, const jg_record_kind *k, json_t *fields, jg_value *p,
                           int *n, const char **where, const char **order)
{
    json_t *filter = NULL;
    const char *ftext = jg_req_query(req, "filter"), *message = NULL;
    if (ftext != NULL) {
        json_error_t je;
        filter = json_loads(ftext, JSON_REJECT_DUPLICATES, &je);
        if (filter == NULL)
            jg_field_error(fields, "filter", "筛选条件不是有效的 JSON");
    }
    jg_buf w, o;
    jg_buf_init(&w, 131072); /* the largest filter the limits allow needs about 60 KiB */
    jg_buf_init(&o, 512);
    jg_buf_puts(&w, " WHERE r.state <> 'deleted'");
    if (jg_record_scope(req, k, &w, p, n) == JG_DENIED)
        jg_buf_puts(&w, " AND 1 = 0"); /* a caller who sees nothing gets nothing */
    jg_filter_as as = {req->principal, jg_identity_field_key(req)};
    if (json_object_size(fields) == 0 && filter != NULL &&
        jg_filter_sql(&as, &records_of(req)->set, k->e, filter, &w, p, n, req->arena, &message) != JG_OK)
        jg_field_error(fields, "filter", message);
    if (json_object_size(fields) == 0 &&
        jg_sort_sql(k->e, jg_req_query(req, "sort"), &o, req->arena, &message) != JG_OK)
        jg_field_error(fields, "sort", message);
    json_decref(filter);
    jg_rc rc = JG_OK;
    if (json_object_size(fields) > 0)
        rc = jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确", fields);
    else
        json_decref(fields);
    if (rc == JG_OK && (w.overflowed || o.overflowed))
        rc = jg_resp_error(req, resp, JG_TOOLARGE, "筛选条件过长");
    *where = jg_arena_strdup(req->arena, w.data);
    *order = jg_arena_strdup(req->arena, o.data != NULL ? o.data : ""); /* nothing written when refused */
    jg_buf_free(&w);
    jg_buf_free(&o);
    return rc;
}

/* GET /api/v1/records/{entity}?filter=&sort=&page=&size= → {items, page, size, total, total_exact,
 * has_more}; total is exact up to MAX_COUNTED rows, beyond it is MAX_COUNTED with total_exact
 * false (pages go on to JG_MAX_OFFSET by has_more), so a list over millions of rows costs what its
 * first pages cost. */
static jg_rc list(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k = jg_record_kind_of(req, resp, "read");
    if (k == NULL)
        return JG_DENIED;
    json_t *fields = json_object();
    int64_t page, size;
    jg_req_paging(req, 20, MAX_RECORD_PAGE, &page, &size, fields); /* pages of records: up to 500 */
    jg_value *p = jg_arena_alloc(req->arena, sizeof(jg_value) * JG_RECORD_MAX_PARAMS);
    int n = 0;
    const char *where, *order;
    jg_rc rc = jg_record_conditions(req, resp, k, fields, p, &n, &where, &order);
    jg_buf sql;
    jg_buf_init(&sql, 8192 + strlen(where) + strlen(order)); /* room for the longest filter */
    json_t *items = json_array();
    int64_t total = 0;
    int more = 0, exact = 1;
    if (rc == JG_OK) {
        jg_rows *r;
        jg_buf count;
        jg_buf_init(&count, 8192 + strlen(where) + strlen(order));
        jg_buf_puts(&count, "SELECT count(*) FROM (SELECT 1 FROM ");
        jg_buf_puts(&count, k->e->table); /* from the definition, never the request */
        jg_buf_puts(&count, " r");
        jg_buf_puts(&count, where);
        /* On SQLite in the list's order, so the count takes the list's plan: an index that serves
         * the sort reads rows until the 1,001st match instead of whatever index SQLite's estimates
         * favour. PostgreSQL's estimates are better, and there the order made it sort (decision 28). */
        if (jg_db_kind_of(req->app->db) == JG_DB_SQLITE)
            jg_buf_puts(&count, order);
        jg_buf_printf(&count, " LIMIT %d) c", MAX_COUNTED + 1);
        rc = jg_db_read(req->app->db, count.data, p, n, &r);
        jg_buf_free(&count);
        if (rc == JG_OK) {
            total = jg_rows_int(r, 0, 0);
            jg_rows_free(r);
        }
        exact = total <= MAX_COUNTED;
        if (!exact)
            total = MAX_COUNTED;
        p[n] = JG_VINT(size + 1);
        p[n + 1] = JG_VINT((page - 1) * size);
        jg_buf_printf(&sql, "%s%s%s LIMIT $%d OFFSET $%d", k->select, where, order, n + 1, n + 2);
        if (rc == JG_OK)
            rc = jg_db_read(req->app->db, sql.data, p, n + 2, &r);
        if (rc == JG_OK) {
            more = jg_rows_count(r) > size;
            for (int i = 0; i < jg_rows_count(r) && i < size && rc == JG_OK; i++) {
                json_t *o;
                rc = jg_record_json(req, NULL, k, r, i, 0, &o);
                if (rc == JG_OK)
                    json_array_append_new(items, o);
            }
            jg_rows_free(r);
        }
    }
    jg_buf_free(&sql);
    if (rc != JG_OK) {
        json_decref(items);
        return rc;
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:o, s:I, s:I, s:I, s:b, s:b}", "items", items, "page", (json_int_t)page,
                                  "size", (json_int_t)size, "total", (json_int_t)total, "total_exact", exact,
                                  "has_more", more));
}

/* The record of the {id} path that the caller may read, for get and history: *k and *r, or the
 * answer given (404 outside the scope or for no such record) and JG_NOTFOUND / JG_DENIED. */
static jg_rc readable(jg_req *req, jg_resp *resp, const jg_record_kind **k, int64_t *id, jg_rows **r)
{
    *k = jg_record_kind_of(req, resp, "read");
    if (*k == NULL)
        return JG_DENIED;
    if (jg_record_path_id(req, id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "记录不存在");
    jg_rc rc = jg_record_fetch(req, NULL, *k, *id, r);
    return rc == JG_NOTFOUND ? jg_resp_error(req, resp, rc, "记录不存在") : rc;
}

/* GET /api/v1/records/{entity}/{id} */
static jg_rc get(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k;
    int64_t id;
    jg_rows *r;
    jg_rc rc = readable(req, resp, &k, &id, &r);
    if (rc != JG_OK)
        return rc;
    json_t *o;
    rc = jg_record_json(req, NULL, k, r, 0, JG_RECORD_DETAIL, &o);
    jg_rows_free(r);
    return rc == JG_OK ? jg_resp_json(req, resp, 200, o) : rc;
}

/* GET /api/v1/records/{entity}/{id}/history — who changed which field from what to what, when. */
static jg_rc history(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k;
    int64_t id;
    jg_rows *r;
    jg_rc rc = readable(req, resp, &k, &id, &r);
    if (rc != JG_OK)
        return rc;
    jg_rows_free(r);
    jg_value p[] = {JG_VTEXT(k->e->name), JG_VINT(id)};
    rc = jg_db_read(
        req->app->db,
        "SELECT id, at, action, username, child, child_id, field, old_value, new_value FROM entity_history"
        " WHERE entity = $1 AND record_id = $2 ORDER BY id",
        p, 2, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = json_array();
    for (int i = 0; i < jg_rows_count(r); i++) {
        json_t *o = jg_json_row(r, i);
        json_error_t je;
        for (int col = 7; col <= 8; col++) { /* old and new values are stored as JSON text */
            const char *t = jg_rows_text(r, i, col);
            json_t *v = t != NULL ? json_loads(t, JSON_DECODE_ANY, &je) : NULL;
            json_object_set_new(o, col == 7 ? "old_value" : "new_value", v != NULL ? v : json_null());
        }
        const jg_field *f = jg_entity_field(k->e, jg_rows_text(r, i, 6) ? jg_rows_text(r, i, 6) : "");
        if (f != NULL)
            json_object_set_new(o, "label", json_string(f->label));
        json_array_append_new(items, o);
    }
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/v1/entities — the definitions the caller may read: name, label, version. */
static jg_rc entities(jg_req *req, jg_resp *resp)
{
    jg_records *rs = records_of(req);
    json_t *items = json_array();
    for (int i = 0; i < rs->nkinds; i++) {
        const jg_entity *e = rs->kinds[i].e;
        if (e->parent == NULL && jg_principal_can(req->principal, e->perm_read))
            json_array_append_new(items, json_pack("{s:s, s:s, s:i}", "name", e->name, "label", e->label,
                                                   "version", e->version));
    }
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/v1/entities/{entity} — the whole definition, with what the caller may do. */
static jg_rc entity(jg_req *req, jg_resp *resp)
{
    const jg_record_kind *k = jg_record_kind_of(req, resp, "read");
    if (k == NULL)
        return JG_DENIED;
    const jg_entity *e = k->e;
    const jg_principal *p = req->principal;
    json_t *doc = json_deep_copy(e->doc);
    json_object_set_new(doc, "can",
                        json_pack("{s:b, s:b, s:b, s:b}", "create", jg_principal_can(p, e->perm_create),
                                  "update", jg_principal_can(p, e->perm_update), "delete",
                                  jg_principal_can(p, e->perm_delete), "reveal",
                                  jg_principal_can(p, e->perm_reveal)));
    return jg_resp_json(req, resp, 200, doc);
}

/* The SELECT of a kind: system columns (a child: id only), then the fields. */
static char *select_of(const jg_entity *e)
{
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_buf_puts(&b, e->parent == NULL
                        ? "SELECT r.id, r.state, r.version, r.created_by, r.created_at, r.updated_by,"
                          " r.updated_at"
                        : "SELECT r.id");
    for (int f = 0; f < e->nfields; f++) {
        jg_buf_puts(&b, ", r.");
        jg_buf_puts(&b, e->fields[f].name);
    }
    jg_buf_puts(&b, " FROM ");
    jg_buf_puts(&b, e->table);
    jg_buf_puts(&b, " r");
    char *s = jg_xstrdup(b.data);
    jg_buf_free(&b);
    return s;
}

static char *scope_col(const char *field)
{
    if (field == NULL)
        return NULL;
    size_t n = strlen(field) + 3;
    char *s = jg_xmalloc(n);
    snprintf(s, n, "r.%s", field);
    return s;
}

static void kind_init(jg_record_kind *k, const jg_entity *e)
{
    k->e = e;
    k->select = select_of(e);
    k->scope_cols[0] = scope_col(e->scope_org);
    k->scope_cols[1] = scope_col(e->scope_enterprise);
    k->scope_cols[2] = scope_col(e->scope_project);
    k->scope =
        (jg_scope_cols){.org = k->scope_cols[0], .enterprise = k->scope_cols[1], .project = k->scope_cols[2]};
}

void jg_records_free(void *snapshot)
{
    jg_records *rs = snapshot;
    if (rs == NULL)
        return;
    for (int i = 0; i < rs->nkinds; i++) {
        free(rs->kinds[i].select);
        for (int c = 0; c < 3; c++)
            free(rs->kinds[i].scope_cols[c]);
    }
    free(rs->kinds);
    jg_entity_set_free(&rs->set);
    free(rs);
}

jg_records *jg_records_new(jg_entity_set *set)
{
    jg_records *rs = jg_xcalloc(1, sizeof(*rs));
    rs->set = *set; /* the children point back to their entity, not into *set: moving is fine */
    set->entities = NULL;
    set->nentities = 0;
    for (int i = 0; i < rs->set.nentities; i++)
        rs->nkinds += 1 + rs->set.entities[i].nchildren;
    rs->kinds = jg_xcalloc((size_t)rs->nkinds + 1, sizeof(*rs->kinds));
    int k = 0;
    for (int i = 0; i < rs->set.nentities; i++) {
        const jg_entity *e = &rs->set.entities[i];
        kind_init(&rs->kinds[k++], e);
        for (int c = 0; c < e->nchildren; c++)
            kind_init(&rs->kinds[k++], &e->children[c]);
    }
    return rs;
}

static void records_exit(jg_app *app)
{
    jg_records_live_stop(app);
}

/* Load the active definitions (shipped and custom, definitions.h) and publish them. */
static jg_rc records_init(jg_app *app)
{
    jg_records_live_start(app);
    app->file_readable = jg_record_file_readable;
    jg_entity_set set;
    char err[512] = "";
    jg_rc rc = jg_definitions_load_active(app->db, &set, err, sizeof(err));
    if (rc != JG_OK) {
        jg_error("entity definitions: %s", err);
        return rc;
    }
    jg_records_publish(app, &set);
    return JG_OK;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/entities", entities, JG_ROUTE_AUTH, "业务记录类型（可查看的）", "records", NULL},
    {"GET", "/api/v1/entities/{entity}", entity, JG_ROUTE_AUTH, "业务记录类型定义（字段、列表、表单）",
     "records", NULL},
    {"GET", "/api/v1/records/{entity}", list, JG_ROUTE_AUTH, "业务记录列表（筛选、排序、分页，数据权限内）",
     "records", NULL},
    {"POST", "/api/v1/records/{entity}", jg_record_create, JG_ROUTE_AUTH | JG_ROUTE_JSON, "新建业务记录",
     "records", NULL},
    {"GET", "/api/v1/records/{entity}/export.xlsx", jg_record_export, JG_ROUTE_AUTH,
     "导出业务记录 XLSX（同列表的筛选、排序与数据权限）", "records", NULL},
    {"GET", "/api/v1/records/{entity}/{id}", get, JG_ROUTE_AUTH, "业务记录详情（含子表）", "records", NULL},
    {"PUT", "/api/v1/records/{entity}/{id}", jg_record_update, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "修改业务记录（需当前版本号）", "records", NULL},
    {"DELETE", "/api/v1/records/{entity}/{id}", jg_record_delete, JG_ROUTE_AUTH,
     "删除业务记录（标记为已删除）", "records", NULL},
    {"GET", "/api/v1/records/{entity}/{id}/history", history, JG_ROUTE_AUTH, "业务记录修改痕迹", "records",
     NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_records = {"records", routes, records_init, records_exit};
