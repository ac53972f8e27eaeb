/* Conditions of the workflow engine: the expressions on sequence flows that gateways choose by.
 *
 *   action == "approve"
 *   record.cost >= 1000000 && record.project_kind in ["building", "road"]
 *   !(record.is_key_project) || vars.returns > 2
 *
 * Operands: numbers (123, 12.5), strings in double quotes (\" and \\ escaped), true, false, null,
 * lists [a, b] (only after `in`), and paths (letters, digits, _ and dots) looked up in a JSON
 * object — the engine passes {"action", "record", "vars", ...}; a missing path is null.
 * Operators by precedence, lowest first: ||, &&, !, then == != < <= > >= in, then parentheses.
 * Comparison: numbers with numbers (a string that is a decimal, as money is in the API, counts as
 * one), strings with strings by bytes, == and != on anything (null equals only null); any other
 * pair is false. A value is true when it is true, a non-zero number or a non-empty string.
 *
 * Conditions are data written by administrators in the process designer: they are parsed once at
 * deployment with explicit limits and evaluated without allocation. The Lua rules of the rule
 * engine will sit beside them for what this cannot say. */
#ifndef JG_FLOW_EXPR_H
#define JG_FLOW_EXPR_H
#include "base/arena.h"
#include "base/rc.h"

#include <jansson.h>
#include <stddef.h>

#define JG_EXPR_MAX_BYTES 2000
#define JG_EXPR_MAX_NODES 256
#define JG_EXPR_MAX_DEPTH 32

typedef struct jg_expr jg_expr;

/* Parse the n bytes of text into *out (allocated in a). On JG_INVALID a Chinese message naming
 * the position goes to err ("第 12 个字符处：缺少右括号"). */
jg_rc jg_expr_parse(const char *text, size_t n, jg_arena *a, jg_expr **out, char *err, size_t errlen);
/* 1 when e is true over ctx (a JSON object), else 0. */
int jg_expr_true(const jg_expr *e, const json_t *ctx);

#endif
