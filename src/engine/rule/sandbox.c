/* The Lua sandbox of the rule engine: a state per worker with our allocator (memory cap), a count
 * hook (instruction budget and wall clock), safe libraries only, read-only fact views, and a small
 * cache of compiled chunks. See rule.h for the contract and docs/rules.md for the reasons. */
#include "engine/rule/rule.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/text.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOOK_EVERY 1000   /* instructions between two hook calls */
#define CACHE_MAX 128     /* compiled chunks kept per vm; the cache is emptied when full */
#define JSON_MAX_DEPTH 64 /* nesting of facts, params and results */
#define EXPLAIN_MAX 10000 /* explanation lines of one evaluation */
#define KEY_MAX 128
#define TEXT_MAX (64u << 20) /* bytes of one result written as JSON text */

enum abort_reason { AB_NONE, AB_BUDGET, AB_TIME, AB_MEMORY, AB_RESULT };

struct cache_entry {
    char key[KEY_MAX];
    int ref;        /* registry reference of the compiled function */
    int params_ref; /* registry reference of the params view, LUA_NOREF until the first run */
};

struct jg_rule_vm {
    lua_State *L;
    size_t used, limit; /* heap bytes in use; growth past limit fails */
    long count, budget; /* instructions run / allowed, to HOOK_EVERY */
    struct timespec deadline;
    enum abort_reason abort;
    int running;
    int env_mt;    /* registry ref: the shared metatable of per-run environments */
    int ro_mt_fns; /* registry ref: table {newindex, pairs, len} of the read-only views */
    struct cache_entry cache[CACHE_MAX];
    int ncache;
    /* the run in progress */
    json_t *facts, *params;
    const jg_rule_cfacts *cfacts; /* facts as C values instead (jg_rule_eval_c) */
    int want_text;                /* write the result as JSON text into text */
    jg_buf text;
    const char *now;
    const char *code;
    size_t code_len;
    const char *key;
    json_t *value, *explain;
    int explain_ref;
    int compile_failed;
};

static const char *const MSG[] = {
    [AB_BUDGET] = "规则运行超出指令预算（可能有死循环）",
    [AB_TIME] = "规则运行超时",
    [AB_MEMORY] = "规则运行超出内存上限",
    [AB_RESULT] = "规则的返回值不正确（应为数字、文本、布尔值或由它们组成的表）",
};
static const char *const CODE[] = {
    [AB_BUDGET] = "rule_budget",
    [AB_TIME] = "rule_timeout",
    [AB_MEMORY] = "rule_memory",
    [AB_RESULT] = "rule_result",
};

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    jg_rule_vm *vm = ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        vm->used -= old;
        return NULL;
    }
    if (nsize > old && (vm->used - old + nsize > vm->limit || vm->used - old + nsize < vm->used - old))
        return NULL; /* Lua raises LUA_ERRMEM (after an emergency collection) */
    void *p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    vm->used = vm->used - old + nsize;
    return p;
}

static jg_rule_vm *vm_of(lua_State *L)
{
    return *(jg_rule_vm **)lua_getextraspace(L);
}

static int past(const struct timespec *deadline)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec > deadline->tv_sec || (t.tv_sec == deadline->tv_sec && t.tv_nsec >= deadline->tv_nsec);
}

/* The count hook: stop a run past its budget or its deadline. Once stopped, every later hook call
 * raises again, so a rule cannot swallow the stop with pcall and carry on. */
static void sb_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    jg_rule_vm *vm = vm_of(L);
    if (!vm->running)
        return;
    vm->count += HOOK_EVERY;
    if (vm->abort == AB_NONE) {
        if (vm->count > vm->budget)
            vm->abort = AB_BUDGET;
        else if (past(&vm->deadline))
            vm->abort = AB_TIME;
    }
    if (vm->abort != AB_NONE)
        luaL_error(L, "%s", CODE[vm->abort]);
}

/* pcall and xpcall that do not catch the sandbox's own stops (budget, time, memory). */
static int finish_pcall(lua_State *L, int status, int base)
{
    jg_rule_vm *vm = vm_of(L);
    if (status == LUA_ERRMEM && vm->abort == AB_NONE)
        vm->abort = AB_MEMORY;
    if (vm->abort != AB_NONE)
        return lua_error(L);
    if (status != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_insert(L, -2);
        return 2;
    }
    lua_pushboolean(L, 1);
    lua_insert(L, base);
    return lua_gettop(L) - base + 1;
}

