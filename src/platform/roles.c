/* Role templates from defs/platform/roles.json into the role table. */
#include "platform/roles.h"

#include "base/embed.h"
#include "base/timeutil.h"

#include <stdlib.h>

json_t *jg_roles_defs(void)
{
    const jg_embedded_file *f = jg_embedded_find(jg_embedded_defs, "roles.json");
    json_error_t e;
    json_t *doc = f != NULL ? json_loadb((const char *)f->data, f->len, 0, &e) : NULL;
    if (doc != NULL && (!json_is_object(json_object_get(doc, "roles")) ||
                        !json_is_object(json_object_get(doc, "permissions")))) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

struct sync {
    json_t *roles;
    char now[32];
};

static jg_rc sync_tx(jg_conn *c, void *ud)
{
    struct sync *s = ud;
    const char *code;
    json_t *r;
    json_object_foreach(s->roles, code, r)
    {
        char *perms = json_dumps(json_object_get(r, "permissions"), JSON_COMPACT);
        jg_value p[] = {JG_VTEXT(code),
                        JG_VTEXT(json_string_value(json_object_get(r, "name"))),
                        JG_VTEXT(json_string_value(json_object_get(r, "user_kind"))),
                        JG_VTEXT(json_string_value(json_object_get(r, "scope"))),
                        JG_VTEXT(perms ? perms : "[]"),
                        JG_VINT(json_is_true(json_object_get(r, "reserved"))),
                        JG_VTEXT(s->now)};
        jg_rc rc = jg_db_exec(
            c,
            "INSERT INTO role (code, name, user_kind, scope, permissions, builtin, reserved,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)"
            /* A template nobody has edited (version 1) follows its definition. */
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, user_kind = excluded.user_kind,"
            " scope = excluded.scope, permissions = excluded.permissions, reserved = excluded.reserved"
            " WHERE role.builtin = 1 AND role.version = 1",
            p, 7, NULL);
        free(perms);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

jg_rc jg_roles_sync(jg_db *db)
{
    json_t *doc = jg_roles_defs();
    if (doc == NULL)
        return JG_ERR;
    struct sync s = {json_object_get(doc, "roles"), ""};
    jg_time_iso_now(s.now, sizeof(s.now));
    jg_rc rc = jg_db_tx(db, sync_tx, &s);
    json_decref(doc);
    return rc;
}
