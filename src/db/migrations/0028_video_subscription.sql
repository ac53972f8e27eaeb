-- The platform's subscriptions to each registered device (src/video/subscribe.c): one row per
-- device and kind in video_subscribe, written by the video service when a subscription's state
-- changes, so GET /api/v1/video/devices/{gb_id} can say why alarms or catalog changes do not
-- arrive. A fresh registration or the end of one clears the device's rows.
CREATE TABLE video_subscription (
    device_gb_id TEXT NOT NULL,          -- video_device.gb_id
    kind TEXT NOT NULL,                  -- catalog | alarm | position
    state TEXT NOT NULL,                 -- active | refused | unanswered | terminated | failed
    granted_s INTEGER,                   -- active: the Expires the device granted (seconds)
    code INTEGER,                        -- refused: the SIP status the device answered
    failures INTEGER NOT NULL DEFAULT 0, -- not active: failed tries in a row
    retry_at TEXT,                       -- not active: when it is tried again (UTC)
    at TEXT NOT NULL,                    -- when this state began (UTC)
    PRIMARY KEY (device_gb_id, kind)
);
