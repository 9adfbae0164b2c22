package dev.idempotency.benchmarks;

import static dev.idempotency.benchmarks.BenchDatabase.FINGERPRINT;
import static dev.idempotency.benchmarks.BenchDatabase.LEASE;
import static dev.idempotency.benchmarks.BenchDatabase.RESPONSE;
import static dev.idempotency.benchmarks.BenchDatabase.TTL;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-memory store's claim + complete and replay, for reference next to the PostgreSQL store.
 *
 * <p>New keys come from a bounded key space (4 million keys) and are completed with a retention of one
 * millisecond, so a key met again has expired and is claimed afresh: without that the map would grow by millions of
 * records per second and the benchmark would measure the garbage collector. A fresh claim of an expired record
 * replaces the map entry instead of adding one, which is a little cheaper than a first insert.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
public class InMemoryStoreBenchmark {

    private static final int NEW_KEY_SPACE = 4_000_000;
    private static final Duration SHORT = Duration.ofMillis(1);

    private InMemoryIdempotencyStore store;

    @Setup(Level.Trial)
    public void fill() {
        // The replay keys alone fill the default bound; new keys are claimed on top of them.
        store = new InMemoryIdempotencyStore(Integer.MAX_VALUE);
        for (int i = 1; i <= BenchDatabase.REPLAY_KEYS; i++) {
            IdempotencyKey key = IdempotencyKey.of(BenchDatabase.SCOPE, Integer.toString(i));
            OwnerToken owner = OwnerToken.random();
            store.claim(new ClaimRequest(key, FINGERPRINT, owner, LEASE, TTL));
            store.complete(key, owner, RESPONSE, TTL);
        }
    }

    @Benchmark
    public CompleteResult claimAndComplete() {
        IdempotencyKey key = IdempotencyKey.of("new", Integer.toString(ThreadLocalRandom.current().nextInt(NEW_KEY_SPACE)));
        OwnerToken owner = OwnerToken.random();
        ClaimResult claim = store.claim(new ClaimRequest(key, FINGERPRINT, owner, SHORT, SHORT));
        if (!(claim instanceof ClaimResult.Acquired)) {
            // A key drawn twice within its millisecond: rare, and cheaper than a claim, so just count it as done.
            return null;
        }
        return store.complete(key, owner, RESPONSE, SHORT);
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
}
