-- Luna Node API credentials (one per account owner) and the audit log.
-- The API key is stored only sealed (XChaCha20-Poly1305, associated data binding purpose,
-- owner and key version; see app/src/server/vault.rs). `key_last4` and `key_fingerprint`
-- (a truncated SHA-256 of the key) let the page identify a key without revealing it.
CREATE TABLE credentials (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    api_id           TEXT    NOT NULL,
    key_version      INTEGER NOT NULL,
    key_nonce        BLOB    NOT NULL,
    key_ciphertext   BLOB    NOT NULL,
    key_last4        TEXT    NOT NULL,
    key_fingerprint  TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER,
    last_test_at     INTEGER,
    last_test_ok     BOOLEAN,
    last_test_message TEXT
);
CREATE INDEX credentials_by_version ON credentials (key_version);

-- One row per state-changing action. Upstream actions insert `pending` before the call and
-- set the final outcome after it; nothing else may change or remove a row.
CREATE TABLE audit_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    ts              INTEGER NOT NULL,
    request_id      TEXT,
    actor_user_id   INTEGER,
    actor_role      TEXT,
    account_user_id INTEGER,
    action          TEXT    NOT NULL,
    target          TEXT    NOT NULL DEFAULT '',
    outcome         TEXT    NOT NULL,
    error_class     TEXT,
    ip              TEXT
);
CREATE INDEX audit_log_by_account ON audit_log (account_user_id, id);

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_only_settle BEFORE UPDATE ON audit_log
WHEN OLD.outcome <> 'pending'
  OR NEW.id IS NOT OLD.id OR NEW.ts IS NOT OLD.ts OR NEW.request_id IS NOT OLD.request_id
  OR NEW.actor_user_id IS NOT OLD.actor_user_id OR NEW.actor_role IS NOT OLD.actor_role
  OR NEW.account_user_id IS NOT OLD.account_user_id OR NEW.action IS NOT OLD.action
  OR NEW.target IS NOT OLD.target OR NEW.ip IS NOT OLD.ip
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
