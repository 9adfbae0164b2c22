package dev.idempotency.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A minimal transaction manager for the store's tests, in the manner of Spring's: {@link #run} binds one connection,
 * in a transaction, to the calling thread, and {@link #current} lends it to the store when the store's
 * {@code DataSource} is the one the transaction runs on.
 */
final class ThreadBoundTransactions implements TransactionalConnections {

    private final ThreadLocal<Bound> bound = new ThreadLocal<>();

    private static final class Bound {
        final DataSource dataSource;
        final Connection connection;
        boolean rollbackOnly;

        Bound(DataSource dataSource, Connection connection) {
            this.dataSource = dataSource;
            this.connection = connection;
        }
    }

    @Override
    public Optional<JoinedTransaction> current(DataSource dataSource) {
        Bound transaction = bound.get();
        if (transaction == null || transaction.dataSource != dataSource) {
            return Optional.empty();
        }
        return Optional.of(new JoinedTransaction() {
            @Override
            public Connection connection() {
                return transaction.connection;
            }

            @Override
            public void setRollbackOnly() {
                transaction.rollbackOnly = true;
            }

            @Override
            public void close() {
                // The connection stays with the transaction.
            }
        });
    }

    /** The connection of the calling thread's transaction, for the business rows. */
    Connection connection() {
        return bound.get().connection;
    }

    /**
     * Runs {@code work} in a transaction on {@code dataSource}: commits when it returns, unless it was marked
     * rollback-only, which rolls back and throws {@link IllegalStateException}; rolls back and rethrows when it throws.
     */
    void run(DataSource dataSource, Runnable work) {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            Bound transaction = new Bound(dataSource, connection);
            bound.set(transaction);
            try {
                work.run();
                if (transaction.rollbackOnly) {
                    connection.rollback();
                    throw new IllegalStateException("Transaction rolled back because it was marked rollback-only");
                }
                connection.commit();
            } catch (RuntimeException | Error e) {
                if (!transaction.rollbackOnly || !(e instanceof IllegalStateException)) {
                    connection.rollback();
                }
                throw e;
            } finally {
                bound.remove();
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
