package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.health.IdempotencyHealthProperties;
import dev.idempotency.spring.health.StoreProbe;
import dev.idempotency.spring.health.boot3.IdempotencyStoreHealthIndicator;
import dev.idempotency.spring.health.boot3.ReadinessGroupMembership;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The store's health indicator, named {@code idempotency}, for Spring Boot 3, whose health API is
 * {@code org.springframework.boot.actuate.health} in {@code spring-boot-actuator}: the same indicator, settings and
 * readiness-group membership as {@link IdempotencyHealthAutoConfiguration} gives on Boot 4, where that package no
 * longer exists. Disabled with {@code management.health.idempotency.enabled=false}.
 */
@AutoConfiguration(after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(IdempotencyStore.class)
@ConditionalOnEnabledHealthIndicator("idempotency")
@EnableConfigurationProperties(IdempotencyHealthProperties.class)
public class IdempotencyBoot3HealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "idempotencyHealthIndicator")
    public IdempotencyStoreHealthIndicator idempotencyHealthIndicator(IdempotencyStore store,
            IdempotencyHealthProperties properties) {
        return new IdempotencyStoreHealthIndicator(new StoreProbe(store, properties.getTimeout()));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthEndpointGroupsPostProcessor")
    @ConditionalOnProperty(name = "idempotency.health.readiness-group", havingValue = "true")
    static class ReadinessGroupConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "idempotencyReadinessGroupMembership")
        ReadinessGroupMembership idempotencyReadinessGroupMembership() {
            return new ReadinessGroupMembership("idempotency");
        }
    }
}
