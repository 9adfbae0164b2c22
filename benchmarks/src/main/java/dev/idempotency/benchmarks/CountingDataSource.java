package dev.idempotency.benchmarks;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A {@link DataSource} wrapper that counts what reaches the database, for the round-trip figures: statements
 * executed ({@code execute}, {@code executeQuery}, {@code executeUpdate}, {@code executeBatch}, ...), commits,
 * rollbacks, and reads or changes of the isolation level (the PostgreSQL driver asks the server for those). With the
 * PostgreSQL driver each of these is one network round trip; borrowing a connection from a pool is counted
 * separately because it normally is not one.
 *
 * <p>Used instead of {@code pg_stat_statements}, which would need a restart of the shared server to be loaded.
 */
public final class CountingDataSource implements DataSource {

    private final DataSource target;
    private final LongAdder connections = new LongAdder();
    private final LongAdder statements = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private final LongAdder rollbacks = new LongAdder();
    private final LongAdder isolation = new LongAdder();

    public CountingDataSource(DataSource target) {
        this.target = target;
    }

    /** What was counted since the last {@link #reset()}. */
    public record Counts(long connections, long statements, long commits, long rollbacks, long isolation) {

        /** Statements, commits, rollbacks and isolation-level calls: the round trips to the database. */
        public long roundTrips() {
            return statements + commits + rollbacks + isolation;
        }
    }

    public Counts counts() {
        return new Counts(connections.sum(), statements.sum(), commits.sum(), rollbacks.sum(), isolation.sum());
    }

    public void reset() {
        connections.reset();
        statements.reset();
        commits.reset();
        rollbacks.reset();
        isolation.reset();
    }

    @Override
    public Connection getConnection() throws SQLException {
        return counting(target.getConnection());
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        return counting(target.getConnection(username, password));
    }

    private Connection counting(Connection connection) {
        connections.increment();
        InvocationHandler handler = (proxy, method, args) -> {
            String name = method.getName();
            if (name.equals("commit")) {
                commits.increment();
            } else if (name.equals("rollback") && (args == null || args.length == 0)) {
                rollbacks.increment();
            } else if (name.equals("getTransactionIsolation") || name.equals("setTransactionIsolation")) {
                isolation.increment();
            }
            Object result = invoke(connection, method, args);
            if (result instanceof Statement statement
                    && (name.equals("createStatement") || name.equals("prepareStatement") || name.equals("prepareCall"))) {
                return countingStatement(statement);
            }
            return result;
        };
        return (Connection) Proxy.newProxyInstance(
                CountingDataSource.class.getClassLoader(), new Class<?>[] {Connection.class}, handler);
    }

    private Statement countingStatement(Statement statement) {
        Class<?> type = statement instanceof CallableStatement ? CallableStatement.class
                : statement instanceof PreparedStatement ? PreparedStatement.class
                : Statement.class;
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().startsWith("execute")) {
                statements.increment();
            }
            return invoke(statement, method, args);
        };
        return (Statement) Proxy.newProxyInstance(CountingDataSource.class.getClassLoader(), new Class<?>[] {type}, handler);
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
        return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        return iface.isInstance(this) ? iface.cast(this) : target.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
        return iface.isInstance(this) || target.isWrapperFor(iface);
    }
}
