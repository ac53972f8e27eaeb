/* libFuzzer driver for the record-list filter and sort (src/engine/entity/filter.c) against a
 * fixed hand-made entity. The input is the filter's JSON; its length picks how many parameters
 * the query already has (0..4), and the same bytes are also tried as a sort string.
 *
 * Besides the sanitizers, each answer is checked:
 *   accepted  the SQL added starts " AND (", has balanced parentheses, no quote but ESCAPE '\' and
 *             t.state <> 'deleted',
 *             and uses $k exactly once for each new parameter k (n0 < k <= n), none other; the
 *             whole query prepares and runs on SQLite (in memory, with the tables and a few rows)
 *             with exactly n parameters bound;
 *   refused   a non-empty UTF-8 message, the SQL and n exactly as before;
 *   null      (JSON null: no filter) nothing added. */
#include "base/text.h"
#include "crypto/crypto.h"
#include "engine/entity/filter.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static jg_field unit_fields[] = {
    {.name = "name", .label = "单体名称", .type = JG_FIELD_STRING},
    {.name = "floors", .label = "层数", .type = JG_FIELD_INTEGER},
    {.name = "owner_phone", .label = "联系电话", .type = JG_FIELD_STRING, .data_class = JG_CLASS_SENSITIVE},
};
static jg_state unit_states[] = {{.name = "active", .label = "在建"}, {.name = "deleted", .label = "已删除"}};

static jg_field project_fields[] = {
    {.name = "name", .label = "项目名称", .type = JG_FIELD_STRING, .max_length = 100},
    {.name = "cost", .label = "工程造价", .type = JG_FIELD_MONEY, .scale = 2},
    {.name = "area", .label = "面积", .type = JG_FIELD_DECIMAL, .scale = 3},
    {.name = "floors", .label = "层数", .type = JG_FIELD_INTEGER},
    {.name = "started_on", .label = "开工日期", .type = JG_FIELD_DATE},
    {.name = "checked_at", .label = "检查时间", .type = JG_FIELD_DATETIME},
    {.name = "is_key", .label = "重点项目", .type = JG_FIELD_BOOLEAN},
    {.name = "kind", .label = "项目类型", .type = JG_FIELD_ENUM},
    {.name = "unit", .label = "单体", .type = JG_FIELD_REF, .ref = "unit"},
    {.name = "builder", .label = "建设单位", .type = JG_FIELD_ENTERPRISE},
    {.name = "manager", .label = "项目经理", .type = JG_FIELD_PERSON},
    {.name = "region", .label = "所在地区", .type = JG_FIELD_REGION},
    {.name = "attachments", .label = "附件", .type = JG_FIELD_FILES, .max_files = 3},
    {.name = "location", .label = "位置", .type = JG_FIELD_GEO},
    {.name = "extra", .label = "扩展信息", .type = JG_FIELD_JSON},
    {.name = "id_number", .label = "身份证号", .type = JG_FIELD_STRING, .data_class = JG_CLASS_SENSITIVE},
    {.name = "note", .label = "备注", .type = JG_FIELD_TEXT},
    {.name = "ghost", .label = "幽灵", .type = JG_FIELD_REF, .ref = "nosuch"},
};
static jg_state project_states[] = {{.name = "draft", .label = "草稿"},
                                    {.name = "deleted", .label = "已删除"}};

static jg_entity entities[2] = {
    {.name = "unit",
     .label = "单体",
     .table = "e_unit",
     .fields = unit_fields,
     .nfields = sizeof(unit_fields) / sizeof(unit_fields[0]),
     .states = unit_states,
     .nstates = 2},
    {.name = "project",
     .label = "项目",
     .table = "e_project",
     .fields = project_fields,
     .nfields = sizeof(project_fields) / sizeof(project_fields[0]),
     .states = project_states,
     .nstates = 2},
};
static const jg_entity_set set = {entities, 2};

