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
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MariaDB (10.3 and later; tested on 10.11) and MySQL (8.0.17 and later, for the {@code utf8mb4_0900_bin} collation
 * in {@code schema-mysql.sql}; the statements themselves also run on 5.7).
 *
 * <p>Times are {@code DATETIME(6)} holding UTC, written with {@code UTC_TIMESTAMP(6)} (fixed for one statement) and
 * read back as UTC, so neither the server's nor the session's time zone shifts them.
 *
 * <p>The claim runs as a short READ COMMITTED transaction that takes the row lock first and decides second, so
 * that its correctness does not depend on how the server evaluates the assignments of an upsert (MySQL assigns left
 * to right, each assignment seeing the ones before it; MariaDB does the same unless {@code sql_mode} contains
 * {@code SIMULTANEOUS_ASSIGNMENT}, under which every assignment sees the old row):
 * <ol>
 *   <li>{@code INSERT ... ON DUPLICATE KEY UPDATE scope = scope} inserts a fresh record when the key is free, and
 *       otherwise changes nothing but takes the existing row's exclusive lock. Concurrent claims of the key wait
 *       here until this transaction ends.</li>
 *   <li>{@code SELECT ... FOR UPDATE}, together with {@code UTC_TIMESTAMP(6)}, reads the locked row. If it carries
 *       this claim's token, the insert won: a fresh record.</li>
 *   <li>A row whose TTL passed is overwritten with a fresh record by a plain {@code UPDATE} that sets every column
 *       to an explicit value (not a takeover).</li>
 *   <li>An in-progress row with an expired lease and the same fingerprint is taken over by a plain {@code UPDATE}:
 *       new token and lease, the expiry pushed out to cover the lease; fingerprint, creation time and recovery
 *       point kept.</li>
 *   <li>Otherwise the row is the answer: completed or in progress.</li>
 * </ol>
 * The updates are fenced by the token just read and no assignment reads a column that another assignment of the
 * same statement writes, so either assignment mode gives the same row. An acquired record is read back in the same
 * transaction. A deadlock between concurrent inserts of one new key, which InnoDB can report, rolls the whole
 * transaction back, and the store runs the claim again.
 *
 * <p>MySQL has no {@code RETURNING} on updates, so complete and renew read back the times they wrote in their
 * transaction.
 *
 * <p>The purge runs in READ COMMITTED (no gap locks, so it does not hold up claims of new keys). Where the server
 * has {@code SKIP LOCKED} (MariaDB 10.6+, MySQL 8.0+; read from the server version once), it picks a bounded batch
 * of expired keys with {@code SELECT ... FOR UPDATE SKIP LOCKED} and deletes those keys, so it does not wait on a
 * row that a claim or a fenced write holds. On older servers it falls back to {@code DELETE ... LIMIT}, which does
 * wait on such a row until its holder commits (or until {@code innodb_lock_wait_timeout}).
 */
public class MariaDbDialect extends SqlDialect {

    private static final String INSERT_OR_LOCK = """
            INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                 response_status, response_headers, response_body, recovery_phase, recovery_payload,
                                 created_at, expires_at, completed_at)
            VALUES (?, ?, ?, 'IN_PROGRESS', ?, {nowPlusMillis}, NULL, NULL, NULL, NULL, NULL,
                    UTC_TIMESTAMP(6), {nowPlusMillis}, NULL)
            ON DUPLICATE KEY UPDATE scope = scope""";

    private static final String READ_LOCKED = """
            SELECT %s, UTC_TIMESTAMP(6) AS db_now
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?
               FOR UPDATE""".formatted(COLUMNS);

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
                   created_at = UTC_TIMESTAMP(6),
                   expires_at = {nowPlusMillis},
                   completed_at = NULL
             WHERE scope = ? AND idempotency_key = ? AND owner_token = ?""";

    private static final String TAKE_OVER = """
            UPDATE {table}
               SET owner_token = ?,
                   lease_expires_at = {nowPlusMillis},
                   expires_at = GREATEST(expires_at, {nowPlusMillis})
             WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'""";

    private static final String PURGE = """
            DELETE FROM {table}
             WHERE expires_at <= UTC_TIMESTAMP(6)
             LIMIT ?""";

    private static final String PICK_EXPIRED_SKIP_LOCKED = """
            SELECT scope, idempotency_key
              FROM {table}
             WHERE expires_at <= UTC_TIMESTAMP(6)
             LIMIT ?
               FOR UPDATE SKIP LOCKED""";

    /** How many picked keys one delete statement names. */
    private static final int DELETE_CHUNK = 500;

    /** How often the claim repeats when the locked read finds no row, which the insert's lock should rule out. */
    private static final int MAX_CLAIM_ATTEMPTS = 3;

