/* 项目报监 (issue 9): what the registration processes need beyond the engines. The facts the
 * cross-check rule registration.check decides on (the registry, other records), the date a
 * station received a declaration (registration.receive) and the result (registration.issue:
 * the station's registration number and the issue date). Statistics come from the entity
 * engine's tally; the lists from the records API. docs/manual/registration.md tells the users. */
#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "engine/entity/def.h"
#include "engine/entity/records.h"
#include "engine/flow/actions.h"
#include "http/http.h"
#include "platform/counter.h"
#include "platform/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_RULE "registration.check"
#define ITEM_CHECK_RULE "registration.item_check"
#define OTHER_PROJECTS_MAX 20 /* other records of one person the rule sees */
#define NUMBER_SEQ_DIGITS 5

/* A query whose SQL names a table of a definition (never anything from a request): head, the
 * table, tail. */
static jg_rc query_on(jg_conn *c, const char *head, const char *table, const char *tail, const jg_value *p,
                      int n, jg_rows **out)
{
    jg_buf sql;
    jg_buf_init(&sql, 1024);
    jg_buf_puts(&sql, head);
    jg_buf_puts(&sql, table);
    jg_buf_puts(&sql, tail);
    jg_rc rc = jg_db_query(c, sql.data, p, n, out);
    jg_buf_free(&sql);
    return rc;
}

static const jg_entity *entity_of(jg_flow_service *s)
{
    return s->entity != NULL ? jg_entity_find(&jg_records_of(s->req)->set, s->entity) : NULL;
}

static const jg_entity *child_of(const jg_entity *e, const char *name)
{
    for (int i = 0; i < e->nchildren; i++)
        if (strcmp(e->children[i].name, name) == 0)
            return &e->children[i];
    return NULL;
}

/* A stored decimal (scaled BIGINT) as a JSON number. */
static json_t *decimal(const jg_rows *r, int row, int col, int scale)
{
    if (jg_rows_text(r, row, col) == NULL)
        return json_null();
    double v = (double)jg_rows_int(r, row, col);
    for (int i = 0; i < scale; i++)
        v /= 10;
    return json_real(v);
}

static json_t *text_or_null(const jg_rows *r, int row, int col)
{
    const char *t = jg_rows_text(r, row, col);
    return t != NULL ? json_string(t) : json_null();
}

