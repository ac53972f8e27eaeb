/* jg:editable enforced on the records API: what a caller may change on a record in a running
 * process (editable.h has the rules). */
#include "engine/flow/editable.h"

#include "base/text.h"
#include "engine/entity/records.h"
#include "engine/flow/run.h"
#include "platform/session.h"

#include <string.h>

#define MAX_NAME 64

/* The next name of list from *s (spaces around it skipped) into name; 0 at the end. */
static int next_name(const char **s, char *name, size_t size)
{
    const char *p = *s;
    while (*p == ',' || *p == ' ' || *p == '\t')
        p++;
    if (*p == '\0')
        return 0;
    const char *end = p;
    while (*end != '\0' && *end != ',')
        end++;
    const char *last = end;
    while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
        last--;
    size_t len = (size_t)(last - p);
    if (len >= size)
        len = 0; /* longer than any field name: matches none */
    memcpy(name, p, len);
    name[len] = '\0';
    *s = end;
    return 1;
}

int jg_flow_editable_lists(const char *list, const char *field)
{
    if (list == NULL)
        return 0;
    char name[MAX_NAME + 1];
    while (next_name(&list, name, sizeof(name)))
        if (strcmp(name, JG_FLOW_EDITABLE_ALL) == 0 || strcmp(name, field) == 0)
            return 1;
    return 0;
}

void jg_flow_editable_add(jg_arena *a, jg_flow_editable *ed, const char *list)
{
    if (list == NULL)
        return;
    char name[MAX_NAME + 1];
    int count = 0;
    for (const char *s = list; next_name(&s, name, sizeof(name));)
        count++;
    const char **grown = jg_arena_zalloc(a, sizeof(char *) * (size_t)(ed->nfields + count + 1));
    if (ed->nfields > 0)
        memcpy(grown, ed->fields, sizeof(char *) * (size_t)ed->nfields);
    ed->fields = grown;
    for (const char *s = list; next_name(&s, name, sizeof(name));) {
        if (name[0] == '\0')
            continue;
        if (strcmp(name, JG_FLOW_EDITABLE_ALL) == 0) {
            ed->all = 1;
            continue;
        }
        int seen = 0;
        for (int i = 0; i < ed->nfields && !seen; i++)
            seen = strcmp(ed->fields[i], name) == 0;
        if (!seen)
            ed->fields[ed->nfields++] = jg_arena_strdup(a, name);
    }
    ed->fields[ed->nfields] = NULL;
}

jg_rc jg_flow_editable_check(const jg_flow_editable *ed, const char *const *changed, int n, json_t *fields)
{
    if (!ed->running || ed->all)
        return JG_OK;
    jg_rc rc = JG_OK;
    for (int i = 0; i < n; i++) {
        int ok = 0;
        for (int k = 0; k < ed->nfields && !ok; k++)
            ok = strcmp(ed->fields[k], changed[i]) == 0;
        if (!ok) {
            jg_field_error(fields, changed[i], JG_FLOW_NOT_EDITABLE);
            rc = JG_INVALID;
        }
    }
    return rc;
}

/* 1 when list (a jg:editable value) is or holds "*". */
static int lists_all(const char *list)
{
    char name[MAX_NAME + 1];
    for (const char *s = list != NULL ? list : ""; next_name(&s, name, sizeof(name));)
        if (strcmp(name, JG_FLOW_EDITABLE_ALL) == 0)
            return 1;
    return 0;
}

/* A jg:editable list as the API shows it: "*" or an array of names. */
static json_t *list_json(const char *list)
{
    json_t *out = json_array();
    char name[MAX_NAME + 1];
    for (const char *s = list != NULL ? list : ""; next_name(&s, name, sizeof(name));) {
        if (strcmp(name, JG_FLOW_EDITABLE_ALL) == 0) {
            json_decref(out);
            return json_string(JG_FLOW_EDITABLE_ALL);
        }
        if (name[0] != '\0')
            json_array_append_new(out, json_string(name));
    }
    return out;
}

