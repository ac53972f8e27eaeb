/* Unit tests for runtime editing of entity definitions: the live snapshot (live.c: publication,
 * pinning, threads), the Chinese description of changes (definitions_diff.c), and the policy
 * between shipped and custom versions at `migrate` and at start (definitions.c) on SQLite. */
#include "db/migrate.h"
#include "engine/entity/definitions.h"
#include "engine/entity/live.h"
#include "engine/entity/schema.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entity_testutil.h"

/* ---- live snapshots ---- */

static int freed;

static void count_free(void *p)
{
    freed++;
    free(p);
}

static void pin_keeps_one_snapshot_per_request(void **state)
{
    (void)state;
    jg_live l;
    jg_live_init(&l, count_free);
    assert_null(jg_live_current(&l));
    int *a = malloc(sizeof(int)), *b = malloc(sizeof(int));
    *a = 1;
    *b = 2;
    jg_live_publish(&l, a);
    void *slot1 = NULL, *slot2 = NULL;
    assert_ptr_equal(jg_live_pin(&l, &slot1), a);
    jg_live_publish(&l, b);
    assert_ptr_equal(jg_live_current(&l), b);
    assert_ptr_equal(jg_live_pin(&l, &slot1), a); /* pinned before: still the old one */
    assert_ptr_equal(jg_live_pin(&l, &slot2), b); /* a new request: the new one */
    assert_int_equal(*(int *)slot1, 1);           /* the old one is not freed while running */
    freed = 0;
    jg_live_free(&l);
    assert_int_equal(freed, 2);
}

/* A snapshot whose two halves must always agree: a reader seeing a torn or freed one fails. */
typedef struct {
    int64_t n, minus_n;
} pair;

typedef struct {
    jg_live *l;
    atomic_int stop, bad, reads;
} race;

static void *reader(void *ud)
{
    race *r = ud;
    while (!atomic_load(&r->stop)) {
        void *slot = NULL;
        const pair *p = jg_live_pin(r->l, &slot);
        for (int i = 0; i < 100; i++) {
            const pair *again = jg_live_pin(r->l, &slot);
            if (again != p || p->n != -p->minus_n)
                atomic_fetch_add(&r->bad, 1);
        }
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

static void publishing_while_reading(void **state)
{
    (void)state;
    jg_live l;
    jg_live_init(&l, count_free);
    pair *first = malloc(sizeof(pair));
    *first = (pair){0, 0};
    jg_live_publish(&l, first);
    race r = {&l, 0, 0, 0};
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &r), 0);
    /* Publish while the readers read: at least 2000 snapshots and 1000 reads. */
    int64_t n = 0;
    while (n < 2000 || atomic_load(&r.reads) < 1000) {
        pair *p = malloc(sizeof(pair));
        p->n = ++n;
        p->minus_n = -n;
        jg_live_publish(&l, p);
    }
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&r.bad), 0);
    assert_int_equal(((pair *)jg_live_current(&l))->n, n);
    freed = 0;
    jg_live_free(&l);
    assert_int_equal(freed, n + 1);
}

/* ---- the description of changes ---- */

static void load(const char *text, jg_entity *e)
{
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (doc == NULL)
        fail_msg("test JSON: %s: %s", je.text, text);
    char err[512];
    if (jg_entity_load(doc, e, err, sizeof(err)) != JG_OK)
        fail_msg("test definition: %s", err);
    json_decref(doc);
}

#define HEAD(v) "{\"name\": \"thing\", \"label\": \"物品\", \"version\": " #v ", "
#define FA "{\"name\": \"a\", \"label\": \"名称\", \"type\": \"string\", \"max_length\": 100}"
#define FA50 "{\"name\": \"a\", \"label\": \"名称\", \"type\": \"string\", \"max_length\": 50}"
#define FA200 "{\"name\": \"a\", \"label\": \"名称\", \"type\": \"string\", \"max_length\": 200}"
#define FB "{\"name\": \"b\", \"label\": \"备注\", \"type\": \"text\"}"
#define FC "{\"name\": \"c\", \"label\": \"数量\", \"type\": \"integer\"}"
#define FCS "{\"name\": \"c\", \"label\": \"数量\", \"type\": \"string\"}"
#define DOC(v, fields) HEAD(v) "\"fields\": [" fields "]}"

