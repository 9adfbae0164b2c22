package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withAnonymousMvc;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.spring.IdempotencyScopeResolver;
import dev.idempotency.spring.web.FilterTestSupport.ObservedStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.web.bind.annotation.PostMapping;

class IdempotencyFilterTest {

    private static final String PROBLEM_JSON = "application/problem+json";

    private static MockHttpServletRequestBuilder order(String key, String json) {
        MockHttpServletRequestBuilder request = post("/orders").contentType(MediaType.APPLICATION_JSON).content(json);
        return key == null ? request : request.header("Idempotency-Key", key);
    }

    private static MockHttpServletResponse send(MockMvc mvc, MockHttpServletRequestBuilder request) throws Exception {
        return mvc.perform(request).andReturn().getResponse();
    }

    // ---- key header ----

    @Test
    void firstRequestRunsAndRetryReplaysStatusBodyAndAllowlistedHeaders() {
        withMvc(runner(), (mvc, controller, context) -> {
            MockHttpServletResponse first = send(mvc, order("k-1", "{\"amount\":10}"));
            MockHttpServletResponse replay = send(mvc, order("k-1", "{\"amount\":10}"));

            assertThat(controller.calls("orders")).isEqualTo(1);
            assertThat(first.getStatus()).isEqualTo(201);
            assertThat(first.getHeader("Idempotent-Replayed")).isNull();
            assertThat(replay.getStatus()).isEqualTo(201);
            assertThat(replay.getContentAsByteArray()).isEqualTo(first.getContentAsByteArray());
            assertThat(replay.getContentType()).isEqualTo(first.getContentType());
            assertThat(replay.getHeader("Location")).isEqualTo("/orders/1");
            assertThat(replay.getHeader("ETag")).isEqualTo("\"v1\"");
            assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
        });
    }

    @Test
    void setCookieAndHeadersOutsideTheAllowlistAreNeverReplayedEvenWhenConfigured() {
        withMvc(runner().withPropertyValues("idempotency.replay-headers=Content-Type,Location,Set-Cookie"), (mvc, controller, context) -> {
            MockHttpServletResponse first = send(mvc, order("k-cookie", "{}"));
            MockHttpServletResponse replay = send(mvc, order("k-cookie", "{}"));

            assertThat(first.getHeader("Set-Cookie")).isEqualTo("session=secret-1");
            assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(replay.getHeader("Set-Cookie")).isNull();
            assertThat(replay.getCookies()).isEmpty();
            assertThat(replay.getHeader("X-Not-Allowlisted")).isNull();
            assertThat(replay.getHeader("ETag")).isNull();
            assertThat(replay.getHeader("Location")).isEqualTo("/orders/1");
        });
    }

    @Test
    void theHandlerSeesTheClaimedKeyAsARequestAttribute() {
        withMvc(runner(), (mvc, controller, context) -> {
            MockHttpServletResponse response = send(mvc, post("/derived").header("Idempotency-Key", "\"pay-7\""));

            IdempotencyKey claimed = IdempotencyKey.of(SCOPE, "pay-7");
            assertThat(response.getStatus()).isEqualTo(200);
            assertThat(response.getContentAsString()).isEqualTo(SCOPE + " pay-7 " + claimed.derive("charge"));
        });
    }

