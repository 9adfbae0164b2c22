package dev.idempotency.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.StoredResponse;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Key naming and failure mapping, which need no server; everything else runs against real servers in the ITs. */
class RedisIdempotencyStoreTest {

    /** A connection whose every command fails as Lettuce fails when Redis cannot be reached. */
    private static final RedisScriptConnection UNREACHABLE = new RedisScriptConnection() {
        @Override
        public Object run(RedisScript script, byte[] key, byte[]... args) {
            throw new RedisConnectionException("Unable to connect to 127.0.0.1:1");
        }

        @Override
        public long waitForReplicas(byte[] key, int replicas, long timeoutMillis) {
            throw new RedisConnectionException("Unable to connect to 127.0.0.1:1");
        }

        @Override
        public String describe() {
            return "unreachable";
        }
    };

    private final RedisIdempotencyStore store = RedisIdempotencyStore.builder(UNREACHABLE).keyPrefix("app:").build();

    @Test
    void aRecordsKeyIsThePrefixAndItsIdentityInAHashTag() {
        byte[] key = store.redisKey(IdempotencyKey.of("principal:alice", "k-1"));

        assertThat(new String(key, StandardCharsets.UTF_8)).isEqualTo("app:{15:principal:alice:k-1}");
        assertThat(SlotHash.getSlot(key))
                .isEqualTo(SlotHash.getSlot("15:principal:alice:k-1".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void recordsOfOneScopeSpreadOverSlots() {
        List<Integer> slots = java.util.stream.IntStream.range(0, 50)
                .mapToObj(i -> SlotHash.getSlot(store.redisKey(IdempotencyKey.of("one-tenant", "key-" + i))))
                .distinct().toList();

        assertThat(slots).hasSizeGreaterThan(40);
    }

    @Test
    void everyScriptDigestIsTheSha1OfItsText() throws Exception {
        for (RedisScript script : RedisScript.values()) {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(script.source());
            assertThat(script.sha1()).isEqualTo(java.util.HexFormat.of().formatHex(digest));
        }
    }

    @Test
    void anUnreachableServerIsAStoreFailureNamingTheOperationAndTheKey() {
        IdempotencyKey key = IdempotencyKey.of("s", "k");
        ClaimRequest claim = new ClaimRequest(key, RequestFingerprint.of("a"), OwnerToken.random(),
                Duration.ofSeconds(1), Duration.ofSeconds(1));

        assertThatThrownBy(() -> store.claim(claim)).isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("claim s/k").hasMessageContaining("unreachable")
                .hasCauseInstanceOf(RedisConnectionException.class);
        assertThatThrownBy(() -> store.complete(key, claim.ownerToken(), StoredResponse.of(200, new byte[0]),
                Duration.ofSeconds(1))).isInstanceOf(IdempotencyStoreException.class).hasMessageContaining("complete");
        assertThatThrownBy(() -> store.find(key)).isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("find");
    }

    @Test
    void purgeReportsNothingAndChecksItsBatchSize() {
        assertThat(store.purgeExpired(10).deleted()).isZero();
        assertThat(store.purgeExpired(10).mayHaveMore()).isFalse();
        assertThatThrownBy(() -> store.purgeExpired(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPrefixWithBracesIsRejected() {
        assertThatThrownBy(() -> RedisIdempotencyStore.builder(UNREACHABLE).keyPrefix("app:{tag}:"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must not contain");
    }
}
