package dev.idempotency.jdbc;

import static dev.idempotency.core.IdempotencyListener.StoreOperation.CHECKPOINT;
import static dev.idempotency.core.IdempotencyListener.StoreOperation.CLAIM;
import static dev.idempotency.core.IdempotencyListener.StoreOperation.COMPLETE;
import static dev.idempotency.core.IdempotencyListener.StoreOperation.PURGE;
import static dev.idempotency.core.IdempotencyListener.StoreOperation.RENEW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.jdbc.dialect.H2Dialect;
import dev.idempotency.jdbc.dialect.MariaDbDialect;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Which store operations each dialect runs in a transaction of its own. A checkpoint is a renew that also records
 * a recovery point, and reads back what it wrote just as a renew does, so it needs the same transaction.
 */
class SqlDialectTransactionsTest {

    @Test
    void h2RunsTheClaimAndTheWritesThatReadBackInATransaction() {
        assertThat(transactional(new H2Dialect())).isEqualTo(EnumSet.of(CLAIM, COMPLETE, RENEW, CHECKPOINT));
    }

    @Test
    void mariaDbAlsoRunsThePurgeInATransaction() {
        assertThat(transactional(new MariaDbDialect()))
                .isEqualTo(EnumSet.of(CLAIM, COMPLETE, RENEW, CHECKPOINT, PURGE));
    }

    @Test
    void postgresRunsEveryOperationAsOneStatementInAutocommit() {
        assertThat(transactional(new PostgresDialect())).isEmpty();
    }

    private static Set<StoreOperation> transactional(SqlDialect dialect) {
        return EnumSet.allOf(StoreOperation.class).stream().filter(dialect::needsTransaction)
                .collect(Collectors.toCollection(() -> EnumSet.noneOf(StoreOperation.class)));
    }
}
