/* One return type for failure across the whole code base (see STYLE.md). */
#ifndef JG_RC_H
#define JG_RC_H

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

#endif
