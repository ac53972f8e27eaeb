-- The rule engine (src/engine/rule, docs/rules.md): rules as versioned data. A rule is named by its
-- code (score.clause_default); every edit adds a version; publishing puts a version in force, and
-- rolling back puts an earlier published one back. Versions are never changed once published.
CREATE TABLE rule (
    id {{id}},
    code TEXT NOT NULL UNIQUE,        -- score.clause_default
    name TEXT NOT NULL,
    kind TEXT NOT NULL,               -- score | credit | warning | assessment | qc | condition
    state TEXT NOT NULL,              -- draft | published | running | stopped
    current_version INTEGER,          -- the version in force (NULL until the first publish)
    latest_version INTEGER NOT NULL,  -- the newest version, published or not
    source TEXT NOT NULL,             -- shipped (defs/rules, at migrate) | api
    created_by {{bigint}},            -- NULL for shipped rules
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_rule_kind ON rule (kind, state);

CREATE TABLE rule_version (
    id {{id}},
    rule_id {{bigint}} NOT NULL REFERENCES rule (id),
    version INTEGER NOT NULL,         -- 1, 2, ... per rule
    params TEXT NOT NULL,             -- JSON object
    code TEXT NOT NULL,               -- Lua 5.4 text chunk
    sm3 TEXT NOT NULL,                -- of code: the key of the compiled-rule cache
    created_by {{bigint}},
    created_at TEXT NOT NULL,
    published_at TEXT,                -- NULL while a draft
    published_by {{bigint}},
    UNIQUE (rule_id, version)
);
