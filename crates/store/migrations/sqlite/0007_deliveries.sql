-- Webhook deliveries: a batch of at most 100 events of one portal for one app, tried and
-- retried as one request. Keep in step with ../postgres/0007_deliveries.sql. Transient, like
-- the events (not exported).

CREATE TABLE outbox_batches (
    batch_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id       BIGINT NOT NULL,
    portal_id    BIGINT NOT NULL,
    state        TEXT   NOT NULL,   -- PENDING (a try is due at next_at), DELIVERED, FAILED
    attempt      BIGINT NOT NULL,   -- attemptNumber of the next try (of the last, when done)
    next_at      BIGINT NOT NULL,   -- epoch milliseconds, real time
    size         BIGINT NOT NULL,   -- events in the batch
    lease_owner  TEXT,              -- PostgreSQL: the worker that claimed the batch ...
    lease_until  BIGINT,            -- ... until then (epoch ms); another may take it after
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    history      TEXT   NOT NULL    -- one JSON object per attempt, each followed by a comma
);
CREATE INDEX outbox_batches_due ON outbox_batches (next_at, batch_id) WHERE state = 'PENDING';
CREATE INDEX outbox_batches_by_app ON outbox_batches (app_id, portal_id);

-- The events of a batch, each with the subscription it goes out for.
CREATE TABLE outbox_members (
    batch_id           BIGINT NOT NULL,
    change_id          BIGINT NOT NULL,
    idx                BIGINT NOT NULL,
    subscription_id    BIGINT NOT NULL,
    subscription_type  TEXT   NOT NULL,
    PRIMARY KEY (batch_id, change_id, idx, subscription_id)
) WITHOUT ROWID;
CREATE INDEX outbox_members_by_event ON outbox_members (change_id, idx);
