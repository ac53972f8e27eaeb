/* GB/T 28181 IDs, realms and SSRCs (layouts in gbid.h). */
#include "video/gbid.h"

#include <stdio.h>
#include <string.h>

int jg_gbid_valid_n(const char *s, size_t n)
{
    if (s == NULL || n != JG_GBID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int jg_gbid_valid(const char *s)
{
    return s != NULL && jg_gbid_valid_n(s, strnlen(s, JG_GBID_LEN + 1));
}

int jg_gbid_type(const char *id)
{
    if (!jg_gbid_valid(id))
        return -1;
    return (id[10] - '0') * 100 + (id[11] - '0') * 10 + (id[12] - '0');
}

jg_rc jg_gbid_realm(const char *id, char out[JG_GB_REALM_LEN + 1])
{
    out[0] = '\0';
    if (!jg_gbid_valid(id))
        return JG_INVALID;
    memcpy(out, id, JG_GB_REALM_LEN);
    out[JG_GB_REALM_LEN] = '\0';
    return JG_OK;
}

jg_rc jg_ssrc_make(int history, const char *platform_id, int seq, char out[11])
{
    out[0] = '\0';
    if ((history != 0 && history != 1) || !jg_gbid_valid(platform_id) || seq < 0 || seq >= JG_SSRC_SEQ_MAX)
        return JG_INVALID;
    snprintf(out, 11, "%d%.5s%04d", history, platform_id + 3, seq);
    return JG_OK;
}

jg_rc jg_ssrc_parse(const char *text, uint32_t *value, int *history, int *seq)
{
    size_t n = text != NULL ? strnlen(text, 11) : 0;
    if (n == 0 || n > 10)
        return JG_INVALID;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return JG_INVALID;
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    if (v > UINT32_MAX)
        return JG_INVALID;
    *value = (uint32_t)v;
    *history = -1;
    *seq = -1;
    if (n == 10 && (text[0] == '0' || text[0] == '1')) {
        *history = text[0] - '0';
        *seq = (text[6] - '0') * 1000 + (text[7] - '0') * 100 + (text[8] - '0') * 10 + (text[9] - '0');
    }
    return JG_OK;
}

void jg_ssrc_pool_init(jg_ssrc_pool *p)
{
    memset(p, 0, sizeof(*p));
}

static int is_used(const jg_ssrc_pool *p, int h, int seq)
{
    return (p->used[h][seq / 8] >> (seq % 8)) & 1;
}

jg_rc jg_ssrc_pool_claim(jg_ssrc_pool *p, int history, int seq)
{
    if ((history != 0 && history != 1) || seq < 0 || seq >= JG_SSRC_SEQ_MAX)
        return JG_INVALID;
    if (is_used(p, history, seq))
        return JG_CONFLICT;
    p->used[history][seq / 8] |= (uint8_t)(1u << (seq % 8));
    p->count[history]++;
    return JG_OK;
}

jg_rc jg_ssrc_pool_take(jg_ssrc_pool *p, int history, int *seq)
{
    if (history != 0 && history != 1)
        return JG_INVALID;
    if (p->count[history] >= JG_SSRC_SEQ_MAX)
        return JG_CONFLICT;
    for (int i = 0; i < JG_SSRC_SEQ_MAX; i++) {
        int s = (p->next[history] + i) % JG_SSRC_SEQ_MAX;
        if (!is_used(p, history, s)) {
            p->used[history][s / 8] |= (uint8_t)(1u << (s % 8));
            p->count[history]++;
            p->next[history] = (s + 1) % JG_SSRC_SEQ_MAX;
            *seq = s;
            return JG_OK;
        }
    }
    return JG_CONFLICT;
}

void jg_ssrc_pool_release(jg_ssrc_pool *p, int history, int seq)
{
    if ((history != 0 && history != 1) || seq < 0 || seq >= JG_SSRC_SEQ_MAX || !is_used(p, history, seq))
        return;
    p->used[history][seq / 8] &= (uint8_t) ~(1u << (seq % 8));
    p->count[history]--;
}
