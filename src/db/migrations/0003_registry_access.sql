-- Enterprise and person registries, roles in the database, enterprise ownership of projects,
-- captchas, login attempts by name, app keys for other systems, SMS login codes.

-- Enterprises: more of the registry (kinds and credit code came with 0002).
ALTER TABLE enterprise ADD COLUMN legal_rep TEXT NOT NULL DEFAULT '';   -- 法定代表人
ALTER TABLE enterprise ADD COLUMN address TEXT NOT NULL DEFAULT '';
ALTER TABLE enterprise ADD COLUMN status TEXT NOT NULL DEFAULT 'active'; -- active | revoked
CREATE INDEX enterprise_org ON enterprise (org_code);

-- 资质: category (施工总承包·建筑工程, 工程监理·房屋建筑工程 …), grade, certificate, expiry.
CREATE TABLE enterprise_qualification (
    id {{id}},
    enterprise_id {{bigint}} NOT NULL,
    category TEXT NOT NULL,
    grade TEXT NOT NULL,              -- 特级 一级 二级 三级 甲级 乙级 丙级 …
    certificate_no TEXT NOT NULL,
    issued_on TEXT,
    expires_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active', -- active | deleted: users never hard-delete (ARCHITECTURE.md)
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX enterprise_qualification_ent ON enterprise_qualification (enterprise_id);

-- 从业人员. The ID number and phone are SM4 sealed (jg_sm4_seal, bound to their column), found by
-- blind index (jg_sm4_blind_index), and shown masked unless the role may reveal them.
CREATE TABLE person (
    id {{id}},
    name TEXT NOT NULL,
    id_number_enc TEXT NOT NULL,
    id_number_bidx TEXT NOT NULL UNIQUE,
    id_number_mask TEXT NOT NULL,     -- 3501**********1234
    phone_enc TEXT,
    phone_bidx TEXT,
    phone_mask TEXT,                  -- 138****5678
    gender TEXT NOT NULL DEFAULT '',  -- from the ID number: M | F
    enterprise_id {{bigint}},         -- employer
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX person_enterprise ON person (enterprise_id);
CREATE INDEX person_phone ON person (phone_bidx);

-- 注册证书、安全生产考核合格证 (A/B/C) …
CREATE TABLE person_certificate (
    id {{id}},
    person_id {{bigint}} NOT NULL,
    kind TEXT NOT NULL,               -- registered_constructor | registered_supervisor | safety_a | safety_b | safety_c | ...
    certificate_no TEXT NOT NULL,
    specialty TEXT NOT NULL DEFAULT '',
    issued_on TEXT,
    expires_on TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active', -- active | deleted
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX person_certificate_person ON person_certificate (person_id);

-- Roles: templates from defs/platform/roles.json (builtin = 1, inserted by migrate when missing)
-- and roles the security administrator creates. scope: department | region | province |
-- enterprise | none. reserved = 1 for the 三员 roles, which no one can grant through the API.
CREATE TABLE role (
    id {{id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    user_kind TEXT NOT NULL,          -- government | enterprise | expert | admin
    scope TEXT NOT NULL,
    permissions TEXT NOT NULL,        -- JSON array of permission codes
    builtin INTEGER NOT NULL DEFAULT 0,
    reserved INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

ALTER TABLE app_user ADD COLUMN person_id {{bigint}};
ALTER TABLE app_user ADD COLUMN phone_enc TEXT;
ALTER TABLE app_user ADD COLUMN phone_bidx TEXT;
ALTER TABLE app_user ADD COLUMN phone_mask TEXT;
CREATE INDEX app_user_phone ON app_user (phone_bidx);
CREATE INDEX app_user_enterprise ON app_user (enterprise_id);

-- Which enterprises take part in a project, in which role: enterprise users see these projects.
CREATE TABLE project_party (
    id {{id}},
    project_id {{bigint}} NOT NULL,
    enterprise_id {{bigint}} NOT NULL,
    role TEXT NOT NULL,               -- owner | contractor | supervisor_firm | designer | surveyor | lab
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX project_party_key ON project_party (enterprise_id, project_id, role);
CREATE INDEX project_party_project ON project_party (project_id);

-- The auditor's queries and exports by time.
CREATE INDEX audit_log_at ON audit_log (at);

-- Image captchas: the answer kept only as an SM3 hash, each usable once.
CREATE TABLE captcha (
    id {{id}},
    token_hash TEXT NOT NULL UNIQUE,
    answer_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX captcha_expires ON captcha (expires_at);

-- Failed logins counted by the name tried (SM3 of it), existing or not, so lockout and captcha
-- behave the same for unknown names and do not reveal which accounts exist.
CREATE TABLE login_attempt (
    name_key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL DEFAULT 0,
    last_at TEXT NOT NULL,
    locked_until TEXT
);
ALTER TABLE app_user DROP COLUMN failed_logins;
ALTER TABLE app_user DROP COLUMN locked_until;

-- Other systems calling the API with an app key and an HMAC-SM3 request signature.
CREATE TABLE app_client (
    id {{id}},
    app_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    secret_enc TEXT NOT NULL,         -- SM4 sealed
    role TEXT NOT NULL,               -- the role whose permissions and scope it has
    org_code TEXT NOT NULL,
    enterprise_id {{bigint}},
    status TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

-- Nonces seen within the signature time window: a second use is a replay.
CREATE TABLE request_nonce (
    app_key TEXT NOT NULL,
    nonce TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (app_key, nonce)
);
CREATE INDEX request_nonce_at ON request_nonce (at);

-- SMS login codes: the code kept only as a hash, few tries, short life.
CREATE TABLE sms_code (
    id {{id}},
    phone_bidx TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sms_code_phone ON sms_code (phone_bidx, created_at);
