package dev.idempotency.jdbc.dialect;

import dev.idempotency.core.store.IdempotencyStoreException;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;

/**
 * Picks the {@link SqlDialect} for a database from its JDBC metadata, the way ShedLock and Spring do, so that most
 * applications never name one.
 */
public final class SqlDialects {

    /** The product names recognised, as {@link DatabaseMetaData#getDatabaseProductName()} reports them. */
    public static final String SUPPORTED = "PostgreSQL, H2, MySQL, MariaDB";

    private SqlDialects() {}

    /**
     * The dialect for the database behind {@code dataSource}; borrows one connection to read the metadata.
     *
     * @throws IdempotencyStoreException when the database cannot be reached or is not one of {@link #SUPPORTED}
     */
    public static SqlDialect detect(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return detect(connection.getMetaData());
        } catch (SQLException e) {
            throw new IdempotencyStoreException(
                    "could not read the database product name to choose an SQL dialect for the idempotency store; "
                            + "set one with JdbcIdempotencyStore.builder(dataSource).dialect(...)", e);
        }
    }

    /** The dialect for the database that {@code metaData} describes. */
    public static SqlDialect detect(DatabaseMetaData metaData) throws SQLException {
        return forProductName(metaData.getDatabaseProductName());
    }

    /**
     * The dialect for a product name as JDBC reports it: {@code PostgreSQL}, {@code H2}, {@code MySQL} or
     * {@code MariaDB}.
     *
     * @throws IdempotencyStoreException for any other product
     */
    public static SqlDialect forProductName(String productName) {
        String name = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        if (name.contains("postgresql")) {
            return new PostgresDialect();
        }
        if (name.equals("h2")) {
            return new H2Dialect();
        }
        if (name.contains("mariadb") || name.contains("mysql")) {
            return new MariaDbDialect();
        }
        throw new IdempotencyStoreException("the idempotency store does not know the database '" + productName
                + "'; supported are " + SUPPORTED + ". Set a dialect explicitly with "
                + "JdbcIdempotencyStore.builder(dataSource).dialect(...), e.g. new PostgresDialect() for a "
                + "PostgreSQL-compatible database, or subclass SqlDialect");
    }

    /**
     * The schema platform of a product name, as used in the shipped file names: {@code postgresql}, {@code h2},
     * {@code mysql} or {@code mariadb}. MySQL and MariaDB share a dialect but not a schema file, because their
     * binary collations differ.
     */
    public static String platformForProductName(String productName) {
        String name = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        if (name.contains("mariadb")) {
            return "mariadb";
        }
        if (name.contains("mysql")) {
            return "mysql";
        }
        return forProductName(productName).platform();
    }
}