static int sb_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    return finish_pcall(L, status, 1);
}

static int sb_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_copy(L, 2, 1);
    lua_replace(L, 2); /* handler at 1, function at 2 */
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 1);
    return finish_pcall(L, status, 2);
}

/* setmetatable without __gc: finalizers run with hooks off, outside any budget. */
static int sb_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "规则不能使用 __gc");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* string.rep that refuses a result past the memory left before it loops in C (the stock one
 * spins forever on string.rep("", 2^62)). */
static int sb_rep(lua_State *L)
{
    size_t l, lsep;
    luaL_checklstring(L, 1, &l);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    jg_rule_vm *vm = vm_of(L);
    size_t room = vm->limit > vm->used ? vm->limit - vm->used : 0;
    if ((uint64_t)n > room || (l + lsep) > room / (size_t)n) {
        vm->abort = AB_MEMORY;
        return luaL_error(L, "%s", CODE[AB_MEMORY]);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* Charge work done in C (where no hook runs) to the instruction budget, before it is done. */
static void charge(lua_State *L, double work)
{
    jg_rule_vm *vm = vm_of(L);
    if (!vm->running)
        return;
    if (work > (double)(vm->budget - vm->count) + 1) {
        vm->abort = AB_BUDGET;
        luaL_error(L, "%s", CODE[AB_BUDGET]);
    }
    vm->count += (long)work;
}

/* Call the wrapped function (upvalue 1) with the arguments as they are; return all its results. */
static int call_wrapped(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* table.insert / table.remove at a position shift the elements after it in C: charge them. */
static int sb_shift(lua_State *L)
{
    if (lua_gettop(L) >= 2 && lua_type(L, 1) == LUA_TTABLE &&
        !(lua_gettop(L) == 2 && lua_type(L, 2) != LUA_TNUMBER))
        charge(L, (double)lua_rawlen(L, 1) / 4);
    return call_wrapped(L);
}

/* table.sort without a comparison function compares in C: charge n log n. */
static int sb_sort(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE) {
        double n = (double)lua_rawlen(L, 1), lg = 1;
        for (double m = n; m > 1; m /= 2)
            lg++;
        charge(L, n * lg / 4);
    }
    return call_wrapped(L);
}

/* string.find as a plain substring search only: Lua patterns backtrack in C without hooks. The
 * plain search is O(subject * pattern) at worst: charged. */
static int sb_find(lua_State *L)
{
    size_t ls, lp;
    luaL_checklstring(L, 1, &ls);
    luaL_checklstring(L, 2, &lp);
    charge(L, (double)ls * (double)(lp > 1 ? lp : 1) / 64);
    lua_Integer init = luaL_optinteger(L, 3, 1);
    lua_settop(L, 2);
    lua_pushinteger(L, init);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

/* --- read-only views of JSON ------------------------------------------------------------------ */

static int ro_newindex(lua_State *L)
{
    return luaL_error(L, "事实与参数是只读的，规则不能修改");
}

static int ro_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)) == 0)
        return 0;
    return 2;
}

static int ro_pairs(lua_State *L)
{
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, ro_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int ro_len(lua_State *L)
{
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

/* Replace the data table on top of the stack by its read-only view: an empty proxy whose metatable
 * (locked) reads from the data table. */
static void make_view(lua_State *L, jg_rule_vm *vm)
{
    luaL_checkstack(L, 8, "facts");
    lua_createtable(L, 0, 0); /* proxy */
    lua_createtable(L, 0, 5); /* its metatable */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->ro_mt_fns);
    lua_getfield(L, -1, "newindex");
    lua_setfield(L, -3, "__newindex");
    lua_getfield(L, -1, "pairs");
    lua_setfield(L, -3, "__pairs");
    lua_getfield(L, -1, "len");
    lua_setfield(L, -3, "__len");
    lua_pop(L, 1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2); /* the data table: reachable only through the locked metatable */
}

/* Push a read-only view of j: scalars as themselves, objects and arrays as empty proxies whose
 * metatable (locked) reads from the data table. JSON null is nil. */
static void push_json(lua_State *L, jg_rule_vm *vm, json_t *j, int depth)
{
    if (depth > JSON_MAX_DEPTH)
        luaL_error(L, "数据嵌套过深");
    switch (json_typeof(j)) {
    case JSON_OBJECT:
    case JSON_ARRAY: {
        luaL_checkstack(L, 8, "facts");
        if (json_is_array(j)) {
            size_t n = json_array_size(j);
            lua_createtable(L, (int)(n < 1000000 ? n : 0), 0);
            for (size_t i = 0; i < n; i++) {
                push_json(L, vm, json_array_get(j, i), depth + 1);
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            }
        } else {
            lua_createtable(L, 0, (int)json_object_size(j));
            const char *k;
            size_t klen;
            json_t *v;
            json_object_keylen_foreach(j, k, klen, v)
            {
                lua_pushlstring(L, k, klen);
                push_json(L, vm, v, depth + 1);
                lua_rawset(L, -3);
            }
        }
        make_view(L, vm);
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(j));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(j));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    default:
        lua_pushnil(L);
        break;
    }
}

