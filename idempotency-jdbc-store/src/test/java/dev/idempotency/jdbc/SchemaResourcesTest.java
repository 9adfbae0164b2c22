package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The shipped DDL: Flyway migrations identical to the schema files, and the table name substituted safely. */
class SchemaResourcesTest {

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2", "mysql", "mariadb"})
    void flywayMigrationIsByteIdenticalToTheSchemaFile(String platform) throws IOException {
        byte[] schema = resource("dev/idempotency/jdbc/schema-" + platform + ".sql");
        byte[] migration = resource("dev/idempotency/jdbc/flyway/" + platform + "/V0_1__create_idempotency_record.sql");

        assertThat(migration).isEqualTo(schema);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postgresql", "h2", "mysql", "mariadb"})
    void everyPlatformShipsCreateAndDropFilesNamingTheDefaultTable(String platform) throws IOException {
        String create = new String(resource("dev/idempotency/jdbc/schema-" + platform + ".sql"), StandardCharsets.UTF_8);
        String drop = new String(resource("dev/idempotency/jdbc/schema-drop-" + platform + ".sql"),
                StandardCharsets.UTF_8);

        assertThat(create).contains("CREATE TABLE idempotency_record (").contains("PRIMARY KEY (scope, idempotency_key)")
                .contains("idempotency_record_expires_at_idx");
        assertThat(drop).contains("DROP TABLE IF EXISTS idempotency_record;");
        assertThat(JdbcIdempotencySchema.createScript(platform, "idempotency_record")).isEqualTo(create);
    }

    @Test
    void configuredTableNameReplacesTheTableAndDerivedIndexNames() {
        String script = JdbcIdempotencySchema.createScript("postgresql", "app.idem");

        assertThat(script).contains("CREATE TABLE app.idem (")
                .contains("CREATE INDEX idem_expires_at_idx ON app.idem (expires_at);")
                .doesNotContain("idempotency_record");
        assertThat(JdbcIdempotencySchema.createScript("h2", "app.idem"))
                .contains("CREATE INDEX app.idem_expires_at_idx ON app.idem (expires_at);");
        assertThat(JdbcIdempotencySchema.dropScript("mariadb", "idem")).contains("DROP TABLE IF EXISTS idem;");
    }

    @Test
    void scriptsSplitIntoStatementsWithoutComments() {
        assertThat(JdbcIdempotencySchema.statements(JdbcIdempotencySchema.createScript("postgresql", "t")))
                .hasSize(2)
                .allSatisfy(statement -> assertThat(statement).doesNotContain("--").doesNotEndWith(";"));
        assertThat(JdbcIdempotencySchema.statements(JdbcIdempotencySchema.createScript("mariadb", "t"))).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"x; DROP TABLE y", "a.b.c", "\"quoted\"", "9lives", "", "a b", "t--", "t/*", "a.",
            "toolong_toolong_toolong_toolong_toolong_toolong_toolong_toolong_x"})
    void tableNamesThatAreNotIdentifiersAreRejected(String name) {
        assertThatThrownBy(() -> JdbcIdempotencySchema.validateTableName(name))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JdbcIdempotencySchema.createScript("h2", name))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void plainAndQualifiedIdentifiersAreAccepted() {
        assertThat(JdbcIdempotencySchema.validateTableName("idempotency_record")).isEqualTo("idempotency_record");
        assertThat(JdbcIdempotencySchema.validateTableName("App_1.Idem_Records")).isEqualTo("App_1.Idem_Records");
    }

    @Test
    void unknownPlatformIsRejectedWithTheShippedOnes() {
        assertThatThrownBy(() -> JdbcIdempotencySchema.createScript("oracle", "t"))
                .hasMessageContaining("postgresql, h2, mysql, mariadb");
    }

    private static byte[] resource(String path) throws IOException {
        try (InputStream in = SchemaResourcesTest.class.getClassLoader().getResourceAsStream(path)) {
            assertThat(in).as(path).isNotNull();
            return in.readAllBytes();
        }
    }
}
