-- Tenancy: resellers and their customers, the ownership ledger, customer policies,
-- reseller branding, and who impersonated whom in the audit log.

-- A customer belongs to one reseller (role 'customer', reseller_id set); everyone else has
-- no reseller. A suspended customer can sign in but not act.
ALTER TABLE users ADD COLUMN reseller_id INTEGER REFERENCES users (id);
ALTER TABLE users ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX users_by_reseller ON users (reseller_id);

-- The ownership ledger: which customer a Luna Node resource of the reseller's account
-- belongs to. A resource not in the ledger is the reseller's own. Deleting a customer
-- releases their resources back to the reseller (nothing is deleted at Luna Node).
CREATE TABLE ownership (
    account_user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    resource_id     TEXT    NOT NULL,
    customer_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at     INTEGER NOT NULL,
    PRIMARY KEY (account_user_id, kind, resource_id)
);
CREATE INDEX ownership_by_customer ON ownership (customer_id, kind);

-- What a customer may do and use (quotas, allow-lists, enabled actions), as JSON.
CREATE TABLE customer_policies (
    customer_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    policy      TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A reseller's branding for their customers' portal, as JSON.
CREATE TABLE brandings (
    reseller_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    branding    TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Set when a reseller acted while viewing as one of their customers.
ALTER TABLE audit_log ADD COLUMN impersonator_user_id INTEGER;

DROP TRIGGER audit_log_only_settle;
CREATE TRIGGER audit_log_only_settle BEFORE UPDATE ON audit_log
WHEN OLD.outcome <> 'pending'
  OR NEW.id IS NOT OLD.id OR NEW.ts IS NOT OLD.ts OR NEW.request_id IS NOT OLD.request_id
  OR NEW.actor_user_id IS NOT OLD.actor_user_id OR NEW.actor_role IS NOT OLD.actor_role
  OR NEW.account_user_id IS NOT OLD.account_user_id OR NEW.action IS NOT OLD.action
  OR NEW.target IS NOT OLD.target OR NEW.ip IS NOT OLD.ip
  OR NEW.impersonator_user_id IS NOT OLD.impersonator_user_id
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE INDEX audit_log_by_actor ON audit_log (actor_user_id, id);

-- An invite made by a reseller signs its user up as that reseller's customer.
ALTER TABLE invites ADD COLUMN customer_of INTEGER REFERENCES users (id);
