package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.PROBLEM_JSON;
import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.send;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MvcResult;

/** Responses that cannot be replayed (too large, streamed, asynchronous): they reach the client, and the work does not run again. */
class FilterUnsafeResponsesTest {

    @Test
    void responseAboveTheLimitReachesTheClientWholeAndRetriesGetResponseNotReplayable() {
        withMvc(runner().withPropertyValues("idempotency.max-response-size=1KB"), (mvc, controller, context) -> {
            MockHttpServletResponse first = send(mvc, post("/large").header("Idempotency-Key", "l-1"));
            assertThat(first.getContentAsString()).isEqualTo("L".repeat(4096) + "1");
            mvc.perform(post("/large").header("Idempotency-Key", "l-1"))
                    .andExpect(status().isGone())
                    .andExpect(header().string("Idempotent-Replayed", "true"))
                    .andExpect(jsonPath("$.reason").value("TOO_LARGE"));
            assertThat(controller.calls("large")).isEqualTo(1);
        });
    }

    @Test
    void responseNotReplayableStatusIsConfigurable() {
        withMvc(runner().withPropertyValues("idempotency.max-response-size=1KB", "idempotency.status.response-not-replayable=409"),
                (mvc, controller, context) -> {
                    send(mvc, post("/large").header("Idempotency-Key", "l-2"));
                    mvc.perform(post("/large").header("Idempotency-Key", "l-2")).andExpect(status().isConflict());
                    assertThat(controller.calls("large")).isEqualTo(1);
                });
    }

    @Test
    void streamingResponseBodyPassesThroughAndIsNotRunAgain() {
        withMvc(runner(), (mvc, controller, context) -> {
            MvcResult started = mvc.perform(post("/stream").header("Idempotency-Key", "st-1")).andReturn();
            mvc.perform(asyncDispatch(started)).andExpect(content().string("streamed #1"));
            awaitCompleted(context.getBean(IdempotencyStore.class), IdempotencyKey.of(SCOPE, "st-1"));
            mvc.perform(post("/stream").header("Idempotency-Key", "st-1"))
                    .andExpect(status().isGone())
                    .andExpect(jsonPath("$.reason").value("STREAMED"));
            assertThat(controller.calls("stream")).isEqualTo(1);
        });
    }

    @Test
    void serverSentEventsPassThroughAndHoldTheKeyUntilTheyEnd() {
        withMvc(runner(), (mvc, controller, context) -> {
            MvcResult first = mvc.perform(post("/sse").header("Idempotency-Key", "sse-1")).andReturn();
            assertThat(first.getResponse().getContentAsString()).contains("event #1");
            // Until the asynchronous request is over, the key stays claimed.
            mvc.perform(post("/sse").header("Idempotency-Key", "sse-1")).andExpect(status().isConflict());
            mvc.perform(asyncDispatch(first));
            awaitCompleted(context.getBean(IdempotencyStore.class), IdempotencyKey.of(SCOPE, "sse-1"));
            mvc.perform(post("/sse").header("Idempotency-Key", "sse-1")).andExpect(status().isGone());
            assertThat(controller.calls("sse")).isEqualTo(1);
        });
    }

    @Test
    void retryWhileAnAsyncHandlerStillRunsIs409AndItsResultIsReplayedOnceDone() {
        withMvc(runner(), (mvc, controller, context) -> {
            MvcResult first = mvc.perform(post("/async").header("Idempotency-Key", "a-1")).andReturn();
            assertThat(first.getRequest().isAsyncStarted()).isTrue();
            MockHttpServletResponse retry = send(mvc, post("/async").header("Idempotency-Key", "a-1"));
            Thread.sleep(200);
            int callsWhileRunning = controller.calls("async");
            controller.asyncFinish.countDown();
            assertThat(retry.getStatus()).as("retry while the first is still running").isEqualTo(409);
            assertThat(retry.getContentType()).isEqualTo(PROBLEM_JSON);
            assertThat(callsWhileRunning).as("runs for one key").isLessThanOrEqualTo(1);
            mvc.perform(asyncDispatch(first)).andExpect(content().string("async #1"));
            awaitCompleted(context.getBean(IdempotencyStore.class), IdempotencyKey.of(SCOPE, "a-1"));
            mvc.perform(post("/async").header("Idempotency-Key", "a-1"))
                    .andExpect(status().isOk())
                    .andExpect(header().string("Idempotent-Replayed", "true"))
                    .andExpect(content().string("async #1"));
            assertThat(controller.calls("async")).isEqualTo(1);
        });
    }

    private static void awaitCompleted(IdempotencyStore store, IdempotencyKey key) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (store.find(key).filter(r -> r.status() == dev.idempotency.core.store.IdempotencyStatus.COMPLETED).isEmpty()
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(store.find(key)).as("record of " + key)
                .hasValueSatisfying(r -> assertThat(r.status()).isEqualTo(dev.idempotency.core.store.IdempotencyStatus.COMPLETED));
    }
}
