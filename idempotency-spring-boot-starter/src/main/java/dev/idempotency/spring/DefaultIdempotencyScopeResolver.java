package dev.idempotency.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.beans.factory.annotation.Qualifier;

/**
 * Marks the {@link IdempotencyScopeResolver} bean that every {@link IdempotencyScope#PRINCIPAL} handler uses unless it
 * names another one with {@link Idempotent#scopeResolver()}. Like Spring Boot's {@code @FlywayDataSource}, it is a
 * qualifier: put it beside {@code @Bean} (or on a {@code @Component} class) and the auto-configured
 * {@link PrincipalScopeResolver} backs off.
 *
 * <pre>{@code
 * @Bean
 * @DefaultIdempotencyScopeResolver
 * IdempotencyScopeResolver tenantScope() { ... }
 * }</pre>
 *
 * <p>A resolver bean without this annotation is never anyone's default, whatever its type or {@code @Primary}: it only
 * serves the handlers that name it, so a resolver written for one handler (a webhook's sender, say) cannot silently
 * change whose keys every other handler shares. Such a bean that no handler names is reported with a WARN at startup.
 */
@Target({ElementType.METHOD, ElementType.TYPE, ElementType.FIELD, ElementType.PARAMETER, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Qualifier
public @interface DefaultIdempotencyScopeResolver {
}
