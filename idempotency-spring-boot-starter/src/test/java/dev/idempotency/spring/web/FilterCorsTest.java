package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.order;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.send;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.mock.web.MockHttpServletResponse;

/** Replays and problem answers carry the handler's CORS headers, and CORS headers are never stored. */
class FilterCorsTest {

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
}
