/* Unit tests for src/engine/entity/def.c: the definitions compiled in, what a minimal definition
 * gets by default, stored defaults, and many bad definitions with the message each must give. */
#include "base/embed.h"
#include "engine/entity/def.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entity_testutil.h"

/* A definition with the given fields (and extra top-level keys, ", ..." or ""). */
static char *doc_text(const char *fields, const char *extra)
{
    size_t n = strlen(fields) + strlen(extra) + 128;
    char *s = malloc(n);
    snprintf(s, n, "{\"name\": \"demo\", \"label\": \"演示\", \"fields\": [%s]%s}", fields, extra);
    return s;
}

/* Load text; returns the result, with the message in err. */
static jg_rc load_text(const char *text, jg_entity *e, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
    jg_rc rc = jg_entity_load(doc, e, err, errlen);
    json_decref(doc);
    return rc;
}

/* The definition (fields, extra) must be refused with exactly message want. */
static void refused(const char *fields, const char *extra, const char *want)
{
    char *text = doc_text(fields, extra);
    jg_entity e;
    char err[512] = "";
    jg_rc rc = load_text(text, &e, err, sizeof(err));
    if (rc != JG_INVALID)
        fail_msg("accepted (%s): %s", jg_rc_name(rc), text);
    if (strcmp(err, want) != 0)
        fail_msg("for %s\n  got  %s\n  want %s", text, err, want);
    /* Nothing is left behind in a refused load. */
    assert_null(e.fields);
    assert_null(e.doc);
    assert_null(e.arena);
    free(text);
}

static void accepted(const char *fields, const char *extra, jg_entity *e)
{
    char *text = doc_text(fields, extra);
    char err[512] = "";
    jg_rc rc = load_text(text, e, err, sizeof(err));
    if (rc != JG_OK)
        fail_msg("refused: %s\n  %s", err, text);
    free(text);
}

#define F(x) "{\"name\": \"a\", \"label\": \"甲\", " x "}"
#define F2(x) "{\"name\": \"b\", \"label\": \"乙\", " x "}"

static void registration_is_compiled_in(void **state)
{
    (void)state;
    jg_entity_set set;
    char err[512] = "";
    jg_rc rc = jg_entity_set_load_embedded(&set, err, sizeof(err));
    if (rc != JG_OK)
        fail_msg("embedded definitions: %s", err);
    const jg_entity *r = jg_entity_find(&set, "registration");
    assert_non_null(r);
    assert_null(jg_entity_find(&set, "nothing"));
    assert_string_equal(r->label, "项目报监");
    assert_string_equal(r->table, "e_registration");
    assert_null(r->parent);
    assert_true(r->nfields >= 10);
    assert_true(r->nchildren >= 1);
    for (int i = 0; i < r->nchildren; i++) {
        assert_ptr_equal(r->children[i].parent, r);
        char want[128];
        snprintf(want, sizeof(want), "e_registration__%s", r->children[i].name);
        assert_string_equal(r->children[i].table, want);
    }
    /* "deleted" comes last, read-only; the first state is the initial one. */
    assert_string_equal(r->states[r->nstates - 1].name, "deleted");
    assert_int_equal(r->states[r->nstates - 1].readonly, 1);
    assert_string_equal(r->states[0].name, "draft");
    assert_string_equal(r->perm_read, "registration.read");
    assert_string_equal(r->perm_reveal, "registration.reveal");
    assert_string_equal(r->scope_org, "org_code");
    assert_int_equal(jg_entity_field(r, "org_code")->type, JG_FIELD_REGION);
    assert_null(jg_entity_field(r, "id")); /* system columns are not fields */
    const jg_field *cost = jg_entity_field(r, "cost");
    assert_non_null(cost);
    assert_int_equal(cost->type, JG_FIELD_MONEY);
    assert_int_equal(cost->scale, 2);
    assert_true(cost->has_min && cost->min == 0);
    assert_int_equal(cost->in_list, 1); /* named in list.columns */
    const jg_field *phone = jg_entity_field(r, "contact_phone");
    assert_int_equal(phone->data_class, JG_CLASS_SENSITIVE);
    assert_int_equal(regexec(&phone->pattern_re, "13800000000", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&phone->pattern_re, "12800000000", 0, NULL, 0), 0);
    assert_non_null(set.entities[0].doc);
    jg_entity_set_free(&set);
    assert_null(set.entities);
    assert_int_equal(set.nentities, 0);
    jg_entity_set_free(&set); /* twice is harmless */
}

static void defaults_of_a_minimal_definition(void **state)
{
    (void)state;
    jg_entity e;
    accepted(F("\"type\": \"string\"") ", " F2(
                 "\"type\": \"text\"") ", "
                                       "{\"name\": \"c\", \"label\": \"丙\", \"type\": \"json\"}, "
                                       "{\"name\": \"d\", \"label\": \"丁\", \"type\": \"files\"}, "
                                       "{\"name\": \"e\", \"label\": \"戊\", \"type\": \"decimal\"}",
             "", &e);
    assert_string_equal(e.name, "demo");
    assert_string_equal(e.table, "e_demo");
    assert_int_equal(e.version, 1);
    assert_int_equal(e.nfields, 5);
    assert_int_equal(e.fields[0].max_length, 200);
    assert_int_equal(e.fields[1].max_length, 10000);
    assert_int_equal(e.fields[2].max_length, 65536);
    assert_int_equal(e.fields[3].max_files, 20);
    assert_int_equal(e.fields[3].max_size, 20 * 1024 * 1024);
    assert_int_equal(e.fields[3].naccept, 4);
    assert_string_equal(e.fields[3].accept[0], "pdf");
    assert_int_equal(e.fields[4].scale, 2);
    assert_int_equal(e.fields[0].data_class, JG_CLASS_INTERNAL);
    assert_int_equal(e.nstates, 2);
    assert_string_equal(e.states[0].name, "active");
    assert_int_equal(e.states[0].readonly, 0);
    assert_string_equal(e.states[1].name, "deleted");
    assert_string_equal(e.perm_create, "demo.create");
    assert_string_equal(e.perm_update, "demo.update");
    assert_string_equal(e.perm_delete, "demo.delete");
    assert_null(e.scope_org);
    assert_int_equal(e.nchildren, 0);
    jg_entity_free(&e);
    assert_null(e.name);
    jg_entity_free(&e); /* an empty entity is a no-op */
}

