package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * MariaDB (10.3 and later; tested on 10.11) and MySQL (8.0.17 and later, for the {@code utf8mb4_0900_bin} collation
 * in {@code schema-mysql.sql}; the statements themselves also run on 5.7). The upsert uses {@code VALUES(col)},
 * which MySQL 8.0.20+ reports as deprecated but still runs, and which MariaDB supports without a warning; the
 * row-alias syntax that replaces it on MySQL does not exist on MariaDB.
 *
 * <p>Times are {@code DATETIME(6)} holding UTC, written with {@code UTC_TIMESTAMP(6)} (fixed for one statement) and
 * read back as UTC, so neither the server's nor the session's time zone shifts them.
 *
 * <p>The claim runs as a short READ COMMITTED transaction of two statements:
 * <ol>
 *   <li>{@code INSERT ... ON DUPLICATE KEY UPDATE} is the arbiter. It inserts a fresh record, or takes the existing
 *       row's lock and changes it only when its TTL passed (a fresh record) or when it is in progress with an
 *       expired lease and the same fingerprint (a takeover). MySQL evaluates the assignments left to right and each
 *       one sees the columns assigned before it, so the order matters: first the columns a fresh record resets,
 *       decided on the untouched {@code expires_at}; then {@code owner_token}, decided on the untouched status,
 *       lease, expiry and fingerprint; every later column asks only whether {@code owner_token} is now this
 *       claim's token, which is true exactly when the claim won, because tokens are unique.</li>
 *   <li>{@code SELECT ... FOR UPDATE} in the same transaction reads the row the upsert has locked. The claim won if
 *       the row carries this claim's token. It was a takeover if the creation time was kept, which shows as
 *       {@code lease_expires_at - created_at} exceeding the lease just granted: a fresh record was created at the
 *       instant its lease started.</li>
 * </ol>
 * A deadlock between concurrent upserts of one new key, which InnoDB can report, rolls the whole transaction back,
 * and the store runs the claim again.
 *
 * <p>MySQL has no {@code RETURNING} on updates, so complete and renew read back the times they wrote in their
 * transaction. The purge deletes a bounded batch with {@code DELETE ... LIMIT} in READ COMMITTED, which takes no gap
 * locks and so does not hold up claims of new keys.
 */
public class MariaDbDialect extends SqlDialect {

    private static final String CLAIM = """
            INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                 response_status, response_headers, response_body, recovery_phase, recovery_payload,
                                 created_at, expires_at, completed_at)
            VALUES (?, ?, ?, 'IN_PROGRESS', ?, {nowPlusMillis}, NULL, NULL, NULL, NULL, NULL,
                    UTC_TIMESTAMP(6), {nowPlusMillis}, NULL)
            ON DUPLICATE KEY UPDATE
                recovery_phase = IF(expires_at <= UTC_TIMESTAMP(6), NULL, recovery_phase),
                recovery_payload = IF(expires_at <= UTC_TIMESTAMP(6), NULL, recovery_payload),
                created_at = IF(expires_at <= UTC_TIMESTAMP(6), VALUES(created_at), created_at),
                owner_token = IF(expires_at <= UTC_TIMESTAMP(6)
                                 OR (status = 'IN_PROGRESS' AND lease_expires_at <= UTC_TIMESTAMP(6)
                                     AND fingerprint = VALUES(fingerprint)),
                                 VALUES(owner_token), owner_token),
                response_status = IF(owner_token = VALUES(owner_token), NULL, response_status),
                response_headers = IF(owner_token = VALUES(owner_token), NULL, response_headers),
                response_body = IF(owner_token = VALUES(owner_token), NULL, response_body),
                completed_at = IF(owner_token = VALUES(owner_token), NULL, completed_at),
                expires_at = IF(owner_token = VALUES(owner_token),
                                IF(expires_at <= UTC_TIMESTAMP(6), VALUES(expires_at),
                                   GREATEST(expires_at, VALUES(lease_expires_at))),
                                expires_at),
                fingerprint = IF(owner_token = VALUES(owner_token), VALUES(fingerprint), fingerprint),
                status = IF(owner_token = VALUES(owner_token), 'IN_PROGRESS', status),
                lease_expires_at = IF(owner_token = VALUES(owner_token), VALUES(lease_expires_at), lease_expires_at)""";

    private static final String READ_LOCKED = """
            SELECT %s
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?
               FOR UPDATE""".formatted(COLUMNS);

    private static final String PURGE = """
            DELETE FROM {table}
             WHERE expires_at <= UTC_TIMESTAMP(6)
             LIMIT ?""";

    public MariaDbDialect() {}

    @Override
    public String platform() {
        return "mariadb";
    }

    @Override
    protected String now() {
        return "UTC_TIMESTAMP(6)";
    }

    @Override
    protected String nowPlusMillis() {
        return "TIMESTAMPADD(MICROSECOND, ? * 1000, UTC_TIMESTAMP(6))";
    }

    @Override
    public boolean needsTransaction(Operation operation) {
        return operation == Operation.CLAIM || operation == Operation.COMPLETE || operation == Operation.RENEW
                || operation == Operation.PURGE;
    }

    /** READ COMMITTED: no gap locks, so claims of neighbouring new keys and the purge do not block each other. */
    @Override
    public int transactionIsolation() {
        return Connection.TRANSACTION_READ_COMMITTED;
    }

    /** Deadlock (40001, error 1213) and lock wait timeout (error 1205): InnoDB rolled the claim back. */
    @Override
    public boolean isRetryableClaimFailure(SQLException e) {
        return "40001".equals(e.getSQLState()) || e.getErrorCode() == 1213 || e.getErrorCode() == 1205;
    }

    @Override
    public ClaimResult claim(Connection connection, String table, ClaimRequest request) throws SQLException {
        IdempotencyKey key = request.key();
        long leaseMillis = toMillis(request.lease());
        try (PreparedStatement ps = connection.prepareStatement(sql(CLAIM, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            ps.setString(3, request.fingerprint().value());
            ps.setString(4, request.ownerToken().value());
            ps.setLong(5, leaseMillis);
            ps.setLong(6, toMillis(request.ttl()));
            ps.executeUpdate();
        }
        IdempotencyRecord record;
        try (PreparedStatement ps = connection.prepareStatement(sql(READ_LOCKED, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("the record " + key + " is gone right after the claim's upsert");
                }
                record = readRecord(rs);
            }
        }
        if (record.ownerToken().equals(request.ownerToken())) {
            Duration granted = Duration.between(record.createdAt(), record.leaseExpiresAt());
            boolean takeover = granted.compareTo(Duration.ofMillis(leaseMillis)) > 0;
            return new ClaimResult.Acquired(record, takeover);
        }
        return record.isCompleted() ? new ClaimResult.AlreadyCompleted(record) : new ClaimResult.InProgress(record);
    }

    @Override
    public int purgeExpired(Connection connection, String table, int batchSize) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(PURGE, table))) {
            ps.setInt(1, batchSize);
            return ps.executeUpdate();
        }
    }

    /** DATETIME(6) columns hold UTC; read them as local date-times and pin them to UTC. */
    @Override
    protected Instant readInstant(ResultSet rs, String column) throws SQLException {
        LocalDateTime value = rs.getObject(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }
}
