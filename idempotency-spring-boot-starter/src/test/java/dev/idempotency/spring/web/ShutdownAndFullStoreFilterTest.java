package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.spring.metrics.InMemoryStoreGauges;
import dev.idempotency.spring.metrics.MicrometerIdempotencyListener;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/** Requests the filter refuses because the engine is stopping or the in-memory store is full. */
class ShutdownAndFullStoreFilterTest {

    @Test
    void aRequestAfterTheEngineBeganShuttingDownIs503EvenWithFailOpen() {
        withMvc(runner().withBean(SimpleMeterRegistry.class).withPropertyValues("idempotency.fail-open=true"),
                (mvc, controller, context) -> {
                    context.getBean(IdempotencyEngine.class).shutdown();

                    mvc.perform(post("/global").header("Idempotency-Key", "late"))
                            .andExpect(status().isServiceUnavailable())
                            .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/store-unavailable"))
                            .andExpect(jsonPath("$.detail").value(Matchers.containsString("shutting down")));

                    assertThat(controller.calls("global")).isZero();
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.get(MicrometerIdempotencyListener.REQUESTS).tag("outcome", "store_unavailable")
                            .counter().count()).isEqualTo(1);
                });
    }

    @Test
    void aFullInMemoryStoreAnswersANewKeyWith503AndStillReplaysTheKeysItHolds() {
        withMvc(runner().withBean(SimpleMeterRegistry.class).withPropertyValues("idempotency.memory.max-records=2"),
                (mvc, controller, context) -> {
                    mvc.perform(post("/global").header("Idempotency-Key", "k1")).andExpect(status().isOk());
                    mvc.perform(post("/global").header("Idempotency-Key", "k2")).andExpect(status().isOk());

                    mvc.perform(post("/global").header("Idempotency-Key", "k3"))
                            .andExpect(status().isServiceUnavailable())
                            .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/store-unavailable"));
                    mvc.perform(post("/global").header("Idempotency-Key", "k1"))
                            .andExpect(status().isOk())
                            .andExpect(header().string(IdempotencyFilter.REPLAYED_HEADER, "true"))
                            .andExpect(content().string("global #1"));

                    assertThat(controller.calls("global")).isEqualTo(2);
                    MeterRegistry registry = context.getBean(MeterRegistry.class);
                    assertThat(registry.get(InMemoryStoreGauges.RECORDS).gauge().value()).isEqualTo(2);
                    assertThat(registry.get(InMemoryStoreGauges.MAX_RECORDS).gauge().value()).isEqualTo(2);
                });
    }
}
