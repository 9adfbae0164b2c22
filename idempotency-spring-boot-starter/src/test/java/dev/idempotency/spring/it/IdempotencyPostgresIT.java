package dev.idempotency.spring.it;

import static org.assertj.core.api.Assertions.assertThat;

import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The starter over real HTTP (Tomcat) against a real PostgreSQL, through the JDBC store. */
@SpringBootTest(classes = ItApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"idempotency.jdbc.initialize-schema=always", "idempotency.purge.enabled=false",
                "spring.datasource.hikari.maximum-pool-size=20"})
class IdempotencyPostgresIT extends AbstractIdempotencyHttpIT {

    private static final PostgresTestDatabase DATABASE = PostgresTestDatabase.createSchema();

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", DATABASE::url);
        registry.add("spring.datasource.username", () -> DATABASE.user);
        registry.add("spring.datasource.password", () -> DATABASE.password);
    }

    @AfterAll
    static void dropSchema() {
        DATABASE.dropSchema();
    }

    @Autowired
    DataSource dataSource;

    @Test
    void usesTheJdbcStoreWithItsTableInThePrivateSchema() {
        assertThat(store.getClass().getName()).isEqualTo("dev.idempotency.jdbc.JdbcIdempotencyStore");
        Integer tables = new JdbcTemplate(dataSource).queryForObject(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = 'idempotency_record'",
                Integer.class, DATABASE.schema);
        assertThat(tables).isEqualTo(1);
    }
}
