package dev.idempotency.spring.jdbc;

import dev.idempotency.jdbc.JdbcIdempotencySchema;
import dev.idempotency.spring.IdempotencyProperties.InitializeSchema;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import javax.sql.DataSource;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.InitializingBean;

/**
 * Sets up the JDBC store's table at startup, after the application's own migration tool, and checks it.
 *
 * <ol>
 *   <li>Creates the table from the DDL shipped with {@code idempotency-jdbc-store} ({@link JdbcIdempotencySchema}), like
 *       Spring Session's {@code initialize-schema}: {@code embedded} only for embedded databases (H2, HSQLDB, Derby
 *       in-process), {@code always} for any database, {@code never} to leave it to the shipped script or Flyway
 *       migration. An existing table is left alone. With Flyway or Liquibase active, {@code embedded} backs off
 *       (one INFO line): a table created behind the migration tool's back makes Flyway refuse the non-empty schema.</li>
 *   <li>Checks that the table exists with every column the store uses, unless {@code validate} is off, and fails the
 *       startup with one message naming the three ways to create it, rather than answering every request with 503.</li>
 * </ol>
 * The auto-configuration orders this bean after Flyway, Liquibase and SQL script initialization (Spring Boot's
 * {@code @DependsOnDatabaseInitialization}), so the check sees what they created.
 */
public class IdempotencySchemaInitializer implements InitializingBean {

    /** The classpath location of the shipped Flyway migrations, as {@code spring.flyway.locations} names it. */
    public static final String FLYWAY_LOCATION = "classpath:dev/idempotency/jdbc/flyway/{vendor}";

    private static final Log log = LogFactory.getLog(IdempotencySchemaInitializer.class);

    private final DataSource dataSource;
    private final String tableName;
    private final InitializeSchema mode;
    private final MigrationSetup migrations;
    private final boolean validate;

    /**
     * What the application's migration tooling looks like.
     *
     * @param activeTool {@code "Flyway"} or {@code "Liquibase"} when the application runs one, else {@code null}
     * @param flywayLocationConfigured whether {@code spring.flyway.locations} names the shipped migration
     */
    public record MigrationSetup(String activeTool, boolean flywayLocationConfigured) {

        public static final MigrationSetup NONE = new MigrationSetup(null, false);

        boolean flywayActive() {
            return "Flyway".equals(activeTool);
        }
    }

    public IdempotencySchemaInitializer(DataSource dataSource, String tableName, InitializeSchema mode) {
        this(dataSource, tableName, mode, MigrationSetup.NONE, false);
    }

    public IdempotencySchemaInitializer(DataSource dataSource, String tableName, InitializeSchema mode,
            MigrationSetup migrations, boolean validate) {
        this.dataSource = dataSource;
        this.tableName = JdbcIdempotencySchema.validateTableName(tableName);
        this.mode = mode;
        this.migrations = migrations;
        this.validate = validate;
    }

    @Override
    public void afterPropertiesSet() throws SQLException {
        if (migrations.flywayLocationConfigured() && !migrations.flywayActive()) {
            log.warn("spring.flyway.locations names the shipped idempotency migration, but Flyway is not running: on "
                    + "Spring Boot 4 add spring-boot-starter-flyway (flyway-core alone does not run migrations)");
        }
        initialize();
        if (validate) {
            validate();
        }
    }

    /** Creates the table if the mode asks for it and it does not exist yet; returns whether it created it. */
    public boolean initialize() throws SQLException {
        if (mode == InitializeSchema.NEVER) {
            return false;
        }
        if (mode == InitializeSchema.EMBEDDED && migrations.activeTool() != null) {
            log.info("Not creating the idempotency table " + tableName + " from the shipped DDL: " + migrations.activeTool()
                    + " manages this database (idempotency.jdbc.initialize-schema=embedded backs off to it). "
                    + (migrations.flywayActive() ? "Add " + FLYWAY_LOCATION + " to spring.flyway.locations."
                            : "Include the shipped schema-<vendor>.sql in a changelog."));
            return false;
        }
        if (mode == InitializeSchema.EMBEDDED && !isEmbedded()) {
            log.debug("Not creating " + tableName + ": the database is not embedded and initialize-schema is embedded");
            return false;
        }
        if (JdbcIdempotencySchema.check(dataSource, tableName).tableExists()) {
            return false;
        }
        log.info("Creating the idempotency table " + tableName + " from the shipped DDL");
        JdbcIdempotencySchema.create(dataSource, tableName);
        return true;
    }

    /**
     * Fails when the table is missing or lacks a column the store uses.
     *
     * @throws IllegalStateException naming what is missing and how to create the table
     */
    public void validate() {
        JdbcIdempotencySchema.Check check = JdbcIdempotencySchema.check(dataSource, tableName);
        if (check.usable()) {
            return;
        }
        StringBuilder message = new StringBuilder();
        if (!check.tableExists()) {
            message.append("The idempotency table '").append(tableName).append("' does not exist");
        } else {
            message.append("The idempotency table '").append(tableName).append("' lacks the columns ")
                    .append(check.missingColumns()).append(" that the store uses");
        }
        message.append(" in the database of the idempotency store (").append(product()).append(").");
        if (migrations.flywayLocationConfigured() && !migrations.flywayActive()) {
            message.append(" spring.flyway.locations names the shipped migration, but Flyway is not running: on Spring "
                    + "Boot 4 add spring-boot-starter-flyway (flyway-core alone does not run migrations).");
        }
        message.append(" Create it in one of three ways:")
                .append("\n  1. Flyway (spring-boot-starter-flyway): add ").append(FLYWAY_LOCATION)
                .append(" to spring.flyway.locations;")
                .append("\n  2. let the starter create it: idempotency.jdbc.initialize-schema=always;")
                .append("\n  3. run the DDL shipped in idempotency-jdbc-store, dev/idempotency/jdbc/schema-<vendor>.sql ")
                .append("(postgresql, mysql, mariadb, h2), with your own migration tool.")
                .append("\nSet idempotency.jdbc.validate-schema=false to skip this check.");
        throw new IllegalStateException(message.toString());
    }

    private String product() {
        try (Connection connection = dataSource.getConnection()) {
            DatabaseMetaData metaData = connection.getMetaData();
            return metaData.getDatabaseProductName() + " at " + metaData.getURL();
        } catch (SQLException e) {
            return "unknown database";
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
