package dev.idempotency.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.idempotency.core.store.IdempotencyStoreException;
import dev.idempotency.jdbc.dialect.H2Dialect;
import dev.idempotency.jdbc.dialect.MariaDbDialect;
import dev.idempotency.jdbc.dialect.PostgresDialect;
import dev.idempotency.jdbc.dialect.SqlDialects;
import org.junit.jupiter.api.Test;

/** Choosing a dialect from the JDBC product name. */
class SqlDialectsTest {

    @Test
    void knownProductsMapToTheirDialects() {
        assertThat(SqlDialects.forProductName("PostgreSQL")).isInstanceOf(PostgresDialect.class);
        assertThat(SqlDialects.forProductName("H2")).isInstanceOf(H2Dialect.class);
        assertThat(SqlDialects.forProductName("MySQL")).isInstanceOf(MariaDbDialect.class);
        assertThat(SqlDialects.forProductName("MariaDB")).isInstanceOf(MariaDbDialect.class);
        assertThat(SqlDialects.platformForProductName("MySQL")).isEqualTo("mysql");
        assertThat(SqlDialects.platformForProductName("MariaDB")).isEqualTo("mariadb");
        assertThat(SqlDialects.platformForProductName("PostgreSQL")).isEqualTo("postgresql");
    }

    @Test
    void unknownProductNamesTheSupportedOnesAndHowToChoose() {
        assertThatThrownBy(() -> SqlDialects.forProductName("Oracle"))
                .isInstanceOf(IdempotencyStoreException.class)
                .hasMessageContaining("Oracle")
                .hasMessageContaining("PostgreSQL, H2, MySQL, MariaDB")
                .hasMessageContaining(".dialect(");
    }
}
