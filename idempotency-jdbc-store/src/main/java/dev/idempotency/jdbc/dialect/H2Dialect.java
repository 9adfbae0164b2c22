package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.IdempotencyStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * H2 2.x, for tests and embedded use; tested in its regular mode and in PostgreSQL compatibility mode.
 *
 * <p>H2 has neither an upsert with a condition that works in every mode nor {@code RETURNING}, so the claim runs as
 * a short transaction that takes the row lock first and decides second:
 * <ol>
 *   <li>{@code SELECT ... FOR UPDATE} the key's row, together with {@code CURRENT_TIMESTAMP}, which H2 keeps fixed
 *       for the transaction. The lock makes the read and the following write one atomic step; every concurrent
 *       claim of the key waits here.</li>
 *   <li>No row: {@code INSERT} a fresh record. When a concurrent claim inserted the key first, the primary key
 *       rejects this insert; the store rolls back and runs the claim again, which then finds that row.</li>
 *   <li>A row whose TTL passed: overwrite it with a fresh record (not a takeover).</li>
 *   <li>An in-progress row with an expired lease and the same fingerprint: take it over: new token and lease, the
 *       fingerprint, creation time and recovery point kept, the expiry pushed out to cover the lease.</li>
 *   <li>Otherwise the row is the answer: completed or in progress.</li>
 * </ol>
 * An acquired record is read back in the same transaction, so it carries the times H2 computed.
 */
public class H2Dialect extends SqlDialect {

    private static final String LOCK = """
            SELECT %s, CURRENT_TIMESTAMP AS db_now
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?
               FOR UPDATE""".formatted(COLUMNS);

    private static final String INSERT = """
            INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                 created_at, expires_at)
            VALUES (?, ?, ?, 'IN_PROGRESS', ?, {nowPlusMillis}, CURRENT_TIMESTAMP, {nowPlusMillis})""";

    private static final String RECLAIM_EXPIRED = """
            UPDATE {table}
               SET fingerprint = ?,
                   status = 'IN_PROGRESS',
                   owner_token = ?,
                   lease_expires_at = {nowPlusMillis},
                   response_status = NULL,
                   response_headers = NULL,
                   response_body = NULL,
                   recovery_phase = NULL,
                   recovery_payload = NULL,
                   created_at = CURRENT_TIMESTAMP,
                   expires_at = {nowPlusMillis},
                   completed_at = NULL
             WHERE scope = ? AND idempotency_key = ?""";

    private static final String TAKE_OVER = """
            UPDATE {table}
               SET owner_token = ?,
                   lease_expires_at = {nowPlusMillis},
                   expires_at = GREATEST(expires_at, {nowPlusMillis})
             WHERE scope = ? AND idempotency_key = ?""";

    private static final String READ_BACK = """
            SELECT %s
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?""".formatted(COLUMNS);

    private static final String PURGE = """
            DELETE FROM {table}
             WHERE expires_at <= CURRENT_TIMESTAMP
             FETCH FIRST ? ROWS ONLY""";

    public H2Dialect() {}

    @Override
    public String platform() {
        return "h2";
    }

    @Override
    protected String now() {
        return "CURRENT_TIMESTAMP";
    }

    @Override
    protected String nowPlusMillis() {
        return "DATEADD(MILLISECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)";
    }

    @Override
    public boolean needsTransaction(Operation operation) {
        return operation == Operation.CLAIM || operation == Operation.COMPLETE || operation == Operation.RENEW;
    }

    /**
     * A lost insert race (duplicate key, 23505), a lock wait that timed out (HYT00, error 50200) or H2's
     * "concurrent update" (90131) and deadlock (40001): all roll back, and the claim can run again.
     */
    @Override
    public boolean isRetryableClaimFailure(SQLException e) {
        String state = e.getSQLState();
        return "23505".equals(state) || "40001".equals(state) || "HYT00".equals(state)
                || e.getErrorCode() == 90131 || e.getErrorCode() == 50200;
    }

    @Override
    public ClaimResult claim(Connection connection, String table, ClaimRequest request) throws SQLException {
        IdempotencyKey key = request.key();
        IdempotencyRecord existing = null;
        Instant now = null;
        try (PreparedStatement ps = connection.prepareStatement(sql(LOCK, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    existing = readRecord(rs);
                    now = readInstant(rs, "db_now");
                }
            }
        }
        long leaseMillis = toMillis(request.lease());
        if (existing == null) {
            try (PreparedStatement ps = connection.prepareStatement(sql(INSERT, table))) {
                ps.setString(1, key.scope());
                ps.setString(2, key.key());
                ps.setString(3, request.fingerprint().value());
                ps.setString(4, request.ownerToken().value());
                ps.setLong(5, leaseMillis);
                ps.setLong(6, toMillis(request.ttl()));
                ps.executeUpdate();
            }
            return new ClaimResult.Acquired(readBack(connection, table, key), false);
        }
        if (!existing.expiresAt().isAfter(now)) {
            try (PreparedStatement ps = connection.prepareStatement(sql(RECLAIM_EXPIRED, table))) {
                ps.setString(1, request.fingerprint().value());
                ps.setString(2, request.ownerToken().value());
                ps.setLong(3, leaseMillis);
                ps.setLong(4, toMillis(request.ttl()));
                ps.setString(5, key.scope());
                ps.setString(6, key.key());
                ps.executeUpdate();
            }
            return new ClaimResult.Acquired(readBack(connection, table, key), false);
        }
        if (existing.isCompleted()) {
            return new ClaimResult.AlreadyCompleted(existing);
        }
        boolean leaseExpired = !existing.leaseExpiresAt().isAfter(now);
        if (leaseExpired && existing.fingerprint().equals(request.fingerprint())) {
            try (PreparedStatement ps = connection.prepareStatement(sql(TAKE_OVER, table))) {
                ps.setString(1, request.ownerToken().value());
                ps.setLong(2, leaseMillis);
                ps.setLong(3, leaseMillis);
                ps.setString(4, key.scope());
                ps.setString(5, key.key());
                ps.executeUpdate();
            }
            return new ClaimResult.Acquired(readBack(connection, table, key), true);
        }
        return existing.status() == IdempotencyStatus.IN_PROGRESS
                ? new ClaimResult.InProgress(existing)
                : new ClaimResult.AlreadyCompleted(existing);
    }

    private IdempotencyRecord readBack(Connection connection, String table, IdempotencyKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(READ_BACK, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the claimed record " + key + " is gone within the claim's transaction");
                }
                return readRecord(rs);
            }
        }
    }

    @Override
    public int purgeExpired(Connection connection, String table, int batchSize) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(PURGE, table))) {
            ps.setInt(1, batchSize);
            return ps.executeUpdate();
        }
    }
}
