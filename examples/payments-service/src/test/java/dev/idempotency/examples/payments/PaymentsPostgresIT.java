package dev.idempotency.examples.payments;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The payments API on the {@code postgres} profile, against a real PostgreSQL server: {@code IDEMPOTENCY_TEST_POSTGRES_URL}
 * ({@code _USER}, {@code _PASSWORD}) when set, else {@code 127.0.0.1:5432}, database {@code test}, user
 * {@code postgres}. Each run gets a schema of its own, dropped afterwards. An unreachable server fails the test; it
 * is never skipped.
 */
@ActiveProfiles("postgres")
class PaymentsPostgresIT extends AbstractPaymentsIT {

    private static final String URL = env("IDEMPOTENCY_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = env("IDEMPOTENCY_TEST_POSTGRES_USER", "postgres");
    private static final String PASSWORD = env("IDEMPOTENCY_TEST_POSTGRES_PASSWORD", "");
    private static final String SCHEMA = "payments_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
            .toLowerCase(Locale.ROOT);

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) throws SQLException {
        execute("CREATE SCHEMA " + SCHEMA);
        registry.add("spring.datasource.url", () -> URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA);
        registry.add("spring.datasource.username", () -> USER);
        registry.add("spring.datasource.password", () -> PASSWORD);
    }

    @AfterAll
    static void dropSchema() throws SQLException {
        execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }

    private static void execute(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new SQLException("PostgreSQL at " + URL + " (user " + USER + ") failed: " + e.getMessage()
                    + ". Start it or set IDEMPOTENCY_TEST_POSTGRES_URL, _USER and _PASSWORD.", e);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
