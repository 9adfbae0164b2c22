package dev.idempotency.jdbc;

import org.testcontainers.containers.JdbcDatabaseContainer;
import org.testcontainers.mariadb.MariaDBContainer;

/**
 * MariaDB for the integration tests: {@code $IDEMPOTENCY_TEST_MARIADB_URL} (with {@code _USER} and
 * {@code _PASSWORD}), else Testcontainers, else {@code jdbc:mariadb://127.0.0.1:3306/test} as {@code root} without a
 * password. Each run works in a database of its own.
 */
final class MariaDbTestDatabase extends TestDatabase {

    MariaDbTestDatabase() {
        super("MariaDB", "IDEMPOTENCY_TEST_MARIADB", "jdbc:mariadb://127.0.0.1:3306/test", "root", "");
    }

    @Override
    protected JdbcDatabaseContainer<?> container() {
        return new MariaDBContainer("mariadb:11.4").withUsername("root").withPassword("test");
    }

    @Override
    protected String createSchemaSql() {
        return "CREATE DATABASE " + runSchema + " CHARACTER SET utf8mb4";
    }

    @Override
    protected String dropSchemaSql() {
        return "DROP DATABASE IF EXISTS " + runSchema;
    }

    /** Replaces the database in {@code jdbc:mariadb://host:port/database?params}. */
    @Override
    protected String urlForRunSchema(String url) {
        int hostStart = url.indexOf("//") + 2;
        int pathStart = url.indexOf('/', hostStart);
        int query = url.indexOf('?');
        String base = pathStart < 0 ? (query < 0 ? url : url.substring(0, query)) : url.substring(0, pathStart);
        String params = query < 0 ? "" : url.substring(query);
        return base + "/" + runSchema + params;
    }
}
