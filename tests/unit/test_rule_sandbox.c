/* The rule sandbox: results and explanations, read-only facts, and hostile rules that must end
 * with a clear error code while the process (and the next rule on the same vm) carries on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "engine/rule/rule.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const jg_rule_limits LIM = {1000000, 8u << 20, 500};

/* Evaluate code on a fresh result; returns the rc and leaves the result in *r. */
static jg_rc run(jg_rule_vm *vm, const jg_rule_limits *lim, const char *code, const char *facts_json,
                 jg_rule_result *r)
{
    json_t *facts = facts_json != NULL ? json_loads(facts_json, 0, NULL) : NULL;
    jg_rc rc = jg_rule_eval(vm, lim, NULL, code, strlen(code), facts, NULL, "2026-11-25T12:00:00Z", r);
    json_decref(facts);
    return rc;
}

/* The code must fail with want; then the same vm still evaluates a good rule. */
static void hostile(jg_rule_vm *vm, const jg_rule_limits *lim, const char *code, const char *want)
{
    jg_rule_result r;
    jg_rc rc = run(vm, lim, code, NULL, &r);
    if (rc == JG_OK || r.code == NULL || strcmp(r.code, want) != 0)
        print_error("code: %s\nwant %s, got %s (%s) %s\n", code, want, r.code ? r.code : "ok",
                    r.message ? r.message : "", r.detail);
    assert_int_equal(rc, JG_INVALID);
    assert_non_null(r.code);
    assert_string_equal(r.code, want);
    assert_non_null(r.message);
    assert_true((unsigned char)r.message[0] >= 0xe0); /* Chinese wording */
    jg_rule_result_clear(&r);
    rc = run(vm, &LIM, "return 1 + 1", NULL, &r);
    assert_int_equal(rc, JG_OK);
    assert_int_equal(json_integer_value(r.value), 2);
    jg_rule_result_clear(&r);
}

