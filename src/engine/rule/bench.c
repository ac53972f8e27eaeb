/* `jianguan rules bench`: the rule engine's benchmark driver (bench/rules.sh). Evaluates one rule
 * over a list of facts, cycling, N times on one sandbox with the compiled chunk cached, and prints
 * evaluations per second as JSON. No database, no configuration file. */
#include "base/text.h"
#include "crypto/crypto.h"
#include "engine/rule/rule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *b = malloc(cap);
    size_t got;
    while (b != NULL && (got = fread(b + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *nb = cap < (256u << 20) ? realloc(b, cap * 2) : NULL;
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b != NULL) {
        b[len] = '\0';
        *n = len;
    }
    return b;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: jianguan rules bench --rule FILE.lua --facts FILE.json [--params FILE.json] [--n N]\n"
            "  facts: a JSON array of fact objects, used in turn\n");
    return 2;
}

static int bench(int argc, char **argv)
{
    const char *rule = NULL, *facts_path = NULL, *params_path = NULL;
    int64_t n = 100000;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--rule") == 0)
            rule = argv[++i];
        else if (strcmp(argv[i], "--facts") == 0)
            facts_path = argv[++i];
        else if (strcmp(argv[i], "--params") == 0)
            params_path = argv[++i];
        else if (strcmp(argv[i], "--n") == 0) {
            if (jg_parse_int64(argv[++i], 1, 1000000000, &n) != JG_OK)
                return usage();
        } else
            return usage();
    }
    if (rule == NULL || facts_path == NULL)
        return usage();
    size_t len;
    char *code = read_file(rule, &len);
    if (code == NULL) {
        fprintf(stderr, "jianguan: cannot read %s\n", rule);
        return 1;
    }
    json_error_t je;
    json_t *facts = json_load_file(facts_path, 0, &je), *params = NULL;
    if (params_path != NULL)
        params = json_load_file(params_path, 0, &je);
    if (!json_is_array(facts) || json_array_size(facts) == 0 ||
        (params_path != NULL && !json_is_object(params))) {
        fprintf(stderr, "jianguan: facts must be a non-empty JSON array, params an object (%s)\n", je.text);
        free(code);
        json_decref(facts);
        json_decref(params);
        return 1;
    }
    /* the cache key names the code and the params */
    unsigned char d[JG_SM3_LEN];
    char key[4 * JG_SM3_LEN + 2],
        *pt = params != NULL ? json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    jg_sm3(code, len, d);
    jg_crypto_hex_encode(d, JG_SM3_LEN, key);
    key[2 * JG_SM3_LEN] = '/';
    jg_sm3(pt != NULL ? pt : "", pt != NULL ? strlen(pt) : 0, d);
    jg_crypto_hex_encode(d, JG_SM3_LEN / 2, key + 2 * JG_SM3_LEN + 1);
    free(pt);
    jg_rule_vm *vm = jg_rule_vm_new();
    jg_rule_limits lim = {1000000, 8u << 20, 1000};
    size_t nf = json_array_size(facts);
    double checksum = 0;
    int status = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int64_t i = 0; vm != NULL && i < n; i++) {
        jg_rule_result r;
        jg_rc rc =
            jg_rule_eval(vm, &lim, key, code, len, json_array_get(facts, (size_t)i % nf), params, NULL, &r);
        if (rc != JG_OK) {
            fprintf(stderr, "jianguan: rule failed: %s %s\n", r.code != NULL ? r.code : jg_rc_name(rc),
                    r.detail);
            jg_rule_result_clear(&r);
            status = 1;
            break;
        }
        checksum += json_number_value(r.value);
        jg_rule_result_clear(&r);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (status == 0 && vm != NULL)
        printf(
            "{\"evaluations\":%lld,\"seconds\":%.6f,\"per_second\":%.0f,\"micros\":%.3f,\"checksum\":%.4f}\n",
            (long long)n, s, (double)n / s, s * 1e6 / (double)n, checksum);
    jg_rule_vm_free(vm);
    free(code);
    json_decref(facts);
    json_decref(params);
    return vm == NULL ? 1 : status;
}

int jg_rule_cli(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "bench") == 0)
        return bench(argc - 1, argv + 1);
    return usage();
}
