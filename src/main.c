/* jianguan: one binary, several verbs (serve, migrate, seed-demo, backup, restore, version, help). */
#include "base/config.h"
#include "base/log.h"
#include "base/text.h"
#include "base/version.h"
#include "db/db.h"
#include "db/migrate.h"
#include "engine/entity/def.h"
#include "engine/entity/definitions.h"
#include "engine/entity/schema.h"
#include "engine/flow/deploy.h"
#include "engine/flow/timers.h"
#include "engine/rule/rule.h"
#include "http/http.h"
#include "platform/admin_cli.h"
#include "platform/audit.h"
#include "platform/dict.h"
#include "platform/keys.h"
#include "platform/regions.h"
#include "platform/roles.h"
#include "platform/seed.h"
#include "video/video.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_DEMO_PROJECTS 300

static void usage(FILE *out)
{
    fprintf(out,
            "usage: jianguan [--config FILE] VERB [ARGS]\n"
            "\n"
            "verbs:\n"
            "  serve                     serve the API and web UI until SIGTERM/SIGINT\n"
            "  migrate                   bring the database schema up to date\n"
            "  seed-demo [--projects N]  add demo regions, accounts and N projects (default %d)\n"
            "  seed-demo --scale county|city|province [--seed N]   and registry and 项目报监 records at\n"
            "                            1/100, 1/10 or all of provincial scale (docs/demo-data.md)\n"
            "  backup FILE               write a consistent copy of the database to FILE\n"
            "  restore FILE              replace the database's contents with FILE\n"
            "  audit-verify              check the audit log's hash chain; exit 1 at the first broken link\n"
            "  admin-password ROLE       create the 三员 account of ROLE (platform_admin, security_admin,\n"
            "                            auditor) or reset its password; prints a one-time password\n"
            "  video                     run the GB/T 28181 SIP signalling service until SIGTERM/SIGINT\n"
            "  rules bench --rule F --facts F [--params F] [--n N]   rule engine evaluations per second\n"
            "  flow-tick --at ISO        fire the workflow timers due at that instant, once (tests' clock)\n"
            "  version                   print the version\n"
            "  help [config]             print this text, or the configuration keys\n"
            "\n"
            "Configuration: jianguan.conf (or --config FILE), then JIANGUAN_* variables.\n",
            DEFAULT_DEMO_PROJECTS);
}

static void print_config_keys(void)
{
    for (size_t i = 0; jg_config_key_at(i) != NULL; i++) {
        const jg_config_key *k = jg_config_key_at(i);
        printf("%-24s default %-26s %s\n", k->key, *k->fallback != '\0' ? k->fallback : "\"\"", k->doc);
    }
}

/* Make the directory that will hold a SQLite file, so a fresh checkout just works. */
static void make_parent_dir(const char *url)
{
    if (strncmp(url, "sqlite:", 7) != 0)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s", url + 7);
    char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return;
    *slash = '\0';
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        jg_warn("cannot create directory %s", path);
}

static jg_rc open_db(const jg_config *cfg, jg_db **db)
{
    make_parent_dir(cfg->database);
    jg_db_options opt = {(int)cfg->db_pool_size, (int)cfg->db_acquire_timeout_ms, (int)cfg->db_busy_retries,
                         (int)cfg->request_timeout_s * 1000};
    char err[256] = "";
    jg_rc rc = jg_db_open(cfg->database, &opt, db, err, sizeof(err));
    if (rc != JG_OK)
        fprintf(stderr, "jianguan: %s\n", err);
    return rc;
}

static int cmd_serve(const jg_config *cfg, jg_db *db)
{
    int have = 0;
    jg_rc rc = jg_migrate_current(db, &have);
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: cannot read the schema version: database unavailable\n");
        return 1;
    }
    if (have > jg_migrate_latest()) {
        fprintf(
            stderr,
            "jianguan: the database (schema %d) is newer than this binary (schema %d); refusing to start\n",
            have, jg_migrate_latest());
        return 1;
    }
    if (have < jg_migrate_latest()) {
        fprintf(stderr, "jianguan: the database schema is %d, this binary needs %d: run `jianguan migrate`\n",
                have, jg_migrate_latest());
        return 1;
    }
    jg_app app;
    rc = jg_app_init(&app, cfg, db);
    if (rc == JG_OK)
        rc = jg_server_run(&app);
    jg_app_exit(&app);
    return rc == JG_OK ? 0 : 1;
}

/* The tables of the entity definitions compiled in (destructive changes are refused), custom
 * versions activated at run time kept as definitions.h says. */
static jg_rc sync_entities(jg_db *db)
{
    char err[512] = "";
    jg_rc rc = jg_definitions_migrate(db, err, sizeof(err));
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: entity definitions: %s\n", err);
        return JG_ERR;
    }
    return JG_OK;
}

