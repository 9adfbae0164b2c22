package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyClaim;
import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.OutcomePolicy;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.spring.lifecycle.IdempotencyEngineLifecycle;
import org.junit.jupiter.api.Test;

/**
 * An application context stopped and started again without being closed (a test context paused between test classes,
 * {@code ConfigurableApplicationContext.stop()/start()}, a checkpoint and restore) serves idempotent requests again.
 */
class ContextStopAndStartTest {

    @Test
    void afterAStopAndStartTheFilterExecutesAndReplaysAgain() {
        IdempotencyEngine[] engine = new IdempotencyEngine[1];
        withMvc(runner(), (mvc, controller, context) -> {
            engine[0] = context.getBean(IdempotencyEngine.class);
            IdempotencyEngineLifecycle lifecycle = context.getBean(IdempotencyEngineLifecycle.class);
            mvc.perform(post("/global").header("Idempotency-Key", "before")).andExpect(status().isOk());

            context.stop();
            assertThat(lifecycle.isRunning()).isFalse();
            mvc.perform(post("/global").header("Idempotency-Key", "while-stopped"))
                    .andExpect(status().isServiceUnavailable())
                    .andExpect(jsonPath("$.detail").value(containsString("shutting down")));
            context.start();

            assertThat(lifecycle.isRunning()).isTrue();
            mvc.perform(post("/global").header("Idempotency-Key", "after"))
                    .andExpect(status().isOk())
                    .andExpect(content().string("global #2"));
            mvc.perform(post("/global").header("Idempotency-Key", "after"))
                    .andExpect(status().isOk())
                    .andExpect(header().string(IdempotencyFilter.REPLAYED_HEADER, "true"))
                    .andExpect(content().string("global #2"));
            mvc.perform(post("/global").header("Idempotency-Key", "before"))
                    .andExpect(header().string(IdempotencyFilter.REPLAYED_HEADER, "true"))
                    .andExpect(content().string("global #1"));
            assertThat(controller.calls("global")).isEqualTo(2);
            assertThat(engine[0].isClosed()).isFalse();
        });
        // The engine bean's destroy method still closes it, once, when the context closes.
        assertThat(engine[0].isClosed()).isTrue();
        assertThatThrownBy(engine[0]::resume).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void whenAClaimOutlivedTheStopTheEngineIsClosedAndStartFailsLoudly() {
        withMvc(runner().withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=0s"), (mvc, controller, context) -> {
            IdempotencyEngine engine = context.getBean(IdempotencyEngine.class);
            ActiveClaim<String> running = (ActiveClaim<String>) (IdempotencyClaim<String>) engine.begin(
                    IdempotentRequest.of("global", "still-running", RequestFingerprint.of("")), ResultCodecs.utf8(),
                    OutcomePolicy.storeAll());

            context.stop();

            assertThat(engine.isClosed()).isTrue();
            assertThatThrownBy(context::start)
                    .hasRootCauseInstanceOf(IllegalStateException.class)
                    .hasStackTraceContaining("The idempotency engine cannot resume: it was closed when the context "
                            + "stopped, because 1 idempotent request(s) were still running");
            mvc.perform(post("/global").header("Idempotency-Key", "after"))
                    .andExpect(status().isServiceUnavailable());
            assertThat(controller.calls("global")).isZero();
            // Its lease no longer renewed, the claim still settles, fenced by its owner token.
            assertThat(running.finish("late").completion()).isNotNull();
        });
    }
}
