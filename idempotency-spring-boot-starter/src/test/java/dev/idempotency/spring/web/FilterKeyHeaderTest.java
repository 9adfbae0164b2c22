package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.PROBLEM_JSON;
import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.order;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.send;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyKey;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;

/** The key header: read in either form, required or optional, rejected with the reason when invalid; the claimed key reaches the handler. */
class FilterKeyHeaderTest {

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
}
