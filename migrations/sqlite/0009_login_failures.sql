-- Failed sign-ins per email, kept in the database so that every process serving this database
-- counts them alike (and a restart does not reset the count).
CREATE TABLE login_failures (
    email_key         TEXT PRIMARY KEY,
    failures          INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL
);

CREATE INDEX login_failures_by_window ON login_failures (window_started_at);
