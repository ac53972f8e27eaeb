/* Reference data: regions from the embedded GB/T 2260 list, and their departments. */
#include "platform/regions.h"

#include "base/embed.h"
#include "base/mem.h"
#include "base/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 平潭 has a county code under 福州 but is run as a city-level unit; 金门 is not administered
 * by Fujian and is hidden from pickers (shared/DOMAIN.md). */
#define PINGTAN "350128"
#define KINMEN "350527"

/* GB/T 2260 six-digit code to ours: 350000 -> 35, 350100 -> 3501, 350102 stays. */
static void short_code(const char *six, char *out)
{
    size_t n = strlen(six);
    if (n > 6)
        n = 6;
    memcpy(out, six, n);
    out[n] = '\0';
    while (n > 2 && out[n - 1] == '0' && out[n - 2] == '0') {
        n -= 2;
        out[n] = '\0';
    }
}

/* One CSV line (county_code,county_name,city_code,city_name) into g; 0 for a blank line. */
static int parse_line(const char *line, jg_region *g)
{
    char cols[4][64] = {{0}};
    const char *p = line;
    for (int c = 0; c < 4; c++) {
        size_t len = strcspn(p, ",\r\n");
        snprintf(cols[c], sizeof(cols[c]), "%.*s", (int)len, p);
        p += len;
        if (*p == ',')
            p++;
    }
    if (cols[0][0] == '\0')
        return 0;
    memset(g, 0, sizeof(*g));
    short_code(cols[0], g->code);
    snprintf(g->name, sizeof(g->name), "%s", cols[1]);
    if (strcmp(g->code, PINGTAN) == 0) {
        snprintf(g->name, sizeof(g->name), "平潭综合实验区");
        g->level = "city";
        snprintf(g->parent, sizeof(g->parent), "35");
    } else if (strlen(g->code) == 4) {
        g->level = "city";
        snprintf(g->parent, sizeof(g->parent), "35");
    } else {
        g->level = "county";
        short_code(cols[2], g->parent);
    }
    g->hidden = strcmp(g->code, KINMEN) == 0;
    return 1;
}

int jg_regions_load(jg_region **out)
{
    const jg_embedded_file *file = jg_embedded_find(jg_embedded_defs, "divisions.csv");
    const char *csv = file != NULL ? (const char *)file->data : NULL;
    int cap = 128, n = 1;
    jg_region *r = jg_xcalloc((size_t)cap, sizeof(*r));
    snprintf(r[0].code, sizeof(r[0].code), "35");
    snprintf(r[0].name, sizeof(r[0].name), "福建省");
    r[0].level = "province";
    for (const char *line = csv ? strchr(csv, '\n') : NULL; line != NULL && line[1] != '\0';
         line = strchr(line + 1, '\n')) {
        if (n == cap) {
            cap *= 2;
            r = jg_xrealloc(r, sizeof(*r) * (size_t)cap);
        }
        n += parse_line(line + 1, &r[n]);
    }
    *out = r;
    return n;
}

struct sync {
    jg_region *regions;
    int n;
    char now[32];
};

static jg_rc insert_department(jg_conn *c, const jg_region *g, const char *kind, const char *name,
                               const char *now)
{
    char code[24];
    snprintf(code, sizeof(code), "%s-%s", g->code, kind);
    jg_value p[] = {JG_VTEXT(code), JG_VTEXT(name), JG_VTEXT(g->code), JG_VTEXT(kind), JG_VTEXT(now)};
    return jg_db_exec(c,
                      "INSERT INTO department (code, name, org_code, kind, created_at)"
                      " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (code) DO NOTHING",
                      p, 5, NULL);
}

static jg_rc sync_tx(jg_conn *c, void *ud)
{
    struct sync *s = ud;
    for (int i = 0; i < s->n; i++) {
        const jg_region *g = &s->regions[i];
        jg_value p[] = {JG_VTEXT(g->code),  JG_VTEXT(g->name),
                        JG_VTEXT(g->level), g->parent[0] ? JG_VTEXT(g->parent) : JG_VNULL,
                        JG_VINT(g->hidden), JG_VTEXT(s->now)};
        jg_rc rc = jg_db_exec(c,
                              "INSERT INTO org (code, name, level, parent_code, hidden, created_at)"
                              " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO NOTHING",
                              p, 6, NULL);
        if (rc != JG_OK)
            return rc;
        if (g->hidden)
            continue;
        int province = strcmp(g->level, "province") == 0;
        char bureau[160], station[160];
        snprintf(bureau, sizeof(bureau), "%s住房和城乡建设%s", g->name, province ? "厅" : "局");
        snprintf(station, sizeof(station), "%s建设工程质量安全监督%s", g->name, province ? "总站" : "站");
        rc = insert_department(c, g, "bureau", bureau, s->now);
        if (rc == JG_OK)
            rc = insert_department(c, g, "station", station, s->now);
        if (rc != JG_OK)
            return rc;
    }
    return JG_OK;
}

jg_rc jg_regions_sync(jg_db *db)
{
    struct sync s;
    s.n = jg_regions_load(&s.regions);
    jg_time_iso_now(s.now, sizeof(s.now));
    jg_rc rc = jg_db_tx(db, sync_tx, &s);
    free(s.regions);
    return rc;
}
