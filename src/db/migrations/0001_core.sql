-- Core tables of the foundation: the administrative tree, accounts, and registered projects.
-- Timestamps are ISO-8601 UTC text, dates YYYY-MM-DD text (docs/decisions.md).

CREATE TABLE org (
    id {{id}},
    code TEXT NOT NULL UNIQUE,        -- GB/T 2260 code without trailing zeros: 35, 3501, 350102
    name TEXT NOT NULL,
    level TEXT NOT NULL,              -- province | city | county
    parent_code TEXT,                 -- NULL for the province
    hidden INTEGER NOT NULL DEFAULT 0, -- 1: kept for data but not offered in pickers (金门县)
    created_at TEXT NOT NULL
);
CREATE INDEX org_parent ON org (parent_code);

CREATE TABLE app_user (
    id {{id}},
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,      -- pbkdf2-sm3$iterations$salt$hash
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    org_code TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX app_user_org ON app_user (org_code);

CREATE TABLE project (
    id {{id}},
    code TEXT NOT NULL UNIQUE,        -- 报监编号
    name TEXT NOT NULL,
    org_code TEXT NOT NULL,           -- the supervising authority's region
    address TEXT NOT NULL DEFAULT '',
    owner_name TEXT NOT NULL DEFAULT '',
    contractor_name TEXT NOT NULL DEFAULT '',
    supervisor_firm_name TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,             -- registered | under_construction | suspended | completed
    registered_on TEXT NOT NULL,
    area_m2 {{real}},
    cost_wan {{real}},                -- 万元
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX project_status_reg ON project (status, registered_on, id);
CREATE INDEX project_org_reg ON project (org_code, registered_on, id);
