/* MANSCDP XML: charset decoding and repair before libxml2, then a walk over the few elements
 * the platform uses (format in manscdp.h). */
#include "video/manscdp.h"

#include "base/mem.h"
#include "base/text.h"

#include <errno.h>
#include <iconv.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* Find the XML declaration "<?xml ... ?>" at the start of s (after a BOM or blanks): *end gets the
 * offset just past it (0 if there is none) and enc the declared encoding ("" if none). */
static void find_declaration(const char *s, size_t n, size_t *end, char *enc, size_t enclen)
{
    *end = 0;
    enc[0] = '\0';
    size_t i = 0;
    if (n >= 3 && (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBB && (unsigned char)s[2] == 0xBF)
        i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    if (n - i < 5 || strncmp(s + i, "<?xml", 5) != 0)
        return;
    size_t close = i + 5;
    while (close + 1 < n && !(s[close] == '?' && s[close + 1] == '>'))
        close++;
    if (close + 1 >= n)
        return;
    *end = close + 2;
    for (size_t k = i + 5; k + 8 < close; k++) {
        if (strncasecmp(s + k, "encoding", 8) != 0)
            continue;
        size_t p = k + 8;
        while (p < close && (s[p] == ' ' || s[p] == '='))
            p++;
        if (p >= close || (s[p] != '"' && s[p] != '\''))
            return;
        char q = s[p++];
        size_t m = 0;
        while (p < close && s[p] != q && m + 1 < enclen)
            enc[m++] = s[p++];
        enc[m] = '\0';
        return;
    }
}

/* Convert n bytes of GB18030 to UTF-8 into out. JG_INVALID on an invalid sequence. */
static jg_rc from_gb18030(const char *s, size_t n, jg_buf *out)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return JG_ERR;
    char chunk[4096];
    char *in = (char *)s;
    size_t left = n;
    jg_rc rc = JG_OK;
    while (left > 0 && rc == JG_OK) {
        char *o = chunk;
        size_t room = sizeof(chunk);
        size_t r = iconv(cd, &in, &left, &o, &room);
        if (o > chunk)
            rc = jg_buf_append(out, chunk, (size_t)(o - chunk));
        if (r == (size_t)-1 && errno != E2BIG)
            rc = JG_INVALID; /* EILSEQ or EINVAL (truncated sequence) */
    }
    iconv_close(cd);
    return rc;
}

