-- assocd schema, SQLite edition. Keep in step with ../postgres/0001_init.sql.

CREATE TABLE tokens (
    id          TEXT    NOT NULL PRIMARY KEY,   -- public id: a prefix of the hash
    token_hash  TEXT    NOT NULL UNIQUE,        -- SHA-256 of the secret; the secret is never stored
    portal_id   BIGINT  NOT NULL,
    scopes      TEXT    NOT NULL,               -- space separated
    created_at  BIGINT  NOT NULL,               -- epoch milliseconds
    revoked_at  BIGINT
);

-- Next USER_DEFINED type id per portal: ids are never reused.
CREATE TABLE portal_counters (
    portal_id     BIGINT NOT NULL PRIMARY KEY,
    next_type_id  BIGINT NOT NULL
);

-- One row per direction of a USER_DEFINED association type.
CREATE TABLE labels (
    portal_id        BIGINT  NOT NULL,
    type_id          BIGINT  NOT NULL,
    inverse_type_id  BIGINT  NOT NULL,
    from_type        TEXT    NOT NULL,
    to_type          TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    label            TEXT,                       -- NULL: the plain (unlabeled) type of a pair
    is_forward       BIGINT  NOT NULL,           -- 1 on the direction the label was created on
    PRIMARY KEY (portal_id, type_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX labels_name ON labels (portal_id, name) WHERE is_forward = 1;
CREATE INDEX labels_pair ON labels (portal_id, from_type, to_type);

-- User-enforced limits ("definition configurations").
CREATE TABLE limits (
    portal_id          BIGINT NOT NULL,
    from_type          TEXT   NOT NULL,
    to_type            TEXT   NOT NULL,
    category           TEXT   NOT NULL,
    type_id            BIGINT NOT NULL,
    max_to_object_ids  BIGINT NOT NULL,
    PRIMARY KEY (portal_id, from_type, to_type, category, type_id)
) WITHOUT ROWID;

-- Associations between records, one row per direction and type.
CREATE TABLE associations (
    portal_id  BIGINT NOT NULL,
    from_type  TEXT   NOT NULL,
    from_id    BIGINT NOT NULL,
    to_type    TEXT   NOT NULL,
    to_id      BIGINT NOT NULL,
    category   TEXT   NOT NULL,
    type_id    BIGINT NOT NULL,
    PRIMARY KEY (portal_id, from_type, from_id, to_type, to_id, category, type_id)
) WITHOUT ROWID;
CREATE INDEX associations_by_type ON associations (portal_id, category, type_id);
