package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * On PostgreSQL a replay (a claim of a completed key) and the answer for a live in-progress key are reads: they
 * lock no row, take no transaction id and write no WAL, so replays neither cost a durable write nor queue behind
 * each other, or behind anyone else, on the key's row lock.
 */
class PostgresReplayWritesNothingIT {

    private static final String TABLE = "idempotency_record";
    private static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("POST", "/orders", "{\"amount\":1}");
    private static final Duration LEASE = Duration.ofMinutes(5);
    private static final Duration TTL = Duration.ofHours(24);
    private static final StoredResponse RESPONSE = new StoredResponse(201,
            Map.of("Content-Type", List.of("application/json")), "{\"id\":42}".getBytes());
    private static final int REPLAYS = 100;
    /**
     * What one round (100 replays of a completed key and 100 answers for a live key) may write to the WAL of the
     * whole cluster, other sessions' writes included. Measured before replays became reads, when each of them locked
     * the row: 19,248 to 19,272 bytes per round, about 96 bytes per replay (the lock record and the commit). After:
     * 0 bytes in a quiet round. The bound is a tenth of the locking figure.
     */
    private static final long WAL_BOUND_BYTES = 2_000;
    /**
     * Rounds tried at most. The replays write nothing, so any round in which no other session wrote ends the test;
     * a busy shared server may need many.
     */
    private static final int WAL_ROUNDS = 50;
    private static final int HOT_KEY_THREADS = 32;

    private static TestDatabase database;
    private static IdempotencyStore store;

    @BeforeAll
    static void startDatabase() {
        database = new PostgresTestDatabase().start(HOT_KEY_THREADS + 4);
        JdbcIdempotencySchema.create(database.dataSource(), TABLE);
        store = JdbcIdempotencyStore.builder(database.dataSource()).tableName(TABLE).dialect(new PostgresDialect())
                .build();
    }

    @AfterAll
    static void stopDatabase() {
        if (database != null) {
            database.close();
        }
    }

    @Test
    void replaysOfACompletedKeyAndAnswersForALiveKeyLeaveTheRowAndTheWalAlone() throws SQLException {
        IdempotencyKey completed = completedKey();
        IdempotencyKey inProgress = newKey();
        assertThat(store.claim(request(inProgress))).isInstanceOf(ClaimResult.Acquired.class);
        // Reading the rows once sets their hint bits, a one-off write that is not the replays'.
        store.find(completed);
        store.find(inProgress);
        String completedXmax = xmax(completed);
        String inProgressXmax = xmax(inProgress);
        // The WAL position is the whole cluster's, so other sessions' writes add to it: the least round is the
        // replays' own share as closely as this can tell it, and one round under the bound settles it.
        long leastWalWritten = Long.MAX_VALUE;
        List<Long> rounds = new ArrayList<>();
        for (int round = 0; round < WAL_ROUNDS; round++) {
            long walBefore = walPosition();
            for (int i = 0; i < REPLAYS; i++) {
                assertThat(store.claim(request(completed))).isInstanceOf(ClaimResult.AlreadyCompleted.class);
                assertThat(store.claim(request(inProgress))).isInstanceOf(ClaimResult.InProgress.class);
            }
            long walWritten = walPosition() - walBefore;
            rounds.add(walWritten);
            leastWalWritten = Math.min(leastWalWritten, walWritten);
            if (leastWalWritten < WAL_BOUND_BYTES && rounds.size() >= 3) {
                break;
            }
        }

        System.out.printf("PostgreSQL: %d replays of a completed key and %d answers for a live key wrote %s bytes"
                + " of WAL (cluster-wide, per round)%n", REPLAYS, REPLAYS, rounds);
        assertThat(xmax(completed)).as("xmax of the completed row").isEqualTo(completedXmax);
        assertThat(xmax(inProgress)).as("xmax of the in-progress row").isEqualTo(inProgressXmax);
        assertThat(leastWalWritten).as("WAL bytes written by the replays").isLessThan(WAL_BOUND_BYTES);
    }

    /**
     * Noise-free: a transaction that only replays never gets a transaction id, which any row lock or row write
     * would assign it.
     */
    @Test
    void replaysTakeNoTransactionId() throws SQLException {
        IdempotencyKey completed = completedKey();
        IdempotencyKey inProgress = newKey();
        assertThat(store.claim(request(inProgress))).isInstanceOf(ClaimResult.Acquired.class);
        PostgresDialect dialect = new PostgresDialect();
        try (Connection connection = database.dataSource().getConnection()) {
            connection.setAutoCommit(false);
            try {
                for (int i = 0; i < REPLAYS; i++) {
                    assertThat(dialect.claim(connection, TABLE, request(completed)))
                            .isInstanceOf(ClaimResult.AlreadyCompleted.class);
                    assertThat(dialect.claim(connection, TABLE, request(inProgress)))
                            .isInstanceOf(ClaimResult.InProgress.class);
                }
                try (Statement statement = connection.createStatement();
                        ResultSet rs = statement.executeQuery("SELECT pg_current_xact_id_if_assigned()::text")) {
                    rs.next();
                    assertThat(rs.getString(1)).as("the replaying transaction's id").isNull();
                }
            } finally {
                connection.rollback();
            }
        }
    }

