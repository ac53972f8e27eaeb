/* Printing a record as a PDF from a template of its definition, with an SM2-signed verification
 * code in a QR code (print.h), and the public check of such codes (print_verify.c):
 *
 *   GET /api/v1/records/{entity}/{id}/print/{template}   the PDF (read permission, data scope)
 *   GET /verify/{code}                                    public: is this paper genuine? (HTML)
 *   GET /api/v1/public/verify/{code}                      the same as JSON */
#include "engine/entity/print.h"
#include "engine/entity/records.h"

#include "base/log.h"
#include "base/timeutil.h"
#include "platform/identity.h"
#include "platform/keys.h"
#include "platform/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRINT_MAX_BYTES (20 * 1024 * 1024) /* one PDF */

static jg_sm2_key *print_key; /* one app per process: set by init, freed by exit */

const jg_sm2_key *jg_print_key(void)
{
    return print_key;
}

/* One print being made: everything lives in the request's arena or is freed by print(). */
struct job {
    jg_req *req;
    const jg_record_kind *k;
    json_t *t;
    int64_t id, version;
    char code[JG_PRINT_CODE_LEN + 1], digest[65], at[32];
    jg_sm2_sig sig;
};

static jg_rc store_tx(jg_conn *c, void *ud)
{
    struct job *j = ud;
    const jg_principal *p = j->req->principal;
    const char *tmpl = json_string_value(json_object_get(j->t, "name"));
    jg_value v[] = {JG_VTEXT(j->code),    JG_VTEXT(j->k->e->name), JG_VINT(j->id),
                    JG_VTEXT(tmpl),       JG_VINT(j->version),     JG_VTEXT(j->digest),
                    JG_VTEXT(j->sig.hex), JG_VINT(p->user_id),     JG_VTEXT(j->at)};
    jg_rc rc = jg_db_exec(c,
                          "INSERT INTO print_code (code, entity, record_id, template, record_version, digest,"
                          " signature, printed_by, printed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                          v, 9, NULL);
    if (rc != JG_OK)
        return rc;
    char rid[24];
    snprintf(rid, sizeof(rid), "%lld", (long long)j->id);
    return jg_audit_req(
        c, j->req, "record_print", j->k->e->name, rid,
        json_pack("{s:s, s:s, s:I}", "template", tmpl, "code", j->code, "version", (json_int_t)j->version));
}

/* Sign what is printed: the code, the record and its version, the digest of the values. */
static jg_rc sign(struct job *j, json_t *values)
{
    jg_rc rc = jg_print_code_new(j->code);
    if (rc == JG_OK)
        rc = jg_print_digest(values, j->digest);
    if (rc != JG_OK)
        return rc;
    jg_time_iso_now(j->at, sizeof(j->at));
    char *text =
        jg_print_signed_text(j->code, j->k->e->name, j->id, json_string_value(json_object_get(j->t, "name")),
                             j->version, j->digest, j->at);
    rc = jg_sm2_sign(print_key, text, strlen(text), &j->sig);
    free(text);
    return rc;
}

/* "attachment; filename=\"registration-receipt-12.pdf\"; filename*=UTF-8''<label>-12.pdf" */
static const char *disposition(jg_req *req, const jg_entity *e, json_t *t, int64_t id)
{
    const char *name = json_string_value(json_object_get(t, "name"));
    const char *label = json_string_value(json_object_get(t, "label"));
    jg_buf b;
    jg_buf_init(&b, 4096);
    jg_buf_printf(&b, "attachment; filename=\"%s-%s-%lld.pdf\"; filename*=UTF-8''", e->name, name,
                  (long long)id);
    for (const unsigned char *s = (const unsigned char *)label; *s != '\0'; s++) /* RFC 5987 attr-char */
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("-._~", *s))
            jg_buf_append(&b, s, 1);
        else
            jg_buf_printf(&b, "%%%02X", *s);
    jg_buf_printf(&b, "-%lld.pdf", (long long)id);
    const char *out = jg_arena_strdup(req->arena, b.data);
    jg_buf_free(&b);
    return out;
}

/* The document of the record: blocks, QR code and footer, formatted on c. */
static jg_rc compose(struct job *j, jg_conn *c, json_t *rec, jg_pdf_doc *doc)
{
    jg_req *req = j->req;
    const jg_principal *p = req->principal;
    jg_pdf_block *blocks;
    int n;
    jg_rc rc = jg_print_blocks(c, j->k->e, j->t, rec, req->arena, &blocks, &n);
    if (rc != JG_OK)
        return rc;
    const char *base = req->app->cfg->public_url;
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/')
        bl--;
    char when[64];
    jg_print_datetime(j->at, when, sizeof(when));
    *doc = (jg_pdf_doc){
        .header = req->app->cfg->print_header,
        .title = json_string_value(json_object_get(j->t, "title")),
        .blocks = blocks,
        .nblocks = n,
        .qr_text = jg_arena_printf(req->arena, "%.*s/verify/%s", (int)bl, base, j->code),
        .qr_caption = jg_arena_printf(req->arena, "验证码\n%s", j->code),
        .footer = jg_arena_printf(req->arena, "打印时间：%s　打印人：%s", when,
                                  p->display_name != NULL ? p->display_name : p->username),
    };
    return JG_OK;
}

