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
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What needs a server of its own, since it flushes the script cache, resets statistics or adds a replica: a private
 * {@code redis-server} on its own port, never the shared one.
 */
class RedisScriptsOnPrivateServerIT {

    private static final Duration TTL = Duration.ofMinutes(5);

    private static LocalRedisServer server;
    private static RedisClient client;
    private static StatefulRedisConnection<byte[], byte[]> connection;
    private static StatefulRedisConnection<String, String> admin;

    @BeforeAll
    static void start() {
        server = LocalRedisServer.start();
        client = RedisClient.create(server.url());
        connection = client.connect(ByteArrayCodec.INSTANCE);
        admin = client.connect();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void flushedScriptCacheIsRefilledOnNoScript() {
        RedisIdempotencyStore store = RedisIdempotencyStore.builder(connection).build();
        ClaimRequest first = request();
        assertThat(store.claim(first)).isInstanceOf(ClaimResult.Acquired.class);

        admin.sync().scriptFlush();

        assertThat(store.complete(first.key(), first.ownerToken(), StoredResponse.of(200, new byte[] {1}), TTL))
                .isInstanceOf(CompleteResult.Completed.class);
        assertThat(admin.sync().scriptExists(RedisScript.COMPLETE.sha1())).containsExactly(true);
        assertThat(store.claim(request(first.key()))).isInstanceOf(ClaimResult.AlreadyCompleted.class);
    }

    /** The scripts' digests are the ones Redis computes, so EVALSHA finds what SCRIPT LOAD or EVAL cached. */
    @Test
    void scriptDigestsMatchTheServers() {
        for (RedisScript script : RedisScript.values()) {
            assertThat(connection.sync().scriptLoad(script.source())).as(script.resource()).isEqualTo(script.sha1());
        }
    }

    @Test
    void replayIsOneRoundTripThatWritesNothing() {
        RedisIdempotencyStore store = RedisIdempotencyStore.builder(connection).build();
        ClaimRequest first = request();
        store.claim(first);
        store.complete(first.key(), first.ownerToken(), StoredResponse.of(200, new byte[] {7}), TTL);
        RedisCommands<String, String> commands = admin.sync();
        commands.configResetstat();
        long writesBefore = changedKeys(commands);

        ClaimResult replay = store.claim(request(first.key()));

        assertThat(replay).isInstanceOf(ClaimResult.AlreadyCompleted.class);
        // Redis counts the commands a script calls too: the replay's script reads the clock and the record.
        List<String> stats = Arrays.stream(commands.info("commandstats").split("\r?\n"))
                .filter(line -> line.startsWith("cmdstat_"))
                .filter(line -> !line.startsWith("cmdstat_config") && !line.startsWith("cmdstat_info"))
                .map(line -> line.substring(0, line.indexOf(',')))
                .toList();
        assertThat(stats).containsExactlyInAnyOrder("cmdstat_evalsha:calls=1", "cmdstat_time:calls=1",
                "cmdstat_hmget:calls=1");
        assertThat(changedKeys(commands)).isEqualTo(writesBefore);
    }

    @Test
    void waitsForReplicasAndFailsWhenTooFewAcknowledge() {
        try (LocalRedisServer replica = LocalRedisServer.start("--replicaof", "127.0.0.1",
                Integer.toString(server.port()))) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!admin.sync().info("replication").contains("connected_slaves:1")) {
                assertThat(System.nanoTime()).as("replica connected").isLessThan(deadline);
                LocalRedisServer.sleep(50);
            }
            RedisIdempotencyStore one = RedisIdempotencyStore.builder(connection)
                    .waitForReplicas(1, Duration.ofSeconds(10)).build();
            ClaimRequest claim = request();
            assertThat(one.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);
            assertThat(one.complete(claim.key(), claim.ownerToken(), StoredResponse.of(200, new byte[0]), TTL))
                    .isInstanceOf(CompleteResult.Completed.class);
            assertThat(one.toString()).contains("waits for 1 replicas");

            RedisIdempotencyStore two = RedisIdempotencyStore.builder(connection)
                    .waitForReplicas(2, Duration.ofMillis(200)).build();
            assertThatThrownBy(() -> two.claim(request()))
                    .isInstanceOf(IdempotencyStoreException.class)
                    .hasMessageContaining("only 1 of 2 replicas acknowledged");
        }
    }

    private static long changedKeys(RedisCommands<String, String> commands) {
        return Arrays.stream(commands.info("persistence").split("\r?\n"))
                .filter(line -> line.startsWith("rdb_changes_since_last_save:"))
                .mapToLong(line -> Long.parseLong(line.substring(line.indexOf(':') + 1).trim()))
                .findFirst().orElseThrow();
    }

    private static ClaimRequest request() {
        return request(IdempotencyKey.of("private-" + UUID.randomUUID(), "k"));
    }

    private static ClaimRequest request(IdempotencyKey key) {
        return new ClaimRequest(key, RequestFingerprint.of("a"), OwnerToken.random(), TTL, TTL);
    }
}
