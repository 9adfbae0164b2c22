package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.redis.RedisIdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.redis.IdempotencyRedisConnection;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The Redis store, when {@code idempotency-redis-store} is on the classpath, the application has Boot's Lettuce
 * connection factory ({@code spring-boot-starter-data-redis}, configured by {@code spring.data.redis.*}), and
 * {@code idempotency.store.type} is {@code redis}, or {@code auto} with no JDBC store configured before it. The
 * store opens a connection of its own on the factory's client. Backs off to an {@link IdempotencyStore} or an
 * {@link IdempotencyRedisConnection} the application defines. Ordered after Boot 4's and Boot 3's Redis
 * auto-configuration (named, because its package moved).
 */
@AutoConfiguration(after = IdempotencyJdbcStoreAutoConfiguration.class, afterName = {
        "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
        "org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration"})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(name = {"dev.idempotency.redis.RedisIdempotencyStore",
        "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory"})
@ConditionalOnBean(type = "org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory")
@Conditional(OnStoreTypeCondition.Redis.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyRedisStoreAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean({IdempotencyRedisConnection.class, IdempotencyStore.class})
    public IdempotencyRedisConnection idempotencyRedisConnection(LettuceConnectionFactory connectionFactory,
            IdempotencyProperties properties) {
        return IdempotencyRedisConnection.open(connectionFactory.getRequiredNativeClient(),
                properties.getRedis().getCommandTimeout());
    }

    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    public RedisIdempotencyStore idempotencyStore(IdempotencyRedisConnection connection,
            IdempotencyProperties properties) {
        IdempotencyProperties.Redis redis = properties.getRedis();
        return RedisIdempotencyStore.builder(connection.scripts())
                .keyPrefix(redis.getKeyPrefix())
                .waitForReplicas(redis.getWaitReplicas(), redis.getWaitTimeout())
                .build();
    }
}
