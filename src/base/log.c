/* Line-at-a-time diagnostic logging to stderr. */
#include "base/log.h"

#include "base/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static jg_log_level min_level = JG_LOG_INFO;
static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void jg_log_set_level(jg_log_level level)
{
    min_level = level;
}

int jg_log_level_parse(const char *s)
{
    static const char *const lower[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, lower[i]) == 0)
            return i;
    return -1;
}

void jg_log(jg_log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[2048];
    char ts[32];
    jg_time_iso_now(ts, sizeof(ts));
    int n = snprintf(line, sizeof(line), "%s %s ", ts, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
