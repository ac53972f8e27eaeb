-- Runtime editing of entity definitions (业务定制): every version of every definition, shipped
-- (compiled into the binary, applied by `migrate`) or custom (edited at run time and activated
-- through /api/v1/admin/definitions). entity_def stays "what the tables are at": the doc of the
-- one active version per entity; this table is the history around it.
--
--   status     draft       at most one per entity: being edited, not applied (version = the next)
--              active      exactly the version entity_def holds
--              superseded  was active once
--   source     shipped     a definition of defs/<subsystem>/ compiled into a binary
--              custom      saved through the API (also the copy a rollback makes)
CREATE TABLE entity_def_version (
    id {{id}},
    name TEXT NOT NULL,               -- entity name
    version INTEGER NOT NULL,         -- the definition's "version" (set by the server for custom ones)
    doc TEXT NOT NULL,                -- the definition, compact JSON
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'superseded')),
    source TEXT NOT NULL CHECK (source IN ('shipped', 'custom')),
    note TEXT,                        -- what changed, in the editor's words (rollback: 回退到版本 n)
    created_by {{bigint}},            -- app_user id; NULL for shipped versions (migrate)
    created_at TEXT NOT NULL,
    activated_by {{bigint}},
    activated_at TEXT,
    UNIQUE (name, version)
);
CREATE INDEX entity_def_version_status ON entity_def_version (name, status);

-- The definitions applied before this table existed were the shipped ones.
INSERT INTO entity_def_version (name, version, doc, status, source, created_at, activated_at)
SELECT name, version, doc, 'active', 'shipped', applied_at, applied_at FROM entity_def;
