-- Signed-in sessions as their users see them (the sessions page): one row per session,
-- keyed by a random handle kept in the session record (never the cookie's id). A session
-- whose row is gone is ended at its next request (signing out one session, or all others).
CREATE TABLE user_sessions (
    sid        TEXT    PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX user_sessions_by_user ON user_sessions (user_id);

-- Failure counters for sign-in, second-factor codes, sign-up and invite redemption, per
-- account and per client address (issue 13.2). Kept in the database so every panel
-- instance sees the same counts (SEC-5.2).
CREATE TABLE auth_throttle (
    scope         TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    failures      BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
