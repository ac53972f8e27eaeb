/* One return type for failure across the whole code base (see STYLE.md). */
#ifndef JG_RC_H
#define JG_RC_H
#include <stddef.h>

typedef enum {
    JG_OK = 0,
    JG_ERR,          /* internal error; details were logged */
    JG_NOMEM,        /* allocation failed (only where allocation is allowed to fail) */
    JG_INVALID,      /* input failed validation */
    JG_NOTFOUND,     /* no such record, or outside the caller's data scope */
    JG_CONFLICT,     /* version or uniqueness conflict */
    JG_DENIED,       /* authenticated but not allowed */
    JG_UNAUTHORIZED, /* not authenticated */
    JG_TOOLARGE,     /* a size limit was exceeded */
    JG_UNSUPPORTED,  /* unsupported media type or feature */
    JG_BUSY,         /* transient lock / serialization failure: retry */
    JG_UNAVAILABLE,  /* a dependency (the database) is down */
    JG_TIMEOUT,      /* a time limit was exceeded */
} jg_rc;

/* Returns a static lower-case name for rc ("ok", "not_found", ...). Cannot fail. */
const char *jg_rc_name(jg_rc rc);
/* Write the message to err (errlen bytes, may be 0) and return rc: `return jg_rc_say(err, len,
 * JG_INVALID, "fields[%d]: ...", i);`. Cannot fail. */
jg_rc jg_rc_say(char *err, size_t errlen, jg_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