    /** Whether the server has {@code SKIP LOCKED}; read from the first purge's connection. */
    private volatile Boolean skipLocked;

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
        for (int attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
            insertOrLock(connection, table, request);
            Locked locked = readLocked(connection, table, key);
            if (locked == null) {
                continue;
            }
            IdempotencyRecord record = locked.record;
            if (record.ownerToken().equals(request.ownerToken())) {
                return new ClaimResult.Acquired(record, false);
            }
            if (!record.expiresAt().isAfter(locked.dbNow)) {
                reclaimExpired(connection, table, request, record);
                return new ClaimResult.Acquired(readAcquired(connection, table, request), false);
            }
            if (record.status() == IdempotencyStatus.IN_PROGRESS
                    && !record.leaseExpiresAt().isAfter(locked.dbNow)
                    && record.fingerprint().equals(request.fingerprint())) {
                takeOver(connection, table, request, record);
                return new ClaimResult.Acquired(readAcquired(connection, table, request), true);
            }
            return record.isCompleted() ? new ClaimResult.AlreadyCompleted(record) : new ClaimResult.InProgress(record);
        }
        throw new SQLException("the record " + key + " kept vanishing between the claim's insert and its locked read");
    }

    private void insertOrLock(Connection connection, String table, ClaimRequest request) throws SQLException {
        IdempotencyKey key = request.key();
        try (PreparedStatement ps = connection.prepareStatement(sql(INSERT_OR_LOCK, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            ps.setString(3, request.fingerprint().value());
            ps.setString(4, request.ownerToken().value());
            ps.setLong(5, toMillis(request.lease()));
            ps.setLong(6, toMillis(request.ttl()));
            ps.executeUpdate();
        }
    }

    private Locked readLocked(Connection connection, String table, IdempotencyKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(READ_LOCKED, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Locked(readRecord(rs), readInstant(rs, "db_now")) : null;
            }
        }
    }

    private void reclaimExpired(Connection connection, String table, ClaimRequest request, IdempotencyRecord old)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(RECLAIM_EXPIRED, table))) {
            ps.setString(1, request.fingerprint().value());
            ps.setString(2, request.ownerToken().value());
            ps.setLong(3, toMillis(request.lease()));
            ps.setLong(4, toMillis(request.ttl()));
            ps.setString(5, request.key().scope());
            ps.setString(6, request.key().key());
            ps.setString(7, old.ownerToken().value());
            requireOneRow(ps.executeUpdate(), request.key());
        }
    }

    private void takeOver(Connection connection, String table, ClaimRequest request, IdempotencyRecord old)
            throws SQLException {
        long leaseMillis = toMillis(request.lease());
        try (PreparedStatement ps = connection.prepareStatement(sql(TAKE_OVER, table))) {
            ps.setString(1, request.ownerToken().value());
            ps.setLong(2, leaseMillis);
            ps.setLong(3, leaseMillis);
            ps.setString(4, request.key().scope());
            ps.setString(5, request.key().key());
            ps.setString(6, old.ownerToken().value());
            requireOneRow(ps.executeUpdate(), request.key());
        }
    }

    private IdempotencyRecord readAcquired(Connection connection, String table, ClaimRequest request)
            throws SQLException {
        Locked locked = readLocked(connection, table, request.key());
        if (locked == null || !locked.record.ownerToken().equals(request.ownerToken())) {
            throw new SQLException("the record " + request.key() + " claimed by owner " + request.ownerToken()
                    + " changed within the claim's own transaction");
        }
        return locked.record;
    }

    private static void requireOneRow(int updated, IdempotencyKey key) throws SQLException {
        // The row is locked by this transaction since the locked read, so the fenced update cannot miss it.
        if (updated != 1) {
            throw new SQLException("the locked record " + key + " changed under the claim's lock (" + updated
                    + " rows updated)");
        }
    }

    @Override
    public int purgeExpired(Connection connection, String table, int batchSize) throws SQLException {
        if (!supportsSkipLocked(connection)) {
            try (PreparedStatement ps = connection.prepareStatement(sql(PURGE, table))) {
                ps.setInt(1, batchSize);
                return ps.executeUpdate();
            }
        }
        List<String[]> picked = new ArrayList<>();
        try (PreparedStatement ps = connection.prepareStatement(sql(PICK_EXPIRED_SKIP_LOCKED, table))) {
            ps.setInt(1, batchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    picked.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
        }
        int deleted = 0;
        for (int from = 0; from < picked.size(); from += DELETE_CHUNK) {
            List<String[]> chunk = picked.subList(from, Math.min(picked.size(), from + DELETE_CHUNK));
            String delete = "DELETE FROM " + table + " WHERE ("
                    + String.join(" OR ", Collections.nCopies(chunk.size(), "(scope = ? AND idempotency_key = ?)"))
                    + ") AND expires_at <= UTC_TIMESTAMP(6)";
            try (PreparedStatement ps = connection.prepareStatement(delete)) {
                int i = 1;
                for (String[] key : chunk) {
                    ps.setString(i++, key[0]);
                    ps.setString(i++, key[1]);
                }
                deleted += ps.executeUpdate();
            }
        }
        return deleted;
    }

    private boolean supportsSkipLocked(Connection connection) throws SQLException {
        Boolean known = skipLocked;
        if (known == null) {
            known = supportsSkipLocked(connection.getMetaData().getDatabaseProductVersion());
            skipLocked = known;
        }
        return known;
    }

    /**
     * Whether a server reporting {@code productVersion} has {@code SKIP LOCKED}: MariaDB from 10.6 (its version
     * string names MariaDB, possibly after a {@code 5.5.5-} prefix), MySQL from 8.0. Unknown versions do not.
     */
    public static boolean supportsSkipLocked(String productVersion) {
        if (productVersion == null) {
            return false;
        }
        String version = productVersion.strip();
        boolean mariaDb = version.toLowerCase(Locale.ROOT).contains("mariadb");
        if (mariaDb && version.startsWith("5.5.5-")) {
            version = version.substring("5.5.5-".length());
        }
        Matcher matcher = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(version);
        if (!matcher.find()) {
            return false;
        }
        int major = Integer.parseInt(matcher.group(1));
        int minor = Integer.parseInt(matcher.group(2));
        return mariaDb ? major > 10 || (major == 10 && minor >= 6) : major >= 8;
    }

    /** DATETIME(6) columns hold UTC; read them as local date-times and pin them to UTC. */
    @Override
    protected Instant readInstant(ResultSet rs, String column) throws SQLException {
        LocalDateTime value = rs.getObject(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }

    private record Locked(IdempotencyRecord record, Instant dbNow) {}
}
