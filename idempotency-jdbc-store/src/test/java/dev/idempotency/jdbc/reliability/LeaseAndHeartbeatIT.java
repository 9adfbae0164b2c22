package dev.idempotency.jdbc.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyOutcome;
import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.jdbc.JdbcIdempotencyStore;
import dev.idempotency.jdbc.ReliabilityPostgres;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scenario 4, leases and heartbeats on PostgreSQL (the database clock decides every lease):
 * <ul>
 *   <li>a handler that runs three times longer than its lease keeps its claim through the heartbeat: retries during
 *       the run, each after more than a lease has passed, are told "in progress", and the run completes STORED;</li>
 *   <li>a handler whose heartbeats stop (a frozen process: the renewals never reach the database) loses its claim to
 *       a retry once the lease expires; when it finally finishes, fencing rejects its completion
 *       ({@link Completion#OWNERSHIP_LOST}) and the record keeps the new owner's response. When its heartbeat comes
 *       back before it finishes, the heartbeat already reports the lost claim to the work.</li>
 * </ul>
 */
class LeaseAndHeartbeatIT {

    static final Duration LEASE = Duration.ofSeconds(1);
    static final String TABLE = "idempotency_record";
    static final RequestFingerprint FINGERPRINT = RequestFingerprint.of("POST", "/transfers", "{\"amount\":5}");

    static ReliabilityPostgres db;
    static JdbcIdempotencyStore jdbcStore;

    @BeforeAll
    static void database() {
        db = ReliabilityPostgres.start(4);
        JdbcIdempotencySchema.create(db.dataSource(), TABLE);
        jdbcStore = JdbcIdempotencyStore.builder(db.dataSource()).tableName(TABLE).build();
    }

    @AfterAll
    static void closeDatabase() {
        db.close();
    }

    @Test
    void heartbeatKeepsTheClaimOfAHandlerThatRunsThreeLeasesLong() throws Exception {
        long started = System.nanoTime();
        IdempotencyKey key = IdempotencyKey.of("leases", "long-" + UUID.randomUUID());
        try (IdempotencyEngine owner = IdempotencyEngine.builder(jdbcStore).lease(LEASE).build();
                IdempotencyEngine retrier = IdempotencyEngine.builder(jdbcStore).lease(LEASE).build()) {
            CountDownLatch running = new CountDownLatch(1);
            AtomicInteger executions = new AtomicInteger();
            CompletableFuture<IdempotencyOutcome<String>> run = CompletableFuture.supplyAsync(() ->
                    owner.execute(IdempotentRequest.of(key, FINGERPRINT), ResultCodecs.utf8(), context -> {
                        executions.incrementAndGet();
                        running.countDown();
                        Thread.sleep(LEASE.multipliedBy(3).toMillis());
                        return "first";
                    }));
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

            List<Duration> leaseLeftAtRetry = new ArrayList<>();
            List<String> retries = new ArrayList<>();
            for (long at : new long[] {1_300, 2_300}) {
                sleepUntil(started, at);
                if (run.isDone()) {
                    break;
                }
                IdempotencyOutcome<String> retry = retrier.execute(IdempotentRequest.of(key, FINGERPRINT),
                        ResultCodecs.utf8(), context -> {
                            executions.incrementAndGet();
                            return "second";
                        });
                IdempotencyRecord record = ((IdempotencyOutcome.InProgress<String>) assertInProgress(retry)).record();
                Duration leaseEnd = Duration.between(record.createdAt(), record.leaseExpiresAt());
                assertThat(leaseEnd).as("the heartbeat moved the lease out").isGreaterThan(LEASE);
                leaseLeftAtRetry.add(leaseEnd);
                retries.add(retry.getClass().getSimpleName());
            }

            IdempotencyOutcome<String> outcome = run.get(30, TimeUnit.SECONDS);
            assertThat(outcome).isEqualTo(new IdempotencyOutcome.Executed<>("first", Completion.STORED, false));
            IdempotencyRecord record = jdbcStore.find(key).orElseThrow();
            assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED);
            assertThat(new String(record.response().body(), StandardCharsets.UTF_8)).isEqualTo("first");
            assertThat(executions).hasValue(1);
            assertThat(retries).isNotEmpty();
            System.out.printf("[reliability] lease-heartbeat long handler: lease %d ms, handler %d ms, retries during "
                            + "the run %s, lease end at each retry (from claim) %s, executions %d, completion %s, wall %d ms%n",
                    LEASE.toMillis(), LEASE.multipliedBy(3).toMillis(), retries, leaseLeftAtRetry, executions.get(),
                    ((IdempotencyOutcome.Executed<String>) outcome).completion(),
                    (System.nanoTime() - started) / 1_000_000);
        }
    }

    @Test
    void frozenHandlerLosesItsClaimAndItsLateCompletionIsFenced() throws Exception {
        long started = System.nanoTime();
        IdempotencyKey key = IdempotencyKey.of("leases", "frozen-" + UUID.randomUUID());
        AtomicBoolean frozen = new AtomicBoolean(true);
        AtomicInteger droppedRenewals = new AtomicInteger();
        IdempotencyStore freezable = new ForwardingIdempotencyStore(jdbcStore) {
            @Override
            public RenewResult renew(IdempotencyKey renewed, OwnerToken token, Duration lease) {
                if (frozen.get()) {
                    // The process is frozen: the heartbeat never reaches the database.
                    droppedRenewals.incrementAndGet();
                    throw new dev.idempotency.core.store.IdempotencyStoreException("heartbeat frozen", null);
                }
                return super.renew(renewed, token, lease);
            }
        };
        try (IdempotencyEngine stale = IdempotencyEngine.builder(freezable).lease(LEASE).build();
                IdempotencyEngine retrier = IdempotencyEngine.builder(jdbcStore).lease(LEASE).build()) {
            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch thaw = new CountDownLatch(1);
            AtomicBoolean staleSawOwnershipLost = new AtomicBoolean();
            CompletableFuture<IdempotencyOutcome<String>> staleRun = CompletableFuture.supplyAsync(() ->
                    stale.execute(IdempotentRequest.of(key, FINGERPRINT), ResultCodecs.utf8(), context -> {
                        running.countDown();
                        thaw.await(60, TimeUnit.SECONDS);
                        // The heartbeat runs again now; wait (bounded) until it reports the takeover.
                        for (int i = 0; i < 100 && !context.ownershipLost(); i++) {
                            Thread.sleep(50);
                        }
                        staleSawOwnershipLost.set(context.ownershipLost());
                        return "stale";
                    }));
            assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();

            // The retry waits in flight until the lease expires on the database clock, then takes over.
            IdempotencyOutcome<String> takeover = retrier.execute(
                    IdempotentRequest.of(key, FINGERPRINT).withInFlightWait(Duration.ofSeconds(30)),
                    ResultCodecs.utf8(), context -> "new owner");
            assertThat(takeover).isEqualTo(new IdempotencyOutcome.Executed<>("new owner", Completion.STORED, true));

            frozen.set(false);
            thaw.countDown();
            IdempotencyOutcome<String> late = staleRun.get(30, TimeUnit.SECONDS);

            assertThat(late).isEqualTo(new IdempotencyOutcome.Executed<>("stale", Completion.OWNERSHIP_LOST, false));
            assertThat(staleSawOwnershipLost).isTrue();
            IdempotencyRecord record = jdbcStore.find(key).orElseThrow();
            assertThat(record.status()).isEqualTo(IdempotencyStatus.COMPLETED);
            assertThat(new String(record.response().body(), StandardCharsets.UTF_8)).isEqualTo("new owner");
            IdempotencyOutcome<String> replay = retrier.execute(IdempotentRequest.of(key, FINGERPRINT),
                    ResultCodecs.utf8(), context -> "must not run");
            assertThat(replay).isInstanceOf(IdempotencyOutcome.Replayed.class);
            assertThat(((IdempotencyOutcome.Replayed<String>) replay).result()).isEqualTo("new owner");
            System.out.printf("[reliability] lease-heartbeat frozen handler: lease %d ms, renewals dropped %d, takeover "
                            + "%s, stale completion %s (heartbeat reported the loss: %s), stored response '%s', wall %d ms%n",
                    LEASE.toMillis(), droppedRenewals.get(), ((IdempotencyOutcome.Executed<String>) takeover).completion(),
                    ((IdempotencyOutcome.Executed<String>) late).completion(), staleSawOwnershipLost.get(),
                    new String(record.response().body(), StandardCharsets.UTF_8), (System.nanoTime() - started) / 1_000_000);
        }
    }

    private static IdempotencyOutcome<String> assertInProgress(IdempotencyOutcome<String> outcome) {
        assertThat(outcome).isInstanceOf(IdempotencyOutcome.InProgress.class);
        return outcome;
    }

    private static void sleepUntil(long startNanos, long millis) throws InterruptedException {
        long left = millis - (System.nanoTime() - startNanos) / 1_000_000;
        if (left > 0) {
            Thread.sleep(left);
        }
    }
}
