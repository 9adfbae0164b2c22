package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.metrics.InMemoryStoreGauges;
import dev.idempotency.spring.metrics.MicrometerIdempotencyListener;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer meters for the engine and the filter, when a {@link MeterRegistry} bean exists, and the fill level of the
 * in-memory store when that is the store. Ordered after the stores and the meter registry auto-configurations of
 * Boot 4 and Boot 3 alike (named, because their packages moved).
 */
@AutoConfiguration(before = IdempotencyAutoConfiguration.class,
        after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyInMemoryStoreAutoConfiguration.class}, afterName = {
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnIdempotencyEnabled
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public class IdempotencyMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public MicrometerIdempotencyListener micrometerIdempotencyListener(MeterRegistry registry) {
        return new MicrometerIdempotencyListener(registry);
    }

    @Bean
    @ConditionalOnBean(InMemoryIdempotencyStore.class)
    @ConditionalOnMissingBean
    public InMemoryStoreGauges inMemoryStoreGauges(InMemoryIdempotencyStore store, MeterRegistry registry) {
        return new InMemoryStoreGauges(store, registry);
    }
}