/* total_area and the units' areas. */
static jg_rc gather_areas(jg_flow_service *s, const jg_entity *e, int64_t id, json_t *g)
{
    const jg_field *total = jg_entity_field(e, "total_area");
    const jg_entity *units = child_of(e, "units");
    const jg_field *area = units != NULL ? jg_entity_field(units, "area") : NULL;
    if (total == NULL || area == NULL)
        return JG_OK;
    jg_value p[] = {JG_VINT(id)};
    jg_rows *r;
    jg_rc rc = query_on(s->c, "SELECT total_area FROM ", e->table, " WHERE id = $1", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_object_set_new(g, "total_area",
                        jg_rows_count(r) == 1 ? decimal(r, 0, 0, total->scale) : json_null());
    jg_rows_free(r);
    rc = query_on(s->c, "SELECT unit_name, area FROM ", units->table,
                  " WHERE parent_id = $1 ORDER BY seq, id", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *list = json_array();
    for (int i = 0; i < jg_rows_count(r); i++)
        json_array_append_new(list, json_pack("{s:i, s:o, s:o}", "row", i, "unit_name", text_or_null(r, i, 0),
                                              "area", decimal(r, i, 1, area->scale)));
    jg_rows_free(r);
    json_object_set_new(g, "units", list);
    return JG_OK;
}

/* One person's certificates and other declarations of the same entity (not draft or deleted). */
static jg_rc gather_person(jg_flow_service *s, const jg_entity *e, const jg_entity *persons, int64_t id,
                           int64_t person_id, json_t *o)
{
    jg_value p[] = {JG_VINT(person_id), JG_VINT(id)};
    jg_rows *r;
    jg_rc rc = jg_db_query(s->c,
                           "SELECT kind, certificate_no, expires_on FROM person_certificate"
                           " WHERE person_id = $1 AND status = 'active' ORDER BY id",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    json_t *certs = json_array();
    for (int i = 0; i < jg_rows_count(r); i++)
        json_array_append_new(certs,
                              json_pack("{s:o, s:o, s:o}", "kind", text_or_null(r, i, 0), "certificate_no",
                                        text_or_null(r, i, 1), "expires_on", text_or_null(r, i, 2)));
    jg_rows_free(r);
    json_object_set_new(o, "certificates", certs);

    jg_buf tail;
    jg_buf_init(&tail, 512);
    jg_buf_puts(&tail, " r ON r.id = p.parent_id WHERE p.person_id = $1 AND r.id <> $2"
                       " AND r.state NOT IN ('draft', 'deleted')"
                       " ORDER BY r.id DESC LIMIT 20");
    jg_buf head;
    jg_buf_init(&head, 512);
    jg_buf_puts(&head, "SELECT r.id, r.project_name, r.state, r.planned_finish_on, p.person_role FROM ");
    jg_buf_puts(&head, persons->table);
    jg_buf_puts(&head, " p JOIN ");
    rc = query_on(s->c, head.data, e->table, tail.data, p, 2, &r);
    jg_buf_free(&head);
    jg_buf_free(&tail);
    if (rc != JG_OK)
        return rc;
    json_t *others = json_array();
    for (int i = 0; i < jg_rows_count(r) && i < OTHER_PROJECTS_MAX; i++)
        json_array_append_new(others,
                              json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)jg_rows_int(r, i, 0),
                                        "project_name", text_or_null(r, i, 1), "state", text_or_null(r, i, 2),
                                        "planned_finish_on", text_or_null(r, i, 3), "person_role",
                                        text_or_null(r, i, 4)));
    jg_rows_free(r);
    json_object_set_new(o, "other_projects", others);
    return JG_OK;
}

/* The persons of the declaration, each with what the registry knows. */
static jg_rc gather_persons(jg_flow_service *s, const jg_entity *e, int64_t id, json_t *g)
{
    const jg_entity *persons = child_of(e, "persons");
    if (persons == NULL || jg_entity_field(persons, "person_id") == NULL ||
        jg_entity_field(persons, "person_role") == NULL)
        return JG_OK;
    const int has_no = jg_entity_field(persons, "certificate_no") != NULL;
    const int has_party = jg_entity_field(persons, "party_role") != NULL;
    jg_value p[] = {JG_VINT(id)};
    jg_rows *r;
    jg_buf head;
    jg_buf_init(&head, 512);
    jg_buf_puts(&head, "SELECT x.person_id, x.person_role, ");
    jg_buf_puts(&head, has_party ? "x.party_role, " : "NULL, ");
    jg_buf_puts(&head, has_no ? "x.certificate_no, " : "NULL, ");
    jg_buf_puts(&head, "ps.name, ps.status FROM ");
    jg_rc rc =
        query_on(s->c, head.data, persons->table,
                 " x LEFT JOIN person ps ON ps.id = x.person_id WHERE x.parent_id = $1 ORDER BY x.seq, x.id",
                 p, 1, &r);
    jg_buf_free(&head);
    if (rc != JG_OK)
        return rc;
    json_t *list = json_array();
    json_object_set_new(g, "persons", list);
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++) {
        const char *status = jg_rows_text(r, i, 5);
        json_t *o =
            json_pack("{s:i, s:I, s:o, s:o, s:o, s:o, s:b}", "row", i, "person_id",
                      (json_int_t)jg_rows_int(r, i, 0), "person_role", text_or_null(r, i, 1), "party_role",
                      text_or_null(r, i, 2), "certificate_no", text_or_null(r, i, 3), "name",
                      text_or_null(r, i, 4), "exists", status != NULL && strcmp(status, "active") == 0);
        json_array_append_new(list, o);
        rc = gather_person(s, e, persons, id, jg_rows_int(r, i, 0), o);
    }
    jg_rows_free(r);
    return rc;
}

/* An enterprise of the registry by id or credit code into o: exists, name, credit_code,
 * qualifications. */
