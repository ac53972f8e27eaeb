/* The process definitions API of the workflow engine (docs/api/README.md, "Workflow"):
 *
 *   GET  /api/v1/flow/definitions                 the latest version of every process
 *   GET  /api/v1/flow/definitions/{key}?version=  one version (default latest): document and model
 *   GET  /api/v1/flow/definitions/{key}/versions  its versions
 *   POST /api/v1/flow/definitions/validate        {"xml"}: check without deploying (the designer)
 *   POST /api/v1/flow/definitions                 {"xml"}: deploy as a new version
 * Reading needs flow.read, validating and deploying flow.deploy. */
#include "base/log.h"
#include "base/text.h"
#include "engine/flow/deploy.h"
#include "http/http.h"
#include "platform/identity.h"
#include "platform/session.h"

#include <stdio.h>
#include <string.h>

#define MSG_NOT_FOUND "没有这个流程"

/* The model as the designer and the run views show it. */
static json_t *model_json(const jg_flow_model *m)
{
    json_t *nodes = json_array(), *flows = json_array();
    for (int i = 0; i < m->nnodes; i++) {
        const jg_flow_node *x = &m->nodes[i];
        json_t *o =
            json_pack("{s:s, s:s?, s:s}", "id", x->id, "name", x->name, "kind", jg_flow_kind_name(x->kind));
        if (x->kind == JG_NODE_USER) {
            json_object_set_new(o, "candidate_roles",
                                x->candidate_roles ? json_string(x->candidate_roles) : json_null());
            json_object_set_new(o, "level", x->level ? json_string(x->level) : json_null());
            json_object_set_new(o, "assignee_field",
                                x->assignee_field ? json_string(x->assignee_field) : json_null());
            json_object_set_new(o, "due_days", json_integer(x->due_days));
            json_object_set_new(o, "working_days", json_boolean(x->working_days));
            json_object_set_new(o, "on_timeout", x->on_timeout ? json_string(x->on_timeout) : json_null());
            json_object_set_new(o, "countersign",
                                json_string(x->sign == JG_SIGN_ALL     ? "all"
                                            : x->sign == JG_SIGN_ANY   ? "any"
                                            : x->sign == JG_SIGN_RATIO ? "ratio"
                                                                       : "none"));
        }
        if (x->state != NULL)
            json_object_set_new(o, "state", json_string(x->state));
        if (x->action != NULL)
            json_object_set_new(o, "action", json_string(x->action));
        if (x->kind == JG_NODE_TIMER) {
            json_object_set_new(o, "attached_to", json_string(m->nodes[x->attached_to].id));
            json_object_set_new(o, "interrupting", json_boolean(x->cancel));
            json_object_set_new(o, "duration_s", json_integer(x->duration_s));
            json_object_set_new(o, "working_days", json_boolean(x->working_days));
        }
        json_array_append_new(nodes, o);
    }
    for (int i = 0; i < m->nedges; i++) {
        const jg_flow_edge *e = &m->edges[i];
        json_array_append_new(flows,
                              json_pack("{s:s, s:s?, s:s, s:s, s:s?, s:s?}", "id", e->id, "name", e->name,
                                        "source", m->nodes[e->source].id, "target", m->nodes[e->target].id,
                                        "condition", e->condition, "action", e->action));
    }
    return json_pack("{s:s, s:s?, s:o, s:o}", "key", m->key, "name", m->name, "nodes", nodes, "flows", flows);
}

/* The "xml" of the JSON body, or the 400 answered and NULL. */
static const char *body_xml(jg_req *req, jg_resp *resp, size_t *n)
{
    json_t *x = json_is_object(req->json) ? json_object_get(req->json, "xml") : NULL;
    if (!json_is_object(req->json) || json_object_size(req->json) != 1 || !json_is_string(x)) {
        jg_resp_error_fields(req, resp, JG_INVALID, "请求内容不正确",
                             json_pack("{s:s}", "xml", "请提交 {\"xml\": \"<BPMN 2.0 文档>\"}"));
        return NULL;
    }
    *n = json_string_length(x);
    return json_string_value(x);
}

/* Load the body's document: JG_OK with *m, or the 400 answered. */
static jg_rc body_model(jg_req *req, jg_resp *resp, const char **xml, size_t *n, jg_flow_model *m)
{
    *xml = body_xml(req, resp, n);
    if (*xml == NULL)
        return JG_INVALID;
    char err[512];
    if (jg_bpmn_load(*xml, *n, m, err, sizeof(err)) != JG_OK)
        return jg_resp_error_fields(req, resp, JG_INVALID, "流程定义不正确", json_pack("{s:s}", "xml", err));
    return JG_OK;
}

/* POST /api/v1/flow/definitions/validate */
static jg_rc validate(jg_req *req, jg_resp *resp)
{
    const char *xml;
    size_t n;
    jg_flow_model m;
    jg_rc rc = body_model(req, resp, &xml, &n, &m);
    if (rc != JG_OK)
        return rc;
    json_t *o = model_json(&m);
    json_object_set_new(o, "valid", json_true());
    jg_flow_model_free(&m);
    return jg_resp_json(req, resp, 200, o);
}

struct deploy {
    jg_req *req;
    const jg_flow_model *m;
    const char *xml;
    size_t n;
    jg_flow_deployed d;
};