jg_rc jg_flow_editable_of(jg_req *req, jg_conn *c, const char *entity, int64_t record_id, int with_steps,
                          jg_flow_editable *ed)
{
    memset(ed, 0, sizeof(*ed));
    const jg_principal *me = req->principal;
    const jg_entity *e = jg_entity_find(&jg_records_of(req)->set, entity);
    int may_update = e == NULL || jg_principal_can(me, e->perm_update);
    jg_value p[8] = {JG_VTEXT(entity), JG_VINT(record_id)};
    jg_rows *r;
    jg_rc rc =
        jg_db_query(c,
                    "SELECT 1 FROM flow_instance WHERE entity = $1 AND record_id = $2 AND state = 'running'"
                    " LIMIT 1",
                    p, 2, &r);
    if (rc != JG_OK)
        return rc;
    ed->running = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (!ed->running)
        return JG_OK;
    jg_buf sql;
    jg_buf_init(&sql, 2048);
    jg_buf_puts(&sql,
                "SELECT t.id, t.node, t.name, i.definition_id, i.started_by FROM flow_task t"
                " JOIN flow_instance i ON i.id = t.instance_id"
                " WHERE i.entity = $1 AND i.record_id = $2 AND i.state = 'running' AND t.state = 'open'");
    int n = 2;
    jg_flow_mine_sql(req->principal, &sql, p, &n);
    jg_buf_puts(&sql, " ORDER BY t.id");
    rc = sql.overflowed ? JG_ERR : jg_db_query(c, sql.data, p, n, &r);
    jg_buf_free(&sql);
    if (rc != JG_OK)
        return rc;
    ed->fields = jg_arena_zalloc(req->arena, sizeof(char *));
    if (with_steps)
        ed->steps = json_array();
    for (int i = 0; i < jg_rows_count(r) && rc == JG_OK; i++) {
        const jg_flow_model *m;
        rc = jg_flow_model_get(c, jg_rows_int(r, i, 3), &m);
        if (rc != JG_OK)
            break;
        int k = jg_flow_node_index(m, jg_rows_text(r, i, 1));
        const char *list = k >= 0 ? m->nodes[k].editable : NULL;
        /* "*" hands the whole form to who may update the entity anyway, or to who started the
         * process (the applicant's own 补正 / 修改); to anyone else it hands nothing. */
        if (lists_all(list) && !may_update && jg_rows_int(r, i, 4) != me->user_id)
            list = NULL;
        jg_flow_editable_add(req->arena, ed, list);
        ed->nsteps++;
        if (with_steps)
            json_array_append_new(ed->steps,
                                  json_pack("{s:I, s:s, s:s, s:o}", "task_id",
                                            (json_int_t)jg_rows_int(r, i, 0), "node", jg_rows_text(r, i, 1),
                                            "name", jg_rows_text(r, i, 2), "editable", list_json(list)));
    }
    jg_rows_free(r);
    if (rc != JG_OK) {
        json_decref(ed->steps);
        ed->steps = NULL;
    }
    return rc;
}

/* The records API's check (records.h, jg_record_guard_fn). */
static jg_rc guard(jg_req *req, jg_conn *c, const jg_entity *e, int64_t id, const char *const *changed,
                   int nchanged, json_t *fields, jg_refusal *why, int *by_step)
{
    *by_step = 0;
    if (changed == NULL) { /* a delete */
        jg_value p[] = {JG_VTEXT(e->name), JG_VINT(id)};
        jg_rows *r;
        jg_rc rc = jg_db_query(c,
                               "SELECT 1 FROM flow_instance WHERE entity = $1 AND record_id = $2"
                               " AND state = 'running' LIMIT 1",
                               p, 2, &r);
        if (rc != JG_OK)
            return rc;
        int running = jg_rows_count(r) > 0;
        jg_rows_free(r);
        return running ? jg_refuse(why, JG_CONFLICT, NULL, JG_FLOW_NO_DELETE) : JG_OK;
    }
    jg_flow_editable ed;
    jg_rc rc = jg_flow_editable_of(req, c, e->name, id, 0, &ed);
    if (rc != JG_OK || !ed.running)
        return rc;
    *by_step = ed.nsteps > 0 && (ed.all || ed.nfields > 0);
    /* Who holds no step may not change the record, even to no effect. */
    if (ed.nsteps == 0)
        return jg_refuse(why, JG_DENIED, NULL, JG_FLOW_NO_STEP);
    rc = jg_flow_editable_check(&ed, changed, nchanged, fields);
    if (rc == JG_INVALID)
        return jg_refuse(why, JG_INVALID, NULL, "当前办理环节不能修改标出的字段");
    return rc;
}

void jg_flow_editable_install(void)
{
    jg_record_guard_set(guard);
}

jg_rc jg_flow_h_editable(jg_req *req, jg_resp *resp)
{
    const char *name = jg_req_query(req, "entity");
    int64_t id = 0;
    const jg_entity *e = name != NULL ? jg_entity_find(&jg_records_of(req)->set, name) : NULL;
    const jg_record_kind *k = e != NULL && e->parent == NULL && jg_principal_can(req->principal, e->perm_read)
                                  ? jg_record_kind_for(req, e)
                                  : NULL;
    if (k == NULL || jg_parse_int64(jg_req_query(req, "id"), 1, INT64_MAX, &id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "记录不存在");
    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    jg_rows *r = NULL;
    rc = jg_record_fetch(req, c, k, id, &r); /* one may ask only about a record one sees */
    jg_rows_free(r);
    jg_flow_editable ed = {0};
    if (rc == JG_OK)
        rc = jg_flow_editable_of(req, c, e->name, id, 1, &ed);
    jg_db_release(c);
    if (rc == JG_NOTFOUND)
        return jg_resp_error(req, resp, JG_NOTFOUND, "记录不存在");
    if (rc != JG_OK)
        return rc;
    json_t *editable = json_null();
    if (ed.running) {
        editable = json_array();
        for (int i = 0; ed.all && i < e->nfields; i++)
            json_array_append_new(editable, json_string(e->fields[i].name));
        for (int i = 0; ed.all && i < e->nchildren; i++)
            json_array_append_new(editable, json_string(e->children[i].name));
        for (int i = 0; !ed.all && i < ed.nfields; i++)
            json_array_append_new(editable, json_string(ed.fields[i]));
    }
    return jg_resp_json(req, resp, 200,
                        json_pack("{s:b, s:o, s:o}", "running", ed.running, "editable", editable, "steps",
                                  ed.steps != NULL ? ed.steps : json_array()));
}
