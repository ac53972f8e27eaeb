/* libFuzzer driver for the entity definition loader: arbitrary bytes as a JSON definition (the
 * 业务定制 screens send definitions at run time). A definition that loads must also pass the
 * checks a loaded one promises: names fit the table-name rules, the pattern is compiled. */
#include "engine/entity/def.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const jg_entity *e)
{
    if (strlen(e->table) > 63)
        abort();
    if (e->parent == NULL && (e->nstates < 1 || strcmp(e->states[e->nstates - 1].name, "deleted") != 0))
        abort();
    for (int i = 0; i < e->nfields; i++) {
        const jg_field *f = &e->fields[i];
        if (strlen(f->name) > JG_ENTITY_NAME_MAX || strstr(f->name, "__") != NULL)
            abort();
        if (f->pattern != NULL)
            (void)regexec(&f->pattern_re, "13800000000", 0, NULL, 0);
        char buf[128];
        jg_value v;
        jg_rc rc = jg_field_default_stored(f, &v, buf, sizeof(buf));
        if (rc != JG_OK && rc != JG_NOTFOUND && rc != JG_TOOLARGE)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        return 0;
    jg_entity e;
    char err[256];
    if (jg_entity_load(doc, &e, err, sizeof(err)) == JG_OK) {
        check_loaded(&e);
        for (int i = 0; i < e.nchildren; i++)
            check_loaded(&e.children[i]);
        jg_entity_set set = {&e, 1};
        (void)jg_entity_set_check(&set, err, sizeof(err));
        jg_entity_free(&e);
    } else if (memchr(err, '\0', sizeof(err)) == NULL) {
        abort();
    }
    json_decref(doc);
    return 0;
}
