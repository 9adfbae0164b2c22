/**
 * Spring Boot auto-configuration, split by concern: the engine, the in-memory and JDBC stores, the web filter, metrics
 * and the purge job. Every bean backs off to one the application defines. Applications do not use these classes
 * directly; they are listed in {@code META-INF/spring/...AutoConfiguration.imports}.
 */
@NullMarked
package dev.idempotency.spring.autoconfigure;

import org.jspecify.annotations.NullMarked;
