-- Users and sign-up invites. Timestamps are unix seconds (portable between backends).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    session_epoch INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    -- TRUE for the first user only; UNIQUE so concurrent first sign-ups cannot both win.
    bootstrap     BOOLEAN UNIQUE CHECK (bootstrap IS NULL OR bootstrap)
);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the token; the token itself is only ever in the invite link.
    token_hash  TEXT    NOT NULL UNIQUE,
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_by     INTEGER REFERENCES users (id),
    used_at     INTEGER,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
