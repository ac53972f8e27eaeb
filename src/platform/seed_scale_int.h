/* What the two halves of the provincial-scale demo data share (seed_scale.c: regions, bulk
 * INSERTs and 项目报监 records; seed_scale_registry.c: enterprises, persons and certificates).
 * Not a public API: only these two files include it. */
#ifndef JG_SEED_SCALE_INT_H
#define JG_SEED_SCALE_INT_H
#include "base/arena.h"
#include "db/db.h"
#include "platform/regions.h"

#include <stdint.h>

#define STAFF 10        /* persons of each enterprise: person j works for enterprise j % E */
#define MAX_PARAMS 2000 /* bound values of one INSERT (more: SQLite binds $N names in quadratic time) */
#define CREATED_AT_TIME "T09:30:00.000Z"
#define PICK(st, list) (list[next(st) % (sizeof(list) / sizeof(list[0]))])
#define COUNT(list) ((long)(sizeof(list) / sizeof(list[0])))
/* The statements of jg_scale_new_ids and jg_scale_max_id for a table (a literal, never input). */
#define NEW_IDS_SQL(table) "SELECT id FROM " table " WHERE id > $1 ORDER BY id"
#define MAX_ID_SQL(table) "SELECT COALESCE(MAX(id), 0) FROM " table

/* Enterprise kinds; enterprise e is of kind_of_slot[e % 20] (seed_scale_registry.c). */
enum { K_CONTRACTOR, K_SUPERVISOR, K_OWNER, K_DESIGNER, K_SURVEYOR, K_LAB };

/* A county (or 平潭) where demo data is placed, with the cumulative weight up to it. */
struct county {
    const jg_region *r;
    const char *city; /* the city's code (平潭: its own) */
    uint64_t cum;     /* cumulative weight */
};

/* One run of jg_seed_scale: the sizes, the pools and the ids of what was inserted. */
struct scale {
    jg_db *db;
    const unsigned char *key; /* the field key: seals as the server does */
    uint64_t seed;
    long ne, np, nr; /* enterprises, persons, projects */
    long npool;      /* project managers = chief supervisors available */
    long *pm, *cs;   /* person numbers of the pools */
    long *owners;    /* enterprise numbers of owners, designers, surveyors */
    long nowners, ndesigners, nsurveyors;
    long *designers, *surveyors;
    int64_t *ent_id, *person_id; /* database ids by enterprise and person number */
    jg_region *regions;
    int nregions;
    struct county *counties;
    int ncounties;
    uint64_t total; /* the sum of the counties' weights */
    /* seed_scale_flow.c: the days of flow_calendar (holidays 'h', weekend days worked 'w') */
    long *cal_day;
    char *cal_kind;
    int ncal;
    int64_t definition_id; /* the latest registration process */
    int32_t *regno;        /* by project number: its registration number in its series, 0: none */
};

/* States of a 项目报监 record at the demo's "now" (registration.bpmn). */
enum { ST_DRAFT, ST_SUBMITTED, ST_ACCEPTED, ST_RETURNED, ST_REGISTERED };

#define MAX_UNITS 6

/* Everything about project k, drawn from its own generator (seed_scale.c), and where the process
 * has got to (seed_scale_flow.c): days since 1962-01-01 of each step, -1 for steps not taken. */
struct proj {
    const struct county *co;
    const char *kind, *name, *place;
    long pm, cs, owner, designer, surveyor, owner_lead, applicant;
    long start, length, declared;
    int draft, nunits, nhazards, street;
    int64_t area[MAX_UNITS], total, cost;
    char phone[12];
    int state;                     /* ST_* */
    int accept_days, correct_days; /* the process's durations, drawn with the rest */
    int accept2_days, register_days, permit_days, returned, reason;
    long returned_on, resubmitted_on, accepted_on, registered_on; /* -1: not (yet) */
};

/* A multi-row INSERT being filled: head VALUES (...), (...) tail. */
struct bulk {
    const char *head, *tail;
    int cols, rows, max_rows;
    jg_value *v;
};

/* A person as generated (plain ID number and phone: cleanse after use). */
struct pinfo {
    const char *name;
    char id_number[19], phone[12];
    int male;
};