/* The processes compiled in (defs/<subsystem>/<key>.bpmn): a changed one becomes a new version. */
static jg_rc sync_processes(jg_db *db)
{
    char err[640] = "";
    jg_rc rc = jg_flow_sync_shipped(db, err, sizeof(err));
    if (rc != JG_OK)
        fprintf(stderr, "jianguan: processes: %s\n", err[0] != '\0' ? err : jg_rc_name(rc));
    return rc == JG_OK ? JG_OK : JG_ERR;
}

static int cmd_migrate(jg_db *db)
{
    int applied = 0;
    jg_rc rc = jg_migrate_up(db, &applied);
    if (rc == JG_OK)
        rc = jg_regions_sync(db); /* reference data every installation has */
    if (rc == JG_OK)
        rc = jg_roles_sync(db);
    if (rc == JG_OK)
        rc = jg_dict_sync(db); /* built-in dictionaries */
    if (rc == JG_OK)
        rc = sync_entities(db);
    if (rc == JG_OK)
        rc = sync_processes(db);
    if (rc == JG_OK)
        rc = jg_rule_sync_shipped(db); /* defs/rules: the default scoring rule */
    if (rc == JG_CONFLICT) {
        fprintf(stderr, "jianguan: the database is newer than this binary; nothing done\n");
        return 1;
    }
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: migration failed (%s)\n", jg_rc_name(rc));
        return 1;
    }
    printf("schema at version %d (%d migrations applied)\n", jg_migrate_latest(), applied);
    return 0;
}

static int cmd_seed(const jg_config *cfg, jg_db *db, long projects, int divisor, int64_t seed)
{
    jg_rc rc = jg_seed_demo(db, cfg->data_dir, projects);
    if (rc == JG_OK && divisor > 0)
        rc = jg_seed_scale(db, cfg->data_dir, divisor, (uint64_t)seed);
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: seeding failed (%s); run `jianguan migrate` first?\n", jg_rc_name(rc));
        return 1;
    }
    printf("demo data ready (%ld projects). Demo accounts:\n\n", projects);
    jg_seed_print_accounts(stdout);
    return 0;
}

static int cmd_audit_verify(const jg_config *cfg, jg_db *db)
{
    unsigned char key[JG_AUDIT_KEY_LEN];
    jg_rc rc = jg_keys_secret(cfg->data_dir, "audit.key", key, sizeof(key));
    int64_t rows = 0, bad = 0;
    if (rc == JG_OK)
        rc = jg_audit_verify(db, key, &rows, &bad);
    OPENSSL_cleanse(key, sizeof(key));
    if (rc == JG_CONFLICT) {
        if (bad > 0)
            printf("audit log BROKEN at row %lld: changed, removed or inserted behind the server's back\n",
                   (long long)bad);
        else
            printf("audit log BROKEN: rows missing at its end (%lld rows chain correctly)\n",
                   (long long)rows);
        return 1;
    }
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: audit-verify failed (%s)\n", jg_rc_name(rc));
        return 1;
    }
    printf("audit log intact: %lld rows\n", (long long)rows);
    return 0;
}

static int cmd_admin_password(const jg_config *cfg, jg_db *db, const char *role)
{
    char username[JG_ADMIN_USERNAME_MAX + 1], password[JG_PASSWORD_INITIAL_LEN + 1];
    jg_rc rc = jg_admin_password(db, cfg->data_dir, role, username, password);
    if (rc == JG_INVALID) {
        fprintf(stderr, "jianguan: ROLE must be platform_admin, security_admin or auditor\n");
        return 2;
    }
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: admin-password failed (%s)\n", jg_rc_name(rc));
        return 1;
    }
    printf("account %s (%s): one-time password %s\nIt must be changed at the first login.\n", username, role,
           password);
    OPENSSL_cleanse(password, sizeof(password));
    return 0;
}

/* The video service: same schema check as serve; per-device passwords are sealed with the field key. */
static int cmd_video(const jg_config *cfg, jg_db *db)
{
    int have = 0;
    if (jg_migrate_current(db, &have) != JG_OK || have != jg_migrate_latest()) {
        fprintf(stderr, "jianguan: the database schema is %d, this binary needs %d: run `jianguan migrate`\n",
                have, jg_migrate_latest());
        return 1;
    }
    unsigned char key[JG_VIDEO_FIELD_KEY_LEN];
    jg_rc rc = jg_keys_secret(cfg->data_dir, "field.key", key, sizeof(key));
    if (rc == JG_OK)
        rc = jg_video_run(cfg, db, key);
    OPENSSL_cleanse(key, sizeof(key));
    return rc == JG_OK ? 0 : 1;
}

