package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.dialect.SqlDialect;
import dev.idempotency.store.tck.IdempotencyStoreContractTest;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The core contract suite ({@link IdempotencyStoreContractTest}, unchanged) on a real database, with the table
 * created from the shipped schema file through {@link JdbcIdempotencySchema}. The tests added here cover what only
 * a database store can get wrong: column types that alter keys or payloads, the database clock, table names spliced
 * into SQL, dialect detection and connection failures.
 */
abstract class AbstractJdbcIdempotencyStoreIT extends IdempotencyStoreContractTest {

    static final String TABLE = "idempotency_record";
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration TTL = Duration.ofHours(24);
    static final Duration SHORT_LEASE = Duration.ofMillis(300);
    static final int RACE_THREADS = 64;
    static final int RACE_KEYS = 200;
    static final int HOT_KEY_REPLAYS = 8;

    static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("POST", "/orders", "{\"amount\":1}");
    static final RequestFingerprint OTHER_FINGERPRINT = RequestFingerprint.of("POST", "/orders", "{\"amount\":2}");

    /** Prints the wall time of the contract suite's 64-thread race, the number reported per database. */
    @RegisterExtension
    final RaceTimer raceTimer = new RaceTimer(this::databaseName);

    /** The pool into this run's schema, with the table created from the shipped file. */
    protected abstract DataSource dataSource();

    /** The dialect under test, set explicitly so a detection bug cannot hide behind another dialect. */
    protected abstract SqlDialect dialect();

    /** The database's name for the race timing line. */
    protected abstract String databaseName();

    @Override
    protected IdempotencyStore createStore() {
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.executeUpdate("DELETE FROM " + TABLE);
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return JdbcIdempotencyStore.builder(dataSource()).tableName(TABLE).dialect(dialect())
                .transactionalConnections(transactions).build();
    }

    /** The business transactions of {@link CheckpointsInTransactions}, which the store under test joins. */
    final ThreadBoundTransactions transactions = new ThreadBoundTransactions();

    /** The contract's transactional cases, with a business table next to the store's. */
    @Nested
    class CheckpointsInTransactions extends TransactionalCheckpoints {

        private static final String BUSINESS_TABLE = "checkpoint_business_row";

        @BeforeEach
        void createBusinessTable() throws SQLException {
            try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE IF NOT EXISTS " + BUSINESS_TABLE + " (id VARCHAR(64) PRIMARY KEY)");
                if (!connection.getAutoCommit()) {
                    connection.commit();
                }
            }
        }

        @Override
        protected void inTransaction(Runnable work) {
            transactions.run(dataSource(), work);
        }

        @Override
        protected void insertBusinessRow(String id) {
            try (PreparedStatement insert = transactions.connection()
                    .prepareStatement("INSERT INTO " + BUSINESS_TABLE + " (id) VALUES (?)")) {
                insert.setString(1, id);
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected boolean businessRowCommitted(String id) {
            try (Connection connection = dataSource().getConnection();
                    PreparedStatement select = connection.prepareStatement("SELECT id FROM " + BUSINESS_TABLE + " WHERE id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next();
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static IdempotencyKey newKey() {
        return IdempotencyKey.of("tenant-a", UUID.randomUUID().toString());
    }

    static ClaimRequest request(IdempotencyKey key, RequestFingerprint fingerprint, Duration lease, Duration ttl) {
        return new ClaimRequest(key, fingerprint, OwnerToken.random(), lease, ttl);
    }

    static ClaimRequest request(IdempotencyKey key) {
        return request(key, FINGERPRINT, LEASE, TTL);
    }

    static StoredResponse response(int status, int bodySize) {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Content-Type", List.of("application/json"));
        headers.put("Set-Cookie", List.of("a=1; Path=/", "b=2; Path=/", "a=1; Path=/"));
        headers.put("X-Empty", List.of(""));
        headers.put("X-Unicode", List.of("gr\u00fc\u00df \u2603 \uD83D\uDE00"));
        byte[] body = new byte[bodySize];
        new Random(42).nextBytes(body);
        return new StoredResponse(status, headers, body);
    }

    @Test
    void schemaCheckFindsTheShippedTableUsableAndTellsAMissingTableOrColumnApart() throws SQLException {
        assertThat(JdbcIdempotencySchema.check(dataSource(), TABLE).usable()).isTrue();
        JdbcIdempotencySchema.Check missing = JdbcIdempotencySchema.check(dataSource(), "no_such_idempotency_table");
        assertThat(missing.tableExists()).isFalse();
        assertThat(missing.usable()).isFalse();
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE idempotency_partial (scope VARCHAR(255), idempotency_key VARCHAR(255))");
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        }
        try {
            JdbcIdempotencySchema.Check partial = JdbcIdempotencySchema.check(dataSource(), "idempotency_partial");
            assertThat(partial.tableExists()).isTrue();
            assertThat(partial.missingColumns()).contains("fingerprint", "owner_token", "completed_at")
                    .doesNotContain("scope", "idempotency_key");
        } finally {
            try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
                statement.execute("DROP TABLE idempotency_partial");
                if (!connection.getAutoCommit()) {
                    connection.commit();
                }
            }
        }
    }

    @Test
    void keysAreCaseSensitiveAndKeepTheirExactCharacters() {
        String base = "Key-" + UUID.randomUUID();
        assertThat(store.claim(request(IdempotencyKey.of("tenant-a", base)))).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.claim(request(IdempotencyKey.of("tenant-a", base.toLowerCase()))))
                .isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.claim(request(IdempotencyKey.of("Tenant-A", base)))).isInstanceOf(ClaimResult.Acquired.class);
        IdempotencyKey longUnicode = IdempotencyKey.of("t\u00e9nant-\u2603".repeat(25), "\u00fc".repeat(255));
        assertThat(store.claim(request(longUnicode)).record().key()).isEqualTo(longUnicode);
    }

    @Test
    void recoveryPointOfFullLengthRoundTrips() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);
        RecoveryPoint point = new RecoveryPoint("p".repeat(RecoveryPoint.MAX_PHASE_LENGTH),
                "\u00e9".repeat(RecoveryPoint.MAX_PAYLOAD_LENGTH));

