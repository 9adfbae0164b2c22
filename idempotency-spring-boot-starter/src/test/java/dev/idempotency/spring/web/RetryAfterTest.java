package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.IdempotencyScope;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The {@code Retry-After} of a 409: how long the handler typically takes, not the whole lease. */
class RetryAfterTest {

    @Test
    void beforeTheHandlersFirstRunTheHintIsTheTimeLeftOnTheLease() {
        withMvc(runner().withUserConfiguration(TimedController.class), (mvc, controller, context) -> {
            TimedController timed = context.getBean(TimedController.class);
            CompletableFuture<MockHttpServletResponse> held = hold(mvc, timed, "first-run");
            assertThat(retryAfter(mvc, "first-run")).as("the lease is 30s").isBetween(20L, 30L);
            timed.release.countDown();
            assertThat(held.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
        });
    }

    @Test
    void afterSomeRunsTheHintIsTheHandlersTypicalDurationNotTheLease() {
        withMvc(runner().withUserConfiguration(TimedController.class), (mvc, controller, context) -> {
            TimedController timed = context.getBean(TimedController.class);
            for (int i = 0; i < 5; i++) {
                MockHttpServletResponse quick = send(mvc, post("/timed").header("Idempotency-Key", "quick-" + i));
                assertThat(quick.getStatus()).isEqualTo(200);
            }
            CompletableFuture<MockHttpServletResponse> held = hold(mvc, timed, "typical");
            assertThat(retryAfter(mvc, "typical")).as("runs of a few milliseconds round up to one second").isEqualTo(1L);
            timed.release.countDown();
            assertThat(held.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
        });
    }

    @Test
    void aConfiguredRetryAfterIsUsedAsIs() {
        withMvc(runner().withUserConfiguration(TimedController.class).withPropertyValues("idempotency.in-flight.retry-after=7s"),
                (mvc, controller, context) -> {
                    TimedController timed = context.getBean(TimedController.class);
                    CompletableFuture<MockHttpServletResponse> held = hold(mvc, timed, "fixed");
                    assertThat(retryAfter(mvc, "fixed")).isEqualTo(7L);
                    timed.release.countDown();
                    assertThat(held.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
                });
    }

    private static CompletableFuture<MockHttpServletResponse> hold(MockMvc mvc, TimedController timed, String key)
            throws InterruptedException {
        CompletableFuture<MockHttpServletResponse> held = CompletableFuture.supplyAsync(
                () -> send(mvc, post("/timed").param("hold", "true").header("Idempotency-Key", key)));
        assertThat(timed.entered.await(10, TimeUnit.SECONDS)).isTrue();
        return held;
    }

    private static long retryAfter(MockMvc mvc, String key) {
        MockHttpServletResponse conflict = send(mvc,
                post("/timed").param("hold", "true").header("Idempotency-Key", key));
        assertThat(conflict.getStatus()).isEqualTo(409);
        return Long.parseLong(conflict.getHeader("Retry-After"));
    }

    private static MockHttpServletResponse send(MockMvc mvc, MockHttpServletRequestBuilder request) {
        try {
            return mvc.perform(request).andReturn().getResponse();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @RestController
    static class TimedController {

        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @PostMapping("/timed")
        @Idempotent(scope = IdempotencyScope.GLOBAL)
        String timed(@RequestParam(defaultValue = "false") boolean hold) throws InterruptedException {
            if (hold) {
                entered.countDown();
                release.await(10, TimeUnit.SECONDS);
            }
            return "done";
        }
    }
}
