-- Associations between records: the index behind limit checks and the high-usage report, and
-- the stored reports. Keep in step with ../sqlite/0002_records.sql.

-- Serves "how many records does record R have under type T" (equality on every column) and the
-- report's per-type GROUP BY from_id. R1 paging is served by the primary key.
CREATE INDEX associations_by_record_type
    ON associations (portal_id, from_type, to_type, category, type_id, from_id);

-- The last high-usage report each user requested; entries are a JSON array.
CREATE TABLE high_usage_reports (
    portal_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    user_email   TEXT   NOT NULL,
    enqueued_at  BIGINT NOT NULL,   -- epoch milliseconds
    entries      TEXT   NOT NULL,
    PRIMARY KEY (portal_id, user_id)
);
