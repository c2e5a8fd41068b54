-- Several panel instances on one database (issue 14.6, 14.7) need PostgreSQL: a SQLite
-- panel is one instance and keeps leases, snapshots, call budgets and the circuit breaker
-- in its memory. The tables exist here too, unused, so both schemas have the same names.
CREATE TABLE live_leases (
    key        TEXT    PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE live_snapshots (
    key        TEXT    PRIMARY KEY,
    version    INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE upstream_buckets (
    key    TEXT    PRIMARY KEY,
    tokens REAL    NOT NULL,
    at     INTEGER NOT NULL
);

CREATE TABLE upstream_health (
    upstream   TEXT    PRIMARY KEY,
    open_until INTEGER NOT NULL
);
