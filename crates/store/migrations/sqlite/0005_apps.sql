-- Apps (developer integrations), their installs, webhook settings and subscriptions: what the
-- control plane's /_assocd/apps and HubSpot's /webhooks/v3/{appId}/... manage. Keep in step with
-- ../postgres/0005_apps.sql. New app fields (OAuth: client id, redirect URIs, scopes) are new
-- nullable columns of `apps`.

CREATE TABLE apps (
    app_id              BIGINT NOT NULL PRIMARY KEY,
    client_secret       TEXT   NOT NULL,          -- signs webhook requests, so kept as is
    developer_key_hash  TEXT   NOT NULL UNIQUE,   -- SHA-256 of the developer API key (hapikey)
    created_at          BIGINT NOT NULL           -- epoch milliseconds
);

-- Portals that installed an app.
CREATE TABLE app_installs (
    app_id        BIGINT NOT NULL,
    portal_id     BIGINT NOT NULL,
    installed_at  BIGINT NOT NULL,
    PRIMARY KEY (app_id, portal_id)
) WITHOUT ROWID;
CREATE INDEX app_installs_by_portal ON app_installs (portal_id, app_id);

-- One target URL per app (HubSpot's "settings").
CREATE TABLE webhook_settings (
    app_id                   BIGINT NOT NULL PRIMARY KEY,
    target_url               TEXT   NOT NULL,
    max_concurrent_requests  BIGINT NOT NULL,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL
);

CREATE TABLE webhook_subscriptions (
    subscription_id  BIGINT NOT NULL PRIMARY KEY,
    app_id           BIGINT NOT NULL,
    event_type       TEXT   NOT NULL,
    property_name    TEXT,
    object_type_id   TEXT,                         -- object.* types: the object type id
    active           BIGINT NOT NULL,              -- 1 active, 0 paused
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX webhook_subscriptions_by_app ON webhook_subscriptions (app_id, subscription_id);

-- Id sequences that must never hand out an id twice (app and subscription ids).
CREATE TABLE id_counters (
    name     TEXT   NOT NULL PRIMARY KEY,
    next_id  BIGINT NOT NULL
);
