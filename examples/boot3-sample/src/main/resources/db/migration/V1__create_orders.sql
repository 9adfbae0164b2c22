-- The application's own table. The idempotency table comes from the store's migration (version 0.1), which Flyway
-- runs first because spring.flyway.locations includes classpath:dev/idempotency/jdbc/flyway/{vendor}.
CREATE TABLE orders (
    id       UUID         PRIMARY KEY,
    customer VARCHAR(100) NOT NULL,
    item     VARCHAR(200) NOT NULL,
    quantity INT          NOT NULL
);