static jg_rc gather_enterprise(jg_flow_service *s, const jg_value *key, int by_code, json_t *o)
{
    jg_rows *r;
    jg_rc rc =
        jg_db_query(s->c,
                    by_code ? "SELECT id, name, credit_code, status FROM enterprise WHERE credit_code = $1"
                            : "SELECT id, name, credit_code, status FROM enterprise WHERE id = $1",
                    key, 1, &r);
    if (rc != JG_OK)
        return rc;
    const int found = jg_rows_count(r) == 1;
    const char *status = found ? jg_rows_text(r, 0, 3) : NULL;
    json_object_set_new(o, "exists", json_boolean(found && status != NULL && strcmp(status, "active") == 0));
    int64_t eid = found ? jg_rows_int(r, 0, 0) : 0;
    if (found) {
        json_object_set_new(o, "name", text_or_null(r, 0, 1));
        json_object_set_new(o, "credit_code", text_or_null(r, 0, 2));
    }
    jg_rows_free(r);
    json_t *quals = json_array();
    json_object_set_new(o, "qualifications", quals);
    if (!found)
        return JG_OK;
    jg_value p[] = {JG_VINT(eid)};
    rc = jg_db_query(s->c,
                     "SELECT category, grade, certificate_no, expires_on FROM enterprise_qualification"
                     " WHERE enterprise_id = $1 AND status = 'active' ORDER BY id",
                     p, 1, &r);
    if (rc != JG_OK)
        return rc;
    for (int i = 0; i < jg_rows_count(r); i++)
        json_array_append_new(quals, json_pack("{s:o, s:o, s:o, s:o}", "category", text_or_null(r, i, 0),
                                               "grade", text_or_null(r, i, 1), "certificate_no",
                                               text_or_null(r, i, 2), "expires_on", text_or_null(r, i, 3)));
    jg_rows_free(r);
    return JG_OK;
}

/* The enterprise fields of the record and the rows of its "parties" child (by credit code). */
static jg_rc gather_parties(jg_flow_service *s, const jg_entity *e, int64_t id, json_t *g)
{
    json_t *list = json_array();
    json_object_set_new(g, "enterprises", list);
    jg_rc rc = JG_OK;
    for (int i = 0; rc == JG_OK && i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        json_t *v = json_object_get(s->record, f->name);
        if (f->type != JG_FIELD_ENTERPRISE || !json_is_integer(v))
            continue;
        json_t *o = json_pack("{s:s, s:s, s:O}", "field", f->name, "label", f->label, "id", v);
        json_array_append_new(list, o);
        jg_value key[] = {JG_VINT(json_integer_value(v))};
        rc = gather_enterprise(s, key, 0, o);
    }
    const jg_entity *parties = child_of(e, "parties");
    if (rc != JG_OK || parties == NULL || jg_entity_field(parties, "credit_code") == NULL)
        return rc;
    const int has_name = jg_entity_field(parties, "party_name") != NULL;
    const int has_role = jg_entity_field(parties, "party_role") != NULL;
    jg_buf head;
    jg_buf_init(&head, 256);
    jg_buf_puts(&head, "SELECT credit_code, ");
    jg_buf_puts(&head, has_name ? "party_name, " : "NULL, ");
    jg_buf_puts(&head, has_role ? "party_role FROM " : "NULL FROM ");
    jg_value p[] = {JG_VINT(id)};
    jg_rows *r;
    rc = query_on(s->c, head.data, parties->table, " WHERE parent_id = $1 ORDER BY seq, id", p, 1, &r);
    jg_buf_free(&head);
    if (rc != JG_OK)
        return rc;
    json_t *rows = json_array();
    json_object_set_new(g, "parties", rows);
    for (int i = 0; rc == JG_OK && i < jg_rows_count(r); i++) {
        const char *code = jg_rows_text(r, i, 0);
        json_t *o = json_pack("{s:i, s:o, s:o, s:o}", "row", i, "given_code", text_or_null(r, i, 0),
                              "party_name", text_or_null(r, i, 1), "party_role", text_or_null(r, i, 2));
        json_array_append_new(rows, o);
        jg_value key[] = {JG_VTEXT(code != NULL ? code : "")};
        rc = gather_enterprise(s, key, 1, o);
    }
    jg_rows_free(r);
    return rc;
}

/* The Beijing business date of the step's time ("YYYY-MM-DD"). */
static void today(const jg_flow_service *s, char *out, size_t n)
{
    int64_t t = 0;
    if (s->now == NULL || !jg_time_parse_iso(s->now, &t))
        t = 0;
    jg_time_business_date(t, out, n);
}

