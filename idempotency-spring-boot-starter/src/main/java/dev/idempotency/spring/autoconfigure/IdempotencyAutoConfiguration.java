package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@link IdempotencyEngine}, built from the single {@link IdempotencyStore} bean, {@code idempotency.ttl},
 * {@code lease}, {@code heartbeat-interval} and {@code renewal-timeout}, and every {@link IdempotencyListener} bean (metrics among them).
 */
@AutoConfiguration(after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class})
@ConditionalOnIdempotencyEnabled
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public IdempotencyEngine idempotencyEngine(IdempotencyStore store, IdempotencyProperties properties,
            ObjectProvider<IdempotencyListener> listeners) {
        IdempotencyEngine.Builder builder = IdempotencyEngine.builder(store)
                .defaultTtl(properties.getTtl())
                .lease(properties.getLease())
                .listener(CompositeIdempotencyListener.of(listeners.orderedStream().toList()));
        if (properties.getHeartbeatInterval() != null) {
            builder.heartbeatInterval(properties.getHeartbeatInterval());
        }
        if (properties.getRenewalTimeout() != null) {
            builder.renewalTimeout(properties.getRenewalTimeout());
        }
        return builder.build();
    }
}
