package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.health.IdempotencyHealthProperties;
import dev.idempotency.spring.health.IdempotencyStoreHealthIndicator;
import dev.idempotency.spring.health.ReadinessGroupMembership;
import dev.idempotency.spring.health.StoreProbe;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The store's health indicator, named {@code idempotency}, for Spring Boot 4's health module
 * ({@code org.springframework.boot.health}); disabled with {@code management.health.idempotency.enabled=false}. It
 * joins the readiness group only with {@code idempotency.health.readiness-group=true}; see
 * {@link IdempotencyHealthProperties} for why not by default. On Spring Boot 3, whose health API is in
 * {@code spring-boot-actuator}, {@link IdempotencyBoot3HealthAutoConfiguration} configures the same indicator instead.
 */
@AutoConfiguration(after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(IdempotencyStore.class)
@ConditionalOnEnabledHealthIndicator("idempotency")
@EnableConfigurationProperties(IdempotencyHealthProperties.class)
public class IdempotencyHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "idempotencyHealthIndicator")
    public IdempotencyStoreHealthIndicator idempotencyHealthIndicator(IdempotencyStore store,
            IdempotencyHealthProperties properties) {
        return new IdempotencyStoreHealthIndicator(new StoreProbe(store, properties.getTimeout()));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor")
    @ConditionalOnProperty(name = "idempotency.health.readiness-group", havingValue = "true")
    static class ReadinessGroupConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "idempotencyReadinessGroupMembership")
        ReadinessGroupMembership idempotencyReadinessGroupMembership() {
            return new ReadinessGroupMembership("idempotency");
        }
    }
}
