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
import dev.idempotency.core.store.IdempotencyStore;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;

/** The fingerprint: what changes it (body, path, query) and what does not (JSON form, form parameter order), and bodies rejected before any claim. */
class FilterFingerprintTest {

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
}
