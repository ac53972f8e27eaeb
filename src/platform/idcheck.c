/* GB 32100 and GB 11643 check characters, and masking for lists. */
#include "platform/idcheck.h"

#include "base/timeutil.h"

#include <stdio.h>
#include <string.h>

static const char credit_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

char jg_idcheck_credit_check(const char *s)
{
    /* Weight of position i is 3^i mod 31. */
    static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        const char *p = s[i] != '\0' ? strchr(credit_alphabet, s[i]) : NULL;
        if (p == NULL)
            return '\0';
        sum += (int)(p - credit_alphabet) * weights[i];
    }
    return credit_alphabet[(31 - sum % 31) % 31];
}

int jg_idcheck_credit_code(const char *code)
{
    if (strlen(code) != 18)
        return 0;
    char check = jg_idcheck_credit_check(code);
    return check != '\0' && code[17] == check;
}

char jg_idcheck_resident_check(const char *s)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    int sum = 0;
    for (int i = 0; i < 17; i++) {
        if (s[i] < '0' || s[i] > '9')
            return '\0';
        sum += (s[i] - '0') * weights[i];
    }
    return check[sum % 11];
}

int jg_idcheck_resident_id(const char *id)
{
    if (strlen(id) != 18)
        return 0;
    char check = jg_idcheck_resident_check(id);
    if (check == '\0')
        return 0;
    char date[11];
    snprintf(date, sizeof(date), "%.4s-%.2s-%.2s", id + 6, id + 10, id + 12);
    if (!jg_time_valid_date(date))
        return 0;
    return id[17] == check;
}

void jg_idcheck_mask(const char *s, char *out)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        out[i] = (n > 8 && (i < 4 || i >= n - 4)) ? s[i] : '*';
    out[n] = '\0';
}

int jg_idcheck_phone(const char *s)
{
    if (s == NULL || strlen(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9')
        return 0;
    for (int i = 2; i < 11; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

void jg_idcheck_mask_phone(const char *s, char out[12])
{
    snprintf(out, 12, "%.3s****%.4s", s, s + 7);
}
