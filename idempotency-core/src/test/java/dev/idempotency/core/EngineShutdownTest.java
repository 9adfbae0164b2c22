package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.MutableClock;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Closing an engine while claims are still running must not hand their keys to another instance mid-run. */
class EngineShutdownTest {

    private static final IdempotentRequest REQUEST = IdempotentRequest.of("s", "k", RequestFingerprint.of("amount=100"));
    private static final Duration LEASE = Duration.ofMillis(600);

    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<IdempotencyEngine> engines = new ArrayList<>();

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        engines.forEach(IdempotencyEngine::close);
    }

    @Test
    void aClaimHeldAcrossCloseKeepsRenewingItsLeaseUntilItSettles() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        InMemoryIdempotencyStore clockedStore = new InMemoryIdempotencyStore(clock);
        LeaseTime time = new LeaseTime(clock, clockedStore);
        IdempotencyEngine closing = time.engine().build();
        IdempotencyEngine otherInstance = time.engine().build();
        engines.add(closing);
        engines.add(otherInstance);
        ActiveClaim<String> running = (ActiveClaim<String>) closing.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());

        Future<?> closed = threads.submit(closing::close);
        awaitShutdown(closing);
        // Three leases' worth of time: a lease that is no longer renewed has run out by then.
        time.pass(3, REQUEST.key());
        IdempotencyClaim<String> meanwhile = otherInstance.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());

        assertThat(meanwhile).isInstanceOf(IdempotencyOutcome.InProgress.class);
        assertThat(clockedStore.find(REQUEST.key()).orElseThrow().leaseExpiresAt()).isAfter(clock.instant());
        assertThat(running.ownershipLost()).isFalse();
        assertThat(running.finish("done")).isEqualTo(new IdempotencyOutcome.Executed<>("done", Completion.STORED, false));
        closed.get(10, TimeUnit.SECONDS);
        assertThat(clockedStore.find(REQUEST.key()).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
    }

    @Test
    void claimsAfterTheShutdownStartedAreRefusedWithoutRunningTheWork() {
        IdempotencyEngine engine = engine();
        AtomicInteger executions = new AtomicInteger();
        engine.shutdown();

        assertThatThrownBy(() -> engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyEngineClosedException.class)
                .isNotInstanceOf(IdempotencyStoreException.class);
        assertThatThrownBy(() -> engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "ran " + executions.incrementAndGet()))
                .isInstanceOf(IdempotencyEngineClosedException.class);
        assertThat(executions).hasValue(0);
        assertThat(store.find(REQUEST.key())).isEmpty();
        assertThat(engine.isShutdown()).isTrue();
    }

    @Test
    void awaitSettledWaitsForTheActiveClaimsToSettle() throws Exception {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> running = (ActiveClaim<String>) engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        engine.shutdown();

        assertThat(engine.activeClaimCount()).isEqualTo(1);
        assertThat(engine.awaitSettled(Duration.ZERO)).isFalse();
        Future<IdempotencyOutcome.Executed<String>> finished = threads.submit(() -> running.finish("done"));
        assertThat(engine.awaitSettled(Duration.ofSeconds(10))).isTrue();

        assertThat(engine.activeClaimCount()).isZero();
        assertThat(finished.get(10, TimeUnit.SECONDS).completion()).isEqualTo(Completion.STORED);
        assertThat(store.find(REQUEST.key()).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
    }

    @Test
    void awaitSettledWaitsForAHandOffThatOutlivesItsSettledClaim() throws Exception {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> running = (ActiveClaim<String>) engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        IdempotencyEngine.HandOff handOff = engine.handOff();
        engine.shutdown();
        running.finish("done");

        assertThat(engine.activeClaimCount()).isZero();
        assertThat(engine.awaitSettled(Duration.ZERO)).as("the result is still on its way to the caller").isFalse();
        assertThat(engine.handOff()).as("taken during a shutdown too: it is for work already claimed").isNotNull().satisfies(IdempotencyEngine.HandOff::close);
        handOff.close();
        handOff.close();
        assertThat(engine.awaitSettled(Duration.ZERO)).isTrue();
    }

    @Test
    void closeStopsWaitingAfterTheShutdownTimeoutAndTheClaimCanStillSettle() {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).lease(Duration.ofMinutes(1))
                .shutdownTimeout(Duration.ZERO).build();
        engines.add(engine);
        ActiveClaim<String> running = (ActiveClaim<String>) engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());

        engine.close();
        engine.close();

        assertThat(running.isSettled()).isFalse();
        assertThatThrownBy(() -> engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyEngineClosedException.class);
        // Its lease no longer renewed, the claim still settles, fenced by its owner token.
        assertThat(running.finish("late").completion()).isEqualTo(Completion.STORED);
        assertThat(engine.activeClaimCount()).isZero();
    }

    @Test
    void anEngineResumedAfterAShutdownTakesClaimsAndReplaysAgain() {
        IdempotencyEngine engine = engine();
        AtomicInteger executions = new AtomicInteger();
        engine.shutdown();
        assertThatThrownBy(() -> engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "ran " + executions.incrementAndGet()))
                .isInstanceOf(IdempotencyEngineClosedException.class);

        engine.resume();

        assertThat(engine.isShutdown()).isFalse();
        assertThat(engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "ran " + executions.incrementAndGet()))
                .isEqualTo(new IdempotencyOutcome.Executed<>("ran 1", Completion.STORED, false));
        assertThat(engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "ran " + executions.incrementAndGet()))
                .isInstanceOfSatisfying(IdempotencyOutcome.Replayed.class, replay -> assertThat(replay.result()).isEqualTo("ran 1"));
        assertThat(executions).hasValue(1);
        // A second shutdown refuses claims again, and the engine can be resumed again.
        engine.shutdown();
        assertThatThrownBy(() -> engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyEngineClosedException.class);
        engine.resume();
        assertThat(engine.isShutdown()).isFalse();
    }

    @Test
    void aClaimActiveAcrossAShutdownAndResumeStillSettles() {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> running = (ActiveClaim<String>) engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());

        engine.shutdown();
        engine.resume();

        assertThat(engine.activeClaimCount()).isEqualTo(1);
        assertThat(running.finish("done").completion()).isEqualTo(Completion.STORED);
        assertThat(engine.activeClaimCount()).isZero();
        assertThat(store.find(REQUEST.key()).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
    }

    @Test
    void aClosedEngineCannotBeResumed() {
        IdempotencyEngine engine = engine();
        assertThat(engine.isClosed()).isFalse();
        engine.close();

        assertThat(engine.isClosed()).isTrue();
        assertThatThrownBy(engine::resume)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThat(engine.isShutdown()).isTrue();
        assertThatThrownBy(() -> engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyEngineClosedException.class);
    }

    @Test
    void anEngineWhoseCloseIsWaitingForAClaimCannotBeResumed() throws Exception {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> running = (ActiveClaim<String>) engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        Future<?> closed = threads.submit(engine::close);
        awaitShutdown(engine);

        assertThatThrownBy(engine::resume).isInstanceOf(IllegalStateException.class);
        assertThat(engine.isShutdown()).isTrue();
        running.finish("done");
        closed.get(10, TimeUnit.SECONDS);
        assertThat(engine.isClosed()).isTrue();
    }

    @Test
    void aBeginWaitingForAnotherWorkersKeyStopsWaitingWhenTheShutdownStarts() throws Exception {
        IdempotencyEngine holder = engine();
        AtomicInteger waiterClaims = new AtomicInteger();
        IdempotencyEngine waiter = IdempotencyEngine.builder(new ForwardingIdempotencyStore(store) {
            @Override
            public ClaimResult claim(ClaimRequest request) {
                waiterClaims.incrementAndGet();
                return super.claim(request);
            }
        }).lease(LEASE).heartbeatInterval(Duration.ofMillis(100)).defaultTtl(Duration.ofMinutes(1)).build();
        engines.add(waiter);
        ActiveClaim<String> held = (ActiveClaim<String>) holder.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        try {
            Future<IdempotencyClaim<String>> waited = threads.submit(
                    () -> waiter.begin(REQUEST.withInFlightWait(Duration.ofMinutes(5)), ResultCodecs.utf8(), OutcomePolicy.storeAll()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (waiterClaims.get() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(waiterClaims.get()).as("the waiter polls the held key").isGreaterThanOrEqualTo(2);

            waiter.shutdown();

            assertThat(waited.get(10, TimeUnit.SECONDS)).isInstanceOf(IdempotencyOutcome.InProgress.class);
            assertThat(waiter.awaitSettled(Duration.ofSeconds(10))).isTrue();
        } finally {
            held.finish("done");
        }
    }

    private static void awaitShutdown(IdempotencyEngine engine) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!engine.isShutdown() && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertThat(engine.isShutdown()).as("close() has begun").isTrue();
    }

    private IdempotencyEngine engine() {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).lease(LEASE).heartbeatInterval(Duration.ofMillis(100))
                .defaultTtl(Duration.ofMinutes(1)).build();
        engines.add(engine);
        return engine;
    }
}