static const char schema[] =
    "CREATE TABLE enterprise (id INTEGER PRIMARY KEY, credit_code TEXT, name TEXT);"
    "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT);"
    "CREATE TABLE e_unit (id INTEGER PRIMARY KEY, state TEXT, created_by INTEGER, created_at TEXT,"
    " updated_by INTEGER, updated_at TEXT, version INTEGER, name TEXT, floors INTEGER, owner_phone TEXT,"
    " owner_phone__bidx TEXT, owner_phone__mask TEXT);"
    "CREATE TABLE e_project (id INTEGER PRIMARY KEY, state TEXT, created_by INTEGER, created_at TEXT,"
    " updated_by INTEGER, updated_at TEXT, version INTEGER, name TEXT, cost INTEGER, area INTEGER,"
    " floors INTEGER, started_on TEXT, checked_at TEXT, is_key INTEGER, kind TEXT, unit INTEGER,"
    " builder INTEGER, manager INTEGER, region TEXT, attachments TEXT, location TEXT, extra TEXT,"
    " id_number TEXT, id_number__bidx TEXT, id_number__mask TEXT, note TEXT, ghost INTEGER);"
    "INSERT INTO enterprise VALUES (1, '91350000100000001A', '福建建工');"
    "INSERT INTO person VALUES (1, '张三');"
    "INSERT INTO e_unit (id, state, name, floors) VALUES (1, 'active', 'A栋', 10);"
    "INSERT INTO e_project (id, state, created_at, updated_at, version, name, cost, floors, kind, unit, "
    "builder,"
    " manager, region, note) VALUES (1, 'draft', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 1,"
    " '100%完成_A', 1000, 5, 'house', 1, 1, 1, '350102', 'C:\\temp'),"
    " (2, 'draft', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 1, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, NULL, NULL);";

static sqlite3 *db;

/* The prefix a list query has before the filter, with n0 parameters of its own. */
static const char *const prefixes[] = {
    "SELECT r.id FROM e_project r WHERE 1 = 1",
    "SELECT r.id FROM e_project r WHERE r.id > $1",
    "SELECT r.id FROM e_project r WHERE r.id > $1 AND r.state <> $2",
    "SELECT r.id FROM e_project r WHERE r.id > $1 AND r.state <> $2 AND r.id <> $3",
    "SELECT r.id FROM e_project r WHERE r.id > $1 AND r.state <> $2 AND r.id <> $3 AND r.version >= $4",
};