/* The table at idx, or, for a read-only view, the table it stands for (then pushed: the caller pops
 * it when the result differs from idx); *len its sequence length, *count all its keys. */
static int table_of(lua_State *L, int idx, size_t *len, size_t *count)
{
    int t = idx;
    if (lua_getmetatable(L, idx)) {
        lua_pushliteral(L, "__newindex");
        lua_rawget(L, -2);
        int view = lua_tocfunction(L, -1) == ro_newindex;
        lua_pop(L, 1);
        if (view) {
            lua_pushliteral(L, "__index");
            lua_rawget(L, -2);
            lua_remove(L, -2);
            t = lua_absindex(L, -1);
        } else {
            lua_pop(L, 1);
        }
    }
    *len = lua_rawlen(L, t);
    *count = 0;
    lua_pushnil(L);
    while (lua_next(L, t) != 0) {
        (*count)++;
        lua_pop(L, 1);
    }
    return t;
}

/* The value at idx as JSON (a new reference), or NULL: a type JSON cannot hold, a cycle (too
 * deep), a table mixing keys. Raw access only: no metamethod of the rule's runs here. Views of the
 * facts come back as their data. */
static json_t *to_json(lua_State *L, int idx, int depth)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return json_integer((json_int_t)lua_tointeger(L, idx));
        {
            double d = lua_tonumber(L, idx);
            /* integral values as integers: 12, not 12.0, whichever way the rule computed them */
            if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(json_int_t)d)
                return json_integer((json_int_t)d);
            return json_real(d); /* NULL for NaN and infinities */
        }
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return json_stringn(s, n); /* NULL unless UTF-8 */
    }
    case LUA_TTABLE:
        break;
    default:
        return NULL;
    }
    if (depth > JSON_MAX_DEPTH || !lua_checkstack(L, 6))
        return NULL;
    size_t len, count;
    int t = table_of(L, idx, &len, &count);
    json_t *out;
    if (count == len) {
        out = json_array();
        for (size_t i = 1; i <= len && out != NULL; i++) {
            lua_rawgeti(L, t, (lua_Integer)i);
            json_t *v = to_json(L, -1, depth + 1);
            lua_pop(L, 1);
            if (v == NULL) {
                json_decref(out);
                out = NULL;
            } else {
                json_array_append_new(out, v);
            }
        }
    } else {
        out = json_object();
        lua_pushnil(L);
        while (out != NULL && lua_next(L, t) != 0) {
            json_t *v = NULL;
            if (lua_type(L, -2) == LUA_TSTRING) {
                size_t kn;
                const char *k = lua_tolstring(L, -2, &kn);
                v = to_json(L, -1, depth + 1);
                if (v != NULL && json_object_setn_new(out, k, kn, v) != 0)
                    v = NULL;
            }
            lua_pop(L, 1);
            if (v == NULL) {
                json_decref(out);
                out = NULL;
                lua_pop(L, 1);
                break;
            }
        }
    }
    if (t != idx)
        lua_pop(L, 1);
    return out;
}

/* Push the read-only view of facts given as C values (jg_rule_eval_c): the scalars, and the columns
 * under f->table, each column a view of its own, as push_json would make of the same JSON. */