    @Test
    void replaysOfAHotKeyDoNotWaitForItsRowLock() throws Exception {
        IdempotencyKey key = completedKey();
        ExecutorService threads = Executors.newFixedThreadPool(HOT_KEY_THREADS);
        try (Connection holder = database.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement(
                    "SELECT owner_token FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ? FOR UPDATE")) {
                ps.setString(1, key.scope());
                ps.setString(2, key.key());
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                }
            }
            try {
                List<Future<ClaimResult>> replays = new ArrayList<>();
                for (int i = 0; i < HOT_KEY_THREADS; i++) {
                    replays.add(threads.submit(() -> store.claim(request(key))));
                }
                for (Future<ClaimResult> replay : replays) {
                    // Generous: a replay that waits for the row lock waits until the holder ends, far beyond this.
                    ClaimResult result = replay.get(20, TimeUnit.SECONDS);
                    assertThat(result).isInstanceOf(ClaimResult.AlreadyCompleted.class);
                    StoredResponse stored = ((ClaimResult.AlreadyCompleted) result).record().response();
                    assertThat(stored.status()).isEqualTo(RESPONSE.status());
                    assertThat(stored.body()).isEqualTo(RESPONSE.body());
                }
            } finally {
                holder.rollback();
            }
        } finally {
            threads.shutdownNow();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    /**
     * The second statement of a takeover re-checks the claim rule under the row lock: a claim that read an abandoned
     * lease, but whose update waited while the owner renewed it, takes nothing, runs again and answers in progress.
     */
    @Test
    void takeoverThatMeetsARenewedLeaseUnderTheLockTakesNothing() throws Exception {
        IdempotencyKey key = newKey();
        ClaimRequest owner = new ClaimRequest(key, FINGERPRINT, OwnerToken.random(), Duration.ofMillis(200), TTL);
        assertThat(store.claim(owner)).isInstanceOf(ClaimResult.Acquired.class);
        Thread.sleep(400);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (Connection holder = database.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            try (PreparedStatement ps = holder.prepareStatement(
                    "SELECT owner_token FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ? FOR UPDATE")) {
                ps.setString(1, key.scope());
                ps.setString(2, key.key());
                ps.executeQuery().close();
            }
            Future<ClaimResult> takeover = thread.submit(() -> store.claim(request(key)));
            awaitUpdateWaitingForALock();
            try (PreparedStatement ps = holder.prepareStatement("UPDATE " + TABLE
                    + " SET lease_expires_at = statement_timestamp() + interval '5 minutes'"
                    + " WHERE scope = ? AND idempotency_key = ?")) {
                ps.setString(1, key.scope());
                ps.setString(2, key.key());
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            holder.commit();

            ClaimResult result = takeover.get(20, TimeUnit.SECONDS);
            assertThat(result).isInstanceOf(ClaimResult.InProgress.class);
            assertThat(result.record().ownerToken()).isEqualTo(owner.ownerToken());
            assertThat(store.find(key).orElseThrow().ownerToken()).isEqualTo(owner.ownerToken());
        } finally {
            thread.shutdownNow();
        }
    }

    /** Waits until a backend of this database runs an UPDATE that waits for a row lock: the takeover's second step. */
    private static void awaitUpdateWaitingForALock() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Connection connection = database.dataSource().getConnection();
                    Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT count(*) FROM pg_stat_activity"
                            + " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                            + " AND query LIKE 'UPDATE " + TABLE + " AS r%'")) {
                rs.next();
                if (rs.getInt(1) > 0) {
                    return;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no claim's UPDATE waited for the row lock");
    }

    private static IdempotencyKey completedKey() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        assertThat(store.claim(first)).isInstanceOf(ClaimResult.Acquired.class);
        store.complete(key, first.ownerToken(), RESPONSE, TTL);
        return key;
    }

    private static IdempotencyKey newKey() {
        return IdempotencyKey.of("tenant-a", UUID.randomUUID().toString());
    }

    private static ClaimRequest request(IdempotencyKey key) {
        return new ClaimRequest(key, FINGERPRINT, OwnerToken.random(), LEASE, TTL);
    }

    /** The transaction id that last locked or deleted the row's current version; a row lock sets it. */
    private static String xmax(IdempotencyKey key) throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                PreparedStatement ps = connection.prepareStatement(
                        "SELECT xmax::text FROM " + TABLE + " WHERE scope = ? AND idempotency_key = ?")) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1);
            }
        }
    }

    private static long walPosition() throws SQLException {
        try (Connection connection = database.dataSource().getConnection();
                Statement statement = connection.createStatement();
                ResultSet rs = statement.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
