/* libFuzzer driver for the parameters of the tally API (src/engine/entity/tally_def.c): the input is
 * "by\nmonth" (without a newline: by alone), parsed against a fixed entity with a tally; the whole
 * input is also tried as a filter for jg_tally_filter_served when it is JSON.
 *
 * Besides the sanitizers, each answer is checked:
 *   accepted  1..JG_TALLY_MAX_BY distinct dimensions, each "state", "month" or a field of the entity
 *             that is enum, region or boolean, a level only on a region field; from and to empty or
 *             "YYYY-MM" with a month 01..12, from <= to;
 *   refused   param "by" or "month" and a non-empty UTF-8 message. */
#include "base/text.h"
#include "engine/entity/tally.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DEF[] =
    "{\"name\": \"project\", \"label\": \"项目\", \"scope\": {\"org\": \"region\"}, \"fields\": ["
    "{\"name\": \"region\", \"label\": \"地区\", \"type\": \"region\"},"
    "{\"name\": \"kind\", \"label\": \"类别\", \"type\": \"enum\", \"dict\": \"project_kind\"},"
    "{\"name\": \"is_key\", \"label\": \"重点\", \"type\": \"boolean\"},"
    "{\"name\": \"started_on\", \"label\": \"开工日期\", \"type\": \"date\"},"
    "{\"name\": \"name\", \"label\": \"名称\", \"type\": \"string\"}],"
    " \"tally\": {\"by\": [\"state\", \"kind\"], \"month\": \"started_on\"}}";

static jg_entity entity;
static jg_tally_spec spec;

static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    json_error_t jerr;
    json_t *doc = json_loads(DEF, 0, &jerr);
    char err[256];
    if (doc == NULL || jg_entity_load(doc, &entity, err, sizeof(err)) != JG_OK ||
        jg_tally_spec_of(&entity, &spec) != JG_OK)
        abort();
    json_decref(doc);
}

static int month_ok(const char *m)
{
    if (m[0] == '\0')
        return 1;
    if (strlen(m) != 7 || m[4] != '-')
        return 0;
    int mm = (m[5] - '0') * 10 + (m[6] - '0');
    return mm >= 1 && mm <= 12;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size > 4096)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *month = strchr(text, '\n');
    if (month != NULL)
        *month++ = '\0';
    jg_tally_query q;
    const char *param = NULL;
    char msg[256] = "";
    jg_rc rc = jg_tally_parse(&entity, &spec, text, month, &q, &param, msg, sizeof(msg));
    if (rc == JG_OK) {
        if (q.nby < 1 || q.nby > JG_TALLY_MAX_BY || !month_ok(q.from) || !month_ok(q.to))
            abort();
        if (q.from[0] != '\0' && q.to[0] != '\0' && strcmp(q.from, q.to) > 0)
            abort();
        for (int i = 0; i < q.nby; i++) {
            const jg_tally_dim *d = &q.by[i];
            int special = strcmp(d->name, "state") == 0 || strcmp(d->name, "month") == 0;
            if (special != (d->field == NULL))
                abort();
            if (d->field != NULL && d->field->type != JG_FIELD_ENUM && d->field->type != JG_FIELD_REGION &&
                d->field->type != JG_FIELD_BOOLEAN)
                abort();
            if (d->level != JG_TALLY_AS_IS && (d->field == NULL || d->field->type != JG_FIELD_REGION))
                abort();
            for (int j = 0; j < i; j++)
                if (strcmp(q.by[j].name, d->name) == 0)
                    abort();
        }
    } else {
        if (rc != JG_INVALID || param == NULL || (strcmp(param, "by") != 0 && strcmp(param, "month") != 0) ||
            msg[0] == '\0' || !jg_utf8_valid(msg, strlen(msg)))
            abort();
    }
    json_error_t jerr;
    json_t *filter = json_loadb((const char *)data, size, JSON_DECODE_ANY, &jerr);
    if (filter != NULL) {
        (void)jg_tally_filter_served(&spec, filter);
        json_decref(filter);
    }
    free(text);
    return 0;
}
