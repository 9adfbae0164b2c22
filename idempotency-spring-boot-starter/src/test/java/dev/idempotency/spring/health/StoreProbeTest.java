package dev.idempotency.spring.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StoreProbeTest {

    /** A store whose reads can fail, or hang until released; counts the reads. */
    static final class ControlledStore extends ForwardingIdempotencyStore {
        final AtomicInteger reads = new AtomicInteger();
        volatile RuntimeException failure;
        volatile CountDownLatch hang;

        ControlledStore() {
            super(new InMemoryIdempotencyStore());
        }

        @Override
        public Optional<IdempotencyRecord> find(IdempotencyKey key) {
            reads.incrementAndGet();
            if (failure != null) {
                throw failure;
            }
            CountDownLatch latch = hang;
            if (latch != null) {
                try {
                    latch.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.find(key);
        }
    }

    @Test
    void aStoreThatAnswersIsUp() {
        ControlledStore store = new ControlledStore();

        assertThat(new StoreProbe(store, Duration.ofSeconds(5)).probe()).isInstanceOf(StoreProbe.Result.Up.class);
        assertThat(store.reads).hasValue(1);
    }

    @Test
    void aStoreThatFailsIsReportedWithItsError() {
        ControlledStore store = new ControlledStore();
        store.failure = new IdempotencyStoreException("connection refused");

        StoreProbe.Result result = new StoreProbe(store, Duration.ofSeconds(5)).probe();

        assertThat(result).isInstanceOfSatisfying(StoreProbe.Result.Failed.class,
                failed -> assertThat(failed.error()).hasMessage("connection refused"));
    }

    @Test
    void aStoreThatHangsIsNoAnswerAndLaterProbesShareTheHangingRead() {
        ControlledStore store = new ControlledStore();
        store.hang = new CountDownLatch(1);
        StoreProbe probe = new StoreProbe(store, Duration.ofMillis(50));

        assertThat(probe.probe()).isInstanceOfSatisfying(StoreProbe.Result.NoAnswer.class,
                noAnswer -> assertThat(noAnswer.timeout()).isEqualTo(Duration.ofMillis(50)));
        // The read runs on the probe's own thread, which a busy machine may start late: wait until it hangs.
        await().atMost(Duration.ofSeconds(10)).until(() -> store.reads.get() == 1);
        assertThat(probe.probe()).isInstanceOf(StoreProbe.Result.NoAnswer.class);
        assertThat(probe.probe()).isInstanceOf(StoreProbe.Result.NoAnswer.class);
        assertThat(store.reads).as("one read in flight, however many probes").hasValue(1);

        store.hang.countDown();
        store.hang = null;
        await().atMost(Duration.ofSeconds(10)).until(() -> probe.probe() instanceof StoreProbe.Result.Up);
    }
}
