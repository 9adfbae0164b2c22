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

    /** SKIP LOCKED exists from MariaDB 10.6 and MySQL 8.0, whichever way the server reports its version. */
    @Test
    void skipLockedIsUsedOnlyWhereTheServerSupportsIt() {
        assertThat(MariaDbDialect.supportsSkipLocked("10.11.19-MariaDB-0+deb12u1")).isTrue();
        assertThat(MariaDbDialect.supportsSkipLocked("5.5.5-10.11.6-MariaDB-log")).isTrue();
        assertThat(MariaDbDialect.supportsSkipLocked("10.6.0-MariaDB")).isTrue();
        assertThat(MariaDbDialect.supportsSkipLocked("11.4.2-MariaDB-ubu2404")).isTrue();
        assertThat(MariaDbDialect.supportsSkipLocked("10.5.23-MariaDB")).isFalse();
        assertThat(MariaDbDialect.supportsSkipLocked("5.5.5-10.3.39-MariaDB")).isFalse();
        assertThat(MariaDbDialect.supportsSkipLocked("8.0.36")).isTrue();
        assertThat(MariaDbDialect.supportsSkipLocked("8.4.0-commercial")).isTrue();
        assertThat(MariaDbDialect.supportsSkipLocked("5.7.44-log")).isFalse();
        assertThat(MariaDbDialect.supportsSkipLocked("garbage")).isFalse();
        assertThat(MariaDbDialect.supportsSkipLocked(null)).isFalse();
    }
}