static void push_cfacts(lua_State *L, jg_rule_vm *vm, const jg_rule_cfacts *f)
{
    luaL_checkstack(L, 8, "facts");
    lua_createtable(L, 0, f->nscalars + 1);
    for (int i = 0; i < f->nscalars; i++) {
        const jg_rule_scalar *sc = &f->scalars[i];
        if (sc->text != NULL)
            lua_pushstring(L, sc->text);
        else
            lua_pushnumber(L, sc->num);
        lua_setfield(L, -2, sc->name);
    }
    if (f->table != NULL) {
        lua_createtable(L, 0, f->ncols);
        for (int k = 0; k < f->ncols; k++) {
            const jg_rule_column *col = &f->cols[k];
            lua_createtable(L, f->rows, 0);
            for (int i = 0; i < f->rows; i++) {
                if (col->text == NULL)
                    lua_pushnumber(L, col->num[i]);
                else if (col->text[i] != NULL)
                    lua_pushstring(L, col->text[i]);
                else
                    continue; /* nil: JSON null */
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            }
            make_view(L, vm);
            lua_setfield(L, -2, col->name);
        }
        make_view(L, vm);
        lua_setfield(L, -2, f->table);
    }
    make_view(L, vm);
}

/* Append text s of n bytes to b as a JSON string; 0 when it is not UTF-8 or b is full. */
static int text_string(jg_buf *b, const char *s, size_t n)
{
    if (!jg_utf8_valid(s, n) || jg_buf_append(b, "\"", 1) != JG_OK)
        return 0;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        if (jg_buf_append(b, s + run, i - run) != JG_OK)
            return 0;
        run = i + 1;
        char esc[8];
        switch (ch) {
        case '"':
            memcpy(esc, "\\\"", 3);
            break;
        case '\\':
            memcpy(esc, "\\\\", 3);
            break;
        case '\n':
            memcpy(esc, "\\n", 3);
            break;
        case '\r':
            memcpy(esc, "\\r", 3);
            break;
        case '\t':
            memcpy(esc, "\\t", 3);
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04x", ch);
            break;
        }
        if (jg_buf_puts(b, esc) != JG_OK)
            return 0;
    }
    return jg_buf_append(b, s + run, n - run) == JG_OK && jg_buf_append(b, "\"", 1) == JG_OK;
}

/* Append the value at idx to b as JSON text, as to_json would make it and jansson write it
 * (compact, reals to 12 significant digits); 0 when to_json would fail or b is full. Object keys
 * come in the table's order, not sorted. */
static int to_text(lua_State *L, int idx, int depth, jg_buf *b)
{
    idx = lua_absindex(L, idx);
    char num[40];
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return jg_buf_append(b, "null", 4) == JG_OK;
    case LUA_TBOOLEAN:
        return jg_buf_puts(b, lua_toboolean(L, idx) ? "true" : "false") == JG_OK;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            snprintf(num, sizeof(num), "%lld", (long long)lua_tointeger(L, idx));
        } else {
            double d = lua_tonumber(L, idx);
            if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(long long)d)
                snprintf(num, sizeof(num), "%lld", (long long)d);
            else if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
                return 0; /* NaN and infinities */
            else {
                snprintf(num, sizeof(num), "%.12g", d);
                size_t l = strlen(num);
                if (strpbrk(num, ".e") == NULL)
                    snprintf(num + l, sizeof(num) - l, ".0");
            }
        }
        return jg_buf_puts(b, num) == JG_OK;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return text_string(b, s, n);
    }
    case LUA_TTABLE:
        break;
    default:
        return 0;
    }
    if (depth > JSON_MAX_DEPTH || !lua_checkstack(L, 6))
        return 0;
    size_t len, count;
    int t = table_of(L, idx, &len, &count);
    int ok = 1;
    if (count == len) {
        ok = jg_buf_append(b, "[", 1) == JG_OK;
        for (size_t i = 1; i <= len && ok; i++) {
            lua_rawgeti(L, t, (lua_Integer)i);
            ok = (i == 1 || jg_buf_append(b, ",", 1) == JG_OK) && to_text(L, -1, depth + 1, b);
            lua_pop(L, 1);
        }
        ok = ok && jg_buf_append(b, "]", 1) == JG_OK;
    } else {
        ok = jg_buf_append(b, "{", 1) == JG_OK;
        int first = 1;
        lua_pushnil(L);
        while (ok && lua_next(L, t) != 0) {
            if (lua_type(L, -2) == LUA_TSTRING) {
                size_t kn;
                const char *k = lua_tolstring(L, -2, &kn);
                ok = (first || jg_buf_append(b, ",", 1) == JG_OK) && text_string(b, k, kn) &&
                     jg_buf_append(b, ":", 1) == JG_OK && to_text(L, -1, depth + 1, b);
                first = 0;
            } else {
                ok = 0;
            }
            lua_pop(L, 1);
            if (!ok)
                lua_pop(L, 1);
        }
        ok = ok && jg_buf_append(b, "}", 1) == JG_OK;
    }
    if (t != idx)
        lua_pop(L, 1);
    return ok;
}

