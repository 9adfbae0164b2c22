package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.redis.RedisIdempotencyStore;
import dev.idempotency.redis.TestRedis;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter over real HTTP (Tomcat) against a real Redis (found as {@link TestRedis} says), through the Redis store
 * on the connection Boot configures from {@code spring.data.redis.*}.
 */
@SpringBootTest(classes = ItApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "idempotency.store.type=redis")
class IdempotencyRedisIT extends AbstractIdempotencyHttpIT {

    private static final TestRedis REDIS = TestRedis.locate();

    @DynamicPropertySource
    static void redis(DynamicPropertyRegistry registry) {
        registry.add("spring.data.redis.url", REDIS::url);
        registry.add("idempotency.redis.key-prefix", REDIS::keyPrefix);
    }

    @AfterAll
    static void disconnect() {
        REDIS.close();
    }

    @Test
    void usesTheRedisStore() {
        assertThat(store).isInstanceOf(RedisIdempotencyStore.class);
        assertThat(store.toString()).contains("standalone").contains(REDIS.keyPrefix());
    }
}
