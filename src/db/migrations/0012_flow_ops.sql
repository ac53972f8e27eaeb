-- Task operations and boxes of the workflow engine (src/engine/flow/ops.c, boxes.c, opinions.c):
-- claiming, transfer and delegation, withdraw, copies (抄送), opinion templates, signed opinions.

-- A task taken out of its candidates' pool (claimed, transferred, delegated, withdrawn) is the
-- assignee's alone; the pool is kept so that release puts it back.
ALTER TABLE flow_task ADD COLUMN pool_roles TEXT;
ALTER TABLE flow_task ADD COLUMN pool_org TEXT;
ALTER TABLE flow_task ADD COLUMN pool_enterprise {{bigint}};
ALTER TABLE flow_task ADD COLUMN pooled INTEGER NOT NULL DEFAULT 0;   -- 1 while taken from a pool
ALTER TABLE flow_task ADD COLUMN delegated_by {{bigint}};             -- 委托: the user the assignee acts for
ALTER TABLE flow_task ADD COLUMN from_task_id {{bigint}};             -- the task whose completion opened it
CREATE INDEX ix_flow_task_assignee ON flow_task (assignee_id, state);
CREATE INDEX ix_flow_task_from ON flow_task (from_task_id);
CREATE INDEX ix_flow_task_enterprise ON flow_task (enterprise_id, state);

-- Completion lines of the history: for whom the actor acted (委托), and the actor's SM2 signature
-- over the opinion (电子签单) with the key it was made with.
ALTER TABLE flow_log ADD COLUMN on_behalf_of TEXT;
ALTER TABLE flow_log ADD COLUMN to_user TEXT;                         -- transfer, delegate, copy: to whom
ALTER TABLE flow_log ADD COLUMN signature TEXT;
ALTER TABLE flow_log ADD COLUMN sign_key_id {{bigint}};
CREATE INDEX ix_flow_log_user ON flow_log (user_id, instance_id);
CREATE INDEX ix_flow_instance_started_by ON flow_instance (started_by, state);

-- 抄送: an instance copied to a user, read or not.
CREATE TABLE flow_copy (
    id {{id}},
    instance_id {{bigint}} NOT NULL REFERENCES flow_instance (id),
    task_id {{bigint}},
    from_user {{bigint}} NOT NULL,
    to_user {{bigint}} NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX ix_flow_copy_to ON flow_copy (to_user, read_at, id);
CREATE UNIQUE INDEX ux_flow_copy ON flow_copy (instance_id, to_user, task_id);

-- 意见模板: a user's own (owner_id) or shared (owner_id NULL).
CREATE TABLE flow_opinion_template (
    id {{id}},
    owner_id {{bigint}},
    text TEXT NOT NULL,
    sort INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX ix_flow_opinion_template_owner ON flow_opinion_template (owner_id, deleted);

-- The SM2 public keys users sign opinions with (the private key never leaves the user's side).
-- A new key retires the previous one; old signatures keep verifying with the key they name.
CREATE TABLE flow_sign_key (
    id {{id}},
    user_id {{bigint}} NOT NULL,
    public_key TEXT NOT NULL,         -- "04" + 128 hex digits
    created_at TEXT NOT NULL,
    retired_at TEXT
);
CREATE INDEX ix_flow_sign_key_user ON flow_sign_key (user_id, id);