/* GET /api/v1/records/{entity}/{id}/print/{template} */
static jg_rc print(jg_req *req, jg_resp *resp)
{
    struct job j = {.req = req};
    j.k = jg_record_kind_of(req, resp, "read");
    if (j.k == NULL)
        return JG_DENIED;
    if (j.k->e->parent != NULL || jg_record_path_id(req, &j.id) != JG_OK)
        return jg_resp_error(req, resp, JG_NOTFOUND, "记录不存在");
    j.t = jg_print_template(j.k->e, jg_req_param(req, "template"));
    if (j.t == NULL)
        return jg_resp_error(req, resp, JG_NOTFOUND, "没有这个打印模板");
    jg_conn *c;
    jg_rc rc = jg_db_acquire(req->app->db, 0, &c);
    if (rc != JG_OK)
        return rc;
    jg_rows *r = NULL;
    json_t *rec = NULL, *values = NULL;
    jg_pdf_doc doc;
    rc = jg_record_fetch(req, c, j.k, j.id, &r);
    if (rc == JG_NOTFOUND)
        rc = jg_resp_error(req, resp, rc, "记录不存在");
    if (rc == JG_OK)
        rc = jg_record_json(req, c, j.k, r, 0, JG_RECORD_DETAIL | JG_RECORD_MASKED, &rec);
    const char *state = rec != NULL ? json_string_value(json_object_get(rec, "state")) : NULL;
    if (rc == JG_OK && !jg_print_state_ok(j.t, state)) {
        const char *label = state;
        for (int i = 0; i < j.k->e->nstates; i++)
            if (strcmp(j.k->e->states[i].name, state) == 0)
                label = j.k->e->states[i].label;
        rc = jg_resp_error(req, resp, JG_CONFLICT,
                           jg_arena_printf(req->arena, "记录当前状态为“%s”，不能打印%s", label,
                                           json_string_value(json_object_get(j.t, "label"))));
    }
    if (rc == JG_OK) {
        j.version = (int64_t)json_integer_value(json_object_get(rec, "version"));
        values = jg_print_values(j.t, rec);
        rc = sign(&j, values);
    }
    if (rc == JG_OK)
        rc = compose(&j, c, rec, &doc);
    jg_rows_free(r);
    jg_db_release(c);
    json_decref(values);
    char *pdf = NULL;
    size_t len = 0;
    int pages = 0;
    if (rc == JG_OK) {
        rc = jg_pdf_render(&doc, PRINT_MAX_BYTES, &pdf, &len, &pages);
        if (rc == JG_TOOLARGE)
            rc = jg_resp_error(req, resp, rc, "打印内容过多，无法生成文件");
    }
    json_decref(rec); /* the document's strings point into it until now */
    if (rc == JG_OK)
        rc = jg_db_tx(req->app->db, store_tx, &j);
    if (rc != JG_OK) {
        free(pdf);
        return rc;
    }
    jg_arena_on_free(req->arena, free, pdf);
    resp->status = 200;
    resp->content_type = "application/pdf";
    resp->body = pdf;
    resp->body_len = len;
    jg_resp_header(req, resp, "Content-Disposition", disposition(req, j.k->e, j.t, j.id));
    jg_resp_header(req, resp, "Cache-Control", "no-store");
    jg_info("print: %s %lld %s, %d pages, code %s", j.k->e->name, (long long)j.id,
            json_string_value(json_object_get(j.t, "name")), pages, j.code);
    return JG_OK;
}

static jg_rc print_init(jg_app *app)
{
    jg_rc rc = jg_keys_sm2(app->cfg->data_dir, "print-sm2.pem", &print_key);
    if (rc != JG_OK)
        jg_error("print: cannot load or create the print key data_dir/keys/print-sm2.pem");
    return rc;
}

static void print_exit(jg_app *app)
{
    (void)app;
    jg_sm2_key_free(print_key);
    print_key = NULL;
}

static const jg_route routes[] = {
    {"GET", "/api/v1/records/{entity}/{id}/print/{template}", print, JG_ROUTE_AUTH,
     "打印业务记录（PDF，含防伪验证二维码）", "records", NULL},
    {"GET", "/verify/{code}", jg_print_verify_page, 0, "公开：打印件真伪验证（网页）", "publicity", NULL},
    {"GET", "/api/v1/public/verify/{code}", jg_print_verify_json, 0, "公开：打印件真伪验证（JSON）",
     "publicity", NULL},
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};

const jg_module jg_module_records_print = {"records_print", routes, print_init, print_exit};
