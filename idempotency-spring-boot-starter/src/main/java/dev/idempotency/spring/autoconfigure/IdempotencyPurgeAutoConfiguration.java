package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.purge.IdempotencyPurgeJob;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The background purge of expired records, unless {@code idempotency.purge.enabled=false} or the store is the Redis
 * store, whose records Redis expires itself.
 */
@AutoConfiguration(after = IdempotencyAutoConfiguration.class)
@ConditionalOnIdempotencyEnabled
@ConditionalOnBean(IdempotencyEngine.class)
@ConditionalOnProperty(prefix = "idempotency.purge", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyPurgeAutoConfiguration {

    @Bean
    // A store whose records Redis expires has nothing to purge.
    @ConditionalOnMissingBean(value = IdempotencyPurgeJob.class, type = "dev.idempotency.redis.RedisIdempotencyStore")
    public IdempotencyPurgeJob idempotencyPurgeJob(IdempotencyEngine engine, IdempotencyProperties properties) {
        IdempotencyProperties.Purge purge = properties.getPurge();
        return new IdempotencyPurgeJob(engine, purge.getInitialDelay(), purge.getInterval(), purge.getBatchSize());
    }
}
