/* Unit tests for src/platform/seed.c on a migrated SQLite file: the Fujian administrative tree
 * (with Pingtan and Kinmen special cases), demo accounts, and deterministic idempotent projects. */
#include "base/embed.h"
#include "base/timeutil.h"
#include "crypto/crypto.h"
#include "db/migrate.h"
#include "platform/seed.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

static tmpdb t;
static jg_db *db;

static jg_db *open_migrated(tmpdb *where)
{
    tmpdb_make(where);
    jg_db *d = tmpdb_open(where, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(d, &applied), JG_OK);
    assert_int_equal(applied, jg_migrate_latest());
    db_sync_entities(d);
    return d;
}

/* Remove the field key seeding made under dir (tmpdir_remove leaves subdirectories). */
static void remove_keys(const char *dir)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/keys/field.key", dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/keys", dir);
    rmdir(p);
}

/* Seeding hashes the demo passwords (slow on purpose), so the group seeds once. */
static int group_setup(void **state)
{
    (void)state;
    db = open_migrated(&t);
    return jg_seed_demo(db, t.dir, 50) == JG_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    jg_db_close(db);
    remove_keys(t.dir);
    tmpdir_remove(t.dir);
    return 0;
}

struct org {
    char name[64], level[16], parent[16];
    int has_parent;
    int64_t hidden;
};

static int find_org(const char *code, struct org *o)
{
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    jg_value p[] = {JG_VTEXT(code)};
    assert_int_equal(
        jg_db_query(c, "SELECT name, level, parent_code, hidden FROM org WHERE code = $1", p, 1, &r), JG_OK);
    jg_db_release(c);
    int found = jg_rows_count(r) == 1;
    if (found) {
        snprintf(o->name, sizeof(o->name), "%s", jg_rows_text(r, 0, 0));
        snprintf(o->level, sizeof(o->level), "%s", jg_rows_text(r, 0, 1));
        o->has_parent = jg_rows_type(r, 0, 2) != JG_V_NULL;
        snprintf(o->parent, sizeof(o->parent), "%s", o->has_parent ? jg_rows_text(r, 0, 2) : "");
        o->hidden = jg_rows_int(r, 0, 3);
    }
    jg_rows_free(r);
    return found;
}

static void province_city_county(void **state)
{
    (void)state;
    struct org o;
    assert_true(find_org("35", &o));
    assert_string_equal(o.name, "福建省");
    assert_string_equal(o.level, "province");
    assert_false(o.has_parent);
    assert_int_equal(o.hidden, 0);

    assert_true(find_org("3501", &o));
    assert_string_equal(o.name, "福州市");
    assert_string_equal(o.level, "city");
    assert_string_equal(o.parent, "35");

    assert_true(find_org("3502", &o));
    assert_string_equal(o.name, "厦门市");
    assert_string_equal(o.level, "city");
    assert_string_equal(o.parent, "35");

    assert_true(find_org("350102", &o));
    assert_string_equal(o.name, "鼓楼区");
    assert_string_equal(o.level, "county");
    assert_string_equal(o.parent, "3501");
    assert_int_equal(o.hidden, 0);

    /* Six-digit GB/T 2260 codes are stored without trailing zero pairs. */
    assert_false(find_org("350000", &o));
    assert_false(find_org("350100", &o));
}

static void pingtan_and_kinmen(void **state)
{
    (void)state;
    struct org o;
    /* 平潭: a county code under Fuzhou, run as a city-level unit directly under the province. */
    assert_true(find_org("350128", &o));
    assert_string_equal(o.name, "平潭综合实验区"); /* its name as a city-level unit, not 平潭县 */
    assert_string_equal(o.level, "city");
    assert_string_equal(o.parent, "35");
    assert_int_equal(o.hidden, 0);
    /* 金门: kept for the data but hidden from pickers. */
    assert_true(find_org("350527", &o));
    assert_string_equal(o.name, "金门县");
    assert_string_equal(o.level, "county");
    assert_string_equal(o.parent, "3505");
    assert_int_equal(o.hidden, 1);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org WHERE hidden <> 0"), 1);
}

static void departments(void **state)
{
    (void)state;
    /* A bureau and a supervision station for every region but the hidden one. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM department"),
                     2 * db_scalar(db, "SELECT COUNT(*) FROM org WHERE hidden = 0"));
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM department WHERE code = '35-station'"
                                   " AND name = '福建省建设工程质量安全监督总站'"),
                     1);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM department WHERE code = '3501-bureau'"
                                   " AND name = '福州市住房和城乡建设局'"),
                     1);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM department WHERE org_code = '350527'"), 0);
}

static int csv_rows(void)
{
    for (const jg_embedded_file *f = jg_embedded_defs; f->name != NULL; f++) {
        if (strcmp(f->name, "divisions.csv") != 0)
            continue;
        int lines = 0;
        for (size_t i = 0; i < f->len; i++)
            lines += f->data[i] == '\n';
        if (f->len > 0 && f->data[f->len - 1] != '\n')
            lines++;
        return lines - 1; /* header */
    }
    fail_msg("divisions.csv is not embedded");
    return 0;
}

