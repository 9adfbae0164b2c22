package dev.idempotency.spring.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.InvalidIdempotencyKeyException;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.spring.IdempotencyProblem;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MicrometerIdempotencyListenerTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerIdempotencyListener listener = new MicrometerIdempotencyListener(registry);
    private final IdempotencyKey key = IdempotencyKey.of("principal:alice", "k");

    private double requests(String outcome) {
        return registry.get(MicrometerIdempotencyListener.REQUESTS).tag("outcome", outcome).counter().count();
    }

    @Test
    void engineEventsMoveTheirMeters() {
        listener.executed(key, Completion.STORED, false);
        listener.executed(key, Completion.OWNERSHIP_LOST, true);
        listener.failed(key, new IllegalStateException("handler threw"));
        listener.replayed(key);
        listener.inFlightConflict(key);
        listener.fingerprintMismatch(key);
        listener.leaseTakeover(key);
        listener.ownershipLost(key);
        listener.storeError(StoreOperation.CLAIM, key, new IdempotencyStoreException("down"));
        listener.storeLatency(StoreOperation.COMPLETE, Duration.ofMillis(3));

        assertThat(requests("executed")).isEqualTo(3);
        assertThat(registry.get(MicrometerIdempotencyListener.COMPLETIONS).tag("completion", "failed").counter().count()).isEqualTo(1);
        assertThat(requests("replayed")).isEqualTo(1);
        assertThat(requests("conflict")).isEqualTo(1);
        assertThat(requests("mismatch")).isEqualTo(1);
        assertThat(registry.get(MicrometerIdempotencyListener.COMPLETIONS).tag("completion", "ownership_lost").counter().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerIdempotencyListener.TAKEOVERS).counter().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerIdempotencyListener.OWNERSHIP_LOST).counter().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerIdempotencyListener.STORE_ERRORS).tag("operation", "claim").counter().count()).isEqualTo(1);
        assertThat(registry.get(MicrometerIdempotencyListener.STORE_LATENCY).tag("operation", "complete").timer().count()).isEqualTo(1);
    }

    @Test
    void filterEventsMoveTheirMeters() {
        listener.keyMissing();
        listener.keyInvalid(InvalidIdempotencyKeyException.Reason.TOO_LONG);
        listener.requestRejected(IdempotencyProblem.REQUEST_TOO_LARGE);
        listener.requestRejected(IdempotencyProblem.INVALID_JSON);
        listener.storeUnavailable(false);
        listener.storeUnavailable(true);
        listener.responseNotStored(key, dev.idempotency.spring.NotReplayableReason.TOO_LARGE);

        assertThat(requests("key_missing")).isEqualTo(1);
        assertThat(requests("key_invalid")).isEqualTo(1);
        assertThat(requests("request_too_large")).isEqualTo(1);
        assertThat(requests("invalid_json")).isEqualTo(1);
        assertThat(requests("store_unavailable")).isEqualTo(1);
        assertThat(requests("fail_open")).isEqualTo(1);
        assertThat(registry.get(MicrometerIdempotencyListener.UNSTORED).tag("reason", "too_large").counter().count()).isEqualTo(1);
    }

    @Test
    void keysAndScopesNeverBecomeTags() {
        listener.executed(key, Completion.STORED, false);
        listener.replayed(key);
        assertThat(registry.getMeters()).allSatisfy(meter -> assertThat(meter.getId().getTags())
                .noneMatch(tag -> tag.getValue().contains("alice") || tag.getValue().equals("k")));
    }

    @Test
    void completionRetriesAreCountedByOperation() {
        listener.completionRetried(key, StoreOperation.COMPLETE, 2);
        listener.completionRetried(key, StoreOperation.COMPLETE, 3);
        listener.completionRetried(key, StoreOperation.RELEASE, 2);

        assertThat(registry.get(MicrometerIdempotencyListener.COMPLETION_RETRIES).tag("operation", "complete").counter().count())
                .isEqualTo(2);
        assertThat(registry.get(MicrometerIdempotencyListener.COMPLETION_RETRIES).tag("operation", "release").counter().count())
                .isEqualTo(1);
    }
}
