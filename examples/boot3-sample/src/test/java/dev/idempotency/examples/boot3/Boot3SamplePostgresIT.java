package dev.idempotency.examples.boot3;

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
 * The Boot 3 sample on the {@code postgres} profile against a real PostgreSQL server: {@code IDEMPOTENCY_TEST_POSTGRES_URL}
 * ({@code _USER}, {@code _PASSWORD}) when set, else {@code 127.0.0.1:5432}, database {@code test}, user
 * {@code postgres}. Only the connection is overridden, to a schema of this run's own that is dropped afterwards. An
 * unreachable server fails the test with what to set; it is never skipped.
 */
@ActiveProfiles("postgres")
class Boot3SamplePostgresIT extends AbstractBoot3SampleIT {

    private static final String URL = env("IDEMPOTENCY_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    private static final String USER = env("IDEMPOTENCY_TEST_POSTGRES_USER", "postgres");
    private static final String PASSWORD = env("IDEMPOTENCY_TEST_POSTGRES_PASSWORD", "");
    private static final String SCHEMA = "boot3_sample_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
            .toLowerCase(Locale.ROOT);

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        execute("CREATE SCHEMA " + SCHEMA);
        registry.add("spring.datasource.url", () -> URL + (URL.contains("?") ? "&" : "?") + "currentSchema=" + SCHEMA);
        registry.add("spring.datasource.username", () -> USER);
        registry.add("spring.datasource.password", () -> PASSWORD);
    }

    @AfterAll
    static void dropSchema() {
        execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }

    private static void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(URL, USER, PASSWORD);
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException("PostgreSQL is not reachable at " + URL + " as " + USER + " (" + e.getMessage()
                    + "). The integration tests need a real PostgreSQL: start one there (trust auth, database 'test'), or set "
                    + "IDEMPOTENCY_TEST_POSTGRES_URL, IDEMPOTENCY_TEST_POSTGRES_USER and IDEMPOTENCY_TEST_POSTGRES_PASSWORD.", e);
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }
}