/* facts.gathered of registration.check (actions.h). */
static jg_rc gather(jg_flow_service *s, json_t *g)
{
    const jg_entity *e = entity_of(s);
    json_t *id = json_object_get(s->record, "id");
    if (e == NULL || !json_is_integer(id))
        return JG_OK;
    char day[16];
    today(s, day, sizeof(day));
    json_object_set_new(g, "today", json_string(day));
    json_object_set_new(g, "entity", json_string(e->name));
    jg_rc rc = gather_areas(s, e, json_integer_value(id), g);
    if (rc == JG_OK)
        rc = gather_persons(s, e, json_integer_value(id), g);
    if (rc == JG_OK)
        rc = gather_parties(s, e, json_integer_value(id), g);
    return rc;
}

/* facts.gathered of registration.item_check: the registered project an additional item names. */
static jg_rc gather_item(jg_flow_service *s, json_t *g)
{
    json_t *ref = json_object_get(s->record, "registration_id");
    const jg_entity *e = jg_entity_find(&jg_records_of(s->req)->set, "registration");
    if (!json_is_integer(ref) || e == NULL)
        return JG_OK;
    jg_value p[] = {JG_VINT(json_integer_value(ref))};
    jg_rows *r;
    jg_rc rc = query_on(s->c, "SELECT id, state, project_name, org_code FROM ", e->table,
                        " WHERE id = $1 AND state <> 'deleted'", p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 1)
        json_object_set_new(g, "project",
                            json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)jg_rows_int(r, 0, 0), "state",
                                      text_or_null(r, 0, 1), "project_name", text_or_null(r, 0, 2),
                                      "org_code", text_or_null(r, 0, 3)));
    jg_rows_free(r);
    return JG_OK;
}

/* Set date fields and the like of the record (a system step): one UPDATE with the version moved
 * on, a history line per field, an audit entry. */
static jg_rc stamp(jg_flow_service *s, const jg_entity *e, int64_t id, const char *const *names,
                   const char *const *values, int n, const char *audit_action)
{
    const jg_principal *who = s->req->principal;
    jg_buf sql;
    jg_buf_init(&sql, 512);
    jg_buf_puts(&sql, "UPDATE ");
    jg_buf_puts(&sql, e->table);
    jg_buf_puts(&sql, " SET version = version + 1, updated_at = $1");
    jg_value p[8] = {JG_VTEXT(s->now), JG_VINT(id)};
    for (int i = 0; i < n; i++) {
        char ph[16];
        snprintf(ph, sizeof(ph), " = $%d", i + 3);
        jg_buf_puts(&sql, ", ");
        jg_buf_puts(&sql, names[i]); /* field names of the definition */
        jg_buf_puts(&sql, ph);
        p[i + 2] = JG_VTEXT(values[i]);
    }
    jg_buf_puts(&sql, " WHERE id = $2");
    jg_rc rc = jg_db_exec(s->c, sql.data, p, n + 2, NULL);
    jg_buf_free(&sql);
    json_t *after = json_object(), *before = json_object();
    for (int i = 0; rc == JG_OK && i < n; i++) {
        json_t *old = json_object_get(s->record, names[i]);
        json_object_set(before, names[i], old != NULL ? old : json_null());
        char *ot = json_dumps(old != NULL ? old : json_null(), JSON_ENCODE_ANY);
        json_t *nv = json_string(values[i]);
        char *nt = json_dumps(nv, JSON_ENCODE_ANY);
        jg_value h[] = {JG_VTEXT(e->name),
                        JG_VINT(id),
                        JG_VTEXT(names[i]),
                        ot != NULL ? JG_VTEXT(ot) : JG_VNULL,
                        nt != NULL ? JG_VTEXT(nt) : JG_VNULL,
                        who != NULL ? JG_VINT(who->user_id) : JG_VNULL,
                        who != NULL ? JG_VTEXT(who->username) : JG_VNULL,
                        JG_VTEXT(s->now)};
        rc = jg_db_exec(s->c,
                        "INSERT INTO entity_history (entity, record_id, field, old_value, new_value, user_id,"
                        " username, at, action) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'flow')",
                        h, 8, NULL);
        free(ot);
        free(nt);
        json_decref(nv);
        json_object_set_new(after, names[i], json_string(values[i]));
        json_object_set(s->record, names[i], json_object_get(after, names[i]));
    }
    if (rc == JG_OK) {
        char rid[32];
        snprintf(rid, sizeof(rid), "%lld", (long long)id);
        rc = jg_audit_req(s->c, s->req, audit_action, e->name, rid,
                          json_pack("{s:s, s:O, s:O}", "node", s->node, "before", before, "after", after));
    }
    json_decref(before);
    json_decref(after);
    return rc;
}

