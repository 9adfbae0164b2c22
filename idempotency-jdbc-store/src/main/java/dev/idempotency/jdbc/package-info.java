/**
 * The relational-database store: {@link dev.idempotency.jdbc.JdbcIdempotencyStore}, an
 * {@link dev.idempotency.core.store.IdempotencyStore} over plain JDBC that several application instances can
 * share, and {@link dev.idempotency.jdbc.JdbcIdempotencySchema}, which finds, applies and checks the schema files
 * shipped beside it ({@code schema-<platform>.sql} and the Flyway migrations under {@code flyway/<platform>}).
 *
 * <p>Start here to put records in PostgreSQL, H2, MySQL or MariaDB. The SQL of each database lives in
 * {@link dev.idempotency.jdbc.dialect}.
 */
@NullMarked
package dev.idempotency.jdbc;

import org.jspecify.annotations.NullMarked;