static void values_and_explanation(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    assert_non_null(vm);
    jg_rule_result r;
    jg_rc rc = run(
        vm, &LIM,
        "local p = 0\n"
        "for i, it in ipairs(facts.items) do p = p + it.points; explain(it.clause, it.points, '扣分') end\n"
        "return { total = p, n = #facts.items, when = now(), name = facts.project.name,\n"
        "         up = string.upper('ab'), keys = (function() local n = 0 for k in pairs(facts.project) do n "
        "= n + 1 end return n end)() }",
        "{\"items\":[{\"clause\":\"1.1.1\",\"points\":8},{\"clause\":\"1.1.2\",\"points\":3.5}],"
        "\"project\":{\"name\":\"福州项目\",\"code\":\"P1\"}}",
        &r);
    if (rc != JG_OK)
        print_error("%s %s\n", r.code, r.detail);
    assert_int_equal(rc, JG_OK);
    char *s = json_dumps(r.value, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "{\"keys\":2,\"n\":2,\"name\":\"福州项目\",\"total\":11.5,\"up\":\"AB\",\"when\":"
                           "\"2026-11-25T12:00:00Z\"}");
    free(s);
    s = json_dumps(r.explain, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(
        s, "[{\"text\":\"扣分\",\"value\":8,\"what\":\"1.1.1\"},{\"text\":\"扣分\",\"value\":3.5,"
           "\"what\":\"1.1.2\"}]");
    free(s);
    jg_rule_result_clear(&r);
    /* facts come back as data when returned */
    rc = run(vm, &LIM, "return facts.items[2]", "{\"items\":[1,{\"a\":[true,false]}]}", &r);
    assert_int_equal(rc, JG_OK);
    s = json_dumps(r.value, JSON_COMPACT);
    assert_string_equal(s, "{\"a\":[true,false]}");
    free(s);
    jg_rule_result_clear(&r);
    /* nil is null; params without any are an empty table */
    rc = run(vm, &LIM, "assert(next(params) == nil) return nil", NULL, &r);
    assert_int_equal(rc, JG_OK);
    assert_true(json_is_null(r.value));
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

static void errors_and_results(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    jg_rule_result r;
    assert_int_equal(run(vm, &LIM, "return (", NULL, &r), JG_INVALID);
    assert_string_equal(r.code, "rule_compile");
    assert_non_null(strstr(r.detail, "rule:1"));
    jg_rule_result_clear(&r);
    assert_int_equal(run(vm, &LIM, "error('坏了')", NULL, &r), JG_INVALID);
    assert_string_equal(r.code, "rule_error");
    assert_non_null(strstr(r.detail, "坏了"));
    jg_rule_result_clear(&r);
    assert_int_equal(run(vm, &LIM, "error({})", NULL, &r), JG_INVALID);
    assert_string_equal(r.code, "rule_error");
    jg_rule_result_clear(&r);
    /* results JSON cannot hold */
    hostile(vm, &LIM, "return function() end", "rule_result");
    hostile(vm, &LIM, "return 0/0", "rule_result");
    hostile(vm, &LIM, "local t = {} t.t = t return t", "rule_result");
    hostile(vm, &LIM, "return {[true] = 1}", "rule_result");
    hostile(vm, &LIM, "return '\\xff'", "rule_result");
    hostile(vm, &LIM, "return string", "rule_result");
    jg_rule_vm_free(vm);
}

static void facts_are_read_only(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    jg_rule_result r;
    const char *facts = "{\"a\":{\"b\":[1,2]},\"n\":1}";
    static const char *const writes[] = {
        "facts.n = 2",
        "facts.a.b[1] = 9",
        "facts.a.x = 1",
        "table.insert(facts.a.b, 3)",
        "setmetatable(facts, nil)",
        "getmetatable(facts).__newindex = nil",
        "params.x = 1",
        "local _, d = pairs(facts) d.n = 2",
        "rawset(facts, 'n', 2)",
        "string.upper = nil",
        "math.pi = 3",
        "getmetatable('').__index.upper = nil",
        "getmetatable('').__index = nil",
        "table.sort(facts.a.b, function(x, y) return x > y end)",
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        json_t *f = json_loads(facts, 0, NULL);
        jg_rc rc = jg_rule_eval(vm, &LIM, NULL, writes[i], strlen(writes[i]), f, NULL, NULL, &r);
        if (rc != JG_INVALID)
            print_error("%s was allowed\n", writes[i]);
        assert_int_equal(rc, JG_INVALID);
        assert_string_equal(r.code, "rule_error");
        jg_rule_result_clear(&r);
        /* the facts given are untouched, and the libraries are whole for the next rule */
        char *s = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
        assert_string_equal(s, facts);
        free(s);
        json_decref(f);
    }
    assert_int_equal(
        run(vm, &LIM, "return string.upper('a') .. math.floor(math.pi) .. ('x'):upper()", NULL, &r), JG_OK);
    assert_string_equal(json_string_value(r.value), "A3X");
    jg_rule_result_clear(&r);
    /* globals a rule sets do not reach the next rule */
    assert_int_equal(run(vm, &LIM, "leak = 1 return 1", NULL, &r), JG_OK);
    jg_rule_result_clear(&r);
    assert_int_equal(run(vm, &LIM, "return leak", NULL, &r), JG_OK);
    assert_true(json_is_null(r.value));
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

static void unsafe_libraries_are_absent(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    jg_rule_result r;
    static const char *const absent[] = {
        "io",          "os",           "debug",         "package",     "require",
        "dofile",      "loadfile",     "load",          "loadstring",  "collectgarbage",
        "print",       "string.dump",  "coroutine",     "math.random", "math.randomseed",
        "string.gsub", "string.match", "string.gmatch", "string.pack", "table.move",
        "_G",          "rawset",       "('').dump",     "('').gsub",
    };
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
        char code[128];
        snprintf(code, sizeof(code), "return %s == nil", absent[i]);
        assert_int_equal(run(vm, &LIM, code, NULL, &r), JG_OK);
        if (!json_is_true(r.value))
            print_error("%s is reachable\n", absent[i]);
        assert_true(json_is_true(r.value));
        jg_rule_result_clear(&r);
    }
    hostile(vm, &LIM, "return io.open('/etc/passwd')", "rule_error");
    hostile(vm, &LIM, "return os.execute('true')", "rule_error");
    hostile(vm, &LIM, "return string.dump(function() end)", "rule_error");
    hostile(vm, &LIM, "return load('\\27Lua')", "rule_error");
    hostile(vm, &LIM, "return coroutine.wrap(function() end)()", "rule_error");
    hostile(vm, &LIM, "return debug.getregistry()", "rule_error");
    hostile(vm, &LIM, "return package.loadlib('libc.so.6', 'system')", "rule_error");
    hostile(vm, &LIM, "return setmetatable({}, {__gc = function() while true do end end})", "rule_error");
    /* a binary chunk is refused at compile time */
    const char bin[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";
    assert_int_equal(jg_rule_eval(vm, &LIM, NULL, bin, sizeof(bin) - 1, NULL, NULL, NULL, &r), JG_INVALID);
    assert_string_equal(r.code, "rule_compile");
    assert_non_null(strstr(r.detail, "binary"));
    jg_rule_result_clear(&r);
    assert_int_equal(jg_rule_check(vm, &LIM, bin, sizeof(bin) - 1, &r), JG_INVALID);
    assert_string_equal(r.code, "rule_compile");
    /* plain find still works, patterns do not backtrack */
    assert_int_equal(run(vm, &LIM, "return {string.find('a.b.c', '.', 2)}", NULL, &r), JG_OK);
    char *s = json_dumps(r.value, JSON_COMPACT);
    assert_string_equal(s, "[2,2]");
    free(s);
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

static void loops_and_bombs(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    hostile(vm, &LIM, "while true do end", "rule_budget");
    hostile(vm, &LIM, "local function f() return f() end return f()",
            "rule_budget"); /* tail call: no stack */
    /* pcall cannot swallow the stop */
    hostile(vm, &LIM, "while true do pcall(function() while true do end end) end", "rule_budget");
    hostile(vm, &LIM, "while true do xpcall(function() while true do end end, function() return 1 end) end",
            "rule_budget");
    /* wall clock: a huge budget, a short time */
    jg_rule_limits slow = {2000000000L, 8u << 20, 50};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    hostile(vm, &slow, "while true do end", "rule_timeout");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    assert_true(ms < 2000);
    /* memory */
    jg_rule_limits big = {2000000000L, 8u << 20, 20000};
    hostile(vm, &big, "return string.rep('x', 1 << 40)", "rule_memory");
    jg_rule_result r;
    assert_int_equal(run(vm, &big, "return string.rep('', 1 << 62) .. ('x'):rep(3)", NULL, &r),
                     JG_OK); /* no C spin */
    assert_string_equal(json_string_value(r.value), "xxx");
    jg_rule_result_clear(&r);
    hostile(vm, &big, "return ('ab'):rep(1 << 30, ',')", "rule_memory");
    hostile(vm, &big, "local s = 'x' while true do s = s .. s end", "rule_memory");
    hostile(vm, &big, "local t = {} local i = 0 while true do i = i + 1 t[i] = i end", "rule_memory");
    hostile(vm, &big, "local t = {} while true do t[#t + 1] = {} end", "rule_memory");
    hostile(vm, &big, "local t = {} for i = 1, 1e9 do t[i] = tostring(i) end", "rule_memory");
    hostile(vm, &big, "while true do pcall(string.rep, 'x', 1 << 40) end", "rule_memory");
    hostile(vm, &big, "return table.concat({string.rep('x', 1 << 20)}, '', 1, 1 << 20)", "rule_error");
    hostile(vm, &big, "return table.unpack({}, 1, 1e8)", "rule_error");
    /* work in C is charged to the budget: quadratic shifting, sorting, plain search */
    hostile(vm, &LIM, "local t = {} for i = 1, 20000 do table.insert(t, 1, i) end", "rule_budget");
    hostile(vm, &LIM,
            "local t = {} for i = 1, 20000 do t[i] = i end for i = 1, 20000 do table.remove(t, 1) end",
            "rule_budget");
    hostile(vm, &LIM, "local s = ('a'):rep(1 << 20) local p = ('a'):rep(1 << 16) .. 'b' return s:find(p)",
            "rule_budget");
    assert_int_equal(run(vm, &LIM,
                         "local t = {3, 1, 2} table.sort(t) table.insert(t, 1, 0) table.remove(t) "
                         "return {t, ('abc'):find('c')}",
                         NULL, &r),
                     JG_OK);
    char *s = json_dumps(r.value, JSON_COMPACT);
    assert_string_equal(s, "[[0,1,2],3,3]");
    free(s);
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

static void recursion(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    /* Lua stack: with room enough it is the stack limit that ends it */
    jg_rule_limits roomy = {2000000000L, 256u << 20, 20000};
    hostile(vm, &roomy, "local function f(n) return 1 + f(n + 1) end return f(1)", "rule_stack");
    /* C stack: recursion through metamethods and pcall */
    hostile(vm, &LIM, "local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x",
            "rule_stack");
    hostile(vm, &LIM, "local function f() local ok, e = pcall(f) if not ok then error(e, 0) end end f()",
            "rule_stack");
    hostile(
        vm, &LIM,
        "local t = setmetatable({}, {__tostring = function(t) return tostring(t) end}) return tostring(t)",
        "rule_stack");
    /* with the default cap the heap may run out first: either is a clear stop */
    jg_rule_result r;
    json_t *none = NULL;
    const char *deep = "local function f(n) return 1 + f(n + 1) end return f(1)";
    assert_int_equal(jg_rule_eval(vm, &LIM, NULL, deep, strlen(deep), none, NULL, NULL, &r), JG_INVALID);
    assert_true(strcmp(r.code, "rule_stack") == 0 || strcmp(r.code, "rule_memory") == 0 ||
                strcmp(r.code, "rule_budget") == 0);
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
}

static void metatable_tricks(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    jg_rule_result r;
    /* the rule's own metatables work; facts' cannot be read or replaced */
    assert_int_equal(run(vm, &LIM,
                         "local t = setmetatable({}, {__index = function(_, k) return k .. '!' end})\n"
                         "return {t.a, getmetatable(facts), getmetatable('')}",
                         "{}", &r),
                     JG_OK);
    char *s = json_dumps(r.value, JSON_COMPACT);
    assert_string_equal(s, "[\"a!\",false,false]");
    free(s);
    jg_rule_result_clear(&r);
    /* a __gc set later on a metatable accepted without one is never called */
    assert_int_equal(run(vm, &LIM,
                         "local mt = {} local t = setmetatable({}, mt) mt.__gc = function() while true do "
                         "end end t = nil return 1",
                         NULL, &r),
                     JG_OK);
    jg_rule_result_clear(&r);
    jg_rule_vm_free(vm);
    /* the vm's close ran every finalizer: had it run that loop, the test would hang here */
}

static void cache(void **state)
{
    (void)state;
    jg_rule_vm *vm = jg_rule_vm_new();
    jg_rule_result r;
    const char *code = "return (facts.x or 0) * 2";
    json_t *facts = json_pack("{s:i}", "x", 21);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(jg_rule_eval(vm, &LIM, "k1", code, strlen(code), facts, NULL, NULL, &r), JG_OK);
        assert_int_equal(json_integer_value(r.value), 42);
        jg_rule_result_clear(&r);
    }
    assert_int_equal(jg_rule_vm_cached(vm), 1);
    /* the cache keys by name: the same key is the same code */
    assert_int_equal(jg_rule_eval(vm, &LIM, "k1", "return 0", 8, facts, NULL, NULL, &r), JG_OK);
    assert_int_equal(json_integer_value(r.value), 42);
    jg_rule_result_clear(&r);
    for (int i = 0; i < 300; i++) {
        char key[16];
        snprintf(key, sizeof(key), "n%d", i);
        assert_int_equal(jg_rule_eval(vm, &LIM, key, code, strlen(code), facts, NULL, NULL, &r), JG_OK);
        jg_rule_result_clear(&r);
    }
    assert_true(jg_rule_vm_cached(vm) <= 128);
    /* an abort empties it with the state */
    assert_int_equal(jg_rule_eval(vm, &LIM, "loop", "while true do end", 17, facts, NULL, NULL, &r),
                     JG_INVALID);
    jg_rule_result_clear(&r);
    assert_int_equal(jg_rule_vm_cached(vm), 0);
    /* timing of a simple clause rule, cached: microseconds */
    const char *clause =
        "if facts.clause == '1.1.1' and facts.absent_days > 3 then explain('1.1.1', 8, '项目经理长期不在岗') "
        "return 8 end return 0";
    json_t *f = json_pack("{s:s, s:i}", "clause", "1.1.1", "absent_days", 5);
    struct timespec t0, t1;
    int n = 2000;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(jg_rule_eval(vm, &LIM, "clause", clause, strlen(clause), f, NULL, NULL, &r), JG_OK);
        jg_rule_result_clear(&r);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
    print_message("one cached clause evaluation: %.2f us (this build)\n", us);
    assert_true(us < 1000); /* generous under the sanitizers; the Release figure is in bench/rules.sh */
    json_decref(f);
    json_decref(facts);
    jg_rule_vm_free(vm);
}

static void thread_vm(void **state)
{
    (void)state;
    jg_rule_vm *a = jg_rule_vm_thread(), *b = jg_rule_vm_thread();
    assert_non_null(a);
    assert_ptr_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values_and_explanation),
        cmocka_unit_test(errors_and_results),
        cmocka_unit_test(facts_are_read_only),
        cmocka_unit_test(unsafe_libraries_are_absent),
        cmocka_unit_test(loops_and_bombs),
        cmocka_unit_test(recursion),
        cmocka_unit_test(metatable_tricks),
        cmocka_unit_test(cache),
        cmocka_unit_test(thread_vm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
