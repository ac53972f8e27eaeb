/* The rule engine: Lua 5.4 chunks run in a sandbox with an instruction budget, a memory cap and a
 * wall-clock bound (docs/rules.md).
 *
 * A rule is a text chunk. It sees, as globals:
 *   facts      the record or sample data (read-only view, nested tables too)
 *   params     the rule version's parameters (read-only view)
 *   now()      the evaluation time the caller gave (ISO-8601 text), or nil
 *   explain(what, value, text)   add one line to the explanation (a fact or clause, its value, why)
 * plus the safe parts of base, string, table, math and utf8. It returns one value (number, string,
 * boolean, nil or a table of them), which becomes JSON.
 *
 * Failures end the evaluation with a code (rule_compile, rule_budget, rule_timeout, rule_memory,
 * rule_stack, rule_error, rule_result) and a Chinese message; the worker's Lua state is replaced
 * after any abort, so one hostile rule cannot poison the next. */
#ifndef JG_RULE_H
#define JG_RULE_H
#include "base/config.h"
#include "base/rc.h"
#include "db/db.h"

#include <jansson.h>
#include <stddef.h>

typedef struct {
    long budget;   /* VM instructions one evaluation may run */
    size_t memory; /* Lua heap bytes one evaluation may add */
    long time_ms;  /* wall-clock milliseconds one evaluation may take */
} jg_rule_limits;

typedef struct {
    json_t *value;    /* what the rule returned (JSON null for nil); owned, free with jg_rule_result_clear */
    json_t *explain;  /* array of {"what","value","text"}; owned */
    const char *code; /* NULL on success, else the error code (static) */
    const char *message; /* Chinese message for the code (static), NULL on success */
    char detail[256];    /* the Lua error text for the rule's author ("" when none) */
    long instructions;   /* VM instructions the run took (to the budget's granularity) */
    double micros;       /* wall-clock time of the run */
    char *text;          /* jg_rule_eval_c with text: {"value":...,"explain":[...]} as JSON text; owned */
} jg_rule_result;

typedef struct jg_rule_vm jg_rule_vm;

/* A new sandbox (one Lua state and its compiled-rule cache), for one thread at a time. NULL when
 * the state cannot be made (out of memory). Free with jg_rule_vm_free (NULL is a no-op). */
jg_rule_vm *jg_rule_vm_new(void);
void jg_rule_vm_free(jg_rule_vm *vm);
/* The calling thread's sandbox, made on first use and freed when the thread ends. NULL only when
 * it cannot be made. */
jg_rule_vm *jg_rule_vm_thread(void);

/* Compile code (len bytes, text only: binary chunks are refused) without running it. JG_OK, or
 * JG_INVALID with out->code "rule_compile" (or "rule_memory") and the detail. out needs no
 * clearing after a failure; JG_NOMEM when the state is gone. */
jg_rc jg_rule_check(jg_rule_vm *vm, const jg_rule_limits *lim, const char *code, size_t len,
                    jg_rule_result *out);

/* Evaluate code over facts and params (borrowed JSON, either may be NULL: an empty table) at now
 * (may be NULL). key (may be NULL: no caching) names the code AND the params for the per-vm cache
 * of compiled chunks and their params views, e.g. the SM3 of both in hex: the same key must always
 * mean the same code with the same params (pass NULL for one-off params). JG_OK with out->value
 * and out->explain; JG_INVALID when the rule failed (out->code says why); JG_NOMEM when no state
 * could be made. Clear out with jg_rule_result_clear in every case. */
jg_rc jg_rule_eval(jg_rule_vm *vm, const jg_rule_limits *lim, const char *key, const char *code, size_t len,
                   json_t *facts, json_t *params, const char *now, jg_rule_result *out);
/* Facts given as C values, pushed straight into the sandbox by jg_rule_eval_c (no JSON tree in
 * between, for loops over many subjects): named scalars, and one table of named columns of equal
 * length (facts[table][name][i]). The rule sees the same read-only views as of the equivalent JSON:
 * text as strings, NULL text as nil (JSON null), numbers as floats. */
