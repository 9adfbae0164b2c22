package dev.idempotency.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IdempotencyKeyTest {

    @Test
    void derivedKeysAreDeterministicAndDependOnScopeKeyAndName() {
        IdempotencyKey key = IdempotencyKey.of("principal:alice", "order-1");

        String charge = key.derive("charge");

        assertThat(charge).isEqualTo(IdempotencyKey.of("principal:alice", "order-1").derive("charge"));
        assertThat(charge).startsWith("idem-").hasSize(5 + 64).matches("idem-[0-9a-f]{64}");
        assertThat(charge)
                .isNotEqualTo(key.derive("refund"))
                .isNotEqualTo(IdempotencyKey.of("principal:bob", "order-1").derive("charge"))
                .isNotEqualTo(IdempotencyKey.of("principal:alice", "order-2").derive("charge"));
    }

    @Test
    void rejectsEmptyOrOversizedParts() {
        assertThatThrownBy(() -> IdempotencyKey.of("", "k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyKey.of("s", "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyKey.of("s".repeat(256), "k")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IdempotencyKey.of("s", "k".repeat(256))).isInstanceOf(IllegalArgumentException.class);
    }
}
