package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * The fallback store: in memory, when no other {@link IdempotencyStore} exists (no JDBC store on the classpath, no
 * {@code DataSource}, or {@code idempotency.store.type=memory}). It logs a warning, because records are neither
 * shared between instances nor kept across restarts. It holds at most {@code idempotency.memory.max-records}
 * records.
 */
@AutoConfiguration(after = IdempotencyJdbcStoreAutoConfiguration.class)
@ConditionalOnIdempotencyEnabled
@Conditional(OnStoreTypeCondition.Memory.class)
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyInMemoryStoreAutoConfiguration {

    private static final Log log = LogFactory.getLog(IdempotencyInMemoryStoreAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean(IdempotencyStore.class)
    public InMemoryIdempotencyStore idempotencyStore(IdempotencyProperties properties) {
        log.warn("Idempotency keys are kept in memory: this only works for a single application instance, and keys are "
                + "lost on restart. Add idempotency-jdbc-store and a DataSource (or define an IdempotencyStore bean) "
                + "for a shared store.");
        return new InMemoryIdempotencyStore(properties.getMemory().getMaxRecords());
    }
}
