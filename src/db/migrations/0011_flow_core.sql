-- The execution core of the workflow engine (src/engine/flow/run.c): 会签 and 退回.

-- 会签 in sequence: the signers still to come after the open one, ",12,15," in order (NULL: none).
ALTER TABLE flow_token ADD COLUMN pending TEXT;
-- Tasks of one token: the signers of a multi-instance step share their step's token.
CREATE INDEX ix_flow_task_token ON flow_task (token_id, state);

-- Call activities: a sub-process runs on the same record as a child instance; the parent waits
-- with a token at the call (parent_token_id) and goes on when the child ends. One running
-- top-level instance per record, as before; children are beside it.
ALTER TABLE flow_instance ADD COLUMN parent_id {{bigint}};
ALTER TABLE flow_instance ADD COLUMN parent_token_id {{bigint}};
DROP INDEX ux_flow_instance_record;
CREATE UNIQUE INDEX ux_flow_instance_record ON flow_instance (entity, record_id) WHERE state = 'running' AND parent_id IS NULL;
CREATE INDEX ix_flow_instance_parent ON flow_instance (parent_id);

-- The working-day calendar (src/engine/flow/calendar.h): public holidays and the weekend days
-- worked instead (调休), per the State Council's notice (国办发明电〔2025〕7号 for 2026); weekdays
-- not listed are working days, weekend days not listed are not. Edited through
-- /api/v1/flow/calendar (permission flow.deploy). 2027 is not published yet: add it when it is.
CREATE TABLE flow_calendar (
    day TEXT PRIMARY KEY,             -- 2026-10-01 (Beijing time)
    kind TEXT NOT NULL,               -- holiday | workday
    name TEXT NOT NULL DEFAULT '',    -- 国庆节
    updated_at TEXT NOT NULL
);
INSERT INTO flow_calendar (day, kind, name, updated_at) VALUES
    ('2026-01-01', 'holiday', '元旦', '2026-11-25T00:00:00Z'),
    ('2026-01-02', 'holiday', '元旦', '2026-11-25T00:00:00Z'),
    ('2026-01-03', 'holiday', '元旦', '2026-11-25T00:00:00Z'),
    ('2026-01-04', 'workday', '元旦调休上班', '2026-11-25T00:00:00Z'),
    ('2026-02-14', 'workday', '春节调休上班', '2026-11-25T00:00:00Z'),
    ('2026-02-15', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-16', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-17', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-18', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-19', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-20', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-21', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-22', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-23', 'holiday', '春节', '2026-11-25T00:00:00Z'),
    ('2026-02-28', 'workday', '春节调休上班', '2026-11-25T00:00:00Z'),
    ('2026-04-04', 'holiday', '清明节', '2026-11-25T00:00:00Z'),
    ('2026-04-05', 'holiday', '清明节', '2026-11-25T00:00:00Z'),
    ('2026-04-06', 'holiday', '清明节', '2026-11-25T00:00:00Z'),
    ('2026-05-01', 'holiday', '劳动节', '2026-11-25T00:00:00Z'),
    ('2026-05-02', 'holiday', '劳动节', '2026-11-25T00:00:00Z'),
    ('2026-05-03', 'holiday', '劳动节', '2026-11-25T00:00:00Z'),
    ('2026-05-04', 'holiday', '劳动节', '2026-11-25T00:00:00Z'),
    ('2026-05-05', 'holiday', '劳动节', '2026-11-25T00:00:00Z'),
    ('2026-05-09', 'workday', '劳动节调休上班', '2026-11-25T00:00:00Z'),
    ('2026-06-19', 'holiday', '端午节', '2026-11-25T00:00:00Z'),
    ('2026-06-20', 'holiday', '端午节', '2026-11-25T00:00:00Z'),
    ('2026-06-21', 'holiday', '端午节', '2026-11-25T00:00:00Z'),
    ('2026-09-20', 'workday', '国庆节调休上班', '2026-11-25T00:00:00Z'),
    ('2026-09-25', 'holiday', '中秋节', '2026-11-25T00:00:00Z'),
    ('2026-09-26', 'holiday', '中秋节', '2026-11-25T00:00:00Z'),
    ('2026-09-27', 'holiday', '中秋节', '2026-11-25T00:00:00Z'),
    ('2026-10-01', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-02', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-03', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-04', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-05', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-06', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-07', 'holiday', '国庆节', '2026-11-25T00:00:00Z'),
    ('2026-10-10', 'workday', '国庆节调休上班', '2026-11-25T00:00:00Z');

-- Timers that fire (src/engine/flow/timers.c): a boundary timer of a task's token, or the time
-- limit of a step with jg:onTimeout. A timer whose token is gone (the step was done) is
-- cancelled when it comes due. Claimed by a conditional update, so two servers fire it once.
CREATE TABLE flow_timer (
    id {{id}},
    instance_id {{bigint}} NOT NULL REFERENCES flow_instance (id),
    token_id {{bigint}} NOT NULL,
    node TEXT NOT NULL,               -- the boundary event, or the step (timeout)
    kind TEXT NOT NULL,               -- boundary | timeout
    due_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', -- pending | fired | cancelled
    fired_at TEXT
);
CREATE INDEX ix_flow_timer_due ON flow_timer (state, due_at);

-- Reminders (效能提醒) and 督办 raised by timers, for the boxes: to one user, or to the holders of
-- a role in a region (roles as ",clerk,station_chief,", as flow_task.candidate_roles).
CREATE TABLE flow_notice (
    id {{id}},
    kind TEXT NOT NULL,               -- remind | supervise
    instance_id {{bigint}} NOT NULL REFERENCES flow_instance (id),
    task_id {{bigint}},
    user_id {{bigint}},
    roles TEXT,
    org_code TEXT,
    enterprise_id {{bigint}},
    message TEXT NOT NULL,
    at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX ix_flow_notice_user ON flow_notice (user_id, id);
CREATE INDEX ix_flow_notice_org ON flow_notice (org_code, id);
