package dev.idempotency.jdbc;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.PurgeResult;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import dev.idempotency.jdbc.dialect.SqlDialect;
import dev.idempotency.jdbc.dialect.SqlDialect.Operation;
import dev.idempotency.jdbc.dialect.SqlDialects;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a relational database, over plain JDBC: PostgreSQL, H2, MySQL and MariaDB.
 *
 * <p>This is the store to use when several application instances share the work: every instance sees every claim,
 * and leases and expiry are measured on the database clock, so instances with skewed clocks still agree. Each
 * operation borrows a connection from the {@link DataSource}, runs one statement in autocommit (or, where a
 * {@link SqlDialect} needs several, one short transaction of its own), and returns the connection. A claim must be
 * visible to other instances at once and must survive a rollback of the business transaction, so give the store a
 * plain pool, not a data source that joins the caller's transaction (such as Spring's
 * {@code TransactionAwareDataSourceProxy}).
 *
 * <pre>{@code
 * IdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *         .tableName("idempotency_record")   // the default
 *         .build();                          // dialect detected from the JDBC metadata
 * }</pre>
 *
 * <p>The table comes from the schema files shipped next to this class, applied with {@link JdbcIdempotencySchema},
 * Flyway ({@code classpath:dev/idempotency/jdbc/flyway/{vendor}}) or by hand. {@link SQLException}s surface as
 * {@link IdempotencyStoreException}s naming the operation and key.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

    /** How often a claim transaction that the database rolled back as a deadlock or lost race is run again. */
    static final int MAX_TRANSACTION_ATTEMPTS = 10;

    private final DataSource dataSource;
    private final String tableName;
    private volatile SqlDialect dialect;

    private JdbcIdempotencyStore(Builder builder) {
        this.dataSource = builder.dataSource;
        this.tableName = builder.tableName;
        this.dialect = builder.dialect;
    }

    /** Starts a store on {@code dataSource}, with the default table name and a detected dialect. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /** The validated table name the store's statements use. */
    public String tableName() {
        return tableName;
    }

    /** The dialect in use; detects it on first use when none was set. */
    public SqlDialect dialect() {
        SqlDialect current = dialect;
        if (current == null) {
            synchronized (this) {
                current = dialect;
                if (current == null) {
                    current = SqlDialects.detect(dataSource);
                    dialect = current;
                }
            }
        }
        return current;
    }

    @Override
    public ClaimResult claim(ClaimRequest request) {
        Objects.requireNonNull(request, "request");
        return run(Operation.CLAIM, "claim " + request.key(),
                (dialect, connection) -> dialect.claim(connection, tableName, request));
    }

    @Override
    public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(response, "response");
        requirePositive(retention, "retention");
        return run(Operation.COMPLETE, "complete " + key,
                (dialect, connection) -> dialect.complete(connection, tableName, key, owner, response, retention));
    }

    @Override
    public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        return run(Operation.RELEASE, "release " + key,
                (dialect, connection) -> dialect.release(connection, tableName, key, owner));
    }

    @Override
    public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        requirePositive(lease, "lease");
        return run(Operation.RENEW, "renew " + key,
                (dialect, connection) -> dialect.renew(connection, tableName, key, owner, lease, null));
    }

    @Override
    public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(recoveryPoint, "recoveryPoint");
        requirePositive(lease, "lease");
        return run(Operation.RENEW, "checkpoint " + key,
                (dialect, connection) -> dialect.renew(connection, tableName, key, owner, lease, recoveryPoint));
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey key) {
        Objects.requireNonNull(key, "key");
        return run(Operation.FIND, "find " + key, (dialect, connection) -> dialect.find(connection, tableName, key));
    }

    @Override
    public PurgeResult purgeExpired(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        int deleted = run(Operation.PURGE, "purge expired records",
                (dialect, connection) -> dialect.purgeExpired(connection, tableName, batchSize));
        return new PurgeResult(deleted, batchSize);
    }

    private <T> T run(Operation operation, String description, SqlWork<T> work) {
        SqlDialect dialect = dialect();
        SQLException last = null;
        int attempts = operation == Operation.CLAIM ? MAX_TRANSACTION_ATTEMPTS : 1;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                return runOnce(dialect, operation, work);
            } catch (SQLException e) {
                last = e;
                if (!dialect.isRetryableClaimFailure(e)) {
                    break;
                }
                backOff(attempt);
            }
        }
        throw new IdempotencyStoreException("idempotency store could not " + description + " in table " + tableName
                + " (" + dialect + "): " + last.getMessage(), last);
    }

    /**
     * Runs the work on one borrowed connection. In a transaction when the dialect asks for one: the connection's
     * autocommit and isolation are restored before it goes back to the pool, so a pool that hands out connections
     * with autocommit off still gets the store's work committed.
     */
    private <T> T runOnce(SqlDialect dialect, Operation operation, SqlWork<T> work) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            boolean transaction = dialect.needsTransaction(operation) || !autoCommit;
            if (!transaction) {
                return work.run(dialect, connection);
            }
            int isolation = connection.getTransactionIsolation();
            int wanted = dialect.transactionIsolation();
            try {
                if (autoCommit) {
                    connection.setAutoCommit(false);
                }
                if (wanted != -1 && wanted != isolation) {
                    connection.setTransactionIsolation(wanted);
                }
                T result = work.run(dialect, connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(connection, e);
                throw e;
            } finally {
                if (wanted != -1 && wanted != isolation) {
                    connection.setTransactionIsolation(isolation);
                }
                if (autoCommit) {
                    connection.setAutoCommit(true);
                }
            }
        }
    }

    private static void rollbackQuietly(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            cause.addSuppressed(rollbackFailure);
        }
    }

    private static void backOff(int attempt) {
        try {
            // Short, growing and jittered, so that the losers of one race do not collide again in lockstep.
            Thread.sleep((long) (Math.random() * 5 * attempt) + 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IdempotencyStoreException("interrupted while retrying a claim", e);
        }
    }

    private static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
    }

    @Override
    public String toString() {
        return "JdbcIdempotencyStore[table=" + tableName + ", dialect=" + dialect + "]";
    }

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(SqlDialect dialect, Connection connection) throws SQLException;
    }

    /** Configures a {@link JdbcIdempotencyStore}. */
    public static final class Builder {

        private final DataSource dataSource;
        private String tableName = JdbcIdempotencySchema.DEFAULT_TABLE_NAME;
        private SqlDialect dialect;

        private Builder(DataSource dataSource) {
            this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        }

        /**
         * The table the records live in: a plain or schema-qualified SQL identifier such as
         * {@code idempotency_record} or {@code app.idempotency_record}. It is spliced into SQL, so anything else
         * (quotes, spaces, semicolons) is rejected. Defaults to {@value JdbcIdempotencySchema#DEFAULT_TABLE_NAME}.
         *
         * @throws IllegalArgumentException if the name is not such an identifier
         */
        public Builder tableName(String tableName) {
            this.tableName = JdbcIdempotencySchema.validateTableName(tableName);
            return this;
        }

        /**
         * The SQL dialect, when detection from {@link java.sql.DatabaseMetaData#getDatabaseProductName()} is not
         * wanted or does not work (a compatible database with a product name of its own). Detected on first use
         * when not set.
         */
        public Builder dialect(SqlDialect dialect) {
            this.dialect = Objects.requireNonNull(dialect, "dialect");
            return this;
        }

        public JdbcIdempotencyStore build() {
            return new JdbcIdempotencyStore(this);
        }
    }
}
