package dev.idempotency.spring.web;

import static dev.idempotency.spring.web.FilterTestSupport.SCOPE;
import static dev.idempotency.spring.web.FilterTestSupport.send;
import static dev.idempotency.spring.web.FilterTestSupport.withMvc;
import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.asyncDispatch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.spring.autoconfigure.IdempotencyObservationAutoConfiguration;
import dev.idempotency.spring.observation.IdempotencyObservations;
import dev.idempotency.spring.observation.LogContext;
import dev.idempotency.spring.web.FilterTestSupport.ObservedStore;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MvcResult;

/**
 * The observations of the claim, the handler run and the completion, checked with Micrometer's test registry; and the
 * MDC entries a handler sees.
 */
class IdempotencyObservationsTest {

    private final TestObservationRegistry registry = TestObservationRegistry.create();

    private WebApplicationContextRunner runner() {
        return FilterTestSupport.runner()
                .withConfiguration(AutoConfigurations.of(IdempotencyObservationAutoConfiguration.class))
                .withUserConfiguration(ObservationController.class)
                .withBean(TestObservationRegistry.class, () -> registry);
    }

    private static String hash(String key) {
        return IdempotencyObservations.keyHash(IdempotencyKey.of(SCOPE, key));
    }

    @Test
    void anExecutedRequestIsObservedAsClaimHandlerAndCompletion() {
        withMvc(runner(), (mvc, controller, context) -> {
            assertThat(send(mvc, post("/observed").header("Idempotency-Key", "o-1")).getStatus()).isEqualTo(200);

            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.CLAIM).that()
                    .hasBeenStarted().hasBeenStopped()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "acquired")
                    .hasHighCardinalityKeyValue(IdempotencyObservations.KEY_HASH, hash("o-1"));
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.HANDLER).that()
                    .hasBeenStopped()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "acquired")
                    .hasHighCardinalityKeyValue(IdempotencyObservations.KEY_HASH, hash("o-1"));
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETION).that()
                    .hasBeenStopped()
                    .hasParentObservationContextMatching(parent -> parent.getName().equals(IdempotencyObservations.HANDLER))
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "stored");
            assertThat(registry).hasNumberOfObservationsEqualTo(3);
        });
    }

    @Test
    void aReplayAndAMismatchAreObservedAsClaimsOnly() {
        withMvc(runner(), (mvc, controller, context) -> {
            send(mvc, FilterTestSupport.order("o-2", "{\"a\":1}"));
            registry.clear();
            send(mvc, FilterTestSupport.order("o-2", "{\"a\":1}"));
            send(mvc, FilterTestSupport.order("o-2", "{\"a\":2}"));

            assertThat(registry).hasNumberOfObservationsWithNameEqualTo(IdempotencyObservations.CLAIM, 2)
                    .hasNumberOfObservationsEqualTo(2)
                    .hasAnObservationWithAKeyValue(IdempotencyObservations.OUTCOME, "replayed")
                    .hasAnObservationWithAKeyValue(IdempotencyObservations.OUTCOME, "mismatch");
        });
    }

    @Test
    void noTagCarriesTheKeyOrTheScope() {
        List<Observation.Context> stopped = new CopyOnWriteArrayList<>();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public void onStop(Observation.Context context) {
                stopped.add(context);
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        withMvc(runner(), (mvc, controller, context) -> {
            send(mvc, post("/observed").header("Idempotency-Key", "secret-key-123"));

            assertThat(stopped).hasSize(3);
            stopped.forEach(observation -> observation.getAllKeyValues().forEach(tag -> assertThat(tag.getValue())
                    .doesNotContain("secret-key-123").doesNotContain(FilterTestSupport.USER)));
        });
    }

    @Test
    void aFailingHandlerIsReleasedAndCarriesTheError() {
        withMvc(runner(), (mvc, controller, context) -> {
            try {
                send(mvc, post("/observed-failure").header("Idempotency-Key", "o-3"));
            } catch (Exception expected) {
                // MockMvc rethrows what the handler threw.
            }

            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.HANDLER).that()
                    .hasBeenStopped().assertThatError().hasRootCauseInstanceOf(IllegalStateException.class);
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETION).that()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "released");
        });
    }

    @Test
    void aStoreOutageIsAClaimWithAnError() {
        ObservedStore store = new ObservedStore();
        store.down = true;
        withMvc(runner().withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            assertThat(send(mvc, post("/observed").header("Idempotency-Key", "o-4")).getStatus()).isEqualTo(503);

            assertThat(registry).hasSingleObservationThat()
                    .hasNameEqualTo(IdempotencyObservations.CLAIM)
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "store-error")
                    .assertThatError().isNotNull();
        });
    }

    @Test
    void theHandlerSeesTheKeyHashAndOutcomeInTheMdcAndTheRunAsCurrentObservation() {
        withMvc(runner(), (mvc, controller, context) -> {
            MDC.remove(LogContext.KEY_HASH);
            send(mvc, post("/observed").header("Idempotency-Key", "o-5"));

            ObservationController observed = context.getBean(ObservationController.class);
            assertThat(observed.seen).singleElement().satisfies(seen -> {
                assertThat(seen.mdc()).containsEntry(LogContext.KEY_HASH, hash("o-5"))
                        .containsEntry(LogContext.OUTCOME, "acquired");
                assertThat(seen.currentObservation()).isEqualTo(IdempotencyObservations.HANDLER);
            });
            assertThat(MDC.get(LogContext.KEY_HASH)).as("removed after the handler").isNull();
            assertThat(MDC.get(LogContext.OUTCOME)).isNull();
        });
    }

    @Test
    void aCallableSeesTheMdcOnItsOwnThreadAndLeavesItClean() {
        withMvc(runner(), (mvc, controller, context) -> {
            MvcResult started = mvc.perform(post("/observed-async").header("Idempotency-Key", "o-6")).andReturn();
            started.getAsyncResult(TimeUnit.SECONDS.toMillis(10));
            mvc.perform(asyncDispatch(started));

            ObservationController observed = context.getBean(ObservationController.class);
            assertThat(observed.seen).singleElement().satisfies(seen -> {
                assertThat(seen.mdc()).containsEntry(LogContext.KEY_HASH, hash("o-6"))
                        .containsEntry(LogContext.OUTCOME, "acquired");
                assertThat(seen.currentObservation()).isEqualTo(IdempotencyObservations.HANDLER);
            });
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETION).that()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "stored");
            assertThat(MDC.get(LogContext.KEY_HASH)).isNull();
        });
    }

    @Test
    void aTakeoverOfACrashedClaimIsObservedAndLogged() {
        ObservedStore store = new ObservedStore();
        withMvc(runner().withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            // The same request under another key has the same fingerprint (the key is not part of it).
            send(mvc, post("/observed").header("Idempotency-Key", "fingerprint"));
            RequestFingerprint fingerprint = store.find(IdempotencyKey.of(SCOPE, "fingerprint")).orElseThrow().fingerprint();
            // A worker that claimed the key and died: its lease is over at once.
            store.claim(new ClaimRequest(IdempotencyKey.of(SCOPE, "o-8"), fingerprint, OwnerToken.random(),
                    Duration.ofMillis(1), Duration.ofHours(1)));
            Thread.sleep(20);
            registry.clear();
            context.getBean(ObservationController.class).seen.clear();

            assertThat(send(mvc, post("/observed").header("Idempotency-Key", "o-8")).getStatus()).isEqualTo(200);

            assertThat(registry).hasObservationWithNameEqualTo(IdempotencyObservations.CLAIM).that()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "takeover");
            assertThat(registry).hasObservationWithNameEqualTo(IdempotencyObservations.HANDLER).that()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "takeover");
            assertThat(context.getBean(ObservationController.class).seen).singleElement()
                    .satisfies(seen -> assertThat(seen.mdc()).containsEntry(LogContext.OUTCOME, "takeover"));
        });
    }

    @Test
    void aCompletionThatFindsTheKeyTakenOverIsOwnershipLost() {
        ObservedStore store = new ObservedStore();
        store.loseOwnershipOnComplete = true;
        withMvc(runner().withBean(IdempotencyStore.class, () -> store), (mvc, controller, context) -> {
            send(mvc, post("/observed").header("Idempotency-Key", "o-9"));

            assertThat(registry).hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETION).that()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "ownership-lost");
        });
    }

    @Test
    void aFailingObservationHandlerNeitherFailsTheRequestNorLeavesItsClaimUnsettled() {
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public void onStart(Observation.Context context) {
                throw new IllegalStateException("a broken tracing exporter");
            }

            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }
        });
        withMvc(runner(), (mvc, controller, context) -> {
            assertThat(send(mvc, post("/observed").header("Idempotency-Key", "o-10")).getStatus()).isEqualTo(200);

            MockHttpServletResponse retry = send(mvc, post("/observed").header("Idempotency-Key", "o-10"));
            assertThat(retry.getStatus()).isEqualTo(200);
            assertThat(retry.getHeader("Idempotent-Replayed")).isEqualTo("true");
            assertThat(context.getBean(ObservationController.class).seen).hasSize(1);
        });
    }

    @Test
    void withoutAnObservationRegistryTheFilterObservesNothingButStillFillsTheMdc() {
        withMvc(FilterTestSupport.runner()
                .withConfiguration(AutoConfigurations.of(IdempotencyObservationAutoConfiguration.class))
                .withUserConfiguration(ObservationController.class), (mvc, controller, context) -> {
            assertThat(context).doesNotHaveBean(IdempotencyObservations.class);
            send(mvc, post("/observed").header("Idempotency-Key", "o-7"));

            assertThat(context.getBean(ObservationController.class).seen).singleElement()
                    .satisfies(seen -> assertThat(seen.mdc()).containsEntry(LogContext.KEY_HASH, hash("o-7")));
        });
    }

    @Test
    void aUserDefinedObservationsBeanIsKept() {
        IdempotencyObservations own = new IdempotencyObservations(registry);
        FilterTestSupport.runner()
                .withConfiguration(AutoConfigurations.of(IdempotencyObservationAutoConfiguration.class))
                .withBean(TestObservationRegistry.class, () -> registry)
                .withBean(IdempotencyObservations.class, () -> own)
                .run(context -> assertThat(context).getBean(IdempotencyObservations.class).isSameAs(own));
    }
}
