/* CSV encoding for spreadsheet exports: quoting and the formula-injection guard. */
#include "base/csv.h"

#include <string.h>

/* A plain decimal number: optional sign, digits, optional fraction. */
static int plain_number(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    const char *digits = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == digits)
        return 0;
    if (*p == '.') {
        const char *frac = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == frac)
            return 0;
    }
    return *p == '\0';
}

int jg_csv_formula_like(const char *s)
{
    if (s == NULL || strchr("=+-@\t\r", s[0]) == NULL || s[0] == '\0')
        return 0;
    return !plain_number(s);
}

static int needs_quotes(const char *s)
{
    size_t n = strlen(s);
    return strpbrk(s, ",\"\r\n") != NULL || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
}

jg_rc jg_csv_cell(jg_buf *b, const char *s, int first)
{
    jg_rc rc = first ? JG_OK : jg_buf_append(b, ",", 1);
    if (rc != JG_OK || s == NULL || *s == '\0')
        return rc;
    int quote = needs_quotes(s);
    if (quote)
        rc = jg_buf_append(b, "\"", 1);
    if (rc == JG_OK && jg_csv_formula_like(s))
        rc = jg_buf_append(b, "'", 1);
    while (rc == JG_OK && *s != '\0') {
        size_t run = quote ? strcspn(s, "\"") : strlen(s);
        rc = jg_buf_append(b, s, run);
        s += run;
        if (rc == JG_OK && *s == '"') { /* a quote inside a quoted cell is doubled */
            rc = jg_buf_append(b, "\"\"", 2);
            s++;
        }
    }
    if (rc == JG_OK && quote)
        rc = jg_buf_append(b, "\"", 1);
    return rc;
}

jg_rc jg_csv_row_end(jg_buf *b)
{
    return jg_buf_append(b, "\r\n", 2);
}
