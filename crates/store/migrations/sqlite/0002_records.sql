-- Associations between records: the stored high-usage reports. Keep in step with ../postgres/0002_records.sql.

-- No index is added for limit counts here: in a WITHOUT ROWID table every secondary index
-- carries the primary key, so associations_by_type is already
-- (portal_id, category, type_id, from_type, from_id, to_type, to_id) and serves "how many
-- records does record R have under type T" and the report's GROUP BY from_id as a covering
-- index search. PostgreSQL needs its own index (see ../postgres/0002_records.sql).
-- R1 paging is served by the primary key on both.

-- The last high-usage report each user requested; entries are a JSON array.
CREATE TABLE high_usage_reports (
    portal_id    BIGINT NOT NULL,
    user_id      BIGINT NOT NULL,
    user_email   TEXT   NOT NULL,
    enqueued_at  BIGINT NOT NULL,   -- epoch milliseconds
    entries      TEXT   NOT NULL,
    PRIMARY KEY (portal_id, user_id)
) WITHOUT ROWID;