static int cmd_copy(jg_db *db, const char *file, int restore)
{
    jg_rc rc = restore ? jg_db_restore(db, file) : jg_db_backup(db, file);
    if (rc != JG_OK) {
        fprintf(stderr, "jianguan: %s failed (%s)\n", restore ? "restore" : "backup", jg_rc_name(rc));
        return 1;
    }
    printf("%s %s\n", restore ? "restored from" : "backed up to", file);
    return 0;
}

/* Parse the arguments after the verb. Returns 0 when they fit the verb, else -1. */
static int verb_args(const char *verb, int argc, char **argv, long *projects, int *divisor, int64_t *seed,
                     const char **file)
{
    if (strcmp(verb, "seed-demo") == 0) {
        for (int i = 0; i < argc; i += 2) {
            int64_t n;
            if (i + 1 >= argc)
                return -1;
            if (strcmp(argv[i], "--scale") == 0) {
                const char *v = argv[i + 1];
                *divisor = strcmp(v, "province") == 0 ? 1
                           : strcmp(v, "city") == 0   ? 10
                           : strcmp(v, "county") == 0 ? 100
                                                      : 0;
                if (*divisor == 0)
                    return -1;
            } else if (strcmp(argv[i], "--projects") == 0 || strcmp(argv[i], "--seed") == 0) {
                if (jg_parse_int64(argv[i + 1], 0, 100000000, &n) != JG_OK)
                    return -1;
                if (strcmp(argv[i], "--seed") == 0)
                    *seed = n;
                else
                    *projects = (long)n;
            } else {
                return -1;
            }
        }
        return 0;
    }
    if (strcmp(verb, "backup") == 0 || strcmp(verb, "restore") == 0 || strcmp(verb, "admin-password") == 0) {
        if (argc != 1 || argv[0][0] == '-')
            return -1;
        *file = argv[0];
        return 0;
    }
    return argc == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *config_path = NULL;
    int i = 1;
    while (i < argc && strncmp(argv[i], "-", 1) == 0) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "jianguan: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *verb = argv[i++];
    if (strcmp(verb, "rules") == 0) /* rules bench: the rule engine's benchmark driver (bench/rules.sh) */
        return jg_rule_cli(argc - i, argv + i);
    if (strcmp(verb, "flow-tick") == 0) /* fire the workflow timers due at --at ISO (tests' clock) */
        return jg_flow_tick_cli(config_path, argc - i, argv + i);
    static const char *const verbs[] = {"serve",   "migrate", "seed-demo",    "backup",         "restore",
                                        "version", "help",    "audit-verify", "admin-password", "video"};
    int known = 0;
    for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
        known |= strcmp(verb, verbs[k]) == 0;
    if (!known) {
        fprintf(stderr, "jianguan: unknown verb %s\n", verb);
        usage(stderr);
        return 2;
    }
    if (strcmp(verb, "help") == 0) {
        if (i < argc && strcmp(argv[i], "config") == 0)
            print_config_keys();
        else
            usage(stdout);
        return 0;
    }
    long projects = DEFAULT_DEMO_PROJECTS;
    int divisor = 0;     /* seed-demo --scale: 1/divisor of provincial scale, 0 without */
    int64_t seed_no = 1; /* seed-demo --seed */
    const char *file = NULL;
    if (verb_args(verb, argc - i, argv + i, &projects, &divisor, &seed_no, &file) != 0) {
        fprintf(stderr, "jianguan: bad arguments for %s\n", verb);
        usage(stderr);
        return 2;
    }
    if (strcmp(verb, "version") == 0) {
        printf("jianguan %s (%s), schema %d\n", JG_VERSION, JG_COMMIT, jg_migrate_latest());
        return 0;
    }

    jg_config cfg;
    char err[512] = "";
    if (jg_config_load(&cfg, config_path, err, sizeof(err)) != JG_OK) {
        fprintf(stderr, "jianguan: %s\n", err);
        jg_config_free(&cfg);
        return 2;
    }
    int level = jg_log_level_parse(cfg.log_level);
    jg_log_set_level(level < 0 ? JG_LOG_INFO : (jg_log_level)level);
    jg_db *db = NULL;
    int status = 1;
    if (open_db(&cfg, &db) == JG_OK) {
        if (strcmp(verb, "serve") == 0)
            status = cmd_serve(&cfg, db);
        else if (strcmp(verb, "migrate") == 0)
            status = cmd_migrate(db);
        else if (strcmp(verb, "seed-demo") == 0)
            status = cmd_seed(&cfg, db, projects, divisor, seed_no);
        else if (strcmp(verb, "audit-verify") == 0)
            status = cmd_audit_verify(&cfg, db);
        else if (strcmp(verb, "admin-password") == 0)
            status = cmd_admin_password(&cfg, db, file);
        else if (strcmp(verb, "video") == 0)
            status = cmd_video(&cfg, db);
        else
            status = cmd_copy(db, file, strcmp(verb, "restore") == 0);
    }
    jg_db_close(db);
    jg_config_free(&cfg);
    return status;
}
