/* Unit tests for src/http/router.c through http_int.h: matching, parameters, 405 Allow lists, errors. */
#include "http/http_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static jg_rc h(jg_req *req, jg_resp *resp)
{
    (void)req;
    (void)resp;
    return JG_OK;
}

/* Indexes below follow this table's order. */
static const jg_route routes[] = {
    {"GET", "/api/v1/items", h, 0, "list", "t", NULL},                        /* 0 */
    {"POST", "/api/v1/items", h, 0, "create", "t", NULL},                     /* 1 */
    {"POST", "/api/v1/items/query", h, 0, "query", "t", NULL},                /* 2 */
    {"GET", "/api/v1/items/{id}", h, 0, "get", "t", NULL},                    /* 3 */
    {"PUT", "/api/v1/items/{id}", h, 0, "put", "t", NULL},                    /* 4 */
    {"GET", "/api/v1/items/{id}/files/{name}", h, 0, "file", "t", NULL},      /* 5 */
    {"GET", "/healthz", h, 0, "health", "t", NULL},                           /* 6 */
    {"GET", "/", h, 0, "root", "t", NULL},                                    /* 7 */
    {NULL, NULL, NULL, 0, NULL, NULL, NULL},
};
#define NROUTES 8

struct fixture {
    jg_router *r;
    jg_arena *a;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->r = jg_router_new();
    f->a = jg_arena_new();
    for (const jg_route *rt = routes; rt->method != NULL; rt++)
        if (jg_router_add(f->r, rt) != JG_OK)
            return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    jg_router_free(f->r);
    jg_arena_free(f->a);
    free(f);
    return 0;
}

struct result {
    jg_match m;
    int index, nparams;
    jg_kv *params;
    const char *allow;
};

static struct result match(struct fixture *f, const char *method, const char *path)
{
    struct result res = {JG_MATCH_NOPATH, -99, -99, NULL, NULL};
    res.m = jg_router_match(f->r, method, path, f->a, &res.index, &res.params, &res.nparams, &res.allow);
    return res;
}

static void registers_in_order(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(jg_router_count(f->r), NROUTES);
    for (int i = 0; i < NROUTES; i++)
        assert_ptr_equal(jg_router_at(f->r, i), &routes[i]);
}

static void literal_routes(void **state)
{
    struct fixture *f = *state;
    struct result r = match(f, "GET", "/api/v1/items");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 0);
    assert_int_equal(r.nparams, 0);
    r = match(f, "POST", "/api/v1/items");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 1);
    r = match(f, "POST", "/api/v1/items/query");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 2);
    assert_int_equal(r.nparams, 0);
    r = match(f, "GET", "/healthz");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 6);
    r = match(f, "GET", "/");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 7);
    /* Literal segments compare whole and case-sensitively. */
    assert_int_equal(match(f, "GET", "/api/v1/item").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/api/v1/itemsx").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/API/v1/items").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/healthz/x").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/health").m, JG_MATCH_NOPATH);
}

static void params_are_extracted(void **state)
{
    struct fixture *f = *state;
    struct result r = match(f, "GET", "/api/v1/items/42");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 3);
    assert_int_equal(r.nparams, 1);
    assert_string_equal(r.params[0].key, "id");
    assert_string_equal(r.params[0].value, "42");

    char path[] = "/api/v1/items/BJ350102/files/报告.pdf";
    r = match(f, "GET", path);
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 5);
    assert_int_equal(r.nparams, 2);
    assert_string_equal(r.params[0].key, "id");
    assert_string_equal(r.params[0].value, "BJ350102");
    assert_string_equal(r.params[1].key, "name");
    assert_string_equal(r.params[1].value, "报告.pdf");
    /* Values are copies in the arena, not pointers into the path. */
    memset(path, 'x', sizeof(path) - 1);
    assert_string_equal(r.params[0].value, "BJ350102");

    r = match(f, "PUT", "/api/v1/items/7");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 4);
    assert_string_equal(r.params[0].value, "7");
    /* A parameter matches anything but an empty segment, including a literal's text for another method. */
    r = match(f, "GET", "/api/v1/items/query");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 3);
    assert_string_equal(r.params[0].value, "query");
}

static void trailing_slash_and_empty_segments(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(match(f, "GET", "/api/v1/items/").m, JG_MATCH_NOPATH); /* {id} may not be empty */
    assert_int_equal(match(f, "GET", "/api/v1/items//").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/api//v1/items").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "//api/v1/items").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/healthz/").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/api/v1/items/1/files/").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "/api/v1/items//files/a").m, JG_MATCH_NOPATH);
    assert_int_equal(match(f, "GET", "api/v1/items").m, JG_MATCH_NOPATH); /* no leading slash */
    assert_int_equal(match(f, "GET", "").m, JG_MATCH_NOPATH);
}

static void wrong_method_lists_allowed(void **state)
{
    struct fixture *f = *state;
    struct result r = match(f, "DELETE", "/api/v1/items");
    assert_int_equal(r.m, JG_MATCH_NOMETHOD);
    assert_string_equal(r.allow, "GET, POST");
    r = match(f, "PATCH", "/api/v1/items/9");
    assert_int_equal(r.m, JG_MATCH_NOMETHOD);
    assert_string_equal(r.allow, "GET, PUT");
    r = match(f, "GET", "/api/v1/items/9/files/x");
    assert_int_equal(r.m, JG_MATCH_OK);
    r = match(f, "POST", "/api/v1/items/9/files/x");
    assert_int_equal(r.m, JG_MATCH_NOMETHOD);
    assert_string_equal(r.allow, "GET");
    /* Methods compare case-sensitively, as HTTP says. */
    r = match(f, "get", "/healthz");
    assert_int_equal(r.m, JG_MATCH_NOMETHOD);
    assert_string_equal(r.allow, "GET");
}

static void head_matches_get(void **state)
{
    struct fixture *f = *state;
    struct result r = match(f, "HEAD", "/api/v1/items");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 0);
    r = match(f, "HEAD", "/api/v1/items/5");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, 3);
    assert_string_equal(r.params[0].value, "5");
    /* ... but not a POST-only route. */
    r = match(f, "HEAD", "/api/v1/items/query/x");
    assert_int_equal(r.m, JG_MATCH_NOPATH);
    jg_router *only_post = jg_router_new();
    assert_int_equal(jg_router_add(only_post, &routes[2]), JG_OK);
    r.m = jg_router_match(only_post, "HEAD", "/api/v1/items/query", f->a, &r.index, &r.params, &r.nparams,
                          &r.allow);
    assert_int_equal(r.m, JG_MATCH_NOMETHOD);
    assert_string_equal(r.allow, "POST");
    jg_router_free(only_post);
}

