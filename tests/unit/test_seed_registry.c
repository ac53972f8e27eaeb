/* Unit tests for src/platform/seed_registry.c on a migrated SQLite file: enterprises with valid
 * GB 32100 credit codes, persons whose sealed ID numbers open to valid GB 11643 numbers of their
 * region, masks and blind indexes that match, expired and valid qualifications and certificates,
 * the demo contractor's enterprise and projects, idempotence and determinism. */
#include "crypto/crypto.h"
#include "db/migrate.h"
#include "platform/idcheck.h"
#include "platform/keys.h"
#include "platform/seed.h"
#include "platform/seed_int.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

#define PROJECTS 60

static tmpdb t;
static jg_db *db;
static unsigned char key[JG_SM4_KEY_LEN];

static jg_db *open_seeded(tmpdb *where)
{
    tmpdb_make(where);
    jg_db *d = tmpdb_open(where, 2);
    int applied = 0;
    assert_int_equal(jg_migrate_up(d, &applied), JG_OK);
    db_sync_entities(d);
    assert_int_equal(jg_seed_demo(d, where->dir, PROJECTS), JG_OK);
    return d;
}

static void remove_all(jg_db *d, tmpdb *where)
{
    jg_db_close(d);
    char p[256];
    snprintf(p, sizeof(p), "%s/keys/field.key", where->dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/keys", where->dir);
    rmdir(p);
    tmpdir_remove(where->dir);
}

static int group_setup(void **state)
{
    (void)state;
    db = open_seeded(&t);
    /* The key the seed made: the server reads the same file. */
    return jg_keys_secret(t.dir, "field.key", key, sizeof(key)) == JG_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    remove_all(db, &t);
    return 0;
}

static jg_rows *query(jg_db *d, const char *sql)
{
    jg_rows *r;
    assert_int_equal(jg_db_read(d, sql, NULL, 0, &r), JG_OK);
    return r;
}

static void enterprises(void **state)
{
    (void)state;
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM enterprise"), 40);
    jg_rows *r = query(db, "SELECT credit_code, kinds, org_code, legal_rep FROM enterprise");
    static const char *const known = ",owner,contractor,supervisor_firm,lab,concrete_plant,cost_consultant,"
                                     "fire_service,crane_owner,";
    for (int i = 0; i < jg_rows_count(r); i++) {
        const char *code = jg_rows_text(r, i, 0);
        if (!jg_idcheck_credit_code(code))
            fail_msg("credit code %s fails GB 32100", code);
        /* The registering region is in the code: 91 | 350100 for 3501 | ... */
        char region[7];
        snprintf(region, sizeof(region), "%s0000", jg_rows_text(r, i, 2));
        assert_memory_equal(code + 2, region, 6);
        char kinds[128];
        snprintf(kinds, sizeof(kinds), "%s,", jg_rows_text(r, i, 1));
        for (char *k = kinds, *end; (end = strchr(k, ',')) != NULL; k = end + 1) {
            char word[40];
            snprintf(word, sizeof(word), ",%.*s,", (int)(end - k), k);
            if (strstr(known, word) == NULL)
                fail_msg("unknown kind %s", word);
        }
        assert_true(strlen(jg_rows_text(r, i, 3)) >= 6); /* two or three Chinese characters */
    }
    jg_rows_free(r);
    /* Several kinds, some enterprises with more than one; every region exists. */
    assert_true(db_scalar(db, "SELECT COUNT(DISTINCT kinds) FROM enterprise") >= 8);
    assert_true(db_scalar(db, "SELECT COUNT(*) FROM enterprise WHERE kinds LIKE '%,%'") >= 3);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM enterprise e WHERE NOT EXISTS"
                                   " (SELECT 1 FROM org o WHERE o.code = e.org_code)"),
                     0);
    assert_true(db_scalar(db, "SELECT COUNT(DISTINCT org_code) FROM enterprise") >= 9);
}

