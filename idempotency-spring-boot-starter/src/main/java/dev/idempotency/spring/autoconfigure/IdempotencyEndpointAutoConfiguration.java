package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.actuate.IdempotencyEndpoint;
import dev.idempotency.spring.actuate.IdempotencyEndpointProperties;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The {@code idempotency} actuator endpoint ({@link IdempotencyEndpoint}), when the actuator is present and the
 * endpoint is available (exposed and not switched off with {@code management.endpoint.idempotency.access=none}).
 */
@AutoConfiguration(after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
@ConditionalOnBean(IdempotencyStore.class)
@ConditionalOnAvailableEndpoint(IdempotencyEndpoint.class)
@EnableConfigurationProperties(IdempotencyEndpointProperties.class)
public class IdempotencyEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public IdempotencyEndpoint idempotencyEndpoint(IdempotencyStore store, IdempotencyEndpointProperties properties) {
        return new IdempotencyEndpoint(store, properties.isShowResponse());
    }
}