/* The texts of the changes from a to b, "|"-joined, destructive ones marked with "!". */
static const char *diff_of(const char *a, const char *b)
{
    jg_entity o, n;
    if (a != NULL)
        load(a, &o);
    load(b, &n);
    json_t *changes = json_array();
    jg_definitions_diff(a != NULL ? &o : NULL, &n, changes);
    static char out[2048];
    out[0] = '\0';
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        size_t len = strlen(out);
        snprintf(out + len, sizeof(out) - len, "%s%s%s", i > 0 ? "|" : "",
                 json_is_true(json_object_get(c, "destructive")) ? "!" : "",
                 json_string_value(json_object_get(c, "text")));
    }
    json_decref(changes);
    if (a != NULL)
        jg_entity_free(&o);
    jg_entity_free(&n);
    return out;
}

static void diff_in_chinese(void **state)
{
    (void)state;
    assert_string_equal(diff_of(DOC(1, FA), DOC(2, FA ", " FB)), "新增字段“备注”（b，text）");
    assert_string_equal(diff_of(DOC(1, FA ", " FB), DOC(2, FA)), "!删除字段“备注”（b）");
    assert_string_equal(diff_of(DOC(1, FA), DOC(2, FA50)), "!字段“名称”（a）的最大长度由 100 减为 50");
    assert_string_equal(diff_of(DOC(1, FA), DOC(2, FA200)), "字段“名称”（a）的最大长度由 100 增为 200");
    assert_string_equal(diff_of(DOC(1, FA ", " FC), DOC(2, FA ", " FCS)),
                        "!字段“数量”（c）的类型由 integer 改为 string");
    assert_string_equal(diff_of(NULL, DOC(1, FA ", " FB)),
                        "新建业务记录类型“物品”（thing）：2 个字段，0 个子表");
    assert_string_equal(diff_of(DOC(1, FA), "{\"name\": \"thing\", \"label\": \"物件\", \"version\": 2, "
                                            "\"fields\": [" FA "], \"list\": {\"columns\": [\"a\"]}}"),
                        "名称由“物品”改为“物件”|列表设置已修改");
    assert_string_equal(diff_of(DOC(1, FA), DOC(2, FA)), "");
}

/* ---- the policy between shipped and custom versions ---- */

static jg_db *db;
static tmpdb t;

