/* The HTTP layer's public interface: requests, responses, routes, modules and the app context. */
#ifndef JG_HTTP_H
#define JG_HTTP_H
#include "base/arena.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/rc.h"
#include "db/db.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *key, *value;
} jg_kv;

typedef struct jg_app jg_app;
typedef struct jg_router jg_router;
typedef struct jg_metrics jg_metrics;

/* One request. Everything it points to lives in its arena, freed when the response is sent. */
typedef struct {
    jg_arena *arena;
    jg_app *app;
    const char *method;
    const char *path; /* decoded, without the query string */
    jg_kv *headers;
    int nheaders;
    jg_kv *query;
    int nquery;
    jg_kv *params; /* path parameters of the matched route */
    int nparams;
    const char *body;
    size_t body_len;
    json_t *json;     /* parsed body for routes with JG_ROUTE_JSON; decref'd with the arena */
    const char *user; /* who made it, for the access log; NULL when anonymous */
    int has_nul;      /* a header or query value held a NUL byte (%00): refused with 400 */
    const char *ip;   /* the client's address */
    void *principal;  /* who is logged in, set by the app's authenticate hook (platform layer) */
    int route;        /* index of the matched route, or a JG_ROUTE_* pseudo index */
    void *entities;   /* the entity definitions this request uses, pinned at their first use */
} jg_req;

#define JG_RESP_MAX_HEADERS 12

/* A streamed body, produced piece by piece while it is sent (exports of any size in flat memory).
 * Append the next piece to out and return JG_OK, setting *end when nothing follows (a call may
 * append nothing and only set *end). Any other rc cuts the answer short: the connection is closed
 * mid-body, so the client sees an incomplete download rather than a truncated file that looks
 * whole. Called on a server thread, after the handler returned and its request arena may be gone:
 * ud must own what it needs (the app and its db outlive it). */
typedef jg_rc (*jg_stream_fn)(void *ud, jg_buf *out, int *end);

typedef struct {
    int status; /* 0 until something set it */
    const char *content_type;
    const char *body; /* arena-owned or static */
    size_t body_len;
    jg_kv headers[JG_RESP_MAX_HEADERS];
    int nheaders;
    int fd; /* >= 0: send this file (closed after) instead of body */
    uint64_t fd_size;
    jg_stream_fn stream; /* non-NULL: send what it produces instead of body (jg_resp_stream) */
    void *stream_ud;
    void (*stream_done)(void *ud); /* frees stream_ud once the answer is sent or abandoned */
} jg_resp;

typedef jg_rc (*jg_handler)(jg_req *req, jg_resp *resp);

enum {
    JG_ROUTE_JSON = 1, /* the body must be a JSON document (415 / 400 otherwise) */
    JG_ROUTE_AUTH = 2, /* a logged-in user is needed (401), and writes need the CSRF token (403) */
    /* The body carries files (multipart): it may be as large as the files allowed plus
     * JG_FORM_SLACK bytes for the form's other parts, even above max_body_bytes. */
    JG_ROUTE_UPLOAD = 4, /* attachments: max_upload_bytes */
    JG_ROUTE_IMPORT = 8, /* a file to import: max_import_bytes */
};
#define JG_FORM_SLACK 65536

typedef struct {
    const char *method;  /* GET, POST, PUT, PATCH, DELETE; NULL ends a table */
    const char *pattern; /* /api/v1/records/{entity}/{id} */
    jg_handler handler;
    unsigned flags;
    const char *summary;    /* one line for the OpenAPI document */
    const char *tag;        /* OpenAPI tag (subsystem) */
    const char *permission; /* code the user's role must hold (JG_ROUTE_AUTH routes), or several as
                               "a|b" (any one of them); NULL: any user */
} jg_route;

/* A feature that registers itself (after nginx's ngx_module_t): listed once in src/modules/modules.c. */
typedef struct {
    const char *name;
    const jg_route *routes;     /* terminated by {NULL} */
    jg_rc (*init)(jg_app *app); /* may be NULL */
    void (*exit)(jg_app *app);  /* may be NULL */
} jg_module;

/* Modules compiled in, terminated by NULL. */
extern const jg_module *const jg_modules[];

