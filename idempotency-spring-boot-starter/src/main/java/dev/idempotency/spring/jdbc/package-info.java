/**
 * Startup support for the JDBC store: creating its table from the shipped DDL when asked to, checking it after the
 * application's migration tool ran, and warning about a connection pool that could starve lease renewals.
 */
@NullMarked
package dev.idempotency.spring.jdbc;

import org.jspecify.annotations.NullMarked;
