package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.RequestFingerprint;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.DeleteResult;
import dev.idempotency.core.store.InspectResult;
import dev.idempotency.core.store.StatusCounts;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.ReleaseResult;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The SQL of one database, for {@link dev.idempotency.jdbc.JdbcIdempotencyStore}.
 *
 * <p>Only the claim really differs between databases: it must be one atomic arbiter, and each database offers a
 * different tool for that (PostgreSQL's {@code INSERT ... ON CONFLICT DO NOTHING} and a fenced update, the row lock that
 * MySQL's {@code INSERT ... ON DUPLICATE KEY UPDATE} takes and {@code SELECT ... FOR UPDATE} reads, H2's row lock
 * under {@code SELECT ... FOR UPDATE}). So each dialect owns {@link #claim}; the ones that lock the row first and
 * decide second share {@link LockingSqlDialect}, and every claim follows
 * {@link dev.idempotency.core.store.ClaimDecision}. The fenced writes (complete, renew, checkpoint, release), the read and the purge are written
 * once here, in terms of two expressions a dialect supplies: the database clock ({@link #now()}) and "the clock
 * plus a number of milliseconds" ({@link #nowPlusMillis()}). Durations travel as milliseconds and are added on the
 * database, so application servers whose clocks disagree still agree on every lease and expiry.
 *
 * <p>Every method runs on the connection it is given and neither commits nor closes it. The store opens a short
 * transaction around the methods for which {@link #needsTransaction} says so and runs the rest in autocommit.
 * Statements use {@code {table}} as a placeholder for the table name, which the store has validated as an
 * identifier before it reaches here.
 *
 * <p>Subclass this to support another database; the contract suite {@code IdempotencyStoreContractTest} from the
 * {@code idempotency-core} test-jar tells whether the subclass is right.
 */
public abstract class SqlDialect {

    /** The columns of a record, in the order {@link #readRecord} expects them. */
    protected static final String COLUMNS = """
            scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at, response_status, \
            response_headers, response_body, recovery_phase, recovery_payload, created_at, expires_at""";

    protected SqlDialect() {}

    /**
     * The platform id of this dialect, as used in the names of the shipped schema files
     * ({@code schema-<id>.sql}) and by Spring Boot's {@code {vendor}} placeholder: {@code postgresql}, {@code h2},
     * {@code mariadb}.
     */
    public abstract String platform();

    /** The database clock as an SQL expression, fixed for the duration of one statement. */
    protected abstract String now();

    /** The database clock plus one {@code BIGINT} parameter of milliseconds, as an SQL expression. */
    protected abstract String nowPlusMillis();

    /**
     * Atomically claims a key, with the semantics of {@link dev.idempotency.core.store.IdempotencyStore#claim}.
     * Must not read first and write second without a lock that makes the pair atomic, and must not leave the
     * connection's transaction unusable when the key is taken.
     *
     * @param table the validated table name
     */
    public abstract ClaimResult claim(Connection connection, String table, ClaimRequest request) throws SQLException;

    /**
     * Whether {@code operation} needs the store to run it in a transaction of its own because it issues more than
     * one statement that must see each other's locks. Autocommit suffices for single statements.
     */
    public boolean needsTransaction(StoreOperation operation) {
        return false;
    }

    /**
     * The isolation level for the transactions {@link #needsTransaction} asks for, or {@code -1} to keep the
     * connection's own.
     */
    public int transactionIsolation() {
        return -1;
    }

    /**
     * Whether a failed claim transaction may simply be run again: a deadlock victim, a lock wait that timed out, or
     * a lost race to insert the key, all of which the database rolled back entirely. PostgreSQL's claim never
     * needs this. A {@link StaleClaimException} is always run again, whatever this says.
     */
    public boolean isRetryableClaimFailure(SQLException e) {
        return false;
    }

    /**
     * Binds a fresh record's parameters, in the order every claim statement here takes them: scope, key,
     * fingerprint, owner token, lease and TTL in milliseconds. Returns the next parameter index.
     */
    protected int bindFreshRecord(PreparedStatement ps, ClaimRequest request) throws SQLException {
        IdempotencyKey key = request.key();
        ps.setString(1, key.scope());
        ps.setString(2, key.key());
        ps.setString(3, request.fingerprint().value());
        ps.setString(4, request.ownerToken().value());
        ps.setLong(5, toMillis(request.lease()));
        ps.setLong(6, toMillis(request.ttl()));
        return 7;
    }

    /**
     * Stores the response and marks the record completed, fenced by the owner token. The new expiry is computed
     * on the database clock and read back.
     */
    public CompleteResult complete(Connection connection, String table, IdempotencyKey key, OwnerToken owner,
            StoredResponse response, Duration retention) throws SQLException {
        String update = sql("""
                UPDATE {table}
                   SET status = 'COMPLETED',
                       response_status = ?,
                       response_headers = ?,
                       response_body = ?,
                       lease_expires_at = NULL,
                       completed_at = {now},
                       expires_at = {nowPlusMillis}
                 WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'""", table);
        int updated;
        try (PreparedStatement ps = connection.prepareStatement(update)) {
            ps.setInt(1, response.status());
            setBytes(ps, 2, response.encodeHeaders());
            setBytes(ps, 3, response.body());
            ps.setLong(4, toMillis(retention));
            ps.setString(5, key.scope());
            ps.setString(6, key.key());
            ps.setString(7, owner.value());
            updated = ps.executeUpdate();
        }
        if (updated == 0) {
            return new CompleteResult.OwnershipLost();
        }
        // The owner token is unique to this claim and the record is now completed, so nobody else can change it
        // before this read within the same transaction, and only a purge after the retention could afterwards.
        Instant expiresAt = readOwnedInstant(connection, table, key, owner, "expires_at");
        return new CompleteResult.Completed(expiresAt);
    }

    /** Deletes the caller's in-progress record, fenced by the owner token. */
    public ReleaseResult release(Connection connection, String table, IdempotencyKey key, OwnerToken owner)
            throws SQLException {
        String delete = sql("""
                DELETE FROM {table}
                 WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'""", table);
        try (PreparedStatement ps = connection.prepareStatement(delete)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            ps.setString(3, owner.value());
            return ps.executeUpdate() == 0 ? new ReleaseResult.OwnershipLost() : new ReleaseResult.Released();
        }
    }

    /**
     * Extends the caller's lease to {@code lease} from now on the database clock, pushes the expiry out when the
     * new lease would outlive it, and, when {@code recoveryPoint} is not {@code null}, records it. Fenced by the
     * owner token.
     */
    public RenewResult renew(Connection connection, String table, IdempotencyKey key, OwnerToken owner,
            Duration lease, @Nullable RecoveryPoint recoveryPoint) throws SQLException {
        int updated;
        try (PreparedStatement ps = connection.prepareStatement(renewSql(table, recoveryPoint != null))) {
            int i = bindRenew(ps, lease, recoveryPoint);
            ps.setString(i++, key.scope());
            ps.setString(i++, key.key());
            ps.setString(i, owner.value());
            updated = ps.executeUpdate();
        }
        if (updated == 0) {
            return new RenewResult.OwnershipLost();
        }
        return new RenewResult.Renewed(readOwnedInstant(connection, table, key, owner, "lease_expires_at"));
    }

    /**
     * The renew update. Both the lease and the expiry are computed from the same clock reading, so the invariant
     * {@code expires_at >= lease_expires_at} holds after it.
     */
    protected String renewSql(String table, boolean withRecoveryPoint) {
        return sql("""
                UPDATE {table}
                   SET lease_expires_at = {nowPlusMillis},
                       expires_at = CASE WHEN expires_at < {nowPlusMillis} THEN {nowPlusMillis} ELSE expires_at END"""
                + (withRecoveryPoint ? """
                ,
                       recovery_phase = ?,
                       recovery_payload = ?""" : "") + """

                 WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'""", table);
    }

    /** Binds the parameters of {@link #renewSql} that precede the key; returns the next parameter index. */
    protected int bindRenew(PreparedStatement ps, Duration lease, @Nullable RecoveryPoint recoveryPoint) throws SQLException {
        long millis = toMillis(lease);
        int i = 1;
        ps.setLong(i++, millis);
        ps.setLong(i++, millis);
        ps.setLong(i++, millis);
        if (recoveryPoint != null) {
            ps.setString(i++, recoveryPoint.phase());
            ps.setString(i++, recoveryPoint.payload());
        }
        return i;
    }

    /** Reads a record whose TTL has not passed by the database clock. */
    public Optional<IdempotencyRecord> find(Connection connection, String table, IdempotencyKey key)
            throws SQLException {
        String select = sql("SELECT " + COLUMNS + """

                  FROM {table}
                 WHERE scope = ? AND idempotency_key = ? AND expires_at > {now}""", table);
        try (PreparedStatement ps = connection.prepareStatement(select)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(readRecord(rs)) : Optional.empty();
            }
        }
    }

    /**
     * Reads a record whose TTL has not passed together with the database clock, in one statement, so that whether its
     * lease expired is judged on the clock that set it.
     */
    public InspectResult inspect(Connection connection, String table, IdempotencyKey key) throws SQLException {
        String select = sql("SELECT " + COLUMNS + ", {now} AS db_now" + """

                  FROM {table}
                 WHERE scope = ? AND idempotency_key = ? AND expires_at > {now}""", table);
        try (PreparedStatement ps = connection.prepareStatement(select)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new InspectResult.Found(readRecord(rs), readInstant(rs, "db_now"))
                        : new InspectResult.NotFound();
            }
        }
    }

    /** Deletes a completed record, fenced by the owner token, in one statement. */
    public DeleteResult deleteCompleted(Connection connection, String table, IdempotencyKey key, OwnerToken owner)
            throws SQLException {
        String delete = sql("""
                DELETE FROM {table}
                 WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'COMPLETED'""", table);
        try (PreparedStatement ps = connection.prepareStatement(delete)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            ps.setString(3, owner.value());
            return ps.executeUpdate() == 0 ? new DeleteResult.NotDeleted() : new DeleteResult.Deleted();
        }
    }

    /**
     * Counts the records whose TTL has not passed by status, in one statement on the database clock, without locking
     * a row. It visits every live record (found through the expiry index), so it is for operators asking on demand,
     * not for every request.
     */
    public StatusCounts countByStatus(Connection connection, String table) throws SQLException {
        String count = sql("""
                SELECT COUNT(CASE WHEN status = 'IN_PROGRESS' THEN 1 END) AS in_progress,
                       COUNT(CASE WHEN status = 'IN_PROGRESS' AND lease_expires_at <= {now} THEN 1 END) AS lease_expired,
                       COUNT(CASE WHEN status = 'COMPLETED' THEN 1 END) AS completed
                  FROM {table}
                 WHERE expires_at > {now}""", table);
        try (PreparedStatement ps = connection.prepareStatement(count);
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return new StatusCounts.Counted(rs.getLong("in_progress"), rs.getLong("lease_expired"), rs.getLong("completed"));
        }
    }

    /**
     * Deletes up to {@code batchSize} records whose TTL passed and returns how many it deleted. Each database has
     * its own way to bound a delete. Where the database can skip locked rows, the purge should do so rather than
     * wait on a row a claim or a fenced write holds (PostgreSQL, MariaDB 10.6+ and MySQL 8.0+ do, with
     * {@code SKIP LOCKED}); elsewhere (H2, older MySQL and MariaDB) it waits on such a row until its holder ends
     * its transaction.
     */
    public abstract int purgeExpired(Connection connection, String table, int batchSize) throws SQLException;

    /** Replaces {@code {table}}, {@code {now}} and {@code {nowPlusMillis}} in a statement template. */
    protected String sql(String template, String table) {
        // Built once per statement and table: the claim statement alone is kilobytes, and an identical String
        // instance also spares the driver re-hashing it to find its prepared statement.
        return statements.computeIfAbsent(new StatementKey(template, table), k ->
                template.replace("{table}", table).replace("{nowPlusMillis}", nowPlusMillis()).replace("{now}", now()));
    }

    private final java.util.concurrent.ConcurrentMap<StatementKey, String> statements =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Templates are constants, so identity would do; equality keeps this correct for templates built at runtime. */
    private record StatementKey(String template, String table) {}

    /** Reads one timestamp column written by the database clock. */
    protected @Nullable Instant readInstant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    /** Reads a byte column; the default is {@link ResultSet#getBytes}, which every driver here supports for BLOBs. */
    protected byte[] readBytes(ResultSet rs, String column) throws SQLException {
        return rs.getBytes(column);
    }

    /** Binds a byte parameter. */
    protected void setBytes(PreparedStatement ps, int index, byte[] bytes) throws SQLException {
        if (bytes == null) {
            ps.setNull(index, Types.VARBINARY);
        } else {
            ps.setBytes(index, bytes);
        }
    }

    /** Maps the row under the cursor, which carries at least {@link #COLUMNS}, to a record. */
    protected IdempotencyRecord readRecord(ResultSet rs) throws SQLException {
        IdempotencyStatus status = IdempotencyStatus.valueOf(rs.getString("status"));
        StoredResponse response = null;
        if (status == IdempotencyStatus.COMPLETED) {
            int responseStatus = rs.getInt("response_status");
            byte[] headers = readBytes(rs, "response_headers");
            byte[] body = readBytes(rs, "response_body");
            response = new StoredResponse(responseStatus, StoredResponse.decodeHeaders(headers),
                    body == null ? new byte[0] : body);
        }
        String phase = rs.getString("recovery_phase");
        RecoveryPoint recoveryPoint = null;
        if (phase != null) {
            String payload = rs.getString("recovery_payload");
            recoveryPoint = new RecoveryPoint(phase, payload == null ? "" : payload);
        }
        return new IdempotencyRecord(
                new IdempotencyKey(rs.getString("scope"), rs.getString("idempotency_key")),
                new RequestFingerprint(rs.getString("fingerprint")),
                status,
                new OwnerToken(rs.getString("owner_token")),
                readInstant(rs, "lease_expires_at"),
                response,
                recoveryPoint,
                readInstant(rs, "created_at"),
                readInstant(rs, "expires_at"));
    }

    /**
     * Reads one timestamp of a record the caller has just changed under its own owner token, within the same
     * transaction, for databases without {@code RETURNING}.
     */
    protected Instant readOwnedInstant(Connection connection, String table, IdempotencyKey key, OwnerToken owner,
            String column) throws SQLException {
        String select = sql("SELECT " + column + """

                  FROM {table}
                 WHERE scope = ? AND idempotency_key = ? AND owner_token = ?""", table);
        try (PreparedStatement ps = connection.prepareStatement(select)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            ps.setString(3, owner.value());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the record " + key + " changed by owner " + owner
                            + " is gone within the same transaction");
                }
                return readInstant(rs, column);
            }
        }
    }

    /**
     * A duration as whole milliseconds, rounded up so that a positive duration never becomes zero: a zero lease
     * would make a fresh claim indistinguishable from a takeover.
     */
    protected static long toMillis(Duration duration) {
        long millis = duration.toMillis();
        return duration.equals(Duration.ofMillis(millis)) ? millis : millis + 1;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName();
    }
}
