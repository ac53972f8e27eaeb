-- Dictionaries (数据字典): the code lists that enum fields of the entity engine draw their values
-- from. Built-in ones come from defs/platform/dictionaries.json (inserted by `migrate` when missing,
-- never overwritten); administrators with dict.manage edit them and add their own.

CREATE TABLE dictionary (
    id {{id}},
    code TEXT NOT NULL UNIQUE,        -- [a-z][a-z0-9_]{0,39}; what definitions name ("dict")
    name TEXT NOT NULL,               -- Chinese name: 工程类别
    description TEXT NOT NULL DEFAULT '',
    builtin INTEGER NOT NULL DEFAULT 0, -- 1: came from the definitions
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);

-- Items are never deleted: a disabled item (enabled = 0) stays valid in old records but is no
-- longer offered for new ones. parent_code names another item of the same dictionary (trees).
CREATE TABLE dictionary_item (
    id {{id}},
    dictionary_id {{bigint}} NOT NULL REFERENCES dictionary (id),
    code TEXT NOT NULL,               -- 1-40 of [A-Za-z0-9_.-]; the value stored in records
    label TEXT NOT NULL,              -- Chinese label shown to users
    parent_code TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    builtin INTEGER NOT NULL DEFAULT 0, -- 1: came from the definitions
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (dictionary_id, code)
);
CREATE INDEX dictionary_item_order ON dictionary_item (dictionary_id, sort_order, code);
