-- HubSpot's API rate limits (issue 11). Keep in step with ../postgres/0004_rate_limits.sql.

-- A portal's own rate-limit setting (absent: the server's default tier). tier is one of
-- starter, professional, enterprise, api-pack, oauth, custom, off; the numbers only for custom.
CREATE TABLE portal_rate_limits (
    portal_id     BIGINT NOT NULL PRIMARY KEY,
    tier          TEXT   NOT NULL,
    ten_secondly  BIGINT,
    daily         BIGINT,
    updated_at    BIGINT NOT NULL   -- epoch milliseconds
);

-- Calls admitted by each replica, flushed every few milliseconds, so replicas on one database
-- count together. kind 0: ten-secondly, scope = token id, bucket = epoch ms / 100; kind 1:
-- daily, scope = portal id, bucket = UTC day number. Each replica writes only its own rows.
CREATE TABLE rate_limit_hits (
    replica  TEXT   NOT NULL,
    kind     BIGINT NOT NULL,
    scope    TEXT   NOT NULL,
    bucket   BIGINT NOT NULL,
    hits     BIGINT NOT NULL,
    PRIMARY KEY (replica, kind, scope, bucket)
);
CREATE INDEX rate_limit_hits_window ON rate_limit_hits (kind, bucket);