static int setup(void **state)
{
    (void)state;
    tmpdb_make(&t);
    db = tmpdb_open(&t, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(db, &applied), JG_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    tmpdir_remove(t.dir);
    return 0;
}

/* A shipped set of the given documents. */
static void shipped(jg_entity_set *set, const char *const *docs, int n)
{
    json_t *j[8] = {NULL};
    for (int i = 0; i < n; i++) {
        json_error_t je;
        j[i] = json_loads(docs[i], 0, &je);
        assert_non_null(j[i]);
    }
    char err[512];
    jg_rc rc = jg_definitions_set_from_docs(j, n, set, err, sizeof(err));
    for (int i = 0; i < n; i++)
        json_decref(j[i]);
    if (rc != JG_OK)
        fail_msg("%s", err);
}

static jg_rc migrate1(const char *doc, char *err, size_t errlen)
{
    jg_entity_set set;
    shipped(&set, &doc, 1);
    jg_rc rc = jg_definitions_migrate_from(db, &set, err, errlen);
    jg_entity_set_free(&set);
    return rc;
}

static jg_rc start1(const char *doc, jg_entity_set *out, char *err, size_t errlen)
{
    jg_entity_set set;
    shipped(&set, &doc, 1);
    jg_rc rc = jg_definitions_load_active_from(db, &set, out, err, errlen);
    jg_entity_set_free(&set);
    return rc;
}

typedef struct {
    const char *const *docs;
    int n;
    int version;
} activation;

/* What the API's activation does to the tables and versions, for a custom doc of "thing". */
static jg_rc activate_tx(jg_conn *c, void *ud)
{
    activation *a = ud;
    jg_entity_set set;
    shipped(&set, a->docs, a->n);
    char err[512];
    jg_rc rc = jg_schema_sync_on(c, &set, 0, NULL, err, sizeof(err));
    jg_entity_set_free(&set);
    jg_value p[] = {JG_VTEXT("thing"), JG_VINT(a->version), JG_VTEXT(a->docs[0])};
    if (rc == JG_OK)
        rc = jg_db_exec(c, "UPDATE entity_def_version SET status = 'superseded' WHERE name = $1", p, 1, NULL);
    if (rc == JG_OK)
        rc = jg_db_exec(c,
                        "INSERT INTO entity_def_version (name, version, doc, status, source, created_at)"
                        " VALUES ($1, $2, $3, 'active', 'custom', '2026-11-25T00:00:00Z')",
                        p, 3, NULL);
    return rc;
}

static const char *versions(void)
{
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    assert_int_equal(jg_db_query(c,
                                 "SELECT version, status, source FROM entity_def_version WHERE name = 'thing'"
                                 " ORDER BY version",
                                 NULL, 0, &r),
                     JG_OK);
    jg_db_release(c);
    static char out[512];
    out[0] = '\0';
    for (int i = 0; i < jg_rows_count(r); i++) {
        size_t len = strlen(out);
        snprintf(out + len, sizeof(out) - len, "%s%s %s %s", i > 0 ? ", " : "", jg_rows_text(r, i, 0),
                 jg_rows_text(r, i, 1), jg_rows_text(r, i, 2));
    }
    jg_rows_free(r);
    return out;
}

static void custom_versions_and_shipped_ones(void **state)
{
    (void)state;
    char err[512] = "";
    jg_entity_set live;
    /* Nothing migrated: a server does not start. */
    assert_int_equal(start1(DOC(1, FA), &live, err, sizeof(err)), JG_CONFLICT);
    assert_non_null(strstr(err, "run `jianguan migrate`"));
    /* migrate: shipped version 1, recorded as active. */
    assert_int_equal(migrate1(DOC(1, FA), err, sizeof(err)), JG_OK);
    assert_string_equal(versions(), "1 active shipped");
    assert_int_equal(migrate1(DOC(1, FA), err, sizeof(err)), JG_OK); /* again: nothing new */
    assert_string_equal(versions(), "1 active shipped");

    /* A custom version 2 adds b; an entity "extra" exists only in the database. */
    const char *v2[] = {DOC(2, FA ", " FB),
                        "{\"name\": \"extra\", \"label\": \"附加\", \"fields\": [" FC "]}"};
    activation a = {v2, 2, 2};
    assert_int_equal(jg_db_tx(db, activate_tx, &a), JG_OK);
    assert_int_equal(start1(DOC(1, FA), &live, err, sizeof(err)), JG_OK);
    assert_int_equal(live.nentities, 2);
    assert_int_equal(live.entities[0].version, 2);
    assert_non_null(jg_entity_field(&live.entities[0], "b"));
    assert_string_equal(live.entities[1].name, "extra");
    jg_entity_set_free(&live);

    /* migrate with the shipped version 1 or another version 2: the custom one stays. */
    assert_int_equal(migrate1(DOC(1, FA), err, sizeof(err)), JG_OK);
    assert_int_equal(migrate1(DOC(2, FA ", " FC), err, sizeof(err)), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT version FROM entity_def WHERE name = 'thing'"), 2);
    assert_string_equal(versions(), "1 superseded shipped, 2 active custom");

    /* A shipped version 3 is newer: the server wants migrate first. */
    assert_int_equal(start1(DOC(3, FA ", " FB ", " FC), &live, err, sizeof(err)), JG_CONFLICT);
    assert_non_null(strstr(err, "newer than the active custom version 2"));
    /* One that drops the custom field is refused, and nothing changes. */
    assert_int_equal(migrate1(DOC(3, FA), err, sizeof(err)), JG_CONFLICT);
    assert_non_null(strstr(err, "thing.b: field removed"));
    assert_int_equal(db_scalar(db, "SELECT version FROM entity_def WHERE name = 'thing'"), 2);
    /* One that keeps it wins; a draft stays numbered above the active version. */
    db_exec_on_writer(db,
                      "INSERT INTO entity_def_version (name, version, doc, status, source, created_at)"
                      " VALUES ('thing', 3, '{}', 'draft', 'custom', '2026-11-25T00:00:00Z')",
                      JG_OK);
    assert_int_equal(migrate1(DOC(3, FA ", " FB ", " FC), err, sizeof(err)), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT version FROM entity_def WHERE name = 'thing'"), 3);
    assert_string_equal(versions(),
                        "1 superseded shipped, 2 superseded custom, 3 active shipped, 4 draft custom");
    assert_int_equal(start1(DOC(3, FA ", " FB ", " FC), &live, err, sizeof(err)), JG_OK);
    assert_non_null(jg_entity_field(&live.entities[0], "c"));
    jg_entity_set_free(&live);
    /* A shipped definition at another version than the active shipped one: migrate first. */
    assert_int_equal(start1(DOC(4, FA ", " FB ", " FC), &live, err, sizeof(err)), JG_CONFLICT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pin_keeps_one_snapshot_per_request),
        cmocka_unit_test(publishing_while_reading),
        cmocka_unit_test(diff_in_chinese),
        cmocka_unit_test_setup_teardown(custom_versions_and_shipped_ones, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
