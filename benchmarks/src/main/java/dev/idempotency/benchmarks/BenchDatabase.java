package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/**
 * The PostgreSQL database the benchmarks use, and the data every benchmark and pgbench script agree on.
 *
 * <p>Everything lives in the schema {@value #SCHEMA}, which {@code run.sh} creates at the start of a run and drops
 * at the end. The pgbench scripts pass the same scope, fingerprint, response and durations as these constants, so
 * the library and pgbench send the same statements with the same kind of values.
 */
public final class BenchDatabase {

    /** The schema a run creates and drops; nothing outside it is touched. */
    public static final String SCHEMA = "idem_bench";

    /** The store's table, created from the shipped DDL. */
    public static final String TABLE = SCHEMA + ".idempotency_record";

    /** The scope of every benchmark key. */
    public static final String SCOPE = "bench";

    /** The fingerprint of every benchmark request; {@code run.sh} passes the same value to pgbench. */
    public static final RequestFingerprint FINGERPRINT =
            new RequestFingerprint("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8");

    /** The lease and TTL the engine uses by default. */
    public static final Duration LEASE = Duration.ofSeconds(30);
    public static final Duration TTL = Duration.ofHours(24);

    /** What a benchmark request stores: a small JSON body with its content type, as the HTTP filter would. */
    public static final StoredResponse RESPONSE = new StoredResponse(200,
            Map.of("Content-Type", List.of("application/json")), "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));

    /** How many completed keys ({@code "1"} to {@code "100000"}) the replay benchmarks pick from. */
    public static final int REPLAY_KEYS = 100_000;

    /** New keys are 15 random digits, the same range as {@code random(...)} in claim-complete.sql. */
    public static final long NEW_KEY_MIN = 100_000_000_000_000L;
    public static final long NEW_KEY_MAX = 999_999_999_999_999L;

    private BenchDatabase() {}

    /** {@code IDEMPOTENCY_BENCH_POSTGRES_URL}, or the local server with trust authentication. */
    public static String url() {
        String url = System.getenv("IDEMPOTENCY_BENCH_POSTGRES_URL");
        return url == null || url.isBlank() ? "jdbc:postgresql://127.0.0.1:5432/test?user=postgres" : url;
    }

    /** A HikariCP pool of exactly {@code size} connections, opened up front. */
    public static HikariDataSource pool(int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url());
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(size);
        config.setPoolName("bench-" + size);
        config.setConnectionTimeout(30_000);
        return new HikariDataSource(config);
    }

    /** The PostgreSQL store on {@link #TABLE}, with the dialect named so no detection round trip is counted. */
    public static JdbcIdempotencyStore store(DataSource dataSource) {
        return JdbcIdempotencyStore.builder(dataSource).tableName(TABLE).dialect(new PostgresDialect()).build();
    }

    /** A key nobody used yet (15 random digits; a collision within a run is vanishingly unlikely). */
    public static IdempotencyKey newKey() {
        return IdempotencyKey.of(SCOPE, Long.toString(
                ThreadLocalRandom.current().nextLong(NEW_KEY_MIN, NEW_KEY_MAX + 1)));
    }

    /** One of the completed keys that {@link #reset} wrote. */
    public static IdempotencyKey replayKey() {
        return IdempotencyKey.of(SCOPE, Integer.toString(ThreadLocalRandom.current().nextInt(1, REPLAY_KEYS + 1)));
    }

    /**
     * Empties the table and writes {@link #REPLAY_KEYS} completed records ({@code "1"}, {@code "2"}, ...) with
     * {@link #RESPONSE}, then vacuums, so every measurement starts from the same table.
     */
    public static void reset(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE " + TABLE);
            try (PreparedStatement insert = connection.prepareStatement(fillSql("g::text", "7 days", false))) {
                insert.setString(1, SCOPE);
                insert.setString(2, FINGERPRINT.value());
                insert.setBytes(3, RESPONSE.encodeHeaders());
                insert.setBytes(4, RESPONSE.body());
                insert.setLong(5, 1);
                insert.setLong(6, REPLAY_KEYS);
                insert.executeUpdate();
            }
            statement.execute("VACUUM ANALYZE " + TABLE);
        }
    }

    /**
     * The bulk insert of completed records for keys {@code from..to} of {@code generate_series}: {@code keyExpr}
     * makes the key from {@code g}; with {@code everyTenthExpired} every tenth row has already expired, for the
     * purge measurement.
     */
    static String fillSql(String keyExpr, String retention, boolean everyTenthExpired) {
        String expiresAt = everyTenthExpired
                ? "CASE WHEN g % 10 = 0 THEN statement_timestamp() - interval '1 hour' "
                        + "ELSE statement_timestamp() + interval '" + retention + "' END"
                : "statement_timestamp() + interval '" + retention + "'";
        return """
                INSERT INTO %s (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                response_status, response_headers, response_body, created_at, expires_at,
                                completed_at)
                SELECT ?, %s, ?, 'COMPLETED', md5(g::text), NULL, 200, ?, ?, statement_timestamp() - interval '2 hours',
                       %s, statement_timestamp() - interval '2 hours'
                  FROM generate_series(?::bigint, ?::bigint) g""".formatted(TABLE, keyExpr, expiresAt);
    }
}