/* --- what a rule sees -------------------------------------------------------------------------- */

static int sb_now(lua_State *L)
{
    jg_rule_vm *vm = vm_of(L);
    if (vm->now == NULL)
        return 0;
    lua_pushstring(L, vm->now);
    return 1;
}

static int sb_explain(lua_State *L)
{
    jg_rule_vm *vm = vm_of(L);
    luaL_checkany(L, 1);
    lua_settop(L, 3);
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->explain_ref);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n >= EXPLAIN_MAX)
        return luaL_error(L, "说明条目过多");
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "what");
    lua_pushvalue(L, 2);
    lua_setfield(L, -2, "value");
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "text");
    lua_rawseti(L, -2, n + 1);
    return 0;
}

/* Replace t[name] of the table on top with a C closure over its old value. */
static void wrap(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

static void drop(lua_State *L, const char *const *names)
{
    for (; *names != NULL; names++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *names);
    }
}

/* A locked read-only proxy of the table on top, replacing it. */
static void lock_table(lua_State *L, jg_rule_vm *vm)
{
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->ro_mt_fns);
    lua_getfield(L, -1, "newindex");
    lua_setfield(L, -3, "__newindex");
    lua_getfield(L, -1, "pairs");
    lua_setfield(L, -3, "__pairs");
    lua_pop(L, 1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

/* Build the sandbox in a fresh state (run protected). */
static int setup(lua_State *L)
{
    jg_rule_vm *vm = vm_of(L);
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "newindex");
    lua_pushcfunction(L, ro_pairs);
    lua_setfield(L, -2, "pairs");
    lua_pushcfunction(L, ro_len);
    lua_setfield(L, -2, "len");
    vm->ro_mt_fns = luaL_ref(L, LUA_REGISTRYINDEX);

    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_settop(L, 0);
    /* The real string table is stripped in place: the string metatable's __index reaches it from
     * any string value. That metatable is then locked. */
    lua_getglobal(L, LUA_STRLIBNAME);
    static const char *const string_out[] = {"dump", "match",  "gmatch",   "gsub",
                                             "pack", "unpack", "packsize", NULL};
    drop(L, string_out);
    wrap(L, "rep", sb_rep);
    wrap(L, "find", sb_find);
    lua_pop(L, 1);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    lua_getglobal(L, LUA_MATHLIBNAME);
    static const char *const math_out[] = {"random", "randomseed", NULL};
    drop(L, math_out);
    lua_pop(L, 1);
    lua_getglobal(L, LUA_TABLIBNAME);
    static const char *const table_out[] = {"move", NULL}; /* loops in C over any range */
    drop(L, table_out);
    wrap(L, "insert", sb_shift);
    wrap(L, "remove", sb_shift);
    wrap(L, "sort", sb_sort);
    lua_pop(L, 1);
    static const char *const libs[] = {LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME,
                                       NULL};
    for (const char *const *l = libs; *l != NULL; l++) {
        lua_getglobal(L, *l);
        lock_table(L, vm);
        lua_setglobal(L, *l);
    }

    /* the base: the global table, trimmed */
    lua_pushglobaltable(L);
    static const char *const base_out[] = {"dofile", "loadfile",       "load",   "loadstring", "require",
                                           "print",  "collectgarbage", "rawset", "_G",         "warn",
                                           NULL};
    drop(L, base_out);
    lua_pushcfunction(L, sb_pcall);
    lua_setfield(L, -2, "pcall");
    lua_pushcfunction(L, sb_xpcall);
    lua_setfield(L, -2, "xpcall");
    wrap(L, "setmetatable", sb_setmetatable);
    lua_pushcfunction(L, sb_now);
    lua_setfield(L, -2, "now");
    lua_pushcfunction(L, sb_explain);
    lua_setfield(L, -2, "explain");
    lua_createtable(L, 0, 0);
    vm->explain_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    /* the metatable of every run's environment: reads fall through to the base */
    lua_createtable(L, 0, 2);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    vm->env_mt = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, 0);
    return 0;
}

