-- Second factor (TOTP, RFC 6238) and password-reset links (issue 13).
--
-- A user's TOTP seed is stored only sealed (XChaCha20-Poly1305 through the vault, purpose
-- `totp-seed`, associated data binding the table, the owner and the key version). While
-- `enabled` is FALSE the seed is pending: enrolment has begun but no code confirmed it.
-- `last_step` is the last accepted time step: a code is accepted only for a later step,
-- so no code works twice (SEC-5.4).
CREATE TABLE second_factors (
    user_id         INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    key_version     INTEGER NOT NULL,
    seed_nonce      BLOB    NOT NULL,
    seed_ciphertext BLOB    NOT NULL,
    enabled         BOOLEAN NOT NULL DEFAULT FALSE,
    last_step       INTEGER,
    created_at      INTEGER NOT NULL,
    enabled_at      INTEGER
);
CREATE INDEX second_factors_by_version ON second_factors (key_version);

-- Single-use recovery codes, stored only as SHA-256 (they carry 120 random bits each).
CREATE TABLE recovery_codes (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Password-reset links made by the administrator or a reseller (no e-mail): the token is
-- only ever in the link; its SHA-256 is kept. Single use, expiring.
CREATE TABLE password_resets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_by_user ON password_resets (user_id);

-- Panel-wide settings the administrator changes at run time (key/value text).
CREATE TABLE panel_settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