/* 1 if s[0..n) starts an entity or character reference XML knows without a DTD. */
static int is_reference(const char *s, size_t n)
{
    static const char *const names[] = {"amp;", "lt;", "gt;", "quot;", "apos;"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t k = strlen(names[i]);
        if (n >= k && memcmp(s, names[i], k) == 0)
            return 1;
    }
    if (n < 3 || s[0] != '#')
        return 0;
    size_t i = 1;
    int hex = s[1] == 'x';
    if (hex)
        i++;
    size_t digits = 0;
    while (i < n && digits < 8 &&
           ((s[i] >= '0' && s[i] <= '9') ||
            (hex && ((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F'))))) {
        i++;
        digits++;
    }
    return digits > 0 && i < n && s[i] == ';';
}

jg_rc jg_manscdp_decode(const char *body, size_t len, jg_charset charset, jg_buf *out)
{
    if (len > JG_MANSCDP_MAX_BODY)
        return JG_TOOLARGE;
    size_t start = 0;
    char enc[32];
    find_declaration(body, len, &start, enc, sizeof(enc));
    if (start == 0 && len >= 3 && (unsigned char)body[0] == 0xEF && (unsigned char)body[1] == 0xBB &&
        (unsigned char)body[2] == 0xBF)
        start = 3;
    const char *s = body + start;
    size_t n = len - start;
    int utf8 =
        charset == JG_CHARSET_UTF8 ||
        (charset == JG_CHARSET_AUTO && (strcasecmp(enc, "UTF-8") == 0 || strcasecmp(enc, "UTF8") == 0));
    jg_buf text;
    jg_buf_init(&text, out->max);
    jg_rc rc;
    if (utf8) {
        rc = jg_utf8_valid(s, n) ? jg_buf_append(&text, s, n) : JG_INVALID;
    } else {
        rc = from_gb18030(s, n, &text);
        if (rc == JG_INVALID && jg_utf8_valid(s, n)) {
            jg_buf_free(&text);
            rc = jg_buf_append(&text, s, n);
        }
    }
    if (rc == JG_OK && text.len > 0 && memchr(text.data, '\0', text.len) != NULL)
        rc = JG_INVALID;
    /* Escape every '&' that does not start a reference: devices write "A&B" in names and addresses. */
    for (size_t i = 0; rc == JG_OK && i < text.len; i++) {
        char c = text.data[i];
        if (c == '&' && !is_reference(text.data + i + 1, text.len - i - 1))
            rc = jg_buf_puts(out, "&amp;");
        else
            rc = jg_buf_append(out, &c, 1);
    }
    jg_buf_free(&text);
    return rc;
}

/* Copy the trimmed text content of node into out (size outlen), cut at a UTF-8 boundary. */
static void node_text(xmlNode *node, char *out, size_t outlen)
{
    out[0] = '\0';
    xmlChar *c = xmlNodeGetContent(node);
    if (c == NULL)
        return;
    const char *s = (const char *)c;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (n >= outlen) {
        n = outlen - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* s[n] continues a character: cut before it */
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    xmlFree(c);
}

static int64_t node_int(xmlNode *node, int64_t fallback)
{
    char t[32];
    node_text(node, t, sizeof(t));
    int64_t v;
    return jg_parse_int64(t, -1000000000000LL, 1000000000000LL, &v) == JG_OK ? v : fallback;
}

static int node_double(xmlNode *node, double lo, double hi, double *out)
{
    char t[48];
    node_text(node, t, sizeof(t));
    if (t[0] == '\0')
        return 0;
    char *end = NULL;
    double v = strtod(t, &end);
    if (end == t || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static int named(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, (const xmlChar *)name) == 0;
}

static void parse_item(xmlNode *item, jg_manscdp_item *it)
{
    double lon = 0, lat = 0;
    int have_lon = 0, have_lat = 0;
    for (xmlNode *f = item->children; f != NULL; f = f->next) {
        if (f->type != XML_ELEMENT_NODE)
            continue;
        if (named(f, "DeviceID"))
            node_text(f, it->device_id, sizeof(it->device_id));
        else if (named(f, "Name"))
            node_text(f, it->name, sizeof(it->name));
        else if (named(f, "Manufacturer"))
            node_text(f, it->manufacturer, sizeof(it->manufacturer));
        else if (named(f, "Model"))
            node_text(f, it->model, sizeof(it->model));
        else if (named(f, "Owner"))
            node_text(f, it->owner, sizeof(it->owner));
        else if (named(f, "CivilCode"))
            node_text(f, it->civil_code, sizeof(it->civil_code));
        else if (named(f, "Address"))
            node_text(f, it->address, sizeof(it->address));
        else if (named(f, "Parental"))
            it->parental = node_int(f, 0) != 0;
        else if (named(f, "ParentID"))
            node_text(f, it->parent_id, sizeof(it->parent_id));
        else if (named(f, "Status"))
            node_text(f, it->status, sizeof(it->status));
        else if (named(f, "Event"))
            node_text(f, it->event, sizeof(it->event));
        else if (named(f, "Longitude"))
            have_lon = node_double(f, -180, 180, &lon);
        else if (named(f, "Latitude"))
            have_lat = node_double(f, -90, 90, &lat);
        else if (named(f, "Info")) {
            for (xmlNode *g = f->children; g != NULL; g = g->next)
                if (named(g, "PTZType"))
                    it->ptz_type = (int)node_int(g, 0);
        }
    }
    /* 0,0 is what devices send when they know no position. */
    if (have_lon && have_lat && !(lon == 0 && lat == 0)) {
        it->has_position = 1;
        it->longitude = lon;
        it->latitude = lat;
    }
}

static void parse_record(xmlNode *item, jg_manscdp_record *r)
{
    r->file_size = -1;
    for (xmlNode *f = item->children; f != NULL; f = f->next) {
        if (f->type != XML_ELEMENT_NODE)
            continue;
        if (named(f, "DeviceID"))
            node_text(f, r->device_id, sizeof(r->device_id));
        else if (named(f, "Name"))
            node_text(f, r->name, sizeof(r->name));
        else if (named(f, "FilePath"))
            node_text(f, r->file_path, sizeof(r->file_path));
        else if (named(f, "Address"))
            node_text(f, r->address, sizeof(r->address));
        else if (named(f, "StartTime"))
            node_text(f, r->start_time, sizeof(r->start_time));
        else if (named(f, "EndTime"))
            node_text(f, r->end_time, sizeof(r->end_time));
        else if (named(f, "Secrecy"))
            r->secrecy = node_int(f, 0) != 0;
        else if (named(f, "Type"))
            node_text(f, r->type, sizeof(r->type));
        else if (named(f, "RecorderID"))
            node_text(f, r->recorder_id, sizeof(r->recorder_id));
        else if (named(f, "FileSize"))
            r->file_size = node_int(f, -1);
    }
}

static void parse_records(xmlNode *list, jg_manscdp_msg *m)
{
    int total = 0;
    for (xmlNode *c = list->children; c != NULL; c = c->next)
        total += named(c, "Item");
    int room = JG_MANSCDP_MAX_ITEMS - m->record_count;
    int keep = total < room ? total : room;
    if (keep > 0)
        m->records = jg_xrealloc(m->records, (size_t)(m->record_count + keep) * sizeof(*m->records));
    for (xmlNode *c = list->children; c != NULL; c = c->next) {
        if (!named(c, "Item"))
            continue;
        m->record_total++;
        if (keep == 0)
            continue;
        jg_manscdp_record *r = &m->records[m->record_count++];
        memset(r, 0, sizeof(*r));
        parse_record(c, r);
        keep--;
    }
}

static void parse_list(xmlNode *list, jg_manscdp_msg *m)
{
    int total = 0;
    for (xmlNode *c = list->children; c != NULL; c = c->next)
        total += named(c, "Item");
    int room = JG_MANSCDP_MAX_ITEMS - m->item_count;
    int keep = total < room ? total : room;
    if (keep > 0)
        m->items = jg_xrealloc(m->items, (size_t)(m->item_count + keep) * sizeof(*m->items));
    for (xmlNode *c = list->children; c != NULL; c = c->next) {
        if (!named(c, "Item"))
            continue;
        m->item_total++;
        if (keep == 0)
            continue;
        jg_manscdp_item *it = &m->items[m->item_count++];
        memset(it, 0, sizeof(*it));
        parse_item(c, it);
        keep--;
    }
}

/* DeviceStatus <Alarmstatus Num="N"><Item><DeviceID/><DutyStatus/></Item></Alarmstatus>. */
static void parse_alarm_states(xmlNode *list, jg_manscdp_msg *m)
{
    for (xmlNode *c = list->children; c != NULL; c = c->next) {
        if (!named(c, "Item"))
            continue;
        m->alarm_state_total++;
        if (m->alarm_state_count >= JG_MANSCDP_MAX_ALARM_STATES)
            continue;
        jg_manscdp_alarm_state *a = &m->alarm_states[m->alarm_state_count++];
        for (xmlNode *f = c->children; f != NULL; f = f->next) {
            if (named(f, "DeviceID"))
                node_text(f, a->device_id, sizeof(a->device_id));
            else if (named(f, "DutyStatus"))
                node_text(f, a->duty_status, sizeof(a->duty_status));
        }
    }
}

/* A number in lo..hi, or NAN. */
static double node_real(xmlNode *node, double lo, double hi)
{
    double v;
    return node_double(node, lo, hi, &v) ? v : NAN;
}

/* Elements of DeviceStatus, Alarm and MobilePosition at the root (or, for AlarmType, in Info). */
static int parse_status_alarm(xmlNode *c, jg_manscdp_msg *out, double *lon, double *lat, int *have)
{
    if (named(c, "Online"))
        node_text(c, out->online, sizeof(out->online));
    else if (named(c, "Reason"))
        node_text(c, out->reason, sizeof(out->reason));
    else if (named(c, "Encode"))
        node_text(c, out->encode, sizeof(out->encode));
    else if (named(c, "Record"))
        node_text(c, out->record, sizeof(out->record));
    else if (named(c, "DeviceTime"))
        node_text(c, out->device_time, sizeof(out->device_time));
    else if (named(c, "Alarmstatus"))
        parse_alarm_states(c, out);
    else if (named(c, "AlarmPriority"))
        out->alarm_priority = (int)node_int(c, -1);
    else if (named(c, "AlarmMethod"))
        out->alarm_method = (int)node_int(c, -1);
    else if (named(c, "AlarmTime"))
        node_text(c, out->alarm_time, sizeof(out->alarm_time));
    else if (named(c, "AlarmDescription"))
        node_text(c, out->alarm_description, sizeof(out->alarm_description));
    else if (named(c, "AlarmType"))
        node_text(c, out->alarm_type, sizeof(out->alarm_type));
    else if (named(c, "Info")) {
        for (xmlNode *g = c->children; g != NULL; g = g->next)
            if (named(g, "AlarmType"))
                node_text(g, out->alarm_type, sizeof(out->alarm_type));
    } else if (named(c, "Longitude"))
        have[0] = node_double(c, -180, 180, lon);
    else if (named(c, "Latitude"))
        have[1] = node_double(c, -90, 90, lat);
    else if (named(c, "Time"))
        node_text(c, out->time, sizeof(out->time));
    else if (named(c, "Speed"))
        out->speed = node_real(c, 0, 100000);
    else if (named(c, "Direction"))
        out->direction = node_real(c, 0, 360);
    else if (named(c, "Altitude"))
        out->altitude = node_real(c, -20000, 100000);
    else
        return 0;
    return 1;
}

jg_rc jg_manscdp_parse(const char *body, size_t len, jg_charset charset, jg_manscdp_msg *out)
{
    memset(out, 0, sizeof(*out));
    out->sn = -1;
    out->sum_num = -1;
    out->channel = -1;
    out->notify_type = -1;
    out->alarm_priority = out->alarm_method = -1;
    out->speed = out->direction = out->altitude = NAN;
    if (len > JG_MANSCDP_MAX_BODY)
        return JG_TOOLARGE;
    jg_buf text;
    jg_buf_init(&text, (size_t)JG_MANSCDP_MAX_BODY * 2);
    jg_rc rc = jg_manscdp_decode(body, len, charset, &text);
    if (rc == JG_OK &&
        (text.len == 0 || strstr(text.data, "<!DOCTYPE") != NULL || strstr(text.data, "<!ENTITY") != NULL))
        rc = JG_INVALID; /* no DTDs: nothing a device sends needs one */
    if (rc != JG_OK) {
        jg_buf_free(&text);
        return rc;
    }
    pthread_once(&xml_once, xml_init);
    xmlDoc *doc =
        xmlReadMemory(text.data, (int)text.len, NULL, "UTF-8",
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
    jg_buf_free(&text);
    xmlNode *root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    rc = JG_INVALID;
    if (root != NULL) {
        rc = JG_OK;
        if (named(root, "Query"))
            out->kind = JG_MANSCDP_QUERY;
        else if (named(root, "Response"))
            out->kind = JG_MANSCDP_RESPONSE;
        else if (named(root, "Notify"))
            out->kind = JG_MANSCDP_NOTIFY;
        else if (named(root, "Control"))
            out->kind = JG_MANSCDP_CONTROL;
        else
            rc = JG_INVALID;
    }
    double lon = 0, lat = 0;
    int have[2] = {0, 0};
    for (xmlNode *c = rc == JG_OK ? root->children : NULL; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (named(c, "CmdType"))
            node_text(c, out->cmd_type, sizeof(out->cmd_type));
        else if (named(c, "SN"))
            out->sn = node_int(c, -1);
        else if (named(c, "DeviceID"))
            node_text(c, out->device_id, sizeof(out->device_id));
        else if (named(c, "Status"))
            node_text(c, out->status, sizeof(out->status));
        else if (named(c, "Result"))
            node_text(c, out->result, sizeof(out->result));
        else if (named(c, "SumNum"))
            out->sum_num = node_int(c, -1);
        else if (named(c, "DeviceList"))
            parse_list(c, out);
        else if (named(c, "DeviceName"))
            node_text(c, out->device_name, sizeof(out->device_name));
        else if (named(c, "Manufacturer"))
            node_text(c, out->manufacturer, sizeof(out->manufacturer));
        else if (named(c, "Model"))
            node_text(c, out->model, sizeof(out->model));
        else if (named(c, "Firmware"))
            node_text(c, out->firmware, sizeof(out->firmware));
        else if (named(c, "Channel"))
            out->channel = node_int(c, -1);
        else if (named(c, "Name"))
            node_text(c, out->name, sizeof(out->name));
        else if (named(c, "RecordList"))
            parse_records(c, out);
        else if (named(c, "NotifyType"))
            out->notify_type = node_int(c, -1);
        else
            parse_status_alarm(c, out, &lon, &lat, have);
    }
    /* 0,0 is what devices send when they know no position. */
    if (have[0] && have[1] && !(lon == 0 && lat == 0)) {
        out->has_position = 1;
        out->longitude = lon;
        out->latitude = lat;
    }
    if (rc == JG_OK && out->cmd_type[0] == '\0')
        rc = JG_INVALID;
    xmlFreeDoc(doc);
    if (rc != JG_OK)
        jg_manscdp_msg_free(out);
    return rc;
}

void jg_manscdp_msg_free(jg_manscdp_msg *m)
{
    free(m->items);
    m->items = NULL;
    m->item_count = 0;
    free(m->records);
    m->records = NULL;
    m->record_count = 0;
}

jg_rc jg_manscdp_query(jg_buf *out, const char *cmd_type, int64_t sn, const char *device_id)
{
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Query>\r\n"
                         "<CmdType>%s</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "</Query>\r\n",
                         cmd_type, (long long)sn, device_id);
}

jg_rc jg_ptz_build(const char *command, int speed, int zoom_speed, int preset, char out[JG_PTZ_HEX_LEN + 1])
{
    static const struct {
        const char *name;
        uint8_t code;
    } cmds[] = {{"stop", 0x00},        {"right", 0x01},        {"left", 0x02},      {"down", 0x04},
                {"downright", 0x05},   {"downleft", 0x06},     {"up", 0x08},        {"upright", 0x09},
                {"upleft", 0x0A},      {"zoomin", 0x10},       {"zoomout", 0x20},   {"focusfar", 0x41},
                {"focusnear", 0x42},   {"irisopen", 0x44},     {"irisclose", 0x48}, {"preset_set", 0x81},
                {"preset_call", 0x82}, {"preset_delete", 0x83}};
    out[0] = '\0';
    if (command == NULL || speed < 0 || speed > 255 || zoom_speed < 0 || zoom_speed > 15)
        return JG_INVALID;
    int code = -1;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (strcmp(command, cmds[i].name) == 0)
            code = cmds[i].code;
    if (code < 0)
        return JG_INVALID;
    uint8_t b[8] = {0xA5, 0x0F, 0x01, (uint8_t)code, 0, 0, 0, 0};
    if ((code & 0xF0) == 0x80) {
        if (preset < 1 || preset > 255)
            return JG_INVALID;
        b[5] = (uint8_t)preset;
    } else if ((code & 0xF0) == 0x40) {
        b[4] = (uint8_t)speed; /* focus speed */
        b[5] = (uint8_t)speed; /* iris speed */
    } else {
        if (code & 0x03)
            b[4] = (uint8_t)speed;
        if (code & 0x0C)
            b[5] = (uint8_t)speed;
        if (code & 0x30)
            b[6] = (uint8_t)(zoom_speed << 4);
    }
    unsigned sum = 0;
    for (int i = 0; i < 7; i++)
        sum += b[i];
    b[7] = (uint8_t)(sum & 0xFF);
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 0x0F];
    }
    out[JG_PTZ_HEX_LEN] = '\0';
    return JG_OK;
}

jg_rc jg_manscdp_ptz(jg_buf *out, int64_t sn, const char *device_id, const char *ptz_hex)
{
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Control>\r\n"
                         "<CmdType>DeviceControl</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "<PTZCmd>%s</PTZCmd>\r\n"
                         "<Info>\r\n<ControlPriority>5</ControlPriority>\r\n</Info>\r\n"
                         "</Control>\r\n",
                         (long long)sn, device_id, ptz_hex);
}

int jg_manscdp_time_valid(const char *s)
{
    int y, mo, d, h, mi, se;
    char tail;
    if (s == NULL || strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return 0;
    for (int i = 0; i < 19; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && (s[i] < '0' || s[i] > '9'))
            return 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6)
        return 0;
    return y >= 1970 && y <= 2100 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 &&
           se <= 59;
}

jg_rc jg_manscdp_record_query(jg_buf *out, int64_t sn, const char *device_id, const char *start,
                              const char *end)
{
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Query>\r\n"
                         "<CmdType>RecordInfo</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "<StartTime>%s</StartTime>\r\n"
                         "<EndTime>%s</EndTime>\r\n"
                         "<Secrecy>0</Secrecy>\r\n"
                         "<Type>all</Type>\r\n"
                         "</Query>\r\n",
                         (long long)sn, device_id, start, end);
}

jg_rc jg_manscdp_device_control(jg_buf *out, int64_t sn, const char *device_id, const char *cmd)
{
    static const struct {
        const char *name, *element, *value;
    } cmds[] = {{"reboot", "TeleBoot", "Boot"},
                {"record", "RecordCmd", "Record"},
                {"stop_record", "RecordCmd", "StopRecord"},
                {"guard", "GuardCmd", "SetGuard"},
                {"reset_guard", "GuardCmd", "ResetGuard"},
                {"iframe", "IFameCmd", "Send"}};
    for (size_t i = 0; cmd != NULL && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(cmd, cmds[i].name) != 0)
            continue;
        return jg_buf_printf(out,
                             "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                             "<Control>\r\n"
                             "<CmdType>DeviceControl</CmdType>\r\n"
                             "<SN>%lld</SN>\r\n"
                             "<DeviceID>%s</DeviceID>\r\n"
                             "<%s>%s</%s>\r\n"
                             "</Control>\r\n",
                             (long long)sn, device_id, cmds[i].element, cmds[i].value, cmds[i].element);
    }
    return JG_INVALID;
}

jg_rc jg_manscdp_subscribe_query(jg_buf *out, const char *what, int64_t sn, const char *device_id,
                                 int interval_s)
{
    const char *extra;
    char interval[64];
    if (strcmp(what, "Catalog") == 0) {
        extra = "";
    } else if (strcmp(what, "Alarm") == 0) {
        extra = "<StartAlarmPriority>1</StartAlarmPriority>\r\n<EndAlarmPriority>4</EndAlarmPriority>\r\n"
                "<AlarmMethod>0</AlarmMethod>\r\n";
    } else if (strcmp(what, "MobilePosition") == 0) {
        snprintf(interval, sizeof(interval), "<Interval>%d</Interval>\r\n", interval_s);
        extra = interval;
    } else {
        return JG_INVALID;
    }
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Query>\r\n"
                         "<CmdType>%s</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "%s"
                         "</Query>\r\n",
                         what, (long long)sn, device_id, extra);
}

jg_rc jg_manscdp_result(jg_buf *out, const char *cmd_type, int64_t sn, const char *device_id)
{
    return jg_buf_printf(out,
                         "<?xml version=\"1.0\" encoding=\"GB2312\"?>\r\n"
                         "<Response>\r\n"
                         "<CmdType>%s</CmdType>\r\n"
                         "<SN>%lld</SN>\r\n"
                         "<DeviceID>%s</DeviceID>\r\n"
                         "<Result>OK</Result>\r\n"
                         "</Response>\r\n",
                         cmd_type, (long long)sn, device_id);
}
