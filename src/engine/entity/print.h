/* Printing records from the templates of their definitions ("print", docs/entities.md), with a
 * verification code in a QR code: the pure parts (print_format.c: codes, the canonical digest
 * input, the signed text, value formatting) and the building of a document from a record
 * (print_doc.c). The routes are records_print.c (print) and print_verify.c (public check).
 *
 * What a print signs (print_code row, migration 0008):
 *   values    {"<field>": <API value>, ..., "<child>": [{"<field>": <value>, ...}, ...]}
 *             the fields the template prints, as jg_record_json shows them with sensitive values
 *             masked (a print never depends on who prints it)
 *   digest    SM3 of jg_print_canonical(values), 64 hex digits
 *   signed    "jg-print-v1|<code>|<entity>|<record_id>|<template>|<version>|<digest>|<printed_at>"
 *   signature SM2 (user ID 1234567812345678) by data_dir/keys/print-sm2.pem, r | s in hex */
#ifndef JG_ENTITY_PRINT_H
#define JG_ENTITY_PRINT_H
#include "base/arena.h"
#include "base/rc.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "engine/docs/pdf.h"
#include "engine/entity/def.h"
#include "http/http.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JG_PRINT_CODE_LEN 16 /* base32 characters: 80 bits */
#define JG_PRINT_CODE_BYTES 10

/* ---- print_format.c: pure ---- */

/* The code of n = 10 bytes: RFC 4648 base32 (A-Z, 2-7), 16 characters and a NUL. Cannot fail. */
void jg_print_code_of(const unsigned char in[JG_PRINT_CODE_BYTES], char out[JG_PRINT_CODE_LEN + 1]);
/* A fresh random code (80 bits from the CSPRNG). JG_ERR if the CSPRNG fails. */
jg_rc jg_print_code_new(char out[JG_PRINT_CODE_LEN + 1]);
/* Normalise a code typed or scanned from outside into out: lower-case letters are made upper-case;
 * then it must be exactly 16 of A-Z and 2-7. Returns 1 when it is, else 0 (out then ""). */
int jg_print_code_norm(const char *s, char out[JG_PRINT_CODE_LEN + 1]);
/* The canonical JSON text of values: compact, object keys sorted by their bytes, UTF-8 unescaped
 * (jansson JSON_COMPACT | JSON_SORT_KEYS). malloc'd; NULL only when out of memory. */
char *jg_print_canonical(const json_t *values);
/* SM3 of jg_print_canonical(values) as 64 hex digits. JG_ERR if that fails. */
jg_rc jg_print_digest(const json_t *values, char hex[65]);
/* The signed text (see above), malloc'd. Cannot fail (aborts when out of memory). */
char *jg_print_signed_text(const char *code, const char *entity, int64_t record_id, const char *tmpl,
                           int64_t version, const char *digest, const char *printed_at);
/* "98765432.10" → "98,765,432.10 元" (negative: "-1,000.00 元"); other text is copied as is. */
void jg_print_money(const char *yuan, char *out, size_t outlen);
/* Digits grouped by thousands: "12345.60" → "12,345.60". */
void jg_print_grouped(const char *num, char *out, size_t outlen);
/* "2026-11-25" → "2026年11月25日"; other text is copied as is. */
void jg_print_date(const char *ymd, char *out, size_t outlen);
/* "2026-11-25T08:30:00.000Z" (UTC) → "2026年11月25日 16:30" (Beijing time); other text as is. */
void jg_print_datetime(const char *iso, char *out, size_t outlen);

/* ---- def_print.c ---- */

/* 1 when name can be printed from e: a field that is not secret, json or files, or (entities)
 * the system columns id, state, created_at. */
int jg_print_printable(const jg_entity *e, const char *name);

/* ---- print_doc.c ---- */

/* The template of e called name, or NULL. Borrowed from e->doc. */
json_t *jg_print_template(const jg_entity *e, const char *name);
/* 1 when records in state may be printed with template t (no "states": any state). */
int jg_print_state_ok(json_t *t, const char *state);
/* The values template t prints of rec (jg_record_json, detail and masked), as above. New reference. */
json_t *jg_print_values(json_t *t, json_t *rec);
/* The blocks of the document of t over rec, formatted for people (dictionary labels, names of
 * regions, enterprises and persons read on c, money, dates, 是/否), in arena a: *blocks, *n. The
 * blocks point into rec and t: keep them until the document is rendered. A name that cannot be
 * read is printed as its code. Cannot fail (JG_OK). */
jg_rc jg_print_blocks(jg_conn *c, const jg_entity *e, json_t *t, json_t *rec, jg_arena *a,
                      jg_pdf_block **blocks, int *n);
/* The text that names rec for people: its "subject" field formatted, or "<entity label> <id>", in a
 * (it outlives rec). */
const char *jg_print_subject(jg_conn *c, const jg_entity *e, json_t *t, json_t *rec, jg_arena *a);

/* ---- the routes ---- */

/* records_print.c: the platform's print key pair (data_dir/keys/print-sm2.pem), loaded by the
 * module's init; NULL before. */
const jg_sm2_key *jg_print_key(void);
/* print_verify.c: GET /verify/{code} (an HTML page) and GET /api/v1/public/verify/{code} (JSON). */
jg_rc jg_print_verify_page(jg_req *req, jg_resp *resp);
jg_rc jg_print_verify_json(jg_req *req, jg_resp *resp);

#endif
