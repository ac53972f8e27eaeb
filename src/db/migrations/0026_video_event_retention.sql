-- Device events are deleted after video_event_keep_days (src/video/store.c, oldest first, a batch
-- at a time): an index on their time alone (video_alarm has video_alarm_received already).
CREATE INDEX video_event_at ON video_event (at);
