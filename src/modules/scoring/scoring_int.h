/* Inside the scoring module: the scorer, which turns ledger rows into period scores and credit by
 * running the scoring rules (compute.c), and the periods it works on. */
#ifndef JG_SCORING_INT_H
#define JG_SCORING_INT_H
#include "base/config.h"
#include "db/db.h"

#include <stddef.h>
#include <stdint.h>

/* What a recomputation did. */
typedef struct {
    long subjects; /* subject-periods computed */
    long scores;   /* score_subject rows written */
    long credits;  /* credit_score rows written */
} jg_scoring_counts;

typedef struct jg_scorer jg_scorer;

/* A scorer over the running versions of the scoring rules, read on c, with cfg's limits (the
 * instruction budget scaled up: one evaluation scores every project of a subject). JG_OK with *out
 * (free with jg_scorer_free); JG_NOTFOUND with a Chinese why when a rule is missing or stopped;
 * JG_NOMEM; database errors as jg_db_query. */
jg_rc jg_scorer_open(jg_conn *c, const jg_config *cfg, jg_scorer **out, char *why, size_t whylen);
/* Free s (NULL is a no-op). Cannot fail. */
void jg_scorer_free(jg_scorer *s);
/* Recompute on c (in the caller's transaction) the scores of every subject of kind ("enterprise"
 * or "person") with an id in [lo, hi] for period ("2026Q1", a quarter, or "2026", a year): rows of
 * score_subject (and credit_score for contractors' quarters) of those subjects and that period are
 * replaced. Adds to *counts. JG_INVALID with the rule's Chinese message in why when a rule fails;
 * database errors as jg_db_query. */
jg_rc jg_scorer_run(jg_scorer *s, jg_conn *c, const char *kind, int64_t lo, int64_t hi, const char *period,
                    jg_scoring_counts *counts, char *why, size_t whylen);

/* 1 when p is a quarter "YYYYQn" (n 1..4), 2 when a year "YYYY", else 0. */
int jg_scoring_period_kind(const char *p);
/* The quarter "YYYYQn" of a date "YYYY-MM-DD" into out (8 bytes). 0 when date is not one. */
int jg_scoring_quarter(const char *date, char *out, size_t outlen);

/* Recompute every score and credit from the ledger (period NULL: every quarter and year found in
 * it) on db, by two worker threads, one write transaction per 500 subjects. Ledger rows that become
 * effective meanwhile are not lost: each write transaction scores again the subjects of its job
 * with rows newer than the ledger's highest id at the start (compute.c, catch_up). Fills *counts;
 * JG_INVALID (a rule failed) or JG_NOTFOUND (a rule is missing or stopped) with a Chinese why;
 * database errors as jg_db_tx. Call it holding no connection of db. */
jg_rc jg_scoring_recompute_all(jg_db *db, const jg_config *cfg, const char *period, jg_scoring_counts *counts,
                               char *why, size_t whylen);

/* For tests: hook (NULL: none) is called by every job of jg_scoring_recompute_all after it has read
 * and scored its part of the ledger and before its write transaction, with the db, the job's kind
 * and period, from the job's worker thread; a test makes a notice effective there to check that the
 * full recomputation does not overwrite the newer scores. Set it before the recomputation starts. */
typedef void (*jg_scoring_hook)(jg_db *db, const char *kind, const char *period);
void jg_scoring_set_test_hook(jg_scoring_hook hook);

#endif
