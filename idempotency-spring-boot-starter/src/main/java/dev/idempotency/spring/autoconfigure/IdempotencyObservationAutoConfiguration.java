package dev.idempotency.spring.autoconfigure;

import dev.idempotency.spring.observation.IdempotencyObservations;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer observations of each protected request's claim, handler run and completion
 * ({@link IdempotencyObservations}), when an {@link ObservationRegistry} bean exists: with {@code micrometer-tracing}
 * and an exporter they become spans. Ordered after the observation registry auto-configurations of Boot 4 and Boot 3
 * alike (named, because their packages moved).
 */
@AutoConfiguration(before = IdempotencyWebAutoConfiguration.class, afterName = {
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.observation.ObservationAutoConfiguration"})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean(ObservationRegistry.class)
public class IdempotencyObservationAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public IdempotencyObservations idempotencyObservations(ObservationRegistry registry) {
        return new IdempotencyObservations(registry);
    }
}
