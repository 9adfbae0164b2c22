package dev.idempotency.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.store.tck.IdempotencyStoreContractTest;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The store contract against a standalone Redis (see {@link TestRedis} for how it is found), plus Redis specifics. */
class RedisIdempotencyStoreIT extends IdempotencyStoreContractTest {

    private static TestRedis redis;

    @BeforeAll
    static void connect() {
        redis = TestRedis.locate();
    }

    @AfterAll
    static void disconnect() {
        if (redis != null) {
            redis.close();
        }
    }

    @Override
    protected IdempotencyStore createStore() {
        return RedisIdempotencyStore.builder(redis.connection()).keyPrefix(redis.keyPrefix()).build();
    }

    @Override
    protected boolean backendExpiresRecords() {
        return true;
    }

    private RedisIdempotencyStore redisStore() {
        return (RedisIdempotencyStore) store;
    }

    @Test
    void recordIsOneHashThatRedisExpiresAtTheRecordsExpiry() {
        IdempotencyKey key = key("expiry");
        ClaimRequest claim = claimRequest(key, fingerprint("a"), Duration.ofSeconds(30), Duration.ofSeconds(90));
        store.claim(claim);
        RedisCommands<byte[], byte[]> commands = redis.connection().sync();
        byte[] redisKey = redisStore().redisKey(key);

        assertThat(commands.type(redisKey)).isEqualTo("hash");
        assertThat(commands.pttl(redisKey)).isBetween(30_000L, 90_001L);

        store.complete(key, claim.ownerToken(), StoredResponse.of(200, bytes("done")), Duration.ofSeconds(5));
        assertThat(commands.pttl(redisKey)).isBetween(1L, 5_001L);
    }

    @Test
    void bodyIsStoredAsItsBytes() {
        IdempotencyKey key = key("binary");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        byte[] body = {(byte) 0xff, (byte) 0xfe, 0, (byte) 0xc3, 0x28, (byte) 0x80};

        store.complete(key, owner, StoredResponse.of(200, body), LONG);

        assertThat(redis.connection().sync().hget(redisStore().redisKey(key), "rb".getBytes(StandardCharsets.US_ASCII)))
                .containsExactly(body);
    }

    @Test
    void keysDoNotCollideAcrossScopeAndKeyBoundaries() {
        RedisIdempotencyStore redisStore = redisStore();

        assertThat(redisStore.redisKey(IdempotencyKey.of("a:b", "c")))
                .isNotEqualTo(redisStore.redisKey(IdempotencyKey.of("a", "b:c")));
        assertThat(store.claim(claimRequest(IdempotencyKey.of(key("x").scope() + ":y", "z"), fingerprint("a"), LONG,
                LONG))).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(store.claim(claimRequest(IdempotencyKey.of(key("x").scope(), "y:z"), fingerprint("a"), LONG,
                LONG))).isInstanceOf(ClaimResult.Acquired.class);
    }

    @Test
    void inspectAndDeleteCompletedAreSupportedAndCountingIsNot() {
        IdempotencyKey key = key("operator");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        store.complete(key, owner, StoredResponse.of(201, bytes("done")), LONG);

        InspectResult.Found found = (InspectResult.Found) store.inspect(key);
        assertThat(found.record().status()).isEqualTo(IdempotencyStatus.COMPLETED);
        assertThat(found.record().ownerToken()).isEqualTo(owner);
        assertThat(found.storeTime()).isAfterOrEqualTo(found.record().createdAt())
                .isBefore(found.record().expiresAt());
        assertThat(store.deleteCompleted(key, owner)).isInstanceOf(DeleteResult.Deleted.class);
        assertThat(redis.connection().sync().exists(redisStore().redisKey(key))).isZero();
        // Counting would need a scan of the keyspace, which the store never does.
        assertThat(store.countByStatus()).isInstanceOf(StatusCounts.Unsupported.class);
    }

    @Test
    void aRecordPastItsExpiryThatRedisStillHoldsIsNeitherInspectedNorDeleted() {
        IdempotencyKey key = key("past-expiry");
        OwnerToken owner = acquire(key, fingerprint("a"), LONG);
        store.complete(key, owner, StoredResponse.of(200, bytes("done")), LONG);
        RedisCommands<byte[], byte[]> commands = redis.connection().sync();
        byte[] redisKey = redisStore().redisKey(key);
        // The record as Redis may still hold it for up to a millisecond after its expiry: the scripts read the clock.
        commands.persist(redisKey);
        commands.hset(redisKey, "e".getBytes(StandardCharsets.US_ASCII), "1000000".getBytes(StandardCharsets.US_ASCII));

        try {
            assertThat(store.inspect(key)).isInstanceOf(InspectResult.NotFound.class);
            assertThat(store.deleteCompleted(key, owner)).isInstanceOf(DeleteResult.NotDeleted.class);
            assertThat(commands.exists(redisKey)).isEqualTo(1);
        } finally {
            commands.del(redisKey);
        }
    }

    @Test
    void namesTheDeploymentAndThePrefix() {
        assertThat(store.toString()).contains("standalone").contains(redis.keyPrefix());
    }
}
