package dev.idempotency.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Finds the transaction the calling thread runs on the store's {@link DataSource}, so that
 * {@link JdbcIdempotencyStore#checkpoint checkpoints} and {@link JdbcIdempotencyStore#renew renewals} made inside it
 * write on its connection and commit or roll back with the application's own rows. The claim, the completion, the
 * release, reads and purges never join a transaction: they always borrow a connection of their own.
 *
 * <p>The store knows no transaction manager. {@link #NONE}, the default, joins nothing, so every write commits on its
 * own; the Spring Boot starter supplies an implementation that finds Spring-managed transactions.
 */
@FunctionalInterface
public interface TransactionalConnections {

    /** Joins no transaction: every store operation commits on a connection of its own. */
    TransactionalConnections NONE = dataSource -> Optional.empty();

    /**
     * The transaction the calling thread runs on {@code dataSource}, if there is one.
     *
     * @param dataSource the store's own {@code DataSource}, as given to its builder
     */
    Optional<JoinedTransaction> current(DataSource dataSource) throws SQLException;

    /**
     * The connection of a running transaction, lent to one store operation. The store runs its statement on it as it
     * is: it never commits, rolls back, or changes its autocommit or isolation.
     */
    interface JoinedTransaction extends AutoCloseable {

        Connection connection();

        /**
         * Marks the transaction so that it can only roll back: called when a fenced write matched no row (another run
         * owns the key) or failed, so that the application's rows written in the same transaction never commit
         * without the recovery point, nor after another run took the key over.
         */
        void setRollbackOnly();

        /** Hands the connection back to the transaction; the transaction goes on. */
        @Override
        void close() throws SQLException;
    }
}