static void whole_tree_is_consistent(void **state)
{
    (void)state;
    /* Every CSV row plus the province itself. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org"), csv_rows() + 1);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org WHERE level = 'province'"), 1);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org WHERE level = 'city' AND length(code) = 4"), 9);
    /* Every parent exists; cities hang under the province, counties under a city with their prefix. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org o WHERE parent_code IS NOT NULL"
                                   " AND NOT EXISTS (SELECT 1 FROM org p WHERE p.code = o.parent_code)"),
                     0);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org WHERE level = 'city' AND parent_code <> '35'"),
                     0);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org WHERE level = 'county'"
                                   " AND (length(code) <> 6 OR parent_code <> substr(code, 1, 4))"),
                     0);
}

static void accounts(void **state)
{
    (void)state;
    int n = 0;
    for (const jg_demo_account *a = jg_demo_accounts; a->username != NULL; a++)
        n++;
    assert_true(n >= 1);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM app_user"), n);
    /* Every account's region exists. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM app_user u JOIN org o ON o.code = u.org_code"), n);
    /* Passwords are stored hashed, and the documented demo password verifies. */
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    jg_value p[] = {JG_VTEXT(jg_demo_accounts[0].username)};
    assert_int_equal(
        jg_db_query(c, "SELECT password_hash, role, org_code FROM app_user WHERE username = $1", p, 1, &r),
        JG_OK);
    jg_db_release(c);
    assert_int_equal(jg_rows_count(r), 1);
    const char *stored = jg_rows_text(r, 0, 0);
    assert_int_equal(strncmp(stored, "pbkdf2-sm3$", 11), 0);
    assert_null(strstr(stored, jg_demo_accounts[0].password));
    assert_int_equal(jg_password_verify(jg_demo_accounts[0].password, stored), JG_OK);
    assert_int_equal(jg_password_verify("wrong", stored), JG_DENIED);
    assert_string_equal(jg_rows_text(r, 0, 1), jg_demo_accounts[0].role);
    assert_string_equal(jg_rows_text(r, 0, 2), jg_demo_accounts[0].org_code);
    jg_rows_free(r);
}

static void fifty_projects_in_counties(void **state)
{
    (void)state;
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project"), 50);
    /* Every project's region is a visible county (six digits), never a city, Pingtan or Kinmen. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project p JOIN org o ON o.code = p.org_code"
                                   " WHERE o.level = 'county' AND o.hidden = 0 AND length(p.org_code) = 6"),
                     50);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project WHERE org_code IN ('350128', '350527')"), 0);
    assert_int_equal(db_scalar(db, "SELECT COUNT(DISTINCT code) FROM project"), 50);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project WHERE status NOT IN"
                                   " ('registered', 'under_construction', 'suspended', 'completed')"),
                     0);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project WHERE version <> 1 OR area_m2 <= 0"
                                   " OR cost_wan <= 0 OR name = '' OR address = ''"),
                     0);
}

static void registration_dates(void **state)
{
    (void)state;
    jg_conn *c;
    jg_rows *r;
    assert_int_equal(jg_db_acquire(db, 0, &c), JG_OK);
    assert_int_equal(jg_db_query(c, "SELECT code, registered_on FROM project", NULL, 0, &r), JG_OK);
    jg_db_release(c);
    assert_int_equal(jg_rows_count(r), 50);
    for (int i = 0; i < jg_rows_count(r); i++) {
        const char *d = jg_rows_text(r, i, 1);
        if (!jg_time_valid_date(d))
            fail_msg("project %s registered on invalid date %s", jg_rows_text(r, i, 0), d);
        if (strcmp(d, "2026-11-25") > 0)
            fail_msg("project %s registered in the future: %s", jg_rows_text(r, i, 0), d);
        if (strcmp(d, "2016-01-01") < 0)
            fail_msg("project %s registered before 2016: %s", jg_rows_text(r, i, 0), d);
    }
    jg_rows_free(r);
}

static void seeding_again_adds_nothing(void **state)
{
    (void)state;
    int64_t orgs = db_scalar(db, "SELECT COUNT(*) FROM org");
    int64_t users = db_scalar(db, "SELECT COUNT(*) FROM app_user");
    assert_int_equal(jg_seed_demo(db, t.dir, 50), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project"), 50);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM org"), orgs);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM app_user"), users);
    /* Fewer asked for: nothing removed. */
    assert_int_equal(jg_seed_demo(db, t.dir, 10), JG_OK);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project"), 50);
}

static void same_n_gives_same_rows(void **state)
{
    (void)state;
    tmpdb t2;
    jg_db *db2 = open_migrated(&t2);
    assert_int_equal(jg_seed_demo(db2, t2.dir, 50), JG_OK);
    const char *sql =
        "SELECT code, name, org_code, status, registered_on, area_m2, cost_wan FROM project ORDER BY code";
    jg_conn *c1, *c2;
    jg_rows *r1, *r2;
    assert_int_equal(jg_db_acquire(db, 0, &c1), JG_OK);
    assert_int_equal(jg_db_acquire(db2, 0, &c2), JG_OK);
    assert_int_equal(jg_db_query(c1, sql, NULL, 0, &r1), JG_OK);
    assert_int_equal(jg_db_query(c2, sql, NULL, 0, &r2), JG_OK);
    jg_db_release(c1);
    jg_db_release(c2);
    assert_int_equal(jg_rows_count(r1), 50);
    assert_int_equal(jg_rows_count(r2), 50);
    for (int i = 0; i < 50; i++)
        for (int k = 0; k < jg_rows_ncols(r1); k++)
            assert_string_equal(jg_rows_text(r1, i, k), jg_rows_text(r2, i, k));
    jg_rows_free(r1);
    jg_rows_free(r2);
    jg_db_close(db2);
    remove_keys(t2.dir);
    tmpdir_remove(t2.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(province_city_county),
        cmocka_unit_test(pingtan_and_kinmen),
        cmocka_unit_test(departments),
        cmocka_unit_test(whole_tree_is_consistent),
        cmocka_unit_test(accounts),
        cmocka_unit_test(fifty_projects_in_counties),
        cmocka_unit_test(registration_dates),
        cmocka_unit_test(seeding_again_adds_nothing),
        cmocka_unit_test(same_n_gives_same_rows),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
