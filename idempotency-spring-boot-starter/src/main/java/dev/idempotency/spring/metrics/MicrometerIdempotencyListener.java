package dev.idempotency.spring.metrics;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.spring.IdempotencyProblem;
import dev.idempotency.spring.IdempotencyWebListener;
import dev.idempotency.spring.NotReplayableReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;

/**
 * Publishes engine and filter events as Micrometer meters. Keys and scopes never become tags: they are unbounded.
 *
 * <ul>
 *   <li>{@value #REQUESTS} (counter), tag {@code outcome}: {@code executed}, {@code replayed}, {@code conflict},
 *       {@code mismatch}, {@code key_missing}, {@code key_invalid}, {@code request_too_large},
 *       {@code invalid_json}, {@code store_unavailable};</li>
 *   <li>{@value #COMPLETIONS} (counter), tag {@code completion}: what became of an executed result
 *       ({@code stored}, {@code released}, {@code ownership_lost}, {@code store_failed}), or {@code failed} when the
 *       handler threw and its claim was released;</li>
 *   <li>{@value #TAKEOVERS} (counter): claims that took over an expired lease, usually after a crash;</li>
 *   <li>{@value #OWNERSHIP_LOST} (counter): runs that lost their claim to another worker;</li>
 *   <li>{@value #UNSTORED} (counter), tag {@code reason} ({@link NotReplayableReason}, lowercase): executed
 *       responses that could not be stored for replay;</li>
 *   <li>{@value #STORE_ERRORS} (counter), tag {@code operation};</li>
 *   <li>{@value #COMPLETION_RETRIES} (counter), tag {@code operation} ({@code complete} or {@code release}): retries
 *       of a store call that settles a claim, after the store failed;</li>
 *   <li>{@value #STORE_LATENCY} (timer), tag {@code operation}: {@code claim}, {@code complete}, {@code release},
 *       {@code renew}, {@code checkpoint}, {@code find}, {@code purge}.</li>
 * </ul>
 */
public class MicrometerIdempotencyListener implements IdempotencyListener, IdempotencyWebListener {

    public static final String REQUESTS = "idempotency.requests";
    public static final String COMPLETIONS = "idempotency.completions";
    public static final String TAKEOVERS = "idempotency.lease.takeovers";
    public static final String OWNERSHIP_LOST = "idempotency.ownership.lost";
    public static final String UNSTORED = "idempotency.responses.unstored";
    public static final String STORE_ERRORS = "idempotency.store.errors";
    public static final String STORE_LATENCY = "idempotency.store.latency";
    public static final String COMPLETION_RETRIES = "idempotency.completion.retries";

    private final MeterRegistry registry;

    public MicrometerIdempotencyListener(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void executed(IdempotencyKey key, IdempotencyOutcome.Completion completion, boolean takeover) {
        request("executed");
        Counter.builder(COMPLETIONS).description("What became of executed results")
                .tag("completion", completion.name().toLowerCase(Locale.ROOT)).register(registry).increment();
    }

    @Override
    public void failed(IdempotencyKey key, Throwable failure) {
        request("executed");
        Counter.builder(COMPLETIONS).description("What became of executed results")
                .tag("completion", "failed").register(registry).increment();
    }

    @Override
    public void replayed(IdempotencyKey key) {
        request("replayed");
    }

    @Override
    public void inFlightConflict(IdempotencyKey key) {
        request("conflict");
    }

    @Override
    public void fingerprintMismatch(IdempotencyKey key) {
        request("mismatch");
    }

    @Override
    public void leaseTakeover(IdempotencyKey key) {
        Counter.builder(TAKEOVERS).description("Claims that took over an expired lease").register(registry).increment();
    }

    @Override
    public void ownershipLost(IdempotencyKey key) {
        Counter.builder(OWNERSHIP_LOST).description("Runs that lost their claim to another worker").register(registry).increment();
    }

    @Override
    public void storeError(StoreOperation operation, IdempotencyKey key, RuntimeException error) {
        Counter.builder(STORE_ERRORS).description("Failed store operations")
                .tag("operation", operation.name().toLowerCase(Locale.ROOT)).register(registry).increment();
    }

    @Override
    public void storeLatency(StoreOperation operation, Duration elapsed) {
        Timer.builder(STORE_LATENCY).description("Latency of idempotency store operations")
                .tag("operation", operation.name().toLowerCase(Locale.ROOT)).register(registry).record(elapsed);
    }

    @Override
    public void completionRetried(IdempotencyKey key, StoreOperation operation, int attempt) {
        Counter.builder(COMPLETION_RETRIES).description("Retries of a complete or release after the store failed")
                .tag("operation", operation.name().toLowerCase(Locale.ROOT)).register(registry).increment();
    }

    @Override
    public void keyMissing() {
        request("key_missing");
    }

    @Override
    public void keyInvalid(InvalidIdempotencyKeyException.Reason reason) {
        request("key_invalid");
    }

    @Override
    public void requestRejected(IdempotencyProblem problem) {
        request(problem.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public void storeUnavailable(boolean failOpen) {
        request(failOpen ? "fail_open" : "store_unavailable");
    }

    @Override
    public void responseNotStored(IdempotencyKey key, NotReplayableReason reason) {
        Counter.builder(UNSTORED).description("Executed responses that could not be stored for replay")
                .tag("reason", reason.name().toLowerCase(Locale.ROOT)).register(registry).increment();
    }

    private void request(String outcome) {
        Counter.builder(REQUESTS).description("Idempotent requests by outcome").tag("outcome", outcome)
                .register(registry).increment();
    }
}
