package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.MutableClock;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IdempotencyEngineTest {

    private static final RequestFingerprint PAYLOAD = RequestFingerprint.of("amount=100");
    private static final RequestFingerprint OTHER_PAYLOAD = RequestFingerprint.of("amount=999");

    private final MutableClock clock = MutableClock.startingNow();
    private final InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock);
    private final RecordingListener listener = new RecordingListener();
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final List<IdempotencyEngine> engines = new ArrayList<>();

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        engines.forEach(IdempotencyEngine::close);
    }

    @Test
    void runsWorkOnceAndReplaysTheStoredResult() {
        IdempotencyEngine engine = engine(store, clock);
        AtomicInteger executions = new AtomicInteger();
        IdempotentRequest request = IdempotentRequest.of("tenant-1", "key-1", PAYLOAD);

        IdempotencyOutcome<String> first = engine.execute(request, ResultCodecs.utf8(), ctx -> "charged " + executions.incrementAndGet());
        IdempotencyOutcome<String> second = engine.execute(request, ResultCodecs.utf8(), ctx -> "charged " + executions.incrementAndGet());

        assertThat(first).isEqualTo(new IdempotencyOutcome.Executed<>("charged 1", Completion.STORED, false));
        assertThat(second).isInstanceOf(IdempotencyOutcome.Replayed.class);
        assertThat(((IdempotencyOutcome.Replayed<String>) second).result()).isEqualTo("charged 1");
        assertThat(executions).hasValue(1);
        assertThat(listener.events).containsExactly("executed:STORED", "replayed");
    }

    @Test
    void reportsAMismatchWhenACompletedKeyIsReusedWithAnotherPayload() {
        IdempotencyEngine engine = engine(store, clock);
        engine.execute(IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(), ctx -> "first");

        IdempotencyOutcome<String> reused = engine.execute(IdempotentRequest.of("s", "k", OTHER_PAYLOAD), ResultCodecs.utf8(),
                ctx -> { throw new AssertionError("must not run"); });

        assertThat(reused).isInstanceOf(IdempotencyOutcome.FingerprintMismatch.class);
        assertThat(((IdempotencyOutcome.FingerprintMismatch<String>) reused).record().fingerprint()).isEqualTo(PAYLOAD);
        assertThat(listener.events).contains("mismatch");
    }

    @Test
    void answersInProgressOrMismatchWhileTheFirstRequestRuns() throws Exception {
        IdempotencyEngine engine = engine(store, clock);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Future<IdempotencyOutcome<String>> first = threads.submit(() -> engine.execute(
                IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(), ctx -> {
                    started.countDown();
                    finish.await();
                    return "first";
                }));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        IdempotencyOutcome<String> duplicate = engine.execute(IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(),
                ctx -> { throw new AssertionError("must not run"); });
        IdempotencyOutcome<String> reused = engine.execute(IdempotentRequest.of("s", "k", OTHER_PAYLOAD), ResultCodecs.utf8(),
                ctx -> { throw new AssertionError("must not run"); });
        finish.countDown();

        assertThat(duplicate).isInstanceOf(IdempotencyOutcome.InProgress.class);
        assertThat(((IdempotencyOutcome.InProgress<String>) duplicate).retryAfter()).isBetween(Duration.ofSeconds(1), engine.lease());
        assertThat(reused).isInstanceOf(IdempotencyOutcome.FingerprintMismatch.class);
        assertThat(first.get(10, TimeUnit.SECONDS)).isInstanceOf(IdempotencyOutcome.Executed.class);
        assertThat(listener.events).contains("conflict", "mismatch");
    }

    @Test
    void aWaitingDuplicateReplaysTheResultOnceTheFirstRequestCompletes() throws Exception {
        InMemoryIdempotencyStore realTimeStore = new InMemoryIdempotencyStore();
        IdempotencyEngine engine = engine(realTimeStore, Clock.systemUTC());
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Future<IdempotencyOutcome<String>> first = threads.submit(() -> engine.execute(
                IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(), ctx -> {
                    started.countDown();
                    finish.await();
                    return "first";
                }));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        Future<IdempotencyOutcome<String>> waiting = threads.submit(() -> engine.execute(
                IdempotentRequest.of("s", "k", PAYLOAD).withInFlightWait(Duration.ofMinutes(1)), ResultCodecs.utf8(),
                ctx -> { throw new AssertionError("must not run"); }));
        finish.countDown();

        assertThat(first.get(30, TimeUnit.SECONDS)).isInstanceOf(IdempotencyOutcome.Executed.class);
        IdempotencyOutcome<String> replay = waiting.get(30, TimeUnit.SECONDS);
        assertThat(replay).isInstanceOf(IdempotencyOutcome.Replayed.class);
        assertThat(((IdempotencyOutcome.Replayed<String>) replay).result()).isEqualTo("first");
    }

    @Test
    void aFailingRunReleasesTheKeySoARetryRunsAgain() {
        IdempotencyEngine engine = engine(store, clock);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);

        assertThatThrownBy(() -> engine.execute(request, ResultCodecs.utf8(), ctx -> { throw new IllegalStateException("gateway down"); }))
                .isInstanceOf(IllegalStateException.class).hasMessage("gateway down");
        assertThat(store.find(request.key())).isEmpty();
        assertThatThrownBy(() -> engine.execute(request, ResultCodecs.utf8(), ctx -> { throw new IOException("socket closed"); }))
                .isInstanceOf(IdempotentWorkException.class).hasCauseInstanceOf(IOException.class);
        assertThat(store.find(request.key())).isEmpty();
        assertThat(listener.events).containsExactly("failed:IllegalStateException", "failed:IOException");

        IdempotencyOutcome<String> retry = engine.execute(request, ResultCodecs.utf8(), ctx -> "succeeded");
        assertThat(retry).isEqualTo(new IdempotencyOutcome.Executed<>("succeeded", Completion.STORED, false));
    }

    @Test
    void theOutcomePolicyCanReleaseAResultInsteadOfStoringIt() {
        IdempotencyEngine engine = engine(store, clock);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);
        OutcomePolicy<StoredResponse> below500 = response -> response.status() < 500;

        IdempotencyOutcome<StoredResponse> serverError = engine.execute(request, ResultCodecs.storedResponse(), below500,
                ctx -> StoredResponse.of(503, new byte[0]));
        IdempotencyOutcome<StoredResponse> success = engine.execute(request, ResultCodecs.storedResponse(), below500,
                ctx -> StoredResponse.of(201, "ok".getBytes()));
        IdempotencyOutcome<StoredResponse> replay = engine.execute(request, ResultCodecs.storedResponse(), below500,
                ctx -> { throw new AssertionError("must not run"); });

        assertThat(((IdempotencyOutcome.Executed<StoredResponse>) serverError).completion()).isEqualTo(Completion.RELEASED);
        assertThat(((IdempotencyOutcome.Executed<StoredResponse>) success).completion()).isEqualTo(Completion.STORED);
        assertThat(((IdempotencyOutcome.Replayed<StoredResponse>) replay).result().status()).isEqualTo(201);
    }

    @Test
    void aRunWhoseLeaseWasTakenOverCannotOverwriteTheNewOwnersResult() throws Exception {
        // The heartbeat interval is longer than the test runs, so the first run behaves like a frozen process.
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).lease(Duration.ofSeconds(600))
                .heartbeatInterval(Duration.ofSeconds(599)).listener(listener).build();
        engines.add(engine);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);
        CountDownLatch frozen = new CountDownLatch(1);
        CountDownLatch thaw = new CountDownLatch(1);
        Future<IdempotencyOutcome<String>> stale = threads.submit(() -> engine.execute(request, ResultCodecs.utf8(), ctx -> {
            frozen.countDown();
            thaw.await();
            return "stale";
        }));
        assertThat(frozen.await(10, TimeUnit.SECONDS)).isTrue();
        clock.advance(Duration.ofSeconds(601));

        IdempotencyOutcome<String> takeover = engine.execute(request, ResultCodecs.utf8(), ctx -> {
            assertThat(ctx.isTakeover()).isTrue();
            return "new owner";
        });
        thaw.countDown();

        assertThat(takeover).isEqualTo(new IdempotencyOutcome.Executed<>("new owner", Completion.STORED, true));
        assertThat(stale.get(10, TimeUnit.SECONDS))
                .isEqualTo(new IdempotencyOutcome.Executed<>("stale", Completion.OWNERSHIP_LOST, false));
        IdempotencyOutcome<String> replay = engine.execute(request, ResultCodecs.utf8(), ctx -> "must not run");
        assertThat(((IdempotencyOutcome.Replayed<String>) replay).result()).isEqualTo("new owner");
        assertThat(listener.events).contains("takeover", "ownership-lost");
    }

    @Test
    void theHeartbeatKeepsALongRunningClaimAlive() throws Exception {
        LeaseTime time = new LeaseTime(clock, store);
        IdempotencyEngine engine = time.engine().build();
        engines.add(engine);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Future<IdempotencyOutcome<String>> longRun = threads.submit(() -> engine.execute(request, ResultCodecs.utf8(), ctx -> {
            started.countDown();
            finish.await();
            return ctx.ownershipLost() ? "lost" : "kept";
        }));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        // Three leases' worth of time: without heartbeats both the lease and the TTL would have run out.
        time.pass(3, request.key());
        IdempotencyOutcome<String> retry = engine.execute(request, ResultCodecs.utf8(), ctx -> "retry ran");
        finish.countDown();

        assertThat(retry).isInstanceOf(IdempotencyOutcome.InProgress.class);
        assertThat(longRun.get(10, TimeUnit.SECONDS)).isEqualTo(new IdempotencyOutcome.Executed<>("kept", Completion.STORED, false));
    }

    @Test
    void aTakeoverResumesFromTheCrashedRunsRecoveryPoint() throws Exception {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).lease(Duration.ofSeconds(600))
                .heartbeatInterval(Duration.ofSeconds(599)).build();
        engines.add(engine);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);
        CountDownLatch crashed = new CountDownLatch(1);
        threads.submit(() -> engine.execute(request, ResultCodecs.utf8(), ctx -> {
            ctx.checkpoint(new RecoveryPoint("charge_created", "ch_123"));
            crashed.countDown();
            new CountDownLatch(1).await();
            return "never";
        }));
        assertThat(crashed.await(10, TimeUnit.SECONDS)).isTrue();
        clock.advance(Duration.ofSeconds(601));

        List<String> seen = new ArrayList<>();
        IdempotencyOutcome<String> resumed = engine.execute(request, ResultCodecs.utf8(), ctx -> {
            seen.add(ctx.recoveryPoint().map(RecoveryPoint::phase).orElse("none"));
            seen.add(ctx.recoveryPoint().map(RecoveryPoint::payload).orElse(""));
            seen.add(ctx.derivedKey("charge"));
            return "receipt sent";
        });

        assertThat(resumed).isEqualTo(new IdempotencyOutcome.Executed<>("receipt sent", Completion.STORED, true));
        assertThat(seen).containsExactly("charge_created", "ch_123", request.key().derive("charge"));
    }

    @Test
    void aCheckpointAfterATakeoverStopsTheStaleRun() throws Exception {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).lease(Duration.ofSeconds(600))
                .heartbeatInterval(Duration.ofSeconds(599)).build();
        engines.add(engine);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        Future<IdempotencyOutcome<String>> stale = threads.submit(() -> engine.execute(request, ResultCodecs.utf8(), ctx -> {
            paused.countDown();
            resume.await();
            ctx.checkpoint(RecoveryPoint.of("too_late"));
            return "unreachable";
        }));
        assertThat(paused.await(10, TimeUnit.SECONDS)).isTrue();
        clock.advance(Duration.ofSeconds(601));
        engine.execute(request, ResultCodecs.utf8(), ctx -> "new owner");
        resume.countDown();

        assertThatThrownBy(() -> stale.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(OwnershipLostException.class);
        IdempotencyRecord record = store.find(request.key()).orElseThrow();
        assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED);
        assertThat(record.recoveryPoint()).isNull();
    }

    @Test
    void failsClosedWhenTheStoreCannotClaim() {
        IdempotencyEngine engine = engine(new FailingStore(store, true, false), clock);
        AtomicInteger executions = new AtomicInteger();

        assertThatThrownBy(() -> engine.execute(IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(),
                ctx -> "ran " + executions.incrementAndGet()))
                .isInstanceOf(IdempotencyStoreException.class);
        assertThat(executions).hasValue(0);
        assertThat(listener.events).containsExactly("store-error:CLAIM");
    }

    @Test
    void returnsTheResultWhenTheStoreFailsToStoreIt() {
        // One attempt: the retries themselves are CompletionRetryTest's subject.
        IdempotencyEngine engine = IdempotencyEngine.builder(new FailingStore(store, false, true)).clock(clock)
                .listener(listener).completionAttempts(1).build();
        engines.add(engine);

        IdempotencyOutcome<String> outcome = engine.execute(IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(), ctx -> "done");

        assertThat(outcome).isEqualTo(new IdempotencyOutcome.Executed<>("done", Completion.STORE_FAILED, false));
        assertThat(store.find(IdempotencyKey.of("s", "k")).orElseThrow().status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
    }

    @Test
    void manyConcurrentCallersExecuteOnce() throws Exception {
        IdempotencyEngine engine = engine(new InMemoryIdempotencyStore(), Clock.systemUTC());
        AtomicInteger executions = new AtomicInteger();
        List<CompletableFuture<IdempotencyOutcome<String>>> calls = new ArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < 32; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                await(go);
                return engine.execute(IdempotentRequest.of("s", "k", PAYLOAD).withInFlightWait(Duration.ofMinutes(1)),
                        ResultCodecs.utf8(), ctx -> "execution " + executions.incrementAndGet());
            }, threads));
        }
        go.countDown();

        List<String> results = new ArrayList<>();
        for (CompletableFuture<IdempotencyOutcome<String>> call : calls) {
            IdempotencyOutcome<String> outcome = call.get(1, TimeUnit.MINUTES);
            results.add(outcome instanceof IdempotencyOutcome.Executed<String> e ? e.result()
                    : ((IdempotencyOutcome.Replayed<String>) outcome).result());
        }
        assertThat(executions).hasValue(1);
        assertThat(results).hasSize(32).containsOnly("execution 1");
    }

    @Test
    void raisesAPerRequestTtlShorterThanTheLeaseToTheLease() {
        IdempotencyEngine engine = engine(store, clock);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD).withTtl(Duration.ofSeconds(1));

        engine.execute(request, ResultCodecs.utf8(), ctx -> "x");
        clock.advance(Duration.ofSeconds(2));

        assertThat(engine.execute(request, ResultCodecs.utf8(), ctx -> "again")).isInstanceOf(IdempotencyOutcome.Replayed.class);
        clock.advance(engine.lease());
        assertThat(engine.execute(request, ResultCodecs.utf8(), ctx -> "again"))
                .isEqualTo(new IdempotencyOutcome.Executed<>("again", Completion.STORED, false));
    }

    @Test
    void rejectsAnEngineWhoseTtlOrHeartbeatDoesNotFitTheLease() {
        assertThatThrownBy(() -> IdempotencyEngine.builder(store).lease(Duration.ofMinutes(10)).defaultTtl(Duration.ofMinutes(5)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
        assertThatThrownBy(() -> IdempotencyEngine.builder(store).lease(Duration.ofSeconds(10))
                .heartbeatInterval(Duration.ofSeconds(10)).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void codecsRoundTripNonHttpResults() {
        IdempotencyEngine engine = engine(store, clock);
        IdempotentRequest request = IdempotentRequest.of("queue:orders", "message-7", RequestFingerprint.ofBytes(new byte[] {1, 2}));

        engine.execute(request, ResultCodecs.bytes(), ctx -> new byte[] {9, 8, 7});
        IdempotencyOutcome<byte[]> replay = engine.execute(request, ResultCodecs.bytes(), ctx -> new byte[0]);
        IdempotencyOutcome<Void> effectOnly = engine.execute(IdempotentRequest.of("jobs", "nightly", PAYLOAD), ResultCodecs.none(), ctx -> null);

        assertThat(((IdempotencyOutcome.Replayed<byte[]>) replay).result()).containsExactly(9, 8, 7);
        assertThat(((IdempotencyOutcome.Executed<Void>) effectOnly).completion()).isEqualTo(Completion.STORED);
    }

    @Test
    void purgesExpiredRecordsThroughTheStore() {
        IdempotencyEngine engine = engine(store, clock);
        engine.execute(IdempotentRequest.of("s", "old", PAYLOAD).withTtl(Duration.ofMinutes(1)), ResultCodecs.utf8(), ctx -> "x");
        engine.execute(IdempotentRequest.of("s", "new", PAYLOAD), ResultCodecs.utf8(), ctx -> "x");
        clock.advance(Duration.ofMinutes(2));

        assertThat(engine.purgeExpired(100)).isEqualTo(1);
        assertThat(store.size()).isEqualTo(1);
    }

    @Test
    void oneSlowRenewalDoesNotStarveTheHeartbeatsOfOtherClaims() throws Exception {
        SlowRenewalStore slowStore = new SlowRenewalStore(store, "slow", Duration.ofSeconds(3));
        LeaseTime time = new LeaseTime(clock, store);
        IdempotencyEngine engine = time.engine(slowStore).listener(listener).build();
        engines.add(engine);
        CountDownLatch running = new CountDownLatch(2);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicInteger fastRuns = new AtomicInteger();
        Future<IdempotencyOutcome<String>> slow = threads.submit(() -> engine.execute(IdempotentRequest.of("s", "slow", PAYLOAD),
                ResultCodecs.utf8(), ctx -> {
                    running.countDown();
                    finish.await();
                    return ctx.ownershipLost() ? "slow: lease lapsed" : "slow: lease kept";
                }));
        Future<IdempotencyOutcome<String>> fast = threads.submit(() -> engine.execute(IdempotentRequest.of("s", "fast", PAYLOAD),
                ResultCodecs.utf8(), ctx -> {
                    fastRuns.incrementAndGet();
                    running.countDown();
                    finish.await();
                    return ctx.ownershipLost() ? "fast: lease lapsed" : "fast: lease kept";
                }));
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

        // Well past the lease and TTL: only heartbeats keep "fast" claimed while "slow" hangs in a renewal, and the
        // slow claim's heartbeat finds its lease lapsed.
        time.pass(2, IdempotencyKey.of("s", "fast"));
        awaitEvent("ownership-lost");
        IdempotencyOutcome<String> retry = engine.execute(IdempotentRequest.of("s", "fast", PAYLOAD), ResultCodecs.utf8(), ctx -> {
            fastRuns.incrementAndGet();
            return "fast ran twice";
        });
        finish.countDown();

        assertThat(retry).isInstanceOf(IdempotencyOutcome.InProgress.class);
        assertThat(fastRuns).hasValue(1);
        assertThat(((IdempotencyOutcome.Executed<String>) fast.get(10, TimeUnit.SECONDS)).result()).isEqualTo("fast: lease kept");
        // The slow claim went a whole lease without a confirmed renewal, so it must assume someone else may own it.
        assertThat(((IdempotencyOutcome.Executed<String>) slow.get(10, TimeUnit.SECONDS)).result()).isEqualTo("slow: lease lapsed");
    }

    @Test
    void aRenewalStuckWaitingForTheStoreIsInterruptedAndTheNextOneRenewsTheLease() throws Exception {
        // A long lease: nothing here depends on how fast the machine is, only on the renewal deadline (by default
        // half the heartbeat interval) cutting the stuck renewal short.
        StuckFirstRenewalStore stuck = new StuckFirstRenewalStore(new InMemoryIdempotencyStore());
        IdempotencyEngine engine = IdempotencyEngine.builder(stuck).lease(Duration.ofSeconds(60))
                .heartbeatInterval(Duration.ofMillis(50)).listener(listener).build();
        engines.add(engine);
        try {
            ActiveClaim<String> claim = (ActiveClaim<String>) engine.begin(IdempotentRequest.of("s", "k", PAYLOAD),
                    ResultCodecs.utf8(), OutcomePolicy.storeAll());

            assertThat(stuck.laterRenewals.await(10, TimeUnit.SECONDS))
                    .as("a renewal after the stuck one").isTrue();
            assertThat(stuck.firstInterrupted.await(10, TimeUnit.SECONDS))
                    .as("the stuck renewal was interrupted").isTrue();
            assertThat(claim.ownershipLost()).isFalse();
            assertThat(listener.events).contains("store-error:RENEW");
            assertThat(claim.finish("kept").completion()).isEqualTo(Completion.STORED);
        } finally {
            stuck.unblock.countDown();
        }
    }

    @Test
    void theRenewalTimeoutIsABuilderOptionShorterThanTheLease() throws Exception {
        StuckFirstRenewalStore stuck = new StuckFirstRenewalStore(new InMemoryIdempotencyStore());
        IdempotencyEngine engine = IdempotencyEngine.builder(stuck).lease(Duration.ofSeconds(60))
                .heartbeatInterval(Duration.ofMillis(50)).renewalTimeout(Duration.ofMillis(100)).build();
        engines.add(engine);
        // Settled at the end, so that closing the engine does not wait its shutdown timeout for the claim.
        ActiveClaim<String> claim = (ActiveClaim<String>) engine.begin(IdempotentRequest.of("s", "k", PAYLOAD),
                ResultCodecs.utf8(), OutcomePolicy.storeAll());
        try {
            assertThat(stuck.firstInterrupted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(stuck.laterRenewals.await(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            stuck.unblock.countDown();
            claim.abandon(new IllegalStateException("test over"));
        }
        assertThatThrownBy(() -> IdempotencyEngine.builder(store).lease(Duration.ofSeconds(10))
                .renewalTimeout(Duration.ofSeconds(10)).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("renewalTimeout");
    }

    @Test
    void anInterruptedWaitAnswersInProgressAndKeepsTheInterrupt() throws Exception {
        IdempotencyEngine engine = engine(new InMemoryIdempotencyStore(), Clock.systemUTC());
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        threads.submit(() -> engine.execute(IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(), ctx -> {
            started.countDown();
            finish.await();
            return "first";
        }));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>();
        Thread waiter = new Thread(() -> {
            IdempotencyOutcome<String> outcome = engine.execute(
                    IdempotentRequest.of("s", "k", PAYLOAD).withInFlightWait(Duration.ofMinutes(5)), ResultCodecs.utf8(),
                    ctx -> "must not run");
            seen.set(outcome.getClass().getSimpleName() + " interrupted=" + Thread.currentThread().isInterrupted());
        });
        waiter.start();
        Thread.sleep(100);
        waiter.interrupt();
        waiter.join(10_000);
        finish.countDown();

        assertThat(seen.get()).isEqualTo("InProgress interrupted=true");
        assertThat(listener.events).contains("conflict");
    }

    @Test
    void aStoreFailureWhileWaitingForAHeldKeyIsAnsweredAsInProgress() throws Exception {
        InMemoryIdempotencyStore realTimeStore = new InMemoryIdempotencyStore();
        AtomicInteger claims = new AtomicInteger();
        IdempotencyEngine owner = engine(realTimeStore, Clock.systemUTC());
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        threads.submit(() -> owner.execute(IdempotentRequest.of("s", "k", PAYLOAD), ResultCodecs.utf8(), ctx -> {
            started.countDown();
            finish.await();
            return "first";
        }));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        IdempotencyEngine waiter = engine(new ClaimFailsAfterFirst(realTimeStore, claims), Clock.systemUTC());

        IdempotencyOutcome<String> outcome = waiter.execute(
                IdempotentRequest.of("s", "k", PAYLOAD).withInFlightWait(Duration.ofSeconds(30)), ResultCodecs.utf8(),
                ctx -> "must not run");
        finish.countDown();

        assertThat(claims).hasValue(2);
        assertThat(outcome).isInstanceOf(IdempotencyOutcome.InProgress.class);
    }

    @Test
    void aListenerThatThrowsChangesNothing() {
        IdempotencyListener throwing = new IdempotencyListener() {
            @Override
            public void executed(IdempotencyKey key, Completion completion, boolean takeover) {
                throw new IllegalStateException("metrics backend down");
            }

            @Override
            public void storeLatency(StoreOperation operation, Duration elapsed) {
                throw new IllegalStateException("metrics backend down");
            }

            @Override
            public void replayed(IdempotencyKey key) {
                throw new IllegalStateException("metrics backend down");
            }
        };
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).listener(throwing).build();
        engines.add(engine);
        IdempotentRequest request = IdempotentRequest.of("s", "k", PAYLOAD);

        IdempotencyOutcome<String> first = engine.execute(request, ResultCodecs.utf8(), ctx -> "once");
        IdempotencyOutcome<String> second = engine.execute(request, ResultCodecs.utf8(), ctx -> "twice");

        assertThat(first).isEqualTo(new IdempotencyOutcome.Executed<>("once", Completion.STORED, false));
        assertThat(((IdempotencyOutcome.Replayed<String>) second).result()).isEqualTo("once");
    }

    private IdempotencyEngine engine(IdempotencyStore store, Clock clock) {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).listener(listener).build();
        engines.add(engine);
        return engine;
    }

    private void awaitEvent(String event) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!listener.events.contains(event) && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertThat(listener.events).contains(event);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Records engine events in order, as a metrics listener would count them. */
    /**
     * A renewal of one key blocks, as a JDBC renewal waiting for a pooled connection would, and gives up with an
     * exception when interrupted, as HikariCP's {@code getConnection} does.
     */
    private static final class SlowRenewalStore extends ForwardingIdempotencyStore {
        private final String slowKey;
        private final Duration delay;

        SlowRenewalStore(IdempotencyStore delegate, String slowKey, Duration delay) {
            super(delegate);
            this.slowKey = slowKey;
            this.delay = delay;
        }

        @Override
        public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
            if (key.key().equals(slowKey)) {
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IdempotencyStoreException("Interrupted during connection acquisition", e);
                }
            }
            return super.renew(key, owner, lease);
        }
    }

    /**
     * The first renewal hangs as a JDBC renewal waiting for a connection from a saturated pool does, and, like
     * HikariCP's {@code getConnection}, gives up with an exception when its thread is interrupted. Later renewals go
     * through.
     */
    private static final class StuckFirstRenewalStore extends ForwardingIdempotencyStore {
        final CountDownLatch unblock = new CountDownLatch(1);
        final CountDownLatch firstInterrupted = new CountDownLatch(1);
        final CountDownLatch laterRenewals = new CountDownLatch(2);
        private final AtomicInteger renewals = new AtomicInteger();

        StuckFirstRenewalStore(IdempotencyStore delegate) {
            super(delegate);
        }

        @Override
        public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
            if (renewals.incrementAndGet() == 1) {
                try {
                    unblock.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    firstInterrupted.countDown();
                    throw new IdempotencyStoreException("Interrupted during connection acquisition", e);
                }
                throw new IdempotencyStoreException("never got a connection");
            }
            RenewResult result = super.renew(key, owner, lease);
            laterRenewals.countDown();
            return result;
        }
    }

    /** The first claim goes through; every later one fails as if the database had gone away. */
    private static final class ClaimFailsAfterFirst extends ForwardingIdempotencyStore {
        private final AtomicInteger claims;

        ClaimFailsAfterFirst(IdempotencyStore delegate, AtomicInteger claims) {
            super(delegate);
            this.claims = claims;
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            if (claims.incrementAndGet() > 1) {
                throw new IdempotencyStoreException("connection reset");
            }
            return super.claim(request);
        }
    }

    /** Simulates a store outage on chosen operations; the rest goes to a real in-memory store. */
    private static class FailingStore extends ForwardingIdempotencyStore {
        private final boolean failClaim;
        private final boolean failComplete;

        FailingStore(IdempotencyStore delegate, boolean failClaim, boolean failComplete) {
            super(delegate);
            this.failClaim = failClaim;
            this.failComplete = failComplete;
        }

        @Override
        public ClaimResult claim(ClaimRequest request) {
            if (failClaim) {
                throw new IdempotencyStoreException("connection refused");
            }
            return super.claim(request);
        }

        @Override
        public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
            if (failComplete) {
                throw new IdempotencyStoreException("connection reset");
            }
            return super.complete(key, owner, response, retention);
        }
    }
}
