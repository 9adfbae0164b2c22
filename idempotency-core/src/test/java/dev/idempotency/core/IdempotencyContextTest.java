package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.store.MutableClock;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What work sees of its claim through {@link IdempotencyContext}: the same type for HTTP handlers and engine callers. */
class IdempotencyContextTest {

    private static final IdempotentRequest REQUEST = IdempotentRequest.of("tenant-1", "k-1", RequestFingerprint.of("amount=100"));

    private final MutableClock clock = MutableClock.startingNow();
    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock);
    private final List<IdempotencyEngine> engines = new ArrayList<>();

    private final List<ActiveClaim<String>> claims = new ArrayList<>();

    @AfterEach
    void tearDown() {
        claims.forEach(claim -> claim.abandon(new IllegalStateException("test over")));
        engines.forEach(IdempotencyEngine::close);
    }

    @Test
    void aFirstRunHasNoRecoveryPointAndDerivesTheKeysOfItsScopeAndKey() {
        ActiveClaim<String> claim = begin(engine());
        IdempotencyContext context = claim;

        assertThat(context.key()).isEqualTo(IdempotencyKey.of("tenant-1", "k-1"));
        assertThat(context.scope()).isEqualTo("tenant-1");
        assertThat(context.recoveryPoint()).isEmpty();
        assertThat(context.derive("charge")).isEqualTo(IdempotencyKey.of("tenant-1", "k-1").derive("charge"))
                .isNotEqualTo(context.derive("refund"));
    }

    @Test
    void aTakeoverResumesFromTheLastCheckpointOfTheCrashedRun() {
        IdempotencyEngine engine = frozenHeartbeatEngine();
        ActiveClaim<String> crashed = begin(engine);
        crashed.checkpoint("created", "payment-7");
        crashed.checkpoint("charged", "ch_42");
        clock.advance(Duration.ofSeconds(601));

        IdempotencyContext retry = begin(engine);

        assertThat(retry.recoveryPoint()).contains(new RecoveryPoint("charged", "ch_42"));
    }

    @Test
    void ensureOwnedPassesForTheOwnerAndExtendsItsLease() {
        IdempotencyEngine engine = frozenHeartbeatEngine();
        ActiveClaim<String> claim = begin(engine);
        clock.advance(Duration.ofSeconds(500));

        claim.ensureOwned();
        clock.advance(Duration.ofSeconds(500));

        // 1000 s after the claim, a lease of 600 s would have run out without the renewal ensureOwned made.
        assertThat(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyOutcome.InProgress.class);
        assertThat(claim.ownershipLost()).isFalse();
    }

    @Test
    void aStaleRunIsToldItLostTheKeyByEnsureOwnedAndByCheckpoint() {
        IdempotencyEngine engine = frozenHeartbeatEngine();
        ActiveClaim<String> stale = begin(engine);
        clock.advance(Duration.ofSeconds(601));
        ActiveClaim<String> newOwner = begin(engine);

        assertThatThrownBy(stale::ensureOwned).isInstanceOf(OwnershipLostException.class).hasMessageContaining("tenant-1/k-1");
        assertThatThrownBy(() -> stale.checkpoint("charged", "ch_stale")).isInstanceOf(OwnershipLostException.class);
        assertThat(stale.ownershipLost()).isTrue();
        newOwner.ensureOwned();
        assertThat(store.find(REQUEST.key()).orElseThrow().lastRecoveryPoint()).isEmpty();
    }

    @Test
    void workThatFailsAfterACheckpointLeavesItsRecoveryPointToTheRetry() {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> failed = begin(engine);
        failed.checkpoint("created", "payment-7");
        failed.abandon(new IllegalStateException("gateway unreachable"));
        clock.advance(Duration.ofMillis(2));

        ActiveClaim<String> retry = begin(engine);

        assertThat(retry.isTakeover()).isTrue();
        assertThat(retry.recoveryPoint()).contains(new RecoveryPoint("created", "payment-7"));
        // A retry that fails as well hands the same recovery point on.
        retry.abandon(new IllegalStateException("gateway unreachable again"));
        clock.advance(Duration.ofMillis(2));
        assertThat(begin(engine).recoveryPoint()).contains(new RecoveryPoint("created", "payment-7"));
    }

    @Test
    void workThatFailsBeforeAnyCheckpointReleasesTheKeyForAFreshRun() {
        IdempotencyEngine engine = engine();
        begin(engine).abandon(new IllegalStateException("invalid amount"));

        assertThat(store.find(REQUEST.key())).isEmpty();
        assertThat(begin(engine).isTakeover()).isFalse();
    }

    private IdempotencyEngine engine() {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).build();
        engines.add(engine);
        return engine;
    }

    /** The heartbeat interval is longer than the test runs, so a claim behaves like a frozen process. */
    private IdempotencyEngine frozenHeartbeatEngine() {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).lease(Duration.ofSeconds(600))
                .heartbeatInterval(Duration.ofSeconds(599)).build();
        engines.add(engine);
        return engine;
    }

    private ActiveClaim<String> begin(IdempotencyEngine engine) {
        ActiveClaim<String> claim = (ActiveClaim<String>) engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        claims.add(claim);
        return claim;
    }
}
