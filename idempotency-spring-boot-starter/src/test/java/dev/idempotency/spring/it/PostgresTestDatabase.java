package dev.idempotency.spring.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A private schema in a real PostgreSQL for one test class, so parallel runs never collide.
 *
 * <p>The server comes from {@code IDEMPOTENCY_TEST_POSTGRES_URL} ({@code _USER}, {@code _PASSWORD}) when set, else
 * {@code jdbc:postgresql://127.0.0.1:5432/test} as {@code postgres}. An unreachable server fails the test with a
 * message that says what to set; it is never skipped.
 */
final class PostgresTestDatabase {

    private static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test";

    final String baseUrl;
    final String user;
    final String password;
    final String schema;

    private PostgresTestDatabase(String baseUrl, String user, String password, String schema) {
        this.baseUrl = baseUrl;
        this.user = user;
        this.password = password;
        this.schema = schema;
    }

    static PostgresTestDatabase createSchema() {
        String url = env("IDEMPOTENCY_TEST_POSTGRES_URL", DEFAULT_URL);
        String user = env("IDEMPOTENCY_TEST_POSTGRES_USER", "postgres");
        String password = env("IDEMPOTENCY_TEST_POSTGRES_PASSWORD", "");
        String schema = "idem_starter_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
        try (Connection connection = DriverManager.getConnection(url, user, password);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + url + " as " + user + " (" + e.getMessage()
                    + "). The integration tests need a real PostgreSQL: start one there (trust auth, database 'test'), or set "
                    + "IDEMPOTENCY_TEST_POSTGRES_URL, IDEMPOTENCY_TEST_POSTGRES_USER and IDEMPOTENCY_TEST_POSTGRES_PASSWORD.", e);
        }
        return new PostgresTestDatabase(url, user, password, schema);
    }

    /** The JDBC URL whose connections use the private schema. */
    String url() {
        return baseUrl + (baseUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    void dropSchema() {
        try (Connection connection = DriverManager.getConnection(baseUrl, user, password);
                Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not drop the test schema " + schema, e);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
