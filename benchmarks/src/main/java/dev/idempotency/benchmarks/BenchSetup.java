package dev.idempotency.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.idempotency.jdbc.JdbcIdempotencySchema;
import java.sql.Connection;
import java.sql.Statement;

/**
 * Creates, resets and drops the benchmark schema; {@code run.sh} calls it between measurements.
 *
 * <pre>
 * java -cp ... dev.idempotency.benchmarks.BenchSetup create|reset|drop
 * </pre>
 *
 * <p>{@code create} makes the schema {@value BenchDatabase#SCHEMA} and the table from the shipped PostgreSQL DDL
 * ({@link JdbcIdempotencySchema#create}); {@code reset} empties the table and writes the completed replay keys;
 * {@code drop} removes the schema and everything in it.
 */
public final class BenchSetup {

    private BenchSetup() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: BenchSetup create|reset|drop");
        }
        try (HikariDataSource pool = BenchDatabase.pool(1)) {
            switch (args[0]) {
                case "create" -> {
                    execute(pool, "DROP SCHEMA IF EXISTS " + BenchDatabase.SCHEMA + " CASCADE");
                    execute(pool, "CREATE SCHEMA " + BenchDatabase.SCHEMA);
                    JdbcIdempotencySchema.create(pool, BenchDatabase.TABLE);
                    BenchDatabase.reset(pool);
                }
                case "reset" -> BenchDatabase.reset(pool);
                case "drop" -> execute(pool, "DROP SCHEMA IF EXISTS " + BenchDatabase.SCHEMA + " CASCADE");
                default -> throw new IllegalArgumentException("unknown command " + args[0]);
            }
        }
    }

    static void execute(HikariDataSource pool, String sql) throws Exception {
        try (Connection connection = pool.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
