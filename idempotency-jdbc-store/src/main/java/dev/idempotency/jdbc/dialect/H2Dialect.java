package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.store.ClaimRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * H2 2.x, for tests and embedded use; tested in its regular mode and in PostgreSQL compatibility mode.
 *
 * <p>H2 has neither an upsert with a condition that works in every mode nor {@code RETURNING}, so the claim locks
 * then decides ({@link LockingSqlDialect}), after a plain read that answers replays without a lock. The lock is a plain {@code SELECT ... FOR UPDATE} of the key's row,
 * together with {@code CURRENT_TIMESTAMP}, which H2 keeps fixed for the transaction. A key without a row is not
 * locked by it: two claims of a new key both insert, and the primary key rejects the second one.
 */
public class H2Dialect extends LockingSqlDialect {

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
    protected LockedRow lockRow(Connection connection, String table, ClaimRequest request) throws SQLException {
        return readLocked(connection, table, request.key());
    }

    @Override
    public int purgeExpired(Connection connection, String table, int batchSize) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql(PURGE, table))) {
            ps.setInt(1, batchSize);
            return ps.executeUpdate();
        }
    }
}
