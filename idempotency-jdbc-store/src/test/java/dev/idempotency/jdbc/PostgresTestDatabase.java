package dev.idempotency.jdbc;

import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * PostgreSQL for the integration tests: {@code $IDEMPOTENCY_TEST_POSTGRES_URL} (with {@code _USER} and
 * {@code _PASSWORD}), else Testcontainers, else {@code jdbc:postgresql://127.0.0.1:5432/test} as {@code postgres}
 * without a password. Each run works in a schema of its own.
 */
final class PostgresTestDatabase extends TestDatabase {

    PostgresTestDatabase() {
        super("PostgreSQL", "IDEMPOTENCY_TEST_POSTGRES", "jdbc:postgresql://127.0.0.1:5432/test", "postgres", "");
    }

    @Override
    protected JdbcDatabaseContainer<?> container() {
        return new PostgreSQLContainer("postgres:16-alpine");
    }

    @Override
    protected String createSchemaSql() {
        return "CREATE SCHEMA " + runSchema;
    }

    @Override
    protected String dropSchemaSql() {
        return "DROP SCHEMA IF EXISTS " + runSchema + " CASCADE";
    }

    @Override
    protected String urlForRunSchema(String url) {
        return withParameter(url, "currentSchema=" + runSchema);
    }
}
