package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.ClaimResult;
import dev.idempotency.core.store.CompleteResult;
import dev.idempotency.core.store.IdempotencyStore;
import dev.idempotency.core.store.RenewResult;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import dev.idempotency.jdbc.dialect.SqlDialect;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JDBC store on PostgreSQL behind a pool that hands out connections with autocommit off and REPEATABLE READ
 * isolation. The store must still run every operation in autocommit at READ COMMITTED: under REPEATABLE READ, the
 * claim's upsert fails with serialization errors (40001) when racing claims commit, and its re-read cannot see
 * rows committed after the transaction's snapshot. The whole contract suite, its 64-thread race included, runs on
 * that pool, and the connections go back to the pool with the pool's settings.
 */
class PostgresRepeatableReadPoolIT extends AbstractJdbcIdempotencyStoreIT {

    private static TestDatabase database;

    @BeforeAll
    static void startDatabase() {
        database = new PostgresTestDatabase().start(24, config -> {
            config.setAutoCommit(false);
            config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        });
        JdbcIdempotencySchema.create(database.dataSource(), TABLE);
    }

    @AfterAll
    static void stopDatabase() {
        if (database != null) {
            database.close();
        }
    }

    @Override
    protected DataSource dataSource() {
        return database.dataSource();
    }

    @Override
    protected SqlDialect dialect() {
        return new PostgresDialect();
    }

    @Override
    protected String databaseName() {
        return "PostgreSQL, pool with autocommit off and REPEATABLE READ (" + database.source() + ")";
    }

    /**
     * The store itself puts back what it changed, before the connection is closed, rather than relying on the
     * pool to reset it: every connection it closes has the pool's autocommit off and REPEATABLE READ again.
     */
    @Test
    void everyOperationHandsTheConnectionBackWithThePoolsSettings() throws Exception {
        List<String> statesAtClose = new ArrayList<>();
        DataSource pool = dataSource();
        DataSource recording = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(),
                new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(method, pool, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection real = (Connection) result;
                    return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                            (p, m, a) -> {
                                if (m.getName().equals("close")) {
                                    statesAtClose.add(real.getAutoCommit() + "/" + real.getTransactionIsolation());
                                }
                                return invoke(m, real, a);
                            });
                });
        IdempotencyStore recorded = JdbcIdempotencyStore.builder(recording).tableName(TABLE).dialect(dialect()).build();
        ClaimRequest claim = request(newKey());

        assertThat(recorded.claim(claim)).isInstanceOf(ClaimResult.Acquired.class);
        assertThat(recorded.claim(request(claim.key()))).isInstanceOf(ClaimResult.InProgress.class);
        assertThat(recorded.renew(claim.key(), claim.ownerToken(), LEASE)).isInstanceOf(RenewResult.Renewed.class);
        assertThat(recorded.complete(claim.key(), claim.ownerToken(), response(200, 8), TTL))
                .isInstanceOf(CompleteResult.Completed.class);
        assertThat(recorded.find(claim.key())).isPresent();
        recorded.purgeExpired(10);

        String poolDefaults = false + "/" + Connection.TRANSACTION_REPEATABLE_READ;
        assertThat(statesAtClose).hasSize(6).containsOnly(poolDefaults);
        assertThat(store.find(claim.key()).orElseThrow().isCompleted()).isTrue();
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