static void the_doc_is_kept(void **state)
{
    (void)state;
    char *text = doc_text(F("\"type\": \"string\""), ", \"list\": {\"size\": 50}");
    json_t *doc = json_loads(text, 0, NULL);
    free(text);
    jg_entity e;
    char err[256];
    assert_int_equal(jg_entity_load(doc, &e, err, sizeof(err)), JG_OK);
    assert_ptr_equal(e.doc, doc);
    assert_int_equal(doc->refcount, 2);
    /* Strings are copies: the caller may change its document. */
    json_object_set_new(doc, "name", json_string("changed"));
    assert_string_equal(e.name, "demo");
    jg_entity_free(&e);
    assert_int_equal(doc->refcount, 1);
    json_decref(doc);
}

static void patterns_match_the_whole_value(void **state)
{
    (void)state;
    jg_entity e;
    accepted(F("\"type\": \"string\", \"pattern\": \"a|b\"") ", " F2(
                 "\"type\": \"string\", \"pattern\": \"[0-9]{2}\""),
             "", &e);
    const jg_field *f = &e.fields[0];
    assert_string_equal(f->pattern, "a|b");
    assert_int_equal(regexec(&f->pattern_re, "a", 0, NULL, 0), 0);
    assert_int_equal(regexec(&f->pattern_re, "b", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&f->pattern_re, "ab", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&f->pattern_re, "xa", 0, NULL, 0), 0);
    /* Compiled without REG_NOSUB: the match span is there for who asks. */
    regmatch_t m[1];
    assert_int_equal(regexec(&e.fields[1].pattern_re, "42", 1, m, 0), 0);
    assert_int_equal(m[0].rm_so, 0);
    assert_int_equal(m[0].rm_eo, 2);
    assert_int_not_equal(regexec(&e.fields[1].pattern_re, "421", 0, NULL, 0), 0);
    jg_entity_free(&e);
}

static void defaults_are_stored_as_storage_wants(void **state)
{
    (void)state;
    jg_entity e;
    accepted(
        F("\"type\": \"money\", \"default\": \"12.34\"") ", " F2(
            "\"type\": \"decimal\", \"scale\": 3, \"default\": 12.5") ", "
                                                                      "{\"name\": \"c\", \"label\": \"丙\", "
                                                                      "\"type\": \"boolean\", \"default\": "
                                                                      "true}, "
                                                                      "{\"name\": \"d\", \"label\": \"丁\", "
                                                                      "\"type\": \"string\", \"default\": "
                                                                      "\"福建\"}, "
                                                                      "{\"name\": \"e\", \"label\": \"戊\", "
                                                                      "\"type\": \"json\", \"default\": "
                                                                      "{\"k\": [1, 2]}}, "
                                                                      "{\"name\": \"f\", \"label\": \"己\", "
                                                                      "\"type\": \"date\", \"default\": "
                                                                      "\"2024-02-29\"}, "
                                                                      "{\"name\": \"g\", \"label\": \"庚\", "
                                                                      "\"type\": \"integer\", \"default\": "
                                                                      "-7, \"min\": -10}, "
                                                                      "{\"name\": \"h\", \"label\": \"辛\", "
                                                                      "\"type\": \"enum\", \"dict\": "
                                                                      "\"kind\", \"default\": \"A-1\"}, "
                                                                      "{\"name\": \"i\", \"label\": \"壬\", "
                                                                      "\"type\": \"region\", \"default\": "
                                                                      "\"350102\"}, "
                                                                      "{\"name\": \"j\", \"label\": \"癸\", "
                                                                      "\"type\": \"money\", \"default\": 3}, "
                                                                      "{\"name\": \"k\", \"label\": \"子\", "
                                                                      "\"type\": \"string\"}",
        "", &e);
    char buf[128];
    jg_value v;
    assert_int_equal(jg_field_default_stored(&e.fields[0], &v, buf, sizeof(buf)), JG_OK);
    assert_int_equal(v.type, JG_V_INT);
    assert_int_equal(v.i, 1234);
    assert_int_equal(jg_field_default_stored(&e.fields[1], &v, buf, sizeof(buf)), JG_OK);
    assert_int_equal(v.i, 12500);
    assert_int_equal(jg_field_default_stored(&e.fields[2], &v, buf, sizeof(buf)), JG_OK);
    assert_int_equal(v.i, 1);
    assert_int_equal(jg_field_default_stored(&e.fields[3], &v, buf, sizeof(buf)), JG_OK);
    assert_int_equal(v.type, JG_V_TEXT);
    assert_string_equal(v.s, "福建");
    assert_int_equal(jg_field_default_stored(&e.fields[4], &v, buf, sizeof(buf)), JG_OK);
    assert_string_equal(v.s, "{\"k\":[1,2]}");
    assert_int_equal(jg_field_default_stored(&e.fields[5], &v, buf, sizeof(buf)), JG_OK);
    assert_string_equal(v.s, "2024-02-29");
    assert_int_equal(jg_field_default_stored(&e.fields[6], &v, buf, sizeof(buf)), JG_OK);
    assert_int_equal(v.i, -7);
    assert_int_equal(jg_field_default_stored(&e.fields[7], &v, buf, sizeof(buf)), JG_OK);
    assert_string_equal(v.s, "A-1");
    assert_int_equal(jg_field_default_stored(&e.fields[8], &v, buf, sizeof(buf)), JG_OK);
    assert_string_equal(v.s, "350102");
    assert_int_equal(jg_field_default_stored(&e.fields[9], &v, buf, sizeof(buf)), JG_OK);
    assert_int_equal(v.i, 300);
    assert_int_equal(jg_field_default_stored(&e.fields[10], &v, buf, sizeof(buf)), JG_NOTFOUND);
    assert_int_equal(jg_field_default_stored(&e.fields[3], &v, buf, 4), JG_TOOLARGE);
    /* The default is the loader's own copy. */
    assert_non_null(e.fields[4].default_value);
    assert_int_equal(e.fields[4].default_value->refcount, 1);
    jg_entity_free(&e);
}

