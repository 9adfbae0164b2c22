package dev.idempotency.jdbc;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.StatusCounts;
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
import dev.idempotency.jdbc.dialect.SqlDialects;
import dev.idempotency.jdbc.dialect.StaleClaimException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * An {@link IdempotencyStore} in a relational database, over plain JDBC: PostgreSQL, H2, MySQL and MariaDB.
 *
 * <p>This is the store to use when several application instances share the work: every instance sees every claim,
 * and leases and expiry are measured on the database clock, so instances with skewed clocks still agree. Each
 * operation borrows a connection from the {@link DataSource}, runs one statement in autocommit (or, where a
 * {@link SqlDialect} needs several, one short transaction of its own) at the dialect's isolation level, whatever
 * autocommit and isolation the pool hands out, restores those, and returns the connection. A claim must be
 * visible to other instances at once and must survive a rollback of the business transaction, so give the store a
 * plain pool, not a data source that joins the caller's transaction (such as Spring's
 * {@code TransactionAwareDataSourceProxy}).
 *
 * <p>Only checkpoints and renewals may join the caller's transaction, when the store is built with
 * {@link Builder#transactionalConnections} and the calling thread runs one on this {@code DataSource}: the recovery
 * point then commits, or rolls back, with the rows of the phase it ends. Settle the claim ({@code complete},
 * {@code release}) after that transaction ended: its own connection would otherwise wait for the row the transaction
 * has locked.
 *
 * <pre>{@code
 * IdempotencyStore store = JdbcIdempotencyStore.builder(dataSource)
 *         .tableName("idempotency_record")   // the default
 *         .build();                          // dialect detected from the JDBC metadata
 * }</pre>
 *
 * <p>The table comes from the schema files shipped next to this class, applied with {@link JdbcIdempotencySchema},
 * Flyway ({@code classpath:dev/idempotency/jdbc/flyway/{vendor}}) or by hand. A claim that the database rolled
 * back as a deadlock or a lost race, or that saw a row a concurrent transaction had just changed, runs again here,
 * up to 10 times in all; no dialect retries on its own. {@link SQLException}s, and runtime
 * exceptions a dialect throws (a row it cannot map), surface as {@link IdempotencyStoreException}s naming the
 * operation, key and table.
 */
public final class JdbcIdempotencyStore implements IdempotencyStore {

    /**
     * How often a claim is run at most, when the database rolled it back as a deadlock or a lost race, or when it
     * saw a row that a concurrent transaction had changed ({@link StaleClaimException}).
     *
     * <p>Retries live here, and only here, because the store is the one layer that can run a claim again from a
     * clean start: it owns the transaction, so it rolls back what a lock-then-decide dialect did, hands back the
     * connection, waits a jittered moment so the losers of one race do not collide again in lockstep, and begins
     * anew. A dialect only says whether a failure may be retried ({@link SqlDialect#isRetryableClaimFailure}, or
     * by throwing {@link StaleClaimException}); it never loops on its own.
     */
    static final int MAX_CLAIM_ATTEMPTS = 10;

    private static final System.Logger LOG = System.getLogger(JdbcIdempotencyStore.class.getName());

    private final DataSource dataSource;
    private final String tableName;
    private final TransactionalConnections transactions;
    private volatile SqlDialect dialect;
    private volatile boolean poolIsolationMatches;

    private JdbcIdempotencyStore(Builder builder) {
        this.dataSource = builder.dataSource;
        this.tableName = builder.tableName;
        this.dialect = builder.dialect;
        this.transactions = builder.transactions;
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
        return run(StoreOperation.CLAIM, "claim " + request.key(),
                (dialect, connection) -> dialect.claim(connection, tableName, request));
    }

    @Override
    public CompleteResult complete(IdempotencyKey key, OwnerToken owner, StoredResponse response, Duration retention) {
        Objects.requireNonNull(response, "response");
        requirePositive(retention, "retention");
        return fenced(StoreOperation.COMPLETE, key, owner,
                (dialect, connection) -> dialect.complete(connection, tableName, key, owner, response, retention));
    }

    @Override
    public ReleaseResult release(IdempotencyKey key, OwnerToken owner) {
        return fenced(StoreOperation.RELEASE, key, owner,
                (dialect, connection) -> dialect.release(connection, tableName, key, owner));
    }

    @Override
    public RenewResult renew(IdempotencyKey key, OwnerToken owner, Duration lease) {
        return extendLease(StoreOperation.RENEW, key, owner, lease, null);
    }

    @Override
    public RenewResult checkpoint(IdempotencyKey key, OwnerToken owner, RecoveryPoint recoveryPoint, Duration lease) {
        return extendLease(StoreOperation.CHECKPOINT, key, owner, lease,
                Objects.requireNonNull(recoveryPoint, "recoveryPoint"));
    }

    /**
     * Renew and checkpoint: inside a transaction {@link TransactionalConnections} finds, on that transaction's
     * connection, so a recovery point commits with the rows of its phase and a renewal does not wait for the row that
     * transaction has locked; otherwise on a connection of their own.
     */
    private RenewResult extendLease(StoreOperation operation, IdempotencyKey key, OwnerToken owner, Duration lease,
            RecoveryPoint recoveryPoint) {
        requirePositive(lease, "lease");
        SqlWork<RenewResult> work = (dialect, connection) -> dialect.renew(connection, tableName, key, owner, lease, recoveryPoint);
        Optional<TransactionalConnections.JoinedTransaction> joined;
        try {
            joined = transactions.current(dataSource);
        } catch (SQLException | RuntimeException e) {
            throw new IdempotencyStoreException("idempotency store could not find the transaction to "
                    + operation.name().toLowerCase(Locale.ROOT) + " " + key + " in: " + e, e);
        }
        if (joined.isEmpty()) {
            return fenced(operation, key, owner, work);
        }
        return inTransaction(joined.get(), operation, key, owner, work);
    }

    /**
     * Runs a fenced write on the caller's transaction. When it matches no row, or fails, the transaction is marked
     * rollback-only: the rows the caller wrote in it must not commit without their recovery point, nor after another
     * run took the key over.
     */
    private RenewResult inTransaction(TransactionalConnections.JoinedTransaction transaction, StoreOperation operation,
            IdempotencyKey key, OwnerToken owner, SqlWork<RenewResult> work) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        String description = operation.name().toLowerCase(Locale.ROOT) + " " + key;
        SqlDialect dialect = dialect();
        try (transaction) {
            RenewResult result;
            try {
                result = work.run(dialect, transaction.connection());
            } catch (SQLException | RuntimeException e) {
                transaction.setRollbackOnly();
                throw e;
            }
            if (result instanceof RenewResult.OwnershipLost) {
                transaction.setRollbackOnly();
            }
            return result;
        } catch (SQLException | RuntimeException e) {
            throw new IdempotencyStoreException("idempotency store could not " + description + " in table " + tableName
                    + " (" + dialect + ") within the caller's transaction: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<IdempotencyRecord> find(IdempotencyKey key) {
        Objects.requireNonNull(key, "key");
        return run(StoreOperation.FIND, "find " + key, (dialect, connection) -> dialect.find(connection, tableName, key));
    }

    @Override
    public InspectResult inspect(IdempotencyKey key) {
        Objects.requireNonNull(key, "key");
        return run(StoreOperation.FIND, "inspect " + key,
                (dialect, connection) -> dialect.inspect(connection, tableName, key));
    }

    @Override
    public DeleteResult deleteCompleted(IdempotencyKey key, OwnerToken owner) {
        return fenced(StoreOperation.RELEASE, key, owner,
                (dialect, connection) -> dialect.deleteCompleted(connection, tableName, key, owner));
    }

    @Override
    public StatusCounts countByStatus() {
        return run(StoreOperation.FIND, "count records by status",
                (dialect, connection) -> dialect.countByStatus(connection, tableName));
    }

    @Override
    public PurgeResult purgeExpired(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        }
        int deleted = run(StoreOperation.PURGE, "purge expired records",
                (dialect, connection) -> dialect.purgeExpired(connection, tableName, batchSize));
        return new PurgeResult(deleted, batchSize);
    }

    /** Runs one of the writes fenced by the owner token: complete, release, renew, checkpoint. */
    private <T> T fenced(StoreOperation operation, IdempotencyKey key, OwnerToken owner, SqlWork<T> work) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        return run(operation, operation.name().toLowerCase(Locale.ROOT) + " " + key, work);
    }

    private <T> T run(StoreOperation operation, String description, SqlWork<T> work) {
        SqlDialect dialect = dialect();
        SQLException last = null;
        int attempts = operation == StoreOperation.CLAIM ? MAX_CLAIM_ATTEMPTS : 1;
        int attempt = 1;
        for (; attempt <= attempts; attempt++) {
            try {
                return runOnce(dialect, operation, work);
            } catch (SQLException e) {
                last = e;
                if (!(e instanceof StaleClaimException || dialect.isRetryableClaimFailure(e)) || attempt == attempts) {
                    break;
                }
                backOff(attempt);
            } catch (IdempotencyStoreException e) {
                throw e;
            } catch (RuntimeException e) {
                // A dialect that cannot map a row (an unknown status, corrupt stored headers) or trips over a
                // value it did not expect: still a failure of this store, for this key, in this table.
                throw new IdempotencyStoreException("idempotency store could not " + description + " in table "
                        + tableName + " (" + dialect + "): " + e, e);
            }
        }
        throw new IdempotencyStoreException("idempotency store could not " + description + " in table " + tableName
                + " (" + dialect + ")" + (attempt > 1 ? " in " + attempt + " attempts" : "") + ": "
                + last.getMessage(), last);
    }

    /**
     * Runs the work on one borrowed connection, whatever the pool's defaults: in autocommit, or in a transaction
     * of its own when the dialect asks for one, and at the dialect's isolation level when it names one. A pool
     * that hands out connections with autocommit off or at REPEATABLE READ therefore neither leaves the store's
     * single statements uncommitted nor runs them against an old snapshot. The connection's autocommit and
     * isolation are restored before it goes back to the pool; when that fails, its state is unknown, so it is
     * aborted instead (the failure is attached to the work's own failure, if any, and otherwise reported through
     * {@link System.Logger}, since the work itself was done and committed).
     */
    private <T> T runOnce(SqlDialect dialect, StoreOperation operation, SqlWork<T> work) throws SQLException {
        Connection connection = dataSource.getConnection();
        boolean aborted = false;
        Throwable failure = null;
        try {
            boolean transaction = dialect.needsTransaction(operation);
            boolean autoCommit = connection.getAutoCommit();
            int wanted = dialect.transactionIsolation();
            int isolation = -1;
            boolean changeIsolation = false;
            if (wanted != -1 && !poolIsolationMatches) {
                // Some drivers (PostgreSQL's among them) ask the server for the isolation level, which would add a
                // round trip to every operation. Once a connection from this pool has shown the level the dialect
                // wants, later ones are trusted to have it too: pools reset a connection's isolation on return.
                isolation = connection.getTransactionIsolation();
                if (isolation == wanted) {
                    poolIsolationMatches = true;
                } else {
                    changeIsolation = true;
                }
            }
            boolean changeAutoCommit = autoCommit == transaction;
            boolean manualCommit = !autoCommit;
            T result;
            try {
                // Isolation first: no transaction is open yet in either autocommit mode, so every driver takes it.
                if (changeIsolation) {
                    connection.setTransactionIsolation(wanted);
                }
                if (changeAutoCommit) {
                    connection.setAutoCommit(!transaction);
                    manualCommit = transaction;
                }
                result = work.run(dialect, connection);
                if (transaction) {
                    connection.commit();
                }
            } catch (SQLException | RuntimeException e) {
                if (manualCommit) {
                    rollbackQuietly(connection, e);
                }
                aborted = !restore(connection, changeAutoCommit, autoCommit, changeIsolation, isolation, e);
                throw e;
            }
            aborted = !restore(connection, changeAutoCommit, autoCommit, changeIsolation, isolation, null);
            return result;
        } catch (SQLException | RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            close(connection, aborted, failure);
        }
    }

    /**
     * Puts the connection's autocommit and isolation back as the pool handed it out. Returns whether that
     * worked; if not, the connection has been aborted and the reset failure is attached to {@code cause}, or
     * logged when there is none.
     */
    private boolean restore(Connection connection, boolean changeAutoCommit, boolean autoCommit,
            boolean changeIsolation, int isolation, Throwable cause) {
        try {
            if (changeAutoCommit) {
                connection.setAutoCommit(autoCommit);
            }
            if (changeIsolation) {
                connection.setTransactionIsolation(isolation);
            }
            return true;
        } catch (SQLException | RuntimeException resetFailure) {
            if (cause != null) {
                cause.addSuppressed(resetFailure);
            } else {
                LOG.log(System.Logger.Level.WARNING, "idempotency store could not restore the autocommit and "
                        + "isolation of a connection after its work in table " + tableName
                        + "; aborting the connection so the pool does not hand it out again", resetFailure);
            }
            try {
                connection.abort(Runnable::run);
            } catch (SQLException | RuntimeException abortFailure) {
                resetFailure.addSuppressed(abortFailure);
            }
            return false;
        }
    }

    /**
     * Returns the connection to the pool. After an abort, closing may fail (the pool finds the connection dead),
     * which is expected and must not turn done work into an error; any other close failure is attached to the
     * work's failure, or thrown when there is none.
     */
    private static void close(Connection connection, boolean aborted, Throwable failure) throws SQLException {
        try {
            connection.close();
        } catch (SQLException | RuntimeException closeFailure) {
            if (failure != null) {
                failure.addSuppressed(closeFailure);
            } else if (!aborted) {
                throw closeFailure;
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

    @FunctionalInterface
    private interface SqlWork<T> {
        T run(SqlDialect dialect, Connection connection) throws SQLException;
    }

    /** Names the table and the dialect, once detected: what a startup log line should say about the store. */
    @Override
    public String toString() {
        SqlDialect current = dialect;
        return "JDBC store (table " + tableName + ", "
                + (current == null ? "dialect detected on first use" : current.getClass().getSimpleName()) + ")";
    }

    /** Configures a {@link JdbcIdempotencyStore}. */
    public static final class Builder {

        private final DataSource dataSource;
        private String tableName = JdbcIdempotencySchema.DEFAULT_TABLE_NAME;
        private SqlDialect dialect;
        private TransactionalConnections transactions = TransactionalConnections.NONE;

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

        /**
         * How to find the caller's transaction, which checkpoints and renewals then join; see
         * {@link TransactionalConnections}. Defaults to {@link TransactionalConnections#NONE}: every operation commits
         * on its own connection.
         */
        public Builder transactionalConnections(TransactionalConnections transactions) {
            this.transactions = Objects.requireNonNull(transactions, "transactions");
            return this;
        }

        public JdbcIdempotencyStore build() {
            return new JdbcIdempotencyStore(this);
        }
    }
}
