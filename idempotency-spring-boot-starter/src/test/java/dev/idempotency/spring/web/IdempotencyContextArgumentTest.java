package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.runner;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;

import dev.idempotency.core.IdempotencyContext;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import dev.idempotency.spring.Idempotent;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/** An {@code @Idempotent} handler method declares {@link IdempotencyContext} as a parameter. */
class IdempotencyContextArgumentTest {

    @RestController
    static class ContextController {

        @PostMapping("/context")
        @Idempotent
        String describe(IdempotencyContext idempotency) {
            idempotency.ensureOwned();
            idempotency.checkpoint("described", "payload-1");
            return idempotency.scope() + "|" + idempotency.key().key() + "|" + idempotency.derive("charge") + "|"
                    + idempotency.recoveryPoint().map(RecoveryPoint::phase).orElse("first run");
        }

        @PostMapping("/optional-key")
        @Idempotent(required = false)
        String optionalKey(Optional<IdempotencyContext> idempotency) {
            return idempotency.map(context -> "claimed " + context.key().key()).orElse("unprotected");
        }

        @PostMapping("/optional-key-required-context")
        @Idempotent(required = false)
        String optionalKeyRequiredContext(IdempotencyContext idempotency) {
            return "claimed " + idempotency.key().key();
        }
    }

    @RestController
    static class NotIdempotentController {

        @PostMapping("/not-idempotent")
        String handle(IdempotencyContext idempotency) {
            return "never";
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import(ContextController.class)
    static class ContextApp {

        @Bean
        IdempotencyStore idempotencyStore() {
            return new InMemoryIdempotencyStore();
        }
    }

    @Test
    void theHandlerGetsTheClaimsKeyScopeDerivedKeysAndCheckpoints() {
        withMvc(runner().withUserConfiguration(ContextApp.class), (mvc, controller, context) -> {
            String derived = IdempotencyKey.of(SCOPE, "k-1").derive("charge");
            mvc.perform(post("/context").header("Idempotency-Key", "k-1"))
                    .andExpect(content().string(SCOPE + "|k-1|" + derived + "|first run"));
            mvc.perform(post("/context").header("Idempotency-Key", "k-1"))
                    .andExpect(header().string("Idempotent-Replayed", "true"))
                    .andExpect(content().string(SCOPE + "|k-1|" + derived + "|first run"));
            IdempotencyStore store = context.getBean(IdempotencyStore.class);
            assertThat(store.find(IdempotencyKey.of(SCOPE, "k-1")).orElseThrow().lastRecoveryPoint())
                    .contains(new RecoveryPoint("described", "payload-1"));
        });
    }

    @Test
    void anOptionalContextIsEmptyWhenTheOptionalKeyIsAbsent() {
        withMvc(runner().withUserConfiguration(ContextApp.class), (mvc, controller, context) -> {
            mvc.perform(post("/optional-key")).andExpect(content().string("unprotected"));
            mvc.perform(post("/optional-key").header("Idempotency-Key", "k-2")).andExpect(content().string("claimed k-2"));
        });
    }

    @Test
    void aRequiredContextWithoutAClaimFailsTheRequestAndNamesTheWayOut() {
        withMvc(runner().withUserConfiguration(ContextApp.class), (mvc, controller, context) -> {
            mvc.perform(post("/optional-key-required-context").header("Idempotency-Key", "k-3"))
                    .andExpect(content().string("claimed k-3"));
            assertThatThrownBy(() -> mvc.perform(post("/optional-key-required-context")))
                    .rootCause()
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Optional<IdempotencyContext>");
        });
    }

    @Test
    void aContextOnAHandlerThatIsNotIdempotentFailsTheStartup() {
        runner().withUserConfiguration(ContextApp.class, NotIdempotentController.class).run(context -> assertThat(context)
                .hasFailed()
                .getFailure()
                .hasStackTraceContaining("NotIdempotentController.handle() declares an IdempotencyContext parameter but is not @Idempotent"));
    }
}
