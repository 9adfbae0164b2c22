package dev.idempotency.jdbc;

import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.jdbc.dialect.SqlDialects;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The table of {@link JdbcIdempotencyStore}, as shipped DDL files, and a way to apply them.
 *
 * <p>The DDL lives in one file per database, next to this class, like Spring Session JDBC's:
 * {@code dev/idempotency/jdbc/schema-<platform>.sql} and {@code schema-drop-<platform>.sql} for the platforms
 * postgresql, h2, mysql and mariadb. The same statements ship as Flyway migrations in
 * {@code dev/idempotency/jdbc/flyway/<platform>/V0_1__create_idempotency_record.sql}, so an application adds
 * {@code classpath:dev/idempotency/jdbc/flyway/{vendor}} to its Flyway locations, and version 0.1 runs before its
 * own V1. The files name the table {@value #DEFAULT_TABLE_NAME}; this class substitutes a configured name (and
 * derives index names from it), which is how tests, the Spring starter's {@code initialize-schema} and anyone who
 * creates the table from code get exactly the shipped DDL.
 */
public final class JdbcIdempotencySchema {

    /** The table name in the shipped files and the store's default. */
    public static final String DEFAULT_TABLE_NAME = "idempotency_record";

    /** The platforms with shipped files. */
    public static final Set<String> PLATFORMS = Set.of("postgresql", "h2", "mysql", "mariadb");

    private static final String PLATFORMS_TEXT = "postgresql, h2, mysql, mariadb";

    private static final String RESOURCE_DIRECTORY = "/dev/idempotency/jdbc/";

    /** A plain identifier, optionally qualified by one schema; each part at most 63 characters (PostgreSQL's limit). */
    private static final Pattern TABLE_NAME =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

    /** The table name and the names derived from it ({@code idempotency_record_expires_at_idx}) in the files. */
    private static final Pattern NAME_IN_FILE = Pattern.compile("\\bidempotency_record(_[A-Za-z0-9_]+)?\\b");

    /** The columns the store reads and writes, in the order of the shipped DDL. */
    public static final List<String> COLUMNS = List.of("scope", "idempotency_key", "fingerprint", "status", "owner_token",
            "lease_expires_at", "response_status", "response_headers", "response_body", "recovery_phase",
            "recovery_payload", "created_at", "expires_at", "completed_at");

    private JdbcIdempotencySchema() {}

    /**
     * What a check of an existing table found.
     *
     * @param tableExists whether {@code tableName} can be queried at all
     * @param missingColumns the {@link #COLUMNS} it lacks; empty when the table is usable
     */
    public record Check(boolean tableExists, List<String> missingColumns) {

        public boolean usable() {
            return tableExists && missingColumns.isEmpty();
        }
    }

    /**
     * Checks that {@code tableName} exists and has every column the store uses, with queries that read no row
     * ({@code SELECT ... WHERE 1 = 0}), so it is cheap and portable across databases and identifier case rules.
     *
     * @throws IdempotencyStoreException when the database cannot be reached
     */
    public static Check check(DataSource dataSource, String tableName) {
        validateTableName(tableName);
        try (Connection connection = dataSource.getConnection()) {
            if (selects(connection, String.join(", ", COLUMNS), tableName)) {
                return new Check(true, List.of());
            }
            if (!selects(connection, "1", tableName)) {
                return new Check(false, COLUMNS);
            }
            List<String> missing = new ArrayList<>();
            for (String column : COLUMNS) {
                if (!selects(connection, column, tableName)) {
                    missing.add(column);
                }
            }
            return new Check(true, List.copyOf(missing));
        } catch (SQLException e) {
            throw new IdempotencyStoreException("could not check the table " + tableName, e);
        }
    }