static void options_are_loaded(void **state)
{
    (void)state;
    jg_entity e;
    accepted(F("\"type\": \"string\", \"required\": true, \"unique\": true, \"unique_within\": \"b\", "
               "\"indexed\": true, \"searchable\": true, \"list\": true, \"class\": \"public\", "
               "\"min_length\": 2, \"max_length\": 30, \"help\": \"填写全称\"") ", " F2("\"type\": "
                                                                                        "\"region\"") ", "
                                                                                                      "{\"nam"
                                                                                                      "e\": "
                                                                                                      "\"c\","
                                                                                                      " \"lab"
                                                                                                      "el\": "
                                                                                                      "\"丙\""
                                                                                                      ", "
                                                                                                      "\"type"
                                                                                                      "\": "
                                                                                                      "\"deci"
                                                                                                      "mal\","
                                                                                                      " \"sca"
                                                                                                      "le\": "
                                                                                                      "0, "
                                                                                                      "\"min"
                                                                                                      "\": "
                                                                                                      "\"-"
                                                                                                      "5\", "
                                                                                                      "\"max"
                                                                                                      "\": "
                                                                                                      "9}, "
                                                                                                      "{\"nam"
                                                                                                      "e\": "
                                                                                                      "\"d\","
                                                                                                      " \"lab"
                                                                                                      "el\": "
                                                                                                      "\"丁\""
                                                                                                      ", "
                                                                                                      "\"type"
                                                                                                      "\": "
                                                                                                      "\"file"
                                                                                                      "s\", "
                                                                                                      "\"max_"
                                                                                                      "files"
                                                                                                      "\": "
                                                                                                      "3, "
                                                                                                      "\"max_"
                                                                                                      "size\""
                                                                                                      ": "
                                                                                                      "1024, "
                                                                                                      "\"acce"
                                                                                                      "pt\": "
                                                                                                      "[\"png"
                                                                                                      "\", "
                                                                                                      "\"zip"
                                                                                                      "\"]}, "
                                                                                                      "{\"nam"
                                                                                                      "e\": "
                                                                                                      "\"e\","
                                                                                                      " \"lab"
                                                                                                      "el\": "
                                                                                                      "\"戊\""
                                                                                                      ", "
                                                                                                      "\"type"
                                                                                                      "\": "
                                                                                                      "\"ref"
                                                                                                      "\", "
                                                                                                      "\"ref"
                                                                                                      "\": "
                                                                                                      "\"demo"
                                                                                                      "\"}, "
                                                                                                      "{\"nam"
                                                                                                      "e\": "
                                                                                                      "\"f\","
                                                                                                      " \"lab"
                                                                                                      "el\": "
                                                                                                      "\"己\""
                                                                                                      ", "
                                                                                                      "\"type"
                                                                                                      "\": "
                                                                                                      "\"stri"
                                                                                                      "ng\", "
                                                                                                      "\"clas"
                                                                                                      "s\": "
                                                                                                      "\"secr"
                                                                                                      "et\"},"
                                                                                                      " "
                                                                                                      "{\"nam"
                                                                                                      "e\": "
                                                                                                      "\"g\","
                                                                                                      " \"lab"
                                                                                                      "el\": "
                                                                                                      "\"庚\""
                                                                                                      ", "
                                                                                                      "\"type"
                                                                                                      "\": "
                                                                                                      "\"ente"
                                                                                                      "rprise"
                                                                                                      "\"}, "
                                                                                                      "{\"nam"
                                                                                                      "e\": "
                                                                                                      "\"h\","
                                                                                                      " \"lab"
                                                                                                      "el\": "
                                                                                                      "\"辛\""
                                                                                                      ", "
                                                                                                      "\"type"
                                                                                                      "\": "
                                                                                                      "\"inte"
                                                                                                      "ger\""
                                                                                                      "}",
             ", \"version\": 7, \"help\": \"说明\", \"comment\": \"for developers\","
             " \"scope\": {\"org\": \"b\", \"enterprise\": \"g\", \"project\": \"h\"},"
             " \"states\": [{\"name\": \"draft\", \"label\": \"草稿\"}, {\"name\": \"done\", \"label\": "
             "\"办结\","
             " \"readonly\": true}],"
             " \"permissions\": {\"read\": \"project.read\", \"reveal\": \"person.reveal\"},"
             " \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" F(
                 "\"type\": \"integer\"") "]}],"
                                          " \"list\": {\"columns\": [\"b\", \"state\"], \"sort\": \"-c,a\", "
                                          "\"size\": 50, \"filter\": {}},"
                                          " \"form\": {\"sections\": [{\"label\": \"基本\", \"columns\": 3, "
                                          "\"fields\": [\"a\", \"b\"]},"
                                          " {\"label\": \"明细\", \"child\": \"rows\"}]},"
                                          " \"print\": [{\"name\": \"notice\", \"label\": \"告知书\", "
                                          "\"title\": \"告知书\", \"body\": [{\"fields\": [\"a\"]}]}]",
             &e);
    const jg_field *a = &e.fields[0];
    assert_true(a->required && a->unique && a->indexed && a->searchable && a->in_list);
    assert_string_equal(a->unique_within, "b");
    assert_int_equal(a->data_class, JG_CLASS_PUBLIC);
    assert_int_equal(a->min_length, 2);
    assert_int_equal(a->max_length, 30);
    assert_string_equal(a->help, "填写全称");
    assert_int_equal(e.fields[1].in_list, 1); /* from list.columns */
    assert_int_equal(e.fields[2].min, -5);
    assert_int_equal(e.fields[2].max, 9);
    assert_int_equal(e.fields[3].max_files, 3);
    assert_int_equal(e.fields[3].max_size, 1024);
    assert_int_equal(e.fields[3].naccept, 2);
    assert_string_equal(e.fields[3].accept[1], "zip");
    assert_string_equal(e.fields[4].ref, "demo");
    assert_int_equal(e.fields[5].data_class, JG_CLASS_SECRET);
    assert_int_equal(e.version, 7);
    assert_string_equal(e.help, "说明");
    assert_string_equal(e.scope_org, "b");
    assert_string_equal(e.scope_enterprise, "g");
    assert_string_equal(e.scope_project, "h");
    assert_int_equal(e.nstates, 3);
    assert_int_equal(e.states[1].readonly, 1);
    assert_string_equal(e.perm_read, "project.read");
    assert_string_equal(e.perm_update, "demo.update");
    assert_string_equal(e.perm_reveal, "person.reveal");
    assert_int_equal(e.nchildren, 1);
    assert_string_equal(e.children[0].table, "e_demo__rows");
    assert_ptr_equal(e.children[0].parent, &e);
    assert_int_equal(e.children[0].fields[0].type, JG_FIELD_INTEGER);
    jg_entity_free(&e);
}

