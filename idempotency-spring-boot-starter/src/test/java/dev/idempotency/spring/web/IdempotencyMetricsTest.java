package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.metrics.MicrometerIdempotencyListener;
import dev.idempotency.spring.web.FilterTestSupport.ObservedStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

class IdempotencyMetricsTest {

    private static double requests(MeterRegistry registry, String outcome) {
        var counter = registry.find(MicrometerIdempotencyListener.REQUESTS).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void countersMoveForEveryOutcome() {
        withMvc(runner().withBean(SimpleMeterRegistry.class), (mvc, controller, context) -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            mvc.perform(post("/orders").header("Idempotency-Key", "m1").contentType(MediaType.APPLICATION_JSON).content("{}"));
            mvc.perform(post("/orders").header("Idempotency-Key", "m1").contentType(MediaType.APPLICATION_JSON).content("{}"));
            mvc.perform(post("/orders").header("Idempotency-Key", "m1").contentType(MediaType.APPLICATION_JSON).content("{\"a\":1}"));
            mvc.perform(post("/orders").contentType(MediaType.APPLICATION_JSON).content("{}"));
            mvc.perform(post("/orders").header("Idempotency-Key", "\"bad").contentType(MediaType.APPLICATION_JSON).content("{}"));
            mvc.perform(post("/orders").header("Idempotency-Key", "m2").contentType(MediaType.APPLICATION_JSON).content("{"));
            mvc.perform(post("/server-error").header("Idempotency-Key", "m3"));
            org.springframework.test.web.servlet.MvcResult stream = mvc.perform(post("/stream").header("Idempotency-Key", "m4")).andReturn();
            // A streamed response is counted once its asynchronous request completed and its key was kept as not replayable.
            mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch(stream));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while ((requests(registry, "executed") < 3 || registry.find(MicrometerIdempotencyListener.UNSTORED).counter() == null)
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }

            assertThat(requests(registry, "executed")).isEqualTo(3);
            assertThat(requests(registry, "replayed")).isEqualTo(1);
            assertThat(requests(registry, "mismatch")).isEqualTo(1);
            assertThat(requests(registry, "key_missing")).isEqualTo(1);
            assertThat(requests(registry, "key_invalid")).isEqualTo(1);
            assertThat(requests(registry, "invalid_json")).isEqualTo(1);
            assertThat(registry.get(MicrometerIdempotencyListener.COMPLETIONS).tag("completion", "stored").counter().count()).isEqualTo(2);
            assertThat(registry.get(MicrometerIdempotencyListener.COMPLETIONS).tag("completion", "released").counter().count()).isEqualTo(1);
            assertThat(registry.get(MicrometerIdempotencyListener.UNSTORED).counter().count()).isEqualTo(1);
            assertThat(registry.get(MicrometerIdempotencyListener.STORE_LATENCY).tag("operation", "claim").timer().count()).isEqualTo(5);
            assertThat(registry.get(MicrometerIdempotencyListener.STORE_LATENCY).tag("operation", "complete").timer().count()).isEqualTo(2);
        });
    }

    @Test
    void anonymousCallersOfPrincipalScopedHandlersAreCounted() {
        FilterTestSupport.withAnonymousMvc(runner().withBean(SimpleMeterRegistry.class), (mvc, controller, context) -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            mvc.perform(post("/whoami").header("Idempotency-Key", "p1"));
            assertThat(requests(registry, "principal_required")).isEqualTo(1);
            assertThat(requests(registry, "executed")).isZero();
        });
    }

    @Test
    void storeOutagesAreCounted() {
        ObservedStore store = new ObservedStore();
        store.down = true;
        withMvc(runner().withBean(SimpleMeterRegistry.class).withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            MeterRegistry registry = context.getBean(MeterRegistry.class);
            mvc.perform(post("/whoami").header("Idempotency-Key", "o1"));
            assertThat(requests(registry, "store_unavailable")).isEqualTo(1);
            assertThat(registry.get(MicrometerIdempotencyListener.STORE_ERRORS).tag("operation", "claim").counter().count()).isEqualTo(1);
        });
    }
}
