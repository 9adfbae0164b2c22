package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyListener.StoreOperation;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CompositeIdempotencyListenerTest {

    private final List<String> events = new CopyOnWriteArrayList<>();
    private final IdempotencyKey key = IdempotencyKey.of("global", "k");

    @Test
    void failuresAndCompletionRetriesReachEveryListener() {
        IdempotencyListener composite = CompositeIdempotencyListener.of(List.of(recorder("a"), recorder("b")));

        composite.failed(key, new IllegalStateException("handler threw"));
        composite.completionRetried(key, StoreOperation.COMPLETE, 2);

        assertThat(events).containsExactly("a:failed", "b:failed", "a:retried:COMPLETE:2", "b:retried:COMPLETE:2");
    }

    @Test
    void aListenerThatThrowsDoesNotKeepTheEventFromTheOthers() {
        IdempotencyListener throwing = new IdempotencyListener() {
            @Override
            public void replayed(IdempotencyKey key) {
                throw new IllegalStateException("listener bug");
            }
        };
        IdempotencyListener composite = CompositeIdempotencyListener.of(List.of(recorder("a"), throwing, recorder("b")));

        composite.failed(key, new IllegalStateException("handler threw"));
        composite.replayed(key);

        assertThat(events).containsExactly("a:failed", "b:failed", "a:replayed", "b:replayed");
    }

    @Test
    void aListenerIsGuardedOnceAndNoneIsLeftAsItIs() {
        IdempotencyListener guarded = CompositeIdempotencyListener.guarding(recorder("a"));

        assertThat(guarded).isInstanceOf(CompositeIdempotencyListener.class);
        assertThat(CompositeIdempotencyListener.guarding(guarded)).isSameAs(guarded);
        assertThat(CompositeIdempotencyListener.guarding(IdempotencyListener.NONE)).isSameAs(IdempotencyListener.NONE);
    }

    private IdempotencyListener recorder(String name) {
        return new IdempotencyListener() {
            @Override
            public void failed(IdempotencyKey key, Throwable failure) {
                events.add(name + ":failed");
            }

            @Override
            public void completionRetried(IdempotencyKey key, StoreOperation operation, int attempt) {
                events.add(name + ":retried:" + operation + ":" + attempt);
            }

            @Override
            public void replayed(IdempotencyKey key) {
                events.add(name + ":replayed");
            }
        };
    }
}
