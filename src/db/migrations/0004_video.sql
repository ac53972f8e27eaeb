-- GB/T 28181 video: devices registered with `jianguan video`, their channels (from Catalog) and
-- the events of their state (online, offline, registration, failed logins, lockouts).
-- Devices and channels are referred to by their 20-digit GB IDs, which `jianguan video` holds in
-- memory, so its batched writes need no row ids.

CREATE TABLE video_device (
    id {{id}},
    gb_id TEXT NOT NULL UNIQUE,          -- 20 digits; the realm is the platform ID's first 10
    name TEXT NOT NULL DEFAULT '',       -- DeviceInfo DeviceName
    password_enc TEXT,                   -- SM4 token (context video_device.password); NULL: the default password
    charset TEXT NOT NULL DEFAULT '',    -- '' : GB18030 unless the XML declares UTF-8 | GB18030 | UTF-8
    transport TEXT NOT NULL DEFAULT 'udp', -- udp | tcp: how it registered
    address TEXT NOT NULL DEFAULT '',    -- source address of its last REGISTER (never its Contact)
    port INTEGER NOT NULL DEFAULT 0,
    online INTEGER NOT NULL DEFAULT 0,   -- 1 while registered and sending keepalives
    registered_at TEXT,
    expires_at TEXT,                     -- registration expiry (UTC)
    last_keepalive_at TEXT,              -- written in batches: up to video_keepalive_flush_s late
    keepalive_interval_s INTEGER,        -- per-device override of video_keepalive_interval_s
    keepalive_count INTEGER,             -- per-device override of video_keepalive_count
    manufacturer TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    firmware TEXT NOT NULL DEFAULT '',
    channel_count INTEGER,               -- DeviceInfo Channel
    catalog_sum INTEGER,                 -- SumNum of the last complete Catalog
    catalog_at TEXT,
    status TEXT NOT NULL DEFAULT 'active', -- active | deleted
    settings_at TEXT,                    -- last change of password, charset or keepalive overrides:
                                         -- a running `jianguan video` polls for rows changed since
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX video_device_online ON video_device (online);
CREATE INDEX video_device_settings ON video_device (settings_at);

CREATE TABLE video_channel (
    id {{id}},
    device_gb_id TEXT NOT NULL,          -- video_device.gb_id that reported it
    gb_id TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    manufacturer TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    civil_code TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    parental INTEGER NOT NULL DEFAULT 0,
    parent_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',     -- ON | OFF as reported
    longitude {{real}},
    latitude {{real}},
    ptz_type INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (device_gb_id, gb_id)
);
CREATE INDEX video_channel_gb ON video_channel (gb_id);

CREATE TABLE video_event (
    id {{id}},
    device_gb_id TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- registered | unregistered | online | offline | auth_failed | locked
    at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''      -- e.g. keepalive_timeout, registration_expired, udp 10.1.2.3:5060
);
CREATE INDEX video_event_device ON video_event (device_gb_id, at);
