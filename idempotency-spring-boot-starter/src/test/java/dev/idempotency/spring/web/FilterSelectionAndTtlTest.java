package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.order;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.web.bind.annotation.PostMapping;

/** Which requests the filter protects, where it sits in the chain, and the time-to-live an annotation sets. */
class FilterSelectionAndTtlTest {

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