/* registration.receive: the first day a station received the declaration. A resubmission (the
 * instance received it before) keeps it; a date the applicant typed into the draft is replaced. */
static jg_rc receive(jg_flow_service *s)
{
    const jg_entity *e = entity_of(s);
    json_t *id = json_object_get(s->record, "id");
    if (e == NULL || !json_is_integer(id) || jg_entity_field(e, "received_on") == NULL)
        return JG_OK;
    jg_value p[] = {JG_VINT(s->instance)};
    jg_rows *r;
    jg_rc rc = jg_db_query(s->c,
                           "SELECT 1 FROM flow_log WHERE instance_id = $1"
                           " AND action = 'service:registration.receive' LIMIT 1",
                           p, 1, &r);
    if (rc != JG_OK)
        return rc;
    const int again = jg_rows_count(r) > 0;
    jg_rows_free(r);
    if (again && json_is_string(json_object_get(s->record, "received_on")))
        return JG_OK;
    char day[16];
    today(s, day, sizeof(day));
    static const char *const names[] = {"received_on"};
    const char *values[] = {day};
    s->log = jg_arena_printf(s->req->arena, "收件日期 %s", day);
    return stamp(s, e, json_integer_value(id), names, values, 1, "registration_receive");
}

/* The next number of the station (the county of org_code) in year: "<station>-<year>-<prefix><seq>",
 * from the series' counter (platform/counter.h), taken and moved on in the caller's transaction. */
static jg_rc next_number(jg_flow_service *s, const char *org, const char *year, const char *prefix, char *out,
                         size_t n)
{
    char series[64];
    snprintf(series, sizeof(series), "%.6s-%s-%s", org, year, prefix);
    int64_t seq = 0;
    jg_rc rc = jg_counter_next(s->c, series, 0, &seq);
    if (rc != JG_OK)
        return rc;
    int w = snprintf(out, n, "%s%0*lld", series, NUMBER_SEQ_DIGITS, (long long)seq);
    if (w < 0 || (size_t)w >= n) {
        jg_error("registration: number %lld of series %s does not fit", (long long)seq, series);
        return JG_ERR;
    }
    return JG_OK;
}

/* registration.issue: 结果下达 — the registration number of the station and the issue date. */
static jg_rc issue(jg_flow_service *s)
{
    const jg_entity *e = entity_of(s);
    json_t *id = json_object_get(s->record, "id");
    const char *org = e != NULL && e->scope_org != NULL
                          ? json_string_value(json_object_get(s->record, e->scope_org))
                          : NULL;
    if (e == NULL || !json_is_integer(id) || org == NULL || jg_entity_field(e, "registration_no") == NULL ||
        jg_entity_field(e, "issued_on") == NULL)
        return JG_OK;
    char day[16], year[8], number[80];
    today(s, day, sizeof(day));
    snprintf(year, sizeof(year), "%.4s", day);
    const char *prefix = strstr(e->name, "pile") != NULL ? "ZJ" : ""; /* 桩基: a series of its own */
    jg_rc rc = next_number(s, org, year, prefix, number, sizeof(number));
    if (rc != JG_OK)
        return rc;
    static const char *const names[] = {"registration_no", "issued_on"};
    const char *values[] = {number, day};
    s->log = jg_arena_printf(s->req->arena, "监督登记号 %s，下达日期 %s", number, day);
    return stamp(s, e, json_integer_value(id), names, values, 2, "registration_issue");
}

static jg_rc init(jg_app *app)
{
    (void)app;
    jg_flow_facts_register(CHECK_RULE, gather);
    jg_flow_facts_register(ITEM_CHECK_RULE, gather_item);
    jg_flow_action_set("registration.receive", receive);
    jg_flow_action_set("registration.issue", issue);
    return JG_OK;
}

const jg_module jg_module_registration = {"registration", NULL, init, NULL};
