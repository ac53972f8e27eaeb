/* Names of return codes, used in logs and as API error codes. */
#include "base/rc.h"

#include <stdarg.h>
#include <stdio.h>

const char *jg_rc_name(jg_rc rc)
{
    switch (rc) {
    case JG_OK:
        return "ok";
    case JG_ERR:
        return "internal";
    case JG_NOMEM:
        return "out_of_memory";
    case JG_INVALID:
        return "invalid";
    case JG_NOTFOUND:
        return "not_found";
    case JG_CONFLICT:
        return "conflict";
    case JG_DENIED:
        return "forbidden";
    case JG_UNAUTHORIZED:
        return "unauthorized";
    case JG_TOOLARGE:
        return "too_large";
    case JG_UNSUPPORTED:
        return "unsupported_media_type";
    case JG_BUSY:
        return "busy";
    case JG_UNAVAILABLE:
        return "unavailable";
    case JG_TIMEOUT:
        return "timeout";
    }
    return "internal";
}

jg_rc jg_rc_say(char *err, size_t errlen, jg_rc rc, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}