/* splitmix64, as in seed.c: the same rows on every machine. */
static inline uint64_t next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The generator state of row i of table `tag`: each row draws from its own stream. */
static inline uint64_t rng(const struct scale *s, uint64_t tag, long i)
{
    return (s->seed * 0xD1B54A32D192ED03ULL) ^ (tag * 0x9E3779B97F4A7C15ULL) ^
           ((uint64_t)i * 0xA24BAED4963EE407ULL);
}

/* seed_scale.c */
/* The region of code, or NULL. */
const jg_region *jg_scale_find_region(const struct scale *s, const char *code);
/* A county drawn by weight. Cannot fail (s->total > 0). */
const struct county *jg_scale_pick_county(const struct scale *s, uint64_t *st);
/* The name without 市/区/县 (福州市 -> 福州; 平潭综合实验区 -> 平潭), in a (or static). */
const char *jg_scale_short_name(jg_arena *a, const char *name);
/* Start an INSERT of cols columns; its values live in a. Cannot fail. */
void jg_scale_bulk_init(struct bulk *b, jg_arena *a, const char *head, int cols, const char *tail);
/* Run the INSERT of the rows added so far (none: nothing) and start again. Fails as jg_db_exec. */
jg_rc jg_scale_bulk_flush(struct bulk *b, jg_conn *c);
/* The cols values of a new row; flushes first when full. NULL with *rc set if that failed. */
jg_value *jg_scale_bulk_row(struct bulk *b, jg_conn *c, jg_rc *rc);
/* The ids of the n rows inserted after `after` (sql: NEW_IDS_SQL), in order; JG_ERR if there are
 * not exactly n. */
jg_rc jg_scale_new_ids(jg_conn *c, const char *sql, int64_t after, long n, int64_t *ids);
/* The largest id of a table (sql: MAX_ID_SQL), 0 when empty. */
jg_rc jg_scale_max_id(jg_conn *c, const char *sql, int64_t *out);

/* seed_scale_registry.c */
/* A mobile number drawn from st into out. Cannot fail. */
void jg_scale_phone(uint64_t *st, char out[12]);
/* The kind (K_*) of enterprise e. */
int jg_scale_ent_kind(long e);
/* The county of enterprise e. */
const struct county *jg_scale_ent_county(const struct scale *s, long e);
/* The GB 32100 credit code of enterprise e, unique to e within a seed. */
void jg_scale_ent_code(const struct scale *s, long e, char out[19]);
/* The date d days after 1962-01-01. */
void jg_scale_day_to_date(long d, int *y, int *m, int *dd);
/* Person j: name (in a), ID number, phone (empty for some), gender. */
void jg_scale_person_info(const struct scale *s, jg_arena *a, long j, struct pinfo *p);
/* The certificate of person j: its number (in a), *kind (NULL: none) and *specialty. */
const char *jg_scale_person_cert(const struct scale *s, jg_arena *a, long j, const char **kind,
                                 const char **specialty);
/* Insert the enterprises, qualifications, persons and certificates (a jg_db_tx callback, ud: the
 * struct scale), filling ent_id and person_id. */
jg_rc jg_scale_registry_tx(jg_conn *c, void *ud);

/* seed_scale_flow.c */
/* Load flow_calendar and the registration process's definition id into s. */
jg_rc jg_scale_flow_prepare(struct scale *s);
/* Where project p (its dates and durations drawn) stands at the demo's "now": p->state and the
 * days of its steps, on working days of the calendar. */
void jg_scale_timeline(const struct scale *s, struct proj *p);
/* The workflow rows of the in-process records among ps (ids: their record ids). */
jg_rc jg_scale_flows(struct scale *s, jg_conn *c, jg_arena *a, const struct proj *ps, const int64_t *ids,
                     long n);
/* "YYYY-MM-DD" of day d (days since 1962-01-01), in a. */
const char *jg_scale_date(jg_arena *a, long d);
/* The demo's "now": no declaration is dated later. */
#define DAY_CUT 23663L /* 2026-10-15 */

#endif
