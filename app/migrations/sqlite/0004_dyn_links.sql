-- Update links for dynamic DNS names: a router or a cron job calls the panel with the
-- token, and the panel signs dns/dyn-update with the account's key (which never leaves
-- the server). Only a hash of the token is kept. A link acts for the user who made it:
-- it stops when that user may no longer update the name.
CREATE TABLE dyn_links (
    token_hash      TEXT    PRIMARY KEY,
    account_user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    dyn_id          TEXT    NOT NULL,
    created_by      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX dyn_links_by_name ON dyn_links (account_user_id, dyn_id);
