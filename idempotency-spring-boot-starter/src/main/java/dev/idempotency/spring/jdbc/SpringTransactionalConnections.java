package dev.idempotency.spring.jdbc;

import dev.idempotency.jdbc.TransactionalConnections;
import java.sql.Connection;
import java.util.Optional;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Lends the JDBC store the connection of the Spring-managed transaction the calling thread runs on the store's
 * {@code DataSource} ({@code @Transactional}, {@code TransactionTemplate}, with {@code DataSourceTransactionManager},
 * {@code JdbcTransactionManager} or {@code JpaTransactionManager}), so a checkpoint commits with the rows of its
 * phase. Outside such a transaction, or in one on another {@code DataSource}, the store writes on a connection of its
 * own.
 *
 * <p>A fenced write that matches no row marks the transaction's connection rollback-only, which the JDBC transaction
 * managers honour at commit even when the application catches the {@code OwnershipLostException} (the commit then
 * rolls back and throws {@code UnexpectedRollbackException}); the exception itself rolls back a {@code @Transactional}
 * method under any transaction manager.
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
        return Optional.of(new JoinedTransaction() {
            @Override
            public Connection connection() {
                return connection;
            }

            @Override
            public void setRollbackOnly() {
                holder.setRollbackOnly();
            }

            @Override
            public void close() {
                DataSourceUtils.releaseConnection(connection, dataSource);
            }
        });
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