static void qualifications_and_certificates(void **state)
{
    (void)state;
    assert_true(db_scalar(db, "SELECT COUNT(*) FROM enterprise_qualification") >= 30);
    assert_true(
        db_scalar(db, "SELECT COUNT(*) FROM enterprise_qualification WHERE expires_on < '2026-01-01'") > 0);
    assert_true(
        db_scalar(db, "SELECT COUNT(*) FROM enterprise_qualification WHERE expires_on > '2027-01-01'") > 0);
    assert_true(db_scalar(db, "SELECT COUNT(*) FROM person_certificate") >= 150);
    assert_true(db_scalar(db, "SELECT COUNT(*) FROM person_certificate WHERE expires_on < '2025-01-01'") > 0);
    assert_true(db_scalar(db, "SELECT COUNT(*) FROM person_certificate WHERE expires_on > '2027-01-01'") > 0);
    /* Issued before they expire, never in the future of the demo data. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM person_certificate WHERE issued_on >= expires_on"
                                   " OR issued_on > '2026-01-01'"),
                     0);
    assert_int_equal(db_scalar(db,
                               "SELECT COUNT(*) FROM enterprise_qualification WHERE issued_on >= expires_on"
                               " OR issued_on > '2026-01-01'"),
                     0);
    /* Owners hold no qualification. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM enterprise_qualification q JOIN enterprise e"
                                   " ON e.id = q.enterprise_id WHERE e.kinds = 'owner'"),
                     0);
}

/* Open a sealed value, checking its mask and blind index; returns its length. */
static size_t open_value(const char *context, const char *field, const char *enc, const char *bidx,
                         const char *mask, char *out, size_t outlen)
{
    size_t n = 0;
    assert_int_equal(jg_sm4_open(key, context, enc, out, outlen - 1, &n), JG_OK);
    out[n] = '\0';
    char want_mask[32], want_bidx[JG_SM4_INDEX_LEN + 1];
    if (strcmp(field, "phone") == 0)
        jg_idcheck_mask_phone(out, want_mask);
    else
        jg_idcheck_mask(out, want_mask);
    assert_string_equal(mask, want_mask);
    assert_int_equal(jg_sm4_blind_index(key, field, out, n, want_bidx), JG_OK);
    assert_string_equal(bidx, want_bidx);
    /* Sealed for its own column: under the other context it does not open. */
    char other[32];
    size_t m;
    assert_int_equal(jg_sm4_open(key,
                                 strcmp(context, "person.phone") == 0 ? "person.id_number" : "person.phone",
                                 enc, other, sizeof(other), &m),
                     JG_DENIED);
    return n;
}

static void persons_are_sealed_and_valid(void **state)
{
    (void)state;
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM person"), 200);
    jg_rows *r =
        query(db, "SELECT p.id_number_enc, p.id_number_bidx, p.id_number_mask, p.phone_enc, p.phone_bidx,"
                  " p.phone_mask, p.gender, e.org_code, p.name FROM person p JOIN enterprise e"
                  " ON e.id = p.enterprise_id");
    assert_int_equal(jg_rows_count(r), 200);
    int phones = 0;
    for (int i = 0; i < jg_rows_count(r); i++) {
        char id[32];
        assert_int_equal(open_value("person.id_number", "id_number", jg_rows_text(r, i, 0),
                                    jg_rows_text(r, i, 1), jg_rows_text(r, i, 2), id, sizeof(id)),
                         18);
        if (!jg_idcheck_resident_id(id))
            fail_msg("%s fails GB 11643", id);
        /* Born 1965..2000, in a county of the employer's region, gender from the 17th digit. */
        assert_true(strncmp(id + 6, "1965", 4) >= 0 && strncmp(id + 6, "2000", 4) <= 0);
        const char *org = jg_rows_text(r, i, 7);
        assert_memory_equal(id, org, strlen(org));
        char county[7];
        snprintf(county, sizeof(county), "%.6s", id);
        jg_rows *o;
        jg_value p[] = {JG_VTEXT(county)};
        assert_int_equal(jg_db_read(db, "SELECT id FROM org WHERE code = $1 AND hidden = 0", p, 1, &o),
                         JG_OK);
        if (jg_rows_count(o) != 1)
            fail_msg("%s: no region %s", id, county);
        jg_rows_free(o);
        assert_string_equal(jg_rows_text(r, i, 6), (id[16] - '0') % 2 ? "M" : "F");
        if (jg_rows_text(r, i, 3) != NULL) {
            char phone[32];
            assert_int_equal(open_value("person.phone", "phone", jg_rows_text(r, i, 3), jg_rows_text(r, i, 4),
                                        jg_rows_text(r, i, 5), phone, sizeof(phone)),
                             11);
            assert_true(phone[0] == '1' && phone[1] >= '3' && phone[1] <= '9');
            phones++;
        }
    }
    jg_rows_free(r);
    assert_true(phones > 150 && phones < 200); /* most have a phone, a few none */
    assert_int_equal(db_scalar(db, "SELECT COUNT(DISTINCT id_number_bidx) FROM person"), 200);
}

static void the_demo_contractor(void **state)
{
    (void)state;
    /* The account is bound to its enterprise, which has staff and builds a few 鼓楼 projects. */
    assert_int_equal(db_scalar(db,
                               "SELECT COUNT(*) FROM app_user u JOIN enterprise e ON e.id = u.enterprise_id"
                               " WHERE u.username = 'contractor' AND e.name = '" JG_SEED_CONTRACTOR "'"),
                     1);
    assert_true(db_scalar(db, "SELECT COUNT(*) FROM person p JOIN enterprise e ON e.id = p.enterprise_id"
                              " WHERE e.name = '" JG_SEED_CONTRACTOR "'") >= 3);
    int64_t mine =
        db_scalar(db, "SELECT COUNT(*) FROM project_party pp JOIN enterprise e ON e.id = pp.enterprise_id"
                      " WHERE e.name = '" JG_SEED_CONTRACTOR "'");
    int64_t rival =
        db_scalar(db, "SELECT COUNT(*) FROM project_party pp JOIN enterprise e ON e.id = pp.enterprise_id"
                      " WHERE e.name = '" JG_SEED_CONTRACTOR2 "'");
    assert_true(mine >= 3 && mine <= 10);
    assert_true(rival >= 3);
    assert_int_equal(
        db_scalar(db, "SELECT COUNT(*) FROM project p JOIN project_party pp ON pp.project_id = p.id"
                      " JOIN enterprise e ON e.id = pp.enterprise_id WHERE e.name IN ('" JG_SEED_CONTRACTOR
                      "', '" JG_SEED_CONTRACTOR2 "') AND p.org_code <> '" JG_SEED_GULOU "'"),
        0);
    /* No project has both. */
    assert_int_equal(
        db_scalar(db, "SELECT COUNT(*) FROM project WHERE contractor_name = '" JG_SEED_CONTRACTOR "'"), mine);
}

static void project_parties(void **state)
{
    (void)state;
    /* Every project has its contractor and supervisor, and the owner when it is a registry one. */
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project_party WHERE role = 'contractor'"), PROJECTS);
    assert_int_equal(db_scalar(db, "SELECT COUNT(*) FROM project_party WHERE role = 'supervisor_firm'"),
                     PROJECTS);
    int64_t owners = db_scalar(db, "SELECT COUNT(*) FROM project_party WHERE role = 'owner'");
    assert_true(owners > 0 && owners < PROJECTS);
    assert_int_equal(
        db_scalar(db, "SELECT COUNT(*) FROM project_party pp JOIN project p ON p.id = pp.project_id"
                      " JOIN enterprise e ON e.id = pp.enterprise_id WHERE (pp.role = 'contractor'"
                      " AND e.name <> p.contractor_name) OR (pp.role = 'owner' AND e.name <> p.owner_name)"
                      " OR (pp.role = 'supervisor_firm' AND e.name <> p.supervisor_firm_name)"),
        0);
}

static void seeding_again_adds_nothing(void **state)
{
    (void)state;
    const char *counts[] = {"SELECT COUNT(*) FROM enterprise",
                            "SELECT COUNT(*) FROM enterprise_qualification", "SELECT COUNT(*) FROM person",
                            "SELECT COUNT(*) FROM person_certificate", "SELECT COUNT(*) FROM project_party"};
    int64_t before[5];
    for (int i = 0; i < 5; i++)
        before[i] = db_scalar(db, counts[i]);
    assert_int_equal(jg_seed_demo(db, t.dir, PROJECTS), JG_OK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(db_scalar(db, counts[i]), before[i]);
}

/* The plain values of every person, in a fixed order, as one text. */
static void plain_persons(jg_db *d, const unsigned char *k, char *out, size_t outlen)
{
    jg_rows *r = query(d, "SELECT p.name, p.id_number_enc, e.credit_code FROM person p JOIN enterprise e"
                          " ON e.id = p.enterprise_id ORDER BY p.id_number_mask, p.name");
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < jg_rows_count(r); i++) {
        char id[32];
        size_t n = 0;
        assert_int_equal(jg_sm4_open(k, "person.id_number", jg_rows_text(r, i, 1), id, sizeof(id) - 1, &n),
                         JG_OK);
        id[n] = '\0';
        len += (size_t)snprintf(out + len, outlen - len, "%s %s %s\n", jg_rows_text(r, i, 0), id,
                                jg_rows_text(r, i, 2));
        assert_true(len < outlen);
    }
    jg_rows_free(r);
}

static void same_data_elsewhere(void **state)
{
    (void)state;
    tmpdb t2;
    jg_db *db2 = open_seeded(&t2);
    unsigned char key2[JG_SM4_KEY_LEN];
    assert_int_equal(jg_keys_secret(t2.dir, "field.key", key2, sizeof(key2)), JG_OK);
    assert_memory_not_equal(key, key2, sizeof(key)); /* every installation has its own key */
    static char a[64 * 1024], b[64 * 1024];
    plain_persons(db, key, a, sizeof(a));
    plain_persons(db2, key2, b, sizeof(b));
    assert_string_equal(a, b);
    /* Sealed differently (own key, fresh IVs): the stored tokens differ. */
    assert_int_equal(db_scalar(db2, "SELECT COUNT(*) FROM person"), 200);
    remove_all(db2, &t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(enterprises),
        cmocka_unit_test(qualifications_and_certificates),
        cmocka_unit_test(persons_are_sealed_and_valid),
        cmocka_unit_test(the_demo_contractor),
        cmocka_unit_test(project_parties),
        cmocka_unit_test(seeding_again_adds_nothing),
        cmocka_unit_test(same_data_elsewhere),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
