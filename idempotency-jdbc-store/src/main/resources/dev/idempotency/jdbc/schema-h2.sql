-- Idempotency records for dev.idempotency.jdbc.JdbcIdempotencyStore on H2 (regular or PostgreSQL mode).
-- One row per (scope, idempotency_key). Times are written by the database clock.
CREATE TABLE idempotency_record (
    scope            VARCHAR(255)             NOT NULL,
    idempotency_key  VARCHAR(255)             NOT NULL,
    fingerprint      VARCHAR(64)              NOT NULL,
    status           VARCHAR(16)              NOT NULL,
    owner_token      VARCHAR(64)              NOT NULL,
    lease_expires_at TIMESTAMP WITH TIME ZONE,
    response_status  INTEGER,
    response_headers VARBINARY(1000000000),
    response_body    VARBINARY(1000000000),
    recovery_phase   VARCHAR(64),
    recovery_payload VARCHAR(4000),
    created_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at       TIMESTAMP WITH TIME ZONE NOT NULL,
    completed_at     TIMESTAMP WITH TIME ZONE,
    PRIMARY KEY (scope, idempotency_key)
);

CREATE INDEX idempotency_record_expires_at_idx ON idempotency_record (expires_at);