/* Prepare sql ($N written ?N, outside the one quoted '\'), bind n values and run it to the end. */
static void run(const char *sql, const jg_value *p, int n)
{
    char *native = strdup(sql);
    int quoted = 0;
    for (char *c = native; *c != '\0'; c++) {
        if (*c == '\'')
            quoted = !quoted;
        else if (!quoted && *c == '$')
            *c = '?';
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, native, -1, &st, NULL) != SQLITE_OK)
        abort(); /* the SQL made is not valid SQL */
    free(native);
    if (sqlite3_bind_parameter_count(st) != n)
        abort();
    for (int i = 0; i < n; i++) {
        int e;
        switch (p[i].type) {
        case JG_V_INT:
            e = sqlite3_bind_int64(st, i + 1, p[i].i);
            break;
        case JG_V_TEXT:
            e = sqlite3_bind_text(st, i + 1, p[i].s, -1, SQLITE_STATIC);
            break;
        case JG_V_NULL:
            e = sqlite3_bind_null(st, i + 1);
            break;
        default:
            abort(); /* filters never bind reals */
        }
        if (e != SQLITE_OK)
            abort();
    }
    int e;
    while ((e = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (e != SQLITE_DONE)
        abort();
    sqlite3_finalize(st);
}

/* The checks on an accepted filter: added is the SQL jg_filter_sql appended. */
static void check_sql(const char *added, int n0, int n, const jg_value *p)
{
    if (strncmp(added, " AND (", 6) != 0 || n < n0 || n > JG_FILTER_MAX_PARAMS)
        abort();
    static unsigned char seen[JG_FILTER_MAX_PARAMS + 1];
    memset(seen, 0, sizeof(seen));
    int depth = 0, count = 0;
    for (const char *c = added; *c != '\0'; c++) {
        if (*c == '\'') {
            /* The only literals: the escape character of LIKE, and the state of deleted records
             * that a step through a reference leaves out. */
            if (c - added >= 11 && strncmp(c - 11, "t.state <> 'deleted'", 20) == 0) {
                c += 8;
                continue;
            }
            if (c - added < 7 || strncmp(c - 7, "ESCAPE '\\'", 10) != 0)
                abort();
            c += 2;
        } else if (*c == '(') {
            depth++;
        } else if (*c == ')') {
            if (--depth < 0)
                abort();
        } else if (*c == '$') {
            char *end;
            long k = strtol(c + 1, &end, 10);
            if (end == c + 1 || k <= n0 || k > n || seen[k])
                abort();
            seen[k] = 1;
            count++;
        } else if (*c == ';' || (*c == '-' && c[1] == '-') || (*c == '/' && c[1] == '*')) {
            abort();
        }
    }
    if (depth != 0 || count != n - n0)
        abort();
    for (int i = n0; i < n; i++)
        if (p[i].type == JG_V_TEXT && (p[i].s == NULL || !jg_utf8_valid(p[i].s, strlen(p[i].s))))
            abort();
}

static void check_message(const char *m)
{
    if (m == NULL || *m == '\0' || !jg_utf8_valid(m, strlen(m)))
        abort();
}

static void try_filter(const uint8_t *data, size_t size, jg_arena *a)
{
    json_t *filter = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (filter == NULL)
        return;
    int n0 = (int)(size % 5), n = n0;
    jg_value p[JG_FILTER_MAX_PARAMS];
    for (int i = 0; i < n0; i++)
        p[i] = i == 1 ? JG_VTEXT("deleted") : JG_VINT(0);
    jg_buf sql;
    jg_buf_init(&sql, 1 << 20);
    jg_buf_puts(&sql, prefixes[n0]);
    size_t len = sql.len;
    const char *msg = NULL;
    static const unsigned char key[JG_SM4_KEY_LEN] = {7}; /* sealed fields filter through blind indexes */
    const jg_filter_as as = {NULL, key};
    jg_rc rc = jg_filter_sql(&as, &set, &entities[1], filter, &sql, p, &n, a, &msg);
    if (rc == JG_OK && json_is_null(filter)) {
        if (msg != NULL || n != n0 || sql.len != len) /* null: no filter at all */
            abort();
    } else if (rc == JG_OK) {
        if (msg != NULL)
            abort();
        check_sql(sql.data + len, n0, n, p);
        run(sql.data, p, n);
    } else {
        if (rc != JG_INVALID || n != n0 || sql.len != len || strcmp(sql.data, prefixes[n0]) != 0)
            abort();
        check_message(msg);
    }
    jg_buf_free(&sql);
    json_decref(filter);
}

static void try_sort(const uint8_t *data, size_t size, jg_arena *a)
{
    char *sort = malloc(size + 1); /* not strndup: data has no NUL to stop at */
    memcpy(sort, data, size);
    sort[size] = '\0';
    jg_buf sql;
    jg_buf_init(&sql, 1 << 16);
    jg_buf_puts(&sql, prefixes[0]);
    const char *msg = NULL;
    jg_rc rc = jg_sort_sql(&entities[1], sort, &sql, a, &msg);
    if (rc == JG_OK) {
        if (strncmp(sql.data + strlen(prefixes[0]), " ORDER BY r.", 12) != 0 ||
            strchr(sql.data, '\'') != NULL || strchr(sql.data, ';') != NULL)
            abort();
        run(sql.data, NULL, 0);
    } else {
        if (rc != JG_INVALID || strcmp(sql.data, prefixes[0]) != 0)
            abort();
        check_message(msg);
    }
    jg_buf_free(&sql);
    free(sort);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    if (db == NULL && (sqlite3_open(":memory:", &db) != SQLITE_OK ||
                       sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK))
        abort();
    jg_arena *a = jg_arena_new();
    try_filter(data, size, a);
    try_sort(data, size, a);
    jg_arena_free(a);
    return 0;
}
