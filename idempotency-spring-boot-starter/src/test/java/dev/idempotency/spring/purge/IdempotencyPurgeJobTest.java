package dev.idempotency.spring.purge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyEngine;
import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotentRequest;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.ResultCodecs;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

@ExtendWith(OutputCaptureExtension.class)
class IdempotencyPurgeJobTest {

    /** A store whose purge answers come from a script; every other operation is unsupported. */
    private static IdempotencyStore scriptedPurge(Deque<Object> answers, AtomicInteger calls) {
        return (IdempotencyStore) Proxy.newProxyInstance(IdempotencyStore.class.getClassLoader(), new Class<?>[] {IdempotencyStore.class},
                (proxy, method, args) -> {
                    if (!method.getName().equals("purgeExpired")) {
                        throw new UnsupportedOperationException(method.getName());
                    }
                    calls.incrementAndGet();
                    Object answer = answers.poll();
                    if (answer instanceof RuntimeException e) {
                        throw e;
                    }
                    return new PurgeResult(answer == null ? 0 : (Integer) answer, (Integer) args[0]);
                });
    }

    @Test
    void repeatsBatchesUntilOneComesBackShort() {
        AtomicInteger calls = new AtomicInteger();
        IdempotencyStore store = scriptedPurge(new ArrayDeque<>(List.of(10, 10, 3, 10)), calls);
        IdempotencyPurgeJob job = new IdempotencyPurgeJob(IdempotencyEngine.builder(store).build(), Duration.ZERO, Duration.ofHours(1), 10);
        assertThat(job.purgeNow()).isEqualTo(23);
        assertThat(calls).hasValue(3);
    }

    @Test
    void aFailingRunIsLoggedNotThrown(CapturedOutput output) {
        AtomicInteger calls = new AtomicInteger();
        IdempotencyStore store = scriptedPurge(new ArrayDeque<>(List.of(10, new IdempotencyStoreException("db down"))), calls);
        IdempotencyPurgeJob job = new IdempotencyPurgeJob(IdempotencyEngine.builder(store).build(), Duration.ZERO, Duration.ofHours(1), 10);
        assertThat(job.purgeNow()).isEqualTo(10);
        assertThat(output).contains("Purging expired idempotency records failed").contains("db down");
    }

    @Test
    void deletesExpiredRecordsOfARealStore() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemoryIdempotencyStore store = new InMemoryIdempotencyStore(clock);
        IdempotencyEngine engine = IdempotencyEngine.builder(store).clock(clock).lease(Duration.ofSeconds(30)).build();
        for (int i = 0; i < 5; i++) {
            engine.execute(IdempotentRequest.of(IdempotencyKey.of("s", "k" + i), RequestFingerprint.of("x")).withTtl(Duration.ofMinutes(1)),
                    ResultCodecs.utf8(), context -> "done");
        }
        clock.now = clock.now.plus(Duration.ofMinutes(2));
        IdempotencyPurgeJob job = new IdempotencyPurgeJob(engine, Duration.ZERO, Duration.ofHours(1), 2);
        assertThat(job.purgeNow()).isEqualTo(5);
        assertThat(store.find(IdempotencyKey.of("s", "k0"))).isEmpty();
    }

    @Test
    void startsAndStopsItsOwnScheduler() {
        IdempotencyPurgeJob job = new IdempotencyPurgeJob(IdempotencyEngine.builder(new InMemoryIdempotencyStore()).build(),
                Duration.ofHours(1), Duration.ofHours(1), 10);
        assertThat(job.isRunning()).isFalse();
        job.start();
        assertThat(job.isRunning()).isTrue();
        job.stop();
        assertThat(job.isRunning()).isFalse();
    }

    private static final class MutableClock extends Clock {
        volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