    /** Whether {@code SELECT columns FROM table WHERE 1 = 0} succeeds; a failure rolls back whatever it aborted. */
    private static boolean selects(Connection connection, String columns, String tableName) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.executeQuery("SELECT " + columns + " FROM " + tableName + " WHERE 1 = 0").close();
            return true;
        } catch (SQLException e) {
            if (!connection.getAutoCommit()) {
                // PostgreSQL aborts the transaction on the failed statement; later checks need a fresh one.
                connection.rollback();
            }
            return false;
        }
    }

    /**
     * Checks that {@code tableName} is a plain or schema-qualified SQL identifier ({@code [A-Za-z_][A-Za-z0-9_]*},
     * at most one dot) and returns it. Table names are spliced into SQL text, so this is what keeps them from
     * carrying SQL.
     *
     * @throws IllegalArgumentException otherwise
     */
    public static String validateTableName(String tableName) {
        Objects.requireNonNull(tableName, "tableName");
        if (!TABLE_NAME.matcher(tableName).matches()) {
            throw new IllegalArgumentException("'" + tableName + "' is not a valid table name: use letters, digits "
                    + "and underscores, optionally qualified by a schema (schema.table), each part starting with a "
                    + "letter or underscore and at most 63 characters");
        }
        return tableName;
    }

    /** The shipped create script of {@code platform}, with the table named {@code tableName}. */
    public static String createScript(String platform, String tableName) {
        String checked = checkPlatform(platform);
        return withTableName(read("schema-" + checked + ".sql"), checked, tableName);
    }

    /** The shipped drop script of {@code platform}, with the table named {@code tableName}. */
    public static String dropScript(String platform, String tableName) {
        String checked = checkPlatform(platform);
        return withTableName(read("schema-drop-" + checked + ".sql"), checked, tableName);
    }

    /** The classpath location of a shipped file, e.g. {@code dev/idempotency/jdbc/schema-h2.sql}. */
    public static String resourcePath(String fileName) {
        return RESOURCE_DIRECTORY.substring(1) + fileName;
    }

    /**
     * The platform of the database behind {@code dataSource}, from its JDBC metadata: {@code postgresql},
     * {@code h2}, {@code mysql} or {@code mariadb}.
     */
    public static String platform(DataSource dataSource) {
        try (Connection connection = dataSource.getConnection()) {
            return SqlDialects.platformForProductName(connection.getMetaData().getDatabaseProductName());
        } catch (SQLException e) {
            throw new IdempotencyStoreException("could not read the database product name", e);
        }
    }

    /** Creates the table {@code tableName} from the shipped file of the detected platform. */
    public static void create(DataSource dataSource, String tableName) {
        execute(dataSource, createScript(platform(dataSource), tableName));
    }

    /** Drops the table {@code tableName} with the shipped drop file of the detected platform, if it exists. */
    public static void drop(DataSource dataSource, String tableName) {
        execute(dataSource, dropScript(platform(dataSource), tableName));
    }

    /**
     * Splits a shipped script into statements: comment lines ({@code --}) dropped, statements ending with a
     * semicolon at the end of a line. The shipped files keep to that shape.
     */
    public static List<String> statements(String script) {
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\\R")) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("--")) {
                continue;
            }
            if (trimmed.endsWith(";")) {
                current.append(line, 0, line.lastIndexOf(';'));
                statements.add(current.toString().strip());
                current.setLength(0);
            } else {
                current.append(line).append('\n');
            }
        }
        if (!current.toString().isBlank()) {
            statements.add(current.toString().strip());
        }
        return statements;
    }

    private static void execute(DataSource dataSource, String script) {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            boolean autoCommit = connection.getAutoCommit();
            for (String sql : statements(script)) {
                statement.execute(sql);
            }
            if (!autoCommit) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new IdempotencyStoreException("could not apply the idempotency schema: " + e.getMessage(), e);
        }
    }

    private static String withTableName(String script, String platform, String tableName) {
        validateTableName(tableName);
        int dot = tableName.indexOf('.');
        String simpleName = dot < 0 ? tableName : tableName.substring(dot + 1);
        // H2 keeps index names per schema and wants an index in its table's schema; PostgreSQL forbids a schema
        // on an index name (the index goes to its table's schema anyway); MySQL keeps them per table.
        String indexPrefix = dot >= 0 && platform.equals("h2") ? tableName.substring(0, dot + 1) : "";
        Matcher matcher = NAME_IN_FILE.matcher(script);
        StringBuilder result = new StringBuilder();
        while (matcher.find()) {
            String suffix = matcher.group(1);
            String replacement = suffix == null ? tableName : indexPrefix + simpleName + suffix;
            matcher.appendReplacement(result, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(result);
        return result.toString();
    }

    private static String checkPlatform(String platform) {
        Objects.requireNonNull(platform, "platform");
        String normalized = platform.toLowerCase(Locale.ROOT);
        if (!PLATFORMS.contains(normalized)) {
            throw new IllegalArgumentException(
                    "no idempotency schema for platform '" + platform + "'; shipped are " + PLATFORMS_TEXT);
        }
        return normalized;
    }

    private static String read(String fileName) {
        try (InputStream in = JdbcIdempotencySchema.class.getResourceAsStream(RESOURCE_DIRECTORY + fileName)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resourcePath(fileName));
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
