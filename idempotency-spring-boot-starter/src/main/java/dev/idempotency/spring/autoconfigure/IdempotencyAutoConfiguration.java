package dev.idempotency.spring.autoconfigure;

import dev.idempotency.core.CompositeIdempotencyListener;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.IdempotencyProperties;
import dev.idempotency.spring.lifecycle.IdempotencyEngineLifecycle;
import java.time.Duration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The {@link IdempotencyEngine}, built from the single {@link IdempotencyStore} bean, {@code idempotency.ttl},
 * {@code lease}, {@code heartbeat-interval} and {@code renewal-timeout}, and every {@link IdempotencyListener} bean
 * (metrics among them); and the {@link IdempotencyEngineLifecycle} that stops it gracefully within
 * {@code spring.lifecycle.timeout-per-shutdown-phase}.
 */
@AutoConfiguration(after = {IdempotencyJdbcStoreAutoConfiguration.class, IdempotencyRedisStoreAutoConfiguration.class,
        IdempotencyInMemoryStoreAutoConfiguration.class})
@ConditionalOnIdempotencyEnabled
@EnableConfigurationProperties(IdempotencyProperties.class)
public class IdempotencyAutoConfiguration {

    private static final Log log = LogFactory.getLog(IdempotencyAutoConfiguration.class);

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public IdempotencyEngine idempotencyEngine(IdempotencyStore store, IdempotencyProperties properties,
            ObjectProvider<IdempotencyListener> listeners, Environment environment) {
        IdempotencyEngine.Builder builder = IdempotencyEngine.builder(store)
                .shutdownTimeout(shutdownTimeout(environment))
                .defaultTtl(properties.getTtl())
                .lease(properties.getLease())
                .listener(CompositeIdempotencyListener.of(listeners.orderedStream().toList()));
        if (properties.getHeartbeatInterval() != null) {
            builder.heartbeatInterval(properties.getHeartbeatInterval());
        }
        if (properties.getRenewalTimeout() != null) {
            builder.renewalTimeout(properties.getRenewalTimeout());
        }
        IdempotencyEngine engine = builder.build();
        log.info("Idempotency keys are kept in the " + store + "; responses replayed for " + engine.defaultTtl()
                + ", leases of " + engine.lease());
        return engine;
    }

    @Bean
    @ConditionalOnMissingBean
    public IdempotencyEngineLifecycle idempotencyEngineLifecycle(IdempotencyEngine engine, Environment environment) {
        return new IdempotencyEngineLifecycle(engine, shutdownTimeout(environment));
    }

    /** Spring's own shutdown timeout, so the engine waits for running requests as long as each shutdown phase may. */
    private static Duration shutdownTimeout(Environment environment) {
        return Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                .orElse(Duration.ofSeconds(30));
    }
}
