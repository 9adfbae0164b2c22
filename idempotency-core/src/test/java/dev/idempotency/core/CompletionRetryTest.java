package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.IdempotencyOutcome.Completion;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.ForwardingIdempotencyStore;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.core.store.memory.InMemoryIdempotencyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A store that fails for a moment while a result is being stored must not make the work run again. */
class CompletionRetryTest {

    private static final IdempotentRequest REQUEST = IdempotentRequest.of("s", "k", RequestFingerprint.of("amount=100"));

    private final InMemoryIdempotencyStore memory = new InMemoryIdempotencyStore();
    private final List<IdempotencyEngine> engines = new ArrayList<>();
    private final List<String> retries = new CopyOnWriteArrayList<>();
    private final IdempotencyListener recorder = new IdempotencyListener() {
        @Override
        public void completionRetried(IdempotencyKey key, StoreOperation operation, int attempt) {
            retries.add(operation + ":" + attempt);
        }
    };

    @AfterEach
    void tearDown() {
        engines.forEach(IdempotencyEngine::close);
    }

    @Test
    void aCompleteThatFailsTwiceIsRetriedAndTheResultStored() {
        CompleteFails store = new CompleteFails(memory, 2);
        IdempotencyEngine engine = engine(store, Duration.ofSeconds(30));
        AtomicInteger executions = new AtomicInteger();

        IdempotencyOutcome<String> first = engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "ran " + executions.incrementAndGet());
        IdempotencyOutcome<String> retry = engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "ran " + executions.incrementAndGet());

        assertThat(first).isEqualTo(new IdempotencyOutcome.Executed<>("ran 1", Completion.STORED, false));
        assertThat(store.attempts).hasValue(3);
        assertThat(memory.find(REQUEST.key()).orElseThrow().status()).isEqualTo(IdempotencyStatus.COMPLETED);
        assertThat(((IdempotencyOutcome.Replayed<String>) retry).result()).isEqualTo("ran 1");
        assertThat(executions).hasValue(1);
        assertThat(retries).containsExactly("COMPLETE:2", "COMPLETE:3");
    }

    @Test
    void aStoreThatKeepsFailingIsTriedOnlyTheConfiguredNumberOfTimes() {
        CompleteFails store = new CompleteFails(memory, Integer.MAX_VALUE);
        IdempotencyEngine engine = IdempotencyEngine.builder(store).lease(Duration.ofSeconds(30)).completionAttempts(4)
                .listener(recorder).build();
        engines.add(engine);

        IdempotencyOutcome<String> outcome = engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "done");

        assertThat(outcome).isEqualTo(new IdempotencyOutcome.Executed<>("done", Completion.STORE_FAILED, false));
        assertThat(store.attempts).hasValue(4);
        assertThat(retries).containsExactly("COMPLETE:2", "COMPLETE:3", "COMPLETE:4");
        assertThat(memory.find(REQUEST.key()).orElseThrow().status()).isEqualTo(IdempotencyStatus.IN_PROGRESS);
    }

    @Test
    void retriesStopBeforeTheLeaseRunsOut() {
        CompleteFails store = new CompleteFails(memory, Integer.MAX_VALUE);
        // 50 + 100 + 200 ms of backoff already exceed a 300 ms lease: the default of 10 attempts is never reached.
        IdempotencyEngine engine = IdempotencyEngine.builder(store).lease(Duration.ofMillis(300))
                .heartbeatInterval(Duration.ofMillis(100)).defaultTtl(Duration.ofMinutes(1)).listener(recorder).build();
        engines.add(engine);

        IdempotencyOutcome<String> outcome = engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "done");

        assertThat(outcome).isEqualTo(new IdempotencyOutcome.Executed<>("done", Completion.STORE_FAILED, false));
        assertThat(store.attempts.get()).isBetween(1, 4);
    }

    @Test
    void aReleaseAfterAFailedRunIsRetriedSoTheKeyIsFreeForARetry() {
        AtomicInteger releases = new AtomicInteger();
        IdempotencyStore store = new ForwardingIdempotencyStore(memory) {
            @Override
            public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
                if (releases.incrementAndGet() == 1) {
                    throw new IdempotencyStoreException("connection reset");
                }
                return super.release(key, owner);
            }
        };
        IdempotencyEngine engine = engine(store, Duration.ofSeconds(30));

        assertThatThrownBy(() -> engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> {
            throw new IllegalStateException("payment declined");
        })).isInstanceOf(IllegalStateException.class).satisfies(e -> assertThat(e.getSuppressed()).isEmpty());
        IdempotencyOutcome<String> retry = engine.execute(REQUEST, ResultCodecs.utf8(), ctx -> "second run");

        assertThat(releases).hasValue(2);
        assertThat(retries).containsExactly("RELEASE:2");
        assertThat(retry).isEqualTo(new IdempotencyOutcome.Executed<>("second run", Completion.STORED, false));
    }

    @Test
    void aReleaseChosenByThePolicyIsRetriedToo() {
        AtomicInteger releases = new AtomicInteger();
        IdempotencyStore store = new ForwardingIdempotencyStore(memory) {
            @Override
            public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
                if (releases.incrementAndGet() <= 2) {
                    throw new IdempotencyStoreException("connection reset");
                }
                return super.release(key, owner);
            }
        };
        IdempotencyEngine engine = engine(store, Duration.ofSeconds(30));

        IdempotencyOutcome<String> outcome = engine.execute(REQUEST, ResultCodecs.utf8(), result -> false, ctx -> "not stored");

        assertThat(outcome).isEqualTo(new IdempotencyOutcome.Executed<>("not stored", Completion.RELEASED, false));
        assertThat(memory.find(REQUEST.key())).isEmpty();
        assertThat(retries).containsExactly("RELEASE:2", "RELEASE:3");
    }

    private IdempotencyEngine engine(IdempotencyStore store, Duration lease) {
        IdempotencyEngine engine = IdempotencyEngine.builder(store).lease(lease).listener(recorder).build();
        engines.add(engine);
        return engine;
    }

    /** {@code complete} fails the first {@code failures} times, as a database in a short failover would. */
    private static final class CompleteFails extends ForwardingIdempotencyStore {
        final AtomicInteger attempts = new AtomicInteger();
        private final int failures;

        CompleteFails(IdempotencyStore delegate, int failures) {
            super(delegate);
            this.failures = failures;
        }

        @Override
        public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
            if (attempts.incrementAndGet() <= failures) {
                throw new IdempotencyStoreException("connection reset");
            }
            return super.complete(key, owner, response, retention);
        }
    }
}
