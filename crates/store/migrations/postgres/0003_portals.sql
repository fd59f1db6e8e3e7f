-- Portals known to assocd, for the control plane: a fresh portal id is one above every id ever
-- registered, so a deleted portal's id is not handed out again. Keep in step with
-- ../sqlite/0003_portals.sql.
CREATE TABLE portals (
    portal_id   BIGINT NOT NULL PRIMARY KEY,
    created_at  BIGINT NOT NULL,   -- epoch milliseconds (0: found in older data)
    deleted_at  BIGINT             -- set by DELETE /_assocd/portals/{id}
);

INSERT INTO portals (portal_id, created_at)
SELECT portal_id, MIN(created_at) FROM tokens GROUP BY portal_id;

INSERT INTO portals (portal_id, created_at)
SELECT DISTINCT portal_id, 0 FROM labels
 WHERE portal_id NOT IN (SELECT portal_id FROM portals);
INSERT INTO portals (portal_id, created_at)
SELECT DISTINCT portal_id, 0 FROM limits
 WHERE portal_id NOT IN (SELECT portal_id FROM portals);
INSERT INTO portals (portal_id, created_at)
SELECT DISTINCT portal_id, 0 FROM associations
 WHERE portal_id NOT IN (SELECT portal_id FROM portals);
