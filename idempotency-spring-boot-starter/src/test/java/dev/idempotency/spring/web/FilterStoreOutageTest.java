package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.PROBLEM_JSON;
import static dev.idempotency.spring.web.FilterTestSupport.order;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.sendUnchecked;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.web.FilterTestSupport.ObservedStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;

/** A store that fails during the claim: 503 without running the handler, or, with fail-open, the handler runs unprotected. */
class FilterStoreOutageTest {

    @Test
    void storeOutageIs503AndTheHandlerDoesNotRun() {
        ObservedStore store = new ObservedStore();
        store.down = true;
        withMvc(runner().withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            mvc.perform(order("down-1", "{}"))
                    .andExpect(status().isServiceUnavailable())
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/store-unavailable"));
            assertThat(controller.calls("orders")).isZero();
        });
    }

    @Test
    void storeErrorWhileWaitingForTheOwnerDoesNotRunTheHandlerConcurrently() {
        ObservedStore store = new ObservedStore();
        withMvc(runner().withBean(IdempotencyStore.class, () -> store).withPropertyValues("idempotency.fail-open=true",
                "idempotency.in-flight.behavior=wait", "idempotency.in-flight.wait-timeout=5s"), (mvc, controller, context) -> {
            CompletableFuture<MockHttpServletResponse> owner = CompletableFuture.supplyAsync(() -> sendUnchecked(mvc, post("/slow").header("Idempotency-Key", "f-1")));
            assertThat(controller.entered.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<MockHttpServletResponse> duplicate = CompletableFuture.supplyAsync(() -> sendUnchecked(mvc, post("/slow").header("Idempotency-Key", "f-1")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (store.claims.get() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            store.down = true; // a blip while the duplicate polls
            Thread.sleep(300);
            int callsWhileOwnerRuns = controller.calls("slow");
            controller.release.countDown();
            assertThat(owner.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
            assertThat(duplicate.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(409);
            assertThat(callsWhileOwnerRuns).isEqualTo(1);
        });
    }

    @Test
    void failOpenRunsTheHandlerUnprotectedDuringAnOutage() {
        ObservedStore store = new ObservedStore();
        store.down = true;
        withMvc(runner().withBean(IdempotencyStore.class, () -> store).withPropertyValues("idempotency.fail-open=true"), (mvc, controller, context) -> {
            mvc.perform(order("down-2", "{\"a\":1}")).andExpect(status().isCreated()).andExpect(jsonPath("$.received").value("7 chars"));
            mvc.perform(order("down-2", "{\"a\":1}")).andExpect(status().isCreated());
            assertThat(controller.calls("orders")).isEqualTo(2);
        });
    }
}