typedef struct {
    const char *name;
    const char *text; /* the value, or NULL for the number num */
    double num;
} jg_rule_scalar;
typedef struct {
    const char *name;
    const char *const *text; /* rows values (NULL entries: nil), or NULL for the numbers num */
    const double *num;
} jg_rule_column;
typedef struct {
    const jg_rule_scalar *scalars;
    int nscalars;
    const char *table; /* NULL: no columns */
    const jg_rule_column *cols;
    int ncols, rows;
} jg_rule_cfacts;

/* As jg_rule_eval over facts given as C values (borrowed). With text nonzero, the result also
 * comes as out->text, the JSON text {"value":...,"explain":[...]} written straight from the rule's
 * tables (object keys unsorted, reals to 12 digits), and out->explain stays NULL; out->value is
 * there as always. Same limits, errors and clearing as jg_rule_eval. */
jg_rc jg_rule_eval_c(jg_rule_vm *vm, const jg_rule_limits *lim, const char *key, const char *code, size_t len,
                     const jg_rule_cfacts *facts, int text, json_t *params, const char *now,
                     jg_rule_result *out);
/* Free what a result holds (not the struct). Cannot fail. */
void jg_rule_result_clear(jg_rule_result *out);

/* Compiled chunks held in vm's cache now. Cannot fail. */
int jg_rule_vm_cached(const jg_rule_vm *vm);

/* The shipped rules (shipped.c): code, name, kind, params JSON and the embedded file of the source
 * ("rules/score_clause_default.lua" for defs/rules/score_clause_default.lua), NULL-terminated by
 * code. */
typedef struct {
    const char *code, *name, *kind, *params, *file;
} jg_rule_shipped;
extern const jg_rule_shipped jg_rules_shipped[];
/* The source of shipped rule s, as embedded from defs/, or NULL when the file is not embedded. */
const char *jg_rule_shipped_source(const jg_rule_shipped *s);
/* Insert each shipped rule that the database does not hold yet (running, version 1 published), in
 * one transaction; rules already there are left as their administrators made them. Fails as
 * jg_db_tx. */
jg_rc jg_rule_sync_shipped(jg_db *db);

/* Evaluate the version in force of the running rule named code (score.clause_default) over facts
 * (borrowed, may be NULL) at now (may be NULL), reading on c (or a read connection of db when c is
 * NULL), with cfg's limits, on the calling thread's sandbox (cached by code and params). JG_OK with
 * out filled and *version (may be NULL) the version used; JG_NOTFOUND when no rule of that code is
 * running; JG_INVALID when the rule failed (out->code says why); database errors as jg_db_query.
 * Clear out with jg_rule_result_clear in every case. */
jg_rc jg_rule_run(jg_db *db, jg_conn *c, const jg_config *cfg, const char *code, json_t *facts,
                  const char *now, jg_rule_result *out, int64_t *version);

/* The version in force of a running rule, read once and evaluated many times (a loop over many
 * subjects) without a query per evaluation. */
typedef struct {
    char *src;       /* the code */
    json_t *params;  /* the version's params */
    char key[112];   /* the sandbox cache key (code SM3 / params SM3), as jg_rule_run's */
    int64_t version; /* the version number */
    jg_rule_limits lim;
} jg_rule_loaded;

/* Read on c the version in force of the running rule named code into out, with cfg's limits.
 * JG_OK; JG_NOTFOUND when no rule of that code is running (out is empty then); JG_NOMEM; database
 * errors as jg_db_query. Free with jg_rule_loaded_free in every case. */
jg_rc jg_rule_load(jg_conn *c, const jg_config *cfg, const char *code, jg_rule_loaded *out);
/* Evaluate r over facts (borrowed, may be NULL) at now on the calling thread's sandbox, as
 * jg_rule_eval. */
jg_rc jg_rule_loaded_eval(const jg_rule_loaded *r, json_t *facts, const char *now, jg_rule_result *out);
/* Free what r holds (not the struct). Cannot fail. */
void jg_rule_loaded_free(jg_rule_loaded *r);

/* `jianguan rules bench --rule F --facts F [--params F] [--n N]` (bench.c): argv after the verb.
 * Returns the process exit status (2 for a bad command line). */
int jg_rule_cli(int argc, char **argv);

#endif