static void vm_close(jg_rule_vm *vm)
{
    if (vm->L != NULL)
        lua_close(vm->L);
    vm->L = NULL;
    vm->ncache = 0;
}

static int vm_open(jg_rule_vm *vm)
{
    vm->used = 0;
    vm->limit = SIZE_MAX;
    vm->ncache = 0;
    vm->abort = AB_NONE;
    vm->running = 0;
    vm->L = lua_newstate(sb_alloc, vm);
    if (vm->L == NULL)
        return -1;
    *(jg_rule_vm **)lua_getextraspace(vm->L) = vm;
    lua_sethook(vm->L, sb_hook, LUA_MASKCOUNT, HOOK_EVERY);
    lua_pushcfunction(vm->L, setup);
    if (lua_pcall(vm->L, 0, 0, 0) != LUA_OK) {
        vm_close(vm);
        return -1;
    }
    lua_gc(vm->L, LUA_GCGEN, 0, 0);
    return 0;
}

jg_rule_vm *jg_rule_vm_new(void)
{
    jg_rule_vm *vm = jg_xcalloc(1, sizeof(*vm));
    if (vm_open(vm) != 0) {
        free(vm);
        return NULL;
    }
    return vm;
}

void jg_rule_vm_free(jg_rule_vm *vm)
{
    if (vm == NULL)
        return;
    vm_close(vm);
    free(vm);
}

static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void thread_vm_free(void *p)
{
    jg_rule_vm_free(p);
}

static void thread_key_make(void)
{
    pthread_key_create(&thread_key, thread_vm_free);
}

jg_rule_vm *jg_rule_vm_thread(void)
{
    pthread_once(&thread_once, thread_key_make);
    jg_rule_vm *vm = pthread_getspecific(thread_key);
    if (vm == NULL) {
        vm = jg_rule_vm_new();
        if (vm != NULL)
            pthread_setspecific(thread_key, vm);
    }
    return vm;
}

int jg_rule_vm_cached(const jg_rule_vm *vm)
{
    return vm->ncache;
}

/* Push the compiled chunk of the run (from the cache when keyed). Runs protected. */
/* Push the compiled chunk of the run (from the cache when keyed); returns its cache entry or NULL.
 * Runs protected. */
static struct cache_entry *push_chunk(lua_State *L, jg_rule_vm *vm)
{
    if (vm->key != NULL) {
        for (int i = 0; i < vm->ncache; i++)
            if (strcmp(vm->cache[i].key, vm->key) == 0) {
                lua_rawgeti(L, LUA_REGISTRYINDEX, vm->cache[i].ref);
                return &vm->cache[i];
            }
    }
    int st = luaL_loadbufferx(L, vm->code, vm->code_len, "=rule", "t");
    if (st != LUA_OK) {
        if (st == LUA_ERRMEM)
            vm->abort = AB_MEMORY;
        vm->compile_failed = 1;
        lua_error(L);
    }
    if (vm->key == NULL || strlen(vm->key) >= KEY_MAX)
        return NULL;
    if (vm->ncache == CACHE_MAX) {
        for (int i = 0; i < vm->ncache; i++) {
            luaL_unref(L, LUA_REGISTRYINDEX, vm->cache[i].ref);
            luaL_unref(L, LUA_REGISTRYINDEX, vm->cache[i].params_ref);
        }
        vm->ncache = 0;
    }
    lua_pushvalue(L, -1);
    struct cache_entry *e = &vm->cache[vm->ncache];
    e->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    e->params_ref = LUA_NOREF;
    snprintf(e->key, sizeof(e->key), "%s", vm->key);
    vm->ncache++;
    return e;
}

static int do_compile(lua_State *L)
{
    jg_rule_vm *vm = vm_of(L);
    if (luaL_loadbufferx(L, vm->code, vm->code_len, "=rule", "t") != LUA_OK)
        lua_error(L);
    return 0;
}

