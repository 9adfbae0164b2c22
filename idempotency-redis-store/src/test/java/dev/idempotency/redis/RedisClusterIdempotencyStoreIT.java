package dev.idempotency.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.store.tck.IdempotencyStoreContractTest;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract against a Redis Cluster of three masters that this test starts from the local binaries on
 * loopback ports and tears down afterwards.
 */
class RedisClusterIdempotencyStoreIT extends IdempotencyStoreContractTest {

    private static LocalRedisCluster cluster;
    private static RedisClusterClient client;
    private static StatefulRedisClusterConnection<byte[], byte[]> connection;

    @BeforeAll
    static void startCluster() {
        cluster = LocalRedisCluster.start();
        client = RedisClusterClient.create(cluster.urls().stream().map(RedisURI::create).toList());
        connection = client.connect(ByteArrayCodec.INSTANCE);
    }

    @AfterAll
    static void stopCluster() {
        if (connection != null) {
            connection.close();
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected IdempotencyStore createStore() {
        return RedisIdempotencyStore.builder(connection).build();
    }

    @Override
    protected boolean backendExpiresRecords() {
        return true;
    }

    /** Records spread over the slots (and so over the three masters); each lives in the slot of its hash tag. */
    @Test
    void recordsSpreadOverTheMasters() {
        RedisIdempotencyStore redisStore = (RedisIdempotencyStore) store;
        Set<String> nodes = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            IdempotencyKey key = key("spread-" + i);
            assertThat(store.claim(claimRequest(key, fingerprint("a"), LONG, LONG)))
                    .isInstanceOf(ClaimResult.Acquired.class);
            int slot = SlotHash.getSlot(redisStore.redisKey(key));
            nodes.add(connection.getPartitions().getMasterBySlot(slot).getNodeId());
            assertThat(store.find(key)).isPresent();
        }
        assertThat(nodes).hasSize(3);
        assertThat(store.toString()).contains("cluster");
    }
}
