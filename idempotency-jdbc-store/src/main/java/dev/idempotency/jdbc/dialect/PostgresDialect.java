package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimDecision;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyRecord;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.core.store.RecoveryPoint;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.core.store.StoredResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL (9.5 and later; tested on 15).
 *
 * <p><b>The claim is one statement, plus a second only for a claimable row</b>, and it never relies on a
 * duplicate-key error: on PostgreSQL such an error aborts the surrounding transaction ("current transaction is
 * aborted"), which would break any caller that claims inside a transaction of its own.
 *
 * <pre>{@code
 * WITH inserted AS (
 *     INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at, ...)
 *     VALUES (?, ?, ?, 'IN_PROGRESS', ?, statement_timestamp() + ? * interval '1 millisecond', ...)
 *     ON CONFLICT (scope, idempotency_key) DO NOTHING
 *     RETURNING scope, idempotency_key, ... , expires_at
 * )
 * SELECT i.scope, ... , i.expires_at, TRUE AS acquired, statement_timestamp() AS db_now FROM inserted i
 * UNION ALL
 * SELECT t.scope, ... , t.expires_at, FALSE AS acquired, statement_timestamp() AS db_now
 *   FROM {table} t
 *  WHERE t.scope = ? AND t.idempotency_key = ? AND NOT EXISTS (SELECT 1 FROM inserted)
 * }</pre>
 *
 * <ol>
 *   <li>The unique constraint is the arbiter for a new key: the insert wins when there is no row, and a concurrent
 *       claim that meets the inserted row does nothing.</li>
 *   <li>When a row exists, nothing is written and the second branch returns it, expired or not, with the database
 *       clock; {@link ClaimDecision} decides on it. A completed record (a replay) or a live in-progress record is
 *       the answer, in one round trip and without a write: {@code DO NOTHING} takes no row lock, so a replay
 *       assigns no transaction id, writes no WAL and never queues on the row lock. ({@code DO UPDATE ... WHERE}
 *       would lock the row even when its {@code WHERE} is false.)</li>
 *   <li>A claimable row (TTL passed: reclaim; in progress with an expired lease and the same fingerprint: takeover)
 *       is taken by {@code TAKE_CLAIMABLE}, an {@code UPDATE} fenced by the owner token the claim read, whose
 *       {@code WHERE} writes the claim rule again. Under READ COMMITTED an update that waits for the row lock
 *       re-evaluates its {@code WHERE} on the newest version, so it takes the row only if it is still the row the
 *       claim read and still claimable; when it updates nothing, a concurrent transaction got there first and the
 *       claim is stale ({@link StaleClaimException}; the store runs it again and then sees the newer row). All
 *       {@code SET} expressions see the row as it was, so one {@code CASE} per column tells a fresh record (new
 *       fingerprint and creation time, recovery point cleared) from a takeover (fingerprint, creation time and
 *       recovery point kept; the expiry pushed out to cover the new lease, so {@code expires_at >=
 *       lease_expires_at} holds).</li>
 *   <li>Whether an acquisition was a takeover is read from the returned row: a reclaimed record has
 *       {@code created_at = statement_timestamp()}, a taken-over one keeps the old creation time, which is strictly
 *       earlier because the old lease (at least one millisecond) ran out.</li>
 *   <li>The second branch reads the statement's snapshot. Under READ COMMITTED, {@code ON CONFLICT} may meet a row
 *       committed after that snapshot, which the second branch cannot see: then the statement returns nothing, and
 *       only then the dialect reads the row in a new statement and decides on that. A row the second branch sees in
 *       an older version is either an answer that was the key's record when the snapshot was taken, or a claimable
 *       row whose fenced update finds it changed.</li>
 *   <li>Every time comes from {@code statement_timestamp()}, the database's clock; durations arrive as
 *       milliseconds. No application server's clock is ever compared.</li>
 * </ol>
 *
 * <p>Complete, renew and checkpoint use {@code RETURNING} to hand back the times the database computed, in the same
 * statement. The purge deletes a bounded batch picked with {@code FOR UPDATE SKIP LOCKED}, so it never waits on a
 * row a claim holds.
 */
public class PostgresDialect extends SqlDialect {

    private static final String RETURNED_COLUMNS = """
            scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at, response_status, \
            response_headers, response_body, recovery_phase, recovery_payload, created_at, expires_at""";

