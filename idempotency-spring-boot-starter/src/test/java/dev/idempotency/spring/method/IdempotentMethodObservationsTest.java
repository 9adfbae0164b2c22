package dev.idempotency.spring.method;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.spring.Idempotent;
import dev.idempotency.spring.autoconfigure.IdempotencyAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyInMemoryStoreAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotencyObservationAutoConfiguration;
import dev.idempotency.spring.autoconfigure.IdempotentMethodAutoConfiguration;
import dev.idempotency.spring.observation.IdempotencyObservations;
import dev.idempotency.spring.observation.LogContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * An {@link Idempotent} bean method is observed as an HTTP request is: the claim, the method's run and the completion,
 * with the same names and tags, and the key's hash and the claim's outcome in the MDC while the method runs.
 */
class IdempotentMethodObservationsTest {

    private static final String SCOPE = "events";

    private final TestObservationRegistry registry = TestObservationRegistry.create();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(IdempotencyInMemoryStoreAutoConfiguration.class,
                    IdempotencyAutoConfiguration.class, IdempotencyObservationAutoConfiguration.class,
                    IdempotentMethodAutoConfiguration.class))
            .withBean(TestObservationRegistry.class, () -> registry)
            .withBean(Journal.class)
            .withBean(Consumer.class);

    /** What the method saw while it ran. */
    record Seen(Map<String, String> mdc, String currentObservation) {}

    /** What the method saw and is to do; a field of the bean itself would be read on its proxy, which has its own. */
    public static class Journal {

        final List<Seen> seen = new CopyOnWriteArrayList<>();
        volatile RuntimeException failure;
    }

    public static class Consumer {

        private final ObservationRegistry observations;
        private final Journal journal;

        public Consumer(ObservationRegistry observations, Journal journal) {
            this.observations = observations;
            this.journal = journal;
        }

        @Idempotent(key = "#eventId", keyScope = SCOPE)
        public String handle(String eventId) {
            Observation current = observations.getCurrentObservation();
            journal.seen.add(new Seen(Map.of(LogContext.KEY_HASH, String.valueOf(MDC.get(LogContext.KEY_HASH)),
                    LogContext.OUTCOME, String.valueOf(MDC.get(LogContext.OUTCOME))),
                    current == null ? null : current.getContext().getName()));
            if (journal.failure != null) {
                throw journal.failure;
            }
            return "handled " + eventId;
        }
    }

    private static String hash(String key) {
        return IdempotencyObservations.keyHash(IdempotencyKey.of(SCOPE, key));
    }

    @Test
    void aCallThatRunsIsObservedAsClaimRunAndStoredCompletionWithTheKeyInTheMdc() {
        runner.run(context -> {
            Consumer consumer = context.getBean(Consumer.class);
            Journal journal = context.getBean(Journal.class);
            MDC.remove(LogContext.KEY_HASH);

            assertThat(consumer.handle("e-1")).isEqualTo("handled e-1");

            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.CLAIM).that()
                    .hasBeenStopped()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "acquired")
                    .hasHighCardinalityKeyValue(IdempotencyObservations.KEY_HASH, hash("e-1"));
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.HANDLER).that()
                    .hasBeenStopped()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "acquired");
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETION).that()
                    .hasBeenStopped()
                    .hasParentObservationContextMatching(parent -> parent.getName().equals(IdempotencyObservations.HANDLER))
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "stored");
            assertThat(registry).hasNumberOfObservationsEqualTo(3);
            assertThat(journal.seen).singleElement().isEqualTo(new Seen(
                    Map.of(LogContext.KEY_HASH, hash("e-1"), LogContext.OUTCOME, "acquired"), IdempotencyObservations.HANDLER));
            assertThat(MDC.get(LogContext.KEY_HASH)).as("removed after the method").isNull();
        });
    }

    @Test
    void aDuplicateIsObservedAsAReplayedClaimOnly() {
        runner.run(context -> {
            Consumer consumer = context.getBean(Consumer.class);
            Journal journal = context.getBean(Journal.class);
            consumer.handle("e-2");
            registry.clear();

            assertThat(consumer.handle("e-2")).isEqualTo("handled e-2");

            assertThat(registry).hasSingleObservationThat()
                    .hasNameEqualTo(IdempotencyObservations.CLAIM)
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "replayed");
            assertThat(journal.seen).hasSize(1);
        });
    }

    @Test
    void aMethodThatThrowsIsObservedWithItsErrorAndAReleasedCompletion() {
        runner.run(context -> {
            Consumer consumer = context.getBean(Consumer.class);
            Journal journal = context.getBean(Journal.class);
            journal.failure = new IllegalStateException("broker down");

            assertThatThrownBy(() -> consumer.handle("e-3")).isSameAs(journal.failure);

            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.HANDLER).that()
                    .hasBeenStopped()
                    .assertThatError().isSameAs(journal.failure);
            assertThat(registry)
                    .hasObservationWithNameEqualTo(IdempotencyObservations.COMPLETION).that()
                    .hasLowCardinalityKeyValue(IdempotencyObservations.OUTCOME, "released");
            assertThat(MDC.get(LogContext.KEY_HASH)).isNull();
        });
    }
}
