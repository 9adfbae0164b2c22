package dev.idempotency.benchmarks;

import static dev.idempotency.benchmarks.BenchDatabase.FINGERPRINT;
import static dev.idempotency.benchmarks.BenchDatabase.RESPONSE;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.ResultCodec;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link IdempotencyEngine#execute} over the in-memory store with the default lease (30 s) and TTL (24 h): what the
 * protocol costs on top of the store's two operations (owner token, lease heartbeat scheduled and cancelled, result
 * codec, listener). Compare with {@link InMemoryStoreBenchmark}.
 *
 * <p>Each one-second iteration starts a new store and engine, so the store does not grow without bound; the
 * heartbeat scheduler's queue therefore holds at most one second of cancelled heartbeats, where a server running
 * for longer holds {@code heartbeatInterval} (10 s) worth of them.
 *
 * <p>{@code scheduler}: {@code default} is the engine's own single-thread scheduler, on which a cancelled heartbeat
 * stays queued until its first run was due; {@code removeOnCancel} gives the engine a
 * {@link ScheduledThreadPoolExecutor} that removes cancelled tasks at once, to size what those queued heartbeats
 * cost.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EngineBenchmark {

    private static final ResultCodec<StoredResponse> CODEC = ResultCodecs.storedResponse();

    @Param({"default", "removeOnCancel"})
    public String scheduler;

    private IdempotencyEngine engine;
    private ScheduledThreadPoolExecutor ownScheduler;

    @Setup(Level.Iteration)
    public void start() {
        // Every iteration claims new keys, far more than the default bound, which would refuse them.
        InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(Integer.MAX_VALUE);
        IdempotencyEngine.Builder builder = IdempotencyEngine.builder(store);
        if (scheduler.equals("removeOnCancel")) {
            ownScheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread thread = new Thread(runnable, "bench-heartbeat");
                thread.setDaemon(true);
                return thread;
            });
            ownScheduler.setRemoveOnCancelPolicy(true);
            builder.heartbeatScheduler(ownScheduler);
        }
        engine = builder.build();
        for (int i = 1; i <= 10_000; i++) {
            engine.execute(IdempotentRequest.of(BenchDatabase.SCOPE, Integer.toString(i), FINGERPRINT), CODEC,
                    context -> RESPONSE);
        }
    }

    @TearDown(Level.Iteration)
    public void stop() {
        engine.close();
        if (ownScheduler != null) {
            ownScheduler.shutdownNow();
            ownScheduler = null;
        }
    }

    @Benchmark
    public IdempotencyOutcome<StoredResponse> newRequest() {
        IdempotencyOutcome<StoredResponse> outcome = engine.execute(
                IdempotentRequest.of(BenchDatabase.newKey(), FINGERPRINT), CODEC, context -> RESPONSE);
        if (!(outcome instanceof IdempotencyOutcome.Executed)) {
            throw new IllegalStateException("a new key did not execute: " + outcome);
        }
        return outcome;
    }

    @Benchmark
    public IdempotencyOutcome<StoredResponse> replay() {
        IdempotencyKey key = IdempotencyKey.of(BenchDatabase.SCOPE,
                Integer.toString(ThreadLocalRandom.current().nextInt(1, 10_001)));
        IdempotencyOutcome<StoredResponse> outcome =
                engine.execute(IdempotentRequest.of(key, FINGERPRINT), CODEC, context -> RESPONSE);
        if (!(outcome instanceof IdempotencyOutcome.Replayed)) {
            throw new IllegalStateException("a completed key was not replayed: " + outcome);
        }
        return outcome;
    }
}
