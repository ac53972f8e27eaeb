-- Cascade (src/video/cascade.c): the channels shared with each upper platform. An upper platform
-- whose video_upper entry says share=table (the default) sees in its Catalog query, and may
-- INVITE, only the channels listed here for its 20-digit ID; share=all shares every channel.
-- Rows are written by `jianguan video` operators (SQL today; the platform API is a later step).
CREATE TABLE video_share (
    upper_id TEXT NOT NULL,   -- the upper platform's 20-digit SIP ID (video_upper)
    channel_gb_id TEXT NOT NULL, -- video_channel.gb_id
    created_at TEXT NOT NULL,
    PRIMARY KEY (upper_id, channel_gb_id)
);