    static final String CLAIM = """
            WITH inserted AS (
                INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                     response_status, response_headers, response_body, recovery_phase,
                                     recovery_payload, created_at, expires_at, completed_at)
                VALUES (?, ?, ?, 'IN_PROGRESS', ?, statement_timestamp() + ? * interval '1 millisecond',
                        NULL, NULL, NULL, NULL, NULL,
                        statement_timestamp(), statement_timestamp() + ? * interval '1 millisecond', NULL)
                ON CONFLICT (scope, idempotency_key) DO NOTHING
                RETURNING scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                          response_status, response_headers, response_body, recovery_phase, recovery_payload,
                          created_at, expires_at
            )
            SELECT i.scope, i.idempotency_key, i.fingerprint, i.status, i.owner_token, i.lease_expires_at,
                   i.response_status, i.response_headers, i.response_body, i.recovery_phase, i.recovery_payload,
                   i.created_at, i.expires_at, TRUE AS acquired, statement_timestamp() AS db_now
              FROM inserted i
            UNION ALL
            SELECT t.scope, t.idempotency_key, t.fingerprint, t.status, t.owner_token, t.lease_expires_at,
                   t.response_status, t.response_headers, t.response_body, t.recovery_phase, t.recovery_payload,
                   t.created_at, t.expires_at, FALSE AS acquired, statement_timestamp() AS db_now
              FROM {table} t
             WHERE t.scope = ? AND t.idempotency_key = ?
               AND NOT EXISTS (SELECT 1 FROM inserted)""";

    /**
     * Takes a claimable row: reclaims it when its TTL passed, takes it over when its lease expired. Fenced by the
     * token of the row the claim read, and the claim rule re-checked on the row's latest version under its lock.
     */
    static final String TAKE_CLAIMABLE = """
            UPDATE {table} AS r
               SET fingerprint = ?,
                   status = 'IN_PROGRESS',
                   owner_token = ?,
                   lease_expires_at = statement_timestamp() + ? * interval '1 millisecond',
                   response_status = NULL,
                   response_headers = NULL,
                   response_body = NULL,
                   recovery_phase = CASE WHEN r.expires_at <= statement_timestamp() THEN NULL
                                         ELSE r.recovery_phase END,
                   recovery_payload = CASE WHEN r.expires_at <= statement_timestamp() THEN NULL
                                           ELSE r.recovery_payload END,
                   created_at = CASE WHEN r.expires_at <= statement_timestamp() THEN statement_timestamp()
                                     ELSE r.created_at END,
                   expires_at = CASE WHEN r.expires_at <= statement_timestamp()
                                     THEN statement_timestamp() + ? * interval '1 millisecond'
                                     ELSE GREATEST(r.expires_at,
                                                   statement_timestamp() + ? * interval '1 millisecond') END,
                   completed_at = NULL
             WHERE r.scope = ? AND r.idempotency_key = ? AND r.owner_token = ?
               AND (r.expires_at <= statement_timestamp()
                    OR (r.status = 'IN_PROGRESS' AND r.lease_expires_at <= statement_timestamp()
                        AND r.fingerprint = ?))
            RETURNING r.scope, r.idempotency_key, r.fingerprint, r.status, r.owner_token, r.lease_expires_at,
                      r.response_status, r.response_headers, r.response_body, r.recovery_phase,
                      r.recovery_payload, r.created_at, r.expires_at, statement_timestamp() AS db_now""";

    private static final String READ_AFTER_CONFLICT = """
            SELECT %s, statement_timestamp() AS db_now
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?""".formatted(RETURNED_COLUMNS);

    private static final String COMPLETE = """
            UPDATE {table}
               SET status = 'COMPLETED',
                   response_status = ?,
                   response_headers = ?,
                   response_body = ?,
                   lease_expires_at = NULL,
                   completed_at = statement_timestamp(),
                   expires_at = statement_timestamp() + ? * interval '1 millisecond'
             WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'
            RETURNING expires_at""";

    private static final String RENEW = """
            UPDATE {table}
               SET lease_expires_at = statement_timestamp() + ? * interval '1 millisecond',
                   expires_at = GREATEST(expires_at, statement_timestamp() + ? * interval '1 millisecond')%s
             WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'
            RETURNING lease_expires_at""";

    private static final String PURGE = """
            DELETE FROM {table}
             WHERE (scope, idempotency_key) IN (
                   SELECT scope, idempotency_key
                     FROM {table}
                    WHERE expires_at <= statement_timestamp()
                    LIMIT ?
                      FOR UPDATE SKIP LOCKED)
               AND expires_at <= statement_timestamp()""";

    public PostgresDialect() {}

    @Override
    public String platform() {
        return "postgresql";
    }

    @Override
    protected String now() {
        return "statement_timestamp()";
    }

    @Override
    protected String nowPlusMillis() {
        return "(statement_timestamp() + ? * interval '1 millisecond')";
    }

    /**
     * READ COMMITTED, whatever the pool's default: under REPEATABLE READ or SERIALIZABLE the claim's upsert fails
     * with a serialization error (40001) when it meets a row committed after its snapshot, and the re-read after a
     * conflict cannot see such a row. The store applies this level to every operation, in autocommit.
     */
    @Override
    public int transactionIsolation() {
        return Connection.TRANSACTION_READ_COMMITTED;
    }

