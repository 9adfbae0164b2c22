package dev.idempotency.benchmarks;

import static dev.idempotency.benchmarks.BenchDatabase.FINGERPRINT;
import static dev.idempotency.benchmarks.BenchDatabase.LEASE;
import static dev.idempotency.benchmarks.BenchDatabase.RESPONSE;
import static dev.idempotency.benchmarks.BenchDatabase.TTL;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The PostgreSQL store's operations, to compare with pgbench running the same statements
 * ({@code benchmarks/pgbench/*.sql}). Run with {@code -t 1}, {@code -t 8} and {@code -t 32}: the pool has exactly
 * one connection per benchmark thread, as pgbench has one per client.
 *
 * <ul>
 *   <li>{@link #claimAndComplete}: a new request's two store calls, claim of a new random key then completion with
 *       a small response. One operation is one pair; pgbench's claim-complete.sql is one transaction per pair.</li>
 *   <li>{@link #replayClaim}: the replay path, a claim of an already completed key that returns the stored
 *       record (pgbench: replay.sql).</li>
 *   <li>{@link #find}: a read of a completed record by primary key (pgbench: find.sql).</li>
 * </ul>
 *
 * <p>The table must exist with the replay keys in it: {@code BenchSetup create} or {@code reset} first.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 1, time = 5)
@Measurement(iterations = 2, time = 10)
public class PostgresStoreBenchmark {

    private HikariDataSource pool;
    private JdbcIdempotencyStore store;

    @Setup(Level.Trial)
    public void open(BenchmarkParams params) {
        pool = BenchDatabase.pool(params.getThreads());
        store = BenchDatabase.store(pool);
    }

    @TearDown(Level.Trial)
    public void close() {
        pool.close();
    }

    @Benchmark
    public CompleteResult claimAndComplete() {
        IdempotencyKey key = BenchDatabase.newKey();
        OwnerToken owner = OwnerToken.random();
        ClaimResult claim = store.claim(new ClaimRequest(key, FINGERPRINT, owner, LEASE, TTL));
        if (!(claim instanceof ClaimResult.Acquired)) {
            throw new IllegalStateException("a new key was not acquired: " + claim);
        }
        CompleteResult completed = store.complete(key, owner, RESPONSE, TTL);
        if (!(completed instanceof CompleteResult.Completed)) {
            throw new IllegalStateException("completion failed: " + completed);
        }
        return completed;
    }

    @Benchmark
    public ClaimResult replayClaim() {
        ClaimResult claim = store.claim(
                new ClaimRequest(BenchDatabase.replayKey(), FINGERPRINT, OwnerToken.random(), LEASE, TTL));
        if (!(claim instanceof ClaimResult.AlreadyCompleted)) {
            throw new IllegalStateException("a completed key was not replayed: " + claim);
        }
        return claim;
    }

    @Benchmark
    public Optional<IdempotencyRecord> find() {
        Optional<IdempotencyRecord> record = store.find(BenchDatabase.replayKey());
        if (record.isEmpty()) {
            throw new IllegalStateException("a completed key was not found");
        }
        return record;
    }
}
