package dev.idempotency.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.JdbcDatabaseContainer;

/**
 * A real database server for the integration tests, found in this order: a JDBC URL from the environment, a
 * Testcontainers container when a Docker engine answers, a server on localhost. Each run gets a schema (or, on
 * MariaDB, a database) of its own, dropped on {@link #close()}, so concurrent runs never see each other's rows.
 * If no server can be reached the tests fail, never skip: a green build must have run against the database.
 */
abstract class TestDatabase implements AutoCloseable {

    private final String name;
    private final String envPrefix;
    private final String localUrl;
    private final String localUser;
    private final String localPassword;
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String adminUrl;
    private String user;
    private String password;
    private String source;
    protected final String runSchema = "idem_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private HikariDataSource dataSource;

    TestDatabase(String name, String envPrefix, String localUrl, String localUser, String localPassword) {
        this.name = name;
        this.envPrefix = envPrefix;
        this.localUrl = localUrl;
        this.localUser = localUser;
        this.localPassword = localPassword;
    }

    /** The container to start when Docker is available. */
    protected abstract JdbcDatabaseContainer<?> container();

    /** The SQL that creates this run's schema or database. */
    protected abstract String createSchemaSql();

    /** The SQL that drops this run's schema or database. */
    protected abstract String dropSchemaSql();

    /** The JDBC URL that connects into this run's schema or database. */
    protected abstract String urlForRunSchema(String url);

    /** Locates a server, creates this run's schema and opens a pool of {@code poolSize} connections into it. */
    TestDatabase start(int poolSize) {
        return start(poolSize, config -> {});
    }

    /** As {@link #start(int)}, with the pool configured further by {@code customizer}. */
    TestDatabase start(int poolSize, java.util.function.Consumer<HikariConfig> customizer) {
        locate();
        try (Connection connection = DriverManager.getConnection(adminUrl, user, password);
                Statement statement = connection.createStatement()) {
            statement.execute(createSchemaSql());
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the test schema " + runSchema + " on " + source, e);
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(urlForRunSchema(adminUrl));
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(1);
        config.setPoolName(name.toLowerCase(Locale.ROOT) + "-" + runSchema);
        config.setConnectionTimeout(30_000);
        customizer.accept(config);
        dataSource = new HikariDataSource(config);
        return this;
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** Where the server was found, for messages. */
    String source() {
        return source;
    }

    String jdbcUrl() {
        return urlForRunSchema(adminUrl);
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    private void locate() {
        String envUrl = System.getenv(envPrefix + "_URL");
        if (envUrl != null && !envUrl.isBlank()) {
            use(envUrl, envOr(envPrefix + "_USER", localUser), envOr(envPrefix + "_PASSWORD", localPassword),
                    "$" + envPrefix + "_URL");
            requireReachable("the URL in $" + envPrefix + "_URL");
            return;
        }
        if (dockerAvailable()) {
            JdbcDatabaseContainer<?> container = container();
            container.start();
            toClose.add(container);
            use(container.getJdbcUrl(), container.getUsername(), container.getPassword(), "Testcontainers");
            requireReachable("the Testcontainers container");
            return;
        }
        use(localUrl, localUser, localPassword, "localhost");
        requireReachable("the local server at " + localUrl);
    }

    private void use(String url, String user, String password, String source) {
        this.adminUrl = url;
        this.user = user;
        this.password = password;
        this.source = source;
    }

    private void requireReachable(String what) {
        try (Connection ignored = DriverManager.getConnection(adminUrl, user, password)) {
            // reachable
        } catch (SQLException e) {
            throw new IllegalStateException("No " + name + " server for the integration tests: could not connect to "
                    + what + " (" + adminUrl + ", user " + user + "): " + e.getMessage() + ". Provide one by setting "
                    + envPrefix + "_URL (and " + envPrefix + "_USER, " + envPrefix + "_PASSWORD), by running a Docker "
                    + "engine for Testcontainers, or by running " + name + " at " + localUrl + " (user " + localUser
                    + ", " + (localPassword.isEmpty() ? "no password" : "password " + localPassword) + ").", e);
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static String envOr(String variable, String fallback) {
        String value = System.getenv(variable);
        return value == null ? fallback : value;
    }

    @Override
    public void close() {
        if (dataSource != null) {
            dataSource.close();
        }
        if (adminUrl != null) {
            try (Connection connection = DriverManager.getConnection(adminUrl, user, password);
                    Statement statement = connection.createStatement()) {
                statement.execute(dropSchemaSql());
            } catch (SQLException e) {
                System.err.println("could not drop the test schema " + runSchema + ": " + e.getMessage());
            }
        }
        for (AutoCloseable closeable : toClose) {
            try {
                closeable.close();
            } catch (Exception e) {
                System.err.println("could not stop " + closeable + ": " + e.getMessage());
            }
        }
    }

    static String withParameter(String url, String parameter) {
        return url + (url.contains("?") ? "&" : "?") + parameter;
    }

}
