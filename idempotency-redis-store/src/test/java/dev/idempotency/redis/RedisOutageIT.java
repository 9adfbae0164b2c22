package dev.idempotency.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StoredResponse;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Redis goes away in the middle of a run ({@code SHUTDOWN NOSAVE}) and comes back. The server is a private one on a
 * port of its own, with the append-only file fsynced on every write, so what Redis acknowledged survives the
 * restart. While it is down every operation fails closed with an {@link IdempotencyStoreException}; once it is back
 * the store works again without a new connection, and no key stays stuck: a claim acknowledged before the outage
 * but never completed is taken over once its lease expires (or replayed, when the completion landed but its reply
 * was lost), and an acknowledged completion is replayed.
 */
class RedisOutageIT {

    private static final Duration LEASE = Duration.ofSeconds(1);
    private static final Duration TTL = Duration.ofMinutes(5);
    private static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("outage");

    @Test
    void requestsFailClosedWhileRedisIsDownAndRecoverWithoutAStuckKey() throws Exception {
        try (LocalRedisServer server = LocalRedisServer.start("--appendonly", "yes", "--appendfsync", "always")) {
            RedisURI uri = RedisURI.create(server.url());
            uri.setTimeout(Duration.ofSeconds(2));
            RedisClient client = RedisClient.create(uri);
            client.setOptions(ClientOptions.builder()
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
                RedisIdempotencyStore store = RedisIdempotencyStore.builder(connection).build();
                String scope = "outage-" + UUID.randomUUID();

                Map<IdempotencyKey, Boolean> acknowledged = new ConcurrentHashMap<>();
                List<Throwable> unexpected = new CopyOnWriteArrayList<>();
                AtomicInteger failedClosed = new AtomicInteger();
                AtomicInteger succeededAfterRestart = new AtomicInteger();
                AtomicBoolean restarted = new AtomicBoolean();
                AtomicBoolean stop = new AtomicBoolean();
                ExecutorService workers = Executors.newFixedThreadPool(4);
                List<Future<?>> running = new ArrayList<>();
                for (int w = 0; w < 4; w++) {
                    int worker = w;
                    running.add(workers.submit(() -> {
                        for (int i = 0; !stop.get(); i++) {
                            IdempotencyKey key = IdempotencyKey.of(scope, worker + "-" + i);
                            try {
                                ClaimRequest claim = new ClaimRequest(key, FINGERPRINT, OwnerToken.random(), LEASE, TTL);
                                ClaimResult result = store.claim(claim);
                                assertThat(result).isInstanceOf(ClaimResult.Acquired.class);
                                acknowledged.put(key, false);
                                CompleteResult completed = store.complete(key, claim.ownerToken(),
                                        StoredResponse.of(201, key.key().getBytes(StandardCharsets.UTF_8)), TTL);
                                assertThat(completed).isInstanceOf(CompleteResult.Completed.class);
                                acknowledged.put(key, true);
                                if (restarted.get()) {
                                    succeededAfterRestart.incrementAndGet();
                                }
                            } catch (IdempotencyStoreException e) {
                                failedClosed.incrementAndGet();
                                LocalRedisServer.sleep(5);
                            } catch (Throwable e) {
                                unexpected.add(e);
                                return;
                            }
                        }
                    }));
                }

                LocalRedisServer.sleep(300);
                server.shutdownNoSave();
                assertThatThrownBy(() -> store.claim(new ClaimRequest(IdempotencyKey.of(scope, "while-down"),
                        FINGERPRINT, OwnerToken.random(), LEASE, TTL)))
                        .isInstanceOf(IdempotencyStoreException.class)
                        .hasMessageContaining("claim");
                assertThatThrownBy(() -> store.find(IdempotencyKey.of(scope, "while-down")))
                        .isInstanceOf(IdempotencyStoreException.class);
                LocalRedisServer.sleep(300);
                server.startAgain();
                restarted.set(true);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (succeededAfterRestart.get() < 20 && unexpected.isEmpty() && System.nanoTime() < deadline) {
                    LocalRedisServer.sleep(20);
                }
                stop.set(true);
                for (Future<?> worker : running) {
                    worker.get(1, TimeUnit.MINUTES);
                }
                workers.shutdown();

                assertThat(unexpected).isEmpty();
                assertThat(failedClosed.get()).as("operations that failed closed during the outage").isPositive();
                assertThat(succeededAfterRestart.get()).as("claims completed after the restart").isGreaterThanOrEqualTo(20);

                LocalRedisServer.sleep(LEASE.toMillis() + 200);
                for (Map.Entry<IdempotencyKey, Boolean> entry : acknowledged.entrySet()) {
                    ClaimResult retry = store.claim(
                            new ClaimRequest(entry.getKey(), FINGERPRINT, OwnerToken.random(), LEASE, TTL));
                    if (entry.getValue()) {
                        assertThat(retry).as("an acknowledged completion of %s", entry.getKey())
                                .isInstanceOf(ClaimResult.AlreadyCompleted.class);
                        assertThat(retry.record().response().body())
                                .isEqualTo(entry.getKey().key().getBytes(StandardCharsets.UTF_8));
                    } else if (retry instanceof ClaimResult.AlreadyCompleted replay) {
                        // The completion reached Redis, but the outage cut its reply: the caller saw a failure, and
                        // the retry replays what was stored.
                        assertThat(replay.record().response().body())
                                .isEqualTo(entry.getKey().key().getBytes(StandardCharsets.UTF_8));
                    } else {
                        // Claimed before the outage and never completed: taken over once the lease expired, never
                        // stuck in progress.
                        assertThat(retry).as("a claim of %s left open by the outage", entry.getKey())
                                .isInstanceOf(ClaimResult.Acquired.class);
                        assertThat(store.complete(entry.getKey(), retry.record().ownerToken(),
                                StoredResponse.of(201, new byte[0]), TTL)).isInstanceOf(CompleteResult.Completed.class);
                    }
                }
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }
}
