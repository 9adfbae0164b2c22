package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.MutableClock;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The claim handle of {@link IdempotencyEngine#begin}: the protocol with the work run by the caller. */
class ActiveClaimTest {

    private static final RequestFingerprint PAYLOAD = RequestFingerprint.of("amount=100");
    private static final RequestFingerprint OTHER_PAYLOAD = RequestFingerprint.of("amount=999");
    private static final IdempotentRequest REQUEST = IdempotentRequest.of("s", "k", PAYLOAD);

    private final MutableClock clock = MutableClock.startingNow();
    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock);
    private final RecordingListener recording = new RecordingListener();
    private final List<String> events = recording.events;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<IdempotencyEngine> engines = new ArrayList<>();

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        engines.forEach(IdempotencyEngine::close);
    }

    @Test
    void aClaimStartedOnOneThreadIsFinishedOnAnother() throws Exception {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> claim = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));
        assertThat(claim.key()).isEqualTo(REQUEST.key());
        assertThat(claim.isTakeover()).isFalse();

        IdempotencyClaim<String> whileRunning = engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        assertThat(whileRunning).isInstanceOf(IdempotencyOutcome.InProgress.class);

        Future<IdempotencyOutcome.Executed<String>> finished = threads.submit(() -> claim.finish("done elsewhere"));
        assertThat(finished.get(10, TimeUnit.SECONDS))
                .isEqualTo(new IdempotencyOutcome.Executed<>("done elsewhere", Completion.STORED, false));
        assertThat(claim.isSettled()).isTrue();

        IdempotencyClaim<String> retry = engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        assertThat(((IdempotencyOutcome.Replayed<String>) retry).result()).isEqualTo("done elsewhere");
        assertThat(events).containsExactly("conflict", "executed:STORED", "replayed");
    }

    @Test
    void finishingTwiceSettlesOnceAndReturnsTheFirstOutcome() throws Exception {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> claim = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));

        IdempotencyOutcome.Executed<String> first = claim.finish("first");
        IdempotencyOutcome.Executed<String> second = threads.submit(() -> claim.finish("second")).get(10, TimeUnit.SECONDS);
        claim.abandon(new IllegalStateException("too late"));

        assertThat(second).isEqualTo(first);
        assertThat(first).isEqualTo(new IdempotencyOutcome.Executed<>("first", Completion.STORED, false));
        assertThat(store.find(REQUEST.key()).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
        assertThat(events).containsExactly("executed:STORED");
    }

    @Test
    void abandoningReleasesTheKeyOnceSoARetryRunsAgain() {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> claim = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));

        claim.abandon(new IllegalStateException("gateway down"));
        claim.abandon(new IllegalStateException("again"));
        IdempotencyOutcome.Executed<String> late = claim.finish("late");

        assertThat(store.find(REQUEST.key())).isEmpty();
        assertThat(late).isEqualTo(new IdempotencyOutcome.Executed<>("late", Completion.RELEASED, false));
        assertThat(events).containsExactly("failed:IllegalStateException");
        active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll())).finish("retried");
    }

    @Test
    void aPolicyThatThrowsAbandonsTheClaim() {
        IdempotencyEngine engine = engine();
        ActiveClaim<String> claim = active(engine.begin(REQUEST, ResultCodecs.utf8(), result -> {
            throw new IllegalArgumentException("cannot decide");
        }));

        assertThatThrownBy(() -> claim.finish("result")).isInstanceOf(IllegalArgumentException.class);
        assertThat(claim.isSettled()).isTrue();
        assertThat(store.find(REQUEST.key())).isEmpty();
        assertThat(events).containsExactly("failed:IllegalArgumentException");
    }

    @Test
    void theHeartbeatRunsFromTheClaimUntilItIsFinished() throws Exception {
        LeaseTime time = new LeaseTime(clock, store);
        IdempotencyEngine engine = time.engine().build();
        engines.add(engine);
        ActiveClaim<String> claim = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));

        // No thread runs any work: three leases' worth of time pass with only the heartbeat keeping the claim.
        time.pass(3, REQUEST.key());
        assertThat(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyOutcome.InProgress.class);
        assertThat(claim.ownershipLost()).isFalse();
        assertThat(claim.finish("kept")).isEqualTo(new IdempotencyOutcome.Executed<>("kept", Completion.STORED, false));

        // Finished: no more renewals, so the stored record expires with its TTL.
        time.jump(LeaseTime.LEASE.multipliedBy(2));
        active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll())).abandon(new IllegalStateException("test over"));
    }

    @Test
    void finishingAfterATakeoverReportsOwnershipLostAndLeavesTheNewOwnersRecord() {
        // The heartbeat interval is longer than the test runs, so the first claim behaves like a frozen process.
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).lease(Duration.ofSeconds(600))
                .heartbeatInterval(Duration.ofSeconds(599)).listener(recording).build();
        engines.add(engine);
        ActiveClaim<String> stale = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));
        clock.advance(Duration.ofSeconds(601));

        ActiveClaim<String> newOwner = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));
        assertThat(newOwner.isTakeover()).isTrue();
        assertThat(newOwner.finish("new owner")).isEqualTo(new IdempotencyOutcome.Executed<>("new owner", Completion.STORED, true));

        assertThat(stale.finish("stale")).isEqualTo(new IdempotencyOutcome.Executed<>("stale", Completion.OWNERSHIP_LOST, false));
        IdempotencyClaim<String> replay = engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll());
        assertThat(((IdempotencyOutcome.Replayed<String>) replay).result()).isEqualTo("new owner");
        assertThat(events).containsExactly("takeover", "executed:STORED", "ownership-lost", "executed:OWNERSHIP_LOST", "replayed");
    }

    @Test
    void aDifferentPayloadIsAMismatchAndNothingIsClaimed() {
        IdempotencyEngine engine = engine();
        active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll())).finish("first");

        IdempotencyClaim<String> other = engine.begin(IdempotentRequest.of("s", "k", OTHER_PAYLOAD), ResultCodecs.utf8(),
                OutcomePolicy.storeAll());

        assertThat(other).isInstanceOf(IdempotencyOutcome.FingerprintMismatch.class);
    }

    @Test
    void aStoreFailureOnTheClaimPropagatesAndNothingIsHeld() {
        IdempotencyEngine engine = IdempotencyEngine.builder(failingClaims(store)).clock(clock).build();
        engines.add(engine);

        assertThatThrownBy(() -> engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()))
                .isInstanceOf(IdempotencyStoreException.class);
        assertThat(store.find(REQUEST.key())).isEmpty();
    }

    @Test
    void aSlowAsynchronousFinishStillHoldsTheKeyForConcurrentCallers() throws Exception {
        IdempotencyEngine engine = engine();
        CountDownLatch release = new CountDownLatch(1);
        ActiveClaim<String> claim = active(engine.begin(REQUEST, ResultCodecs.utf8(), OutcomePolicy.storeAll()));
        Future<IdempotencyOutcome.Executed<String>> later = threads.submit(() -> {
            release.await();
            return claim.finish("async");
        });

        for (int i = 0; i < 5; i++) {
            assertThat(engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "must not run"))
                    .isInstanceOf(IdempotencyOutcome.InProgress.class);
        }
        release.countDown();

        assertThat(later.get(10, TimeUnit.SECONDS).completion()).isEqualTo(Completion.STORED);
    }

    private IdempotencyEngine engine() {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).listener(recording).build();
        engines.add(engine);
        return engine;
    }

    private static <T> ActiveClaim<T> active(IdempotencyClaim<T> claim) {
        assertThat(claim).isInstanceOf(ActiveClaim.class);
        return (ActiveClaim<T>) claim;
    }

    /** A store whose claims all fail, as a store that is down would; everything else goes to {@code delegate}. */
    private static IdempotencyStore failingClaims(IdempotencyStore delegate) {
        return (IdempotencyStore) Proxy.newProxyInstance(IdempotencyStore.class.getClassLoader(),
                new Class<?>[] {IdempotencyStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("claim")) {
                        throw new IdempotencyStoreException("database down");
                    }
                    try {
                        return method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
