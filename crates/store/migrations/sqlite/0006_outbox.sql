-- The outbox of association change events, written in the transaction of each change. Keep in
-- step with ../postgres/0006_outbox.sql. Event tables are transient (kept for the retention
-- period) and not carried by export/import (tables named outbox_*).

-- One committed write (a batch, a label delete, a page of a reset) of one portal.
CREATE TABLE outbox_changes (
    change_id       INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused, even after a cleanup
    portal_id       BIGINT NOT NULL,
    occurred_at     BIGINT NOT NULL,    -- epoch milliseconds (the store's clock)
    change_source   TEXT   NOT NULL,    -- HubSpot's changeSource: API, IMPORT, INTERNAL_PROCESSING
    source_id       TEXT,
    events          BIGINT NOT NULL,
    dispatch_round  BIGINT              -- NULL until the worker dispatched it; orders the feed
);
CREATE INDEX outbox_changes_undispatched ON outbox_changes (change_id) WHERE dispatch_round IS NULL;
CREATE INDEX outbox_changes_by_round ON outbox_changes (dispatch_round, change_id)
    WHERE dispatch_round IS NOT NULL;
CREATE INDEX outbox_changes_by_portal ON outbox_changes (portal_id, dispatch_round, change_id)
    WHERE dispatch_round IS NOT NULL;
CREATE INDEX outbox_changes_by_time ON outbox_changes (occurred_at);

-- One association row added or removed, from the side of its from-record. The event id is
-- change_id * 1000000 + idx.
CREATE TABLE outbox_events (
    change_id  BIGINT NOT NULL,
    idx        BIGINT NOT NULL,
    from_type  TEXT   NOT NULL,
    to_type    TEXT   NOT NULL,
    from_id    BIGINT NOT NULL,
    to_id      BIGINT NOT NULL,
    category   TEXT   NOT NULL,
    type_id    BIGINT NOT NULL,
    removed    BIGINT NOT NULL,    -- 1 removed, 0 created
    PRIMARY KEY (change_id, idx)
) WITHOUT ROWID;

-- The next dispatch round. The dispatcher holds this row while it dispatches, so one
-- replica at a time hands out rounds, in commit order.
CREATE TABLE outbox_cursor (
    name        TEXT   NOT NULL PRIMARY KEY,
    next_round  BIGINT NOT NULL
);
INSERT INTO outbox_cursor (name, next_round) VALUES ('dispatch', 1);
