package dev.idempotency.spring.jdbc;

import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.spring.IdempotencyProperties.InitializeSchema;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import javax.sql.DataSource;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.InitializingBean;

/**
 * Creates the JDBC store's table at startup from the DDL shipped with {@code idempotency-jdbc-store}
 * ({@link JdbcIdempotencySchema}), like Spring Session's {@code initialize-schema}: {@code embedded} only for
 * embedded databases (H2, HSQLDB, Derby in-process), {@code always} for any database, {@code never} to leave it to
 * the shipped script or Flyway migration. An existing table is left alone.
 */
public class IdempotencySchemaInitializer implements InitializingBean {

    private static final Log log = LogFactory.getLog(IdempotencySchemaInitializer.class);

    private final DataSource dataSource;
    private final String tableName;
    private final InitializeSchema mode;

    public IdempotencySchemaInitializer(DataSource dataSource, String tableName, InitializeSchema mode) {
        this.dataSource = dataSource;
        this.tableName = JdbcIdempotencySchema.validateTableName(tableName);
        this.mode = mode;
    }

    @Override
    public void afterPropertiesSet() throws SQLException {
        initialize();
    }

    /** Creates the table if the mode asks for it and it does not exist yet; returns whether it created it. */
    public boolean initialize() throws SQLException {
        if (mode == InitializeSchema.NEVER) {
            return false;
        }
        if (mode == InitializeSchema.EMBEDDED && !isEmbedded()) {
            log.debug("Not creating " + tableName + ": the database is not embedded and initialize-schema is embedded");
            return false;
        }
        if (tableExists()) {
            return false;
        }
        log.info("Creating the idempotency table " + tableName + " from the shipped DDL");
        JdbcIdempotencySchema.create(dataSource, tableName);
        return true;
    }

    private boolean tableExists() {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            // Portable across databases and identifier case rules; a missing table is an error.
            statement.executeQuery("SELECT 1 FROM " + tableName + " WHERE 1 = 0").close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private boolean isEmbedded() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            String product = metaData.getDatabaseProductName().toLowerCase(Locale.ROOT);
            String url = metaData.getURL() == null ? "" : metaData.getURL().toLowerCase(Locale.ROOT);
            if (product.startsWith("h2")) {
                return !url.startsWith("jdbc:h2:tcp:") && !url.startsWith("jdbc:h2:ssl:");
            }
            if (product.startsWith("hsql")) {
                return !url.startsWith("jdbc:hsqldb:hsql:") && !url.startsWith("jdbc:hsqldb:http");
            }
            if (product.contains("derby")) {
                return !url.startsWith("jdbc:derby://");
            }
            return false;
        }
    }
}