static void bad_top_level(void **state)
{
    (void)state;
    const char *f = F("\"type\": \"string\"");
    refused(f, ", \"colour\": 1", "unknown key \"colour\"");
    refused(f, ", \"comment\": 1", "comment: must be a string");
    refused(f, ", \"version\": 0", "version: must be between 1 and 1000000");
    refused(f, ", \"version\": \"2\"", "version: must be an integer, not a string");
    refused(f, ", \"help\": \"\"", "help: must be 1-500 characters without control characters");

    jg_entity e;
    char err[256];
    assert_int_equal(load_text("[]", &e, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "a definition must be a JSON object");
    assert_int_equal(load_text("{\"label\": \"演示\", \"fields\": []}", &e, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "name: required");
    assert_int_equal(load_text("{\"name\": \"Demo\", \"label\": \"演示\"}", &e, err, sizeof(err)),
                     JG_INVALID);
    assert_string_equal(err,
                        "name: entity name \"Demo\" must be 1-40 of a-z, 0-9 and _, start with a letter and "
                        "not contain \"__\"");
    assert_int_equal(load_text("{\"name\": \"a__b\", \"label\": \"演示\"}", &e, err, sizeof(err)),
                     JG_INVALID);
    assert_string_equal(err,
                        "name: entity name \"a__b\" must be 1-40 of a-z, 0-9 and _, start with a letter and "
                        "not contain \"__\"");
    assert_int_equal(
        load_text("{\"name\": \"a1234567890123456789012345678901234567890\", \"label\": \"演示\"}", &e, err,
                  sizeof(err)),
        JG_INVALID);
    assert_non_null(strstr(err, "must be 1-40 of"));
    assert_int_equal(load_text("{\"name\": \"select\", \"label\": \"演示\"}", &e, err, sizeof(err)),
                     JG_INVALID);
    assert_string_equal(err, "name: entity name \"select\" is an SQL reserved word");
    assert_int_equal(load_text("{\"name\": 3, \"label\": \"演示\"}", &e, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "name: must be a string, not an integer");
    assert_int_equal(load_text("{\"name\": \"demo\"}", &e, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "label: required");
    assert_int_equal(load_text("{\"name\": \"demo\", \"label\": \"Demo\"}", &e, err, sizeof(err)),
                     JG_INVALID);
    assert_string_equal(err, "label: must be Chinese text (users see it), not \"Demo\"");
    assert_int_equal(load_text("{\"name\": \"demo\", \"label\": \"  \"}", &e, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "label: must be 1-50 characters without control characters");
    assert_int_equal(load_text("{\"name\": \"demo\", \"label\": \"演\\n示\"}", &e, err, sizeof(err)),
                     JG_INVALID);
    assert_string_equal(err, "label: must be 1-50 characters without control characters");
    assert_int_equal(load_text("{\"name\": \"demo\", \"label\": \"演示\"}", &e, err, sizeof(err)),
                     JG_INVALID);
    assert_string_equal(err, "fields: required");
    refused("", "", "fields: must be an array of 1-200 fields");
    /* A tiny err buffer is cut, never overrun; a zero one is left alone. */
    char tiny[6];
    assert_int_equal(load_text("{\"name\": \"demo\"}", &e, tiny, sizeof(tiny)), JG_INVALID);
    assert_string_equal(tiny, "label");
    assert_int_equal(load_text("{\"name\": \"demo\"}", &e, tiny, 0), JG_INVALID);
}

static void bad_field_names_and_types(void **state)
{
    (void)state;
    refused("3", "", "fields[0]: a field must be an object, not an integer");
    refused("{\"label\": \"甲\", \"type\": \"string\"}", "", "fields[0].name: required");
    refused("{\"name\": \"id\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"id\" is the name of a system column");
    refused("{\"name\": \"created_at\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"created_at\" is the name of a system column");
    refused("{\"name\": \"xmin\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"xmin\" is the name of a system column");
    refused("{\"name\": \"order\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"order\" is an SQL reserved word");
    refused("{\"name\": \"user\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"user\" is an SQL reserved word");
    refused("{\"name\": \"_a\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"_a\" must be 1-40 of a-z, 0-9 and _, start with a letter and not "
            "contain "
            "\"__\"");
    refused("{\"name\": \"a-b\", \"label\": \"甲\", \"type\": \"string\"}", "",
            "fields[0].name: field name \"a-b\" must be 1-40 of a-z, 0-9 and _, start with a letter and not "
            "contain "
            "\"__\"");
    refused(F("\"type\": \"string\"") ", " F("\"type\": \"integer\""), "",
            "fields[1].name: \"a\" is already the name of fields[0]");
    refused(F("\"type\": \"strng\""), "", "fields[0].type: unknown type \"strng\"");
    refused("{\"name\": \"a\", \"label\": \"甲\"}", "", "fields[0].type: required");
    refused("{\"name\": \"a\", \"type\": \"string\"}", "", "fields[0].label: required");
    refused("{\"name\": \"a\", \"label\": \"A\", \"type\": \"string\"}", "",
            "fields[0].label: must be Chinese text (users see it), not \"A\"");
    refused(F("\"type\": \"string\", \"colour\": \"red\""), "", "fields[0]: unknown key \"colour\"");
    refused(F("\"type\": \"string\", \"required\": \"yes\""), "",
            "fields[0].required: must be true or false, not a string");
    refused(F("\"type\": \"string\", \"list\": 1"), "",
            "fields[0].list: must be true or false, not an integer");
    /* The place is named in a later field too. */
    refused(F("\"type\": \"string\"") ", " F2("\"type\": \"integer\", \"max\": \"x\""), "",
            "fields[1].max: must be an integer, not a string");
}

static void bad_options(void **state)
{
    (void)state;
    refused(F("\"type\": \"string\", \"scale\": 2"), "", "fields[0].scale: not an option of string fields");
    refused(F("\"type\": \"integer\", \"max_length\": 2"), "",
            "fields[0].max_length: not an option of integer fields");
    refused(F("\"type\": \"string\", \"dict\": \"x\""), "", "fields[0].dict: not an option of string fields");
    refused(F("\"type\": \"json\", \"pattern\": \"x\""), "",
            "fields[0].pattern: not an option of json fields");
    refused(F("\"type\": \"integer\", \"searchable\": true"), "",
            "fields[0].searchable: not an option of integer fields");
    refused(F("\"type\": \"decimal\", \"scale\": 7"), "", "fields[0].scale: must be between 0 and 6");
    refused(F("\"type\": \"decimal\", \"scale\": -1"), "", "fields[0].scale: must be between 0 and 6");
    refused(F("\"type\": \"money\", \"scale\": 3"), "", "fields[0].scale: money always has scale 2 (fen)");
    refused(F("\"type\": \"enum\""), "", "fields[0].dict: required");
    refused(F("\"type\": \"enum\", \"dict\": \"Project Kind\""), "",
            "fields[0].dict: dictionary code \"Project Kind\" must be 1-40 of a-z, 0-9 and _");
    refused(F("\"type\": \"ref\""), "", "fields[0].ref: required");
    refused(F("\"type\": \"ref\", \"ref\": \"E x\""), "", "fields[0].ref: \"E x\" is not an entity name");
    refused(F("\"type\": \"integer\", \"min\": 5, \"max\": 4"), "", "fields[0].min: is larger than max");
    refused(F("\"type\": \"integer\", \"min\": \"0\""), "",
            "fields[0].min: must be an integer, not a string");
    refused(F("\"type\": \"decimal\", \"min\": \"1.234\""), "",
            "fields[0].min: must be a decimal (\"12.34\") with at most 2 places and 15 digits");
    refused(F("\"type\": \"decimal\", \"min\": \"1e3\""), "",
            "fields[0].min: must be a decimal (\"12.34\") with at most 2 places and 15 digits");
    refused(F("\"type\": \"money\", \"max\": 0.125"), "",
            "fields[0].max: must be a decimal (\"12.34\") with at most 2 places and 15 digits");
    refused(F("\"type\": \"money\", \"max\": \"1234567890123456\""), "",
            "fields[0].max: must be a decimal (\"12.34\") with at most 2 places and 15 digits");
    refused(F("\"type\": \"money\", \"min\": \"2\", \"max\": \"1.99\""), "",
            "fields[0].min: is larger than max");
    refused(F("\"type\": \"string\", \"max_length\": 0"), "",
            "fields[0].max_length: must be between 1 and 4000");
    refused(F("\"type\": \"string\", \"max_length\": 5000"), "",
            "fields[0].max_length: must be between 1 and 4000");
    refused(F("\"type\": \"string\", \"min_length\": 10, \"max_length\": 5"), "",
            "fields[0].min_length: is larger than max_length (5)");
    refused(F("\"type\": \"files\", \"max_files\": 0"), "", "fields[0].max_files: must be between 1 and 100");
    refused(F("\"type\": \"files\", \"accept\": [\"exe\"]"), "",
            "fields[0].accept: item 0: kinds are pdf, ofd, jpg, png, docx, xlsx, zip and mp4 (checked by "
            "content)");
    refused(F("\"type\": \"files\", \"accept\": [\"pdf\", \"pdf\"]"), "",
            "fields[0].accept: item 1: \"pdf\" is listed twice");
    refused(F("\"type\": \"files\", \"accept\": []"), "",
            "fields[0].accept: must be an array of 1-8 kinds of file");
    refused(F("\"type\": \"text\", \"unique\": true"), "", "fields[0].unique: text fields cannot be unique");
    refused(F("\"type\": \"json\", \"indexed\": true"), "",
            "fields[0].indexed: json fields cannot be indexed");
    refused(F("\"type\": \"boolean\", \"unique\": true"), "",
            "fields[0].unique: boolean fields cannot be unique");
    refused(F("\"type\": \"string\", \"unique_within\": \"b\""), "",
            "fields[0].unique_within: needs \"unique\": true");
    refused(F("\"type\": \"string\", \"unique\": true, \"unique_within\": \"b\""), "",
            "fields[0].unique_within: no field \"b\"");
    refused(F("\"type\": \"string\", \"unique\": true, \"unique_within\": \"a\""), "",
            "fields[0].unique_within: names the field itself");
    refused(
        F("\"type\": \"string\", \"unique\": true, \"unique_within\": \"b\"") ", " F2("\"type\": \"text\""),
        "", "fields[0].unique_within: text fields cannot take part in an index");
}

static void bad_classes(void **state)
{
    (void)state;
    refused(F("\"type\": \"string\", \"class\": \"confidential\""), "",
            "fields[0].class: must be public, internal, sensitive or secret, not \"confidential\"");
    refused(F("\"type\": \"integer\", \"class\": \"sensitive\""), "",
            "fields[0].class: sensitive values are stored sealed, which only string and text fields can be");
    refused(
        F("\"type\": \"string\", \"class\": \"sensitive\", \"searchable\": true"), "",
        "fields[0].searchable: a sensitive field cannot be searchable (its text would leak into the index)");
    refused(F("\"type\": \"string\", \"class\": \"secret\", \"list\": true"), "",
            "fields[0].list: a secret field is never shown in lists");
    refused(F("\"type\": \"string\", \"class\": \"secret\", \"default\": \"x\""), "",
            "fields[0].default: a secret field has no default (its value is stored sealed)");
    refused(F("\"type\": \"string\", \"class\": \"secret\""), ", \"list\": {\"columns\": [\"a\"]}",
            "list.columns: item 0: not a field (or system column) that lists can show");
}

static void bad_patterns(void **state)
{
    (void)state;
    refused(F("\"type\": \"string\", \"pattern\": \"([a-z]\""), "",
            "fields[0].pattern: has unbalanced parentheses");
    refused(F("\"type\": \"string\", \"pattern\": \"a)(b\""), "",
            "fields[0].pattern: has unbalanced parentheses");
    refused(F("\"type\": \"string\", \"pattern\": \"(a)\\\\1\""), "",
            "fields[0].pattern: back-references are not allowed");
    refused(F("\"type\": \"string\", \"pattern\": \"a{1,1000}\""), "",
            "fields[0].pattern: has a bad repetition {n,m} (0 <= n <= m <= 100)");
    refused(F("\"type\": \"string\", \"pattern\": \"a{2,}\""), "",
            "fields[0].pattern: has an open repetition {n,}: write an upper bound");
    refused(F("\"type\": \"string\", \"pattern\": \"((a{100}){100}){100}\""), "",
            "fields[0].pattern: repeats too much ({n,m} bounds multiply past 10000)");
    /* Found by fuzz_entity_def: stacked quantifiers made glibc's regcomp use gigabytes. */
    refused(F("\"type\": \"string\", \"pattern\": \"((a{100}){100}++++)\""), "",
            "fields[0].pattern: stacks one repetition on another");
    refused(F("\"type\": \"string\", \"pattern\": \"a*?\""), "",
            "fields[0].pattern: stacks one repetition on another");
    refused(F("\"type\": \"string\", \"pattern\": \"[a-\""), "",
            "fields[0].pattern: has an unterminated bracket expression");
    refused(F("\"type\": \"string\", \"pattern\": \"a\\\\\""), "",
            "fields[0].pattern: ends with a backslash");
    refused(F("\"type\": \"string\", \"pattern\": 5"), "",
            "fields[0].pattern: must be a string, not an integer");
    /* What regcomp itself refuses is reported with its reason. */
    char *text = doc_text(F("\"type\": \"string\", \"pattern\": \"[[:nope:]]\""), "");
    jg_entity e;
    char err[256];
    assert_int_equal(load_text(text, &e, err, sizeof(err)), JG_INVALID);
    assert_int_equal(strncmp(err, "fields[0].pattern: does not compile: ", 37), 0);
    free(text);
    /* Brackets hide parentheses and braces; classes inside are fine. */
    accepted(F("\"type\": \"string\", \"pattern\": \"[(){]x[[:digit:]]{3}[]a]\""), "", &e);
    assert_int_equal(regexec(&e.fields[0].pattern_re, "(x123]", 0, NULL, 0), 0);
    jg_entity_free(&e);
}

static void bad_defaults(void **state)
{
    (void)state;
    refused(F("\"type\": \"integer\", \"default\": \"x\""), "", "fields[0].default: must be an integer");
    refused(F("\"type\": \"integer\", \"default\": 11, \"max\": 10"), "",
            "fields[0].default: is outside min..max");
    refused(F("\"type\": \"money\", \"default\": \"1.234\""), "",
            "fields[0].default: must be a decimal (\"12.34\") with at most scale places");
    refused(F("\"type\": \"money\", \"default\": \"-1\", \"min\": 0"), "",
            "fields[0].default: is outside min..max");
    refused(F("\"type\": \"string\", \"default\": \"toolong\", \"max_length\": 3"), "",
            "fields[0].default: is longer or shorter than the field allows");
    refused(F("\"type\": \"string\", \"default\": \"abc\", \"pattern\": \"[0-9]+\""), "",
            "fields[0].default: does not match the pattern");
    refused(F("\"type\": \"string\", \"default\": 1"), "", "fields[0].default: must be a string");
    refused(F("\"type\": \"boolean\", \"default\": 0"), "", "fields[0].default: must be true or false");
    refused(F("\"type\": \"date\", \"default\": \"2026-02-30\""), "",
            "fields[0].default: must be a date \"YYYY-MM-DD\"");
    refused(F("\"type\": \"enum\", \"dict\": \"k\", \"default\": \"a b\""), "",
            "fields[0].default: must be a dictionary item code (1-40 of A-Z a-z 0-9 _ . -)");
    refused(F("\"type\": \"region\", \"default\": \"3501021\""), "",
            "fields[0].default: must be a region code of 2, 4 or 6 digits");
    refused(F("\"type\": \"json\", \"default\": [1, 2, 3], \"max_length\": 4"), "",
            "fields[0].default: is longer than max_length");
    refused(F("\"type\": \"ref\", \"ref\": \"demo\", \"default\": 1"), "",
            "fields[0].default: not an option of ref fields");
    refused(F("\"type\": \"datetime\", \"default\": \"2026-01-01T00:00:00Z\""), "",
            "fields[0].default: not an option of datetime fields");
    refused(F("\"type\": \"geo\", \"default\": {}"), "", "fields[0].default: not an option of geo fields");
    refused(F("\"type\": \"string\", \"default\": null"), "",
            "fields[0].default: leave it out instead of null");
}

static void bad_children(void **state)
{
    (void)state;
    const char *f = F("\"type\": \"string\"");
    refused(f, ", \"children\": {}", "children: must be an array of at most 20 child tables");
    refused(f, ", \"children\": [1]", "children[0]: a child table must be an object, not an integer");
    refused(f,
            ", \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" F2(
                "\"type\": \"string\"") "],"
                                        " \"children\": []}]",
            "children[0].children: child tables have no children of their own");
    refused(f,
            ", \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" F2(
                "\"type\": \"string\"") "],"
                                        " \"states\": []}]",
            "children[0]: unknown key \"states\"");
    refused(f,
            ", \"children\": [{\"name\": \"a\", \"label\": \"明细\", \"fields\": [" F2(
                "\"type\": \"string\"") "]}]",
            "children[0].name: \"a\" is already the name of a field");
    refused(f,
            ", \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" F2(
                "\"type\": \"string\"") "]},"
                                        " {\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" F2(
                                            "\"type\": \"string\"") "]}]",
            "children[1].name: \"rows\" is already the name of children[0]");
    refused(f, ", \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": []}]",
            "children[0].fields: must be an array of 1-200 fields");
    refused(f,
            ", \"children\": [{\"name\": \"rows\", \"label\": \"明细\", \"fields\": [" F2(
                "\"type\": \"strng\"") "]}]",
            "children[0].fields[0].type: unknown type \"strng\"");
    refused(f,
            ", \"children\": [{\"name\": \"id\", \"label\": \"明细\", \"fields\": [" F2(
                "\"type\": \"string\"") "]}]",
            "children[0].name: child name \"id\" is the name of a system column");
    /* e_<entity>__<child> must fit PostgreSQL's 63 bytes. */
    jg_entity e;
    char err[256];
    assert_int_equal(
        load_text("{\"name\": \"a23456789012345678901234567890\", \"label\": \"演示\", \"fields\": [" F(
                      "\"type\": \"string\"") "], \"children\": [{\"name\":"
                                              " \"b123456789012345678901234567890123456789\", \"label\": "
                                              "\"明细\", \"fields\": [" F("\"type\": \"string\"") "]}]}",
                  &e, err, sizeof(err)),
        JG_INVALID);
    assert_string_equal(
        err, "children[0].name: table name e_a23456789012345678901234567890__b123456789012345678901234"
             "567890123456789 is longer than 63 bytes: shorten the names");
}

static void bad_states_scope_permissions(void **state)
{
    (void)state;
    const char *f = F("\"type\": \"string\"") ", " F2("\"type\": \"region\"");
    refused(f, ", \"states\": []", "states: must be an array of 1-30 states");
    refused(f, ", \"states\": [{\"name\": \"deleted\", \"label\": \"删除\"}]",
            "states[0].name: \"deleted\" is reserved: every entity has it, added last");
    refused(f, ", \"states\": [{\"name\": \"a\", \"label\": \"甲\"}, {\"name\": \"a\", \"label\": \"乙\"}]",
            "states[1].name: \"a\" is already the name of states[0]");
    refused(f, ", \"states\": [{\"name\": \"Draft\", \"label\": \"草稿\"}]",
            "states[0].name: state \"Draft\" must be 1-40 of a-z, 0-9 and _, starting with a letter");
    refused(f, ", \"states\": [{\"name\": \"draft\"}]", "states[0].label: required");
    refused(f, ", \"states\": [{\"name\": \"draft\", \"label\": \"草稿\", \"final\": true}]",
            "states[0]: unknown key \"final\"");
    refused(f, ", \"scope\": {\"org\": \"a\"}",
            "scope.org: field \"a\" is of type string; the org scope needs a region field");
    refused(
        f, ", \"scope\": {\"enterprise\": \"b\"}",
        "scope.enterprise: field \"b\" is of type region; the enterprise scope needs an enterprise field");
    refused(f, ", \"scope\": {\"project\": \"a\"}",
            "scope.project: field \"a\" is of type string; the project scope needs a ref or integer field");
    refused(f, ", \"scope\": {\"org\": \"c\"}", "scope.org: no field \"c\"");
    refused(f, ", \"scope\": {\"region\": \"b\"}", "scope: unknown key \"region\"");
    refused(f, ", \"scope\": [\"b\"]", "scope: must be an object, not an array");
    refused(f, ", \"permissions\": {\"approve\": \"demo.approve\"}", "permissions: unknown key \"approve\"");
    refused(
        f, ", \"permissions\": {\"read\": \"Demo.Read\"}",
        "permissions.read: \"Demo.Read\" is not a permission code (<area>.<action>: a-z, 0-9, _ and dots)");
    refused(f, ", \"permissions\": {\"read\": \"demo\"}",
            "permissions.read: \"demo\" is not a permission code (<area>.<action>: a-z, 0-9, _ and dots)");
    refused(
        f, ", \"permissions\": {\"read\": \"demo..read\"}",
        "permissions.read: \"demo..read\" is not a permission code (<area>.<action>: a-z, 0-9, _ and dots)");
}

static void bad_list_form_print(void **state)
{
    (void)state;
    const char *f = F("\"type\": \"string\"") ", " F2("\"type\": \"region\"");
    refused(f, ", \"list\": []", "list: must be an object, not an array");
    refused(f, ", \"list\": {\"columns\": [\"a\", \"nope\"]}",
            "list.columns: item 1: not a field (or system column) that lists can show");
    refused(f, ", \"list\": {\"columns\": [\"a\", \"a\"]}", "list.columns: item 1: \"a\" is listed twice");
    refused(f, ", \"list\": {\"sort\": \"-nope\"}",
            "list.sort: \"-nope\" is not 1-5 names of fields or system columns, each optionally after '-', "
            "separated by commas");
    refused(f, ", \"list\": {\"sort\": \"a,\"}",
            "list.sort: \"a,\" is not 1-5 names of fields or system columns, each optionally after '-', "
            "separated "
            "by commas");
    refused(f, ", \"list\": {\"size\": 501}", "list.size: must be between 1 and 500");
    refused(f, ", \"list\": {\"filter\": \"a = 1\"}",
            "list.filter: must be a filter object (the filter language of record lists)");
    refused(f, ", \"list\": {\"group\": \"a\"}", "list: unknown key \"group\"");
    refused(f, ", \"form\": {}", "form.sections: required");
    refused(f, ", \"form\": {\"sections\": [{\"label\": \"基本\", \"fields\": [\"a\", \"x\"]}]}",
            "form.sections[0].fields: item 1: not a field name");
    refused(f,
            ", \"form\": {\"sections\": [{\"label\": \"基本\", \"fields\": [\"a\"]},"
            " {\"label\": \"其他\", \"fields\": [\"b\", \"a\"]}]}",
            "form.sections[1].fields: item 1: field \"a\" is placed twice");
    refused(f, ", \"form\": {\"sections\": [{\"label\": \"基本\", \"child\": \"rows\"}]}",
            "form.sections[0].child: no child table \"rows\"");
    refused(f, ", \"form\": {\"sections\": [{\"label\": \"基本\"}]}",
            "form.sections[0]: a section has either \"fields\" or \"child\"");
    refused(f, ", \"form\": {\"sections\": [{\"label\": \"基本\", \"fields\": [\"a\"], \"columns\": 5}]}",
            "form.sections[0].columns: must be between 1 and 4");
    refused(f, ", \"form\": {\"sections\": [{\"fields\": [\"a\"]}]}", "form.sections[0].label: required");
    refused(f, ", \"print\": {}", "print: must be an array of at most 20 print templates");
    refused(f, ", \"print\": [{\"name\": \"notice\"}]", "print[0].label: required");
    refused(f,
            ", \"print\": [{\"name\": \"notice\", \"label\": \"告知书\", \"title\": \"告知书\", \"body\": "
            "[{\"text\": \"正文\"}]}, {\"name\": \"notice\", \"label\": \"告知书\", \"title\": \"告知书\", "
            "\"body\": [{\"text\": \"正文\"}]}]",
            "print[1].name: \"notice\" is already the name of print[0]");
}

static jg_entity_set set_of(const char *const *texts, int n)
{
    jg_entity_set set = {calloc((size_t)n, sizeof(jg_entity)), n};
    for (int i = 0; i < n; i++) {
        char err[256];
        if (load_text(texts[i], &set.entities[i], err, sizeof(err)) != JG_OK)
            fail_msg("%s: %s", err, texts[i]);
    }
    return set;
}

static void sets_check_names_and_refs(void **state)
{
    (void)state;
    const char *a =
        "{\"name\": \"a\", \"label\": \"甲\", \"fields\": [{\"name\": \"b_id\", \"label\": \"乙\","
        " \"type\": \"ref\", \"ref\": \"b\"}]}";
    const char *b =
        "{\"name\": \"b\", \"label\": \"乙\", \"fields\": [{\"name\": \"x\", \"label\": \"甲\","
        " \"type\": \"string\"}], \"children\": [{\"name\": \"rows\", \"label\": \"行\", \"fields\":"
        " [{\"name\": \"c_id\", \"label\": \"丙\", \"type\": \"ref\", \"ref\": \"c\"}]}]}";
    const char *c =
        "{\"name\": \"c\", \"label\": \"丙\", \"fields\": [{\"name\": \"me\", \"label\": \"自己\","
        " \"type\": \"ref\", \"ref\": \"c\"}]}";
    char err[256] = "";
    const char *ok[] = {a, b, c};
    jg_entity_set set = set_of(ok, 3);
    assert_int_equal(jg_entity_set_check(&set, err, sizeof(err)), JG_OK);
    assert_ptr_equal(jg_entity_find(&set, "c"), &set.entities[2]);
    assert_string_equal(jg_entity_field(&set.entities[2], "me")->ref, "c");
    jg_entity_set_free(&set);

    const char *missing[] = {a, b};
    set = set_of(missing, 2);
    assert_int_equal(jg_entity_set_check(&set, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "b: children[0].fields[0].ref: no entity called \"c\"");
    jg_entity_set_free(&set);

    const char *only_a[] = {a};
    set = set_of(only_a, 1);
    assert_int_equal(jg_entity_set_check(&set, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "a: fields[0].ref: no entity called \"b\"");
    jg_entity_set_free(&set);

    const char *twice[] = {c, c};
    set = set_of(twice, 2);
    assert_int_equal(jg_entity_set_check(&set, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "c: two entities have this name");
    jg_entity_set_free(&set);
}

#define FILE_OF(n, text)                                                                                     \
    {                                                                                                        \
        n, (const unsigned char *)(text), sizeof(text) - 1                                                   \
    }

static void files_are_loaded_by_subsystem(void **state)
{
    (void)state;
    static const char good[] =
        "{\"name\": \"demo\", \"label\": \"演示\", \"fields\": [{\"name\": \"a\", \"label\":"
        " \"甲\", \"type\": \"string\"}]}";
    static const char broken[] = "{\"name\": \"demo\",\n \"label\": }";
    static const char dup[] = "{\"name\": \"demo\", \"name\": \"demo\"}";
    char err[512] = "";
    jg_entity_set set;

    const jg_embedded_file ok[] = {FILE_OF("roles.json", "not an entity"),
                                   FILE_OF("sub/demo.json", good),
                                   FILE_OF("sub/notes.txt", "x"),
                                   FILE_OF("sub/deep/x.json", "x"),
                                   {NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(ok, &set, err, sizeof(err)), JG_OK);
    assert_int_equal(set.nentities, 1);
    assert_string_equal(set.entities[0].name, "demo");
    jg_entity_set_free(&set);

    const jg_embedded_file bad_json[] = {FILE_OF("sub/demo.json", broken), {NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(bad_json, &set, err, sizeof(err)), JG_INVALID);
    assert_int_equal(strncmp(err, "sub/demo.json:2:", 16), 0);
    assert_null(set.entities);

    const jg_embedded_file dup_key[] = {FILE_OF("sub/demo.json", dup), {NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(dup_key, &set, err, sizeof(err)), JG_INVALID);
    assert_non_null(strstr(err, "duplicate"));

    const jg_embedded_file wrong_name[] = {FILE_OF("sub/other.json", good), {NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(wrong_name, &set, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "sub/other.json: name \"demo\" differs from the file's");
    assert_int_equal(set.nentities, 0);

    static const char bad_field[] = "{\"name\": \"demo\", \"label\": \"演示\", \"fields\": [{\"name\": \"a\","
                                    " \"label\": \"甲\", \"type\": \"strng\"}]}";
    const jg_embedded_file invalid[] = {FILE_OF("sub/demo.json", bad_field), {NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(invalid, &set, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "sub/demo.json: fields[0].type: unknown type \"strng\"");

    /* Two subsystems defining the same entity. */
    const jg_embedded_file two[] = {
        FILE_OF("a/demo.json", good), FILE_OF("b/demo.json", good), {NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(two, &set, err, sizeof(err)), JG_INVALID);
    assert_string_equal(err, "demo: two entities have this name");

    const jg_embedded_file none[] = {{NULL, NULL, 0}};
    assert_int_equal(jg_entity_set_load_files(none, &set, err, sizeof(err)), JG_OK);
    assert_int_equal(set.nentities, 0);
    jg_entity_set_free(&set);
}

/* The old names of defs/platform stay reachable next to the subsystem definitions. */
static void platform_files_keep_their_names(void **state)
{
    (void)state;
    assert_non_null(jg_embedded_find(jg_embedded_defs, "roles.json"));
    assert_non_null(jg_embedded_find(jg_embedded_defs, "divisions.csv"));
    assert_non_null(jg_embedded_find(jg_embedded_defs, "registration/registration.json"));
    const char *prev = "";
    for (const jg_embedded_file *f = jg_embedded_defs; f->name != NULL; f++) {
        assert_true(strcmp(prev, f->name) < 0); /* sorted */
        assert_null(strstr(f->name, "platform/"));
        prev = f->name;
    }
}

/* The JSON example of docs/entities.md, parsed; the caller decrefs. */
static json_t *docs_example(void)
{
    json_error_t jerr;
    json_t *doc = json_loads(docs_entities_example(), JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        fail_msg("docs/entities.md example: %d: %s", jerr.line, jerr.text);
    return doc;
}

static void the_documented_example_loads(void **state)
{
    (void)state;
    json_t *doc = docs_example();
    jg_entity_set set = {calloc(1, sizeof(jg_entity)), 1};
    char err[512] = "";
    if (jg_entity_load(doc, &set.entities[0], err, sizeof(err)) != JG_OK)
        fail_msg("docs/entities.md example: %s", err);
    json_decref(doc);
    assert_int_equal(jg_entity_set_check(&set, err, sizeof(err)), JG_OK);
    const jg_entity *e = &set.entities[0];
    assert_string_equal(e->name, "inspection");
    assert_int_equal(e->version, 2);
    assert_int_equal(e->nfields, 15);
    assert_int_equal(e->nstates, 4);
    assert_string_equal(e->perm_create, "inspection.manage");
    assert_string_equal(jg_entity_field(e, "inspection_no")->unique_within, "org_code");
    assert_int_equal(jg_entity_field(e, "score")->max, 1000);
    assert_int_equal(jg_entity_field(e, "fine")->max, 100000000);
    assert_int_equal(jg_entity_field(e, "inspected_on")->in_list, 1);
    assert_int_equal(jg_entity_field(e, "findings")->in_list, 0);
    jg_entity_set_free(&set);
    free(set.entities);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registration_is_compiled_in),
        cmocka_unit_test(defaults_of_a_minimal_definition),
        cmocka_unit_test(the_doc_is_kept),
        cmocka_unit_test(patterns_match_the_whole_value),
        cmocka_unit_test(defaults_are_stored_as_storage_wants),
        cmocka_unit_test(options_are_loaded),
        cmocka_unit_test(bad_top_level),
        cmocka_unit_test(bad_field_names_and_types),
        cmocka_unit_test(bad_options),
        cmocka_unit_test(bad_classes),
        cmocka_unit_test(bad_patterns),
        cmocka_unit_test(bad_defaults),
        cmocka_unit_test(bad_children),
        cmocka_unit_test(bad_states_scope_permissions),
        cmocka_unit_test(bad_list_form_print),
        cmocka_unit_test(sets_check_names_and_refs),
        cmocka_unit_test(files_are_loaded_by_subsystem),
        cmocka_unit_test(platform_files_keep_their_names),
        cmocka_unit_test(the_documented_example_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
