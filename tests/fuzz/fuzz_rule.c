/* libFuzzer driver for the rule sandbox (src/engine/rule/sandbox.c): arbitrary rule code and facts.
 * The input is the code, then optionally a NUL byte and the facts as JSON. Small limits keep each
 * run short. Besides the sanitizers, each answer is checked:
 *   ok        a value and an explanation array, no error code;
 *   failed    a known error code with a Chinese message and a UTF-8 detail;
 * and the same vm then still evaluates `return 1` (a hostile input never poisons the next). */
#include "base/text.h"
#include "engine/rule/rule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const CODES[] = {"rule_compile", "rule_budget", "rule_timeout", "rule_memory",
                                    "rule_stack",   "rule_error",  "rule_result",  NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static jg_rule_vm *vm;
    if (vm == NULL)
        vm = jg_rule_vm_new();
    if (vm == NULL)
        abort();
    const uint8_t *nul = memchr(data, 0, size);
    size_t clen = nul != NULL ? (size_t)(nul - data) : size;
    json_t *facts = nul != NULL ? json_loadb((const char *)nul + 1, size - clen - 1, 0, NULL) : NULL;
    jg_rule_limits lim = {20000, 1u << 20, 200};
    jg_rule_result r;
    jg_rc rc =
        jg_rule_eval(vm, &lim, NULL, (const char *)data, clen, facts, NULL, "2026-01-01T00:00:00Z", &r);
    if (rc == JG_OK) {
        if (r.value == NULL || !json_is_array(r.explain) || r.code != NULL)
            abort();
    } else {
        if (rc != JG_INVALID || r.code == NULL || r.message == NULL)
            abort();
        int known = 0;
        for (const char *const *c = CODES; *c != NULL; c++)
            known |= strcmp(*c, r.code) == 0;
        if (!known || !jg_utf8_valid(r.detail, strlen(r.detail)))
            abort();
    }
    jg_rule_result_clear(&r);
    json_decref(facts);
    rc = jg_rule_eval(vm, &lim, NULL, "return 1", 8, NULL, NULL, NULL, &r);
    if (rc != JG_OK || json_integer_value(r.value) != 1)
        abort();
    jg_rule_result_clear(&r);
    return 0;
}