        store.checkpoint(key, first.ownerToken(), point, LEASE);

        assertThat(store.find(key).orElseThrow().recoveryPoint()).isEqualTo(point);
    }

    /**
     * The database clock decides: a lease of 300 ms is measured between two database timestamps, so the record
     * cannot be taken over before 300 ms of database time passed, whatever the JVM's clock says.
     */
    @Test
    void leasesAreMeasuredOnTheDatabaseClock() throws InterruptedException {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key, FINGERPRINT, Duration.ofSeconds(2), TTL);
        IdempotencyRecord record = store.claim(first).record();

        assertThat(Duration.between(record.createdAt(), record.leaseExpiresAt())).isEqualTo(Duration.ofSeconds(2));
        assertThat(Duration.between(record.createdAt(), record.expiresAt())).isEqualTo(TTL);
        assertThat(store.claim(request(key))).isInstanceOf(ClaimResult.InProgress.class);
        letTimePass(Duration.ofMillis(2200));
        assertThat(store.claim(request(key))).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void tableNameThatIsNotAnIdentifierIsRejected() {
        for (String bad : List.of("idempotency_record; DROP TABLE x", "t\"x", "a.b.c", "1abc", "", "a b", "t--",
                "idempotency_record WHERE 1=1")) {
            assertThatThrownBy(() -> JdbcIdempotencyStore.builder(dataSource()).tableName(bad))
                    .as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a valid table name");
        }
    }

    @Test
    void detectsTheDialectFromTheConnection() {
        JdbcIdempotencyStore detected = JdbcIdempotencyStore.builder(dataSource()).build();

        assertThat(detected.dialect()).isInstanceOf(dialect().getClass());
        assertThat(detected.claim(request(newKey()))).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void customTableNameWorksWithTheShippedSchema() {
        String table = "custom_idem_" + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        JdbcIdempotencySchema.create(dataSource(), table);
        try {
            IdempotencyStore custom = JdbcIdempotencyStore.builder(dataSource()).tableName(table).build();
            ClaimRequest claim = request(newKey());
            assertThat(custom.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);
            assertThat(custom.complete(claim.key(), claim.ownerToken(), response(200, 2), TTL))
                    .isInstanceOf(CompleteResult.Completed.class);
            assertThat(custom.purgeExpired(10).deleted()).isZero();
            assertThat(store.find(claim.key())).isEmpty();
        } finally {
            JdbcIdempotencySchema.drop(dataSource(), table);
        }
    }

    @Test
    void unreachableDatabaseSurfacesAsStoreException() {
        DataSource broken = new BrokenDataSource();
        IdempotencyStore failing = JdbcIdempotencyStore.builder(broken).dialect(dialect()).build();

        assertThatThrownBy(() -> failing.claim(request(newKey())))
                .isInstanceOf(dev.idempotency.core.store.IdempotencyStoreException.class)
                .hasMessageContaining("claim")
                .hasMessageContaining(TABLE);
    }

    /**
     * The original failure surfaces, not a failure to restore the connection's settings afterwards; that one is
     * attached as suppressed, and the connection, whose state is now unknown, is aborted rather than returned
     * as it is.
     */
    @Test
    void failedResetOfTheConnectionDoesNotHideTheOriginalFailure() {
        ResetFailingDataSource failing = new ResetFailingDataSource(dataSource());
        IdempotencyStore missingTable = JdbcIdempotencyStore.builder(failing).tableName("no_such_table")
                .dialect(dialect()).build();

        assertThatThrownBy(() -> missingTable.claim(request(newKey())))
                .isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("claim")
                .hasMessageContaining("no_such_table")
                .satisfies(e -> {
                    assertThat(e.getCause()).isInstanceOf(SQLException.class);
                    assertThat(e.getCause().getMessage()).doesNotContain(ResetFailingDataSource.MESSAGE);
                    assertThat(e.getCause().getMessage().toLowerCase()).contains("no_such_table");
                    assertThat(e.getCause().getSuppressed())
                            .anySatisfy(s -> assertThat(s).hasMessageContaining(ResetFailingDataSource.MESSAGE));
                });
        assertThat(failing.aborted()).isEqualTo(1);
        assertThat(store.claim(request(newKey()))).isInstanceOf(ClaimResult.Acquired.class);
    }

    /**
     * A replay reads: while another transaction holds the key's row lock, replays of the key still answer with the
     * stored response instead of queuing for the lock.
     */
    @Test
    void replaysDoNotWaitForTheKeysRowLock() throws Exception {
        ClaimRequest first = request(newKey());
        store.claim(first);
        StoredResponse stored = response(201, 16);
        store.complete(first.key(), first.ownerToken(), stored, TTL);
        ExecutorService threads = Executors.newFixedThreadPool(HOT_KEY_REPLAYS);
        try (Connection holder = dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (var ps = holder.prepareStatement(
                    "SELECT owner_token FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ? FOR UPDATE")) {
                ps.setString(1, first.key().scope());
                ps.setString(2, first.key().key());
                try (var rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                }
            }
            try {
                List<Future<ClaimResult>> replays = new ArrayList<>();
                for (int i = 0; i < HOT_KEY_REPLAYS; i++) {
                    replays.add(threads.submit(() -> store.claim(request(first.key()))));
                }
                for (Future<ClaimResult> replay : replays) {
                    // Generous: a replay that waits for the lock waits until the holder ends or its lock wait
                    // times out and the store gives up.
                    ClaimResult result = replay.get(20, TimeUnit.SECONDS);
                    assertThat(result).isInstanceOf(ClaimResult.AlreadyCompleted.class);
                    assertThat(result.record().response().body()).isEqualTo(stored.body());
                }
            } finally {
                holder.rollback();
            }
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * A claim that committed stays the caller's claim when restoring the connection's settings fails afterwards:
     * the result is returned and the connection aborted, instead of an error for work that was done.
     */
    @Test
    void failedResetAfterCommittedWorkKeepsTheResultAndAbortsTheConnection() {
        ResetFailingDataSource failing = new ResetFailingDataSource(dataSource());
        IdempotencyStore resetFailing = JdbcIdempotencyStore.builder(failing).tableName(TABLE).dialect(dialect())
                .build();
        ClaimRequest claim = request(newKey());

        assertThat(resetFailing.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);

        assertThat(failing.aborted()).isEqualTo(1);
        assertThat(store.find(claim.key()).orElseThrow().ownerToken()).isEqualTo(claim.ownerToken());
        assertThat(store.claim(request(newKey()))).isInstanceOf(ClaimResult.Acquired.class);
    }

    /**
     * A record the dialect cannot map (here: stored headers in an unknown format) is a store failure naming the
     * operation, the key and the table, not a raw runtime exception from the mapping code.
     */
    @Test
    void unreadableRecordSurfacesAsStoreException() throws SQLException {
        ClaimRequest claim = request(newKey());
        store.claim(claim);
        store.complete(claim.key(), claim.ownerToken(), response(200, 4), TTL);
        try (Connection connection = dataSource().getConnection();
                var ps = connection.prepareStatement("UPDATE " + TABLE
                        + " SET response_headers = ? WHERE scope = ? AND idempotency_key = ?")) {
            ps.setBytes(1, new byte[] {99});
            ps.setString(2, claim.key().scope());
            ps.setString(3, claim.key().key());
            assertThat(ps.executeUpdate()).isEqualTo(1);
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        }

        assertThatThrownBy(() -> store.find(claim.key()))
                .isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("find")
                .hasMessageContaining(claim.key().key())
                .hasMessageContaining(TABLE)
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.claim(request(claim.key())))
                .isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("claim")
                .hasMessageContaining(claim.key().key())
                .hasMessageContaining(TABLE)
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Hands out the pool's connections set to SERIALIZABLE, so the store changes the isolation or autocommit for
     * its work and must restore it; once a statement was prepared, every such change fails, as it would on a
     * connection that broke during the work. Counts the connections aborted.
     */
    static final class ResetFailingDataSource implements DataSource {

        static final String MESSAGE = "resetting the connection failed (test)";

        private final DataSource delegate;
        private final AtomicInteger aborted = new AtomicInteger();

        ResetFailingDataSource(DataSource delegate) {
            this.delegate = delegate;
        }

        int aborted() {
            return aborted.get();
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection real = delegate.getConnection();
            real.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
            AtomicBoolean worked = new AtomicBoolean();
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "prepareStatement", "createStatement", "prepareCall" -> worked.set(true);
                            case "setAutoCommit", "setTransactionIsolation" -> {
                                if (worked.get()) {
                                    throw new SQLException(MESSAGE, "08006");
                                }
                            }
                            case "abort" -> aborted.incrementAndGet();
                            default -> { }
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return delegate.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            delegate.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            delegate.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return delegate.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return delegate.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return delegate.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return delegate.isWrapperFor(iface);
        }
    }

    long countRows() {
        try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement();
                var rs = statement.executeQuery("SELECT COUNT(*) FROM " + TABLE)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
