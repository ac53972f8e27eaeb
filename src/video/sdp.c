/* SDP for GB/T 28181 live view: the offer devices expect and a tolerant parser of their answer. */
#include "base/text.h"
#include "video/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t jg_sdp_offer_build(const jg_sdp_offer *o, char *out, size_t outlen)
{
    int n = snprintf(out, outlen,
                     "v=0\r\n"
                     "o=%s 0 0 IN IP4 %s\r\n"
                     "s=%s\r\n"
                     "c=IN IP4 %s\r\n"
                     "t=0 0\r\n"
                     "m=video %d %s 96 98 99\r\n"
                     "a=recvonly\r\n"
                     "a=rtpmap:96 PS/90000\r\n"
                     "a=rtpmap:98 H264/90000\r\n"
                     "a=rtpmap:99 H265/90000\r\n"
                     "%s"
                     "y=%s\r\n",
                     o->origin_id, o->ip, o->session, o->ip, o->port, o->tcp ? "TCP/RTP/AVP" : "RTP/AVP",
                     o->tcp ? "a=setup:passive\r\na=connection:new\r\n" : "", o->ssrc);
    if (n < 0 || (size_t)n >= outlen)
        return 0;
    return (size_t)n;
}

/* Copy the n bytes at s into out (cut to outlen - 1). */
static void copy_n(char *out, size_t outlen, const char *s, size_t n)
{
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* The connection address of a c= value "IN IP4 addr". */
static void parse_c(const char *v, size_t n, char *ip, size_t iplen)
{
    char line[128];
    copy_n(line, sizeof(line), v, n);
    char net[8], type[8], addr[64];
    if (sscanf(line, "%7s %7s %63s", net, type, addr) == 3 && strcmp(net, "IN") == 0) {
        char *slash = strchr(addr, '/'); /* multicast TTL */
        if (slash != NULL)
            *slash = '\0';
        snprintf(ip, iplen, "%s", addr);
    }
}

jg_rc jg_sdp_parse(const char *s, size_t n, jg_sdp_answer *out)
{
    memset(out, 0, sizeof(*out));
    out->ps_pt = 96;
    int have_v = 0, in_video = 0, videos = 0, ps_named = 0;
    char session_ip[64] = "", media_ip[64] = "";
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && s[e] != '\n')
            e++;
        size_t end = e;
        if (end > i && s[end - 1] == '\r')
            end--;
        const char *line = s + i;
        size_t len = end - i;
        i = e + 1;
        if (len < 2 || line[1] != '=')
            continue;
        const char *v = line + 2;
        size_t vn = len - 2;
        char t[256];
        copy_n(t, sizeof(t), v, vn);
        switch (line[0]) {
        case 'v':
            have_v = strcmp(t, "0") == 0;
            break;
        case 's':
            copy_n(out->session, sizeof(out->session), t, strlen(t));
            break;
        case 'c':
            parse_c(v, vn, in_video ? media_ip : session_ip, sizeof(session_ip));
            break;
        case 'm': {
            in_video = 0;
            char media[16], proto[32];
            long port = 0;
            if (sscanf(t, "%15s %ld %31s", media, &port, proto) != 3)
                break;
            if (strcmp(media, "video") != 0 || videos > 0)
                break;
            if (port < 1 || port > 65535)
                return JG_INVALID;
            if (strcasecmp(proto, "RTP/AVP") == 0)
                out->tcp = 0;
            else if (strcasecmp(proto, "TCP/RTP/AVP") == 0)
                out->tcp = 1;
            else
                return JG_INVALID;
            out->port = (int)port;
            in_video = 1;
            videos++;
            break;
        }
        case 'a':
            if (!in_video)
                break;
            if (strncmp(t, "setup:", 6) == 0) {
                if (strcmp(t + 6, "active") == 0)
                    out->setup = JG_SDP_SETUP_ACTIVE;
                else if (strcmp(t + 6, "passive") == 0)
                    out->setup = JG_SDP_SETUP_PASSIVE;
            } else if (strncmp(t, "rtpmap:", 7) == 0 && !ps_named) {
                char *sp = NULL;
                long pt = strtol(t + 7, &sp, 10);
                if (sp != NULL && *sp == ' ' && pt >= 0 && pt < 128 && strncasecmp(sp + 1, "PS/", 3) == 0) {
                    out->ps_pt = (int)pt;
                    ps_named = 1;
                }
            }
            break;
        case 'y': {
            size_t k = 0;
            while (k < vn && k < 10 && v[k] >= '0' && v[k] <= '9')
                k++;
            copy_n(out->ssrc, sizeof(out->ssrc), v, k);
            break;
        }
        default:
            break;
        }
    }
    if (!have_v || videos == 0)
        return JG_INVALID;
    snprintf(out->ip, sizeof(out->ip), "%s", media_ip[0] != '\0' ? media_ip : session_ip);
    return JG_OK;
}
