-- Cloud recording (云录像, src/video/record.c): per channel a plan; `jianguan video` keeps the
-- channel's stream up while the plan is enabled and writes continuous MPEG-TS segments of
-- segment_s seconds (cut at the first key frame after it) under video_record_dir, one index row
-- each. Retention: segments older than retention_days (the plan's, else video_record_days) and,
-- while the recordings take more than video_record_disk_share of their file system, the oldest
-- ones are deleted (file and row).
CREATE TABLE video_record_plan (
    id {{id}},
    device_gb_id TEXT NOT NULL,              -- video_device.gb_id
    channel_gb_id TEXT NOT NULL,             -- video_channel.gb_id
    enabled INTEGER NOT NULL DEFAULT 1,
    segment_s INTEGER NOT NULL DEFAULT 600,  -- seconds a segment file covers (10 minutes)
    retention_days INTEGER,                  -- NULL: video_record_days
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (device_gb_id, channel_gb_id)
);

CREATE TABLE video_record_segment (
    id {{id}},
    device_gb_id TEXT NOT NULL,
    channel_gb_id TEXT NOT NULL,
    start_at INTEGER NOT NULL,   -- Unix seconds of the first frame (wall clock of the media node)
    end_at INTEGER NOT NULL,     -- Unix seconds of the end
    duration_ms INTEGER NOT NULL, -- from the stream's timestamps (the EXTINF of VOD playlists)
    path TEXT NOT NULL,          -- relative to video_record_dir
    bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX video_record_segment_channel ON video_record_segment (device_gb_id, channel_gb_id, start_at);
CREATE INDEX video_record_segment_start ON video_record_segment (start_at);