struct jg_app {
    const jg_config *cfg;
    jg_db *db;
    jg_router *router;
    jg_metrics *metrics;
    char *openapi; /* the OpenAPI document, built once at start */
    int access_fd; /* -1 when the access log is off */
    /* Installed by the identity module: set req->principal and req->user, or answer 401/403. */
    jg_rc (*authenticate)(jg_req *req, jg_resp *resp);
    void *identity; /* the identity module's state */
    void *entities; /* the entity engine's state: loaded definitions (engine/entity/records.h) */
    /* Installed by the entity engine (the platform cannot call it): *ok = 1 when req's caller may
     * read a live record, inside the caller's scope, whose files field holds file_id. NULL: only
     * the uploader may download a file. Fails only with database errors. */
    jg_rc (*file_readable)(jg_req *req, int64_t file_id, int *ok);
};

/* Set up an app over cfg and db: register every module's routes, run their init hooks, build the
 * OpenAPI document. Free with jg_app_exit(). */
jg_rc jg_app_init(jg_app *app, const jg_config *cfg, jg_db *db);
/* Run module exit hooks and free what jg_app_init made (not cfg or db). */
void jg_app_exit(jg_app *app);

/* Serve HTTP until SIGTERM/SIGINT, then let in-flight requests finish (up to shutdown_grace_s). */
jg_rc jg_server_run(jg_app *app);

/* The pattern of the route req matched ("/api/v1/records/{entity}"), or "" if none. */
const char *jg_router_pattern(const jg_req *req);

/* The permission code of the route req matched, or NULL. */
const char *jg_router_permission(const jg_req *req);

/* Case-insensitive header lookup; NULL if absent. */
const char *jg_req_header(const jg_req *req, const char *name);
/* First query parameter of that name; NULL if absent. */
const char *jg_req_query(const jg_req *req, const char *name);
/* Path parameter of the matched route; NULL if absent. */
const char *jg_req_param(const jg_req *req, const char *name);

/* Add a response header (copied into the request arena). Ignored past JG_RESP_MAX_HEADERS. */
void jg_resp_header(jg_req *req, jg_resp *resp, const char *name, const char *value);
/* Serialise json (reference stolen) as the body with status. Returns JG_OK. */
jg_rc jg_resp_json(jg_req *req, jg_resp *resp, int status, json_t *json);
/* Set an error body {"error":{"code","message"}} with the status mapped from rc; message is the
 * Chinese text shown to the user (NULL: the default for rc). Returns rc, so handlers can
 * `return jg_resp_error(...)`. */
jg_rc jg_resp_error(jg_req *req, jg_resp *resp, jg_rc rc, const char *message);
/* Same, with a "fields" object (reference stolen) naming the bad input fields. */
jg_rc jg_resp_error_fields(jg_req *req, jg_resp *resp, jg_rc rc, const char *message, json_t *fields);
/* Lists page by offset up to this many rows deep; past it a narrower query is needed. */
#define JG_MAX_OFFSET 10000
/* The page (from 1) and size (1..max_size, default_size when absent) of a list request's query,
 * with field errors added to fields for bad ones or a page deeper than JG_MAX_OFFSET. Most lists
 * pass the configured max_page_size; record lists allow longer pages. */
void jg_req_paging(jg_req *req, int64_t default_size, int64_t max_size, int64_t *page, int64_t *size,
                   json_t *fields);
/* Add a field error to fields (a JSON object) unless the field has one already: the first problem
 * found in a field is the one shown. */
void jg_field_error(json_t *fields, const char *field, const char *message);
/* Add "不支持的字段" to fields for each key of the object body not in allowed (NULL-terminated). */
void jg_field_unknown(json_t *body, const char *const *allowed, json_t *fields);
/* Answer 400 with message and fields (reference stolen) and return JG_INVALID when fields holds an
 * error; else free fields and return JG_OK: `if (jg_resp_fields(req, resp, "…", fields) != JG_OK)`. */
jg_rc jg_resp_fields(jg_req *req, jg_resp *resp, const char *message, json_t *fields);

/* What a transaction refused, answered after it has rolled back: a Chinese message and the field
 * it concerns (NULL for the record as a whole). Zero-initialise; message NULL means "nothing". */
