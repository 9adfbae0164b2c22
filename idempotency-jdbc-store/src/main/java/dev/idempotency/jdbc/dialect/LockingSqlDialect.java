package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.IdempotencyListener.StoreOperation;
import dev.idempotency.core.store.ClaimDecision;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.IdempotencyRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A dialect whose claim reads first, then takes the key's row lock and decides, for databases without a conditional
 * upsert that can arbitrate on its own (H2, MySQL, MariaDB). The claim runs as a short transaction of its own:
 * <ol>
 *   <li>A plain read of the key's row and the database clock, without a lock. When {@link ClaimDecision} makes that
 *       row the {@link ClaimDecision.Answer} (a completed record, or one in progress under a live lease or with
 *       another fingerprint), the claim returns it: a replay takes no row lock and writes nothing, so replays of a
 *       hot key neither queue behind each other nor behind a fenced write holding the row. The row read is a
 *       committed version, and it was the key's record when it was read, which is when this claim takes effect.
 *       Only a missing or claimable row goes on to the lock, where the decision is made again on the locked row.</li>
 *   <li>{@link #lockRow} locks the key's row until the transaction ends and reads it, together with the database
 *       clock. The lock makes the read and the following write one atomic step; every concurrent claim of the key
 *       waits here. How to lock the row is what each subclass supplies.</li>
 *   <li>A locked row that already carries this claim's token was inserted by the lock step itself (MariaDB's
 *       insert-or-lock): a fresh record, acquired.</li>
 *   <li>Otherwise {@link ClaimDecision} decides, and the claim carries the decision out:
 *     <ul>
 *       <li>{@link ClaimDecision.Insert}: {@code INSERT} a fresh record. When a concurrent claim inserted the key
 *           first, the primary key rejects this insert; the transaction rolls back and the store runs the claim
 *           again (see {@link #isRetryableClaimFailure}), which then finds that row.</li>
 *       <li>{@link ClaimDecision.Reclaim}: overwrite the expired row with a fresh record by a plain {@code UPDATE}
 *           that sets every column to an explicit value.</li>
 *       <li>{@link ClaimDecision.Takeover}: a plain {@code UPDATE} of the token and the lease, the expiry pushed
 *           out to cover the lease; fingerprint, creation time and recovery point kept.</li>
 *       <li>{@link ClaimDecision.Answer}: the row is the answer, completed or in progress; nothing is written.</li>
 *     </ul></li>
 *   <li>An acquired record is read back in the same transaction, so it carries the times the database computed.</li>
 * </ol>
 * The updates are fenced by the token just read, and no assignment reads a column that another assignment of the
 * same statement writes, so MySQL's left-to-right assignment and MariaDB's {@code SIMULTANEOUS_ASSIGNMENT} give the
 * same row. These databases have no {@code RETURNING} on updates either, so complete, renew and checkpoint read back
 * the times they wrote and need a transaction too.
 */
public abstract class LockingSqlDialect extends SqlDialect {

    private static final String READ_LOCKED = """
            SELECT %s, {now} AS db_now
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?
               FOR UPDATE""".formatted(COLUMNS);

    private static final String READ = """
            SELECT %s, {now} AS db_now
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?""".formatted(COLUMNS);

    private static final String INSERT = """
            INSERT INTO {table} (scope, idempotency_key, fingerprint, status, owner_token, lease_expires_at,
                                 created_at, expires_at)
            VALUES (?, ?, ?, 'IN_PROGRESS', ?, {nowPlusMillis}, {now}, {nowPlusMillis})""";

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
                   created_at = {now},
                   expires_at = {nowPlusMillis},
                   completed_at = NULL
             WHERE scope = ? AND idempotency_key = ? AND owner_token = ?""";

    private static final String TAKE_OVER = """
            UPDATE {table}
               SET owner_token = ?,
                   lease_expires_at = {nowPlusMillis},
                   expires_at = GREATEST(expires_at, {nowPlusMillis})
             WHERE scope = ? AND idempotency_key = ? AND owner_token = ? AND status = 'IN_PROGRESS'""";

    private static final String READ_BACK = """
            SELECT %s
              FROM {table}
             WHERE scope = ? AND idempotency_key = ?""".formatted(COLUMNS);

    protected LockingSqlDialect() {}

    /**
     * Locks the key's row until the claim's transaction ends and reads it with {@link #readLocked}. May insert a
     * fresh record carrying the request's token first, when that is how the database locks a key that has no row.
     */
    protected abstract LockedRow lockRow(Connection connection, String table, ClaimRequest request)
            throws SQLException;

    /** The claim, every write it makes and the fenced writes that read back what they wrote. */
    @Override
    public boolean needsTransaction(StoreOperation operation) {
        return operation == StoreOperation.CLAIM || operation == StoreOperation.COMPLETE
                || operation == StoreOperation.RENEW || operation == StoreOperation.CHECKPOINT;
    }

    @Override
    public final ClaimResult claim(Connection connection, String table, ClaimRequest request) throws SQLException {
        LockedRow seen = read(connection, table, READ, request.key());
        if (seen.record() != null
                && ClaimDecision.decide(seen.record(), request, seen.now()) instanceof ClaimDecision.Answer answer) {
            return answer.result();
        }
        LockedRow locked = lockRow(connection, table, request);
        if (locked.record() != null && locked.record().ownerToken().equals(request.ownerToken())) {
            return new ClaimResult.Acquired(locked.record(), false);
        }
        ClaimDecision decision = ClaimDecision.decide(locked.record(), request, locked.now());
        if (decision instanceof ClaimDecision.Answer answer) {
            return answer.result();
        }
        if (decision instanceof ClaimDecision.Insert) {
            insertFresh(connection, table, INSERT, request);
        } else if (decision instanceof ClaimDecision.Reclaim reclaim) {
            reclaim(connection, table, request, reclaim.expired());
        } else {
            takeOver(connection, table, request, ((ClaimDecision.Takeover) decision).abandoned());
        }
        return new ClaimResult.Acquired(readAcquired(connection, table, request),
                decision instanceof ClaimDecision.Takeover);
    }

    /** Reads the key's row {@code FOR UPDATE}, with the database clock; an empty {@link LockedRow} when none. */
    protected LockedRow readLocked(Connection connection, String table, IdempotencyKey key) throws SQLException {
        return read(connection, table, READ_LOCKED, key);
    }

    private LockedRow read(Connection connection, String table, String statement, IdempotencyKey key)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(statement, table))) {
            ps.setString(1, key.scope());
            ps.setString(2, key.key());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new LockedRow(readRecord(rs), readInstant(rs, "db_now")) : new LockedRow(null, null);
            }
        }
    }

    /**
     * Runs {@code statement}, whose parameters are a fresh record's ({@link #bindFreshRecord}).
     */
    protected void insertFresh(Connection connection, String table, String statement, ClaimRequest request)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(statement, table))) {
            bindFreshRecord(ps, request);
            ps.executeUpdate();
        }
    }

    private void reclaim(Connection connection, String table, ClaimRequest request, IdempotencyRecord expired)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(RECLAIM_EXPIRED, table))) {
            ps.setString(1, request.fingerprint().value());
            ps.setString(2, request.ownerToken().value());
            ps.setLong(3, toMillis(request.lease()));
            ps.setLong(4, toMillis(request.ttl()));
            updateFenced(ps, 5, expired);
        }
    }

    private void takeOver(Connection connection, String table, ClaimRequest request, IdempotencyRecord abandoned)
            throws SQLException {
        long leaseMillis = toMillis(request.lease());
        try (PreparedStatement ps = connection.prepareStatement(sql(TAKE_OVER, table))) {
            ps.setString(1, request.ownerToken().value());
            ps.setLong(2, leaseMillis);
            ps.setLong(3, leaseMillis);
            updateFenced(ps, 4, abandoned);
        }
    }

    /** Binds the old record's key and token from parameter {@code index} on and runs the update. */
    private static void updateFenced(PreparedStatement ps, int index, IdempotencyRecord old) throws SQLException {
        ps.setString(index, old.key().scope());
        ps.setString(index + 1, old.key().key());
        ps.setString(index + 2, old.ownerToken().value());
        int updated = ps.executeUpdate();
        // The row is locked by this transaction since the locked read, so the fenced update cannot miss it.
        if (updated != 1) {
            throw new SQLException("the locked record " + old.key() + " changed under the claim's lock (" + updated
                    + " rows updated)");
        }
    }

    private IdempotencyRecord readAcquired(Connection connection, String table, ClaimRequest request)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(READ_BACK, table))) {
            ps.setString(1, request.key().scope());
            ps.setString(2, request.key().key());
            try (ResultSet rs = ps.executeQuery()) {
                IdempotencyRecord record = rs.next() ? readRecord(rs) : null;
                if (record == null || !record.ownerToken().equals(request.ownerToken())) {
                    throw new SQLException("the record " + request.key() + " claimed by owner "
                            + request.ownerToken() + " changed within the claim's own transaction");
                }
                return record;
            }
        }
    }

    /**
     * The key's row as the lock step read it.
     *
     * @param record the row; {@code null} when the key has none
     * @param now the database clock, read with the row; {@code null} when there is no row
     */
    protected record LockedRow(@Nullable IdempotencyRecord record, @Nullable Instant now) {}
}
