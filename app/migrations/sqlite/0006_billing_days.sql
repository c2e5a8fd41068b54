-- The overview's cost record, one row per account and UTC day (the newest reading of the
-- day), so the page can say what changed since an earlier day.
CREATE TABLE billing_days (
    account_user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day             TEXT    NOT NULL,
    credit          DOUBLE PRECISION,
    monthly         DOUBLE PRECISION NOT NULL,
    recorded_at     INTEGER NOT NULL,
    PRIMARY KEY (account_user_id, day)
);
