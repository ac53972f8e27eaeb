/* SDP for GB/T 28181 live view: the offer devices expect and a tolerant parser of their answer. */
#include "base/text.h"
#include "video/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t jg_sdp_offer_build(const jg_sdp_offer *o, char *out, size_t outlen)
{
    char u[64] = "", t[64] = "t=0 0\r\n", speed[40] = "";
    if (o->download_speed > 0)
        snprintf(speed, sizeof(speed), "a=downloadspeed:%d\r\n", o->download_speed);
    if (o->uri_channel != NULL) {
        snprintf(u, sizeof(u), "u=%.20s:0\r\n", o->uri_channel);
        snprintf(t, sizeof(t), "t=%lld %lld\r\n", o->start, o->end);
    }
    int n =
        snprintf(out, outlen,
                 "v=0\r\n"
                 "o=%s 0 0 IN IP4 %s\r\n"
                 "s=%s\r\n"
                 "%s"
                 "c=IN IP4 %s\r\n"
                 "%s"
                 "m=video %d %s 96 98 99\r\n"
                 "a=recvonly\r\n"
                 "a=rtpmap:96 PS/90000\r\n"
                 "a=rtpmap:98 H264/90000\r\n"
                 "a=rtpmap:99 H265/90000\r\n"
                 "%s"
                 "%s"
                 "y=%s\r\n",
                 o->origin_id, o->ip, o->session, u, o->ip, t, o->port, o->tcp ? "TCP/RTP/AVP" : "RTP/AVP",
                 o->tcp == JG_RTP_TCP_ACTIVE ? "a=setup:active\r\na=connection:new\r\n"
                 : o->tcp                    ? "a=setup:passive\r\na=connection:new\r\n"
                                             : "",
                 speed, o->ssrc);
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
        case 't': {
            long long t0 = 0, t1 = 0;
            if (sscanf(t, "%lld %lld", &t0, &t1) == 2 && t0 >= 0 && t1 >= t0) {
                out->t_start = t0;
                out->t_end = t1;
            }
            break;
        }
        case 'a':
            if (strncmp(t, "downloadspeed:", 14) == 0) {
                long sp = strtol(t + 14, NULL, 10);
                out->download_speed = sp > 0 && sp <= 64 ? (int)sp : 0;
            }
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

size_t jg_mansrtsp_build(jg_rtsp_op op, long cseq, double value, char *out, size_t outlen)
{
    int n = -1;
    if (op == JG_RTSP_PAUSE) {
        n = snprintf(out, outlen, "PAUSE RTSP/1.0\r\nCSeq: %ld\r\nPauseTime: now\r\n\r\n", cseq);
    } else if (op == JG_RTSP_RESUME) {
        n = snprintf(out, outlen, "PLAY RTSP/1.0\r\nCSeq: %ld\r\nRange: npt=now-\r\n\r\n", cseq);
    } else if (op == JG_RTSP_SEEK) {
        if (!(value >= 0 && value < 1e7))
            return 0;
        n = snprintf(out, outlen, "PLAY RTSP/1.0\r\nCSeq: %ld\r\nRange: npt=%lld-\r\n\r\n", cseq,
                     (long long)value);
    } else if (op == JG_RTSP_SPEED) {
        static const double scales[] = {0.25, 0.5, 1, 2, 4};
        static const char *const texts[] = {"0.25", "0.5", "1.0", "2.0", "4.0"};
        for (size_t i = 0; i < 5; i++)
            if (value == scales[i])
                n = snprintf(out, outlen, "PLAY RTSP/1.0\r\nCSeq: %ld\r\nScale: %s\r\n\r\n", cseq, texts[i]);
        if (n < 0)
            return 0;
    }
    if (n < 0 || (size_t)n >= outlen)
        return 0;
    return (size_t)n;
}

/* The value of header name ("Scale") in s[0..n), into out; 0 if absent. */
static int rtsp_header(const char *s, size_t n, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 1 < n; i++) {
        if ((i == 0 || s[i - 1] == '\n') && strncasecmp(s + i, name, nl) == 0 && s[i + nl] == ':') {
            size_t p = i + nl + 1;
            while (p < n && s[p] == ' ')
                p++;
            size_t e = p;
            while (e < n && s[e] != '\r' && s[e] != '\n')
                e++;
            copy_n(out, outlen, s + p, e - p);
            return 1;
        }
    }
    return 0;
}

jg_rc jg_mansrtsp_parse(const char *s, size_t n, jg_rtsp_op *op, double *value)
{
    *value = 0;
    char v[64];
    if (n >= 6 && strncmp(s, "PAUSE ", 6) == 0) {
        *op = JG_RTSP_PAUSE;
        return JG_OK;
    }
    if (n < 5 || strncmp(s, "PLAY ", 5) != 0)
        return JG_INVALID;
    if (rtsp_header(s, n, "Scale", v, sizeof(v))) {
        char *end = NULL;
        double x = strtod(v, &end);
        if (end == v || !(x > 0 && x <= 64))
            return JG_INVALID;
        *op = JG_RTSP_SPEED;
        *value = x;
        return JG_OK;
    }
    if (rtsp_header(s, n, "Range", v, sizeof(v))) {
        if (strncmp(v, "npt=now", 7) == 0) {
            *op = JG_RTSP_RESUME;
            return JG_OK;
        }
        char *end = NULL;
        double x = strncmp(v, "npt=", 4) == 0 ? strtod(v + 4, &end) : -1;
        if (end == NULL || end == v + 4 || *end != '-' || !(x >= 0 && x < 1e7))
            return JG_INVALID;
        *op = JG_RTSP_SEEK;
        *value = x;
        return JG_OK;
    }
    *op = JG_RTSP_RESUME;
    return JG_OK;
}
