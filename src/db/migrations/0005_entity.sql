-- The entity engine (src/engine/entity): the definitions its tables were made from, and the
-- history of every change to a record (修改痕迹).

-- One row per entity: the definition (compact JSON) that jg_schema_sync last brought the tables
-- e_<name> and e_<name>__<child> to, so a new version is compared with what the database has.
CREATE TABLE entity_def (
    name TEXT PRIMARY KEY,            -- registration
    version INTEGER NOT NULL,         -- the definition's "version"
    doc TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

-- Who changed which field of which record from what to what, and when. A change inside a child
-- table names the child and its row; values are the API's JSON text (masked for sensitive
-- fields, never a secret's plain text).
CREATE TABLE entity_history (
    id {{id}},
    entity TEXT NOT NULL,
    record_id {{bigint}} NOT NULL,
    child TEXT,                       -- child table name, NULL for the record's own fields
    child_id {{bigint}},              -- row of the child table
    field TEXT NOT NULL,              -- field name, or "state" for a change of state
    old_value TEXT,
    new_value TEXT,
    user_id {{bigint}},               -- NULL for the system (workflow timers, imports by jobs)
    username TEXT,
    at TEXT NOT NULL,
    action TEXT NOT NULL              -- create | update | delete | state | import ...
);
CREATE INDEX entity_history_record ON entity_history (entity, record_id, id);
