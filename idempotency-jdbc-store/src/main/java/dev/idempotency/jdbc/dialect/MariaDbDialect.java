package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.store.ClaimRequest;
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
import org.jspecify.annotations.Nullable;

/**
 * MariaDB (10.3 and later; tested on 10.11) and MySQL (8.0.17 and later, for the {@code utf8mb4_0900_bin} collation
 * in {@code schema-mysql.sql}; the statements themselves also run on 5.7).
 *
 * <p>Times are {@code DATETIME(6)} holding UTC, written with {@code UTC_TIMESTAMP(6)} (fixed for one statement) and
 * read back as UTC, so neither the server's nor the session's time zone shifts them.
 *
 * <p>The claim locks then decides ({@link LockingSqlDialect}), in a short READ COMMITTED transaction, so that its
 * correctness does not depend on how the server evaluates the assignments of an upsert (MySQL assigns left to
 * right, each assignment seeing the ones before it; MariaDB does the same unless {@code sql_mode} contains
 * {@code SIMULTANEOUS_ASSIGNMENT}, under which every assignment sees the old row). A replay or an in-progress answer
 * ends at the template's first, non-locking read (an InnoDB consistent read takes no lock). The lock is taken by
 * {@code INSERT ... ON DUPLICATE KEY UPDATE scope = scope}, which inserts a fresh record when the key is free and
 * otherwise changes nothing but takes the existing row's exclusive lock, then read by {@code SELECT ... FOR UPDATE}
 * together with {@code UTC_TIMESTAMP(6)}. Concurrent claims that need the lock wait on the insert until this
 * transaction ends. A deadlock between concurrent inserts of one new key, which InnoDB can report, rolls the whole transaction
 * back, and the store runs the claim again.
 *
 * <p>The purge runs in READ COMMITTED (no gap locks, so it does not hold up claims of new keys). Where the server
 * has {@code SKIP LOCKED} (MariaDB 10.6+, MySQL 8.0+; read from the server version once), it picks a bounded batch
 * of expired keys with {@code SELECT ... FOR UPDATE SKIP LOCKED} and deletes those keys, so it does not wait on a
 * row that a claim or a fenced write holds. On older servers it falls back to {@code DELETE ... LIMIT}, which does
 * wait on such a row until its holder commits (or until {@code innodb_lock_wait_timeout}).
 */
public class MariaDbDialect extends LockingSqlDialect {

    private static final String INSERT_OR_LOCK = """
            INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                 response_status, response_headers, response_body, recovery_phase, recovery_payload,
                                 created_at, expires_at, completed_at)
            VALUES (?, ?, ?, 'IN_PROGRESS', ?, {nowPlusMillis}, NULL, NULL, NULL, NULL, NULL,
                    UTC_TIMESTAMP(6), {nowPlusMillis}, NULL)
            ON DUPLICATE KEY UPDATE scope = scope""";

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

    /** Also the purge, whose pick and delete must see each other's locks. */
    @Override
    public boolean needsTransaction(StoreOperation operation) {
        return super.needsTransaction(operation) || operation == StoreOperation.PURGE;
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
    protected LockedRow lockRow(Connection connection, String table, ClaimRequest request) throws SQLException {
        insertFresh(connection, table, INSERT_OR_LOCK, request);
        LockedRow locked = readLocked(connection, table, request.key());
        if (locked.record() == null) {
            // The insert's lock should rule this out; if it happens anyway, running the claim again is safe.
            throw new StaleClaimException("the record " + request.key()
                    + " vanished between the claim's insert and its locked read");
        }
        return locked;
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
    protected @Nullable Instant readInstant(ResultSet rs, String column) throws SQLException {
        LocalDateTime value = rs.getObject(column, LocalDateTime.class);
        return value == null ? null : value.toInstant(ZoneOffset.UTC);
    }

}
