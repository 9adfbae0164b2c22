package dev.idempotency.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.URI;
import javax.sql.DataSource;

/**
 * The PostgreSQL of the integration tests ({@link PostgresTestDatabase}: {@code $IDEMPOTENCY_TEST_POSTGRES_URL},
 * else Testcontainers, else 127.0.0.1:5432), opened to the reliability scenarios in other packages and modules.
 * Each instance works in a schema of its own, dropped on {@link #close()}; it fails when no server answers.
 */
public final class ReliabilityPostgres implements AutoCloseable {

    private final PostgresTestDatabase database = new PostgresTestDatabase();

    private ReliabilityPostgres() {}

    /** Locates the server, creates this run's schema, and opens a pool of {@code poolSize} connections into it. */
    public static ReliabilityPostgres start(int poolSize) {
        ReliabilityPostgres postgres = new ReliabilityPostgres();
        postgres.database.start(poolSize);
        return postgres;
    }

    /** The test's own pool into the run schema. */
    public DataSource dataSource() {
        return database.dataSource();
    }

    /** The JDBC URL into the run schema. */
    public String jdbcUrl() {
        return database.jdbcUrl();
    }

    public String user() {
        return database.user();
    }

    public String password() {
        return database.password();
    }

    /** Where the server was found, for the summary lines. */
    public String source() {
        return database.source();
    }

    /** The server's host, parsed from the JDBC URL, for a proxy in front of it. */
    public String host() {
        return URI.create(jdbcUrl().substring("jdbc:".length())).getHost();
    }

    /** The server's port, parsed from the JDBC URL, for a proxy in front of it. */
    public int port() {
        int port = URI.create(jdbcUrl().substring("jdbc:".length())).getPort();
        return port < 0 ? 5432 : port;
    }

    /** The JDBC URL into the run schema, with host and port replaced, e.g. to go through a proxy. */
    public String jdbcUrlVia(String host, int port) {
        URI uri = URI.create(jdbcUrl().substring("jdbc:".length()));
        String authority = uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        return jdbcUrl().replaceFirst(java.util.regex.Pattern.quote("//" + authority), "//" + host + ":" + port);
    }

    /** Another pool into the run schema: {@code url} as given by {@link #jdbcUrl()} or {@link #jdbcUrlVia}. */
    public HikariDataSource newPool(String name, String url, int size, long connectionTimeoutMillis) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user());
        config.setPassword(password());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(1);
        config.setPoolName(name);
        config.setConnectionTimeout(connectionTimeoutMillis);
        return new HikariDataSource(config);
    }

    @Override
    public void close() {
        database.close();
    }
}