    @Test
    void quotedStructuredFieldAndBareFormAreTheSameKey() {
        withMvc(runner(), (mvc, controller, context) -> {
            send(mvc, order("\"abc-123\"", "{}"));
            MockHttpServletResponse bare = send(mvc, order("abc-123", "{}"));
            assertThat(bare.getHeader("Idempotent-Replayed")).isEqualTo("true");

            send(mvc, order("\"a\\\"b\\\\c\"", "{}"));
            MockHttpServletResponse unescaped = send(mvc, order("a\"b\\c", "{}"));
            assertThat(unescaped.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(controller.calls("orders")).isEqualTo(2);
        });
    }

    @Test
    void missingKeyOnRequiredHandlerIs400ProblemAndHandlerDoesNotRun() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(order(null, "{}"))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-missing"))
                    .andExpect(jsonPath("$.title").value("Idempotency key missing"))
                    .andExpect(jsonPath("$.status").value(400))
                    .andExpect(jsonPath("$.detail").isNotEmpty())
                    .andExpect(jsonPath("$.instance").value("/orders"));
            assertThat(controller.calls("orders")).isZero();
        });
    }

    @Test
    void optionalKeyRunsUnprotectedWithoutHeaderAndProtectedWithIt() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/optional")).andExpect(status().isOk());
            mvc.perform(post("/optional")).andExpect(status().isOk());
            assertThat(controller.calls("optional")).isEqualTo(2);
            mvc.perform(post("/optional").header("Idempotency-Key", "o-1")).andExpect(status().isOk());
            mvc.perform(post("/optional").header("Idempotency-Key", "o-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("optional")).isEqualTo(3);
        });
    }

    @Test
    void invalidKeysAre400ProblemsNamingTheReason() {
        withMvc(runner().withPropertyValues("idempotency.max-key-length=10"), (mvc, controller, context) -> {
            expectInvalid(mvc, "\"abc", "MALFORMED");
            expectInvalid(mvc, "\"abc\"x", "MALFORMED");
            expectInvalid(mvc, "\"abc\";p=1", "MALFORMED");
            expectInvalid(mvc, "\"a\\nb\"", "MALFORMED");
            expectInvalid(mvc, "\"\"", "EMPTY");
            expectInvalid(mvc, "   ", "EMPTY");
            expectInvalid(mvc, "k".repeat(11), "TOO_LONG");
            expectInvalid(mvc, "clé", "NOT_PRINTABLE_ASCII");
            expectInvalid(mvc, "a\u0001b", "NOT_PRINTABLE_ASCII");
            assertThat(controller.calls("orders")).isZero();
            mvc.perform(order("k".repeat(10), "{}")).andExpect(status().isCreated());
        });
    }

    private static void expectInvalid(MockMvc mvc, String key, String reason) throws Exception {
        mvc.perform(order(key, "{}"))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentType(PROBLEM_JSON))
                .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-invalid"))
                .andExpect(jsonPath("$.reason").value(reason));
    }

    @Test
    void headerSentTwiceIs400() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(order("a", "{}").header("Idempotency-Key", "b"))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-invalid"))
                    .andExpect(jsonPath("$.reason").value("MALFORMED"));
            assertThat(controller.calls("orders")).isZero();
        });
    }

    @Test
    void headerNameIsConfigurable() {
        withMvc(runner().withPropertyValues("idempotency.header-name=X-Request-Key"), (mvc, controller, context) -> {
            mvc.perform(post("/plain")).andExpect(status().isOk());
            mvc.perform(post("/optional").header("X-Request-Key", "x-1")).andExpect(status().isOk());
            mvc.perform(post("/optional").header("X-Request-Key", "x-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(order(null, "{}").header("Idempotency-Key", "ignored")).andExpect(status().isBadRequest());
        });
    }

    // ---- fingerprint ----

    @Test
    void jsonKeyOrderWhitespaceAndNumberFormDoNotChangeTheFingerprint() {
        withMvc(runner(), (mvc, controller, context) -> {
            send(mvc, order("j-1", "{\"a\":1,\"b\":{\"x\":[1,2],\"y\":\"\\u0041\"}}"));
            MockHttpServletResponse replay = send(mvc, order("j-1", "{ \"b\" : { \"y\" : \"A\", \"x\" : [ 1.0, 2 ] },\n  \"a\" : 1e0 }"));
            assertThat(replay.getStatus()).isEqualTo(201);
            assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(controller.calls("orders")).isEqualTo(1);
        });
    }

    @Test
    void differentBodyWithSameKeyIs422ProblemAndHandlerDoesNotRun() {
        withMvc(runner(), (mvc, controller, context) -> {
            send(mvc, order("m-1", "{\"amount\":10}"));
            mvc.perform(order("m-1", "{\"amount\":11}"))
                    .andExpect(status().is(422))
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-reused"))
                    .andExpect(jsonPath("$.status").value(422));
            mvc.perform(order("m-1", "[1,2]")).andExpect(status().is(422));
            assertThat(controller.calls("orders")).isEqualTo(1);
        });
    }

    @Test
    void differentPathOrQueryWithSameKeyIs422() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/orders/1/items").header("Idempotency-Key", "p-1")).andExpect(status().isOk());
            mvc.perform(post("/orders/2/items").header("Idempotency-Key", "p-1")).andExpect(status().is(422));
            mvc.perform(post("/orders/1/items?x=1").header("Idempotency-Key", "p-1")).andExpect(status().is(422));
            mvc.perform(post("/orders/1/items").header("Idempotency-Key", "p-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("items")).isEqualTo(1);
        });
    }

    @Test
    void keyReusedStatusIsConfigurable() {
        withMvc(runner().withPropertyValues("idempotency.status.key-reused=409"), (mvc, controller, context) -> {
            send(mvc, order("s-1", "{\"a\":1}"));
            mvc.perform(order("s-1", "{\"a\":2}"))
                    .andExpect(status().isConflict())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/key-reused"))
                    .andExpect(jsonPath("$.status").value(409));
        });
    }

    @Test
    void invalidJsonIs400ProblemAndNothingIsStored() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(order("bad-json", "{\"a\":"))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/invalid-json"));
            mvc.perform(order("bad-json", "{\"a\":1,\"a\":2}")).andExpect(status().isBadRequest());
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of(SCOPE, "bad-json"))).isEmpty();
            assertThat(controller.calls("orders")).isZero();
            mvc.perform(order("bad-json", "{\"a\":1}")).andExpect(status().isCreated());
        });
    }

    @Test
    void bodyAboveTheLimitIs413ProblemBeforeAnyClaim() {
        withMvc(runner().withPropertyValues("idempotency.max-request-size=100B"), (mvc, controller, context) -> {
            String big = "{\"a\":\"" + "x".repeat(200) + "\"}";
            mvc.perform(order("big", big))
                    .andExpect(status().is(413))
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/request-too-large"));
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of(SCOPE, "big"))).isEmpty();
            assertThat(controller.calls("orders")).isZero();
            mvc.perform(order("small", "{\"a\":\"" + "x".repeat(50) + "\"}")).andExpect(status().isCreated());
        });
    }

    @Test
    void controllerReadsTheIntactBodyThroughTheReader() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/reader").header("Idempotency-Key", "r-1").contentType(MediaType.TEXT_PLAIN).content("hello body"))
                    .andExpect(status().isOk())
                    .andExpect(content().string("read [hello body] #1"));
        });
    }

    @Test
    void formParametersStillReachTheControllerAndTheirOrderDoesNotMatter() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/form").header("Idempotency-Key", "f-1")
                            .contentType(MediaType.APPLICATION_FORM_URLENCODED).content("b=2&a=1"))
                    .andExpect(status().isOk())
                    .andExpect(content().string("{a=1, b=2} #1"));
            mvc.perform(post("/form").header("Idempotency-Key", "f-1")
                            .contentType(MediaType.APPLICATION_FORM_URLENCODED).content("a=1&b=2"))
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/form").header("Idempotency-Key", "f-1")
                            .contentType(MediaType.APPLICATION_FORM_URLENCODED).content("a=1&b=3"))
                    .andExpect(status().is(422));
        });
    }

    // ---- in flight ----

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

    // ---- outcome policy ----

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

    // ---- unsafe responses ----

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

    // ---- CORS ----

    @Test
    void replaysAndProblemsCarryTheHandlersCorsHeaders() {
        withMvc(runner(), (mvc, controller, context) -> {
            MockHttpServletResponse first = send(mvc, post("/cors-order").header("Origin", "https://shop.example")
                    .header("Idempotency-Key", "c-1").contentType(MediaType.TEXT_PLAIN).content("a"));
            MockHttpServletResponse replay = send(mvc, post("/cors-order").header("Origin", "https://shop.example")
                    .header("Idempotency-Key", "c-1").contentType(MediaType.TEXT_PLAIN).content("a"));
            MockHttpServletResponse reused = send(mvc, post("/cors-order").header("Origin", "https://shop.example")
                    .header("Idempotency-Key", "c-1").contentType(MediaType.TEXT_PLAIN).content("b"));
            MockHttpServletResponse missing = send(mvc, post("/cors-order").header("Origin", "https://shop.example"));
            assertThat(first.getStatus()).isEqualTo(201);
            assertThat(first.getHeader("Access-Control-Allow-Origin")).isEqualTo("https://shop.example");
            assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(replay.getHeader("Access-Control-Allow-Origin")).isEqualTo("https://shop.example");
            assertThat(replay.getHeader("Access-Control-Expose-Headers")).isEqualTo("Idempotent-Replayed");
            assertThat(reused.getStatus()).isEqualTo(422);
            assertThat(reused.getHeader("Access-Control-Allow-Origin")).isEqualTo("https://shop.example");
            assertThat(missing.getStatus()).isEqualTo(400);
            assertThat(missing.getHeader("Access-Control-Allow-Origin")).isEqualTo("https://shop.example");
            // A foreign origin is refused as Spring MVC refuses it, before anything is claimed or run.
            MockHttpServletResponse foreign = send(mvc, post("/cors-order").header("Origin", "https://evil.example")
                    .header("Idempotency-Key", "c-2"));
            assertThat(foreign.getStatus()).isEqualTo(403);
            assertThat(controller.calls("cors-order")).isEqualTo(1);
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of(SCOPE, "c-2"))).isEmpty();
        });
    }

    @Test
    void corsDateAndServerHeadersAreNeverStoredEvenWhenConfigured() {
        withMvc(runner().withPropertyValues("idempotency.replay-headers=Content-Type,Access-Control-Allow-Origin,Date,Server"),
                (mvc, controller, context) -> {
            send(mvc, post("/cors-order").header("Origin", "https://shop.example").header("Idempotency-Key", "c-3"));
            MockHttpServletResponse replay = send(mvc, post("/cors-order").header("Idempotency-Key", "c-3"));
            assertThat(replay.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(replay.getHeader("Access-Control-Allow-Origin")).isNull();
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of(SCOPE, "c-3")).orElseThrow()
                    .response().headers().keySet()).containsOnly("Content-Type");
        });
    }

    // ---- store outage ----

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

    private static MockHttpServletResponse sendUnchecked(MockMvc mvc, MockHttpServletRequestBuilder request) {
        try {
            return send(mvc, request);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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

    // ---- scope ----

    @Test
    void twoPrincipalsWithTheSameKeyAreIndependent() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "same").principal(() -> "alice")).andExpect(content().string("hello alice #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "same").principal(() -> "bob")).andExpect(content().string("hello bob #2"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "same").principal(() -> "alice")).andExpect(content().string("hello alice #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "same")).andExpect(content().string("hello client #3"));
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of("principal:alice", "same"))).isPresent();
            assertThat(store.find(IdempotencyKey.of("principal:bob", "same"))).isPresent();
            assertThat(store.find(IdempotencyKey.of(SCOPE, "same"))).isPresent();
            assertThat(store.find(IdempotencyKey.of("global", "same"))).isEmpty();
        });
    }

    @Test
    void anonymousCallerOfAPrincipalScopedHandlerIs401AndNothingIsClaimed() {
        withAnonymousMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1"))
                    .andExpect(status().isUnauthorized())
                    .andExpect(content().contentType(PROBLEM_JSON))
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/principal-required"))
                    .andExpect(jsonPath("$.title").value("Authenticated principal required"))
                    .andExpect(jsonPath("$.status").value(401))
                    .andExpect(jsonPath("$.detail").isNotEmpty())
                    .andExpect(jsonPath("$.instance").value("/whoami"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1")).andExpect(status().isUnauthorized());
            // The caller's identity is checked before the key: no key, or a bad one, is still 401.
            mvc.perform(post("/whoami"))
                    .andExpect(status().isUnauthorized())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/principal-required"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "\"bad")).andExpect(status().isUnauthorized());
            assertThat(controller.calls("whoami")).isZero();
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of("global", "anon-1"))).isEmpty();
            // A handler whose key is optional still runs unprotected without one; with one, it needs a caller.
            mvc.perform(post("/optional")).andExpect(status().isOk());
            mvc.perform(post("/optional").header("Idempotency-Key", "anon-2")).andExpect(status().isUnauthorized());
            assertThat(controller.calls("optional")).isEqualTo(1);
            // A handler meant for anonymous callers says so.
            mvc.perform(post("/global").header("Idempotency-Key", "anon-3")).andExpect(status().isOk());
            mvc.perform(post("/global").header("Idempotency-Key", "anon-3")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("global")).isEqualTo(1);
        });
    }

    @Test
    void principalRequiredStatusIsConfigurable() {
        withAnonymousMvc(runner().withPropertyValues("idempotency.status.principal-required=403"), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1"))
                    .andExpect(status().isForbidden())
                    .andExpect(jsonPath("$.type").value("https://idempotency.dev/problems/principal-required"))
                    .andExpect(jsonPath("$.status").value(403));
        });
    }

    @Test
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void anonymousGlobalPolicyWarnsOncePerHandlerAndUsesTheGlobalScope(
            org.springframework.boot.test.system.CapturedOutput output) {
        withAnonymousMvc(runner().withPropertyValues("idempotency.anonymous=global"), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1")).andExpect(content().string("hello anonymous #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-2")).andExpect(content().string("hello anonymous #2"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "anon-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/global").header("Idempotency-Key", "anon-3"));
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of("global", "anon-1"))).isPresent();
            String warning = "TestController.whoami() uses the principal scope, but a request reached it without an authenticated principal";
            assertThat(output.getOut().split(java.util.regex.Pattern.quote(warning), -1)).hasSize(2);
            assertThat(output.getOut()).contains("WARN").contains("idempotency.anonymous=global")
                    .contains("idempotency.filter-order").doesNotContain("TestController.global()");
        });
    }

    @Test
    void aPrincipalNamedGlobalDoesNotShareTheGlobalScope() {
        withAnonymousMvc(runner().withPropertyValues("idempotency.anonymous=global"), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "g")).andExpect(content().string("hello anonymous #1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "g").principal(() -> "global")).andExpect(content().string("hello global #2"));
        });
    }

    @Test
    void globalScopeIsSharedByAllPrincipals() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/global").header("Idempotency-Key", "hook-1").principal(() -> "alice"));
            mvc.perform(post("/global").header("Idempotency-Key", "hook-1").principal(() -> "bob")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(controller.calls("global")).isEqualTo(1);
        });
    }

    /** A default resolver of the application's own: per tenant, and anonymous callers are its business. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class TenantDefault {
        @org.springframework.context.annotation.Bean
        @dev.idempotency.spring.DefaultIdempotencyScopeResolver
        IdempotencyScopeResolver byTenant() {
            return request -> request.getHeader("X-Tenant") == null ? null : "tenant:" + request.getHeader("X-Tenant");
        }
    }

    @Test
    void aResolverMarkedAsDefaultReplacesThePrincipalScope() {
        withMvc(runner().withUserConfiguration(TenantDefault.class), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t1").principal(() -> "alice"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t1").principal(() -> "bob"))
                    .andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t2").principal(() -> "alice"))
                    .andExpect(header().doesNotExist("Idempotent-Replayed"));
            assertThat(controller.calls("whoami")).isEqualTo(2);
            assertThat(context.getBean(IdempotencyStore.class).find(IdempotencyKey.of("tenant:t1", "k"))).isPresent();
            // The resolver decides about identity: no tenant is no identity, whoever the principal.
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").principal(() -> "alice")).andExpect(status().isUnauthorized());
        });
        withAnonymousMvc(runner().withUserConfiguration(TenantDefault.class), (mvc, controller, context) -> {
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "t1")).andExpect(content().string("hello anonymous #1"));
        });
    }

    @Test
    void handlerCanNameItsOwnScopeResolverBeanWithoutChangingOtherHandlers() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/tenant").header("Idempotency-Key", "k").header("X-Tenant", "acme"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "k").header("X-Tenant", "acme"));
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of("tenant:acme", "k"))).isPresent();
            assertThat(store.find(IdempotencyKey.of(SCOPE, "k"))).isPresent();
            assertThat(controller.calls("whoami")).isEqualTo(1);
        });
    }

    // ---- selection, ttl ----

    @Test
    void handlersWithoutTheAnnotationAreNotIntercepted() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/plain").header("Idempotency-Key", "n-1"));
            mvc.perform(post("/plain").header("Idempotency-Key", "n-1")).andExpect(header().doesNotExist("Idempotent-Replayed"));
            mvc.perform(post("/nowhere").header("Idempotency-Key", "n-1")).andExpect(status().isNotFound());
            assertThat(controller.calls("plain")).isEqualTo(2);
        });
    }

    @Test
    void interceptAllWithHeaderProtectsConfiguredMethodsCarryingTheHeader() {
        withMvc(runner().withPropertyValues("idempotency.intercept-all-with-header=true"), (mvc, controller, context) -> {
            mvc.perform(post("/plain").header("Idempotency-Key", "a-1"));
            mvc.perform(post("/plain").header("Idempotency-Key", "a-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            mvc.perform(post("/plain"));
            assertThat(controller.calls("plain")).isEqualTo(2);
        });
        withMvc(runner().withPropertyValues("idempotency.intercept-all-with-header=true", "idempotency.methods=PUT"), (mvc, controller, context) -> {
            mvc.perform(post("/plain").header("Idempotency-Key", "a-1"));
            mvc.perform(post("/plain").header("Idempotency-Key", "a-1")).andExpect(header().doesNotExist("Idempotent-Replayed"));
        });
    }

    @Test
    void handlerCacheDoesNotGrowPerRequestForPrototypeControllers() {
        withMvc(runner(), (mvc, controller, context) -> {
            IdempotentHandlerResolver resolver = context.getBean(IdempotentHandlerResolver.class);
            java.lang.reflect.Field field = IdempotentHandlerResolver.class.getDeclaredField("annotations");
            field.setAccessible(true);
            java.util.Map<?, ?> cache = (java.util.Map<?, ?>) field.get(resolver);
            mvc.perform(post("/proto").header("Idempotency-Key", "p-first")).andExpect(status().isOk());
            int size = cache.size();
            for (int i = 0; i < 50; i++) {
                mvc.perform(post("/proto").header("Idempotency-Key", "p-" + i)).andExpect(status().isOk());
            }
            mvc.perform(post("/proto").header("Idempotency-Key", "p-1")).andExpect(header().string("Idempotent-Replayed", "true"));
            assertThat(cache).hasSize(size);
        });
    }

    @Test
    void annotationOnTheControllerClassProtectsItsHandlers() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/class-level").header("Idempotency-Key", "cl-1")).andExpect(content().string("class level #1"));
            mvc.perform(post("/class-level").header("Idempotency-Key", "cl-1"))
                    .andExpect(content().string("class level #1"))
                    .andExpect(header().string("Idempotent-Replayed", "true"));
        });
    }

    @Test
    void filterRunsAfterSpringSecuritysFilterChain() {
        withMvc(runner(), (mvc, controller, context) -> {
            // Spring Security's filter chain is registered at order -100 by default.
            assertThat(context.getBean(IdempotencyFilter.class).getOrder()).isGreaterThan(-100);
        });
    }

    @org.springframework.web.bind.annotation.RestController
    public static class BadTtlController {

        @PostMapping("/bad-ttl")
        @dev.idempotency.spring.Idempotent(ttl = "ten minutes")
        public String badTtl() {
            return "never";
        }
    }

    @Test
    void invalidAnnotationTtlFailsTheStartupWithAMessageNamingTheMethod() {
        runner().withUserConfiguration(BadTtlController.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context).getFailure()
                    .hasStackTraceContaining("Invalid @Idempotent(ttl = \"ten minutes\")")
                    .hasStackTraceContaining("BadTtlController.badTtl()");
        });
    }

    @Test
    void annotationTtlOverridesTheDefault() {
        withMvc(runner(), (mvc, controller, context) -> {
            mvc.perform(post("/ttl").header("Idempotency-Key", "ttl-1"));
            mvc.perform(post("/whoami").header("Idempotency-Key", "ttl-2"));
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            IdempotencyRecord short_ = store.find(IdempotencyKey.of(SCOPE, "ttl-1")).orElseThrow();
            IdempotencyRecord long_ = store.find(IdempotencyKey.of(SCOPE, "ttl-2")).orElseThrow();
            // The retention counts from completion, a moment after the claim.
            assertThat(Duration.between(short_.createdAt(), short_.expiresAt())).isBetween(Duration.ofMinutes(10), Duration.ofMinutes(11));
            assertThat(Duration.between(long_.createdAt(), long_.expiresAt())).isBetween(Duration.ofHours(24), Duration.ofHours(24).plusMinutes(1));
            assertThat(context.getBean(IdempotencyEngine.class).defaultTtl()).isEqualTo(Duration.ofHours(24));
        });
    }
}
