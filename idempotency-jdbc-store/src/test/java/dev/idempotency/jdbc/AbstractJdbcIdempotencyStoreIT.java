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
import dev.idempotency.core.store.IdempotencyStoreContractTest;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.sql.Connection;
import java.sql.SQLException;
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
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * What every JDBC dialect must do, on a real database with the table created from the shipped schema file. Runs the
 * core contract suite too, through {@link IdempotencyStoreContractTest}; the tests here add what only a database
 * store can get wrong: exact bytes through the column types, the database clock, and a hard concurrency race.
 */
abstract class AbstractJdbcIdempotencyStoreIT extends IdempotencyStoreContractTest {

    static final String TABLE = "idempotency_record";
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration TTL = Duration.ofHours(24);
    static final Duration SHORT_LEASE = Duration.ofMillis(300);
    static final int RACE_THREADS = 64;
    static final int RACE_KEYS = 200;

    static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("POST", "/orders", "{\"amount\":1}");
    static final RequestFingerprint OTHER_FINGERPRINT = RequestFingerprint.of("POST", "/orders", "{\"amount\":2}");

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
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return JdbcIdempotencyStore.builder(dataSource()).tableName(TABLE).dialect(dialect()).build();
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
    void firstClaimAcquiresAFreshInProgressRecord() {
        IdempotencyKey key = newKey();
        ClaimRequest request = request(key);

        ClaimResult result = store.claim(request);

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) result).takeover()).isFalse();
        IdempotencyRecord record = result.record();
        assertThat(record.key()).isEqualTo(key);
        assertThat(record.status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
        assertThat(record.ownerToken()).isEqualTo(request.ownerToken());
        assertThat(record.fingerprint()).isEqualTo(FINGERPRINT);
        assertThat(record.recoveryPoint()).isNull();
        assertThat(Duration.between(record.createdAt(), record.leaseExpiresAt())).isEqualTo(LEASE);
        assertThat(Duration.between(record.createdAt(), record.expiresAt())).isEqualTo(TTL);
    }

    @Test
    void duplicateAfterCompletionReplaysTheExactResponseIncludingAOneMebibyteBody() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);
        StoredResponse stored = response(201, 1024 * 1024 + 17);

        CompleteResult completed = store.complete(key, first.ownerToken(), stored, TTL);
        ClaimResult duplicate = store.claim(request(key));

        assertThat(completed).isInstanceOf(CompleteResult.Completed.class);
        assertThat(duplicate).isInstanceOf(ClaimResult.AlreadyCompleted.class);
        StoredResponse replayed = duplicate.record().response();
        assertThat(replayed).isEqualTo(stored);
        assertThat(replayed.body()).isEqualTo(stored.body());
        assertThat(List.copyOf(replayed.headers().keySet())).containsExactlyElementsOf(stored.headers().keySet());
        assertThat(replayed.headers().get("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; Path=/", "a=1; Path=/");
        assertThat(duplicate.record().leaseExpiresAt()).isNull();
        assertThat(((CompleteResult.Completed) completed).expiresAt()).isEqualTo(duplicate.record().expiresAt());
        assertThat(store.find(key)).get().extracting(IdempotencyRecord::response).isEqualTo(stored);
    }

    @Test
    void emptyBodyAndNoHeadersRoundTrip() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);
        store.complete(key, first.ownerToken(), StoredResponse.of(204, new byte[0]), TTL);

        StoredResponse replayed = store.claim(request(key)).record().response();

        assertThat(replayed).isEqualTo(StoredResponse.of(204, new byte[0]));
    }

    @Test
    void duplicateWhileInProgressSeesTheHolder() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);

        ClaimResult duplicate = store.claim(request(key));

        assertThat(duplicate).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(duplicate.record().ownerToken()).isEqualTo(first.ownerToken());
    }

    @Test
    void expiredLeaseIsTakenOverAndTheStaleOwnerIsFencedOut() throws InterruptedException {
        IdempotencyKey key = newKey();
        ClaimRequest crashed = request(key, FINGERPRINT, SHORT_LEASE, TTL);
        IdempotencyRecord original = store.claim(crashed).record();
        assertThat(store.checkpoint(key, crashed.ownerToken(), new RecoveryPoint("charged", "ch_123"), SHORT_LEASE))
                .isInstanceOf(RenewResult.Renewed.class);
        letTimePass(SHORT_LEASE.plusMillis(200));

        ClaimRequest retry = request(key);
        ClaimResult result = store.claim(retry);

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) result).takeover()).isTrue();
        IdempotencyRecord takenOver = result.record();
        assertThat(takenOver.ownerToken()).isEqualTo(retry.ownerToken()).isNotEqualTo(crashed.ownerToken());
        assertThat(takenOver.createdAt()).isEqualTo(original.createdAt());
        assertThat(takenOver.recoveryPoint()).isEqualTo(new RecoveryPoint("charged", "ch_123"));
        assertThat(takenOver.expiresAt()).isAfterOrEqualTo(takenOver.leaseExpiresAt());

        assertThat(store.complete(key, crashed.ownerToken(), response(200, 10), TTL))
                .isInstanceOf(CompleteResult.OwnershipLost.class);
        assertThat(store.renew(key, crashed.ownerToken(), LEASE)).isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.checkpoint(key, crashed.ownerToken(), RecoveryPoint.of("x"), LEASE))
                .isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.release(key, crashed.ownerToken())).isInstanceOf(ReleaseResult.OwnershipLost.class);
        assertThat(store.find(key)).get().extracting(IdempotencyRecord::ownerToken).isEqualTo(retry.ownerToken());
        assertThat(store.complete(key, retry.ownerToken(), response(200, 10), TTL))
                .isInstanceOf(CompleteResult.Completed.class);
    }

    @Test
    void expiredLeaseWithADifferentFingerprintIsNotHandedOver() throws InterruptedException {
        IdempotencyKey key = newKey();
        store.claim(request(key, FINGERPRINT, SHORT_LEASE, TTL));
        letTimePass(SHORT_LEASE.plusMillis(200));

        ClaimResult result = store.claim(request(key, OTHER_FINGERPRINT, LEASE, TTL));

        assertThat(result).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(result.record().fingerprint()).isEqualTo(FINGERPRINT);
    }

    @Test
    void expiredRecordIsReacquiredAsAFreshRecord() throws InterruptedException {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key, FINGERPRINT, SHORT_LEASE, SHORT_LEASE);
        store.claim(first);
        store.checkpoint(key, first.ownerToken(), RecoveryPoint.of("started"), SHORT_LEASE);
        letTimePass(SHORT_LEASE.plusMillis(200));
        assertThat(store.find(key)).isEmpty();

        ClaimRequest again = request(key, OTHER_FINGERPRINT, LEASE, TTL);
        ClaimResult result = store.claim(again);

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) result).takeover()).isFalse();
        assertThat(result.record().fingerprint()).isEqualTo(OTHER_FINGERPRINT);
        assertThat(result.record().recoveryPoint()).isNull();
        assertThat(Duration.between(result.record().createdAt(), result.record().expiresAt())).isEqualTo(TTL);
    }

    @Test
    void completedRecordIsReacquiredAfterItsRetention() throws InterruptedException {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);
        store.complete(key, first.ownerToken(), response(200, 3), SHORT_LEASE);
        letTimePass(SHORT_LEASE.plusMillis(200));

        ClaimResult result = store.claim(request(key));

        assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(((ClaimResult.Acquired) result).takeover()).isFalse();
        assertThat(result.record().response()).isNull();
        assertThat(result.record().status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
    }

    @Test
    void renewExtendsTheLeaseAndKeepsTheExpiryAboveIt() throws InterruptedException {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key, FINGERPRINT, SHORT_LEASE, SHORT_LEASE);
        store.claim(first);

        RenewResult renewed = store.renew(key, first.ownerToken(), Duration.ofSeconds(5));
        letTimePass(SHORT_LEASE.plusMillis(200));

        assertThat(renewed).isInstanceOf(RenewResult.Renewed.class);
        IdempotencyRecord record = store.find(key).orElseThrow();
        assertThat(record.leaseExpiresAt()).isEqualTo(((RenewResult.Renewed) renewed).leaseExpiresAt());
        assertThat(record.expiresAt()).isAfterOrEqualTo(record.leaseExpiresAt());
        assertThat(store.claim(request(key))).isInstanceOf(ClaimResult.InProgress.class);
    }

    @Test
    void releaseDeletesTheClaimSoTheKeyRunsAfresh() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);

        assertThat(store.release(key, first.ownerToken())).isInstanceOf(ReleaseResult.Released.class);
        assertThat(store.find(key)).isEmpty();
        assertThat(store.release(key, first.ownerToken())).isInstanceOf(ReleaseResult.OwnershipLost.class);
        assertThat(store.claim(request(key))).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void completedRecordCannotBeCompletedOrReleasedAgain() {
        IdempotencyKey key = newKey();
        ClaimRequest first = request(key);
        store.claim(first);
        store.complete(key, first.ownerToken(), response(200, 5), TTL);

        assertThat(store.complete(key, first.ownerToken(), response(500, 5), TTL))
                .isInstanceOf(CompleteResult.OwnershipLost.class);
        assertThat(store.release(key, first.ownerToken())).isInstanceOf(ReleaseResult.OwnershipLost.class);
        assertThat(store.renew(key, first.ownerToken(), LEASE)).isInstanceOf(RenewResult.OwnershipLost.class);
        assertThat(store.find(key).orElseThrow().response().status()).isEqualTo(200);
    }

    @Test
    void purgeRemovesOnlyExpiredRecordsInBoundedBatches() throws InterruptedException {
        List<IdempotencyKey> expiring = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            IdempotencyKey key = newKey();
            ClaimRequest claim = request(key, FINGERPRINT, SHORT_LEASE, SHORT_LEASE);
            store.claim(claim);
            if (i % 2 == 0) {
                store.complete(key, claim.ownerToken(), response(200, 1), SHORT_LEASE);
            }
            expiring.add(key);
        }
        IdempotencyKey live = newKey();
        store.claim(request(live));
        IdempotencyKey liveCompleted = newKey();
        ClaimRequest completed = request(liveCompleted);
        store.claim(completed);
        store.complete(liveCompleted, completed.ownerToken(), response(200, 1), TTL);
        letTimePass(SHORT_LEASE.plusMillis(200));

        PurgeResult firstBatch = store.purgeExpired(3);
        PurgeResult secondBatch = store.purgeExpired(3);
        PurgeResult thirdBatch = store.purgeExpired(3);

        assertThat(firstBatch).isEqualTo(new PurgeResult(3, 3));
        assertThat(firstBatch.mayHaveMore()).isTrue();
        assertThat(secondBatch).isEqualTo(new PurgeResult(2, 3));
        assertThat(thirdBatch.deleted()).isZero();
        assertThat(countRows()).isEqualTo(2);
        assertThat(store.find(live)).isPresent();
        assertThat(store.find(liveCompleted)).isPresent();
    }

    @Test
    void scopesAreIndependent() {
        String key = UUID.randomUUID().toString();
        ClaimRequest a = request(IdempotencyKey.of("tenant-a", key));
        ClaimRequest b = request(IdempotencyKey.of("tenant-b", key));

        assertThat(store.claim(a)).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.claim(b)).isInstanceOf(ClaimResult.Acquired.class);
        store.complete(a.key(), a.ownerToken(), response(200, 1), TTL);

        assertThat(store.claim(request(b.key()))).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(store.release(b.key(), a.ownerToken())).isInstanceOf(ReleaseResult.OwnershipLost.class);
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
        assertThat(store.claim(request(key))).isInstanceOf(ClaimResult.InProgress.class);
        letTimePass(Duration.ofMillis(2200));
        assertThat(store.claim(request(key))).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void sixtyFourThreadsRacingForEachOfTwoHundredKeysProduceExactlyOneWinnerPerKey() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(RACE_THREADS);
        long started = System.nanoTime();
        try {
            for (int k = 0; k < RACE_KEYS; k++) {
                IdempotencyKey key = newKey();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<ClaimResult>> futures = new ArrayList<>();
                for (int t = 0; t < RACE_THREADS; t++) {
                    futures.add(pool.submit(() -> {
                        start.await();
                        return store.claim(request(key));
                    }));
                }
                start.countDown();
                int acquired = 0;
                OwnerToken winner = null;
                List<ClaimResult> results = new ArrayList<>();
                for (Future<ClaimResult> future : futures) {
                    ClaimResult result = future.get(60, TimeUnit.SECONDS);
                    results.add(result);
                    if (result instanceof ClaimResult.Acquired won) {
                        acquired++;
                        winner = won.record().ownerToken();
                        assertThat(won.takeover()).isFalse();
                    }
                }
                assertThat(acquired).as("winners for key %s", key).isEqualTo(1);
                for (ClaimResult result : results) {
                    assertThat(result.record().ownerToken()).isEqualTo(winner);
                    if (!(result instanceof ClaimResult.Acquired)) {
                        assertThat(result).isInstanceOf(ClaimResult.InProgress.class);
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        System.out.printf("%s: %d threads x %d keys race took %d ms%n", databaseName(), RACE_THREADS, RACE_KEYS,
                took.toMillis());
        assertThat(countRows()).isEqualTo(RACE_KEYS);
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
