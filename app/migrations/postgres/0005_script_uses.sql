-- Which VMs the panel created with which startup script: Luna Node does not say, so a
-- script's page can name the VMs made from it (those made through this panel).
CREATE TABLE script_uses (
    account_user_id BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    script_id       TEXT    NOT NULL,
    vm_id           TEXT    NOT NULL,
    hostname        TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    PRIMARY KEY (account_user_id, script_id, vm_id)
);
