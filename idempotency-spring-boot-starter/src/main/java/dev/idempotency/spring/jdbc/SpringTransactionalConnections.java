package dev.idempotency.spring.jdbc;

import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.jdbc.TransactionalConnections;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Lends the JDBC store the connection of the Spring-managed transaction the calling thread runs on the store's
 * {@code DataSource} ({@code @Transactional}, {@code TransactionTemplate}, with {@code DataSourceTransactionManager},
 * {@code JdbcTransactionManager} or {@code JpaTransactionManager}), so a checkpoint commits with the rows of its
 * phase. Outside such a transaction, or in one on another {@code DataSource}, the store writes on a connection of its
 * own.
 *
 * <p>A fenced write that matches no row, or fails, marks the transaction's connection rollback-only, which the JDBC
 * transaction managers honour at commit even when the application catches the {@code OwnershipLostException} (the
 * commit then rolls back and throws {@code UnexpectedRollbackException}). A manager that never reads the connection's
 * mark, such as {@code JpaTransactionManager}, which reads its {@code EntityTransaction}'s, is stopped by a
 * synchronization registered at the same time: it throws an {@code IllegalStateException} from {@code beforeCommit},
 * so the transaction rolls back under any transaction manager, and a stale run's rows never commit after another run
 * took the key over.
 */
public final class SpringTransactionalConnections implements TransactionalConnections {

    @Override
    public Optional<JoinedTransaction> current(DataSource dataSource) {
        // Only a real transaction: a connection bound for synchronization alone commits each statement anyway.
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || !(TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder)) {
            return Optional.empty();
        }
        Connection connection = DataSourceUtils.getConnection(dataSource);
        if (autoCommits(connection, dataSource)) {
            // Bound for synchronization only, by a JdbcTemplate call inside a transaction on another DataSource: its
            // statements commit one by one, so there is no transaction of the store's DataSource to join or mark.
            DataSourceUtils.releaseConnection(connection, dataSource);
            return Optional.empty();
        }
        return Optional.of(new JoinedTransaction() {
            @Override
            public Connection connection() {
                return connection;
            }

            @Override
            public void setRollbackOnly() {
                holder.setRollbackOnly();
                if (TransactionSynchronizationManager.isSynchronizationActive()) {
                    TransactionSynchronizationManager.registerSynchronization(RefuseCommit.INSTANCE);
                }
            }

            @Override
            public void close() {
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
        });
    }

    private static boolean autoCommits(Connection connection, DataSource dataSource) {
        try {
            return connection.getAutoCommit();
        } catch (SQLException e) {
            DataSourceUtils.releaseConnection(connection, dataSource);
            throw new IdempotencyStoreException("idempotency store could not read the auto-commit mode of the "
                    + "transaction's connection: " + e.getMessage(), e);
        }
    }

    /**
     * Turns a commit into a rollback, whichever transaction manager runs it. Not a {@code TransactionException}: the
     * managers take an {@code UnexpectedRollbackException} from {@code beforeCommit} as a rollback already done and
     * leave the connection's work to be committed when its auto-commit is restored; any other runtime exception there
     * rolls the transaction back.
     */
    private enum RefuseCommit implements TransactionSynchronization {
        INSTANCE;

        @Override
        public void beforeCommit(boolean readOnly) {
            throw new IllegalStateException("Transaction rolled back because a checkpoint in it lost the idempotency key "
                    + "to another run, or failed: its rows must not commit without their recovery point");
        }
    }

    /**
     * The {@code DataSource} the store borrows its own connections from: {@code dataSource} itself, or the target of a
     * {@link TransactionAwareDataSourceProxy}. Through such a proxy the claim would run on the caller's transaction:
     * its commit would commit the caller's work half-way, and a rollback would take the claim back after other
     * instances saw the key free.
     *
     * @throws IllegalStateException when the proxy sits below another wrapper, which cannot be taken off without losing
     *     what that wrapper does
     */
    public static DataSource withoutTransactionProxy(DataSource dataSource) {
        DataSource own = dataSource;
        while (own instanceof TransactionAwareDataSourceProxy proxy) {
            own = proxy.getTargetDataSource();
            if (own == null) {
                throw new IllegalStateException("The idempotency store's DataSource is a TransactionAwareDataSourceProxy "
                        + "without a target DataSource");
            }
        }
        for (DataSource layer = own; layer instanceof DelegatingDataSource delegating; layer = delegating.getTargetDataSource()) {
            if (delegating.getTargetDataSource() instanceof TransactionAwareDataSourceProxy) {
                throw new IllegalStateException("The idempotency store's DataSource (" + dataSource.getClass().getName()
                        + ") wraps a TransactionAwareDataSourceProxy, so its claims, completions and releases would run "
                        + "in the caller's transaction: a claim would be committed or rolled back with the caller's work. "
                        + "Give the store a DataSource without that proxy: mark the pool itself with @IdempotencyDataSource, "
                        + "or define a JdbcIdempotencyStore bean on it");
            }
        }
        return own;
    }
}
