package dev.idempotency.core.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyKey;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A store written before the operator's methods existed still compiles and says it does not support them. */
class OperatorMethodDefaultsTest {

    /** Implements only what the engine needs; every call of it fails, so the defaults must not use it. */
    private static final class EngineOnlyStore implements IdempotencyStore {
        @Override
        public ClaimResult claim(ClaimRequest request) {
            throw new AssertionError("not called");
        }

        @Override
        public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
            throw new AssertionError("not called");
        }

        @Override
        public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
            throw new AssertionError("not called");
        }

        @Override
        public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
            throw new AssertionError("not called");
        }

        @Override
        public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
            throw new AssertionError("not called");
        }

        @Override
        public Optional<IdempotencyRecord> find(IdempotencyKey key) {
            throw new AssertionError("not called");
        }

        @Override
        public PurgeResult purgeExpired(int batchSize) {
            throw new AssertionError("not called");
        }
    }

    @Test
    void theOperatorsMethodsAnswerUnsupportedByDefault() {
        IdempotencyStore store = new EngineOnlyStore();
        IdempotencyKey key = IdempotencyKey.of("scope", "key");

        assertThat(store.inspect(key)).isInstanceOf(InspectResult.Unsupported.class);
        assertThat(store.deleteCompleted(key, OwnerToken.random())).isInstanceOf(DeleteResult.Unsupported.class);
        assertThat(store.countByStatus()).isInstanceOf(StatusCounts.Unsupported.class);
    }
}
