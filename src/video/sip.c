/* SIP over libosip2: checked parsing, responses with RFC 3581 received/rport, requests, framing. */
#include "video/sip.h"

#include "base/text.h"

#include <osipparser2/osip_port.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t parser_once = PTHREAD_ONCE_INIT;

/* libosip2 traces parse errors to stderr: outside input must not write our log for us. */
static void no_trace(const char *fi, int li, osip_trace_level_t level, const char *chfr, va_list ap)
{
    (void)fi;
    (void)li;
    (void)level;
    (void)chfr;
    (void)ap;
}

static void parser_setup(void)
{
    parser_init();
    osip_trace_initialize_func(END_TRACE_LEVEL, no_trace);
    for (int level = 0; level < END_TRACE_LEVEL; level++)
        osip_trace_disable_level((osip_trace_level_t)level);
}

void jg_sip_init(void)
{
    pthread_once(&parser_once, parser_setup);
}

jg_rc jg_sip_parse(const char *buf, size_t len, osip_message_t **out)
{
    *out = NULL;
    if (len == 0 || len > JG_SIP_MAX_MESSAGE)
        return JG_INVALID;
    jg_sip_init();
    osip_message_t *m = NULL;
    if (osip_message_init(&m) != 0)
        return JG_NOMEM;
    if (osip_message_parse(m, buf, len) != 0) {
        osip_message_free(m);
        return JG_INVALID;
    }
    osip_via_t *via = NULL;
    int ok = osip_message_get_via(m, 0, &via) >= 0 && via != NULL && via->host != NULL && m->from != NULL &&
             m->from->url != NULL && m->to != NULL && m->call_id != NULL && m->call_id->number != NULL &&
             m->cseq != NULL && m->cseq->number != NULL && m->cseq->method != NULL && m->sip_version != NULL;
    if (ok && MSG_IS_REQUEST(m))
        ok = m->sip_method != NULL && m->req_uri != NULL;
    if (ok && !MSG_IS_REQUEST(m))
        ok = m->status_code >= 100 && m->status_code < 700;
    if (!ok) {
        osip_message_free(m);
        return JG_INVALID;
    }
    *out = m;
    return JG_OK;
}

void jg_sip_unquote(const char *in, char *out, size_t outlen)
{
    out[0] = '\0';
    if (in == NULL || outlen == 0)
        return;
    size_t n = strlen(in);
    if (n >= 2 && in[0] == '"' && in[n - 1] == '"') {
        in++;
        n -= 2;
    }
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, in, n);
    out[n] = '\0';
}

const char *jg_sip_from_user(const osip_message_t *m)
{
    if (m->from == NULL || m->from->url == NULL || m->from->url->username == NULL)
        return "";
    return m->from->url->username;
}

long jg_sip_cseq(const osip_message_t *m)
{
    int64_t v;
    if (m->cseq == NULL || jg_parse_int64(m->cseq->number, 0, 2147483647, &v) != JG_OK)
        return -1;
    return (long)v;
}

long jg_sip_expires(const osip_message_t *m, long fallback)
{
    osip_header_t *h = NULL;
    const char *text = NULL;
    if (osip_message_get_expires(m, 0, &h) >= 0 && h != NULL && h->hvalue != NULL) {
        text = h->hvalue;
    } else {
        osip_contact_t *c = NULL;
        osip_generic_param_t *p = NULL;
        if (osip_message_get_contact(m, 0, &c) >= 0 && c != NULL &&
            osip_contact_param_get_byname(c, "expires", &p) >= 0 && p != NULL)
            text = p->gvalue;
    }
    if (text == NULL)
        return fallback;
    char t[16];
    jg_sip_unquote(text, t, sizeof(t));
    int64_t v;
    if (jg_parse_int64(t, 0, 2147483647, &v) != JG_OK)
        return -1;
    return (long)v;
}

const char *jg_sip_body(const osip_message_t *m, size_t *len)
{
    osip_body_t *b = NULL;
    if (osip_message_get_body(m, 0, &b) < 0 || b == NULL || b->body == NULL || b->length == 0) {
        *len = 0;
        return NULL;
    }
    *len = b->length;
    return b->body;
}

int jg_sip_is_manscdp(const osip_message_t *m)
{
    const osip_content_type_t *ct = m->content_type;
    return ct != NULL && ct->type != NULL && ct->subtype != NULL &&
           strcasecmp(ct->type, "application") == 0 && strcasecmp(ct->subtype, "MANSCDP+xml") == 0;
}