static jg_rc deploy_tx(jg_conn *c, void *ud)
{
    struct deploy *w = ud;
    const jg_principal *p = w->req->principal;
    jg_rc rc = jg_flow_deploy(c, w->m, w->xml, w->n, "designer", p->user_id, &w->d);
    if (rc == JG_OK && w->d.created) {
        char id[96];
        snprintf(id, sizeof(id), "%s:%d", w->d.key, w->d.version);
        rc = jg_audit_req(c, w->req, "flow_deploy", "flow_definition", id,
                          json_pack("{s:s, s:i}", "key", w->d.key, "version", w->d.version));
    }
    return rc;
}

/* POST /api/v1/flow/definitions: 201 with the new version, 200 when the document was the latest. */
static jg_rc deploy(jg_req *req, jg_resp *resp)
{
    struct deploy w = {.req = req};
    jg_flow_model m;
    jg_rc rc = body_model(req, resp, &w.xml, &w.n, &m);
    if (rc != JG_OK)
        return rc;
    w.m = &m;
    rc = jg_db_tx(req->app->db, deploy_tx, &w);
    if (rc == JG_OK) {
        json_t *o = json_pack("{s:s, s:s?, s:i, s:b}", "key", w.d.key, "name", w.d.name, "version",
                              w.d.version, "created", w.d.created);
        rc = jg_resp_json(req, resp, w.d.created ? 201 : 200, o);
    }
    jg_flow_model_free(&m);
    return rc;
}

/* GET /api/v1/flow/definitions */
static jg_rc list(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT d.key, d.name, d.version, d.source, d.deployed_at FROM flow_definition d"
                   " WHERE d.version = (SELECT MAX(v.version) FROM flow_definition v WHERE v.key = d.key)"
                   " ORDER BY d.key",
                   NULL, 0, &r);
    if (rc != JG_OK)
        return rc;
    json_t *items = jg_json_rows(r);
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/v1/flow/definitions/{key}/versions */
static jg_rc versions(jg_req *req, jg_resp *resp)
{
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(jg_req_param(req, "key"))};
    jg_rc rc =
        jg_db_read(req->app->db,
                   "SELECT d.version, d.name, d.sm3, d.source, d.deployed_at, u.username AS deployed_by"
                   " FROM flow_definition d LEFT JOIN app_user u ON u.id = d.deployed_by"
                   " WHERE d.key = $1 ORDER BY d.version DESC",
                   p, 1, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NOT_FOUND);
    }
    json_t *items = jg_json_rows(r);
    jg_rows_free(r);
    return jg_resp_json(req, resp, 200, json_pack("{s:o}", "items", items));
}

/* GET /api/v1/flow/definitions/{key}?version= */
static jg_rc get(jg_req *req, jg_resp *resp)
{
    const char *v = jg_req_query(req, "version");
    int64_t version = 0;
    if (v != NULL && jg_parse_int64(v, 1, 1000000, &version) != JG_OK)
        return jg_resp_error_fields(req, resp, JG_INVALID, "查询条件不正确",
                                    json_pack("{s:s}", "version", "版本号应是正整数"));
    jg_rows *r;
    jg_value p[] = {JG_VTEXT(jg_req_param(req, "key")), JG_VINT(version)};
    jg_rc rc = jg_db_read(req->app->db,
                          "SELECT version, source, deployed_at, xml FROM flow_definition WHERE key = $1"
                          " AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1",
                          p, 2, &r);
    if (rc != JG_OK)
        return rc;
    if (jg_rows_count(r) == 0) {
        jg_rows_free(r);
        return jg_resp_error(req, resp, JG_NOTFOUND, MSG_NOT_FOUND);
    }
    const char *xml = jg_rows_text(r, 0, 3);
    jg_flow_model m;
    char err[512];
    rc = jg_bpmn_load(xml, strlen(xml), &m, err, sizeof(err));
    json_t *o = NULL;
    if (rc == JG_OK) {
        o = model_json(&m);
        json_object_set_new(o, "version", json_integer(jg_rows_int(r, 0, 0)));
        json_object_set_new(o, "source", json_string(jg_rows_text(r, 0, 1)));
        json_object_set_new(o, "deployed_at", json_string(jg_rows_text(r, 0, 2)));
        json_object_set_new(o, "xml", json_string(xml));
        jg_flow_model_free(&m);
    } else {
        jg_error("flow: stored definition %s no longer loads: %s", jg_req_param(req, "key"), err);
        rc = JG_ERR;
    }
    jg_rows_free(r);
    return rc == JG_OK ? jg_resp_json(req, resp, 200, o) : rc;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/flow/definitions", list, JG_ROUTE_AUTH, "流程定义列表（各流程的最新版本）", "flow",
     "flow.read"},
    {"POST", "/api/v1/flow/definitions", deploy, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "部署流程定义（BPMN 2.0，新版本）", "flow", "flow.deploy"},
    {"POST", "/api/v1/flow/definitions/validate", validate, JG_ROUTE_AUTH | JG_ROUTE_JSON,
     "校验流程定义（不部署）", "flow", "flow.deploy"},
    {"GET", "/api/v1/flow/definitions/{key}", get, JG_ROUTE_AUTH, "流程定义（文档与模型，默认最新版本）",
     "flow", "flow.read"},
    {"GET", "/api/v1/flow/definitions/{key}/versions", versions, JG_ROUTE_AUTH, "流程定义的版本", "flow",
     "flow.read"},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_flow = {"flow", routes, NULL, NULL};
