package dev.idempotency.benchmarks;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.redis.RedisIdempotencyStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Redis store's throughput, for benchmarks/redis.sh to set beside redis-benchmark running the same scripts:
 * {@code pairs} claims a fresh key and completes it (two EVALSHAs), {@code replays} claims one of 1000 completed keys
 * (one EVALSHA). The threads share one Lettuce connection, as an application does. Prints
 * {@code <mode> <threads> <operations per second>}.
 *
 * <pre>{@code java -cp ... dev.idempotency.benchmarks.RedisStoreThroughput redis://127.0.0.1:6380 pairs 8 10}</pre>
 */
public final class RedisStoreThroughput {

    private static final Duration LEASE = Duration.ofSeconds(30);
    private static final Duration TTL = Duration.ofMinutes(10);
    private static final int REPLAY_KEYS = 1000;

    private RedisStoreThroughput() {}

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String mode = args[1];
        int threads = Integer.parseInt(args[2]);
        int seconds = Integer.parseInt(args[3]);
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisIdempotencyStore store = RedisIdempotencyStore.builder(connection)
                    .keyPrefix("bench-store-" + UUID.randomUUID().toString().substring(0, 8) + ":").build();
            String scope = "bench";
            RequestFingerprint fingerprint = RequestFingerprint.of("bench");
            StoredResponse response = StoredResponse.of(201, "x".repeat(256).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            if (mode.equals("replays")) {
                for (int i = 0; i < REPLAY_KEYS; i++) {
                    ClaimRequest claim = new ClaimRequest(IdempotencyKey.of(scope, "replay-" + i), fingerprint,
                            OwnerToken.random(), LEASE, TTL);
                    store.claim(claim);
                    store.complete(claim.key(), claim.ownerToken(), response, TTL);
                }
            } else if (!mode.equals("pairs")) {
                throw new IllegalArgumentException("mode is pairs or replays, got " + mode);
            }
            Runnable operation = mode.equals("pairs")
                    ? () -> {
                        ClaimRequest claim = new ClaimRequest(IdempotencyKey.of(scope, UUID.randomUUID().toString()),
                                fingerprint, OwnerToken.random(), LEASE, TTL);
                        if (!(store.claim(claim) instanceof ClaimResult.Acquired)
                                || !(store.complete(claim.key(), claim.ownerToken(), response, TTL)
                                        instanceof CompleteResult.Completed)) {
                            throw new IllegalStateException("a fresh key was not claimed and completed");
                        }
                    }
                    : () -> {
                        IdempotencyKey key = IdempotencyKey.of(scope,
                                "replay-" + ThreadLocalRandom.current().nextInt(REPLAY_KEYS));
                        if (!(store.claim(new ClaimRequest(key, fingerprint, OwnerToken.random(), LEASE, TTL))
                                instanceof ClaimResult.AlreadyCompleted)) {
                            throw new IllegalStateException("a completed key was not replayed");
                        }
                    };
            double perSecond = measure(operation, threads, 2, seconds);
            System.out.printf(Locale.ROOT, "%s %d %.0f%n", mode, threads, perSecond);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /** Runs {@code operation} on {@code threads} threads: a warm-up, then the measured seconds. */
    private static double measure(Runnable operation, int threads, int warmupSeconds, int seconds) throws Exception {
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean stop = new AtomicBoolean();
        LongAdder done = new LongAdder();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(pool.submit(() -> {
                while (!stop.get()) {
                    operation.run();
                    if (measuring.get()) {
                        done.increment();
                    }
                }
            }));
        }
        Thread.sleep(warmupSeconds * 1000L);
        measuring.set(true);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        measuring.set(false);
        long elapsed = System.nanoTime() - start;
        stop.set(true);
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        return done.sum() / (elapsed / 1e9);
    }
}
