package dev.idempotency.spring.observation;

import dev.idempotency.core.ActiveClaim;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.RequestFingerprint;
import io.micrometer.common.KeyValue;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Starts the Micrometer {@link Observation}s of protected requests. With {@code micrometer-tracing} and an exporter on
 * the classpath each observation becomes a span, child of the request's HTTP span; with a meter registry, a timer.
 *
 * <ul>
 *   <li>{@value #CLAIM}: the claim in the store, including any wait for another request with the same key. Tag
 *       {@value #OUTCOME} ({@link ClaimOutcome}): {@code acquired}, {@code takeover}, {@code replayed},
 *       {@code in-progress}, {@code mismatch}, or, with the error, {@code store-error} when the store failed and
 *       {@code shutting-down} when the application no longer claims keys.</li>
 *   <li>{@value #HANDLER}: the handler's run under the claim, from the moment it starts until its claim is settled,
 *       which for an asynchronous request is when its work ends. Tag {@value #OUTCOME}: {@code acquired} or
 *       {@code takeover}.</li>
 *   <li>{@value #COMPLETION}: settling the claim in the store (with its retries). Tag {@value #OUTCOME}
 *       ({@link CompletionOutcome}): {@code stored}, {@code not-replayable}, {@code released},
 *       {@code ownership-lost}, {@code store-failed}.</li>
 * </ul>
 * Every observation carries the high-cardinality tag {@value #KEY_HASH}, a hash of the scope and key (see
 * {@link #keyHash}), never the key itself: keys and scopes are unbounded and the scope is usually the caller's
 * identity. Low-cardinality tags, which become metric tags, carry only the fixed values above.
 *
 * <p>No method here throws: an observation handler that fails is logged and skipped, because a claim must be settled
 * whatever tracing does.
 */
public final class IdempotencyObservations {

    /** The claim's observation. */
    public static final String CLAIM = "idempotency.claim";
    /** The handler run's observation. */
    public static final String HANDLER = "idempotency.handler";
    /** The completion's observation. */
    public static final String COMPLETION = "idempotency.completion";
    /**
     * Low-cardinality tag: what the claim decided ({@value #CLAIM} and {@value #HANDLER}), or what became of the run's
     * result ({@value #COMPLETION}).
     */
    public static final String OUTCOME = "idempotency.outcome";
    /** High-cardinality tag: {@link #keyHash} of the scope and key. */
    public static final String KEY_HASH = "idempotency.key.hash";

    private static final IdempotencyObservations NOOP = new IdempotencyObservations(ObservationRegistry.NOOP);
    private static final Log log = LogFactory.getLog(IdempotencyObservations.class);

    private final ObservationRegistry registry;

    public IdempotencyObservations(ObservationRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Observations that record nothing, for a filter built without an {@link ObservationRegistry}. */
    public static IdempotencyObservations noop() {
        return NOOP;
    }

    /**
     * A short, stable hash of the scope and key: the first 16 hex digits of a SHA-256 over both. The same key always
     * gives the same hash, so log lines, spans and the actuator endpoint can be matched, while neither the key nor the
     * caller's identity reaches logs or traces.
     */
    public static String keyHash(IdempotencyKey key) {
        return RequestFingerprint.of("idempotency-key-hash", key.scope(), key.key()).value().substring(0, 16);
    }

    /** Starts the claim's observation, on the thread that claims, as a child of the current observation. */
    public ClaimObservation claimStarted(IdempotencyKey key) {
        String hash = keyHash(key);
        Observation observation = guardedStart(() -> Observation.createNotStarted(CLAIM, registry)
                .contextualName("idempotency claim")
                .highCardinalityKeyValue(KEY_HASH, hash)
                .start());
        return new ClaimObservation(this, observation, hash);
    }

    /** Starts the handler run's observation, on the thread that is about to run the handler. */
    RunObservation runStarted(String keyHash, ClaimOutcome outcome) {
        Observation observation = guardedStart(() -> Observation.createNotStarted(HANDLER, registry)
                .contextualName("idempotency handler")
                .lowCardinalityKeyValue(OUTCOME, outcome.tagValue())
                .highCardinalityKeyValue(KEY_HASH, keyHash)
                .start());
        return new RunObservation(registry, observation, keyHash, outcome);
    }

    /** Starts an observation; a failing handler yields a no-op observation instead of an exception. */
    private static Observation guardedStart(Supplier<Observation> start) {
        try {
            return start.get();
        } catch (RuntimeException e) {
            log.warn("An observation handler failed; the idempotent request goes on unobserved", e);
            return Observation.NOOP;
        }
    }

    private static void guarded(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            log.warn("An observation handler failed; the idempotent request goes on", e);
        }
    }

    /** What a claim decided, as the {@value #OUTCOME} tag says it. */
    public enum ClaimOutcome {
        ACQUIRED("acquired"),
        TAKEOVER("takeover"),
        REPLAYED("replayed"),
        IN_PROGRESS("in-progress"),
        MISMATCH("mismatch"),
        /** The store failed; nothing is known about the key. */
        STORE_ERROR("store-error"),
        /** The application is shutting down and claims nothing more. */
        SHUTTING_DOWN("shutting-down");

        private final String tagValue;

        ClaimOutcome(String tagValue) {
            this.tagValue = tagValue;
        }

        public String tagValue() {
            return tagValue;
        }
    }

    /** What became of a run's result, as the {@value #OUTCOME} tag of {@value #COMPLETION} says it. */
    public enum CompletionOutcome {
        /** Stored for replay. */
        STORED("stored"),
        /** Kept as completed without a replayable response (too large, streamed, failed after commit...). */
        NOT_REPLAYABLE("not-replayable"),
        /** Released, by the outcome policy or because the handler failed; a retry runs afresh. */
        RELEASED("released"),
        /** Another worker took the key over; nothing was written. */
        OWNERSHIP_LOST("ownership-lost"),
        /** The store failed on every attempt; the key stays in progress until its lease expires. */
        STORE_FAILED("store-failed");

        private final String tagValue;

        CompletionOutcome(String tagValue) {
            this.tagValue = tagValue;
        }

        /**
         * The outcome of a settled claim.
         *
         * @param replayable whether a {@link Completion#STORED} result can be replayed
         */
        public static CompletionOutcome of(Completion completion, boolean replayable) {
            return switch (completion) {
                case STORED -> replayable ? STORED : NOT_REPLAYABLE;
                case RELEASED -> RELEASED;
                case OWNERSHIP_LOST -> OWNERSHIP_LOST;
                case STORE_FAILED -> STORE_FAILED;
            };
        }

        public String tagValue() {
            return tagValue;
        }
    }

    /** The observation of one claim, ended once with what the claim decided. */
    public static final class ClaimObservation {

        private final IdempotencyObservations observations;
        private final Observation observation;
        private final String keyHash;

        private ClaimObservation(IdempotencyObservations observations, Observation observation, String keyHash) {
            this.observations = observations;
            this.observation = observation;
            this.keyHash = keyHash;
        }

        public String keyHash() {
            return keyHash;
        }

        /** The claim decided; the request is answered without running the handler. */
        public void ended(ClaimOutcome outcome) {
            guarded(() -> observation.lowCardinalityKeyValue(KeyValue.of(OUTCOME, outcome.tagValue())).stop());
        }

        /** The claim failed: {@link ClaimOutcome#STORE_ERROR} or {@link ClaimOutcome#SHUTTING_DOWN}. */
        public void failed(ClaimOutcome outcome, Throwable error) {
            guarded(() -> observation.lowCardinalityKeyValue(KeyValue.of(OUTCOME, outcome.tagValue())).error(error).stop());
        }

        /**
         * The claim was acquired ({@code outcome} is {@link ClaimOutcome#ACQUIRED} or {@link ClaimOutcome#TAKEOVER}):
         * ends this observation and starts the handler run's.
         */
        public RunObservation acquired(ClaimOutcome outcome) {
            ended(outcome);
            return observations.runStarted(keyHash, outcome);
        }
    }

    /**
     * The observation of one handler run, and the completion that settles it. Opened as the current observation on
     * each thread that runs a part of the handler ({@link #openScope}); ended once, from whichever thread settles the
     * claim.
     */
    public static final class RunObservation {

        private final ObservationRegistry registry;
        private final Observation observation;
        private final String keyHash;
        private final ClaimOutcome outcome;

        private RunObservation(ObservationRegistry registry, Observation observation, String keyHash, ClaimOutcome outcome) {
            this.registry = registry;
            this.observation = observation;
            this.keyHash = keyHash;
            this.outcome = outcome;
        }

        public String keyHash() {
            return keyHash;
        }

        public ClaimOutcome outcome() {
            return outcome;
        }

        /** Makes the run the current observation on this thread, until the scope is closed. */
        public Observation.Scope openScope() {
            try {
                return observation.openScope();
            } catch (RuntimeException e) {
                log.warn("An observation handler failed; the handler runs unobserved", e);
                return Observation.Scope.NOOP;
            }
        }

        /**
         * Closes a scope {@link #openScope} opened. A failing observation handler is logged, not thrown: the handler
         * has run by then, and an exception here would settle its claim as if it had failed.
         */
        public void closeScope(Observation.Scope scope) {
            guarded(scope::close);
        }

        /**
         * Settles {@code claim} after its handler failed: observes the failure, abandons the claim (which releases the
         * key, or keeps it for a resume after a recovery point) and ends the completion's and the run's observations.
         * A failure of the abandon itself is observed and rethrown.
         */
        public void abandon(ActiveClaim<?> claim, Throwable failure) {
            handlerFailed(failure);
            Observation completion = completionStarted();
            try {
                claim.abandon(failure);
            } catch (RuntimeException | Error e) {
                settlingFailed(completion, e);
                throw e;
            }
            settled(completion, claim.ownershipLost() ? CompletionOutcome.OWNERSHIP_LOST : CompletionOutcome.RELEASED);
        }

        /** The handler threw (its claim is settled by a completion all the same). */
        public void handlerFailed(Throwable error) {
            guarded(() -> observation.error(error));
        }

        /** Starts the completion's observation, child of the run, on the thread that settles the claim. */
        public Observation completionStarted() {
            return guardedStart(() -> Observation.createNotStarted(COMPLETION, registry)
                    .contextualName("idempotency completion")
                    .parentObservation(observation)
                    .highCardinalityKeyValue(KEY_HASH, keyHash)
                    .start());
        }

        /** The claim is settled: ends the completion's observation with its outcome, then the run's. */
        public void settled(Observation completion, CompletionOutcome completionOutcome) {
            guarded(() -> completion.lowCardinalityKeyValue(KeyValue.of(OUTCOME, completionOutcome.tagValue())).stop());
            guarded(observation::stop);
        }

        /** Settling failed unexpectedly. */
        public void settlingFailed(Observation completion, Throwable error) {
            guarded(() -> completion.error(error).stop());
            guarded(observation::stop);
        }
    }
}
