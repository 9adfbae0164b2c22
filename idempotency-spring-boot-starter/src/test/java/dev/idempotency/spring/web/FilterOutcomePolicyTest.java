package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.order;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.web.FilterTestSupport.ObservedStore;
import org.junit.jupiter.api.Test;

/** Which outcomes are stored and replayed, and which release the key so a retry runs again. */
class FilterOutcomePolicyTest {

    @Test
    void serverErrorReleasesTheKeySoARetryRunsAgain() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/server-error").header("Idempotency-Key", "e-1")).andExpect(status().isServiceUnavailable());
            mvc.perform(post("/server-error").header("Idempotency-Key", "e-1"))
                    .andExpect(status().isServiceUnavailable())
                    .andExpect(header().doesNotExist("Idempotent-Replayed"));
            assertThat(controller.calls("server-error")).isEqualTo(2);
        });
    }

    @Test
    void serverErrorsAreStoredWhenConfigured() {
        withMvc(runner().withPropertyValues("idempotency.store-server-errors=true"), (mvc, controller, context) -> {
            mvc.perform(post("/server-error").header("Idempotency-Key", "e-2"));
            mvc.perform(post("/server-error").header("Idempotency-Key", "e-2"))
                    .andExpect(status().isServiceUnavailable())
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("server-error")).isEqualTo(1);
        });
    }

    @Test
    void clientErrorsAreStoredAndReplayedUnlessListedAsReleaseStatuses() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/client-error").header("Idempotency-Key", "c-1")).andExpect(status().isBadRequest());
            mvc.perform(post("/client-error").header("Idempotency-Key", "c-1"))
                    .andExpect(status().isBadRequest())
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("client-error")).isEqualTo(1);
        });
        withMvc(runner().withPropertyValues("idempotency.release-statuses=400"), (mvc, controller, context) -> {
            mvc.perform(post("/client-error").header("Idempotency-Key", "c-1"));
            mvc.perform(post("/client-error").header("Idempotency-Key", "c-1")).andExpect(header().doesNotExist("Idempotent-Replayed"));
            assertThat(controller.calls("client-error")).isEqualTo(2);
        });
    }

    @Test
    void exceptionReleasesTheKeyAndPropagates() {
        withMvc(runner(), (mvc, controller, context) -> {
            assertThatThrownBy(() -> mvc.perform(post("/throws").header("Idempotency-Key", "t-1"))).hasRootCauseMessage("boom");
            assertThatThrownBy(() -> mvc.perform(post("/throws").header("Idempotency-Key", "t-1"))).hasRootCauseMessage("boom");
            assertThat(controller.calls("throws")).isEqualTo(2);
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of(SCOPE, "t-1"))).isEmpty();
        });
    }

    @Test
    void errorSentByAnExceptionResolverIsKeptAsNotReplayable() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/status-exception").header("Idempotency-Key", "se-1")).andExpect(status().isConflict());
            mvc.perform(post("/status-exception").header("Idempotency-Key", "se-1"))
                    .andExpect(status().isGone())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/response-not-replayable"))
                    .andExpect(jsonPath("$.originalStatus").value(409))
                    .andExpect(jsonPath("$.reason").value("ERROR_SENT"));
            assertThat(controller.calls("status-exception")).isEqualTo(1);
        });
    }

    @Test
    void responseStillReachesTheClientWhenOwnershipWasLostBeforeCompletion() {
        ObservedStore store = new ObservedStore();
        store.loseOwnershipOnComplete = true;
        withMvc(runner().withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            mvc.perform(order("lost-1", "{}"))
                    .andExpect(status().isCreated())
                    .andExpect(jsonPath("$.order").value(1))
                    .andExpect(header().string("Location", "/orders/1"));
        });
    }

    @Test
    void multipartPartsAreFingerprintedAndStillReachTheHandler() {
        withMvc(runner(), (mvc, controller, context) -> {
            byte[] file = "file content".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart("/upload")
                            .part(new org.springframework.mock.web.MockPart("file", "a.txt", file))
                            .header("Idempotency-Key", "up-1"))
                    .andExpect(status().isOk())
                    .andExpect(content().string("a.txt 12 bytes #1"));
            mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart("/upload")
                            .part(new org.springframework.mock.web.MockPart("file", "a.txt", file))
                            .header("Idempotency-Key", "up-1"))
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.multipart("/upload")
                            .part(new org.springframework.mock.web.MockPart("file", "a.txt", "other content".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                            .header("Idempotency-Key", "up-1"))
                    .andExpect(status().is(422));
            assertThat(controller.calls("upload")).isEqualTo(1);
        });
    }
}
