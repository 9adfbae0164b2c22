package dev.idempotency.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.SpringBootLine;
import dev.idempotency.spring.lifecycle.IdempotencyEngineLifecycle;
import dev.idempotency.spring.metrics.InMemoryStoreGauges;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.io.ClassPathResource;

/** The engine's lifecycle bean, the in-memory store's bound and its gauges. */
class EngineLifecycleAutoConfigurationTest {

    private final WebApplicationContextRunner web = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyAutoConfigurationTest.AUTO_CONFIGURATIONS.toArray(Class<?>[]::new)))
            .withPropertyValues("idempotency.purge.enabled=false");

    @Test
    void theEngineStopsAfterTheGracefulShutdownAndBeforeTheWebServer() {
        assertThat(IdempotencyEngineLifecycle.PHASE)
                .isLessThan(SpringBootLine.WEB_SERVER_GRACEFUL_SHUTDOWN_PHASE)
                .isGreaterThan(SmartLifecycle.DEFAULT_PHASE - 2048);
    }

    @Test
    void closingTheContextShutsTheEngineDown() {
        IdempotencyEngine[] engine = new IdempotencyEngine[1];
        web.run(context -> {
            assertThat(context).hasSingleBean(IdempotencyEngineLifecycle.class);
            engine[0] = context.getBean(IdempotencyEngine.class);
            assertThat(context.getBean(IdempotencyEngineLifecycle.class).isRunning()).isTrue();
            assertThat(engine[0].isShutdown()).isFalse();
        });
        assertThat(engine[0].isShutdown()).isTrue();
    }

    @Test
    void theInMemoryStoreIsBoundedByMaxRecords() {
        web.run(context -> assertThat(context.getBean(InMemoryIdempotencyStore.class).maxRecords()).isEqualTo(100_000));
        web.withPropertyValues("idempotency.memory.max-records=5")
                .run(context -> assertThat(context.getBean(InMemoryIdempotencyStore.class).maxRecords()).isEqualTo(5));
    }

    @Test
    void gaugesOnlyForTheInMemoryStore() {
        web.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasSingleBean(InMemoryStoreGauges.class);
            assertThat(context.getBean(MeterRegistry.class).get(InMemoryStoreGauges.RECORDS).gauge().value()).isZero();
        });
        web.withBean(SimpleMeterRegistry.class).withBean(IdempotencyStore.class, () -> mock(IdempotencyStore.class))
                .run(context -> {
                    assertThat(context).doesNotHaveBean(InMemoryStoreGauges.class);
                    assertThat(context.getBean(MeterRegistry.class).find(InMemoryStoreGauges.RECORDS).gauge()).isNull();
                });
    }

    @Test
    void maxRecordsIsInTheConfigurationMetadata() throws Exception {
        String metadata = new String(new ClassPathResource("META-INF/spring-configuration-metadata.json").getContentAsByteArray());
        assertThat(metadata).contains("\"idempotency.memory.max-records\"");
    }
}
