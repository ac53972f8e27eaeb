/* The enterprise (企业库) and person (从业人员库) registries: what enterprise.c, person.c and
 * registry.c share. Not a public API: only src/modules/registry includes it.
 *
 * Who sees what: government users of any scope see the whole province's registry (the records
 * have no region column for scope); enterprise users see their own enterprise and its persons.
 * Outside that a record is 404, for reads and writes alike. */
#ifndef JG_REGISTRY_H
#define JG_REGISTRY_H
#include "http/http.h"
#include "platform/session.h"

#include <jansson.h>
#include <stdint.h>

#define REG_DATE_LEN 11 /* "YYYY-MM-DD" and its NUL */

/* Route handlers (enterprise.c). */
jg_rc reg_enterprise_list(jg_req *req, jg_resp *resp);
jg_rc reg_enterprise_get(jg_req *req, jg_resp *resp);
jg_rc reg_enterprise_create(jg_req *req, jg_resp *resp);
jg_rc reg_enterprise_update(jg_req *req, jg_resp *resp);
jg_rc reg_qualification_add(jg_req *req, jg_resp *resp);
jg_rc reg_qualification_delete(jg_req *req, jg_resp *resp);

/* Route handlers (person.c). */
jg_rc reg_person_list(jg_req *req, jg_resp *resp);
jg_rc reg_person_get(jg_req *req, jg_resp *resp);
jg_rc reg_person_create(jg_req *req, jg_resp *resp);
jg_rc reg_person_update(jg_req *req, jg_resp *resp);
jg_rc reg_person_reveal(jg_req *req, jg_resp *resp);
jg_rc reg_certificate_add(jg_req *req, jg_resp *resp);
jg_rc reg_certificate_delete(jg_req *req, jg_resp *resp);

/* ---- shared helpers (registry.c) ---- */

/* Record a field error (message in Chinese) in fields. Cannot fail. */
void reg_bad(json_t *fields, const char *field, const char *message);
/* 1 when p is a government user (scope province, region or department). */
int reg_government(const jg_principal *p);
/* The path parameter name as a positive id into *id; JG_NOTFOUND when it is not one. */
jg_rc reg_param_id(jg_req *req, const char *name, int64_t *id);
/* page and size from the query string (defaults 1 and 20), field errors into fields. */
void reg_paging(jg_req *req, int64_t *page, int64_t *size, json_t *fields);
/* A LIKE pattern (%s%, wildcards escaped for ESCAPE '\') in the arena for a keyword of at most
 * 20 characters; NULL when s is empty. A field error under field when it is too long. */
const char *reg_like(jg_req *req, const char *s, const char *field, json_t *fields);
/* Today's business date (Asia/Shanghai) as YYYY-MM-DD. Cannot fail. */
void reg_today(char out[REG_DATE_LEN]);

/* Body field readers. Each returns the value (NULL / 0 when absent or bad) and records a field
 * error for a bad value, or for a missing one when required. Strings are trimmed of spaces,
 * copied into the request arena, hold no control characters and at most max_chars characters;
 * a required string may not be empty. */
const char *reg_text(jg_req *req, json_t *body, const char *key, int required, size_t max_chars,
                     json_t *fields);
/* A YYYY-MM-DD calendar date. */
const char *reg_date(json_t *body, const char *key, int required, json_t *fields);
/* 1 when key is in body (even as null). */
int reg_has(json_t *body, const char *key);
/* Refuse keys of body not in allowed (NULL-terminated) with a field error each. */
void reg_only(json_t *body, const char *const *allowed, json_t *fields);
/* The "version" of an update: a positive integer, required. */
int64_t reg_version(json_t *body, json_t *fields);

/* Row i of rows as a JSON object: numbers as numbers, NULL as null, text as strings. New
 * reference. Cannot fail. */
json_t *reg_row_json(const jg_rows *rows, int i);
/* Answer {"items":[...],"page","size","has_more"} from rows fetched with LIMIT size + 1, each
 * item made by reg_row_json and then passed to fix (may be NULL). Takes and frees rows. */
jg_rc reg_resp_page(jg_req *req, jg_resp *resp, jg_rows *rows, int64_t page, int64_t size,
                    void (*fix)(json_t *item));
/* Set "expired": true on item when its expires_on is before today. Cannot fail. */
void reg_mark_expired(json_t *item, const char *today);

/* jg_audit_req for the record id of a registry row: detail (may be NULL) is stolen. */
jg_rc reg_audit(jg_conn *c, jg_req *req, const char *action, const char *entity, int64_t id, json_t *detail);

#endif
