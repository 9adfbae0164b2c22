package dev.idempotency.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.RenewResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat driven tick by tick against a fake ticker: the scheduler's own ticks and deadlines are an hour away,
 * so only the test moves time.
 */
class LeaseHeartbeatTest {

    private static final Duration NEVER_BY_ITSELF = Duration.ofMinutes(50);
    private static final Duration LEASE = Duration.ofMinutes(60);
    private static final Duration RENEWAL_TIMEOUT = Duration.ofMinutes(20);

    private final AtomicLong nanos = new AtomicLong();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService renewalThreads = Executors.newCachedThreadPool();
    /** A permit for each renewal that ran to its end, its result applied. */
    private final Semaphore renewalsDone = new Semaphore(0);
    private final Executor renewals = task -> renewalThreads.execute(() -> {
        try {
            task.run();
        } finally {
            renewalsDone.release();
        }
    });
    private final List<RuntimeException> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean lost = new AtomicBoolean();

    @AfterEach
    void tearDown() {
        scheduler.shutdownNow();
        renewalThreads.shutdownNow();
    }

    @Test
    void aRenewalPastItsDeadlineIsInterruptedCountedAsFailedAndSentAgain() throws Exception {
        ScriptedRenewals renew = new ScriptedRenewals();
        LeaseHeartbeat heartbeat = start(renew);

        heartbeat.tick();
        Attempt stuck = renew.next();

        // Within its deadline: the tick neither interrupts it nor sends a second renewal beside it.
        advance(RENEWAL_TIMEOUT.minusNanos(1));
        heartbeat.tick();
        assertThat(stuck.interrupted.getCount()).isEqualTo(1);
        assertThat(renew.attempts.poll()).isNull();
        assertThat(errors).isEmpty();

        advance(Duration.ofNanos(1));
        heartbeat.tick();
        assertThat(stuck.interrupted.await(10, TimeUnit.SECONDS)).isTrue();
        Attempt retry = renew.next();
        retry.answer(new RenewResult.Renewed(null));

        assertThat(errors).singleElement().isInstanceOf(IdempotencyStoreException.class)
                .extracting(Throwable::getMessage).asString().contains("did not answer within PT20M");
        assertThat(lost).isFalse();
        heartbeat.stop();
    }

    @Test
    void renewalsThatAllTimeOutLetTheLeaseLapse() throws Exception {
        ScriptedRenewals renew = new ScriptedRenewals();
        LeaseHeartbeat heartbeat = start(renew);

        for (int i = 0; i < 3; i++) {
            heartbeat.tick();
            renew.next();
            advance(RENEWAL_TIMEOUT);
        }
        // Exactly a lease after the grant: not yet lapsed.
        heartbeat.tick();
        assertThat(lost).isFalse();
        renew.next();
        advance(Duration.ofNanos(1));
        heartbeat.tick();

        assertThat(lost).isTrue();
        assertThat(errors).hasSize(3);
    }

    @Test
    void aLateAnswerFromACancelledRenewalStillCountsButNeverMovesTheLeaseBack() throws Exception {
        ScriptedRenewals renew = new ScriptedRenewals();
        LeaseHeartbeat heartbeat = start(renew);

        heartbeat.tick();
        Attempt first = renew.next();
        first.ignoreInterrupts();
        advance(RENEWAL_TIMEOUT);
        heartbeat.tick();
        Attempt second = renew.next();
        second.answer(new RenewResult.Renewed(null));
        assertThat(renewalsDone.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        // The first renewal, sent earlier, answers last: the lease still counts from the second one.
        first.answer(new RenewResult.Renewed(null));
        assertThat(renewalsDone.tryAcquire(10, TimeUnit.SECONDS)).isTrue();

        advance(LEASE);
        heartbeat.tick();
        assertThat(lost).isFalse();
        renew.next();
        advance(Duration.ofNanos(1));
        heartbeat.tick();
        assertThat(lost).isTrue();
    }

    private LeaseHeartbeat start(Supplier<RenewResult> renew) {
        return LeaseHeartbeat.start(scheduler, renewals, NEVER_BY_ITSELF, LEASE, RENEWAL_TIMEOUT, renew,
                () -> lost.set(true), errors::add, nanos::get);
    }

    private void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    /** Each renewal blocks until the test answers it; an interrupt makes it throw, as HikariCP's pool does. */
    private static final class ScriptedRenewals implements Supplier<RenewResult> {
        final BlockingQueue<Attempt> attempts = new LinkedBlockingQueue<>();
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public RenewResult get() {
            Attempt attempt = new Attempt(count.incrementAndGet());
            attempts.add(attempt);
            return attempt.await();
        }

        Attempt next() throws InterruptedException {
            Attempt attempt = attempts.poll(10, TimeUnit.SECONDS);
            assertThat(attempt).as("a renewal was sent").isNotNull();
            return attempt;
        }
    }

    private static final class Attempt {
        final int number;
        final CountDownLatch interrupted = new CountDownLatch(1);
        private final BlockingQueue<RenewResult> answer = new LinkedBlockingQueue<>();
        private volatile boolean ignoreInterrupts;

        Attempt(int number) {
            this.number = number;
        }

        void answer(RenewResult result) {
            answer.add(result);
        }

        void ignoreInterrupts() {
            ignoreInterrupts = true;
        }

        RenewResult await() {
            while (true) {
                try {
                    return answer.take();
                } catch (InterruptedException e) {
                    interrupted.countDown();
                    if (!ignoreInterrupts) {
                        Thread.currentThread().interrupt();
                        throw new IdempotencyStoreException("renewal " + number + " interrupted", e);
                    }
                }
            }
        }
    }
}
