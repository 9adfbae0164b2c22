package dev.idempotency.examples.payments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.IdempotencyStore;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The payments API on the {@code redis} profile: the idempotency records in a real Redis
 * ({@code IDEMPOTENCY_TEST_REDIS_URL} when set, else {@code redis://127.0.0.1:6379}), the payments and the ledger in an
 * in-memory H2 database of this test's own. Each run keeps its records under a key prefix of its own. An unreachable
 * server fails the test; it is never skipped.
 */
@ActiveProfiles("redis")
class PaymentsRedisIT extends AbstractPaymentsIT {

    private static final String URL = System.getenv().getOrDefault("IDEMPOTENCY_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    private static final String KEY_PREFIX = "payments-it-" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @Autowired
    IdempotencyStore store;

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        requireReachable();
        registry.add("spring.data.redis.url", () -> URL);
        registry.add("idempotency.redis.key-prefix", () -> KEY_PREFIX);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:payments-redis-" + UUID.randomUUID()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_DELAY=-1");
    }

    @Test
    void keepsTheIdempotencyRecordsInRedis() {
        assertThat(store.getClass().getSimpleName()).isEqualTo("RedisIdempotencyStore");
        assertThat(store.toString()).contains(KEY_PREFIX);
    }

    private static void requireReachable() {
        RedisClient client = RedisClient.create(URL);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().ping();
        } catch (RuntimeException e) {
            throw new IllegalStateException("Redis at " + URL + " failed: " + e.getMessage()
                    + ". Start it (redis-server) or set IDEMPOTENCY_TEST_REDIS_URL.", e);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
