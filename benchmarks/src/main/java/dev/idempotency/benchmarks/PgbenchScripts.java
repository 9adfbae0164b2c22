package dev.idempotency.benchmarks;

import dev.idempotency.core.IdempotencyKey;
import dev.idempotency.core.store.ClaimRequest;
import dev.idempotency.core.store.OwnerToken;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Keeps the pgbench scripts in {@code benchmarks/pgbench/} honest: they must send exactly the statements the
 * PostgreSQL dialect sends, with only {@code ?} replaced by {@code :variable}.
 *
 * <pre>
 * java -cp ... dev.idempotency.benchmarks.PgbenchScripts check benchmarks/pgbench   # fails on any drift
 * java -cp ... dev.idempotency.benchmarks.PgbenchScripts defines                    # the -D arguments for pgbench
 * </pre>
 *
 * <p>The dialect's statements are captured by running it against a recording connection, so the comparison sees
 * the text as the driver would receive it.
 */
public final class PgbenchScripts {

    private PgbenchScripts() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("defines")) {
            System.out.println(String.join(" ", defines()));
        } else if (args.length == 2 && args[0].equals("check")) {
            check(Path.of(args[1]));
            System.err.println("pgbench scripts match the PostgreSQL dialect's statements");
        } else {
            throw new IllegalArgumentException("usage: PgbenchScripts defines | check <pgbench directory>");
        }
    }

    /** The {@code -D} arguments that give the scripts the same values the Java benchmarks use. */
    public static List<String> defines() {
        return List.of(
                "-D", "scope=" + BenchDatabase.SCOPE,
                "-D", "fp=" + BenchDatabase.FINGERPRINT.value(),
                "-D", "lease_ms=" + BenchDatabase.LEASE.toMillis(),
                "-D", "ttl_ms=" + BenchDatabase.TTL.toMillis(),
                "-D", "status=" + BenchDatabase.RESPONSE.status(),
                "-D", "headers=\\x" + HexFormat.of().formatHex(BenchDatabase.RESPONSE.encodeHeaders()),
                "-D", "body=\\x" + HexFormat.of().formatHex(BenchDatabase.RESPONSE.body()));
    }

    /** Throws when a script's statements differ from the dialect's. */
    public static void check(Path directory) throws IOException, SQLException {
        String claim = captured(Operation.CLAIM);
        String complete = captured(Operation.COMPLETE);
        String find = captured(Operation.FIND);
        compare(directory.resolve("claim-complete.sql"), List.of(claim, complete));
        compare(directory.resolve("replay.sql"), List.of(claim));
        compare(directory.resolve("find.sql"), List.of(find));
    }

    private static void compare(Path script, List<String> expected) throws IOException {
        List<String> actual = statements(Files.readString(script));
        if (!actual.equals(expected)) {
            throw new IllegalStateException(script + " does not send the dialect's statements.\nexpected:\n"
                    + String.join(";\n", expected) + "\nactual:\n" + String.join(";\n", actual));
        }
    }

    /**
     * The SQL statements of a pgbench script with {@code :variable} turned back into {@code ?}: comment and
     * meta-command lines dropped, statements ending with a semicolon at the end of a line.
     */
    static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            if (current.isEmpty() && (line.startsWith("--") || line.startsWith("\\") || line.isBlank())) {
                continue;
            }
            if (line.endsWith(";")) {
                current.append(line, 0, line.length() - 1);
                statements.add(current.toString().replaceAll(":[a-z_]+", "?"));
                current.setLength(0);
            } else {
                current.append(line).append('\n');
            }
        }
        return statements;
    }

    private enum Operation { CLAIM, COMPLETE, FIND }

    /** The first statement the dialect prepares for {@code operation}. */
    static String captured(Operation operation) throws SQLException {
        List<String> sql = new ArrayList<>();
        Connection connection = recording(sql);
        PostgresDialect dialect = new PostgresDialect();
        IdempotencyKey key = IdempotencyKey.of(BenchDatabase.SCOPE, "1");
        OwnerToken owner = OwnerToken.random();
        try {
            switch (operation) {
                case CLAIM -> dialect.claim(connection, BenchDatabase.TABLE, new ClaimRequest(key,
                        BenchDatabase.FINGERPRINT, owner, BenchDatabase.LEASE, BenchDatabase.TTL));
                case COMPLETE -> dialect.complete(connection, BenchDatabase.TABLE, key, owner, BenchDatabase.RESPONSE,
                        BenchDatabase.TTL);
                case FIND -> dialect.find(connection, BenchDatabase.TABLE, key);
            }
        } catch (SQLException expected) {
            // The recording connection finds no rows, so a claim reports a stale row; only the text matters.
        }
        return sql.get(0);
    }

    private static Connection recording(List<String> sql) {
        ResultSet empty = proxy(ResultSet.class, (method, args) -> switch (method) {
            case "next", "wasNull" -> false;
            default -> null;
        });
        PreparedStatement statement = proxy(PreparedStatement.class, (method, args) -> switch (method) {
            case "executeQuery" -> empty;
            case "executeUpdate" -> 0;
            default -> null;
        });
        return proxy(Connection.class, (method, args) -> {
            if (method.equals("prepareStatement")) {
                sql.add((String) args[0]);
                return statement;
            }
            return method.equals("getAutoCommit") ? Boolean.TRUE : null;
        });
    }

    private interface Answer {
        Object answer(String method, Object[] args);
    }

    private static <T> T proxy(Class<T> type, Answer answer) {
        return type.cast(Proxy.newProxyInstance(PgbenchScripts.class.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> method.getName().equals("close") ? null : answer.answer(method.getName(), args)));
    }
}
