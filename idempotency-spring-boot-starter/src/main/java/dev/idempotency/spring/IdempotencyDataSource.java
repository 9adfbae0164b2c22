package dev.idempotency.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.beans.factory.annotation.Qualifier;

/**
 * Qualifies the {@link javax.sql.DataSource} the JDBC idempotency store uses, in the manner of Spring Boot's
 * {@code @FlywayDataSource}: when a bean carries it, the store and its schema initializer use that DataSource, even
 * when the application has several; otherwise they use the application's single (or {@code @Primary}) DataSource.
 *
 * <p>Give the store a small pool of its own so that lease renewals never wait behind the application's own queries
 * for a connection: a renewal that waits as long as the lease lets another instance take the key over while the
 * work still runs. Declare it with {@code @Bean(defaultCandidate = false)} to keep Spring Boot's auto-configured
 * DataSource for the rest of the application.
 */
@Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.TYPE, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Qualifier
public @interface IdempotencyDataSource {
}
