-- Webhook deliveries name their events by ranges (issue 12): one row per batch and
-- subscription instead of one `outbox_members` row per event and subscription. Keep in step
-- with ../postgres/0009_outbox_ranges.sql.
--
-- A batch written by this release is in state QUEUED while a try is due (PENDING keeps
-- meaning the same for batches of earlier releases, whose events are listed one by one in
-- outbox_members). Older releases claim only PENDING batches, so during a rolling upgrade a
-- replica never sends a batch whose events it cannot read; this release reads both.

-- The events of a batch for one subscription: those of the batch's portal dispatched in
-- `dispatch_round` from (first_change, first_idx) to (last_change, last_idx), both included,
-- that fire for the subscription (`filtered` = 1; its type and object type are kept here, as
-- they were at dispatch). A redelivery names one event (`filtered` = 0: that event whatever
-- it is).
CREATE TABLE outbox_ranges (
    batch_id           BIGINT NOT NULL,
    subscription_id    BIGINT NOT NULL,
    subscription_type  TEXT   NOT NULL,
    object_type_id     TEXT,
    filtered           BIGINT NOT NULL,
    dispatch_round     BIGINT,
    first_change       BIGINT NOT NULL,
    first_idx          BIGINT NOT NULL,
    last_change        BIGINT NOT NULL,
    last_idx           BIGINT NOT NULL,
    PRIMARY KEY (batch_id, subscription_id, first_change, first_idx)
) WITHOUT ROWID;
-- The feed finds the deliveries of a page of events, and a redelivery the subscriptions an
-- event went out for, by the rounds of their changes.
CREATE INDEX outbox_ranges_by_round ON outbox_ranges (dispatch_round);

-- Batches with a try due, of either kind.
CREATE INDEX outbox_batches_open ON outbox_batches (next_at, batch_id)
    WHERE state IN ('PENDING', 'QUEUED');