static void duplicate_is_conflict(void **state)
{
    struct fixture *f = *state;
    static const jg_route dup = {"GET", "/api/v1/items/{id}", h, 0, "again", "t", NULL};
    static const jg_route other_method = {"DELETE", "/api/v1/items/{id}", h, 0, "delete", "t", NULL};
    assert_int_equal(jg_router_add(f->r, &dup), JG_CONFLICT);
    assert_int_equal(jg_router_count(f->r), NROUTES);
    assert_int_equal(jg_router_add(f->r, &routes[0]), JG_CONFLICT);
    assert_int_equal(jg_router_count(f->r), NROUTES);
    assert_int_equal(jg_router_add(f->r, &other_method), JG_OK);
    assert_int_equal(jg_router_count(f->r), NROUTES + 1);
    struct result r = match(f, "PATCH", "/api/v1/items/1");
    assert_string_equal(r.allow, "GET, PUT, DELETE");
}

static void bad_patterns_are_invalid(void **state)
{
    (void)state;
    static const jg_route bad[] = {
        {"GET", "", h, 0, NULL, NULL, NULL},
        {"GET", "api/v1/x", h, 0, NULL, NULL, NULL},
        {"GET", "/api//x", h, 0, NULL, NULL, NULL},  /* empty segment in the middle */
        {"GET", "/api/x/", h, 0, NULL, NULL, NULL},  /* trailing slash */
        {"GET", "//", h, 0, NULL, NULL, NULL},
    };
    jg_router *r = jg_router_new();
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (jg_router_add(r, &bad[i]) != JG_INVALID)
            fail_msg("pattern \"%s\" was accepted", bad[i].pattern);
        assert_int_equal(jg_router_count(r), 0);
    }
    /* The router is still usable after rejections. */
    assert_int_equal(jg_router_add(r, &routes[0]), JG_OK);
    assert_int_equal(jg_router_count(r), 1);
    jg_router_free(r);
}

static void segment_limit(void **state)
{
    struct fixture *f = *state;
    /* 16 segments are allowed, 17 are not: for patterns and for paths. */
    static char p16[128], p17[128], path16[128], path17[128];
    size_t n = 0;
    for (int i = 0; i < 17; i++) {
        n += (size_t)snprintf(p17 + n, sizeof(p17) - n, "/s%d", i);
        if (i == 15)
            memcpy(p16, p17, n + 1);
    }
    memcpy(path16, p16, sizeof(p16));
    memcpy(path17, p17, sizeof(p17));
    static jg_route r16 = {"GET", NULL, h, 0, NULL, NULL, NULL}, r17 = {"GET", NULL, h, 0, NULL, NULL, NULL};
    r16.pattern = p16;
    r17.pattern = p17;
    assert_int_equal(jg_router_add(f->r, &r17), JG_INVALID);
    assert_int_equal(jg_router_add(f->r, &r16), JG_OK);
    struct result r = match(f, "GET", path16);
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, NROUTES);
    assert_int_equal(match(f, "GET", path17).m, JG_MATCH_NOPATH);
    /* A very deep path is simply not found. */
    char deep[2048] = "";
    size_t len = 0;
    for (int i = 0; i < 500; i++)
        len += (size_t)snprintf(deep + len, sizeof(deep) - len, "/a");
    assert_int_equal(match(f, "GET", deep).m, JG_MATCH_NOPATH);
}

/* Regression: the first registered route used to win, so /x/{id} hid a later /x/stats. */
static void literal_beats_parameter(void **state)
{
    struct fixture *f = *state;
    static const jg_route later[] = {{"GET", "/api/v1/items/stats", h, 0, "stats", "t", NULL}};
    assert_int_equal(jg_router_add(f->r, &later[0]), JG_OK);
    struct result r = match(f, "GET", "/api/v1/items/stats");
    assert_int_equal(r.m, JG_MATCH_OK);
    assert_int_equal(r.index, NROUTES);
    assert_int_equal(r.nparams, 0);
    r = match(f, "GET", "/api/v1/items/7");
    assert_int_equal(r.index, 3);
    assert_string_equal(r.params[0].value, "7");
}

static void free_null_is_noop(void **state)
{
    (void)state;
    jg_router_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registers_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(literal_routes, setup, teardown),
        cmocka_unit_test_setup_teardown(params_are_extracted, setup, teardown),
        cmocka_unit_test_setup_teardown(trailing_slash_and_empty_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_method_lists_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(head_matches_get, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_is_conflict, setup, teardown),
        cmocka_unit_test(bad_patterns_are_invalid),
        cmocka_unit_test_setup_teardown(segment_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(literal_beats_parameter, setup, teardown),
        cmocka_unit_test(free_null_is_noop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
