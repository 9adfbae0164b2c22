package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How the PostgreSQL store behaves as its table grows: single-thread claim latency (and replay latency) with the
 * table holding 0, 1 million and 10 million records, and how fast {@code purgeExpired} deletes expired records in
 * batches of 10,000.
 *
 * <pre>
 * java -cp ... dev.idempotency.benchmarks.ScaleBenchmark 0 1000000 10000000
 * </pre>
 *
 * <p>For each size the table is emptied and bulk-filled with completed records ({@code INSERT ... SELECT
 * generate_series}, keys {@code md5('fill' || n)} so they land all over the primary key index), every tenth of them
 * already expired. The indexes are dropped for the fill and built again afterwards, which is much faster than
 * inserting into them and gives the same indexes; then the table is vacuumed and analyzed. Then, on one connection:
 * {@value #WARMUP} unmeasured claims, {@value #CLAIMS} timed claims of new keys (each followed by an untimed
 * completion, as a request would), {@value #REPLAYS} timed replays of random live filled keys, and the purge of the
 * expired tenth. Prints {@code RESULT} lines that {@code run.sh} collects.
 */
public final class ScaleBenchmark {

    static final int WARMUP = 3_000;
    static final int CLAIMS = 20_000;
    static final int REPLAYS = 10_000;
    static final int PURGE_BATCH = 10_000;
    static final int FILL_CHUNK = 1_000_000;

    private ScaleBenchmark() {}

    public static void main(String[] args) throws Exception {
        try (HikariDataSource pool = BenchDatabase.pool(1)) {
            JdbcIdempotencyStore store = BenchDatabase.store(pool);
            for (String arg : args) {
                long rows = Long.parseLong(arg);
                fill(pool, rows);
                measureClaims(store, rows);
                if (rows > 0) {
                    measureReplays(store, rows);
                    measurePurge(store, rows);
                }
            }
            BenchDatabase.reset(pool);
        }
    }

    private static void fill(HikariDataSource pool, long rows) throws SQLException {
        long start = System.nanoTime();
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("TRUNCATE " + BenchDatabase.TABLE);
            if (rows > 0) {
                statement.execute("SET maintenance_work_mem = '512MB'");
                statement.execute("ALTER TABLE " + BenchDatabase.TABLE + " DROP CONSTRAINT idempotency_record_pkey");
                statement.execute("DROP INDEX " + BenchDatabase.SCHEMA + ".idempotency_record_expires_at_idx");
                try (PreparedStatement insert = connection.prepareStatement(
                        BenchDatabase.fillSql("md5('fill' || g)", "7 days", true))) {
                    for (long from = 1; from <= rows; from += FILL_CHUNK) {
                        insert.setString(1, BenchDatabase.SCOPE);
                        insert.setString(2, BenchDatabase.FINGERPRINT.value());
                        insert.setBytes(3, BenchDatabase.RESPONSE.encodeHeaders());
                        insert.setBytes(4, BenchDatabase.RESPONSE.body());
                        insert.setLong(5, from);
                        insert.setLong(6, Math.min(rows, from + FILL_CHUNK - 1));
                        insert.executeUpdate();
                        System.err.printf("filled %,d of %,d rows%n", Math.min(rows, from + FILL_CHUNK - 1), rows);
                    }
                }
                // The same primary key and index as the shipped schema-postgresql.sql.
                statement.execute("ALTER TABLE " + BenchDatabase.TABLE
                        + " ADD CONSTRAINT idempotency_record_pkey PRIMARY KEY (scope, idempotency_key)");
                statement.execute("CREATE INDEX idempotency_record_expires_at_idx ON " + BenchDatabase.TABLE
                        + " (expires_at)");
                statement.execute("RESET maintenance_work_mem");
            }
            statement.execute("VACUUM ANALYZE " + BenchDatabase.TABLE);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        result("fill", rows, "seconds", seconds);
    }

    private static void measureClaims(JdbcIdempotencyStore store, long rows) {
        for (int i = 0; i < WARMUP; i++) {
            claimAndComplete(store);
        }
        long[] nanos = new long[CLAIMS];
        for (int i = 0; i < CLAIMS; i++) {
            nanos[i] = claimAndComplete(store);
        }
        report("claim", rows, nanos);
    }

    /** Claims a new key, completes it, and returns how long the claim alone took. */
    private static long claimAndComplete(JdbcIdempotencyStore store) {
        IdempotencyKey key = BenchDatabase.newKey();
        OwnerToken owner = OwnerToken.random();
        ClaimRequest request = new ClaimRequest(key, BenchDatabase.FINGERPRINT, owner, BenchDatabase.LEASE,
                BenchDatabase.TTL);
        long start = System.nanoTime();
        ClaimResult claim = store.claim(request);
        long elapsed = System.nanoTime() - start;
        if (!(claim instanceof ClaimResult.Acquired)) {
            throw new IllegalStateException("a new key was not acquired: " + claim);
        }
        store.complete(key, owner, BenchDatabase.RESPONSE, BenchDatabase.TTL);
        return elapsed;
    }

    private static void measureReplays(JdbcIdempotencyStore store, long rows) {
        long[] nanos = new long[REPLAYS];
        for (int i = 0; i < REPLAYS; i++) {
            long n;
            do {
                n = ThreadLocalRandom.current().nextLong(1, rows + 1);
            } while (n % 10 == 0); // every tenth filled record has expired
            IdempotencyKey key = IdempotencyKey.of(BenchDatabase.SCOPE, md5("fill" + n));
            ClaimRequest request = new ClaimRequest(key, BenchDatabase.FINGERPRINT, OwnerToken.random(),
                    BenchDatabase.LEASE, BenchDatabase.TTL);
            long start = System.nanoTime();
            ClaimResult claim = store.claim(request);
            nanos[i] = System.nanoTime() - start;
            if (!(claim instanceof ClaimResult.AlreadyCompleted)) {
                throw new IllegalStateException("a filled key was not replayed: " + claim);
            }
        }
        report("replay", rows, nanos);
    }

    private static void measurePurge(JdbcIdempotencyStore store, long rows) {
        long deleted = 0;
        int batches = 0;
        long start = System.nanoTime();
        PurgeResult batch;
        do {
            batch = store.purgeExpired(PURGE_BATCH);
            deleted += batch.deleted();
            batches++;
        } while (batch.mayHaveMore());
        double seconds = (System.nanoTime() - start) / 1e9;
        result("purge-deleted", rows, "rows", deleted);
        result("purge-batches", rows, "batches", batches);
        result("purge", rows, "rows/s", deleted / seconds);
    }

    private static void report(String name, long rows, long[] nanos) {
        double average = Arrays.stream(nanos).average().orElse(0) / 1_000;
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        result(name + "-avg", rows, "us", average);
        result(name + "-p50", rows, "us", percentile(sorted, 0.50) / 1_000.0);
        result(name + "-p99", rows, "us", percentile(sorted, 0.99) / 1_000.0);
        result(name + "-p999", rows, "us", percentile(sorted, 0.999) / 1_000.0);
    }

    private static long percentile(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static void result(String name, long rows, String unit, double value) {
        System.out.printf("RESULT\tscale\t%s\t%d\t%.2f\t%s%n", name, rows, value, unit);
    }

    private static String md5(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
