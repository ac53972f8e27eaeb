-- Identity: departments under the regions, enterprises, persons, roles, sessions, audit log.

CREATE TABLE department (
    id {{id}},
    code TEXT NOT NULL UNIQUE,        -- region code + '-' + kind: 3501-bureau, 3501-station
    name TEXT NOT NULL,
    org_code TEXT NOT NULL,           -- the region it serves
    kind TEXT NOT NULL,               -- bureau (住建厅/局) | station (质安总站/监督站)
    created_at TEXT NOT NULL
);
CREATE INDEX department_org ON department (org_code);

CREATE TABLE enterprise (
    id {{id}},
    credit_code TEXT NOT NULL UNIQUE, -- 统一社会信用代码, GB 32100 checked
    name TEXT NOT NULL,
    kinds TEXT NOT NULL,              -- comma list: owner,contractor,supervisor_firm,lab,...
    org_code TEXT NOT NULL,           -- region where it is registered
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

ALTER TABLE app_user ADD COLUMN kind TEXT NOT NULL DEFAULT 'government'; -- government | enterprise | expert | admin
ALTER TABLE app_user ADD COLUMN department_id {{bigint}};
ALTER TABLE app_user ADD COLUMN enterprise_id {{bigint}};
ALTER TABLE app_user ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 1;
ALTER TABLE app_user ADD COLUMN password_changed_at TEXT;
ALTER TABLE app_user ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE app_user ADD COLUMN locked_until TEXT;

CREATE TABLE login_session (
    id {{id}},
    token_hash TEXT NOT NULL UNIQUE,  -- SM3 of the cookie value: a stolen table cannot log in
    user_id {{bigint}} NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,         -- absolute end
    ip TEXT NOT NULL DEFAULT '',
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX login_session_user ON login_session (user_id);

CREATE TABLE audit_log (
    id {{id}},
    at TEXT NOT NULL,
    user_id {{bigint}},
    username TEXT,
    ip TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,             -- login, login_failed, logout, ...
    entity TEXT,
    record_id TEXT,
    detail TEXT,                      -- JSON
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL                -- HMAC-SM3 over prev_hash and this row
);

-- The newest audit hash, one row: updating it first serialises writers of the chain.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, hash) VALUES (1, '');

-- Earlier password hashes of each user: a new password may not repeat the last few.
CREATE TABLE password_history (
    id {{id}},
    user_id {{bigint}} NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, id);