jg_rc jg_sip_response(const osip_message_t *req, int code, const char *peer_ip, int peer_port,
                      const char *to_tag, osip_message_t **out)
{
    *out = NULL;
    if (req->from == NULL || req->to == NULL || req->call_id == NULL || req->cseq == NULL)
        return JG_INVALID;
    osip_message_t *r = NULL;
    if (osip_message_init(&r) != 0)
        return JG_NOMEM;
    osip_message_set_version(r, osip_strdup("SIP/2.0"));
    osip_message_set_status_code(r, code);
    const char *reason = osip_message_get_reason(code);
    osip_message_set_reason_phrase(r, osip_strdup(reason != NULL ? reason : "Unknown"));
    int bad = 0;
    for (int i = 0; !bad; i++) {
        osip_via_t *v = NULL, *copy = NULL;
        if (osip_message_get_via(req, i, &v) < 0 || v == NULL)
            break;
        bad = osip_via_clone(v, &copy) != 0;
        if (bad)
            break;
        if (i == 0) {
            osip_generic_param_t *p = NULL;
            if (osip_via_param_get_byname(copy, "received", &p) >= 0 && p != NULL) {
                osip_free(p->gvalue);
                p->gvalue = osip_strdup(peer_ip);
            } else {
                osip_via_set_received(copy, osip_strdup(peer_ip));
            }
            p = NULL;
            if (osip_via_param_get_byname(copy, "rport", &p) >= 0 && p != NULL && p->gvalue == NULL) {
                char port[16];
                snprintf(port, sizeof(port), "%d", peer_port);
                p->gvalue = osip_strdup(port);
            }
        }
        osip_list_add(&r->vias, copy, -1);
    }
    bad = bad || osip_from_clone(req->from, &r->from) != 0 || osip_to_clone(req->to, &r->to) != 0 ||
          osip_call_id_clone(req->call_id, &r->call_id) != 0 || osip_cseq_clone(req->cseq, &r->cseq) != 0;
    if (!bad && to_tag != NULL) {
        osip_generic_param_t *tag = NULL;
        if (osip_to_get_tag(r->to, &tag) < 0 || tag == NULL)
            osip_to_set_tag(r->to, osip_strdup(to_tag));
    }
    if (!bad)
        bad = osip_message_set_header(r, "User-Agent", "jianguan") != 0;
    if (bad) {
        osip_message_free(r);
        return JG_INVALID;
    }
    *out = r;
    return JG_OK;
}

jg_rc jg_sip_request(const jg_sip_request_args *a, osip_message_t **out)
{
    *out = NULL;
    osip_message_t *r = NULL;
    if (osip_message_init(&r) != 0)
        return JG_NOMEM;
    osip_message_set_version(r, osip_strdup("SIP/2.0"));
    osip_message_set_method(r, osip_strdup(a->method));
    osip_uri_t *uri = NULL;
    int bad = osip_uri_init(&uri) != 0;
    if (!bad && osip_uri_parse(uri, a->request_uri) != 0) {
        osip_uri_free(uri);
        bad = 1;
    }
    if (!bad)
        osip_message_set_uri(r, uri);
    char cseq[64];
    snprintf(cseq, sizeof(cseq), "%ld %s", a->cseq, a->method);
    bad = bad || osip_message_set_via(r, a->via) != 0 || osip_message_set_from(r, a->from) != 0 ||
          osip_message_set_to(r, a->to) != 0 || osip_message_set_call_id(r, a->call_id) != 0 ||
          osip_message_set_cseq(r, cseq) != 0 || osip_message_set_max_forwards(r, "70") != 0 ||
          osip_message_set_header(r, "User-Agent", "jianguan") != 0;
    if (!bad && a->content_type != NULL) {
        bad = osip_message_set_content_type(r, a->content_type) != 0 ||
              osip_message_set_body(r, a->body, a->body_len) != 0;
    }
    if (bad) {
        osip_message_free(r);
        return JG_INVALID;
    }
    *out = r;
    return JG_OK;
}

jg_rc jg_sip_serialize(osip_message_t *m, jg_buf *out)
{
    char *s = NULL;
    size_t n = 0;
    if (osip_message_to_str(m, &s, &n) != 0 || s == NULL)
        return JG_INVALID;
    jg_rc rc = jg_buf_append(out, s, n);
    osip_free(s);
    return rc;
}

/* Case-insensitive search for a header line "name:" in the header block h[0..n). Returns the
 * offset of its value, or -1. */
static long header_value(const char *h, size_t n, const char *name)
{
    size_t k = strlen(name);
    for (size_t i = 0; i + k < n; i++) {
        if ((i == 0 || h[i - 1] == '\n') && strncasecmp(h + i, name, k) == 0) {
            size_t j = i + k;
            while (j < n && (h[j] == ' ' || h[j] == '\t'))
                j++;
            if (j < n && h[j] == ':')
                return (long)(j + 1);
        }
    }
    return -1;
}

long jg_sip_frame(const char *s, size_t n)
{
    size_t crlf = 0;
    while (crlf < n && (s[crlf] == '\r' || s[crlf] == '\n'))
        crlf++;
    if (crlf > 0)
        return (long)crlf;
    const char *end = NULL;
    for (size_t i = 0; i + 3 < n; i++) {
        if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n') {
            end = s + i + 4;
            break;
        }
    }
    if (end == NULL)
        return n > JG_SIP_MAX_MESSAGE ? -1 : 0;
    size_t head = (size_t)(end - s);
    long v = header_value(s, head, "Content-Length");
    if (v < 0)
        v = header_value(s, head, "l");
    if (v < 0)
        return -1; /* TCP needs Content-Length (RFC 3261 18.3) */
    size_t i = (size_t)v;
    while (i < head && (s[i] == ' ' || s[i] == '\t'))
        i++;
    long body = 0;
    int digits = 0;
    while (i < head && s[i] >= '0' && s[i] <= '9' && digits < 7) {
        body = body * 10 + (s[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0 || (i < head && s[i] >= '0' && s[i] <= '9'))
        return -1;
    size_t total = head + (size_t)body;
    if (total > JG_SIP_MAX_MESSAGE)
        return -1;
    return total <= n ? (long)total : 0;
}
