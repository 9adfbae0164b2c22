package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.PROBLEM_JSON;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.send;
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
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;

/** A duplicate while the first request runs: 409 with Retry-After, or a wait for the first one's result. */
class FilterInFlightTest {

    @Test
    void duplicateWhileTheFirstIsRunningIs409WithRetryAfter() {
        withMvc(runner(), (mvc, controller, context) -> {
            CompletableFuture<MockHttpServletResponse> first = CompletableFuture.supplyAsync(() -> sendUnchecked(mvc, post("/slow").header("Idempotency-Key", "busy")));
            assertThat(controller.entered.await(10, TimeUnit.SECONDS)).isTrue();

            mvc.perform(post("/slow").header("Idempotency-Key", "busy"))
                    .andExpect(status().isConflict())
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-in-use"))
                    .andExpect(header().exists("Retry-After"));
            MockHttpServletResponse conflict = send(mvc, post("/slow").header("Idempotency-Key", "busy"));
            assertThat(Long.parseLong(conflict.getHeader("Retry-After"))).isBetween(1L, 30L);

            controller.release.countDown();
            assertThat(first.get(10, TimeUnit.SECONDS).getContentAsString()).isEqualTo("slow #1");
            assertThat(controller.calls("slow")).isEqualTo(1);
            mvc.perform(post("/slow").header("Idempotency-Key", "busy")).andExpect(content().string("slow #1"));
        });
    }

    @Test
    void waitModeWaitsForTheRunningRequestAndReplaysIt() {
        ObservedStore store = new ObservedStore();
        withMvc(runner().withBean(IdempotencyStore.class, () -> store)
                .withPropertyValues("idempotency.in-flight.behavior=wait", "idempotency.in-flight.wait-timeout=30s"), (mvc, controller, context) -> {
            CompletableFuture<MockHttpServletResponse> first = CompletableFuture.supplyAsync(() -> sendUnchecked(mvc, post("/slow").header("Idempotency-Key", "w-1")));
            assertThat(controller.entered.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<MockHttpServletResponse> second = CompletableFuture.supplyAsync(() -> sendUnchecked(mvc, post("/slow").header("Idempotency-Key", "w-1")));
            // The second request has seen the claim held when the store answered its claim.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> store.claims.get() >= 2);
            controller.release.countDown();

            MockHttpServletResponse waited = second.get(10, TimeUnit.SECONDS);
            assertThat(first.get(10, TimeUnit.SECONDS).getContentAsString()).isEqualTo("slow #1");
            assertThat(waited.getStatus()).isEqualTo(200);
            assertThat(waited.getContentAsString()).isEqualTo("slow #1");
            assertThat(waited.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(controller.calls("slow")).isEqualTo(1);
        });
    }
}