/* One evaluation (run protected): environment, views, the call, the result as JSON. */
static int do_eval(lua_State *L)
{
    jg_rule_vm *vm = vm_of(L);
    struct cache_entry *e = push_chunk(L, vm); /* 1 */
    lua_createtable(L, 0, 4);                  /* 2: the environment */
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->env_mt);
    lua_setmetatable(L, 2);
    json_t *const views[] = {vm->facts, vm->params};
    static const char *const names[] = {"facts", "params"};
    for (int i = 0; i < 2; i++) {
        if (i == 1 && e != NULL && e->params_ref != LUA_NOREF) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, e->params_ref); /* params are part of what the key names */
        } else if (i == 0 && vm->cfacts != NULL) {
            push_cfacts(L, vm, vm->cfacts);
        } else if (views[i] != NULL) {
            push_json(L, vm, views[i], 0);
        } else {
            lua_createtable(L, 0, 0);
            lock_table(L, vm);
        }
        if (i == 1 && e != NULL && e->params_ref == LUA_NOREF) {
            lua_pushvalue(L, -1);
            e->params_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        }
        lua_setfield(L, 2, names[i]);
    }
    lua_createtable(L, 0, 0);
    lua_rawseti(L, LUA_REGISTRYINDEX, vm->explain_ref);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    if (lua_setupvalue(L, -2, 1) == NULL) /* _ENV of the chunk */
        lua_pop(L, 1);
    lua_getfield(L, 2, "facts");
    lua_getfield(L, 2, "params");
    vm->running = 1;
    lua_call(L, 2, 1);
    vm->running = 0;
    vm->value = to_json(L, -1, 0);
    lua_rawgeti(L, LUA_REGISTRYINDEX, vm->explain_ref);
    if (vm->want_text) {
        /* {"value":...,"explain":[...]} straight from the tables: no JSON tree of the explanation */
        jg_buf *b = &vm->text;
        int ok = vm->value != NULL && jg_buf_puts(b, "{\"value\":") == JG_OK && to_text(L, -2, 0, b) &&
                 jg_buf_puts(b, ",\"explain\":") == JG_OK && lua_type(L, -1) == LUA_TTABLE &&
                 to_text(L, -1, 0, b) && jg_buf_append(b, "}", 1) == JG_OK;
        if (!ok) {
            vm->abort = AB_RESULT;
            return luaL_error(L, "%s", CODE[AB_RESULT]);
        }
        return 0;
    }
    vm->explain = to_json(L, -1, 0);
    if (vm->value == NULL || vm->explain == NULL || !json_is_array(vm->explain)) {
        vm->abort = AB_RESULT;
        return luaL_error(L, "%s", CODE[AB_RESULT]);
    }
    return 0;
}

static void start(jg_rule_vm *vm, const jg_rule_limits *lim, jg_rule_result *out)
{
    memset(out, 0, sizeof(*out));
    vm->abort = AB_NONE;
    vm->compile_failed = 0;
    vm->count = 0;
    vm->budget = lim->budget;
    vm->limit = vm->used + lim->memory;
    clock_gettime(CLOCK_MONOTONIC, &vm->deadline);
    vm->deadline.tv_sec += lim->time_ms / 1000;
    vm->deadline.tv_nsec += (lim->time_ms % 1000) * 1000000L;
    if (vm->deadline.tv_nsec >= 1000000000L) {
        vm->deadline.tv_sec++;
        vm->deadline.tv_nsec -= 1000000000L;
    }
}

/* Classify a failed run into out, and replace the state after a stop. */
static void failed(jg_rule_vm *vm, int status, int compiling, jg_rule_result *out)
{
    lua_State *L = vm->L;
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (status == LUA_ERRMEM && vm->abort == AB_NONE)
        vm->abort = AB_MEMORY;
    if (vm->abort != AB_NONE) {
        out->code = CODE[vm->abort];
        out->message = MSG[vm->abort];
    } else if (compiling) {
        out->code = "rule_compile";
        out->message = "规则代码有语法错误";
    } else if (msg != NULL && strstr(msg, "stack overflow") != NULL) {
        out->code = "rule_stack";
        out->message = "规则递归过深";
    } else {
        out->code = "rule_error";
        out->message = "规则运行出错";
    }
    if (msg != NULL && vm->abort == AB_NONE)
        snprintf(out->detail, sizeof(out->detail), "%s", msg);
    else if (msg == NULL && vm->abort == AB_NONE)
        snprintf(out->detail, sizeof(out->detail), "(%s)", luaL_typename(L, -1));
    /* a cut in the middle of a character, or bytes of the rule's own: keep the text JSON-safe */
    size_t n = strlen(out->detail);
    for (int cut = 0; cut < 3 && n > 0 && !jg_utf8_valid(out->detail, n); cut++)
        out->detail[--n] = '\0';
    if (!jg_utf8_valid(out->detail, n))
        snprintf(out->detail, sizeof(out->detail), "(错误信息不是 UTF-8 文本)");
    lua_settop(L, 0);
    json_decref(vm->value);
    json_decref(vm->explain);
    vm->value = vm->explain = NULL;
    if (vm->abort != AB_NONE || status == LUA_ERRMEM) {
        /* a stopped run may have left anything behind: start over */
        vm_close(vm);
        vm_open(vm);
    }
}