typedef struct {
    const char *message, *field;
} jg_refusal;
/* Record the refusal in r and return rc: `return jg_refuse(&r, JG_CONFLICT, "phone", "…");`. */
jg_rc jg_refuse(jg_refusal *r, jg_rc rc, const char *field, const char *message);
/* Answer rc with r's message (as a field error when r names a field), or return rc unanswered when
 * nothing was refused (a database failure, answered by the dispatcher). */
jg_rc jg_resp_refusal(jg_req *req, jg_resp *resp, jg_rc rc, const jg_refusal *r);
/* Lowest level: an error body with an explicit status and code (405, 431 ...). */
void jg_resp_status_error(jg_req *req, jg_resp *resp, int status, const char *code, const char *message,
                          json_t *fields);
/* The HTTP status for rc: the one place where the mapping lives. */
int jg_http_status_of(jg_rc rc);

/* Check what is known before the body arrives: header size (431), route and method (404, 405),
 * declared body size (413). Returns 1 and fills resp when the request is answered already. */
int jg_http_precheck(jg_app *app, jg_req *req, uint64_t content_length, jg_resp *resp);
/* Answer a request whose body has arrived (static files, or the route's handler). Always fills resp. */
void jg_http_dispatch(jg_app *app, jg_req *req, jg_resp *resp);

/* One part of a multipart/form-data body (RFC 7578). Strings live in the arena given to
 * jg_multipart_parse; data points into the body (not copied, not NUL-terminated). */
typedef struct {
    const char *name;         /* the form field name */
    const char *filename;     /* NULL when the part is not a file */
    const char *content_type; /* NULL when the part has none */
    const char *data;
    size_t len;
} jg_part;

#define JG_MULTIPART_MAX_PARTS 64        /* parts in one body */
#define JG_MULTIPART_MAX_HEADER 2048     /* bytes of one part's header block */
#define JG_MULTIPART_MAX_BOUNDARY 70     /* RFC 2046 */

/* Split body (len bytes) of a request whose Content-Type is content_type into its parts, allocated
 * in a: JG_OK with *parts and *nparts (at least one part), JG_UNSUPPORTED when content_type is not
 * multipart/form-data with a boundary, JG_INVALID for anything malformed or past the limits above
 * (no closing boundary, a part without a form-data Content-Disposition or name, a header that is
 * not UTF-8, a NUL or CR/LF in a name). */
jg_rc jg_multipart_parse(const char *content_type, const char *body, size_t len, jg_arena *a, jg_part **parts,
                         int *nparts);

/* Append one row as a JSON object keyed by column name: numbers as numbers, NULL as null,
 * text as strings (null if not valid UTF-8). */
void jg_json_write_row(jg_buf *b, const jg_rows *rows, int row);
/* One row as a new JSON object keyed by column name, typed as jg_json_write_row does. Caller
 * json_decref()s it. Never returns NULL. */
json_t *jg_json_row(const jg_rows *rows, int row);
/* Every row as jg_json_row makes it, in a new JSON array. Never returns NULL. */
json_t *jg_json_rows(const jg_rows *rows);
/* Answer a page of rows as {"items":[...],"page","size","has_more"}: at most size rows, the query
 * having fetched size + 1 so that one more row means a next page. Takes and frees rows. */
jg_rc jg_resp_page(jg_req *req, jg_resp *resp, jg_rows *rows, int64_t page, int64_t size);
/* Answer the first row as a JSON object, or 404 when there is none. Takes and frees rows. */
jg_rc jg_resp_row(jg_req *req, jg_resp *resp, jg_rows *rows);
/* Answer with a streamed body of content_type (chunked, length unknown): next is called for each
 * piece until it sets *end; done(ud) (may be NULL) runs exactly once when the answer is finished,
 * abandoned by the client, or never sent. Takes ud over. Returns JG_OK. */
jg_rc jg_resp_stream(jg_req *req, jg_resp *resp, int status, const char *content_type, jg_stream_fn next,
                     void *ud, void (*done)(void *ud));
/* Send the JSON text in b (taken over: b is left empty) with status. Returns JG_OK, or
 * JG_TOOLARGE (with a 500 answer) if b overflowed while being written. */
jg_rc jg_resp_json_buf(jg_req *req, jg_resp *resp, int status, jg_buf *b);

#endif
