-- Several panel instances on one database (issue 14.6, 14.7).

-- Who polls what: one row per poller key (`vms:<account>`, `kind:<kind>:<account>`); only
-- the holder polls Luna Node, the others read its snapshots. A holder renews its row every
-- few seconds; a row past `expires_at` may be taken by any instance.
CREATE TABLE live_leases (
    key        TEXT        PRIMARY KEY,
    holder     TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- The newest snapshot each holder published (JSON), announced by NOTIFY with its version
-- (a NOTIFY payload is limited to 8000 bytes; a snapshot is not).
CREATE TABLE live_snapshots (
    key        TEXT   PRIMARY KEY,
    version    BIGINT NOT NULL,
    body       TEXT   NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The upstream call budgets (token buckets) shared by every instance.
CREATE TABLE upstream_buckets (
    key    TEXT             PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at     TIMESTAMPTZ      NOT NULL
);

-- The circuit breaker's open circuit, seen by every instance: no instance calls the
-- upstream until `open_until`.
CREATE TABLE upstream_health (
    upstream   TEXT        PRIMARY KEY,
    open_until TIMESTAMPTZ NOT NULL
);
