-- Tenancy: resellers and their customers, the ownership ledger, customer policies,
-- reseller branding, and who impersonated whom in the audit log.

-- A customer belongs to one reseller (role 'customer', reseller_id set); everyone else has
-- no reseller. A suspended customer can sign in but not act.
ALTER TABLE users ADD COLUMN reseller_id BIGINT REFERENCES users (id);
ALTER TABLE users ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX users_by_reseller ON users (reseller_id);

-- The ownership ledger: which customer a Luna Node resource of the reseller's account
-- belongs to. A resource not in the ledger is the reseller's own. Deleting a customer
-- releases their resources back to the reseller (nothing is deleted at Luna Node).
CREATE TABLE ownership (
    account_user_id BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL,
    resource_id     TEXT    NOT NULL,
    customer_id     BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at     BIGINT  NOT NULL,
    PRIMARY KEY (account_user_id, kind, resource_id)
);
CREATE INDEX ownership_by_customer ON ownership (customer_id, kind);

-- What a customer may do and use (quotas, allow-lists, enabled actions), as JSON.
CREATE TABLE customer_policies (
    customer_id BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    policy      TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- A reseller's branding for their customers' portal, as JSON.
CREATE TABLE brandings (
    reseller_id BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    branding    TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- Set when a reseller acted while viewing as one of their customers.
ALTER TABLE audit_log ADD COLUMN impersonator_user_id BIGINT;

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    IF OLD.outcome <> 'pending'
       OR (NEW.id, NEW.ts, NEW.request_id, NEW.actor_user_id, NEW.actor_role,
           NEW.account_user_id, NEW.action, NEW.target, NEW.ip, NEW.impersonator_user_id)
          IS DISTINCT FROM
          (OLD.id, OLD.ts, OLD.request_id, OLD.actor_user_id, OLD.actor_role,
           OLD.account_user_id, OLD.action, OLD.target, OLD.ip, OLD.impersonator_user_id) THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    RETURN NEW;
END $$;
CREATE INDEX audit_log_by_actor ON audit_log (actor_user_id, id);

-- An invite made by a reseller signs its user up as that reseller's customer.
ALTER TABLE invites ADD COLUMN customer_of BIGINT REFERENCES users (id);
