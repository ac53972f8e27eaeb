/* Attachments seen from the entity engine: who may download a file (a reader of a record that
 * references it), and what a files field may reference on a write. A files column stores
 * "[12,13]"; "does it hold 12" is ',' || "12,13" || ',' LIKE '%,12,%', the same on SQLite and
 * PostgreSQL, with the pattern bound. */
#include "base/arena.h"
#include "base/text.h"
#include "engine/entity/records.h"

#include <stdlib.h>
#include <string.h>

/* Append "(',' || substr(<col>, 2, length(<col>) - 2) || ',') LIKE $<k>" and bind the pattern. */
static void holds(jg_req *req, jg_buf *sql, const char *col, int64_t file_id, jg_value *p, int *n)
{
    p[*n] = JG_VTEXT(jg_arena_printf(req->arena, "%%,%lld,%%", (long long)file_id));
    (*n)++;
    jg_buf_printf(sql, "(',' || substr(%s, 2, length(%s) - 2) || ',') LIKE $%d", col, col, *n);
}

static jg_rc exists(jg_req *req, const char *sql, const jg_value *p, int n, int *found)
{
    jg_rows *r;
    jg_rc rc = jg_db_read(req->app->db, sql, p, n, &r);
    if (rc != JG_OK)
        return rc;
    *found = jg_rows_count(r) > 0;
    jg_rows_free(r);
    return JG_OK;
}

/* Does a record of top-level kind k the caller sees hold file_id in field f of e (k's entity or
 * one of its children)? */
static jg_rc record_holds(jg_req *req, const jg_record_kind *k, const jg_entity *e, const jg_field *f,
                          int64_t file_id, int *found)
{
    jg_buf sql;
    jg_buf_init(&sql, 4096);
    jg_value p[8];
    int n = 0;
    jg_buf_puts(&sql, "SELECT 1 FROM ");
    jg_buf_puts(&sql, k->e->table);
    jg_buf_puts(&sql, " r");
    const char *col = jg_arena_printf(req->arena, "r.%s", f->name);
    if (e != k->e) {
        jg_buf_puts(&sql, " JOIN ");
        jg_buf_puts(&sql, e->table);
        jg_buf_puts(&sql, " c ON c.parent_id = r.id");
        col = jg_arena_printf(req->arena, "c.%s", f->name);
    }
    jg_buf_puts(&sql, " WHERE r.state <> 'deleted' AND ");
    holds(req, &sql, col, file_id, p, &n);
    jg_rc rc = jg_record_scope(req, k, &sql, p, &n);
    if (rc == JG_DENIED) {
        *found = 0;
        rc = JG_OK;
    } else if (rc == JG_OK) {
        jg_buf_puts(&sql, " LIMIT 1");
        rc = exists(req, sql.data, p, n, found);
    }
    jg_buf_free(&sql);
    return rc;
}

jg_rc jg_record_file_readable(jg_req *req, int64_t file_id, int *ok)
{
    *ok = 0;
    const jg_records *rs = jg_records_of(req);
    const jg_principal *pr = req->principal;
    for (int i = 0; rs != NULL && i < rs->nkinds; i++) {
        const jg_record_kind *k = &rs->kinds[i];
        if (k->e->parent != NULL || !jg_principal_can(pr, k->e->perm_read))
            continue;
        for (int c = -1; c < k->e->nchildren; c++) {
            const jg_entity *e = c < 0 ? k->e : &k->e->children[c];
            for (int j = 0; j < e->nfields; j++) {
                if (e->fields[j].type != JG_FIELD_FILES)
                    continue;
                jg_rc rc = record_holds(req, k, e, &e->fields[j], file_id, ok);
                if (rc != JG_OK || *ok)
                    return rc;
            }
        }
    }
    return JG_OK;
}

jg_rc jg_record_files_check(jg_req *req, jg_conn *c, const jg_entity *e, const jg_field *f, const char *v,
                            int64_t self, const char **message)
{
    const jg_principal *pr = req->principal;
    const char *s = v;
    if (*s == '[')
        s++;
    while (*s != '\0' && *s != ']') {
        char *endp;
        long long id = strtoll(s, &endp, 10);
        if (endp == s || id <= 0) {
            *message = jg_arena_printf(req->arena, "%s格式错误", f->label);
            return JG_INVALID;
        }
        s = *endp == ',' ? endp + 1 : endp;
        jg_rows *r;
        jg_value p[2] = {JG_VINT(id)};
        jg_rc rc = jg_db_query(c, "SELECT kind, size, uploaded_by FROM file WHERE id = $1", p, 1, &r);
        if (rc != JG_OK)
            return rc;
        if (jg_rows_count(r) != 1) {
            jg_rows_free(r);
            *message = jg_arena_printf(req->arena, "%s中的文件不存在", f->label);
            return JG_INVALID;
        }
        const char *kind = jg_arena_strdup(req->arena, jg_rows_text(r, 0, 0));
        int64_t size = jg_rows_int(r, 0, 1);
        int64_t by = jg_rows_int(r, 0, 2);
        jg_rows_free(r);
        if (by != pr->user_id) {
            /* Someone else's file stays where it is attached already, but is not attached anew. */
            int held = 0;
            if (self > 0) {
                jg_buf sql;
                jg_buf_init(&sql, 1024);
                jg_value q[2] = {JG_VINT(self)};
                int n = 1;
                jg_buf_puts(&sql, "SELECT 1 FROM ");
                jg_buf_puts(&sql, e->table);
                jg_buf_puts(&sql, " r WHERE r.id = $1 AND ");
                holds(req, &sql, jg_arena_printf(req->arena, "r.%s", f->name), id, q, &n);
                jg_rows *h;
                rc = jg_db_query(c, sql.data, q, n, &h);
                jg_buf_free(&sql);
                if (rc != JG_OK)
                    return rc;
                held = jg_rows_count(h) > 0;
                jg_rows_free(h);
            }
            if (!held) {
                *message = jg_arena_printf(req->arena, "%s只能添加本人上传的文件", f->label);
                return JG_INVALID;
            }
        }
        int accepted = f->naccept == 0;
        for (int i = 0; i < f->naccept; i++)
            if (strcmp(f->accept[i], kind) == 0)
                accepted = 1;
        if (!accepted) {
            *message = jg_arena_printf(req->arena, "%s不接受此类文件（%s）", f->label, kind);
            return JG_INVALID;
        }
        if (f->max_size > 0 && size > f->max_size) {
            *message = jg_arena_printf(req->arena, "%s中的文件过大（不超过 %lld 字节）", f->label,
                                       (long long)f->max_size);
            return JG_INVALID;
        }
    }
    return JG_OK;
}
