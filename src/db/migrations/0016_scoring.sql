-- Scoring and credit (src/modules/scoring, docs/rules.md "Scoring rules").
--
-- score_point is the ledger: one row per item of an effective scoring notice, written by the
-- service-task action scoring.effective in the transaction that makes the notice effective, never
-- updated afterwards. A correcting notice (corrects_id) adds a reversal row (points negated) for each
-- row of the notice it corrects, then its own items, all in the period of its own effective_on: the
-- earlier periods are never rewritten (corrections are not retroactive). Points are in tenths
-- (decimal scale 1, as the entity engine stores them): 8.5 points is 85.
CREATE TABLE score_point (
    id {{id}},
    notice_id {{bigint}} NOT NULL,    -- e_score_notice.id
    item_seq INTEGER NOT NULL,        -- the item's seq; a reversal row keeps the corrected item's
    project_id {{bigint}} NOT NULL,
    org_code TEXT NOT NULL,           -- the scoring authority (county of the project)
    city_code TEXT NOT NULL,          -- the first 4 digits of org_code
    domain TEXT NOT NULL,             -- 房建 | 市政 (credit keeps them apart)
    inspection_no TEXT NOT NULL,      -- one inspection: repeated inspections average per clause
    inspected_on TEXT NOT NULL,       -- YYYY-MM-DD, chooses the edition
    effective_on TEXT NOT NULL,       -- YYYY-MM-DD
    edition TEXT NOT NULL,            -- 2018 | 2025
    clause_code TEXT NOT NULL,        -- the surviving clause (merged_into followed)
    clause_given TEXT NOT NULL,       -- the clause the notice named
    points INTEGER NOT NULL,          -- tenths of a point; negative on a reversal row
    enterprise_id {{bigint}},
    enterprise_role TEXT,             -- owner | contractor | supervisor_firm
    person_id {{bigint}},
    person_role TEXT,                 -- project_manager | chief_supervisor | other_person
    period TEXT NOT NULL,             -- the quarter of effective_on: 2026Q1
    corrects_id {{bigint}},           -- the notice a correcting notice corrects
    reverses_id {{bigint}},           -- on a reversal row: the score_point row it cancels
    created_at TEXT NOT NULL,
    UNIQUE (notice_id, item_seq, reverses_id)
);
CREATE INDEX ix_score_point_enterprise ON score_point (enterprise_id, period, project_id);
CREATE INDEX ix_score_point_person ON score_point (person_id, period, project_id);
CREATE INDEX ix_score_point_project ON score_point (project_id, period);
CREATE INDEX ix_score_point_notice ON score_point (notice_id);
CREATE INDEX ix_score_point_period ON score_point (period, org_code);

-- Period scores of responsible units and persons, computed by the rules score.project and
-- score.company / score.person / score.chief_supervisor from the ledger: one row per subject, role,
-- period (a quarter 2026Q1 or a year 2026) and area ('35' for all its projects, or a city code for
-- its projects in that city). Rankings read it.
CREATE TABLE score_subject (
    id {{id}},
    subject_kind TEXT NOT NULL,       -- enterprise | person
    subject_id {{bigint}} NOT NULL,
    role TEXT NOT NULL,               -- contractor | supervisor_firm | owner | project_manager | ...
    period TEXT NOT NULL,             -- 2026Q1 | 2026
    area TEXT NOT NULL,               -- '35' or a city code
    score {{real}} NOT NULL,
    total {{real}} NOT NULL,
    projects INTEGER NOT NULL,
    explanation TEXT NOT NULL,        -- JSON: the rules' value and explanation
    rule_versions TEXT NOT NULL,      -- e.g. score.project@1,score.company@1
    computed_at TEXT NOT NULL,
    UNIQUE (subject_kind, subject_id, role, period, area)
);
CREATE INDEX ix_score_subject_rank ON score_subject (role, period, area, score DESC, subject_id);

-- Credit scores (信用评价) computed by credit.* rules: one row per subject, role, domain (房建 / 市政
-- kept apart) and quarter.
CREATE TABLE credit_score (
    id {{id}},
    subject_kind TEXT NOT NULL,       -- enterprise | person
    subject_id {{bigint}} NOT NULL,
    role TEXT NOT NULL,               -- contractor | project_manager | chief_supervisor | ...
    domain TEXT NOT NULL,             -- 房建 | 市政
    period TEXT NOT NULL,             -- 2026Q1
    score {{real}} NOT NULL,
    explanation TEXT NOT NULL,        -- JSON: the rule's value and explanation
    rule_version TEXT NOT NULL,       -- credit.contractor_default@1
    computed_at TEXT NOT NULL,
    UNIQUE (subject_kind, subject_id, role, domain, period)
);
CREATE INDEX ix_credit_score_rank ON credit_score (domain, period, score);
