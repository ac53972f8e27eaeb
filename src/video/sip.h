/* SIP messages through libosip2's parser: parse with the checks the registrar relies on, build
 * responses and requests, serialise into bounded buffers. No transactions here (service.c). */
#ifndef JG_VIDEO_SIP_H
#define JG_VIDEO_SIP_H
#include "base/buf.h"
#include "base/rc.h"

#include <osipparser2/osip_parser.h>
#include <stddef.h>

#define JG_SIP_MAX_MESSAGE (64 * 1024) /* larger datagrams and TCP messages are dropped */

/* Initialise libosip2's parser tables; call once before any other function here. Cannot fail. */
void jg_sip_init(void);

/* Parse len bytes into *out (free with osip_message_free). JG_INVALID unless it is a request or a
 * response with Via, From (with a URI), To, Call-ID and CSeq (with a number and method), and,
 * for a request, a method and Request-URI. */
jg_rc jg_sip_parse(const char *buf, size_t len, osip_message_t **out);

/* Copy a header value without the surrounding double quotes (osip keeps them) into out, cut to
 * outlen - 1 bytes; "" for NULL. Cannot fail. */
void jg_sip_unquote(const char *in, char *out, size_t outlen);
/* The user part of the From URI ("" if none); owned by m. */
const char *jg_sip_from_user(const osip_message_t *m);
/* The CSeq number, or -1 if it is not a decimal in [0, 2^31). */
long jg_sip_cseq(const osip_message_t *m);
/* The requested registration lifetime: the Expires header, else the first Contact's expires
 * parameter, else fallback; -1 if present but not a number in [0, 2^31). */
long jg_sip_expires(const osip_message_t *m, long fallback);
/* The body (and its length) if there is one, else NULL. Owned by m. */
const char *jg_sip_body(const osip_message_t *m, size_t *len);
/* 1 if the Content-Type is Application/MANSCDP+xml (any case), else 0. */
int jg_sip_is_manscdp(const osip_message_t *m);

/* Build the response with code to req in *out: Via headers copied, the top one given
 * received=peer_ip and, when the device asked with a bare rport, rport=peer_port (RFC 3581);
 * From, Call-ID and CSeq copied; To copied with to_tag added when it has no tag. Add headers
 * with osip_message_set_header, then serialise. JG_INVALID if req lacks what jg_sip_parse checks. */
jg_rc jg_sip_response(const osip_message_t *req, int code, const char *peer_ip, int peer_port,
                      const char *to_tag, osip_message_t **out);

/* What a request the platform sends needs. Strings are copied. */
typedef struct {
    const char *method;      /* MESSAGE ... */
    const char *request_uri; /* sip:DEVICE@HOST:PORT */
    const char *from;        /* <sip:PLATFORM@REALM>;tag=... */
    const char *to;          /* <sip:DEVICE@REALM> */
    const char *call_id;
    long cseq;
    const char *via;          /* SIP/2.0/UDP HOST:PORT;rport;branch=z9hG4bK... */
    const char *content_type; /* NULL without a body */
    const char *body;
    size_t body_len;
} jg_sip_request_args;

/* Build a request in *out (free with osip_message_free). JG_INVALID if an argument does not parse. */
jg_rc jg_sip_request(const jg_sip_request_args *a, osip_message_t **out);

/* Append the wire form of m to out (Content-Length included). JG_TOOLARGE if out is full,
 * JG_INVALID if osip cannot serialise m. */
jg_rc jg_sip_serialize(osip_message_t *m, jg_buf *out);

/* Length of the first complete message in a TCP stream of n bytes at s (headers up to CRLFCRLF
 * plus Content-Length bytes), 0 if more bytes are needed, -1 if the stream is broken (no
 * Content-Length, a bad one, or a message past JG_SIP_MAX_MESSAGE). Leading CRLFs (keepalive
 * pings, RFC 5626) count as a message of their own length. */
long jg_sip_frame(const char *s, size_t n);

#endif
