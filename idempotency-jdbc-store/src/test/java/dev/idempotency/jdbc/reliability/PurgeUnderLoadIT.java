package dev.idempotency.jdbc.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Scenario 6, purge under load: one million expired records are inserted in one {@code INSERT ... SELECT
 * generate_series} statement, then purged in batches through {@code store.purgeExpired} by one thread while other
 * threads keep claiming and completing new keys.
 *
 * <p>Passes when every claim during the purge is acquired and completes (no claim fails or waits on the purge), all
 * expired rows are gone, and no live record was purged. Reports the claim latency (p50, p99) just before the purge
 * and during it, and the purge throughput; the latencies are reported, not asserted.
 */
class PurgeUnderLoadIT {

    static final int EXPIRED_ROWS = Integer.getInteger("reliability.purge.rows", 1_000_000);
    static final int BATCH = 10_000;
    static final int CLAIMERS = 3;
    static final Duration WARMUP = Duration.ofSeconds(2);
    static final Duration BASELINE = Duration.ofSeconds(5);
    static final String TABLE = "idempotency_record";
    static final Duration LEASE = Duration.ofSeconds(30);
    static final Duration TTL = Duration.ofHours(1);

    @Test
    void claimsKeepSucceedingWhileAMillionExpiredRowsArePurged() throws Exception {
        long started = System.nanoTime();
        try (ReliabilityPostgres db = ReliabilityPostgres.start(CLAIMERS + 2)) {
            JdbcIdempotencySchema.create(db.dataSource(), TABLE);
            JdbcIdempotencyStore store = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();

            long insertStart = System.nanoTime();
            try (Connection connection = db.dataSource().getConnection(); Statement statement = connection.createStatement()) {
                statement.executeUpdate("""
                        INSERT INTO %s (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                        response_status, response_headers, response_body, created_at, expires_at,
                                        completed_at)
                        SELECT 'expired', 'old-' || g, repeat('f', 64), 'COMPLETED', md5(g::text), NULL,
                               200, NULL, '\\x7b7d'::bytea, statement_timestamp() - interval '2 days',
                               statement_timestamp() - interval '1 day' + (g %% 3600) * interval '1 second',
                               statement_timestamp() - interval '2 days'
                          FROM generate_series(1, %d) AS g""".formatted(TABLE, EXPIRED_ROWS));
                statement.execute("ANALYZE " + TABLE);
            }
            long insertMillis = (System.nanoTime() - insertStart) / 1_000_000;

            Phase phase = new Phase();
            ExecutorService claimers = Executors.newFixedThreadPool(CLAIMERS);
            List<Future<?>> running = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int i = 0; i < CLAIMERS; i++) {
                running.add(claimers.submit(() -> claimLoop(store, phase, failure)));
            }
            // Unrecorded warm-up (JIT, pool, the planner after the bulk insert), then the baseline.
            Thread.sleep(WARMUP.toMillis());
            phase.current = phase.baseline;
            Thread.sleep(BASELINE.toMillis());

            phase.current = phase.during;
            long purgeStart = System.nanoTime();
            long purged = 0;
            int batches = 0;
            PurgeResult result;
            do {
                result = store.purgeExpired(BATCH);
                purged += result.deleted();
                batches++;
            } while (result.mayHaveMore());
            long purgeNanos = System.nanoTime() - purgeStart;
            phase.current = null;
            phase.stop = true;
            for (Future<?> future : running) {
                future.get();
            }
            claimers.shutdown();

            long liveRows;
            long expiredLeft;
            try (Connection connection = db.dataSource().getConnection(); Statement statement = connection.createStatement();
                    ResultSet rs = statement.executeQuery("SELECT COUNT(*) FILTER (WHERE scope = 'load'), "
                            + "COUNT(*) FILTER (WHERE scope = 'expired') FROM " + TABLE)) {
                rs.next();
                liveRows = rs.getLong(1);
                expiredLeft = rs.getLong(2);
            }
            List<Long> baseline = new ArrayList<>(phase.baseline);
            List<Long> during = new ArrayList<>(phase.during);
            double purgeSeconds = purgeNanos / 1e9;
            System.out.printf("[reliability] purge: %d expired rows inserted in %d ms; purged %d in %d batches of %d in "
                            + "%.1f s = %.0f rows/s; claims+completes with %d threads: baseline %d (p50 %.1f ms, p99 "
                            + "%.1f ms), during purge %d (p50 %.1f ms, p99 %.1f ms); live rows kept %d; wall %d s%n",
                    EXPIRED_ROWS, insertMillis, purged, batches, BATCH, purgeSeconds, purged / purgeSeconds, CLAIMERS,
                    baseline.size(), percentile(baseline, 50), percentile(baseline, 99), during.size(),
                    percentile(during, 50), percentile(during, 99), liveRows,
                    (System.nanoTime() - started) / 1_000_000_000);

            assertThat(failure.get()).as("a claim failed").isNull();
            assertThat(purged).isEqualTo(EXPIRED_ROWS);
            assertThat(expiredLeft).isZero();
            assertThat(during).as("claims completed during the purge").isNotEmpty();
            assertThat(liveRows).as("no live record was purged").isEqualTo(phase.completed);
        }
    }

    private static void claimLoop(JdbcIdempotencyStore store, Phase phase, AtomicReference<Throwable> failure) {
        RequestFingerprint fingerprint = RequestFingerprint.of("POST", "/orders", "{}");
        StoredResponse response = StoredResponse.of(201, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
        try {
            while (!phase.stop) {
                ConcurrentLinkedQueue<Long> sink = phase.current;
                ClaimRequest claim = new ClaimRequest(IdempotencyKey.of("load", UUID.randomUUID().toString()),
                        fingerprint, OwnerToken.random(), LEASE, TTL);
                long start = System.nanoTime();
                ClaimResult result = store.claim(claim);
                long nanos = System.nanoTime() - start;
                if (!(result instanceof ClaimResult.Acquired)) {
                    throw new AssertionError("claim of a new key not acquired: " + result);
                }
                if (!(store.complete(claim.key(), claim.ownerToken(), response, TTL) instanceof CompleteResult.Completed)) {
                    throw new AssertionError("complete failed for " + claim.key());
                }
                synchronized (phase) {
                    phase.completed++;
                }
                if (sink != null) {
                    sink.add(nanos);
                }
            }
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
    }

    private static double percentile(List<Long> nanos, int percentile) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index)) / 1e6;
    }

    private static final class Phase {
        final ConcurrentLinkedQueue<Long> baseline = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<Long> during = new ConcurrentLinkedQueue<>();
        volatile ConcurrentLinkedQueue<Long> current;
        volatile boolean stop;
        long completed;
    }
}
