package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.web.FilterTestSupport.ObservedStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.http.MediaType;

/** A store outage fails every request: the log gets one line per request, not a stack trace each. */
@ExtendWith(OutputCaptureExtension.class)
class StoreFailureLoggingTest {

    @Test
    void eachFailedRequestLogsOneLineAndTheStackTraceAppearsOnce(CapturedOutput output) {
        ObservedStore store = new ObservedStore();
        store.down = true;
        withMvc(runner().withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            int before = output.getOut().length();
            for (int i = 0; i < 5; i++) {
                mvc.perform(post("/orders").principal(() -> "alice").header("Idempotency-Key", "outage-" + i)
                                .contentType(MediaType.APPLICATION_JSON).content("{}"))
                        .andExpect(status().isServiceUnavailable());
            }
            String logged = output.getOut().substring(before);
            assertThat(logged.lines().filter(line -> line.contains("refusing principal:alice/outage-"))).hasSize(5)
                    .allSatisfy(line -> assertThat(line).contains("connection refused (simulated)"));
            assertThat(logged.lines().filter(line -> line.startsWith("dev.idempotency.core.store.IdempotencyStoreException")))
                    .as("stack traces").hasSize(1);
        });
    }
}
