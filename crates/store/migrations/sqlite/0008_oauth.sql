-- OAuth (issue 16): apps gain a client id, redirect URIs and scopes; the codes and tokens they
-- are issued are kept by hash. Keep in step with ../postgres/0008_oauth.sql.

ALTER TABLE apps ADD COLUMN client_id TEXT;
ALTER TABLE apps ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '';  -- space separated
ALTER TABLE apps ADD COLUMN scopes TEXT NOT NULL DEFAULT '';         -- space separated
-- Apps made before OAuth get their app id as client id.
UPDATE apps SET client_id = CAST(app_id AS TEXT) WHERE client_id IS NULL;
CREATE UNIQUE INDEX apps_by_client_id ON apps (client_id);

-- Authorization codes: single use (used_at), exchanged before expires_at.
CREATE TABLE oauth_codes (
    code_hash     TEXT   NOT NULL PRIMARY KEY,   -- SHA-256 of the code
    app_id        BIGINT NOT NULL,
    portal_id     BIGINT NOT NULL,
    scopes        TEXT   NOT NULL,               -- space separated
    redirect_uri  TEXT   NOT NULL,
    expires_at    BIGINT NOT NULL,               -- epoch milliseconds
    used_at       BIGINT
);
CREATE INDEX oauth_codes_by_install ON oauth_codes (app_id, portal_id);

-- Access, refresh and client-credential tokens of apps. Access tokens are looked up on every
-- API call (by hash) when they are not portal tokens.
CREATE TABLE oauth_tokens (
    token_hash  TEXT   NOT NULL PRIMARY KEY,     -- SHA-256 of the secret; the secret is never stored
    id          TEXT   NOT NULL,                 -- public id: a prefix of the hash
    kind        TEXT   NOT NULL,                 -- access, refresh or client
    app_id      BIGINT NOT NULL,
    portal_id   BIGINT,                          -- NULL for client-credential tokens
    scopes      TEXT   NOT NULL,                 -- space separated
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,                          -- NULL: until revoked
    revoked_at  BIGINT
);
CREATE INDEX oauth_tokens_by_install ON oauth_tokens (app_id, portal_id);