    @Override
    public ClaimResult claim(Connection connection, String table, ClaimRequest request) throws SQLException {
        Row row = runClaim(connection, sql(CLAIM, table), request);
        if (row != null && row.acquired) {
            return new ClaimResult.Acquired(row.record, false);
        }
        if (row == null) {
            // The conflicting row was committed after this statement's snapshot, so the read branch missed it. A
            // new statement sees the latest committed version.
            row = readLatest(connection, sql(READ_AFTER_CONFLICT, table), request.key());
            if (row == null) {
                throw new StaleClaimException("the claim of " + request.key() + " met a row that was gone when "
                        + "read again");
            }
        }
        if (ClaimDecision.decide(row.record, request, row.dbNow) instanceof ClaimDecision.Answer answer) {
            return answer.result();
        }
        Row taken = takeClaimable(connection, sql(TAKE_CLAIMABLE, table), request, row.record);
        if (taken == null) {
            throw new StaleClaimException("the claim of " + request.key() + " read a claimable row " + describe(
                    row.record) + " that a concurrent transaction had changed or removed before it could take it");
        }
        // A reclaimed row gets this statement's time as its creation time; a taken-over row keeps its older one.
        return new ClaimResult.Acquired(taken.record, !taken.record.createdAt().equals(taken.dbNow));
    }

    private Row takeClaimable(Connection connection, String takeSql, ClaimRequest request, IdempotencyRecord seen)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(takeSql)) {
            long leaseMillis = toMillis(request.lease());
            ps.setString(1, request.fingerprint().value());
            ps.setString(2, request.ownerToken().value());
            ps.setLong(3, leaseMillis);
            ps.setLong(4, toMillis(request.ttl()));
            ps.setLong(5, leaseMillis);
            ps.setString(6, seen.key().scope());
            ps.setString(7, seen.key().key());
            ps.setString(8, seen.ownerToken().value());
            ps.setString(9, request.fingerprint().value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? readRow(rs) : null;
            }
        }
    }

    private Row runClaim(Connection connection, String claimSql, ClaimRequest request) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(claimSql)) {
            int next = bindFreshRecord(ps, request);
            ps.setString(next, request.key().scope());
            ps.setString(next + 1, request.key().key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? readRow(rs) : null;
            }
        }
    }

    private Row readLatest(Connection connection, String readSql, IdempotencyKey key) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(readSql)) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? readRow(rs) : null;
            }
        }
    }

    private Row readRow(ResultSet rs) throws SQLException {
        boolean acquired = hasColumn(rs, "acquired") && rs.getBoolean("acquired");
        return new Row(readRecord(rs), acquired, readInstant(rs, "db_now"));
    }

    private static boolean hasColumn(ResultSet rs, String column) throws SQLException {
        for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
            if (column.equalsIgnoreCase(rs.getMetaData().getColumnLabel(i))) {
                return true;
            }
        }
        return false;
    }

    private static String describe(IdempotencyRecord record) {
        return "[status=" + record.status() + ", leaseExpiresAt=" + record.leaseExpiresAt() + ", expiresAt="
                + record.expiresAt() + "]";
    }

    @Override
    public CompleteResult complete(Connection connection, String table, IdempotencyKey key, OwnerToken owner,
            StoredResponse response, Duration retention) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(COMPLETE, table))) {
            ps.setInt(1, response.status());
            ps.setBytes(2, response.encodeHeaders());
            ps.setBytes(3, response.body());
            ps.setLong(4, toMillis(retention));
            ps.setString(5, key.scope());
            ps.setString(6, key.key());
            ps.setString(7, owner.value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? new CompleteResult.Completed(readInstant(rs, "expires_at"))
                        : new CompleteResult.OwnershipLost();
            }
        }
    }

    @Override
    public RenewResult renew(Connection connection, String table, IdempotencyKey key, OwnerToken owner,
            Duration lease, @Nullable RecoveryPoint recoveryPoint) throws SQLException {
        String statement = sql(RENEW.formatted(recoveryPoint == null ? "" : """
                ,
                   recovery_phase = ?,
                   recovery_payload = ?"""), table);
        try (PreparedStatement ps = connection.prepareStatement(statement)) {
            long millis = toMillis(lease);
            int i = 1;
            ps.setLong(i++, millis);
            ps.setLong(i++, millis);
            if (recoveryPoint != null) {
                ps.setString(i++, recoveryPoint.phase());
                ps.setString(i++, recoveryPoint.payload());
            }
            ps.setString(i++, key.scope());
            ps.setString(i++, key.key());
            ps.setString(i, owner.value());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next()
                        ? new RenewResult.Renewed(readInstant(rs, "lease_expires_at"))
                        : new RenewResult.OwnershipLost();
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

    private record Row(IdempotencyRecord record, boolean acquired, Instant dbNow) {}
}
