-- Device status, alarms and positions from GB/T 28181 devices (src/video/subscribe.c, devcmd.c).
-- status_json: the last DeviceStatus answer as JSON ({"online","status","reason","encode","record",
-- "device_time","alarm_states":[{"gb_id","duty_status"}]}), asked at registration and on
-- POST /api/v1/video/devices/{gb_id}/status/refresh; status_at when it arrived (UTC).
ALTER TABLE video_device ADD COLUMN status_json TEXT;
ALTER TABLE video_device ADD COLUMN status_at TEXT;
-- The latest MobilePosition of a device (DeviceID = the device) or of a channel.
ALTER TABLE video_device ADD COLUMN pos_longitude {{real}};
ALTER TABLE video_device ADD COLUMN pos_latitude {{real}};
ALTER TABLE video_device ADD COLUMN pos_at TEXT;
ALTER TABLE video_channel ADD COLUMN pos_longitude {{real}};
ALTER TABLE video_channel ADD COLUMN pos_latitude {{real}};
ALTER TABLE video_channel ADD COLUMN pos_at TEXT;

-- Alarm notifications (MESSAGE or NOTIFY <Notify><CmdType>Alarm</CmdType>), each answered with a
-- <Response> Result OK. gb_id: the alarm's DeviceID (the device, a channel or an alarm input).
CREATE TABLE video_alarm (
    id {{id}},
    device_gb_id TEXT NOT NULL,          -- video_device.gb_id that sent it
    gb_id TEXT NOT NULL,                 -- <DeviceID> of the alarm
    priority INTEGER,                    -- AlarmPriority 1 (一级警情) .. 4
    method INTEGER,                      -- AlarmMethod 1 phone 2 device 3 SMS 4 GPS 5 video 6 fault 7 other
    alarm_type TEXT NOT NULL DEFAULT '', -- AlarmType (device alarms: 1 video loss, 2 tamper ...)
    alarm_time TEXT NOT NULL DEFAULT '', -- AlarmTime as sent (device local time)
    description TEXT NOT NULL DEFAULT '',
    longitude {{real}},
    latitude {{real}},
    received_at TEXT NOT NULL            -- UTC, when the platform received it
);
CREATE INDEX video_alarm_device ON video_alarm (device_gb_id, received_at);
CREATE INDEX video_alarm_received ON video_alarm (received_at);

-- MobilePosition history: the last 1,000 positions of each DeviceID are kept (older rows are deleted
-- as new ones arrive).
CREATE TABLE video_position (
    id {{id}},
    device_gb_id TEXT NOT NULL,
    gb_id TEXT NOT NULL,                 -- <DeviceID>: the device or one of its channels
    at TEXT NOT NULL DEFAULT '',         -- <Time> as sent (device local time)
    longitude {{real}} NOT NULL,
    latitude {{real}} NOT NULL,
    speed {{real}},                      -- km/h
    direction {{real}},                  -- degrees from north
    altitude {{real}},                   -- metres
    received_at TEXT NOT NULL
);
CREATE INDEX video_position_gb ON video_position (device_gb_id, gb_id, id);
