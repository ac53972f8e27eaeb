-- Downloads of a device's recordings (s=Download, src/modules/video/download.c): one row per
-- download asked through the platform API, so that its status can be read later in the caller's
-- data scope (through the channel) and the action is traceable. The state, bytes and progress
-- are the media node's (src/video/download.c), asked for at each read; the file lives on the node
-- for video_download_keep_h hours.
CREATE TABLE video_download (
    id {{id}},
    download_id TEXT NOT NULL UNIQUE,   -- 32 hex digits, the node's job and file name
    channel_id INTEGER NOT NULL,        -- video_channel.id
    device_gb_id TEXT NOT NULL,
    channel_gb_id TEXT NOT NULL,
    start_at INTEGER NOT NULL,          -- Unix seconds (the devices' clocks)
    end_at INTEGER NOT NULL,
    speed INTEGER NOT NULL,             -- a=downloadspeed
    user_id INTEGER,                    -- who asked
    created_at TEXT NOT NULL
);
CREATE INDEX video_download_channel ON video_download (channel_id, created_at);

-- Weekly windows of a cloud recording plan (src/video/record.c honours them): NULL records all the
-- time; else a JSON array of {"days":[1..7 (Monday 1)],"start":"HH:MM","end":"HH:MM"} in Beijing
-- time, start before end (a window over midnight is two), written by PUT .../record-plan.
ALTER TABLE video_record_plan ADD COLUMN schedule TEXT;
