/**
 * The SQL of each database the JDBC store supports, one class per database, chosen from the JDBC product name by
 * {@link dev.idempotency.jdbc.dialect.SqlDialects} or set on the store's builder.
 *
 * <p>{@link dev.idempotency.jdbc.dialect.SqlDialect} writes the fenced writes, the read and the purge once, in
 * terms of the database clock; each dialect owns its claim, the one atomic arbiter.
 * {@link dev.idempotency.jdbc.dialect.PostgresDialect} claims in one statement;
 * {@link dev.idempotency.jdbc.dialect.H2Dialect} and {@link dev.idempotency.jdbc.dialect.MariaDbDialect} lock the
 * key's row and then decide, through {@link dev.idempotency.jdbc.dialect.LockingSqlDialect}. Every claim follows
 * {@link dev.idempotency.core.store.ClaimDecision}. Subclass {@code SqlDialect} (or {@code LockingSqlDialect}) to
 * support another database, and run the contract suite from the {@code idempotency-core} test-jar against it.
 */
@NullMarked
package dev.idempotency.jdbc.dialect;

import org.jspecify.annotations.NullMarked;
