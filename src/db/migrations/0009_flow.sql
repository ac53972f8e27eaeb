-- The workflow engine (src/engine/flow): deployed BPMN 2.0 processes, versioned. A process is
-- keyed by its process element's id; every change deploys a new version, and running instances
-- stay on the version they started with.
CREATE TABLE flow_definition (
    id {{id}},
    key TEXT NOT NULL,                -- the process id: registration
    version INTEGER NOT NULL,         -- 1, 2, ... per key
    name TEXT NOT NULL,               -- 项目报监
    xml TEXT NOT NULL,                -- the document as deployed (with its diagram)
    sm3 TEXT NOT NULL,                -- of xml: deploying the same document again is a no-op
    source TEXT NOT NULL,             -- shipped (defs/<subsystem>/*.bpmn, at migrate) | designer
    deployed_by {{bigint}},           -- NULL for shipped processes
    deployed_at TEXT NOT NULL,
    UNIQUE (key, version)
);

-- A run of a process on one business record. Instances stay on the definition they started with.
CREATE TABLE flow_instance (
    id {{id}},
    definition_id {{bigint}} NOT NULL REFERENCES flow_definition (id),
    key TEXT NOT NULL,
    entity TEXT NOT NULL,             -- the record: entity name and id
    record_id {{bigint}} NOT NULL,
    org_code TEXT,                    -- the record's region when started (the levels of tasks)
    enterprise_id {{bigint}},         -- the record's applicant enterprise (applicant tasks)
    state TEXT NOT NULL,              -- running | completed | terminated
    started_by {{bigint}},
    started_at TEXT NOT NULL,
    ended_at TEXT
);
-- One running instance per record.
CREATE UNIQUE INDEX ux_flow_instance_record ON flow_instance (entity, record_id) WHERE state = 'running';

-- Where an instance is: a token per branch, waiting at a user task or at a joining gateway.
CREATE TABLE flow_token (
    id {{id}},
    instance_id {{bigint}} NOT NULL REFERENCES flow_instance (id),
    node TEXT NOT NULL,
    edge TEXT                         -- the flow it arrived by (joins count distinct flows)
);
CREATE INDEX ix_flow_token_instance ON flow_token (instance_id, node);

-- A step for a person. Open tasks are the 待办 of whoever may do them: the assignee, or holders
-- of a candidate role in the task's region, or the applicant enterprise's users.
CREATE TABLE flow_task (
    id {{id}},
    instance_id {{bigint}} NOT NULL REFERENCES flow_instance (id),
    token_id {{bigint}},
    node TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,              -- open | done | cancelled
    candidate_roles TEXT,             -- ",clerk,station_chief," (commas around, for LIKE)
    org_code TEXT,                    -- the region whose staff may do it
    enterprise_id {{bigint}},         -- the enterprise whose users may do it (applicant steps)
    assignee_id {{bigint}},           -- one user (the initiator)
    created_at TEXT NOT NULL,
    due_at TEXT,                      -- the time limit (working or calendar days), or NULL
    done_at TEXT,
    done_by {{bigint}},
    action TEXT,                      -- what was done: the jg:action of the way taken, or "complete"
    opinion TEXT,                     -- 意见
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX ix_flow_task_open ON flow_task (state, org_code, id);
CREATE INDEX ix_flow_task_instance ON flow_task (instance_id, id);
CREATE INDEX ix_flow_task_done_by ON flow_task (done_by, id);

-- The history of an instance: who did what, when, with which opinion.
CREATE TABLE flow_log (
    id {{id}},
    instance_id {{bigint}} NOT NULL REFERENCES flow_instance (id),
    task_id {{bigint}},
    node TEXT NOT NULL,
    action TEXT NOT NULL,             -- start | enter | complete:<action> | service:<action> | end
    user_id {{bigint}},
    username TEXT,
    opinion TEXT,
    at TEXT NOT NULL
);
CREATE INDEX ix_flow_log_instance ON flow_log (instance_id, id);