static double elapsed_us(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e6 + (double)(t.tv_nsec - t0->tv_nsec) / 1e3;
}

jg_rc jg_rule_check(jg_rule_vm *vm, const jg_rule_limits *lim, const char *code, size_t len,
                    jg_rule_result *out)
{
    if (vm->L == NULL && vm_open(vm) != 0)
        return JG_NOMEM;
    start(vm, lim, out);
    vm->code = code;
    vm->code_len = len;
    lua_pushcfunction(vm->L, do_compile);
    int status = lua_pcall(vm->L, 0, 0, 0);
    vm->limit = SIZE_MAX;
    if (status != LUA_OK) {
        failed(vm, status, 1, out);
        return JG_INVALID;
    }
    return JG_OK;
}

/* jg_rule_eval and jg_rule_eval_c: facts as JSON, or cfacts as C values (then facts is NULL). */
static jg_rc run(jg_rule_vm *vm, const jg_rule_limits *lim, const char *key, const char *code, size_t len,
                 json_t *facts, const jg_rule_cfacts *cfacts, int text, json_t *params, const char *now,
                 jg_rule_result *out)
{
    if (vm->L == NULL && vm_open(vm) != 0)
        return JG_NOMEM;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    start(vm, lim, out);
    vm->cfacts = cfacts;
    vm->want_text = text;
    jg_buf_init(&vm->text, TEXT_MAX);
    vm->facts = facts;
    vm->params = params;
    vm->now = now;
    vm->code = code;
    vm->code_len = len;
    vm->key = key;
    vm->value = vm->explain = NULL;
    lua_State *L = vm->L;
    lua_pushcfunction(L, do_eval);
    int status = lua_pcall(L, 0, 0, 0);
    vm->running = 0;
    vm->limit = SIZE_MAX;
    out->instructions = vm->count;
    vm->facts = vm->params = NULL;
    vm->cfacts = NULL;
    if (status != LUA_OK) {
        jg_buf_free(&vm->text);
        failed(vm, status, vm->compile_failed, out);
        out->micros = elapsed_us(&t0);
        return JG_INVALID;
    }
    out->value = vm->value;
    out->explain = vm->explain;
    out->text = text ? jg_buf_steal(&vm->text) : NULL;
    jg_buf_free(&vm->text);
    vm->value = vm->explain = NULL;
    lua_settop(L, 0);
    out->micros = elapsed_us(&t0);
    return JG_OK;
}

jg_rc jg_rule_eval(jg_rule_vm *vm, const jg_rule_limits *lim, const char *key, const char *code, size_t len,
                   json_t *facts, json_t *params, const char *now, jg_rule_result *out)
{
    return run(vm, lim, key, code, len, facts, NULL, 0, params, now, out);
}

jg_rc jg_rule_eval_c(jg_rule_vm *vm, const jg_rule_limits *lim, const char *key, const char *code, size_t len,
                     const jg_rule_cfacts *facts, int text, json_t *params, const char *now,
                     jg_rule_result *out)
{
    jg_rc rc = run(vm, lim, key, code, len, NULL, facts, text, params, now, out);
    if (rc == JG_OK && text && out->text == NULL) {
        jg_rule_result_clear(out);
        return JG_NOMEM;
    }
    return rc;
}

void jg_rule_result_clear(jg_rule_result *out)
{
    free(out->text);
    out->text = NULL;
    json_decref(out->value);
    json_decref(out->explain);
    out->value = out->explain = NULL;
}
