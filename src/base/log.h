/* Diagnostic log lines on stderr; never log secrets (passwords, keys, tokens, cookies). */
#ifndef JG_LOG_H
#define JG_LOG_H

typedef enum { JG_LOG_DEBUG, JG_LOG_INFO, JG_LOG_WARN, JG_LOG_ERROR } jg_log_level;

/* Set the lowest level written. Cannot fail. */
void jg_log_set_level(jg_log_level level);
/* Parse "debug|info|warn|error"; returns -1 if unknown. */
int jg_log_level_parse(const char *s);
/* Write one line "TIME LEVEL message" to stderr in a single write. Cannot fail. */
void jg_log(jg_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define jg_debug(...) jg_log(JG_LOG_DEBUG, __VA_ARGS__)
#define jg_info(...) jg_log(JG_LOG_INFO, __VA_ARGS__)
#define jg_warn(...) jg_log(JG_LOG_WARN, __VA_ARGS__)
#define jg_error(...) jg_log(JG_LOG_ERROR, __VA_ARGS__)

#endif
