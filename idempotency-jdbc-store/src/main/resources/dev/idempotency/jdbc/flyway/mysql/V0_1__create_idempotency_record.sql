-- Idempotency records for dev.idempotency.jdbc.JdbcIdempotencyStore on MySQL 8.0.17 and later.
-- One row per (scope, idempotency_key). Times are DATETIME(6) in UTC, written by the database clock
-- (UTC_TIMESTAMP(6)), so the session time zone never shifts them. Keys compare byte for byte, with no
-- case folding and no trailing-space padding: 'abc', 'ABC' and 'abc ' are three keys.
CREATE TABLE idempotency_record (
    scope            VARCHAR(255)  CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin NOT NULL,
    idempotency_key  VARCHAR(255)  CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin NOT NULL,
    fingerprint      VARCHAR(64)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    status           VARCHAR(16)   CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    owner_token      VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    lease_expires_at DATETIME(6)   NULL,
    response_status  INTEGER       NULL,
    response_headers LONGBLOB      NULL,
    response_body    LONGBLOB      NULL,
    recovery_phase   VARCHAR(64)   CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    recovery_payload VARCHAR(4000) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    created_at       DATETIME(6)   NOT NULL,
    expires_at       DATETIME(6)   NOT NULL,
    completed_at     DATETIME(6)   NULL,
    PRIMARY KEY (scope, idempotency_key),
    INDEX idempotency_record_expires_at_idx (expires_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
