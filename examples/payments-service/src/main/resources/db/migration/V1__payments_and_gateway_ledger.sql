-- The example's own tables. The idempotency library's table comes from its own migration (version 0.1) at
-- classpath:dev/idempotency/jdbc/flyway/{vendor}, so these start at V1. The SQL runs unchanged on PostgreSQL
-- and on H2 (PostgreSQL mode).

-- One row per (owner, idempotency key): the natural key that makes "create the payment" safe to repeat after a
-- crash. charge_key is the downstream key the payment charges the gateway with.
CREATE TABLE payment (
    id              VARCHAR(36)              NOT NULL PRIMARY KEY,
    owner           VARCHAR(255)             NOT NULL,
    idempotency_key VARCHAR(255)             NOT NULL,
    charge_key      VARCHAR(100)             NOT NULL,
    amount          BIGINT                   NOT NULL,
    currency        CHAR(3)                  NOT NULL,
    description     VARCHAR(255),
    status          VARCHAR(16)              NOT NULL,
    charge_id       VARCHAR(40),
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT payment_owner_idempotency_key_uk UNIQUE (owner, idempotency_key),
    CONSTRAINT payment_charge_key_uk UNIQUE (charge_key),
    CONSTRAINT payment_amount_positive_ck CHECK (amount > 0)
);

CREATE INDEX payment_owner_created_at_idx ON payment (owner, created_at);

-- The fake payment gateway's ledger. In real life this lives at the payment provider; the UNIQUE charge_key is
-- the provider's own idempotency: a second charge with the same key returns the first charge.
CREATE TABLE gateway_charge (
    id          VARCHAR(40)              NOT NULL PRIMARY KEY,
    charge_key  VARCHAR(100)             NOT NULL,
    reference   VARCHAR(64)              NOT NULL,
    amount      BIGINT                   NOT NULL,
    currency    CHAR(3)                  NOT NULL,
    description VARCHAR(255),
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT gateway_charge_charge_key_uk UNIQUE (charge_key)
);
