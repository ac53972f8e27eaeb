/* Route table: patterns of literal segments and {name} parameters, matched segment by segment. */
#include "http/http_int.h"

#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 16

struct entry {
    const jg_route *route;
    int nseg;
    char *seg[MAX_SEGMENTS]; /* literal text, or the parameter name when param[i] */
    int param[MAX_SEGMENTS];
};

struct jg_router {
    struct entry *e;
    int n, cap;
};

jg_router *jg_router_new(void)
{
    return jg_xcalloc(1, sizeof(jg_router));
}

void jg_router_free(jg_router *r)
{
    if (r == NULL)
        return;
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < r->e[i].nseg; k++)
            free(r->e[i].seg[k]);
    free(r->e);
    free(r);
}

/* Segments of a path as (start, length) pairs; -1 if it does not start with '/' or is too deep. */
static int split(const char *path, const char **start, size_t *len, int max)
{
    if (path[0] != '/')
        return -1;
    int n = 0;
    const char *p = path + 1;
    if (*p == '\0')
        return 0; /* "/" has no segments */
    for (;;) {
        const char *end = strchr(p, '/');
        if (n == max)
            return -1;
        start[n] = p;
        len[n] = end ? (size_t)(end - p) : strlen(p);
        n++;
        if (end == NULL)
            return n;
        p = end + 1;
    }
}

jg_rc jg_router_add(jg_router *r, const jg_route *route)
{
    const char *start[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    int n = split(route->pattern, start, len, MAX_SEGMENTS);
    if (n < 0)
        return JG_INVALID;
    for (int i = 0; i < n; i++)
        if (len[i] == 0)
            return JG_INVALID;
    for (int i = 0; i < r->n; i++)
        if (strcmp(r->e[i].route->pattern, route->pattern) == 0 &&
            strcmp(r->e[i].route->method, route->method) == 0)
            return JG_CONFLICT;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->e = jg_xrealloc(r->e, sizeof(struct entry) * (size_t)r->cap);
    }
    struct entry *e = &r->e[r->n];
    memset(e, 0, sizeof(*e));
    e->route = route;
    e->nseg = n;
    for (int i = 0; i < n; i++) {
        e->param[i] = start[i][0] == '{' && start[i][len[i] - 1] == '}';
        if (e->param[i])
            e->seg[i] = jg_xstrndup(start[i] + 1, len[i] - 2);
        else
            e->seg[i] = jg_xstrndup(start[i], len[i]);
    }
    r->n++;
    return JG_OK;
}

int jg_router_count(const jg_router *r)
{
    return r->n;
}

const jg_route *jg_router_at(const jg_router *r, int i)
{
    return r->e[i].route;
}

static int path_matches(const struct entry *e, int n, const char **start, const size_t *len)
{
    if (e->nseg != n)
        return 0;
    for (int i = 0; i < n; i++) {
        if (e->param[i]) {
            if (len[i] == 0)
                return 0;
        } else if (strlen(e->seg[i]) != len[i] || memcmp(e->seg[i], start[i], len[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

jg_match jg_router_match(const jg_router *r, const char *method, const char *path, jg_arena *a, int *index,
                         jg_kv **params, int *nparams, const char **allow)
{
    const char *start[MAX_SEGMENTS];
    size_t len[MAX_SEGMENTS];
    int n = split(path, start, len, MAX_SEGMENTS);
    if (n < 0)
        return JG_MATCH_NOPATH;
    char allowed[128] = "";
    int path_seen = 0, best = -1, best_literals = -1;
    for (int i = 0; i < r->n; i++) {
        const struct entry *e = &r->e[i];
        if (!path_matches(e, n, start, len))
            continue;
        int same = strcmp(e->route->method, method) == 0 ||
                   (strcmp(method, "HEAD") == 0 && strcmp(e->route->method, "GET") == 0);
        if (!same) {
            size_t used = strlen(allowed);
            snprintf(allowed + used, sizeof(allowed) - used, "%s%s", path_seen ? ", " : "", e->route->method);
            path_seen = 1;
            continue;
        }
        /* The most literal pattern wins: /x/stats before /x/{id}, whatever the order of registration. */
        int literals = 0;
        for (int k = 0; k < n; k++)
            literals += !e->param[k];
        if (literals > best_literals) {
            best = i;
            best_literals = literals;
        }
    }
    if (best >= 0) {
        const struct entry *e = &r->e[best];
        int np = n - best_literals;
        jg_kv *kv = np ? jg_arena_alloc(a, sizeof(jg_kv) * (size_t)np) : NULL;
        for (int k = 0, j = 0; k < n; k++) {
            if (!e->param[k])
                continue;
            kv[j].key = e->seg[k];
            kv[j].value = jg_arena_strndup(a, start[k], len[k]);
            j++;
        }
        *index = best;
        *params = kv;
        *nparams = np;
        return JG_MATCH_OK;
    }
    if (path_seen) {
        *allow = jg_arena_strdup(a, allowed);
        return JG_MATCH_NOMETHOD;
    }
    return JG_MATCH_NOPATH;
}
